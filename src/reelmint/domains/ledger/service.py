"""The ledger's operations: accounts, entries (transfers) and two-phase holds.

Every function works in the caller's write transaction, so whatever causes a movement (a job,
a purchase, a dispute) commits with it or not at all.

Concurrency: each operation first locks the accounts it touches, in one global order (by id),
with `SELECT ... FOR UPDATE` on PostgreSQL (SQLite serialises writers with BEGIN IMMEDIATE).
The idempotency check comes after the locks, so two transactions replaying one key for the
same account serialise and the second sees the first's entry rather than a duplicate-key error.

Idempotency: an entry or hold carries a unique key and a fingerprint of what it does. Replaying
a key with the same content returns the original; with different content it is refused
(`idempotency_key_reused`), since the caller has confused two operations.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, Table, func, select
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from reelmint.db.base import new_id, utcnow
from reelmint.db.facts import CommittedFacts
from reelmint.domains.ledger.models import LedgerAccount, LedgerEntry, LedgerHold, LedgerPosting
from reelmint.errors import BadRequest, Conflict, PaymentRequired

MAX_KEY_CHARS = 200
R = TypeVar("R", LedgerEntry, LedgerHold)
# Account ids by code: accounts are never deleted nor renamed, so once seen committed an id
# needs no query again (the admission path names a platform account in every hold).
_ACCOUNT_IDS: CommittedFacts[str] = CommittedFacts()
# Keys of entries seen committed: entries are append-only, so one recorded stays recorded.
_RECORDED: CommittedFacts[bool] = CommittedFacts()


class InsufficientUnits(PaymentRequired):
    """An account would go below zero available units."""

    code = "insufficient_credits"


@dataclass(frozen=True)
class Leg:
    """One side of a transfer: `amount` is added to `account` (negative takes away)."""

    account: LedgerAccount
    amount: int


# --- accounts ---------------------------------------------------------------------------------


def ensure_account(
    *,
    db: Session,
    code: str,
    kind: str,
    user_id: str | None = None,
    allow_negative: bool = False,
) -> LedgerAccount:
    """The account named `code`, created if missing (safely under concurrency)."""
    existing = db.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    if existing is not None:
        return existing
    now = utcnow()
    db.execute(
        _insert(db, LedgerAccount)
        .values(
            id=new_id("acct"),
            code=code,
            kind=kind,
            user_id=user_id,
            allow_negative=allow_negative,
            balance=0,
            reserved=0,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["code"])
    )
    account = db.scalar(select(LedgerAccount).where(LedgerAccount.code == code))
    assert account is not None
    return account


def platform_account(*, db: Session, name: str) -> LedgerAccount:
    """A platform account (`platform:<name>`); these may go negative (they issue units)."""
    return ensure_account(db=db, code=f"platform:{name}", kind=name, allow_negative=True)


def platform_account_id(*, db: Session, name: str) -> str:
    """The id of `platform_account(name)`, without a query once this process has seen it."""
    code = f"platform:{name}"
    known = _ACCOUNT_IDS.get(db, code)
    if known is None:
        known = platform_account(db=db, name=name).id
        _ACCOUNT_IDS.learn(db, code, known)
    return known


def lock_accounts(*, db: Session, accounts: Iterable[LedgerAccount]) -> list[LedgerAccount]:
    """Lock the accounts (in id order, so that no two transactions deadlock) and refresh them.

    An account already locked in this transaction is not locked again: the lock holds until
    commit and every change since went through this session, so its object is current. The
    lock is PostgreSQL's FOR NO KEY UPDATE (a balance changes, never a key): rows that name a
    locked account, such as a new hold naming its credit account, are not held up by it.
    """
    wanted = {account.id: account for account in accounts}
    held = _held_locks(db)
    missing = sorted(set(wanted) - held)
    if missing:
        db.flush()  # changes made before the lock are kept, not overwritten by the refresh
        db.scalars(
            select(LedgerAccount)
            .where(LedgerAccount.id.in_(missing))
            .order_by(LedgerAccount.id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        ).all()
        held.update(missing)
    return [wanted[key] for key in sorted(wanted)]


def lock_accounts_by_code(*, db: Session, codes: Iterable[str]) -> list[LedgerAccount]:
    """Lock the accounts with these codes in one query (id order); the ones that exist."""
    db.flush()
    found = db.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.code.in_(sorted(set(codes))))
        .order_by(LedgerAccount.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    _held_locks(db).update(account.id for account in found)
    return list(found)


def _held_locks(db: Session) -> set[str]:
    """Ids of the accounts this session's current transaction has locked."""
    transaction = db.get_transaction()
    mark, held = db.info.get("ledger_locks", (None, set()))
    if mark is not transaction:
        held = set()
        db.info["ledger_locks"] = (transaction, held)
    return held


# --- entries ----------------------------------------------------------------------------------


def transfer(
    *,
    db: Session,
    key: str,
    legs: Sequence[Leg],
    kind: str,
    reason: str,
    user_id: str | None = None,
    video_id: str | None = None,
    hold_id: str | None = None,
    reference: str | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Record one balanced entry, once per `key`; a replay returns the original entry. `now`
    is when it happens (its `created_at`; the caller's clock, as for holds).

    Raises InsufficientUnits when a non-negative account would drop below zero available
    units (balance minus reserved), and BadRequest for an unbalanced or empty entry.
    """
    _check_key(key)
    _check_legs(legs)
    lock_accounts(db=db, accounts=[leg.account for leg in legs])
    fingerprint = _fingerprint(kind, [(leg.account.id, leg.amount) for leg in legs])
    existing = db.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    if existing is not None:
        return _replayed(existing, fingerprint, key)
    for leg in legs:
        _require_available(leg.account, -leg.amount)
    entry = _new_entry(
        db,
        idempotency_key=key,
        fingerprint=fingerprint,
        kind=kind,
        reason=reason,
        user_id=user_id,
        video_id=video_id,
        hold_id=hold_id,
        reference=reference,
        created_at=now or utcnow(),
    )
    _apply(db, entry, legs)
    return entry


def record_marker(
    *,
    db: Session,
    key: str,
    kind: str,
    reason: str,
    user_id: str | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Record an entry that moves nothing, once per `key` (a replay returns it): that a step
    happened whose amount was zero (a quota day that gives 0 units), for what looks for its
    key. It has no postings, so balances, statements and `check_ledger` never see it."""
    _check_key(key)
    fingerprint = _fingerprint(kind, [])
    existing = db.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))
    if existing is not None:
        return _replayed(existing, fingerprint, key)
    return _new_entry(
        db,
        idempotency_key=key,
        fingerprint=fingerprint,
        kind=kind,
        reason=reason,
        user_id=user_id,
        created_at=now or utcnow(),
    )


def _new_entry(db: Session, **fields: Any) -> LedgerEntry:
    """Insert an entry row (its postings, if any, come after)."""
    entry = LedgerEntry(id=new_id("ent"), **fields)
    db.add(entry)
    db.flush()
    return entry


def find_entry(*, db: Session, key: str) -> LedgerEntry | None:
    return db.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def entry_recorded(*, db: Session, key: str) -> bool:
    """Whether an entry with `key` exists; no query once this process has seen it committed
    (asked on every admission of the day's quota grant)."""
    if _RECORDED.get(db, key):
        return True
    if db.scalar(select(LedgerEntry.id).where(LedgerEntry.idempotency_key == key)) is None:
        return False
    _RECORDED.learn(db, key, True)
    return True


def _apply(db: Session, entry: LedgerEntry, legs: Sequence[Leg]) -> None:
    for leg in legs:
        leg.account.balance += leg.amount
        db.add(
            LedgerPosting(
                entry_id=entry.id,
                account_id=leg.account.id,
                amount=leg.amount,
                balance_after=leg.account.balance,
                created_at=entry.created_at,
            )
        )
    db.flush()


def _check_legs(legs: Sequence[Leg]) -> None:
    if len(legs) < 2:
        raise BadRequest("an entry needs at least two postings", code="unbalanced_entry")
    if any(leg.amount == 0 for leg in legs):
        raise BadRequest("a posting cannot be zero", code="unbalanced_entry")
    if sum(leg.amount for leg in legs) != 0:
        raise BadRequest("an entry's postings must sum to zero", code="unbalanced_entry")
    if len({leg.account.id for leg in legs}) != len(legs):
        raise BadRequest("an entry names an account twice", code="unbalanced_entry")


def _require_available(account: LedgerAccount, amount: int) -> None:
    """Refuse taking `amount` from an account that cannot go negative and lacks it."""
    if amount > 0 and not account.allow_negative and account.available < amount:
        raise InsufficientUnits(
            f"{account.code} has {account.available} units available, {amount} are needed"
        )


# --- holds ------------------------------------------------------------------------------------


def reserve(
    *,
    db: Session,
    key: str,
    debit: LedgerAccount,
    credit_id: str,
    amount: int,
    kind: str,
    reason: str,
    expires_at: datetime | None,
    user_id: str | None = None,
    video_id: str | None = None,
    now: datetime | None = None,
) -> LedgerHold:
    """Reserve `amount` on `debit` for the account `credit_id`, once per `key`: the first phase.

    Refused (InsufficientUnits) without writing anything when `debit` lacks the units, unless
    the key was used before: a replay returns the original hold whatever the balance is now.
    With `expires_at` None the hold never lapses: its owner posts or voids it, however late.
    `now` is when it is placed (its `created_at`), the caller's clock as for `expires_at`.
    """
    _check_key(key)
    if amount <= 0:
        raise BadRequest("a hold must reserve a positive amount", code="invalid_amount")
    if debit.id == credit_id:
        raise BadRequest("a hold needs two different accounts", code="unbalanced_entry")
    # Only the debit account changes now; the credit account (often a busy platform account)
    # is locked when the hold is posted, so admissions of different users never queue here
    # (the hold's foreign key to it needs only a KEY SHARE lock, which FOR NO KEY UPDATE
    # lets through).
    lock_accounts(db=db, accounts=[debit])
    fingerprint = _fingerprint(kind, [(debit.id, -amount), (credit_id, amount)])
    try:
        _require_available(debit, amount)
    except InsufficientUnits:
        existing = _hold_by_key(db, key)
        if existing is None:
            raise
        return _replayed(existing, fingerprint, key)
    values = {
        "id": new_id("hold"),
        "idempotency_key": key,
        "fingerprint": fingerprint,
        "debit_account_id": debit.id,
        "credit_account_id": credit_id,
        "amount": amount,
        "posted_amount": 0,
        "status": "pending",
        "kind": kind,
        "reason": reason,
        "user_id": user_id,
        "video_id": video_id,
        "expires_at": expires_at,
        "resolved_at": None,
        "resolution": None,
        "entry_id": None,
        "created_at": now or utcnow(),
    }
    # A new key (the usual case) costs one statement: the insert. A used one inserts nothing
    # and the original is read back (the debit lock above serialises replays of one key).
    holds = LedgerHold.__table__
    inserted = db.execute(
        _insert(db, holds)
        .on_conflict_do_nothing(index_elements=[holds.c.idempotency_key])
        .returning(holds.c.id),
        values,
    ).scalar()
    if inserted is None:
        existing = _hold_by_key(db, key)
        assert existing is not None
        return _replayed(existing, fingerprint, key)
    debit.reserved += amount
    return _attached(db, LedgerHold(**values))


def _hold_by_key(db: Session, key: str) -> LedgerHold | None:
    return db.scalar(select(LedgerHold).where(LedgerHold.idempotency_key == key))


def _attached(db: Session, row: LedgerHold) -> LedgerHold:
    """`row`, just inserted with every column given, as a persistent object of the session
    (no query to load it back)."""
    make_transient_to_detached(row)
    db.add(row)
    return row


def _insert(db: Session, into: type[LedgerAccount] | Table) -> PgInsert | SqliteInsert:
    """The dialect's INSERT into `into`, which knows ON CONFLICT."""
    if db.get_bind().dialect.name == "postgresql":
        return pg_insert(into)
    return sqlite_insert(into)


def post_hold(
    *, db: Session, hold: LedgerHold, reason: str, amount: int | None = None
) -> LedgerEntry | None:
    """Second phase: move `amount` (default: all) of a pending hold; release the rest.

    Exactly once: a hold already posted returns its entry; one voided or expired is refused
    (its units went back). Posting zero releases everything and records no entry.
    """
    hold, debit, credit = _lock_hold(db, hold)
    if hold.status == "posted":
        return db.get(LedgerEntry, hold.entry_id) if hold.entry_id else None
    if hold.status != "pending":
        raise Conflict(f"hold {hold.id} was already {hold.status}", code="hold_resolved")
    amount = hold.amount if amount is None else amount
    if not 0 <= amount <= hold.amount:
        raise BadRequest(f"a hold of {hold.amount} cannot post {amount}", code="invalid_amount")
    debit.reserved -= hold.amount
    entry = None
    if amount:
        entry = transfer(
            db=db,
            key=f"post:{hold.idempotency_key}"[:MAX_KEY_CHARS],
            legs=[Leg(debit, -amount), Leg(credit, amount)],
            kind=hold.kind,
            reason=reason,
            user_id=hold.user_id,
            video_id=hold.video_id,
            hold_id=hold.id,
        )
    _resolve(hold, "posted", reason, posted=amount, entry=entry)
    db.flush()
    return entry


def void_hold(*, db: Session, hold: LedgerHold, reason: str, status: str = "voided") -> LedgerHold:
    """Second phase: give the reserved units back. Exactly once; a posted hold is refused."""
    hold, debit = _lock_hold_debit(db, hold)
    if hold.status in ("voided", "expired"):
        return hold
    if hold.status != "pending":
        raise Conflict(f"hold {hold.id} was already {hold.status}", code="hold_resolved")
    debit.reserved -= hold.amount
    _resolve(hold, status, reason, posted=0, entry=None)
    db.flush()
    return hold


def due_holds(now: datetime) -> Select[tuple[LedgerHold]]:
    """Pending holds whose time is up, oldest first (narrow it further before expiring); a
    hold without an expiry is never due (NULL compares as unknown)."""
    return (
        select(LedgerHold)
        .where(LedgerHold.status == "pending", LedgerHold.expires_at < now)
        .order_by(LedgerHold.expires_at)
    )


def expire_holds(
    *,
    db: Session,
    now: datetime | None = None,
    limit: int = 500,
    due: Select[tuple[LedgerHold]] | None = None,
) -> list[str]:
    """Expire pending holds whose time is up (`due`, default all of them: their reservation
    lapses); return their ids. Rows other transactions are expiring are skipped."""
    now = now or utcnow()
    query = due if due is not None else due_holds(now)
    held = db.scalars(query.limit(limit).with_for_update(of=LedgerHold, skip_locked=True)).all()
    for hold in held:
        void_hold(db=db, hold=hold, reason="the reservation timed out", status="expired")
    return [hold.id for hold in held]


def _lock_hold(db: Session, hold: LedgerHold) -> tuple[LedgerHold, LedgerAccount, LedgerAccount]:
    """Lock the hold's accounts (in the global order), then the hold itself, refreshed."""
    debit = db.get(LedgerAccount, hold.debit_account_id)
    credit = db.get(LedgerAccount, hold.credit_account_id)
    assert debit is not None
    assert credit is not None
    lock_accounts(db=db, accounts=[debit, credit])
    return _locked(db, hold), debit, credit


def _lock_hold_debit(db: Session, hold: LedgerHold) -> tuple[LedgerHold, LedgerAccount]:
    """Lock the hold's debit account, then the hold, refreshed: enough to give the units back.
    The credit account, often a platform account every settlement posts to, is left alone."""
    debit = db.get(LedgerAccount, hold.debit_account_id)
    assert debit is not None
    lock_accounts(db=db, accounts=[debit])
    return _locked(db, hold), debit


def _locked(db: Session, hold: LedgerHold) -> LedgerHold:
    locked = db.scalar(
        select(LedgerHold)
        .where(LedgerHold.id == hold.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert locked is not None
    return locked


def _resolve(
    hold: LedgerHold, status: str, reason: str, *, posted: int, entry: LedgerEntry | None
) -> None:
    hold.status = status
    hold.posted_amount = posted
    hold.resolution = reason
    hold.resolved_at = utcnow()
    hold.entry_id = entry.id if entry else None


# --- checking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discrepancy:
    """Something the recomputation found that the stored figures disagree with."""

    subject: str
    what: str
    stored: int
    computed: int

    def __str__(self) -> str:
        return f"{self.subject}: {self.what} is {self.stored}, recomputed {self.computed}"


def check_ledger(*, db: Session) -> list[Discrepancy]:
    """Recompute balances and reservations from postings and holds; list every difference."""
    found: list[Discrepancy] = []
    sums = dict(
        db.execute(
            select(LedgerPosting.account_id, func.sum(LedgerPosting.amount)).group_by(
                LedgerPosting.account_id
            )
        ).all()
    )
    pending = dict(
        db.execute(
            select(LedgerHold.debit_account_id, func.sum(LedgerHold.amount))
            .where(LedgerHold.status == "pending")
            .group_by(LedgerHold.debit_account_id)
        ).all()
    )
    accounts = select(LedgerAccount).order_by(LedgerAccount.code)
    for account in db.scalars(accounts.execution_options(populate_existing=True)):
        balance, reserved = int(sums.get(account.id) or 0), int(pending.get(account.id) or 0)
        if account.balance != balance:
            found.append(Discrepancy(account.code, "balance", account.balance, balance))
        if account.reserved != reserved:
            found.append(Discrepancy(account.code, "reserved", account.reserved, reserved))
        if not account.allow_negative and account.balance - account.reserved < 0:
            found.append(
                Discrepancy(account.code, "available", account.balance - account.reserved, 0)
            )
    unbalanced = db.execute(
        select(LedgerPosting.entry_id, func.sum(LedgerPosting.amount))
        .group_by(LedgerPosting.entry_id)
        .having(func.sum(LedgerPosting.amount) != 0)
    ).all()
    found.extend(Discrepancy(f"entry {e}", "sum of postings", int(s), 0) for e, s in unbalanced)
    return found


# --- helpers ----------------------------------------------------------------------------------


def _check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_CHARS:
        raise BadRequest(
            f"an idempotency key must have 1 to {MAX_KEY_CHARS} characters",
            code="invalid_idempotency_key",
        )


def _fingerprint(kind: str, legs: Iterable[tuple[str, int]]) -> str:
    data = json.dumps([kind, sorted(legs)], separators=(",", ":"))
    return hashlib.sha256(data.encode()).hexdigest()


def _replayed(existing: R, fingerprint: str, key: str) -> R:
    if existing.fingerprint != fingerprint:
        raise Conflict(
            f"idempotency key {key!r} was already used for a different ledger operation",
            code="idempotency_key_reused",
        )
    return existing
