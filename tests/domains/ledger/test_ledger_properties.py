"""Random sequences of ledger operations (hypothesis): the invariants hold after every one.

Invariants: every entry sums to zero; each account's balance is the sum of its postings and
its reservation the sum of its pending holds (`check_ledger` is empty); no wallet's available
units go below zero; and the balances equal those of a simple model kept beside the ledger.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelmint.db.base import utcnow
from reelmint.domains.ledger.service import (
    InsufficientUnits,
    Leg,
    check_ledger,
    ensure_account,
    expire_holds,
    platform_account,
    post_hold,
    reserve,
    transfer,
    void_hold,
)

WALLETS = 3
operation = st.one_of(
    st.tuples(st.just("fund"), st.integers(0, WALLETS - 1), st.integers(1, 20)),
    st.tuples(st.just("spend"), st.integers(0, WALLETS - 1), st.integers(1, 20)),
    st.tuples(st.just("move"), st.integers(0, WALLETS - 1), st.integers(1, 20)),
    st.tuples(st.just("hold"), st.integers(0, WALLETS - 1), st.integers(1, 20)),
    st.tuples(st.just("post"), st.integers(0, 30), st.integers(0, 20)),
    st.tuples(st.just("void"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("expire"), st.integers(0, 30), st.just(0)),
    st.tuples(st.just("replay"), st.integers(0, 30), st.just(0)),
)
_runs = itertools.count()


@dataclass
class Model:
    balance: list[int] = field(default_factory=lambda: [0] * WALLETS)
    reserved: list[int] = field(default_factory=lambda: [0] * WALLETS)
    holds: list[tuple[object, int, int]] = field(default_factory=list)  # hold, wallet, amount
    entries: list[tuple[str, list[Leg]]] = field(default_factory=list)

    def available(self, i: int) -> int:
        return self.balance[i] - self.reserved[i]


def run(db, ops) -> None:
    prefix = f"run{next(_runs)}"
    wallets = [
        ensure_account(db=db, code=f"{prefix}:w{i}", kind="purchased") for i in range(WALLETS)
    ]
    source = platform_account(db=db, name=f"{prefix}-source")
    sink = platform_account(db=db, name=f"{prefix}-sink")
    model = Model()
    now = utcnow()
    for step, (name, a, b) in enumerate(ops):
        key = f"{prefix}:{step}"
        if name == "fund":
            legs = [Leg(source, -b), Leg(wallets[a], b)]
            transfer(db=db, key=key, legs=legs, kind="fund", reason="r")
            model.entries.append((key, legs))
            model.balance[a] += b
        elif name in ("spend", "move"):
            target = sink if name == "spend" else wallets[(a + 1) % WALLETS]
            legs = [Leg(wallets[a], -b), Leg(target, b)]
            if model.available(a) < b:
                try:
                    transfer(db=db, key=key, legs=legs, kind=name, reason="r")
                except InsufficientUnits:
                    continue
                raise AssertionError("an overdraft was allowed")
            transfer(db=db, key=key, legs=legs, kind=name, reason="r")
            model.entries.append((key, legs))
            model.balance[a] -= b
            if name == "move":
                model.balance[(a + 1) % WALLETS] += b
        elif name == "hold":
            expires = now + timedelta(hours=1 if step % 3 else -1)
            try:
                held = reserve(
                    db=db,
                    key=key,
                    debit=wallets[a],
                    credit_id=sink.id,
                    amount=b,
                    kind="spend",
                    reason="r",
                    expires_at=expires,
                )
            except InsufficientUnits:
                assert model.available(a) < b
                continue
            model.holds.append((held, a, b))
            model.reserved[a] += b
        elif model.holds:
            held, i, amount = model.holds[a % len(model.holds)]
            was_pending = held.status == "pending"
            if name == "post" and was_pending:
                posted = min(b, amount)
                post_hold(db=db, hold=held, reason="r", amount=posted)
                model.reserved[i] -= amount
                model.balance[i] -= posted
            elif name == "void" and was_pending:
                void_hold(db=db, hold=held, reason="r")
                model.reserved[i] -= amount
            elif name == "expire":
                for hold_id in expire_holds(db=db, now=now):
                    for other, j, units in model.holds:
                        if other.id == hold_id:
                            model.reserved[j] -= units
            elif name == "replay" and model.entries:
                old_key, legs = model.entries[a % len(model.entries)]
                transfer(db=db, key=old_key, legs=legs, kind=_kind(db, old_key), reason="r")
        assert check_ledger(db=db) == []
        for i, account in enumerate(wallets):
            assert (account.balance, account.reserved) == (model.balance[i], model.reserved[i])
            assert account.available >= 0


def _kind(db, key):
    from reelmint.domains.ledger.service import find_entry

    return find_entry(db=db, key=key).kind


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=25))
def test_ledger_invariants_hold_over_random_operations(services_on, ops):
    with services_on.db.write() as db:
        run(db, ops)
