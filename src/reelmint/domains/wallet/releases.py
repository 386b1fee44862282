"""Releasing held shares (rights holders' licence-fee shares, creators' tips) from pending to
available once `rights_hold_days` have passed: the scan both releases share.

Each share waiting has a `HeldShare` row, written with its ledger entry. `due_shares` reads the
oldest ones past the cutoff with their pending posting, skipping rows another process is
releasing (SKIP LOCKED on PostgreSQL; SQLite serialises writers); the caller moves the units
(keyed per entry, so a repeat moves nothing) and `released` deletes the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from reelmint.domains.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting
from reelmint.domains.ledger.service import lock_accounts
from reelmint.domains.wallet.models import HeldShare


def hold_share(db: Session, entry: LedgerEntry) -> None:
    """Record that `entry`'s pending share waits for release (in the entry's transaction).
    Safe to repeat for a replayed entry: a row already there is kept. (Were the share released
    already, the row would be looked at once more and deleted: the release is keyed per entry,
    so it moves nothing twice.)"""
    table = HeldShare.__table__
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(
        insert(table)
        .values(entry_id=entry.id, kind=entry.kind, created_at=entry.created_at)
        .on_conflict_do_nothing(index_elements=[table.c.entry_id])
    )


def due_shares(
    db: Session,
    *,
    kind: str,
    pending_kinds: tuple[str, ...],
    cutoff: datetime,
    limit: int,
    unless: ColumnElement[bool] | None = None,
) -> list[tuple[LedgerEntry, LedgerPosting]]:
    """Entries of `kind` held since before `cutoff`, oldest first, with their posting to a
    pending account (one of `pending_kinds`); `unless` leaves out those it is true for (they
    stay held)."""
    query = (
        select(LedgerEntry, LedgerPosting)
        .join(HeldShare, HeldShare.entry_id == LedgerEntry.id)
        .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            HeldShare.kind == kind,
            HeldShare.created_at < cutoff,
            LedgerAccount.kind.in_(pending_kinds),
            LedgerPosting.amount > 0,  # the share put there (a move between two is one row)
        )
    )
    if unless is not None:
        query = query.where(~unless)
    query = query.order_by(HeldShare.created_at, HeldShare.entry_id).limit(limit)
    rows = db.execute(query.with_for_update(of=HeldShare, skip_locked=True))
    return [(entry, posting) for entry, posting in rows]


def payee_accounts(
    db: Session,
    due: list[tuple[LedgerEntry, LedgerPosting]],
    account_of: Callable[[str, bool], LedgerAccount],
) -> dict[tuple[str, bool], LedgerAccount]:
    """The pending and available accounts (`account_of(payee, available)`) of every payee in
    `due` (an entry's `reference`), locked all at once in id order, so two releases never
    lock one payee's accounts in opposite orders."""
    payees = sorted({entry.reference or "" for entry, _ in due})
    accounts = {
        (payee, available): account_of(payee, available)
        for payee in payees
        for available in (False, True)
    }
    lock_accounts(db=db, accounts=accounts.values())
    return accounts


def released(db: Session, entries: Iterable[LedgerEntry]) -> None:
    """The shares of `entries` were moved: they wait no more."""
    ids = [entry.id for entry in entries]
    if ids:
        db.execute(delete(HeldShare).where(HeldShare.entry_id.in_(ids)))


def in_debt(account: Any) -> ColumnElement[bool]:
    """`account` (the table or an alias of it) is a wallet's `owed` account with a debt."""
    return and_(account.kind == "owed", account.balance < 0)


def of_payers_owing_nothing(
    db: Session,
    due: list[tuple[LedgerEntry, LedgerPosting]],
    payer_of: Callable[[LedgerEntry], str | None],
) -> list[tuple[LedgerEntry, LedgerPosting]]:
    """`due` less the shares whose payer (`payer_of(entry)`: the tipper, the fan who paid a
    licence fee) owes, asked again with their wallets locked: a refund or dispute taking a
    payer's wallet as this runs is waited for and seen."""
    from reelmint.domains.wallet.service import lock_wallets

    payers = sorted({payer for entry, _ in due if (payer := payer_of(entry))})
    lock_wallets(db=db, user_ids=payers)
    owing = set(
        db.scalars(
            select(LedgerAccount.user_id).where(
                LedgerAccount.user_id.in_(payers), in_debt(LedgerAccount)
            )
        )
    )
    return [(entry, posting) for entry, posting in due if payer_of(entry) not in owing]
