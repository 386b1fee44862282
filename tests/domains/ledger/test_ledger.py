"""The ledger's operations on SQLite and PostgreSQL: entries, holds, idempotency, checking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from reelmint.db.base import utcnow
from reelmint.domains.ledger.models import LedgerAccount, LedgerHold, LedgerPosting
from reelmint.domains.ledger.service import (
    InsufficientUnits,
    Leg,
    check_ledger,
    ensure_account,
    entry_recorded,
    expire_holds,
    platform_account,
    platform_account_id,
    post_hold,
    reserve,
    transfer,
    void_hold,
)
from reelmint.errors import BadRequest, Conflict


@pytest.fixture
def db(services_on):
    with services_on.db.write() as session:
        yield session


def wallet(db, name="ada"):
    return ensure_account(db=db, code=f"user:{name}:purchased", kind="purchased")


def fund(db, account, units, key="fund"):
    source = platform_account(db=db, name="sales")
    return transfer(
        db=db, key=key, legs=[Leg(source, -units), Leg(account, units)], kind="grant", reason="r"
    )


def hold(db, account, units, key="h1", **kwargs):
    kwargs.setdefault("expires_at", utcnow() + timedelta(hours=1))
    return reserve(
        db=db,
        key=key,
        debit=account,
        credit_id=platform_account(db=db, name="revenue").id,
        amount=units,
        kind="spend",
        reason="video",
        **kwargs,
    )


def test_a_transfer_moves_units_and_records_balanced_postings(db):
    account = wallet(db)
    entry = fund(db, account, 10)
    assert account.balance == 10
    assert platform_account(db=db, name="sales").balance == -10
    postings = db.scalars(select(LedgerPosting).where(LedgerPosting.entry_id == entry.id)).all()
    assert sorted(p.amount for p in postings) == [-10, 10]
    assert {p.balance_after for p in postings} == {10, -10}
    assert check_ledger(db=db) == []


def test_replaying_a_key_returns_the_original_and_moves_nothing(db):
    account = wallet(db)
    first = fund(db, account, 10)
    again = fund(db, account, 10)
    assert again.id == first.id
    assert account.balance == 10
    assert db.scalar(select(func.count()).select_from(LedgerPosting)) == 2


def test_the_same_key_for_a_different_movement_is_refused(db):
    account = wallet(db)
    fund(db, account, 10)
    with pytest.raises(Conflict) as refused:
        fund(db, account, 11)
    assert refused.value.code == "idempotency_key_reused"
    assert account.balance == 10


@pytest.mark.parametrize(
    "amounts", [(5, -4), (0, 0), (3,)], ids=["unbalanced", "zero", "one-sided"]
)
def test_unbalanced_entries_are_refused(db, amounts):
    accounts = [wallet(db, "a"), platform_account(db=db, name="sales")]
    legs = [Leg(accounts[i], amount) for i, amount in enumerate(amounts)]
    with pytest.raises(BadRequest) as refused:
        transfer(db=db, key="k", legs=legs, kind="x", reason="r")
    assert refused.value.code == "unbalanced_entry"


def test_a_wallet_never_goes_below_zero(db):
    account = wallet(db)
    fund(db, account, 3)
    with pytest.raises(InsufficientUnits):
        transfer(
            db=db,
            key="spend",
            legs=[Leg(account, -4), Leg(platform_account(db=db, name="revenue"), 4)],
            kind="spend",
            reason="r",
        )
    assert account.balance == 3


def test_a_hold_reserves_then_posts_once(db):
    account = wallet(db)
    fund(db, account, 5)
    pending = hold(db, account, 3)
    assert (account.balance, account.reserved, account.available) == (5, 3, 2)
    entry = post_hold(db=db, hold=pending, reason="delivered")
    assert entry is not None
    assert (account.balance, account.reserved) == (2, 0)
    assert platform_account(db=db, name="revenue").balance == 3
    assert post_hold(db=db, hold=pending, reason="delivered").id == entry.id  # exactly once
    assert account.balance == 2
    assert check_ledger(db=db) == []


def test_a_hold_posts_partially_and_releases_the_rest(db):
    account = wallet(db)
    fund(db, account, 5)
    pending = hold(db, account, 4)
    post_hold(db=db, hold=pending, reason="2 of 4 shots", amount=2)
    assert (account.balance, account.reserved) == (3, 0)
    assert (pending.status, pending.posted_amount) == ("posted", 2)


def test_a_voided_hold_gives_everything_back_and_cannot_be_posted(db):
    account = wallet(db)
    fund(db, account, 5)
    pending = hold(db, account, 5)
    void_hold(db=db, hold=pending, reason="refund: failed")
    assert (account.balance, account.reserved, pending.status) == (5, 0, "voided")
    assert void_hold(db=db, hold=pending, reason="again").status == "voided"  # exactly once
    assert account.reserved == 0
    with pytest.raises(Conflict) as refused:
        post_hold(db=db, hold=pending, reason="late")
    assert refused.value.code == "hold_resolved"


def test_a_posted_hold_cannot_be_voided(db):
    account = wallet(db)
    fund(db, account, 5)
    pending = hold(db, account, 2)
    post_hold(db=db, hold=pending, reason="ok")
    with pytest.raises(Conflict):
        void_hold(db=db, hold=pending, reason="late")
    assert account.balance == 3


def test_holds_cannot_reserve_more_than_is_available(db):
    account = wallet(db)
    fund(db, account, 5)
    hold(db, account, 4, key="a")
    with pytest.raises(InsufficientUnits):
        hold(db, account, 2, key="b")
    assert account.reserved == 4
    assert db.scalar(select(func.count()).select_from(LedgerHold)) == 1


def test_replaying_a_hold_key_returns_it_and_different_content_is_refused(db):
    account = wallet(db)
    fund(db, account, 5)
    first = hold(db, account, 2)
    assert hold(db, account, 2).id == first.id
    assert account.reserved == 2
    with pytest.raises(Conflict):
        hold(db, account, 3)


def test_holds_past_their_time_expire(db):
    account = wallet(db)
    fund(db, account, 5)
    now = utcnow()
    old = hold(db, account, 2, key="old", expires_at=now - timedelta(seconds=1))
    fresh = hold(db, account, 1, key="fresh", expires_at=now + timedelta(hours=1))
    assert expire_holds(db=db, now=now) == [old.id]
    assert (old.status, fresh.status, account.reserved) == ("expired", "pending", 1)


def test_a_hold_without_an_expiry_is_never_due_and_its_owner_settles_it(db):
    account = wallet(db)
    fund(db, account, 5)
    waiting = hold(db, account, 2, key="waits", expires_at=None)
    far = utcnow() + timedelta(days=365 * 500)
    assert expire_holds(db=db, now=far) == []
    assert (waiting.status, account.reserved) == ("pending", 2)
    assert void_hold(db=db, hold=waiting, reason="cancelled").status == "voided"
    assert account.reserved == 0


def test_the_check_finds_a_tampered_balance(db):
    account = wallet(db)
    fund(db, account, 5)
    db.flush()
    db.execute(
        LedgerAccount.__table__.update()
        .where(LedgerAccount.id == account.id)
        .values(balance=account.balance + 1, reserved=2)
    )
    found = {(d.subject, d.what, d.stored, d.computed) for d in check_ledger(db=db)}
    assert (account.code, "balance", 6, 5) in found
    assert (account.code, "reserved", 2, 0) in found


def test_ensure_account_returns_the_same_account(db):
    assert wallet(db).id == wallet(db).id


def test_a_hold_replayed_after_its_units_are_gone_returns_the_original(db):
    account = wallet(db)
    fund(db, account, 3)
    first = hold(db, account, 3)
    assert account.available == 0
    assert hold(db, account, 3).id == first.id  # not refused: the key was used
    assert account.reserved == 3
    with pytest.raises(InsufficientUnits):
        hold(db, account, 3, key="another")


def _statements(services) -> list[str]:
    seen: list[str] = []
    event.listen(services.db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_platform_account_id_needs_no_query_once_committed(services_on):
    with services_on.db.write() as db:
        created = platform_account_id(db=db, name="revenue")
    seen = _statements(services_on)
    with services_on.db.write() as db:
        assert platform_account_id(db=db, name="revenue") == created
    assert not [s for s in seen if "ledger_accounts" in s]


def _in_failed_transaction(services, work):
    """What `work(db)` returned in a write transaction that then failed (rolled back)."""
    done = []

    def run():
        with services.db.write() as db:
            done.append(work(db))
            raise RuntimeError("the transaction fails")

    with pytest.raises(RuntimeError):
        run()
    return done[0]


def test_a_platform_account_made_in_a_rolled_back_transaction_is_not_remembered(services_on):
    lost = _in_failed_transaction(
        services_on, lambda db: platform_account_id(db=db, name="revenue")
    )
    with services_on.db.write() as db:
        made = platform_account_id(db=db, name="revenue")
        assert made != lost
        assert db.get(LedgerAccount, made) is not None


def test_a_recorded_entry_is_known_without_a_query_and_a_rolled_back_one_is_not(services_on):
    def grant(db):
        fund(db, wallet(db), 5, key="quota:ada:2026-11-22")
        return entry_recorded(db=db, key="quota:ada:2026-11-22")

    assert _in_failed_transaction(services_on, grant)
    with services_on.db.write() as db:
        assert not entry_recorded(db=db, key="quota:ada:2026-11-22")
        fund(db, wallet(db), 5, key="quota:ada:2026-11-22")
    with services_on.db.write() as db:
        assert entry_recorded(db=db, key="quota:ada:2026-11-22")  # read once, and learnt
    seen = _statements(services_on)
    with services_on.db.write() as db:
        assert entry_recorded(db=db, key="quota:ada:2026-11-22")
    assert not [s for s in seen if "ledger_entries" in s]
