"""Payouts: asked for once per key, units set aside by a hold, settled exactly once (paid,
rejected or cancelled), authorised in the service; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from payout_helpers import admin, creator_with_tips, fund, holder_with_earnings
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import Organisation
from reelmint.domains.accounts.service import OPERATOR
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import check_ledger, platform_account
from reelmint.domains.notifications.models import Notification
from reelmint.domains.payouts import service
from reelmint.domains.payouts.models import Payout
from reelmint.domains.wallet.service import earnings_account, statement
from reelmint.domains.wallet.tips import Tips, tips_account, tips_of
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound, ServiceError
from reelmint.housekeeping import expire_finished_holds
from support import at_once, join_organisation, make_account, make_services


def ask(services, actor, units: int, key: str = "k1", **kwargs):
    with services.db.write() as db:
        return service.request_payout(
            db=db, settings=services.settings, actor=actor, units=units, key=key, **kwargs
        )


def test_a_creator_asks_once_and_the_units_are_set_aside(services_on):
    maker = creator_with_tips(services_on, 100)
    root = admin(services_on)
    payout = ask(services_on, maker.user, 60, note="PayPal: maker@example.com")
    assert (payout.status, payout.units, payout.cents, payout.currency) == (
        "requested",
        60,
        60 * 40,
        "usd",
    )
    assert (payout.payee_kind, payout.payee_id, payout.requested_by) == (
        "creator",
        maker.user.id,
        maker.user.id,
    )
    again = ask(services_on, maker.user, 60, note="PayPal: maker@example.com")
    assert again.id == payout.id  # a retry with the key asks once
    with services_on.db.read() as db:
        assert tips_of(db=db, user_id=maker.user.id) == Tips(pending=0, available=40, in_payout=60)
        told = db.scalars(select(Notification).where(Notification.user_id == root.user.id)).all()
        assert check_ledger(db=db) == []
    assert [(n.kind, n.title) for n in told] == [
        ("payout_requested", "Payout of 24.00 USD requested")
    ]
    with pytest.raises(Conflict) as reused:
        ask(services_on, maker.user, 30)  # the same key for another amount
    assert reused.value.code == "idempotency_key_reused"


def test_more_than_available_or_below_the_minimum_is_refused_and_changes_nothing(services_on):
    maker = creator_with_tips(services_on, 30)
    with pytest.raises(Conflict) as short:
        ask(services_on, maker.user, 31)
    assert short.value.code == "insufficient_earnings"
    assert "has 30" in short.value.message
    with pytest.raises(BadRequest) as small:
        ask(services_on, maker.user, 24, key="k2")
    assert small.value.code == "invalid_units"
    assert "at least 25" in small.value.message
    with pytest.raises(BadRequest) as note:
        ask(services_on, maker.user, 25, key="k3", note="x" * 501)
    assert note.value.code == "invalid_note"
    with services_on.db.read() as db:
        assert db.scalars(select(Payout)).all() == []
        assert tips_of(db=db, user_id=maker.user.id) == Tips(pending=0, available=30)


def test_marked_paid_once_posts_the_units_and_tells_the_payee(services_on):
    maker = creator_with_tips(services_on, 100)
    payout = ask(services_on, maker.user, 50)
    with services_on.db.write() as db:
        paid = service.mark_paid(db=db, actor=OPERATOR, payout_id=payout.id, reference="  wire 7 ")
        assert (paid.status, paid.reference, paid.settled_by) == ("paid", "wire 7", "operator")
    with services_on.db.write() as db:  # again, the same reference: a retry, nothing moves
        again = service.mark_paid(db=db, actor=OPERATOR, payout_id=payout.id, reference="wire  7")
        assert (again.reference, again.settled_at) == ("wire 7", paid.settled_at)
    with services_on.db.write() as db, pytest.raises(Conflict) as twice:  # another reference
        service.mark_paid(db=db, actor=OPERATOR, payout_id=payout.id, reference=" other ")
    assert twice.value.code == "payout_already_paid"
    assert twice.value.message == (
        f"payout {payout.id} was already paid on {paid.settled_at:%Y-%m-%d %H:%M} UTC with "
        'reference "wire 7"; nothing was changed and "other" was not recorded (if you sent '
        "the money again, ask the payee to return it)"
    )
    with services_on.db.read() as db:
        assert tips_of(db=db, user_id=maker.user.id) == Tips(pending=0, available=50)
        assert platform_account(db=db, name="payouts").balance == 50
        assert db.get_one(LedgerHold, payout.hold_id).status == "posted"
        told = db.scalars(select(Notification).where(Notification.user_id == maker.user.id)).all()
        assert check_ledger(db=db) == []
    assert [(n.kind, n.link) for n in told] == [("payout_paid", "/wallet")]
    assert "20.00 USD" in told[0].body
    assert "wire 7" in told[0].body
    with services_on.db.write() as db, pytest.raises(Conflict) as settled:
        service.reject_payout(db=db, actor=OPERATOR, payout_id=payout.id, reason="late")
    assert settled.value.code == "payout_settled"


def test_rejected_or_cancelled_gives_the_units_back(services_on):
    maker = creator_with_tips(services_on, 100)
    first = ask(services_on, maker.user, 40)
    second = ask(services_on, maker.user, 40, key="k2")
    with services_on.db.write() as db:
        rejected = service.reject_payout(
            db=db, actor=OPERATOR, payout_id=first.id, reason="bank details missing"
        )
        assert (rejected.status, rejected.reason) == ("rejected", "bank details missing")
    with services_on.db.write() as db:
        cancelled = service.cancel_payout(db=db, actor=maker.user, payout_id=second.id)
        assert cancelled.status == "cancelled"
    with services_on.db.write() as db:  # cancelling twice is no second change
        assert service.cancel_payout(db=db, actor=maker.user, payout_id=second.id).status == (
            "cancelled"
        )
    with services_on.db.write() as db, pytest.raises(Conflict) as settled:
        service.mark_paid(db=db, actor=OPERATOR, payout_id=second.id, reference="wire 8")
    assert settled.value.code == "payout_settled"
    with services_on.db.read() as db:
        assert tips_of(db=db, user_id=maker.user.id) == Tips(pending=0, available=100)
        assert platform_account(db=db, name="payouts").balance == 0
        told = db.scalars(select(Notification).where(Notification.user_id == maker.user.id)).all()
        assert check_ledger(db=db) == []
    assert [n.kind for n in told] == ["payout_rejected", "payout_cancelled"]
    assert "bank details missing" in told[0].body
    with services_on.db.read() as db:
        lines = {line.id: line for line in statement(db=db, user=maker.user)}
    assert (lines[first.hold_id].status, lines[first.hold_id].reason) == (
        "returned",
        f"payout {first.id} rejected: bank details missing",
    )
    assert (lines[second.hold_id].status, lines[second.hold_id].reason) == (
        "returned",
        f"payout {second.id} cancelled by {maker.user.display_name}",
    )


def test_only_owners_ask_for_an_organisation_members_see_and_strangers_do_not(services):
    owner, organisation_id = holder_with_earnings(services, 100)
    member = make_account(services, "member@example.com").user
    stranger = make_account(services, "stranger@example.com").user
    with services.db.write() as db:
        organisation = db.get_one(Organisation, organisation_id)
        join_organisation(db, owner=owner.user, organisation=organisation, user=member)
    for units in (30, 3):  # who may ask is checked before the amount
        with pytest.raises(Forbidden) as not_owner:
            ask(services, member, units, organisation_id=organisation_id)
        assert not_owner.value.code == "owner_only"
        with pytest.raises(NotFound) as elsewhere:
            ask(services, stranger, units, organisation_id=organisation_id)
        assert elsewhere.value.code == "organisation_not_found"
    payout = ask(services, owner.user, 30, organisation_id=organisation_id)
    assert (payout.payee_kind, payout.payee_id) == ("rights_holder", organisation_id)
    with services.db.read() as db:
        assert [p.id for p in service.list_payouts(db=db, actor=member)] == [payout.id]
        assert service.list_payouts(db=db, actor=stranger) == []
        assert service.list_payouts(db=db, actor=owner.user, own=True) == []  # the studio's
        assert [p.id for p in service.list_payouts(db=db, actor=owner.user)] == [payout.id]
        assert service.get_payout(db=db, actor=member, payout_id=payout.id).id == payout.id
        with pytest.raises(NotFound):
            service.get_payout(db=db, actor=stranger, payout_id=payout.id)
        available = earnings_account(db=db, organisation_id=organisation_id, available=True)
        assert (available.available, available.reserved) == (70, 30)
    with services.db.write() as db, pytest.raises(Forbidden) as only_see:
        service.cancel_payout(db=db, actor=member, payout_id=payout.id)  # members only see
    assert only_see.value.code == "owner_only"
    with services.db.write() as db, pytest.raises(NotFound):
        service.cancel_payout(db=db, actor=stranger, payout_id=payout.id)
    with services.db.read() as db:
        seen = service.get_payout(db=db, actor=member, payout_id=payout.id)
        assert not service.may_read_note(db, member, seen)  # bank details: owners only
        assert service.may_read_note(db, owner.user, seen)
        assert service.may_read_note(db, OPERATOR, seen)
    with services.db.write() as db, pytest.raises(Forbidden) as not_admin:
        service.mark_paid(db=db, actor=owner.user, payout_id=payout.id, reference="self-paid")
    assert not_admin.value.code == "admin_only"
    with services.db.write() as db:
        service.mark_paid(db=db, actor=OPERATOR, payout_id=payout.id, reference="wire 9")
        owners_told = db.scalars(
            select(Notification.link).where(
                Notification.user_id == owner.user.id, Notification.kind.like("payout%")
            )
        ).all()
        members_told = db.scalars(
            select(Notification).where(
                Notification.user_id == member.id, Notification.kind.like("payout%")
            )
        ).all()
    assert owners_told == ["/studio"]
    assert members_told == []


def test_the_operator_list_waits_oldest_first_and_is_for_administrators(services):
    maker = creator_with_tips(services, 100)
    first = ask(services, maker.user, 25)
    second = ask(services, maker.user, 25, key="k2")
    with services.db.write() as db:
        db.get_one(Payout, first.id).created_at = utcnow() - timedelta(hours=1)
    with services.db.read() as db:
        waiting = service.payouts_for_operator(db=db, actor=OPERATOR)
        assert [p.id for p in waiting] == [first.id, second.id]
        assert service.payouts_for_operator(db=db, actor=OPERATOR, status="paid") == []
        with pytest.raises(Forbidden):
            service.payouts_for_operator(db=db, actor=maker.user)
        with pytest.raises(BadRequest) as status:
            service.payouts_for_operator(db=db, actor=OPERATOR, status="sent")
        assert status.value.code == "invalid_status"


def test_a_disabled_account_cannot_ask_and_payouts_can_be_off(services, tmp_path):
    maker = creator_with_tips(services, 100)
    with services.db.write() as db:
        db.get_one(type(maker.user), maker.user.id).disabled_at = utcnow()
    with pytest.raises(Forbidden) as disabled:
        ask(services, maker.user, 30)
    assert disabled.value.code == "account_disabled"
    off = make_services(tmp_path / "off", services.settings.database_url, payout_cents_per_unit=0)
    try:
        with pytest.raises(Forbidden) as refused:
            ask(off, maker.user, 30)
        assert refused.value.code == "payouts_off"
    finally:
        off.close()


def test_housekeeping_never_expires_a_payout_hold(services):
    maker = creator_with_tips(services, 100)
    payout = ask(services, maker.user, 30)
    with services.db.write() as db:
        later = utcnow() + timedelta(days=365 * 200)
        assert expire_finished_holds(db=db, now=later) == []
        held = db.get_one(LedgerHold, payout.hold_id)
        assert (held.status, held.expires_at) == ("pending", None)


def test_concurrent_requests_never_ask_for_more_than_available(services_on):
    maker = creator_with_tips(services_on, 100)
    clients = 12

    def request(n: int) -> str:
        try:
            ask(services_on, maker.user, 25, key=f"c{n}")
            return "requested"
        except ServiceError as refused:
            return refused.code

    outcomes = Counter(at_once([partial(request, n) for n in range(clients)], timeout=120))
    assert outcomes == {"requested": 4, "insufficient_earnings": clients - 4}
    with services_on.db.read() as db:
        assert tips_of(db=db, user_id=maker.user.id) == Tips(pending=0, available=0, in_payout=100)
        assert check_ledger(db=db) == []


def race(services, maker, payout_id: str) -> list[str]:
    """Mark paid (the operator) and cancel (the payee) the payout at the same moment."""

    def settle(how) -> str:
        try:
            with services.db.write() as db:
                return how(db).status
        except ServiceError as refused:
            return refused.code

    def pay(db):
        return service.mark_paid(db=db, actor=OPERATOR, payout_id=payout_id, reference="w")

    def cancel(db):
        return service.cancel_payout(db=db, actor=maker.user, payout_id=payout_id)

    outcomes = at_once([partial(settle, how) for how in (pay, cancel)], timeout=60)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    return sorted(outcomes)


def test_paid_and_cancelled_at_once_settle_the_payout_once(services_on):
    maker = creator_with_tips(services_on, 100)
    for n in range(4):
        payout = ask(services_on, maker.user, 25, key=f"r{n}")
        assert race(services_on, maker, payout.id) in (
            ["paid", "payout_settled"],
            ["cancelled", "payout_settled"],
        )
    with services_on.db.read() as db:
        settled = db.scalars(select(Payout)).all()
        paid = sum(p.units for p in settled if p.status == "paid")
        assert {p.status for p in settled} <= {"paid", "cancelled"}
        assert platform_account(db=db, name="payouts").balance == paid
        assert tips_of(db=db, user_id=maker.user.id) == Tips(pending=0, available=100 - paid)
        assert check_ledger(db=db) == []


def test_a_note_keeps_its_lines_and_refuses_hidden_characters(services):
    maker = creator_with_tips(services, 100)
    payout = ask(services, maker.user, 25, note="IBAN DE89\r\nBIC COBADEFFXXX\r\n")
    assert payout.note == "IBAN DE89\nBIC COBADEFFXXX"  # a browser's line breaks
    for key, note in (("k2", "IBAN \u202eDE89"), ("k3", "IBAN\x00")):
        with pytest.raises(BadRequest) as hidden:
            ask(services, maker.user, 25, key=key, note=note)
        assert hidden.value.code == "invalid_note"
        assert "cannot be shown" in hidden.value.message
    with services.db.write() as db, pytest.raises(BadRequest) as nul:
        service.mark_paid(db=db, actor=OPERATOR, payout_id=payout.id, reference="wire\x00 1")
    assert nul.value.code == "invalid_reference"


def test_a_key_reused_for_another_payee_or_note_is_refused(services):
    owner, organisation_id = holder_with_earnings(services, 100)
    fund(services, lambda db: tips_account(db=db, user_id=owner.user.id, available=True), 50, "t")
    first = ask(services, owner.user, 25, key="same", note="PayPal owner@example.com")
    for kwargs in ({"organisation_id": organisation_id}, {"note": "another account"}):
        kwargs.setdefault("note", "PayPal owner@example.com")
        with pytest.raises(Conflict) as reused:
            ask(services, owner.user, 25, key="same", **kwargs)
        assert reused.value.code == "idempotency_key_reused"
    with services.db.read() as db:
        assert [p.id for p in db.scalars(select(Payout))] == [first.id]


def test_a_large_payout_fits_its_columns(services_on, tmp_path):
    rich = make_services(
        tmp_path / "rich", services_on.settings.database_url, payout_cents_per_unit=100_000
    )
    try:
        maker = creator_with_tips(rich, 100_000)
        payout = ask(rich, maker.user, 100_000)
        with rich.db.read() as db:
            assert db.get_one(Payout, payout.id).cents == 10_000_000_000  # past 32 bits
    finally:
        rich.close()


def _owe(services, user_id: str, units: int, key: str = "owe") -> None:
    """Leave the user's wallet owing `units` more (fewer, when negative), as a payment refunded
    after its credits were spent does (and a purchase that pays the debt)."""
    from reelmint.domains.ledger.service import Leg, transfer
    from reelmint.domains.wallet.service import wallet_of

    with services.db.write() as db:
        wallet = wallet_of(db=db, user_id=user_id, lock=True)
        sales = platform_account(db=db, name="sales")
        legs = [Leg(wallet.owed, -units), Leg(sales, units)]  # negative units: paid back
        transfer(db=db, key=key, legs=legs, kind="refund", reason="a refund", user_id=user_id)


def test_a_creator_whose_wallet_owes_units_cannot_cash_out_tips_until_it_is_paid(services_on):
    """Tips are money the platform would send; a wallet blocked for a debt pays that first."""
    maker = creator_with_tips(services_on, 100)
    _owe(services_on, maker.user.id, 8)
    with pytest.raises(Conflict) as owing:
        ask(services_on, maker.user, 50)
    assert owing.value.code == "debt_outstanding"
    assert owing.value.message == (
        "your wallet owes 8 units (a payment of yours was refunded or disputed after its "
        "credits were spent): buying credits pays it off first; then ask for the payout"
    )
    with services_on.db.read() as db:
        assert db.scalars(select(Payout)).all() == []
        assert tips_of(db=db, user_id=maker.user.id) == Tips(pending=0, available=100)
    _owe(services_on, maker.user.id, -8, key="paid-off")
    assert ask(services_on, maker.user, 50).status == "requested"


def test_the_operator_sees_which_payees_owe_units(services_on):
    """A payout asked for before its creator's debt arose waits: the operator is told."""
    maker = creator_with_tips(services_on, 100)
    other = creator_with_tips(services_on, 100, email="other@example.com")
    owner, organisation_id = holder_with_earnings(services_on, 100)
    asked = [
        ask(services_on, maker.user, 50),
        ask(services_on, other.user, 50),
        ask(services_on, owner.user, 50, organisation_id=organisation_id),
    ]
    _owe(services_on, maker.user.id, 8)
    with services_on.db.read() as db:
        assert service.payee_debts(db=db, payouts=asked) == {maker.user.id: 8}
        assert service.payee_debts(db=db, payouts=[]) == {}


def test_not_enough_available_says_pending_units_wait_only_when_some_do(services_on):
    maker = creator_with_tips(services_on, 30)
    with pytest.raises(Conflict) as short:
        ask(services_on, maker.user, 31)
    assert short.value.message == "a payout of 31 units needs as many available; Maker has 30"
    fund(
        services_on,
        lambda db: tips_account(db=db, user_id=maker.user.id),
        5,
        key="pending-5",
    )
    with pytest.raises(Conflict) as waiting:
        ask(services_on, maker.user, 31)
    assert waiting.value.message == (
        "a payout of 31 units needs as many available; Maker has 30 (and 5 pending, which "
        "become available after the hold period)"
    )
