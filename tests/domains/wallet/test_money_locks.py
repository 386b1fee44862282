"""The money paths take their row locks in one order (docs/architecture.md, "Lock order for
money"). Settling a video takes the user's wallet before anything else, as admission does: a
settlement that has to wait for the wallet waits holding nothing another user needs (a
platform account) and nothing an admission of the same user is waiting for (the deadlock the
old order allowed). Accounts are locked FOR NO KEY UPDATE, so a row that merely names a locked
account (a hold's credit account) is not held up. PostgreSQL only: SQLite lets one writer in
at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from domains.cameos.cameo_helpers import make_cameo
from reelmint.bootstrap import Services
from reelmint.db.base import utcnow
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import check_ledger, lock_accounts, platform_account
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, cancel_video, create_video
from reelmint.domains.wallet.service import read_wallet
from reelmint.queue.finish import expire_stale_jobs
from support import make_account

REQUEST = VideoRequest(prompt="a fox runs through snow", seconds="4", size="480x480", seed=1)
LOCK = "SELECT id FROM ledger_accounts WHERE code = :code FOR UPDATE"


# conftest's `services_on`, on PostgreSQL only.
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def pg(services_on: Services) -> Services:
    return services_on


def _pid(connection: Connection | Session) -> int:
    return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _waits_on(connection: Connection) -> Callable[[], bool]:
    """Whether some backend is waiting for a lock `connection` holds."""
    return _waiting_for(connection.engine, _pid(connection))


def _waiting_for(engine: Engine, pid: int) -> Callable[[], bool]:
    """Whether some backend is waiting for a lock the backend `pid` holds."""

    def waiting() -> bool:
        with engine.connect() as look:
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
        assert time.monotonic() < deadline, "neither came to pass"
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


def test_an_admission_is_not_held_up_by_a_posting_to_the_platform_account(pg: Services) -> None:
    """A settlement posting to `platform:quota_spent` keeps it locked until it commits; another
    user's admission meanwhile inserts a hold naming that account as its credit (a foreign
    key, which PostgreSQL checks with a KEY SHARE lock). Locked FOR UPDATE, the account made
    every admission wait for the settlement; FOR NO KEY UPDATE lets it through."""
    ada, bob = make_account(pg).user, make_account(pg, "bob@example.com").user
    create_video(services=pg, user=ada, request=REQUEST)  # the platform accounts exist
    locked, release = threading.Event(), threading.Event()
    holder: list[int] = []

    def settlement() -> None:
        with pg.db.write() as db:
            lock_accounts(db=db, accounts=[platform_account(db=db, name="quota_spent")])
            holder.append(_pid(db))
            locked.set()
            release.wait(timeout=60)

    posting = threading.Thread(target=settlement)
    posting.start()
    assert locked.wait(timeout=30)
    admitted: list[str] = []
    admission = threading.Thread(
        target=lambda: admitted.append(create_video(services=pg, user=bob, request=REQUEST).id)
    )
    admission.start()
    held_up = _waiting_for(pg.db.engine, holder[0])
    _until(lambda: bool(admitted) or held_up())
    through_first = bool(admitted)  # before the settlement committed
    release.set()
    posting.join(timeout=60)
    admission.join(timeout=60)

    assert through_first
    assert len(admitted) == 1


def _take_wallet(connection: Connection, user: User) -> None:
    """Lock the user's wallet as admission does: its accounts in one statement, in id order."""
    connection.execute(
        text("SELECT id FROM ledger_accounts WHERE code LIKE :mine ORDER BY id FOR NO KEY UPDATE"),
        {"mine": f"user:{user.id}:%"},
    )


def _stale(services: Services, video_id: str, hours: float) -> None:
    """Make the queued video and its holds `hours` old."""
    then = utcnow() - timedelta(hours=hours)
    with services.db.write() as db:
        db.execute(update(Video).where(Video.id == video_id).values(created_at=then))
        db.execute(
            update(LedgerHold).where(LedgerHold.video_id == video_id).values(created_at=then)
        )


def test_giving_up_stale_jobs_of_several_users_takes_their_wallets_first(pg: Services) -> None:
    """Housekeeping gives up stale jobs of several users in one transaction. Settling the first
    expires the quota it gets back (today's grant came after its hold), which locks
    `platform:quota_expired`; before, it then waited for the next user's wallet holding that
    account, while that user's first admission of the day held the wallet and wanted the
    account to expire yesterday's rest: a deadlock, which PostgreSQL broke by failing one."""
    ada, bob = make_account(pg).user, make_account(pg, "bob@example.com").user
    first = create_video(services=pg, user=ada, request=REQUEST).id
    second = create_video(services=pg, user=bob, request=REQUEST).id
    hours = pg.settings.hold_timeout_hours
    _stale(pg, first, hours + 2)
    _stale(pg, second, hours + 1)
    with pg.db.write() as db:  # there since the first day anyone's quota expired
        platform_account(db=db, name="quota_expired")
    outcome: list[list[str]] = []

    def give_up() -> None:
        with pg.db.write() as db:
            outcome.append(expire_stale_jobs(db=db, settings=pg.settings))

    sweeping = threading.Thread(target=give_up)
    with pg.db.engine.connect() as admission:  # bob's, at his wallet
        _take_wallet(admission, bob)
        sweeping.start()
        _until(_waits_on(admission))
        admission.execute(text(LOCK), {"code": "platform:quota_expired"})
        admission.rollback()
    sweeping.join(timeout=60)

    assert outcome == [[first, second]]
    with pg.db.read() as db:
        assert check_ledger(db=db) == []


def _closing(services: Services, user: User) -> tuple[threading.Thread, list]:
    """A thread closing the account; what it ended with."""
    outcome: list[str] = []

    def close() -> None:
        with services.db.write() as db:
            close_account(db=db, user=db.get_one(User, user.id))
            outcome.append("closed")

    return threading.Thread(target=close), outcome


def test_closing_an_account_and_its_own_remix_at_once_do_not_deadlock(pg: Services) -> None:
    """An admission of a remix of the user's own video holds the wallet, then inserts the new
    video, whose foreign key to the source takes a KEY SHARE lock on it; closing the account
    meanwhile holds the user's videos and waits for the wallet. With the videos locked FOR
    UPDATE that was a deadlock; FOR NO KEY UPDATE lets the key check through."""
    ada = make_account(pg).user
    source = create_video(services=pg, user=ada, request=REQUEST).id
    closing, outcome = _closing(pg, ada)
    with pg.db.engine.connect() as admission:
        _take_wallet(admission, ada)
        closing.start()
        _until(_waits_on(admission))
        admission.execute(text("SELECT 1 FROM videos WHERE id = :id FOR KEY SHARE"), {"id": source})
        admission.rollback()
    closing.join(timeout=60)
    assert outcome == ["closed"]


def test_closing_an_account_takes_its_cameos_before_the_wallet(pg: Services) -> None:
    """An admission naming the user's own cameo reads it FOR SHARE, then takes the wallet;
    closing the account took the wallet, then the cameo to revoke it: a deadlock."""
    ada = make_account(pg).user
    create_video(services=pg, user=ada, request=REQUEST)  # the wallet's accounts exist
    cameo = make_cameo(pg, ada, "ada")
    closing, outcome = _closing(pg, ada)
    with pg.db.engine.connect() as admission:
        admission.execute(text("SELECT 1 FROM cameos WHERE id = :id FOR SHARE"), {"id": cameo.id})
        closing.start()
        _until(_waits_on(admission))
        _take_wallet(admission, ada)
        admission.rollback()
    closing.join(timeout=60)
    assert outcome == ["closed"]
