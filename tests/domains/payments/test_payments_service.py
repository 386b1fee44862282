"""Buying credits through the service: the sandbox, the books, refunds, disputes, expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from payment_helpers import (
    assert_books_balance,
    books,
    entries_with_key,
    event_rows,
    pending_purchase,
    purchase_of,
    spend,
)

from reelmint.bootstrap import Services
from reelmint.config import CreditPack
from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import (
    due_holds,
    find_entry,
    platform_account,
    post_hold,
    reserve,
    void_hold,
)
from reelmint.domains.payments import service
from reelmint.domains.payments.base import ProviderEvent
from reelmint.domains.payments.models import Purchase
from reelmint.domains.payments.service import (
    checkout_purchase,
    complete_purchase,
    expire_credits,
    get_purchase,
    list_packs,
    list_purchases,
    start_purchase,
    take_back,
)
from reelmint.domains.videos.service import VideoRequest, cancel_video, create_video
from reelmint.domains.wallet.service import expire_lapsed_holds, settle_video, summary, wallet_of
from reelmint.errors import Conflict, Forbidden, NotFound
from support import make_account, make_services

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def test_the_default_catalogue_is_ten_generations_for_four_dollars(services):
    (pack,) = list_packs(services.settings)
    assert (pack.id, pack.units, pack.price_cents, pack.currency, pack.valid_days) == (
        "pack_10",
        10,
        400,
        "usd",
        365,
    )
    assert services.settings.payment_provider == "sandbox"


def test_a_sandbox_purchase_completes_at_once_as_test_money(services_on):
    account = make_account(services_on)
    result = start_purchase(services=services_on, user=account.user, pack_id="pack_10", now=T0)
    purchase = result.purchase
    assert purchase.status == "completed"
    assert purchase.test_mode is True
    assert purchase.provider == "sandbox"
    assert purchase.credits_expire_at == T0 + timedelta(days=365)
    assert result.checkout_url.endswith(f"/credits/return?purchase={purchase.id}")
    assert books(services_on, account.user.id).purchased == 10
    with services_on.db.read() as db:
        entry = find_entry(db=db, key=f"purchase:{purchase.id}")
        assert entry is not None
        assert "test money" in entry.reason
        sandbox_sales = service.platform_account(db=db, name="sales_sandbox")
        assert sandbox_sales.balance == -10
    assert_books_balance(services_on)


def test_checkout_is_idempotent_per_purchase(services):
    account = make_account(services)
    first = start_purchase(services=services, user=account.user, pack_id="pack_10")
    for _ in range(3):
        again = checkout_purchase(
            services=services, user=account.user, purchase_id=first.purchase.id
        )
        assert again.purchase.id == first.purchase.id
        assert again.checkout_url == first.checkout_url
    with services.db.write() as db:
        purchase = service.lock_purchase(db=db, purchase_id=first.purchase.id)
        complete_purchase(db=db, purchase=purchase, payment_id="other")  # a late replay
    assert books(services, account.user.id).purchased == 10
    assert entries_with_key(services, "purchase:") == 1
    assert purchase_of(services, first.purchase.id).provider_payment_id == (
        f"sandbox_pay_{first.purchase.id}"
    )


def test_a_request_key_makes_one_purchase(services):
    account = make_account(services)
    first = start_purchase(
        services=services, user=account.user, pack_id="pack_10", request_key="k1"
    )
    again = start_purchase(
        services=services, user=account.user, pack_id="pack_10", request_key="k1"
    )
    assert again.purchase.id == first.purchase.id
    assert books(services, account.user.id).purchased == 10
    other = start_purchase(
        services=services, user=account.user, pack_id="pack_10", request_key="k2"
    )
    assert other.purchase.id != first.purchase.id
    assert books(services, account.user.id).purchased == 20


def test_a_request_key_reused_for_another_pack_is_refused(tmp_path):
    packs = [
        CreditPack(id="small", name="Small", units=5, price_cents=200, valid_days=30),
        CreditPack(id="big", name="Big", units=50, price_cents=1500, valid_days=365),
    ]
    built = make_services(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", credit_packs=packs)
    try:
        account = make_account(built)
        start_purchase(services=built, user=account.user, pack_id="small", request_key="k")
        with pytest.raises(Conflict) as refused:
            start_purchase(services=built, user=account.user, pack_id="big", request_key="k")
        assert refused.value.code == "idempotency_key_reused"
        assert books(built, account.user.id).purchased == 5
    finally:
        built.close()


def test_an_unknown_pack_is_refused_and_nothing_is_made(services):
    account = make_account(services)
    with pytest.raises(NotFound) as refused:
        start_purchase(services=services, user=account.user, pack_id="pack_999")
    assert refused.value.code == "pack_not_found"
    assert "pack_10" in refused.value.message
    with services.db.read() as db:
        assert list_purchases(db=db, actor=account.user) == []


def test_a_user_sees_only_their_own_purchases(services):
    ada = make_account(services)
    bob = make_account(services, "bob@example.com")
    mine = start_purchase(services=services, user=ada.user, pack_id="pack_10").purchase
    with services.db.read() as db:
        assert [p.id for p in list_purchases(db=db, actor=ada.user)] == [mine.id]
        assert list_purchases(db=db, actor=bob.user) == []
        with pytest.raises(NotFound):
            get_purchase(db=db, actor=bob.user, purchase_id=mine.id)
        with pytest.raises(NotFound):
            get_purchase(db=db, actor=bob.user, purchase_id="pur_\x00bad")
    with pytest.raises(NotFound):
        checkout_purchase(services=services, user=bob.user, purchase_id=mine.id)


def test_a_refund_takes_the_credits_back(services_on):
    account = make_account(services_on)
    purchase = start_purchase(services=services_on, user=account.user, pack_id="pack_10").purchase
    with services_on.db.write() as db:
        locked = service.lock_purchase(db=db, purchase_id=purchase.id)
        take_back(db=db, purchase=locked, reason="refund", key=f"refund:{purchase.id}")
        take_back(db=db, purchase=locked, reason="refund", key=f"refund:{purchase.id}")  # replay
    assert books(services_on, account.user.id).purchased == 0
    assert books(services_on, account.user.id).owed == 0
    assert_books_balance(services_on)


def _sandbox_event(purchase_id: str, event_id: str, kind: str, **fields) -> ProviderEvent:
    return ProviderEvent(
        provider="sandbox",
        event_id=event_id,
        type=kind,
        kind=kind,  # type: ignore[arg-type]
        purchase_id=purchase_id,
        **fields,
    )


def test_a_dispute_bigger_than_the_balance_blocks_the_wallet_until_paid(tmp_path, database_url):
    """Spend 6 of 10 purchased units, lose a dispute over all 10: purchased stops at 0, owed
    is -6, admission refuses; the next purchase pays the 6 first, and videos work again."""
    built = make_services(tmp_path, database_url, spend_order=["purchased"])
    try:
        account = make_account(built)
        user = account.user
        purchase = start_purchase(services=built, user=user, pack_id="pack_10").purchase
        for _ in range(3):  # 3 videos of 20 s: 2 units each
            video = create_video(
                services=built, user=user, request=VideoRequest(prompt="a cat", seconds=20)
            )
            with built.db.write() as db:
                settle_video(db=db, user_id=user.id, video_id=video.id, delivered=True, reason="ok")
        assert books(built, user.id).purchased == 4

        opened = _sandbox_event(purchase.id, "evt_d1", "dispute_opened", dispute_id="dp_1")
        assert service.handle_event(services=built, event=opened) == "disputed"
        assert service.handle_event(services=built, event=opened) == "duplicate"
        after = books(built, user.id)
        assert (after.purchased, after.owed, after.debt) == (0, -6, 6)
        assert purchase_of(built, purchase.id).status == "disputed"
        assert_books_balance(built)

        with pytest.raises(Forbidden) as refused:
            create_video(services=built, user=user, request=VideoRequest(prompt="a dog"))
        assert refused.value.code == "wallet_blocked"
        assert "spent, and 6 units are still owed; buy credits to settle it" in (
            refused.value.message
        )

        lost = _sandbox_event(
            purchase.id, "evt_d2", "dispute_closed", dispute_id="dp_1", dispute_status="lost"
        )
        assert service.handle_event(services=built, event=lost) == "dispute_lost"
        assert books(built, user.id).debt == 6

        second = start_purchase(services=built, user=user, pack_id="pack_10").purchase
        assert second.status == "completed"
        paid = books(built, user.id)
        assert (paid.purchased, paid.owed, paid.debt) == (4, 0, 0)
        with built.db.read() as db:
            entry = find_entry(db=db, key=f"purchase:{second.id}")
            assert entry is not None
            assert "6 units paid what was owed" in entry.reason
        create_video(services=built, user=user, request=VideoRequest(prompt="a dog"))
        assert_books_balance(built)
    finally:
        built.close()


def test_a_dispute_that_is_won_gives_the_credits_back_debt_first(services):
    account = make_account(services)
    user = account.user
    purchase = start_purchase(services=services, user=user, pack_id="pack_10").purchase
    spend(services, user.id, 7, key="spend-1")
    service.handle_event(
        services=services, event=_sandbox_event(purchase.id, "e1", "dispute_opened")
    )
    assert books(services, user.id).owed == -7
    won = _sandbox_event(purchase.id, "e2", "dispute_closed", dispute_status="won")
    assert service.handle_event(services=services, event=won) == "dispute_won"
    after = books(services, user.id)
    assert (after.purchased, after.owed) == (3, 0)
    assert purchase_of(services, purchase.id).status == "dispute_won"
    assert_books_balance(services)


def _returned_cents(services: Services) -> int:
    """What the handled events moved back to buyers, as the economics view adds it up."""
    return sum(row.returned_cents for row in event_rows(services))


@dataclass(frozen=True)
class Bought:
    """A user who bought pack_10 (10 units for 400 cents), and the provider's events about
    that purchase: each `refund` or `dispute` builds one, handles it and returns what handling
    did (the same `event_id` twice is the same event twice)."""

    services: Services
    user: User
    purchase: Purchase

    def dispute(self, event_id: str, kind: str, *, cents: int = 400, **fields: Any) -> str:
        """An event about the purchase's one dispute (`dp_1`) of `cents`."""
        event = _sandbox_event(
            self.purchase.id,
            event_id,
            kind,
            dispute_id="dp_1",
            amount_cents=cents,
            currency="usd",
            **fields,
        )
        return service.handle_event(services=self.services, event=event)

    def refund(self, event_id: str, *, refunded_cents: int) -> str:
        """A refund event: `refunded_cents` of the 400 refunded so far."""
        event = _sandbox_event(
            self.purchase.id,
            event_id,
            "refunded",
            amount_cents=400,
            amount_refunded_cents=refunded_cents,
        )
        return service.handle_event(services=self.services, event=event)

    def spend(self, units: int) -> None:
        spend(self.services, self.user.id, units, key=f"spend-{units}")

    def books(self) -> Any:
        return books(self.services, self.user.id)

    def found(self) -> Purchase:
        return purchase_of(self.services, self.purchase.id)


@pytest.fixture
def bought(services_on) -> Bought:
    user = make_account(services_on).user
    purchase = start_purchase(services=services_on, user=user, pack_id="pack_10").purchase
    return Bought(services=services_on, user=user, purchase=purchase)


def test_an_inquiry_closed_in_our_favour_takes_nothing(bought):
    """10 units for 400 cents, 7 spent: an inquiry takes no money, so no units, and closing
    it in our favour leaves the wallet as it was, no debt, nothing counted as returned."""
    bought.spend(7)
    assert bought.dispute("e1", "dispute_opened", dispute_status="inquiry") == "inquiry"
    during = bought.books()
    assert (during.purchased, during.owed, during.debt) == (3, 0, 0)
    # Not blocked (the video is paid from the free quota, so `purchased` stays 3).
    create_video(services=bought.services, user=bought.user, request=VideoRequest(prompt="a cat"))

    assert bought.dispute("e2", "dispute_closed", dispute_status="won") == "inquiry_closed"
    assert bought.dispute("e2", "dispute_closed", dispute_status="won") == "duplicate"
    after = bought.books()
    assert (after.purchased, after.owed, after.debt) == (3, 0, 0)
    found = bought.found()
    assert (found.status, found.units_disputed, found.cents_disputed) == ("completed", 0, 0)
    assert found.cents_returned == 0
    assert _returned_cents(bought.services) == 0
    assert entries_with_key(bought.services, "dispute") == 0
    assert_books_balance(bought.services)


def test_a_dispute_event_after_its_close_changes_nothing(bought):
    """A payment has one dispute: once its close (in our favour) is handled, a late copy of
    an earlier state (an operator resending events from Stripe's Dashboard) takes nothing."""
    assert bought.dispute("e1", "dispute_closed", dispute_status="won") == "inquiry_closed"
    for late in ("e2", "e3"):
        assert bought.dispute(late, "dispute_opened", dispute_status="open") == "ignored"
    assert bought.books().purchased == 10
    found = bought.found()
    assert (found.status, found.units_disputed) == ("completed", 0)
    assert entries_with_key(bought.services, "dispute") == 0
    assert_books_balance(bought.services)


def test_a_refund_during_an_inquiry_is_not_given_back_when_it_closes(bought):
    bought.dispute("e1", "dispute_opened", dispute_status="inquiry")
    assert bought.refund("e2", refunded_cents=400) == "refunded"
    assert bought.books().purchased == 0
    assert bought.dispute("e3", "dispute_closed", dispute_status="won") == "ignored"
    after = bought.books()
    assert (after.purchased, after.owed) == (0, 0)
    found = bought.found()
    assert (found.status, found.units_refunded, found.cents_refunded) == ("refunded", 10, 400)
    assert (found.units_disputed, found.cents_disputed) == (0, 0)
    assert _returned_cents(bought.services) == 400
    assert entries_with_key(bought.services, "dispute") == 0
    assert_books_balance(bought.services)


def test_an_inquiry_that_escalates_takes_the_units_once(bought):
    """Stripe's inquiry becomes a chargeback (`charge.dispute.updated`, then
    `charge.dispute.funds_withdrawn`): the units are taken then, once."""
    bought.spend(7)
    assert bought.dispute("e1", "dispute_opened", dispute_status="inquiry") == "inquiry"
    assert bought.books().purchased == 3

    assert bought.dispute("e2", "dispute_opened", dispute_status="open") == "disputed"
    assert bought.dispute("e3", "dispute_opened", dispute_status="open") == "already_disputed"
    assert bought.dispute("e2", "dispute_opened", dispute_status="open") == "duplicate"
    late_inquiry = bought.dispute("e4", "dispute_opened", dispute_status="inquiry")
    assert late_inquiry == "already_disputed"
    after = bought.books()
    assert (after.purchased, after.owed, after.debt) == (0, -7, 7)
    found = bought.found()
    assert (found.status, found.units_disputed, found.cents_disputed) == ("disputed", 10, 400)
    assert entries_with_key(bought.services, f"dispute:{bought.purchase.id}:dp_1") == 1

    assert bought.dispute("e5", "dispute_closed", dispute_status="lost") == "dispute_lost"
    assert bought.books().debt == 7
    assert entries_with_key(bought.services, "dispute") == 1
    assert _returned_cents(bought.services) == 400
    assert_books_balance(bought.services)


def test_an_inquiry_closed_lost_takes_the_units_once(bought):
    """A loss whose escalation we never heard of: the units are taken when it closes."""
    bought.dispute("e1", "dispute_opened", dispute_status="inquiry")
    assert bought.books().purchased == 10
    assert bought.dispute("e2", "dispute_closed", dispute_status="lost") == "dispute_lost"
    assert bought.dispute("e3", "dispute_closed", dispute_status="lost") == "dispute_lost"
    assert bought.books().purchased == 0
    found = bought.found()
    assert (found.status, found.units_disputed, found.cents_disputed) == ("disputed", 10, 400)
    assert entries_with_key(bought.services, "dispute") == 1
    assert_books_balance(bought.services)


@pytest.mark.parametrize(("outcome", "purchased"), [("won", 10), ("lost", 8)])
def test_a_partial_dispute_takes_back_its_share_of_the_units(bought, outcome, purchased):
    """100 of 400 cents disputed on a 10-unit pack: 2 units (10 x 100 / 400, rounded down)."""
    assert bought.dispute("e1", "dispute_opened", cents=100) == "disputed"
    assert bought.books().purchased == 8
    found = bought.found()
    assert (found.units_disputed, found.cents_disputed) == (2, 100)

    closed = bought.dispute("e2", "dispute_closed", cents=100, dispute_status=outcome)
    assert closed == f"dispute_{outcome}"
    after = bought.books()
    assert (after.purchased, after.owed) == (purchased, 0)
    found = bought.found()
    if outcome == "won":
        assert (found.status, found.units_disputed, found.cents_disputed) == ("dispute_won", 0, 0)
        assert _returned_cents(bought.services) == 0  # 100 back to the buyer, then 100 to us
    else:
        assert (found.status, found.units_disputed, found.cents_disputed) == ("disputed", 2, 100)
        assert _returned_cents(bought.services) == 100
    assert_books_balance(bought.services)


def test_a_dispute_of_all_the_money_left_takes_all_the_units_left(bought):
    """100 of 400 cents refunded (2 units), then the other 300 disputed: 8 units, not the 7
    that 10 x 300 / 400 rounds down to; winning gives back those 8."""
    assert bought.refund("e1", refunded_cents=100) == "refunded"
    assert bought.dispute("e2", "dispute_opened", cents=300) == "disputed"
    assert bought.books().purchased == 0
    found = bought.found()
    assert (found.units_refunded, found.units_disputed, found.cents_returned) == (2, 8, 400)
    won = bought.dispute("e3", "dispute_closed", cents=300, dispute_status="won")
    assert won == "dispute_won"
    assert bought.books().purchased == 8
    assert_books_balance(bought.services)


@pytest.mark.parametrize(("outcome", "purchased"), [("lost", 0), ("won", 3)])
def test_a_refund_of_the_rest_after_a_dispute_takes_what_is_left(bought, outcome, purchased):
    """100 of 400 cents disputed (2 units), closed, then the other 300 refunded: lost, every
    cent went back, so do all 10 units (not 2 + 7); won, we keep 100 cents and the refund
    takes its 7 (10 x 300 / 400, rounded down, as every partial refund)."""
    bought.dispute("e1", "dispute_opened", cents=100)
    bought.dispute("e2", "dispute_closed", cents=100, dispute_status=outcome)
    assert bought.refund("e3", refunded_cents=300) == "refunded"
    after = bought.books()
    assert (after.purchased, after.owed) == (purchased, 0)
    assert_books_balance(bought.services)


@pytest.mark.parametrize("ending", ["cancelled", "lapsed"])
def test_units_a_released_hold_gives_back_pay_the_debt_first(tmp_path, database_url, ending):
    """4 of 10 purchased units reserved by a video, the payment refunded: the 6 available are
    taken and 4 owed. When the video's hold is released (cancelled, or its reservation
    lapses) those 4 pay the debt: the wallet is not left blocked while holding them."""
    services = make_services(tmp_path, database_url, spend_order=["purchased"])
    try:
        user = make_account(services).user
        purchase = start_purchase(services=services, user=user, pack_id="pack_10").purchase
        bought = Bought(services=services, user=user, purchase=purchase)
        ask = VideoRequest(prompt="a cat", seconds="20", size="1280x720")  # 4 units
        video = create_video(services=services, user=user, request=ask)
        assert bought.refund("e1", refunded_cents=400) == "refunded"
        owing = bought.books()
        assert (owing.purchased, owing.owed, owing.debt) == (4, -4, 4)
        with services.db.write() as db:
            if ending == "cancelled":
                cancel_video(db=db, actor=db.get_one(User, user.id), video_id=video.id)
            else:
                later = utcnow() + timedelta(days=30)
                assert expire_lapsed_holds(db=db, due=due_holds(later), now=later)
        after = bought.books()
        assert (after.purchased, after.owed, after.debt) == (0, 0, 0)
        with services.db.read() as db:
            assert not summary(db=db, settings=services.settings, user=user).blocked
        assert_books_balance(services)
    finally:
        services.close()


def test_a_dispute_won_never_gives_back_units_refunded_meanwhile(bought):
    """100 of 400 cents disputed (2 units), then the rest refunded (the other 8): winning the
    dispute gives nothing back, since the refund returned the whole payment."""
    bought.dispute("e1", "dispute_opened", cents=100)
    assert bought.refund("e2", refunded_cents=400) == "refunded"
    assert bought.books().purchased == 0
    won = bought.dispute("e3", "dispute_closed", cents=100, dispute_status="won")
    assert won == "dispute_won"
    after = bought.books()
    assert (after.purchased, after.owed) == (0, 0)
    found = bought.found()
    assert (found.status, found.units_refunded, found.units_disputed) == ("refunded", 10, 0)
    assert entries_with_key(bought.services, "dispute-won:") == 0
    assert_books_balance(bought.services)


def test_a_partial_refund_before_the_credit_is_taken_back_when_it_comes(services_on):
    """Refunded 200 of 400 cents before the payment was confirmed: the credit brings 10 units
    and takes the refunded 5 back (the refund's own entry); replays change nothing."""
    account = make_account(services_on)
    user = account.user
    purchase = pending_purchase(services_on, user.id)
    refund = _sandbox_event(
        purchase.id, "e1", "refunded", amount_cents=400, amount_refunded_cents=200
    )
    paid = _sandbox_event(purchase.id, "e2", "payment_completed", amount_cents=400, currency="usd")
    assert service.handle_event(services=services_on, event=refund) == "refunded"
    early = purchase_of(services_on, purchase.id)
    assert (early.status, early.cents_refunded) == ("pending", 200)
    assert books(services_on, user.id).purchased == 0
    assert service.handle_event(services=services_on, event=paid) == "credited"

    def state() -> tuple[object, ...]:
        found = purchase_of(services_on, purchase.id)
        wallet = books(services_on, user.id)
        return (
            found.status,
            found.cents_refunded,
            found.units_refunded,
            wallet.purchased,
            wallet.owed,
            entries_with_key(services_on, "purchase:"),
            entries_with_key(services_on, "refund:"),
            _returned_cents(services_on),
        )

    assert state() == ("completed", 200, 5, 5, 0, 1, 1, 200)
    for replay in (refund, paid):
        assert service.handle_event(services=services_on, event=replay) == "duplicate"
    assert state() == ("completed", 200, 5, 5, 0, 1, 1, 200)
    # The same refund told again by another event, then the rest refunded.
    again = _sandbox_event(
        purchase.id, "e3", "refunded", amount_cents=400, amount_refunded_cents=200
    )
    assert service.handle_event(services=services_on, event=again) == "refunded"
    assert state() == ("completed", 200, 5, 5, 0, 1, 1, 200)
    rest = _sandbox_event(
        purchase.id, "e4", "refunded", amount_cents=400, amount_refunded_cents=400
    )
    assert service.handle_event(services=services_on, event=rest) == "refunded"
    assert state() == ("refunded", 400, 10, 0, 0, 1, 2, 400)
    assert_books_balance(services_on)


@pytest.mark.parametrize(
    ("cents", "outcome", "purchased", "returned"),
    [(100, "lost", 8, 100), (100, "won", 10, 0), (400, "lost", 0, 0), (400, "won", 10, 0)],
)
def test_a_dispute_before_the_credit_credits_what_the_buyer_kept_paying_for(
    services_on, cents, outcome, purchased, returned
):
    """Disputed before the payment was confirmed: nothing is credited until the dispute
    closes. Won, the pack is credited; a partial one lost credits the pack and takes the
    disputed share back (10 - 2 units); a full one lost is neither a sale nor a refund."""
    user = make_account(services_on).user
    purchase = pending_purchase(services_on, user.id)

    def handle(event_id: str, kind: str, **fields: Any) -> str:
        event = _sandbox_event(purchase.id, event_id, kind, currency="usd", **fields)
        return service.handle_event(services=services_on, event=event)

    assert handle("e1", "dispute_opened", dispute_id="dp_1", amount_cents=cents) == "disputed"
    assert handle("e2", "payment_completed", amount_cents=400) == "purchase_disputed"
    assert books(services_on, user.id).purchased == 0
    closed = handle(
        "e3", "dispute_closed", dispute_id="dp_1", amount_cents=cents, dispute_status=outcome
    )
    assert closed == f"dispute_{outcome}"
    again = handle(
        "e4", "dispute_closed", dispute_id="dp_1", amount_cents=cents, dispute_status=outcome
    )
    assert again == ("dispute_lost" if outcome == "lost" else "ignored")
    assert books(services_on, user.id).purchased == purchased
    assert _returned_cents(services_on) == returned
    credited = purchase_of(services_on, purchase.id).completed_at is not None
    assert credited == (purchased > 0)
    assert entries_with_key(services_on, "purchase:") == int(credited)
    assert_books_balance(services_on)


def test_a_full_refund_before_the_credit_is_neither_a_sale_nor_a_refund(services_on):
    account = make_account(services_on)
    user = account.user
    purchase = pending_purchase(services_on, user.id)
    for number, cents in enumerate((200, 400)):
        refund = _sandbox_event(
            purchase.id, f"r{number}", "refunded", amount_cents=400, amount_refunded_cents=cents
        )
        assert service.handle_event(services=services_on, event=refund) == "refunded"
    paid = _sandbox_event(purchase.id, "p", "payment_completed", amount_cents=400, currency="usd")
    assert service.handle_event(services=services_on, event=paid) == "purchase_refunded"
    found = purchase_of(services_on, purchase.id)
    assert (found.status, found.completed_at, found.cents_refunded) == ("refunded", None, 0)
    assert books(services_on, user.id).purchased == 0
    assert _returned_cents(services_on) == 0
    assert entries_with_key(services_on, "purchase:") == 0


def test_an_event_for_no_purchase_of_ours_is_recorded_and_ignored(services):
    ghost = _sandbox_event("pur_nothing", "e1", "payment_completed")
    assert service.handle_event(services=services, event=ghost) == "unknown_purchase"
    assert service.handle_event(services=services, event=ghost) == "duplicate"


# --- expiry ------------------------------------------------------------------------------------

PACKS = [
    CreditPack(id="short", name="Short", units=10, price_cents=400, valid_days=30),
    CreditPack(id="long", name="Long", units=5, price_cents=250, valid_days=365),
]


@pytest.fixture
def two_packs(tmp_path, database_url):
    built = make_services(tmp_path, database_url, credit_packs=PACKS)
    yield built
    built.close()


def _video_holds(services, user_id: str, units: int) -> str:
    """A video holds `units` of the user's purchased credits; the hold's id."""
    with services.db.write() as db:
        wallet = wallet_of(db=db, user_id=user_id, lock=True)
        return reserve(
            db=db,
            key="video-hold",
            debit=wallet.purchased,
            credit_id=platform_account(db=db, name="revenue").id,
            amount=units,
            kind="spend_purchased",
            reason="a test video",
            expires_at=None,
            user_id=user_id,
        ).id


def _expire(services, now):
    with services.db.write() as db:
        return expire_credits(db=db, now=now)


def test_expiry_takes_only_what_cannot_belong_to_a_later_purchase(two_packs):
    """10 units (30 days) then 5 (365 days); 8 spent leaves 7: 5 belong to the later
    purchase, so 2 expire on day 30, the other 5 on day 375."""
    user = make_account(two_packs).user
    short = start_purchase(services=two_packs, user=user, pack_id="short", now=T0).purchase
    later = T0 + timedelta(days=10)
    long = start_purchase(services=two_packs, user=user, pack_id="long", now=later).purchase
    spend(two_packs, user.id, 8, key="spend-8")
    assert _expire(two_packs, T0 + timedelta(days=29)) == []
    assert _expire(two_packs, T0 + timedelta(days=31)) == [short.id]
    assert _expire(two_packs, T0 + timedelta(days=32)) == []  # once
    assert books(two_packs, user.id).purchased == 5
    assert purchase_of(two_packs, short.id).units_expired == 2
    with two_packs.db.read() as db:
        assert find_entry(db=db, key=f"credits-expire:{short.id}") is not None
    assert _expire(two_packs, later + timedelta(days=366)) == [long.id]
    assert books(two_packs, user.id).purchased == 0
    assert purchase_of(two_packs, long.id).units_expired == 5
    assert_books_balance(two_packs)


def test_units_a_dispute_won_gives_back_after_their_validity_ended_expire_too(two_packs):
    """A chargeback takes the 10 units; the pack's 30 days end (nothing left to expire); the
    dispute is won after that: the 10 given back expire at the next run, not never."""
    user = make_account(two_packs).user
    short = start_purchase(services=two_packs, user=user, pack_id="short", now=T0).purchase
    bought = Bought(services=two_packs, user=user, purchase=short)
    assert bought.dispute("e1", "dispute_opened") == "disputed"
    after_validity = T0 + timedelta(days=31)
    assert _expire(two_packs, after_validity) == [short.id]
    assert purchase_of(two_packs, short.id).units_expired == 0
    assert bought.dispute("e2", "dispute_closed", dispute_status="won") == "dispute_won"
    assert books(two_packs, user.id).purchased == 10
    assert _expire(two_packs, after_validity + timedelta(days=1)) == [short.id]
    assert books(two_packs, user.id).purchased == 0
    assert purchase_of(two_packs, short.id).units_expired == 10
    assert_books_balance(two_packs)


def test_expiry_spares_units_that_belong_to_younger_purchases(two_packs):
    user = make_account(two_packs).user
    short = start_purchase(services=two_packs, user=user, pack_id="short", now=T0).purchase
    start_purchase(services=two_packs, user=user, pack_id="long", now=T0 + timedelta(days=1))
    spend(two_packs, user.id, 12, key="spend-12")  # 3 left: all the long pack's
    assert _expire(two_packs, T0 + timedelta(days=31)) == [short.id]
    assert purchase_of(two_packs, short.id).units_expired == 0
    assert books(two_packs, user.id).purchased == 3
    with two_packs.db.read() as db:
        assert find_entry(db=db, key=f"credits-expire:{short.id}") is None
    assert_books_balance(two_packs)


@pytest.mark.parametrize("video", ["fails", "is_delivered"])
def test_units_a_video_holds_when_its_credits_expire_expire_once_it_settles(two_packs, video):
    """A 10-unit pack whose units a video holds at its expiry: nothing can expire yet, and the
    purchase stays due. If the video fails, its units come back and the next run expires
    them; if it is delivered they were spent, and the purchase is done with none expired."""
    user = make_account(two_packs).user
    short = start_purchase(services=two_packs, user=user, pack_id="short", now=T0).purchase
    due = T0 + timedelta(days=31)
    held = _video_holds(two_packs, user.id, 10)
    assert _expire(two_packs, due) == []
    assert (
        purchase_of(two_packs, short.id).units_expired,
        books(two_packs, user.id).purchased,
    ) == (0, 10)
    assert purchase_of(two_packs, short.id).credits_expired_at is None  # still due
    with two_packs.db.write() as db:
        hold = db.get_one(LedgerHold, held)
        if video == "fails":
            void_hold(db=db, hold=hold, reason="refund: the video failed")
        else:
            post_hold(db=db, hold=hold, reason="video delivered")
    expired = 10 if video == "fails" else 0
    assert _expire(two_packs, due + timedelta(hours=1)) == [short.id]
    assert purchase_of(two_packs, short.id).units_expired == expired
    assert books(two_packs, user.id).purchased == 0
    assert _expire(two_packs, due + timedelta(days=1)) == []  # once
    assert_books_balance(two_packs)


def test_expiry_of_several_users_and_purchases_in_one_run(two_packs):
    ada = make_account(two_packs).user
    bob = make_account(two_packs, "bob@example.com").user
    for user in (ada, bob):
        start_purchase(services=two_packs, user=user, pack_id="short", now=T0)
        start_purchase(services=two_packs, user=user, pack_id="short", now=T0 + timedelta(days=2))
    spend(two_packs, bob.id, 15, key="bob-15")
    assert len(_expire(two_packs, T0 + timedelta(days=40))) == 4
    assert books(two_packs, ada.id).purchased == 0
    assert books(two_packs, bob.id).purchased == 0
    assert_books_balance(two_packs)


# --- going live: test money -------------------------------------------------------------------


def _real_money(services, purchase_id: str) -> None:
    """Make a sandbox purchase count as paid with real money (a live provider's)."""
    with services.db.write() as db:
        db.get_one(Purchase, purchase_id).test_mode = False


def _retire(services, user_id: str, now=None) -> int:
    with services.db.write() as db:
        return service.retire_test_money_of(db=db, user_id=user_id, now=now)


def test_going_live_takes_back_what_is_left_of_test_money_and_says_why(two_packs):
    from sqlalchemy import select

    from reelmint.domains.ledger.models import LedgerEntry
    from reelmint.domains.notifications.models import EmailMessage, Notification

    ada = make_account(two_packs).user
    bob = make_account(two_packs, "bob@example.com").user
    test = start_purchase(services=two_packs, user=ada, pack_id="short", now=T0).purchase
    real = start_purchase(services=two_packs, user=bob, pack_id="long", now=T0).purchase
    _real_money(two_packs, real.id)
    spend(two_packs, ada.id, 4, key="ada-4")
    with two_packs.db.read() as db:
        left = service.outstanding_test_money(db=db)
    assert (left.user_ids, left.purchases, left.units_at_most) == ([ada.id], 1, 10)

    assert _retire(two_packs, ada.id) == 6
    assert _retire(two_packs, bob.id) == 0  # real money stays
    assert (books(two_packs, ada.id).purchased, books(two_packs, bob.id).purchased) == (0, 5)
    assert purchase_of(two_packs, test.id).units_expired == 6
    assert purchase_of(two_packs, test.id).credits_expired_at is not None
    with two_packs.db.read() as db:
        entry = db.scalars(
            select(LedgerEntry).where(
                LedgerEntry.reference == test.id, LedgerEntry.kind == "credits_expired"
            )
        ).one()
        told = db.scalars(select(Notification).where(Notification.user_id == ada.id)).all()
        mailed = db.scalars(select(EmailMessage.subject)).all()
        assert service.outstanding_test_money(db=db).purchases == 0
    assert "bought with test money, taken back: the platform takes real payments now" in (
        entry.reason
    )
    assert [(n.kind, n.title) for n in told][-1] == (
        "test_credits_retired",
        "6 test credits were taken back",
    )
    assert "6 test credits were taken back" in mailed
    assert _retire(two_packs, ada.id) == 0  # once
    assert_books_balance(two_packs)


def test_going_live_leaves_what_real_money_accounts_for(two_packs):
    """10 test units, then 5 real ones; 12 spent leaves 3, which the real purchase (the later
    to expire once the test money is due now) accounts for: nothing is taken."""
    ada = make_account(two_packs).user
    test = start_purchase(services=two_packs, user=ada, pack_id="short", now=T0).purchase
    real = start_purchase(services=two_packs, user=ada, pack_id="long", now=T0).purchase
    _real_money(two_packs, real.id)
    spend(two_packs, ada.id, 12, key="ada-12")
    assert _retire(two_packs, ada.id) == 0
    assert books(two_packs, ada.id).purchased == 3
    assert purchase_of(two_packs, test.id).credits_expired_at is not None  # done with
    assert purchase_of(two_packs, real.id).credits_expired_at is None
    assert_books_balance(two_packs)


def test_test_units_a_video_holds_wait_for_it_then_the_expiry_run_takes_them(two_packs):
    ada = make_account(two_packs).user
    test = start_purchase(services=two_packs, user=ada, pack_id="short", now=T0).purchase
    held = _video_holds(two_packs, ada.id, 10)
    now = utcnow()
    assert _retire(two_packs, ada.id, now=now) == 0
    assert purchase_of(two_packs, test.id).credits_expired_at is None  # still due
    with two_packs.db.write() as db:
        void_hold(db=db, hold=db.get_one(LedgerHold, held), reason="refund: the video failed")
    assert _expire(two_packs, now + timedelta(minutes=1)) == [test.id]
    assert books(two_packs, ada.id).purchased == 0
    assert_books_balance(two_packs)


DEBT_PACKS = [
    CreditPack(id="long", name="Long", units=10, price_cents=400, valid_days=365),
    CreditPack(id="short", name="Short", units=10, price_cents=400, valid_days=30),
]


@pytest.fixture
def debt_packs(tmp_path, database_url):
    built = make_services(tmp_path, database_url, credit_packs=DEBT_PACKS)
    yield built
    built.close()


def _bought(services: Services, user: User, pack_id: str, now: datetime) -> Bought:
    purchase = start_purchase(services=services, user=user, pack_id=pack_id, now=now).purchase
    return Bought(services=services, user=user, purchase=purchase)


def test_units_that_paid_a_debt_are_not_counted_as_a_later_purchases_credits(debt_packs):
    """A long pack spent, then refunded: 10 owed. A second long pack pays the debt with all
    its units (none reach `purchased`); a 30-day pack then brings 10: those 10 are the short
    pack's, and all expire with it, not a year later with the pack that paid the debt."""
    user = make_account(debt_packs).user
    first = _bought(debt_packs, user, "long", T0)
    spend(debt_packs, user.id, 10, key="spend-first")
    assert first.refund("r1", refunded_cents=400) == "refunded"
    assert books(debt_packs, user.id).debt == 10
    _bought(debt_packs, user, "long", T0 + timedelta(days=1))  # pays the 10 owed
    short = _bought(debt_packs, user, "short", T0 + timedelta(days=2)).purchase
    assert (books(debt_packs, user.id).purchased, books(debt_packs, user.id).debt) == (10, 0)
    assert _expire(debt_packs, T0 + timedelta(days=33)) == [short.id]
    assert purchase_of(debt_packs, short.id).units_expired == 10
    assert books(debt_packs, user.id).purchased == 0
    assert_books_balance(debt_packs)


def test_units_a_dispute_won_gives_back_to_a_debt_are_not_counted_either(debt_packs):
    """Two long packs spent; one is disputed, the other refunded: 20 owed. A third long pack
    pays 10 of it, and winning the dispute gives back 10 that pay the rest (debt first): no
    long pack has a unit in `purchased`. A 30-day pack's 10 then expire with it."""
    user = make_account(debt_packs).user
    refunded = _bought(debt_packs, user, "long", T0)
    disputed = _bought(debt_packs, user, "long", T0)
    spend(debt_packs, user.id, 20, key="spend-both")
    assert disputed.dispute("d1", "dispute_opened") == "disputed"
    assert refunded.refund("r1", refunded_cents=400) == "refunded"
    assert books(debt_packs, user.id).debt == 20
    _bought(debt_packs, user, "long", T0 + timedelta(days=1))  # pays 10 of the 20
    assert disputed.dispute("d2", "dispute_closed", dispute_status="won") == "dispute_won"
    assert (books(debt_packs, user.id).purchased, books(debt_packs, user.id).debt) == (0, 0)
    short = _bought(debt_packs, user, "short", T0 + timedelta(days=2)).purchase
    assert _expire(debt_packs, T0 + timedelta(days=33)) == [short.id]
    assert purchase_of(debt_packs, short.id).units_expired == 10
    assert books(debt_packs, user.id).purchased == 0
    assert_books_balance(debt_packs)


def test_each_refund_line_says_how_many_units_it_took_back_and_of_how_many(bought):
    """160 of 400 cents refunded, then the rest: two statement lines, 4 then 6 units of 10."""
    assert bought.refund("r1", refunded_cents=160) == "refunded"
    assert bought.refund("r2", refunded_cents=400) == "refunded"
    assert bought.dispute("d1", "dispute_opened") == "ignored"
    purchase = bought.purchase.id
    with bought.services.db.read() as db:
        first = find_entry(db=db, key=f"refund:{purchase}:4")
        rest = find_entry(db=db, key=f"refund:{purchase}:10")
        assert first is not None
        assert rest is not None
        reasons = first.reason, rest.reason
    assert reasons == (
        f"refund of {purchase}: 4 of its 10 units taken back (bought for 4.00 USD, test money)",
        f"refund of {purchase}: 6 of its 10 units taken back (bought for 4.00 USD, test money)",
    )
