"""Facts about rows that never change once committed, remembered per database.

Some lookups on the admission path ask the same question of the same immutable rows again and
again: which id the account `platform:quota_spent` has (accounts are never deleted nor renamed),
whether today's quota grant for a user was recorded (ledger entries are append-only). A
`CommittedFacts` keeps the answers in this process so the next transaction needs no query.

A fact is learnt only when the transaction that saw it commits: something read or written in a
transaction (or a savepoint) that then rolls back is never remembered, so a rolled-back write
cannot leave an answer behind that the database does not hold. Facts are kept per connection
pool (one per database), and each store holds at most `limit` of them (it starts afresh when
full).
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

V = TypeVar("V")
_PENDING = "committed_facts_pending"


class CommittedFacts(Generic[V]):
    """What this process has seen committed about rows that never change: key -> value."""

    def __init__(self, *, limit: int = 100_000) -> None:
        self.limit = limit
        self._stores: WeakKeyDictionary[Any, dict[str, V]] = WeakKeyDictionary()

    def get(self, db: Session, key: str) -> V | None:
        """The value remembered for `key` in the session's database, if any."""
        store = self._stores.get(db.get_bind().pool)
        return None if store is None else store.get(key)

    def learn(self, db: Session, key: str, value: V) -> None:
        """Remember `key` -> `value` once the session's transaction commits (never before)."""
        where = db.get_nested_transaction() or db.get_transaction()
        db.info.setdefault(_PENDING, []).append((where, self, db.get_bind().pool, key, value))

    def _keep(self, pool: Any, key: str, value: V) -> None:
        store = self._stores.setdefault(pool, {})
        if len(store) >= self.limit:
            store.clear()
        store[key] = value


@event.listens_for(Session, "after_commit")
def _remember(session: Session) -> None:
    """Keep what the committing transaction learnt (a session closed without committing
    leaves facts of an earlier transaction behind: those are dropped here)."""
    committed = session.get_transaction()
    for where, facts, pool, key, value in session.info.pop(_PENDING, ()):
        if committed is not None and _within(where, committed):
            facts._keep(pool, key, value)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    """Drop what was learnt in the transaction or savepoint that rolled back (or inside it)."""
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [
            fact for fact in pending if not _within(fact[0], previous_transaction)
        ]


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
