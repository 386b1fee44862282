"""Settling a video takes the user's wallet before anything else, in the order admission takes
it: a settlement that has to wait for the wallet waits holding nothing another user needs (a
platform account) and nothing an admission of the same user is waiting for (the deadlock the
old order allowed). PostgreSQL only: SQLite lets one writer in at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.videos.service import VideoRequest, cancel_video, create_video
from reelmint.domains.wallet.service import read_wallet
from support import make_account, make_services

REQUEST = VideoRequest(prompt="a fox runs through snow", seconds="4", size="480x480", seed=1)
LOCK = "SELECT id FROM ledger_accounts WHERE code = :code FOR UPDATE"


@pytest.fixture
def pg(tmp_path: Path, keys_dir: Path, postgres_schema_url: str) -> Iterator[Services]:
    built = make_services(tmp_path, postgres_schema_url)
    (built.settings.data_dir / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    yield built
    built.close()


def _waits_on(connection: Connection) -> Callable[[], bool]:
    """Whether some backend is waiting for a lock `connection` holds."""
    pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()

    def waiting() -> bool:
        with connection.engine.connect() as look:
            found = look.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"
                ),
                {"pid": pid},
            ).scalar_one()
        return found > 0

    return waiting


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the settlement never came to wait for the wallet"
        time.sleep(0.05)


def _free(services: Services, code: str) -> bool:
    """Whether the account `code` can be locked at once."""
    with services.db.engine.connect() as probe:
        try:
            probe.execute(text(LOCK + " NOWAIT"), {"code": code})
        except OperationalError:
            return False
        finally:
            probe.rollback()
    return True


def _cancelling(services: Services, user: User, video_id: str) -> tuple[threading.Thread, list]:
    """A thread cancelling the video (its settlement voids the holds); what it ended with."""
    outcome: list[str] = []

    def cancel() -> None:
        with services.db.write() as db:
            outcome.append(cancel_video(db=db, actor=user, video_id=video_id).status)

    return threading.Thread(target=cancel), outcome


def _settled(services: Services, video_id: str) -> None:
    with services.db.read() as db:
        hold = db.query(LedgerHold).filter_by(video_id=video_id).one()
        assert hold.status == "voided"
        assert check_ledger(db=db) == []


def test_a_settlement_waiting_for_the_wallet_holds_no_platform_account(pg: Services) -> None:
    user = make_account(pg).user
    video_id = create_video(services=pg, user=user, request=REQUEST).id
    settling, outcome = _cancelling(pg, user, video_id)

    with pg.db.engine.connect() as blocker:  # an admission of this user, mid-way
        blocker.execute(text(LOCK), {"code": f"user:{user.id}:purchased"})
        settling.start()
        _until(_waits_on(blocker))
        assert _free(pg, "platform:quota_spent")
        blocker.rollback()
    settling.join(timeout=60)

    assert outcome == ["cancelled"]
    _settled(pg, video_id)


def _user_with_an_account_before_quota(services: Services) -> tuple[User, list[str], str]:
    """A user with a queued video paid from quota, and a wallet account whose id sorts before
    the quota account's (ids are random: a few users at most); those ids and the quota's."""
    for n in range(40):
        user = make_account(services, f"user{n}@example.com").user
        create_video(services=services, user=user, request=REQUEST)
        with services.db.read() as db:
            wallet = read_wallet(db=db, user_id=user.id)
        ids = sorted(a.id for a in (wallet.quota, wallet.granted, wallet.purchased, wallet.owed))
        before = ids[: ids.index(wallet.quota.id)]
        if before:
            return user, before, wallet.quota.id
    raise AssertionError("no wallet account sorted before the quota account")


def test_an_admission_and_a_settlement_of_one_user_do_not_deadlock(pg: Services) -> None:
    """Admission locks the wallet in one statement, in id order; caught half-way (holding the
    accounts that sort before the quota account), it goes on to lock the quota account while
    the user's video is being settled. Before, the settlement held that account and waited
    for the others: PostgreSQL broke the deadlock by failing one of them."""
    user, before, quota_id = _user_with_an_account_before_quota(pg)
    with pg.db.read() as db:
        video_id = db.query(LedgerHold).filter_by(user_id=user.id).one().video_id
    settling, outcome = _cancelling(pg, user, video_id)

    with pg.db.engine.connect() as admission:
        admission.execute(
            text(
                "SELECT id FROM ledger_accounts WHERE id IN :ids ORDER BY id FOR UPDATE"
            ).bindparams(bindparam("ids", expanding=True)),
            {"ids": before},
        )
        settling.start()
        _until(_waits_on(admission))
        admission.execute(
            text("SELECT id FROM ledger_accounts WHERE id = :id FOR UPDATE"), {"id": quota_id}
        )
        admission.rollback()
    settling.join(timeout=60)

    assert outcome == ["cancelled"]
    _settled(pg, video_id)
