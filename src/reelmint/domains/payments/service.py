"""Buying credits: the pack catalogue, checkout, the provider's events, credit expiry.

How money becomes units, and back:
- A purchase is credited once, by the ledger entry `purchase:<id>`: `platform:sales` (or
  `platform:sales_sandbox` for test money) gives the pack's units to the buyer's
  `purchased` account. A buyer in debt (a lost dispute left `owed` negative) pays the debt
  first: that part of the units goes to `owed` instead.
- A refund or a dispute takes back the units of the money it returns (`take_back`): the
  pack's units times its cents over the price, rounded down, at most what the purchase has
  left; as many as `purchased` has available, the rest recorded as debt on `owed`, so
  `purchased` never goes below zero. While there is debt, admission refuses every video with
  `wallet_blocked`. A refund that arrives before the payment was credited is recorded, and its
  share taken back (under the refund's own key) when the credit comes.
- An inquiry (the provider asks questions but takes no money) takes nothing; one that
  escalates to a chargeback takes the units then (once: the dispute's key).
- A dispute that is won (or an inquiry or dispute closed without loss) gives the units back:
  debt first, then `purchased`; never units that a refund took meanwhile.

Idempotency: every provider event is recorded (`PaymentEvent`, unique per provider and event
id) in the same transaction as what it changed, so a redelivered event is a no-op, even when
the copies arrive at once (the second insert waits for the first transaction, then finds
the row). The purchase row is locked before it is changed, and its status decides what an
event may still do, so two different events about one payment credit it once too.

Credit validity, without per-lot bookkeeping: units are spent from the one `purchased`
account, and the units still available are taken to belong to the purchases that expire
last. When a purchase's validity ends, the part of the available units that cannot belong to
a later-expiring purchase expires with it (entry `credits-expire:<id>`); what a video holds
then expires once the video gives it back. Units that paid a debt (a purchase's credit, a
dispute won) never reached `purchased`: none of the units there is counted as theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.config import CreditPack, Settings
from reelmint.db.base import ID_SHAPE, new_id, utcnow
from reelmint.db.paging import after_cursor, check_limit, nothing_to_list_after
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import Operator, require_admin
from reelmint.domains.ledger.models import LedgerEntry, LedgerPosting
from reelmint.domains.ledger.service import Leg, find_entry, platform_account, transfer
from reelmint.domains.payments.base import (
    PaymentProvider,
    ProviderEvent,
)
from reelmint.domains.payments.models import CREDITED_STATUSES, PaymentEvent, Purchase
from reelmint.domains.payments.notices import tell_credited, tell_operators, tell_outcome
from reelmint.domains.wallet.service import account_disabled, is_disabled, wallet_of
from reelmint.errors import BadRequest, Conflict, NotFound, ServiceError
from reelmint.money import money_text
from reelmint.terminal import one_line

log = logging.getLogger("reelmint.payments")

MAX_PURCHASES_PAGE = 100
EXPIRED_ACCOUNT = "credits_expired"


# --- the catalogue and the providers --------------------------------------------------------


def list_packs(settings: Settings) -> list[CreditPack]:
    """The packs on sale, in the configured order."""
    return list(settings.credit_packs)


def find_pack(settings: Settings, pack_id: str) -> CreditPack:
    for pack in settings.credit_packs:
        if pack.id == pack_id:
            return pack
    known = ", ".join(pack.id for pack in settings.credit_packs)
    raise NotFound(
        f"there is no credit pack {pack_id[:40]!r}; choose one of {known}",
        code="pack_not_found",
        param="pack_id",
    )


def provider_for(settings: Settings, name: str | None = None) -> PaymentProvider:
    """The provider `name` (default: the configured one)."""
    name = name or settings.payment_provider
    if name == "stripe":
        from reelmint.domains.payments.stripe_provider import StripeProvider

        return StripeProvider.from_settings(settings)
    if name == "sandbox":
        from reelmint.domains.payments.sandbox import SandboxProvider

        return SandboxProvider()
    raise BadRequest(f"unknown payment provider {name!r}", code="unknown_payment_provider")


def sale_account_name(purchase: Purchase) -> str:
    """Where a purchase's units come from: test money is kept apart from real sales."""
    return "sales_sandbox" if purchase.test_mode else "sales"


# --- checkout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutResult:
    """A purchase and where its buyer goes to pay (sandbox: straight to the outcome page);
    `replayed`: the purchase an earlier request with the same Idempotency-Key made."""

    purchase: Purchase
    checkout_url: str
    replayed: bool = False


def return_urls(settings: Settings, purchase: Purchase) -> tuple[str, str]:
    """Where the provider sends the buyer back to: after paying, and after cancelling."""
    base = f"{settings.public_url.rstrip('/')}/credits/return?"
    success = base + urlencode({"purchase": purchase.id})
    return success, base + urlencode({"purchase": purchase.id, "cancelled": "1"})


def start_purchase(
    *,
    services: Services,
    user: User,
    pack_id: str,
    request_key: str | None = None,
    now: datetime | None = None,
) -> CheckoutResult:
    """Make a pending purchase of `pack_id` and open its checkout.

    With `request_key` (the API's Idempotency-Key) a retry returns the same purchase and
    checkout; the key used for another pack is refused. The sandbox completes the purchase
    at once, in the transaction that records the checkout.
    """
    pack = find_pack(services.settings, pack_id)
    provider = provider_for(services.settings)
    purchase, replayed = _new_or_existing_purchase(
        services=services, user=user, pack=pack, provider=provider, request_key=request_key
    )
    result = checkout_purchase(services=services, user=user, purchase_id=purchase.id, now=now)
    return replace(result, replayed=replayed)


def _new_or_existing_purchase(
    *,
    services: Services,
    user: User,
    pack: CreditPack,
    provider: PaymentProvider,
    request_key: str | None,
) -> tuple[Purchase, bool]:
    """The new pending purchase, or the one `request_key` made before (True: a replay)."""
    for _ in range(2):
        try:
            with services.db.write() as db:
                if is_disabled(db=db, user_id=user.id):
                    raise account_disabled()
                if request_key is not None:
                    existing = db.scalar(
                        select(Purchase).where(
                            Purchase.user_id == user.id, Purchase.request_key == request_key
                        )
                    )
                    if existing is not None:
                        if existing.pack_id != pack.id:
                            raise Conflict(
                                f"the Idempotency-Key {request_key[:60]!r} was already used to "
                                f"buy {existing.pack_id}; use a new key for a new purchase",
                                code="idempotency_key_reused",
                                param="Idempotency-Key",
                            )
                        return existing, True
                purchase = Purchase(
                    id=new_id("pur"),
                    user_id=user.id,
                    pack_id=pack.id,
                    units=pack.units,
                    price_cents=pack.price_cents,
                    currency=pack.currency,
                    valid_days=pack.valid_days,
                    provider=provider.name,
                    test_mode=provider.test_mode,
                    status="pending",
                    request_key=request_key,
                    created_at=utcnow(),
                )
                db.add(purchase)
                db.flush()
                return purchase, False
        except IntegrityError:
            continue  # a concurrent request with the same key won: read its purchase
    raise Conflict("the purchase could not be recorded; try again", code="conflict")


def checkout_purchase(
    *, services: Services, user: User, purchase_id: str, now: datetime | None = None
) -> CheckoutResult:
    """The checkout of one of the user's purchases, opened once.

    A purchase that already has a checkout (or is no longer pending) gets the same answer
    again without calling the provider. The provider is called outside any transaction (it
    may be a network call); a failed call marks the purchase failed, and calling this again
    retries it (Stripe sees the same idempotency key, so never two sessions).
    """
    with services.db.read() as db:
        purchase = get_purchase(db=db, actor=user, purchase_id=purchase_id)
    success_url, cancel_url = return_urls(services.settings, purchase)
    if purchase.checkout_url or purchase.status not in ("pending", "failed"):
        return CheckoutResult(purchase, purchase.checkout_url or success_url)
    if purchase.status == "failed" and purchase.provider_session_id is not None:
        return CheckoutResult(purchase, success_url)
    provider = provider_for(services.settings, purchase.provider)
    try:
        checkout = provider.start_checkout(purchase, success_url, cancel_url)
    except ServiceError as error:
        with services.db.write() as db:
            locked = lock_purchase(db=db, purchase_id=purchase.id)
            if locked.status == "pending" and locked.provider_session_id is None:
                locked.status = "failed"
                locked.failure_reason = error.message
        raise
    with services.db.write() as db:
        locked = lock_purchase(db=db, purchase_id=purchase.id)
        closed = _buyer_closed(db, user)  # the purchase's lock, then the wallet's: as webhooks
        if locked.provider_session_id is None:
            locked.provider_session_id = checkout.session_id
            locked.checkout_url = None if closed else checkout.url
            if locked.status == "failed" and not closed:
                locked.status, locked.failure_reason = "pending", None
        if closed and locked.completed_at is None and locked.status in ("pending", "failed"):
            locked.status, locked.failure_reason = "failed", CLOSED_BEFORE_PAID
        elif checkout.completed_now and locked.status == "pending" and not closed:
            complete_purchase(db=db, purchase=locked, payment_id=checkout.payment_id, now=now)
        purchase = locked
    if closed:  # closed while the provider was asked: its new checkout must not take money
        cancel_checkouts(services=services, purchase_ids=[purchase.id])
        raise account_disabled()
    return CheckoutResult(purchase, purchase.checkout_url or success_url)


CLOSED_BEFORE_PAID = "the account was closed before it was paid"


def _buyer_closed(db: Session, user: User) -> bool:
    """Whether the buyer's account is disabled, read under their wallet's lock (which
    closing an account holds while it disables it)."""
    wallet_of(db=db, user_id=user.id, lock=True)
    return is_disabled(db=db, user_id=user.id)


def cancel_checkouts(*, services: Services, purchase_ids: Sequence[str]) -> int:
    """Ask each purchase's provider to end its checkout (after an account closed); how many
    it ended or found ended. A provider that cannot be reached is logged and skipped: the
    purchase is failed in the books already, and a payment that still arrives is credited
    to the account as any late payment is, for the operator to refund."""
    ended = 0
    for purchase_id in purchase_ids:
        with services.db.read() as db:
            purchase = db.get(Purchase, purchase_id)
        if purchase is None or purchase.provider_session_id is None:
            continue
        try:
            provider_for(services.settings, purchase.provider).cancel_checkout(purchase)
        except Exception as exc:  # the closing has committed: log it, go on
            log.warning("could not end the checkout of %s: %s", purchase.id, exc)
            continue
        ended += 1
    return ended


# --- reading -----------------------------------------------------------------------------------


def list_purchases(
    *,
    db: Session,
    actor: User,
    limit: int = MAX_PURCHASES_PAGE,
    include_abandoned: bool = True,
    after: str | None = None,
) -> list[Purchase]:
    """The actor's own purchases, newest first: at most `limit`, after the purchase `after`
    (the previous page's last id) when given."""
    check_limit(limit, MAX_PURCHASES_PAGE + 1)  # the API asks for one more, to say has_more
    query = select(Purchase).where(Purchase.user_id == actor.id)
    if not include_abandoned:
        query = query.where(Purchase.status != "failed")
    if after is not None:
        cursor = _purchase_cursor(db=db, actor=actor, after=after)
        position = (cursor.created_at, cursor.id)
        query = query.where(after_cursor(Purchase.created_at, Purchase.id, position))
    return list(
        db.scalars(query.order_by(Purchase.created_at.desc(), Purchase.id.desc()).limit(limit))
    )


def _purchase_cursor(*, db: Session, actor: User, after: str) -> Purchase:
    purchase = db.get(Purchase, after) if ID_SHAPE.fullmatch(after) else None
    if purchase is None or purchase.user_id != actor.id:
        raise nothing_to_list_after("purchase", after, code="purchase_not_found")
    return purchase


def get_purchase(*, db: Session, actor: User, purchase_id: str) -> Purchase:
    """One of the actor's purchases (others' read as missing; administrators see all)."""
    if not purchase_id:
        raise NotFound(
            "no purchase was named; your purchases are on the Credits page",
            code="purchase_not_found",
            param="purchase",
        )
    purchase = db.get(Purchase, purchase_id) if ID_SHAPE.fullmatch(purchase_id) else None
    if purchase is None or (purchase.user_id != actor.id and actor.role != "admin"):
        raise NotFound(f"no purchase {purchase_id[:64]!r}", code="purchase_not_found")
    return purchase


def lock_purchase(*, db: Session, purchase_id: str) -> Purchase:
    """The purchase, locked for this transaction and refreshed."""
    purchase = db.scalar(
        select(Purchase)
        .where(Purchase.id == purchase_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if purchase is None:
        raise NotFound(f"no purchase {purchase_id[:64]!r}", code="purchase_not_found")
    return purchase


# --- moving the units --------------------------------------------------------------------------


def complete_purchase(
    *, db: Session, purchase: Purchase, payment_id: str | None, now: datetime | None = None
) -> LedgerEntry | None:
    """Credit a pending purchase, once: its units go to the buyer (their debt first).

    A purchase that is no longer pending is left alone (its entry, if any, is returned).
    """
    purchase = lock_purchase(db=db, purchase_id=purchase.id)
    if purchase.status != "pending":
        return find_entry(db=db, key=f"purchase:{purchase.id}")
    entry = _credit(db=db, purchase=purchase, payment_id=payment_id, now=now or utcnow())
    purchase.status = "completed"
    db.flush()
    tell_credited(db, purchase)
    return entry


def _credit(
    *, db: Session, purchase: Purchase, payment_id: str | None, now: datetime
) -> LedgerEntry | None:
    if purchase.user_id is None:
        return None
    wallet = wallet_of(db=db, user_id=purchase.user_id, lock=True)
    to_debt = min(wallet.debt, purchase.units)
    legs = [Leg(platform_account(db=db, name=sale_account_name(purchase)), -purchase.units)]
    if to_debt:
        legs.append(Leg(wallet.owed, to_debt))
    if purchase.units - to_debt:
        legs.append(Leg(wallet.purchased, purchase.units - to_debt))
    entry = transfer(
        db=db,
        key=f"purchase:{purchase.id}",
        legs=legs,
        kind="purchase",
        reason=_described("purchase", purchase, to_debt=to_debt),
        user_id=purchase.user_id,
        reference=purchase.id,
    )
    if payment_id and purchase.provider_payment_id is None:
        purchase.provider_payment_id = payment_id
    purchase.completed_at = now
    purchase.credits_expire_at = now + timedelta(days=purchase.valid_days)
    if purchase.units_refunded:
        # Refunded in part before this credit: take that share back as the refund would have,
        # under its key, so that the refund and the credit each count once.
        _take_refunded(db, purchase, units=purchase.units_refunded, target=purchase.units_refunded)
    return entry


def take_back(
    *,
    db: Session,
    purchase: Purchase,
    reason: str,
    key: str,
    units: int | None = None,
    kind: str = "refund",
) -> LedgerEntry | None:
    """Take `units` (default: all the purchase has left) back from the buyer, once per `key`.

    As many as `purchased` has available are taken from it; the shortfall becomes debt on
    `owed` (negative), which blocks the wallet until a purchase pays it. Returns the entry,
    or None when there is nothing to take.
    """
    units = purchase.units_left if units is None else units
    if units <= 0 or purchase.user_id is None:
        return None
    existing = find_entry(db=db, key=key)
    if existing is not None:
        return existing
    wallet = wallet_of(db=db, user_id=purchase.user_id, lock=True)
    taken = min(units, max(0, wallet.purchased.available))
    legs = [Leg(platform_account(db=db, name=sale_account_name(purchase)), units)]
    if taken:
        legs.append(Leg(wallet.purchased, -taken))
    if units - taken:
        legs.append(Leg(wallet.owed, -(units - taken)))
    return transfer(
        db=db,
        key=key,
        legs=legs,
        kind=kind,
        reason=reason,
        user_id=purchase.user_id,
        reference=purchase.id,
    )


def give_back(
    *, db: Session, purchase: Purchase, reason: str, key: str, units: int
) -> LedgerEntry | None:
    """Return `units` taken back earlier (a dispute won), once per `key`: debt first."""
    if units <= 0 or purchase.user_id is None:
        return None
    existing = find_entry(db=db, key=key)
    if existing is not None:
        return existing
    wallet = wallet_of(db=db, user_id=purchase.user_id, lock=True)
    to_debt = min(wallet.debt, units)
    legs = [Leg(platform_account(db=db, name=sale_account_name(purchase)), -units)]
    if to_debt:
        legs.append(Leg(wallet.owed, to_debt))
    if units - to_debt:
        legs.append(Leg(wallet.purchased, units - to_debt))
    return transfer(
        db=db,
        key=key,
        legs=legs,
        kind="dispute_won",
        reason=reason,
        user_id=purchase.user_id,
        reference=purchase.id,
    )


def _described(what: str, purchase: Purchase, *, to_debt: int = 0) -> str:
    money = money_text(purchase.price_cents, purchase.currency)
    test = " (test money)" if purchase.test_mode else ""
    text = f"{what} {purchase.id}: {purchase.units} units for {money}{test}"
    return text + (f"; {to_debt} units paid what was owed" if to_debt else "")


def _taken_back(what: str, purchase: Purchase, units: int) -> str:
    """A refund's or a dispute's line: the units this one took back, of the purchase's."""
    money = money_text(purchase.price_cents, purchase.currency)
    test = ", test money" if purchase.test_mode else ""
    return (
        f"{what} {purchase.id}: {units} of its {purchase.units} units taken back "
        f"(bought for {money}{test})"
    )


# --- provider events ---------------------------------------------------------------------------


def handle_webhook(
    *, services: Services, provider_name: str, payload: bytes, signature_header: str | None
) -> str:
    """Verify and handle one webhook delivery; the outcome (for logs and the response)."""
    event = provider_for(services.settings, provider_name).parse_webhook(payload, signature_header)
    return handle_event(services=services, event=event)


def handle_event(*, services: Services, event: ProviderEvent, now: datetime | None = None) -> str:
    """Apply a verified provider event, once per (provider, event id); return the outcome.

    `duplicate` for an event already handled (nothing changes); otherwise what was done:
    `credited`, `refunded`, `disputed`, `dispute_won`, `dispute_lost`, `inquiry` (opened or
    still one: nothing taken), `inquiry_closed`, `failed`, or why nothing was (`ignored`,
    `unknown_purchase`, `already_credited`, `already_disputed`, `amount_mismatch`...).
    """
    with services.db.write() as db:
        claimed = _claim_event(db=db, event=event)
        if claimed is None:
            return "duplicate"
        outcome, purchase_id, returned = _apply_event(db=db, event=event, now=now or utcnow())
        if purchase_id is not None:
            purchase = db.get_one(Purchase, purchase_id)
            tell_outcome(db, purchase, outcome, event.event_id)
            tell_operators(db, purchase, _problem(db, purchase, outcome), event.event_id)
        row = db.get(PaymentEvent, claimed)
        assert row is not None
        row.outcome = outcome
        row.purchase_id = purchase_id
        row.returned_cents = returned
        row.payment_id = (event.payment_id or "")[:255] or None
        if event.kind == "payment_completed" and event.amount_cents is not None:
            row.paid_cents = event.amount_cents
            row.paid_currency = (event.currency or "").lower()[:3] or None
    status = f", {event.provider_status}" if event.provider_status else ""
    log.info(
        "payment event %s %s (%s%s): %s",
        event.provider,
        event.event_id,
        event.type,
        status,
        outcome,
    )
    return outcome


def _problem(db: Session, purchase: Purchase, outcome: str) -> str:
    """What an event's outcome is for the operator: `paid_after_close` for a payment credited
    to a closed account (`payment_problems` reads it so too), else the outcome itself."""
    buyer = db.get(User, purchase.user_id) if purchase.user_id else None
    closed = buyer is not None and buyer.disabled_at is not None
    return "paid_after_close" if outcome == "credited" and closed else outcome


def _claim_event(*, db: Session, event: ProviderEvent) -> str | None:
    """Insert the event's row (its id), or None if the event was handled already."""
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = db.execute(
        insert(PaymentEvent)
        .values(
            id=new_id("pev"),
            provider=event.provider,
            event_id=event.event_id[:255],
            type=event.type[:80],
            outcome="processing",
            processed_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_id"])
        .returning(PaymentEvent.id)
    )
    return result.scalar_one_or_none()


def _apply_event(
    *, db: Session, event: ProviderEvent, now: datetime
) -> tuple[str, str | None, int]:
    """(outcome, the purchase's id, the money it moved back to the buyer)."""
    if event.kind == "ignored":
        return "ignored", None, 0
    purchase = _purchase_for(db=db, event=event)
    if purchase is None:
        log.warning("payment event %s names no purchase of ours", event.event_id)
        return "unknown_purchase", None, 0
    handlers = {
        "payment_completed": _on_payment_completed,
        "payment_failed": _on_payment_failed,
        "refunded": _on_refunded,
        "dispute_opened": _on_dispute_opened,
        "dispute_closed": _on_dispute_closed,
    }
    before = purchase.cents_returned
    outcome = handlers[event.kind](db, purchase, event, now)
    return outcome, purchase.id, purchase.cents_returned - before


def _purchase_for(*, db: Session, event: ProviderEvent) -> Purchase | None:
    """The purchase an event is about (by our id, the session, or the payment), locked."""
    found = None
    if event.purchase_id and ID_SHAPE.fullmatch(event.purchase_id):
        found = db.get(Purchase, event.purchase_id)
    if found is None and event.session_id:
        found = db.scalar(select(Purchase).where(Purchase.provider_session_id == event.session_id))
    if found is None and event.payment_id:
        found = db.scalar(select(Purchase).where(Purchase.provider_payment_id == event.payment_id))
    if found is None or found.provider != event.provider:
        return None
    return lock_purchase(db=db, purchase_id=found.id)


def _on_payment_completed(
    db: Session, purchase: Purchase, event: ProviderEvent, now: datetime
) -> str:
    if purchase.status not in ("pending", "failed"):
        return "already_credited" if purchase.completed_at else f"purchase_{purchase.status}"
    if (  # an amount not said is not the price: nothing is credited on trust
        event.amount_cents is None
        or event.amount_cents != purchase.price_cents
        or (event.currency or "").lower() != purchase.currency
    ):
        log.error(
            "payment for %s was %s %s, the purchase costs %s %s: not credited",
            purchase.id,
            event.amount_cents,
            event.currency,
            purchase.price_cents,
            purchase.currency,
        )
        return "amount_mismatch"
    if event.payment_id and _payment_used_elsewhere(db, purchase, event.payment_id):
        return "payment_already_used"
    if event.session_id and purchase.provider_session_id is None:
        purchase.provider_session_id = event.session_id
    purchase.status, purchase.failure_reason = "pending", None
    complete_purchase(db=db, purchase=purchase, payment_id=event.payment_id, now=now)
    buyer = db.get(User, purchase.user_id) if purchase.user_id else None
    if buyer is not None and buyer.disabled_at is not None:
        # The money was taken, so the books show it; a closed wallet can never spend it.
        log.error(
            "purchase %s (payment %s) was paid after its account %s was closed: refund it "
            "with the payment provider",
            purchase.id,
            event.payment_id,
            buyer.id,
        )
    return "credited"


def _on_payment_failed(db: Session, purchase: Purchase, event: ProviderEvent, now: datetime) -> str:
    if purchase.status != "pending":
        return "ignored"
    purchase.status = "failed"
    purchase.failure_reason = f"the payment did not complete ({event.type})"
    return "failed"


def _on_refunded(db: Session, purchase: Purchase, event: ProviderEvent, now: datetime) -> str:
    full = (
        event.amount_refunded_cents is None
        or not event.amount_cents
        or event.amount_refunded_cents >= event.amount_cents
    )
    if full:
        refunded, target = purchase.price_cents, purchase.units
    else:
        assert event.amount_refunded_cents is not None
        assert event.amount_cents
        refunded = event.amount_refunded_cents
        target = purchase.units * event.amount_refunded_cents // event.amount_cents
    room = purchase.price_cents - purchase.cents_disputed  # never more back than was paid
    _note_payment(db, purchase, event.payment_id)
    if purchase.completed_at is None:
        # Refunded before we heard it was paid: nothing was credited yet.
        if full:  # and nothing will be: neither a sale nor a refund in the books
            purchase.status = "refunded"
            purchase.cents_refunded = purchase.units_refunded = 0
        else:  # the credit will take this share back (`_credit`)
            purchase.cents_refunded = max(purchase.cents_refunded, min(refunded, room))
            purchase.units_refunded = max(purchase.units_refunded, target)
        return "refunded"
    purchase.cents_refunded = max(purchase.cents_refunded, min(refunded, room))
    if refunded >= room and dispute_lost(db, purchase):
        target = purchase.units  # with the share the dispute took, all the money went back
    more = min(target - purchase.units_refunded, purchase.units_left)
    _take_refunded(db, purchase, units=more, target=target)
    purchase.units_refunded = max(purchase.units_refunded, target)
    if full and purchase.status != "disputed":
        purchase.status = "refunded"
    return "refunded"


def _take_refunded(db: Session, purchase: Purchase, *, units: int, target: int) -> None:
    """Take back `units` for a refund that brings the purchase's refunded units to `target`,
    under the key `refund:<id>:<target>` (so the credit of a purchase refunded before it was
    paid, and the refund itself, share one entry)."""
    if units > 0:
        take_back(
            db=db,
            purchase=purchase,
            units=units,
            key=f"refund:{purchase.id}:{target}",
            kind="refund",
            reason=_taken_back("refund of", purchase, units),
        )


def _on_dispute_opened(db: Session, purchase: Purchase, event: ProviderEvent, now: datetime) -> str:
    if purchase.status == "disputed":
        return "already_disputed"
    if purchase.status in ("refunded", "dispute_won") or _dispute_closed_before(db, purchase):
        # Refunded: the money went back already, and so did the units. Closed: a payment has
        # one dispute, and its close was handled (this is a late copy of an earlier state).
        return "ignored"
    if event.dispute_status == "inquiry":  # no money was taken: neither are the units
        _note_payment(db, purchase, event.payment_id)
        return "inquiry"
    _take_disputed(db, purchase, event)
    return "disputed"


# What handling a dispute's close comes to (`_on_dispute_closed`): by outcome, as the event's
# type is the provider's own word (`charge.dispute.closed`).
_CLOSED_OUTCOMES = ("dispute_won", "dispute_lost", "inquiry_closed")


def _dispute_closed_before(db: Session, purchase: Purchase) -> bool:
    closed = select(PaymentEvent.id).where(
        PaymentEvent.purchase_id == purchase.id, PaymentEvent.outcome.in_(_CLOSED_OUTCOMES)
    )
    return db.scalar(closed.limit(1)) is not None


def dispute_lost(db: Session, purchase: Purchase) -> bool:
    """Whether the purchase's dispute closed with the money kept by the buyer's bank."""
    return purchase.status == "disputed" and _dispute_closed_before(db, purchase)


def _take_disputed(db: Session, purchase: Purchase, event: ProviderEvent) -> None:
    """A chargeback (opened, an inquiry escalated, or first heard of as lost): take back the
    units of the disputed money, once per dispute (its key), and mark the purchase disputed.
    Before the payment is credited nothing is taken (the credit waits for the dispute's
    close); the amount of a partial dispute is kept for then."""
    room = purchase.price_cents - purchase.cents_refunded
    cents = min(event.amount_cents or room, room)
    if purchase.completed_at is not None:
        purchase.cents_disputed = cents
        _take_dispute_share(db, purchase, event)
    elif cents < room:  # a full one lost is neither a sale nor a refund, as a full refund
        purchase.cents_disputed = cents
    _note_payment(db, purchase, event.payment_id)
    purchase.status = "disputed"


def _take_dispute_share(db: Session, purchase: Purchase, event: ProviderEvent) -> None:
    """Take back the units of the credited purchase's disputed money (`cents_disputed`), as
    a refund's would be (all that is left for all of it), once per dispute."""
    room = purchase.price_cents - purchase.cents_refunded
    cents = purchase.cents_disputed
    share = purchase.units * cents // purchase.price_cents if cents < room else purchase.units
    units = min(share, purchase.units_left)
    key = f"dispute:{purchase.id}:{event.dispute_id or event.event_id}"
    if units > 0 and find_entry(db=db, key=key) is None:
        take_back(
            db=db,
            purchase=purchase,
            units=units,
            key=key,
            kind="dispute",
            reason=_taken_back("dispute of", purchase, units),
        )
        purchase.units_disputed += units


def _on_dispute_closed(db: Session, purchase: Purchase, event: ProviderEvent, now: datetime) -> str:
    won = event.dispute_status == "won"
    if purchase.status != "disputed":
        if purchase.status not in ("pending", "completed"):
            return "ignored"
        if won:
            return "inquiry_closed"  # nothing was taken, nothing to give back
        # Lost without our having seen the money taken (an inquiry whose escalation we
        # missed): take the units now, as the chargeback would have.
        _take_disputed(db, purchase, event)
        return _lost(db, purchase, event, now)
    if not won:
        return _lost(db, purchase, event, now)
    if purchase.completed_at is None:
        # The dispute opened before the payment was credited: credit it now.
        _credit(db=db, purchase=purchase, payment_id=event.payment_id, now=now)
    else:
        # Never give back units that a refund took meanwhile (they went back as money).
        keep = purchase.units - purchase.units_refunded - purchase.units_expired
        give_back(
            db=db,
            purchase=purchase,
            units=min(purchase.units_disputed, max(0, keep)),
            key=f"dispute-won:{purchase.id}:{event.dispute_id or event.event_id}",
            reason=_described("dispute won for", purchase),
        )
        # Its validity may have ended meanwhile: the next expiry run (housekeeping) looks at
        # it again, so the units given back expire as the rest did.
        purchase.credits_expired_at = None
    purchase.units_disputed = 0
    purchase.cents_disputed = 0
    purchase.status = "refunded" if purchase.units_refunded >= purchase.units else "dispute_won"
    return "dispute_won"


def _lost(db: Session, purchase: Purchase, event: ProviderEvent, now: datetime) -> str:
    """A dispute lost: the units stay taken back (and any debt stays owed). A partial one
    that opened before the payment was credited leaves the rest of the payment with us: the
    purchase is credited now, and the disputed share taken back."""
    if purchase.completed_at is None and purchase.cents_disputed:
        _credit(db=db, purchase=purchase, payment_id=event.payment_id, now=now)
        _take_dispute_share(db, purchase, event)
    return "dispute_lost"


def _payment_used_elsewhere(db: Session, purchase: Purchase, payment_id: str) -> bool:
    other = db.scalar(select(Purchase.id).where(Purchase.provider_payment_id == payment_id))
    return other is not None and other != purchase.id


def _note_payment(db: Session, purchase: Purchase, payment_id: str | None) -> None:
    if (
        payment_id
        and purchase.provider_payment_id is None
        and not _payment_used_elsewhere(db, purchase, payment_id)
    ):
        purchase.provider_payment_id = payment_id


# --- for the operator ----------------------------------------------------------------------

# What handling an event came to when money moved without a credit to match it.
PROBLEM_OUTCOMES = ("amount_mismatch", "payment_already_used", "unknown_purchase")


@dataclass(frozen=True)
class PaymentProblem:
    event: PaymentEvent
    what: str  # the outcome, or `paid_after_close`
    purchase: Purchase | None  # the purchase it was about (its price, ids), if one of ours
    account: User | None  # the buyer's account, if known

    @property
    def buyer(self) -> str | None:
        """The buyer's address (a closed account's marked), if known."""
        if self.account is None:
            return None
        closed = self.account.disabled_at is not None
        return f"{self.account.email} (closed)" if closed else self.account.email


def payment_problems(
    *, db: Session, actor: User | Operator, limit: int = 100, settled: bool = False
) -> list[PaymentProblem]:
    """Provider events that need the operator, newest first: those in PROBLEM_OUTCOMES, and
    payments credited after their account was closed; those not settled yet, or (`settled`)
    those settled, last settled first. Administrators only (403 `admin_only`): the command
    line's and the operator's page's one list."""
    require_admin(actor)
    query = _problem_rows().limit(limit)
    if settled:
        query = query.where(PaymentEvent.settled_at.is_not(None)).order_by(
            PaymentEvent.settled_at.desc(), PaymentEvent.id.desc()
        )
    else:
        query = query.where(PaymentEvent.settled_at.is_(None)).order_by(
            PaymentEvent.processed_at.desc(), PaymentEvent.id.desc()
        )
    rows = db.execute(query).all()
    return [
        PaymentProblem(
            event=event,
            what="paid_after_close" if event.outcome == "credited" else event.outcome,
            purchase=purchase,
            account=buyer,
        )
        for event, purchase, buyer in rows
    ]


def paid_text(event: PaymentEvent) -> str | None:
    """What a payment event said was paid, as money text; None when it said nothing."""
    if event.paid_cents is None:
        return None
    if not event.paid_currency:
        return f"{event.paid_cents} (no currency said)"
    return money_text(event.paid_cents, event.paid_currency)


def covers_price(event: PaymentEvent, purchase: Purchase) -> bool:
    """Whether a payment event paid at least the purchase's price, in its currency."""
    return (
        event.paid_cents is not None
        and event.paid_currency == purchase.currency
        and event.paid_cents >= purchase.price_cents
    )


def _problem_rows() -> Select[tuple[PaymentEvent, Purchase, User]]:
    """The provider events that are payment problems, with their purchase and buyer."""
    closed_then = and_(
        PaymentEvent.outcome == "credited",
        User.disabled_at.is_not(None),
        User.disabled_at <= PaymentEvent.processed_at,
    )
    return (
        select(PaymentEvent, Purchase, User)
        .outerjoin(Purchase, Purchase.id == PaymentEvent.purchase_id)
        .outerjoin(User, User.id == Purchase.user_id)
        .where(or_(PaymentEvent.outcome.in_(PROBLEM_OUTCOMES), closed_then))
    )


def settle_problem(
    *,
    db: Session,
    actor: User | Operator,
    problem_id: str,
    note: str,
    now: datetime | None = None,
) -> PaymentEvent:
    """Mark the payment problem `problem_id` (a payment event's id, `pev_...`) settled, saying
    how (`note`: the provider's refund id, the grant made): it leaves the list of problems to
    settle for the settled ones. Administrators only (403 `admin_only`); 404
    `payment_problem_not_found` for an event that is no problem; 409
    `payment_problem_settled` when it was settled already (by whom, and how, said); 400
    `invalid_note` for no note, a long one or hidden characters."""
    require_admin(actor)
    text = _settle_note(note)
    event = db.scalar(
        select(PaymentEvent).where(PaymentEvent.id == problem_id[:64]).with_for_update()
    )
    if (
        event is None
        or db.scalar(
            _problem_rows().where(PaymentEvent.id == event.id).with_only_columns(PaymentEvent.id)
        )
        is None
    ):
        raise NotFound(
            f"no payment problem {problem_id[:80]!r}; `reelmint admin payments problems` (its "
            "last column) or the operator's Payment problems page names them",
            code="payment_problem_not_found",
            param="problem",
        )
    if event.settled_at is not None:
        raise Conflict(
            f"payment problem {event.id} was settled already, by {event.settled_by}: "
            f"{event.settled_note}",
            code="payment_problem_settled",
        )
    event.settled_at = now or utcnow()
    event.settled_by = actor.email if isinstance(actor, User) else "operator"
    event.settled_note = text
    db.flush()
    return event


MAX_SETTLE_NOTE = 500


def _settle_note(note: str) -> str:
    return one_line(
        note,
        most=MAX_SETTLE_NOTE,
        code="invalid_note",
        param="note",
        length=f"say how it was settled in 1 to {MAX_SETTLE_NOTE} characters (the provider's "
        "refund id, the grant made)",
    )


def payment_refused(db: Session, purchase: Purchase) -> bool:
    """Whether a payment for the purchase arrived that could not be credited (another
    amount, or a payment already used): the buyer waits on the operator, not the provider."""
    refused = select(PaymentEvent.id).where(
        PaymentEvent.purchase_id == purchase.id,
        PaymentEvent.outcome.in_(("amount_mismatch", "payment_already_used")),
    )
    return db.scalar(refused.limit(1)) is not None


# --- expiry ------------------------------------------------------------------------------------


def expire_credits(*, db: Session, now: datetime | None = None, limit: int = 500) -> list[str]:
    """Expire the credits of purchases whose validity ended; return those purchases' ids.

    FIFO without lots: the units a wallet still has belong to its purchases that expire
    last; a purchase that expires takes with it only what cannot belong to a later one
    (at most what it brought to `purchased`: units of it that paid a debt do not count, for
    it or for a later one). Units of it that a video holds at that moment cannot expire
    yet: the purchase stays due, and a later run expires them if the video gives them back
    (or finds them spent). Each expiry is one entry (`credits-expire:<id>`, then
    `credits-expire:<id>:<units expired before>` for what a hold kept).
    """
    now = now or utcnow()
    due_users = list(
        dict.fromkeys(
            db.scalars(
                select(Purchase.user_id)
                .where(
                    Purchase.completed_at.is_not(None),
                    Purchase.credits_expired_at.is_(None),
                    Purchase.credits_expire_at <= now,
                    Purchase.user_id.is_not(None),
                )
                .order_by(Purchase.credits_expire_at)
                .limit(limit)
            )
        )
    )
    expired: list[str] = []
    for user_id in due_users:
        assert user_id is not None
        expired.extend(_expire_for_user(db=db, user_id=user_id, now=now))
    return expired


def _expire_for_user(
    *, db: Session, user_id: str, now: datetime, retire_test_money: bool = False
) -> list[str]:
    """Expire the user's purchases that are due at `now`; with `retire_test_money`, those
    bought with test money are due now, whatever their validity (`retire_test_money_of`)."""
    # Lock order as everywhere in payments: purchases (by id), then the wallet's accounts.
    live = list(
        db.scalars(
            select(Purchase)
            .where(
                Purchase.user_id == user_id,
                Purchase.completed_at.is_not(None),
                Purchase.credits_expired_at.is_(None),
                Purchase.status.in_((*CREDITED_STATUSES, "refunded")),
            )
            .order_by(Purchase.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if retire_test_money:
        for purchase in live:
            due = purchase.credits_expire_at
            if purchase.test_mode and (due is None or due > now):
                purchase.credits_expire_at = now
    live.sort(key=_expiry_order)
    wallet = wallet_of(db=db, user_id=user_id, lock=True)
    to_debt = _units_paid_to_debt(db, wallet.owed.id, [purchase.id for purchase in live])

    def in_purchased(purchase: Purchase) -> int:
        return max(0, purchase.units_left - to_debt.get(purchase.id, 0))

    done: list[str] = []
    for index, purchase in enumerate(live):
        assert purchase.credits_expire_at is not None
        if purchase.credits_expire_at > now:
            break
        later = sum(in_purchased(other) for other in live[index + 1 :])
        owned = min(in_purchased(purchase), max(0, wallet.purchased.balance - later))
        units = min(owned, max(0, wallet.purchased.available - later))  # held ones must wait
        if units:
            before = purchase.units_expired
            transfer(
                db=db,
                key=f"credits-expire:{purchase.id}" + (f":{before}" if before else ""),
                legs=[
                    Leg(wallet.purchased, -units),
                    Leg(platform_account(db=db, name=EXPIRED_ACCOUNT), units),
                ],
                kind="credits_expired",
                reason=_expiry_reason(purchase, units, retired=retire_test_money),
                user_id=user_id,
                reference=purchase.id,
            )
        purchase.units_expired += units
        if units == owned:  # none of it is held: it is done
            purchase.credits_expired_at = now
            done.append(purchase.id)
    db.flush()
    return done


def _expiry_reason(purchase: Purchase, units: int, *, retired: bool) -> str:
    if retired and purchase.test_mode:
        return (
            f"{units} units of purchase {purchase.id}, bought with test money, taken back: "
            "the platform takes real payments now"
        )
    return f"{units} units of purchase {purchase.id} expired after {purchase.valid_days} days"


# --- going live: test money -------------------------------------------------------------------


@dataclass(frozen=True)
class OutstandingTestMoney:
    """Credits bought with test money (the sandbox, Stripe's test mode) not yet expired:
    whose, of how many purchases, and at most how many units (some may have been spent)."""

    user_ids: list[str]
    purchases: int
    units_at_most: int


def outstanding_test_money(*, db: Session) -> OutstandingTestMoney:
    """What `retire_test_money_of` would take back, over every account."""
    rows = db.execute(_test_money_purchases().order_by(Purchase.user_id, Purchase.id)).scalars()
    found = list(rows)
    users = list(dict.fromkeys(p.user_id for p in found if p.user_id is not None))
    return OutstandingTestMoney(users, len(found), sum(p.units_left for p in found))


def retire_test_money_of(*, db: Session, user_id: str, now: datetime | None = None) -> int:
    """Take back what is left of the user's credits bought with test money, as their expiry
    would (one `credits_expired` entry per purchase, saying why; what another purchase's
    credits account for stays, and units a video holds wait for it to settle, the next
    expiry run taking them if they come back). The user is told in the app and by email.
    Run it for every account (`outstanding_test_money`) when the platform starts taking real money:
    credits nobody paid for should not turn into licence fees and tips paid out for real.
    Returns the units taken back."""
    from reelmint.domains.notifications.service import notify

    now = now or utcnow()
    before = _test_units_expired(db, user_id)
    _expire_for_user(db=db, user_id=user_id, now=now, retire_test_money=True)
    taken = _test_units_expired(db, user_id) - before
    user = db.get(User, user_id)
    if taken and user is not None:
        notify(
            db=db,
            user=user,
            kind="test_credits_retired",
            title=f"{taken} test credits were taken back",
            body=(
                f"{taken} units you had from credit packs bought with test money (no real "
                "payment) were taken back: this platform now takes real payments. Your "
                "statement shows each one. Credits you buy from now on are yours as usual."
            ),
            link="/wallet",
            email=True,
        )
    return taken


def _test_money_purchases() -> Select[tuple[Purchase]]:
    return select(Purchase).where(
        Purchase.test_mode.is_(True),
        Purchase.completed_at.is_not(None),
        Purchase.credits_expired_at.is_(None),
        Purchase.user_id.is_not(None),
    )


def _test_units_expired(db: Session, user_id: str) -> int:
    query = select(func.coalesce(func.sum(Purchase.units_expired), 0)).where(
        Purchase.user_id == user_id, Purchase.test_mode.is_(True)
    )
    return int(db.scalar(query) or 0)


def _units_paid_to_debt(db: Session, owed_id: str, purchase_ids: list[str]) -> dict[str, int]:
    """Per purchase, the units its credit (`purchase:<id>`) and a dispute won for it
    (`dispute-won:<id>:...`) sent to `owed` to pay a debt, read from the ledger: they never
    reached `purchased`, so none of the units there can be theirs."""
    if not purchase_ids:
        return {}
    rows = db.execute(
        select(LedgerEntry.reference, func.sum(LedgerPosting.amount))
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .where(
            LedgerPosting.account_id == owed_id,
            LedgerPosting.amount > 0,
            LedgerEntry.kind.in_(("purchase", "dispute_won")),
            LedgerEntry.reference.in_(purchase_ids),
        )
        .group_by(LedgerEntry.reference)
    )
    return {reference: int(units) for reference, units in rows if reference}


def _expiry_order(purchase: Purchase) -> tuple[datetime, str]:
    assert purchase.credits_expire_at is not None
    return purchase.credits_expire_at, purchase.id
