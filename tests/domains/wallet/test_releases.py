"""held_shares: a share waits in it from its entry until housekeeping releases it; recording
it again (a settlement repeated) neither fails nor moves anything twice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from test_tips import give, people  # noqa: F401

from reelmint.db.base import utcnow
from reelmint.domains.ledger.models import LedgerEntry
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.wallet import tips
from reelmint.domains.wallet.models import HeldShare
from reelmint.domains.wallet.releases import hold_share


def waiting(db) -> int:
    return db.scalar(select(func.count()).select_from(HeldShare)) or 0


def test_recording_a_share_twice_keeps_one_and_after_release_moves_nothing(services_on, people):  # noqa: F811
    fan, maker, video = people
    done = give(services_on, fan, video, 10)
    with services_on.db.write() as db:
        hold_share(db, db.get_one(LedgerEntry, done.entry.id))  # again: kept once
        assert waiting(db) == 1
    later = utcnow() + timedelta(days=services_on.settings.rights_hold_days, minutes=1)
    with services_on.db.write() as db:
        assert tips.release_tips(db=db, settings=services_on.settings, now=later) == 1
        assert waiting(db) == 0
    with services_on.db.write() as db:  # recorded once more after its release
        hold_share(db, db.get_one(LedgerEntry, done.entry.id))
    with services_on.db.write() as db:
        tips.release_tips(db=db, settings=services_on.settings, now=later)
        assert waiting(db) == 0
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=0, available=9)
        assert check_ledger(db=db) == []
