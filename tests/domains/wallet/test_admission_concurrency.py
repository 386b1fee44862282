"""200 simultaneous admissions for one user whose quota and credits cover exactly N videos
give exactly N jobs, N holds, nothing left, and a sound ledger — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from functools import partial

from sqlalchemy import func, select

from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.domains.wallet import service as wallet
from reelmint.errors import ServiceError
from support import at_once, make_account

CLIENTS = 200
GRANTED = 10  # with the free plan's 30 units of quota: exactly 40 one-unit videos


def test_concurrent_admissions_never_overspend(services_on):
    user = make_account(services_on).user
    with services_on.db.write() as db:
        wallet.grant_credits(db=db, user=user, units=GRANTED, reason="test", key="g")
    covered = services_on.settings.plan_daily_quota["free"] + GRANTED

    def admit(request: VideoRequest) -> str:
        try:
            create_video(services=services_on, user=user, request=request)
            return "admitted"
        except ServiceError as refused:
            return refused.code

    requests = [
        VideoRequest(prompt=f"a fox runs, take {n}", seconds="4", size="480x480", seed=n)
        for n in range(CLIENTS)
    ]
    outcomes = Counter(at_once([partial(admit, r) for r in requests], timeout=300))

    assert outcomes == {"admitted": covered, "quota_exhausted": CLIENTS - covered}
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Video)) == covered
        held = db.scalars(select(LedgerHold)).all()
        assert sum(h.amount for h in held) == covered
        assert all(h.video_id and h.status == "pending" for h in held)
        mine = wallet.read_wallet(db=db, user_id=user.id)
        assert (mine.quota.available, mine.granted.available) == (0, 0)
        assert check_ledger(db=db) == []
