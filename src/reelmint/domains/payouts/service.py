"""Payouts: a creator (their available tips) or a rights holder's owner (their organisation's
available licence-fee shares) asks to be paid; the operator sends the money by whatever means
they use (a bank transfer, PayPal) and marks the payout paid, or rejects it.

The money path is the ledger's two-phase hold, so every step happens exactly once:
- requesting reserves the units on the payee's available account (`reserve`, keyed by the
  payee's Idempotency-Key: a retry asks once, and two requests can never reserve more than is
  available); the operators are told;
- paid posts the hold to `platform:payouts`; rejected (by the operator) or cancelled (by the
  payee) voids it and the units are available again. The payee is told either way.

The payout row is locked before its hold, so "paid" and "cancelled" arriving together settle it
once: the second sees the first's status. Every check is here, not only in the routes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.db.paging import after_cursor, nothing_to_list_after
from reelmint.domains.accounts.models import Membership, User
from reelmint.domains.accounts.service import Operator, is_owner, require_admin
from reelmint.domains.ledger.models import LedgerAccount, LedgerHold
from reelmint.domains.ledger.service import (
    InsufficientUnits,
    platform_account_id,
    post_hold,
    reserve,
    void_hold,
)
from reelmint.domains.payouts.models import PAYOUT, PAYOUT_STATUSES, Payout
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from reelmint.money import money_text
from reelmint.terminal import hidden_character
from reelmint.wording import count_of

MAX_NOTE_CHARS = 500
MAX_TEXT_CHARS = 200
MAX_LIST = 200


@dataclass(frozen=True)
class Payee:
    """Whose available units a payout comes from."""

    kind: str  # creator | rights_holder
    id: str  # the user's or the organisation's id
    name: str
    account: LedgerAccount


# --- the payee's side -------------------------------------------------------------------------


@dataclass(frozen=True)
class Requested:
    """A payout asked for, and whether it is the one an earlier call with the key made."""

    payout: Payout
    replayed: bool


def request_payout(
    *,
    db: Session,
    settings: Settings,
    actor: User,
    units: int,
    key: str,
    organisation_id: str | None = None,
    note: str = "",
) -> Payout:
    """Ask to be paid (`request_payout_once`), the payout only."""
    return request_payout_once(
        db=db,
        settings=settings,
        actor=actor,
        units=units,
        key=key,
        organisation_id=organisation_id,
        note=note,
    ).payout


def request_payout_once(
    *,
    db: Session,
    settings: Settings,
    actor: User,
    units: int,
    key: str,
    organisation_id: str | None = None,
    note: str = "",
) -> Requested:
    """Ask to be paid `units` of the actor's available tips (or, with `organisation_id`, of
    that rights holder's available earnings: owners only), once per `key` (a retry gets the
    same payout, `replayed`). Refusals change nothing: 403 `payouts_off` / `account_disabled`
    / `owner_only`, 404 `organisation_not_found`, 400 `invalid_units` / `invalid_note`, 409
    `insufficient_earnings`, and 409 `debt_outstanding` for tips while the creator's wallet
    owes units (an organisation's earnings are its own: an owner's debt does not hold them).
    """
    from reelmint.domains.payments.service import provider_for
    from reelmint.domains.wallet.service import account_disabled, is_disabled

    _check_open(settings)
    if is_disabled(db=db, user_id=actor.id):
        raise account_disabled()
    # who may ask comes first: an outsider learns nothing of an organisation from the amount
    payee = payee_of(db=db, actor=actor, organisation_id=organisation_id)
    note = _checked_note(note)
    _check_units(settings, units)
    if payee.kind == "creator":
        _check_owes_nothing(db, actor)
    rate = settings.payout_cents_per_unit
    cents = units * rate
    money = money_text(cents, settings.payout_currency)
    digest = hashlib.sha256(key.encode()).hexdigest()[:40]
    try:
        hold = reserve(  # the same key for another payee or amount: 409 (the fingerprint)
            db=db,
            key=f"payout:{actor.id}:{digest}",
            debit=payee.account,
            credit_id=platform_account_id(db=db, name="payouts"),
            amount=units,
            kind=PAYOUT,
            reason=f"payout of {units} units ({money}) to {payee.name}",
            user_id=actor.id if payee.kind == "creator" else None,
            expires_at=None,  # waits for the operator, however long
        )
    except InsufficientUnits:
        raise _not_enough(db, payee, units) from None
    existing = db.scalar(select(Payout).where(Payout.hold_id == hold.id))
    if existing is not None:  # a retry with the same key: the same payout, if it is the same
        if existing.note != note:
            raise Conflict(
                "this Idempotency-Key was already used for a payout with another note; use a "
                "new key",
                code="idempotency_key_reused",
            )
        return Requested(existing, replayed=True)
    payout = Payout(
        payee_kind=payee.kind,
        payee_id=payee.id,
        account_id=payee.account.id,
        hold_id=hold.id,
        requested_by=actor.id,
        units=units,
        cents_per_unit=rate,
        cents=cents,
        currency=settings.payout_currency,
        note=note,
        status="requested",
        test_mode=provider_for(settings).test_mode,
    )
    db.add(payout)
    db.flush()
    _tell_operators(db, payout, payee)
    return Requested(payout, replayed=False)


def _check_owes_nothing(db: Session, actor: User) -> None:
    """409 `debt_outstanding` while the actor's wallet owes units: the platform would pay out
    tips to someone who owes it for credits already spent."""
    from reelmint.domains.wallet.service import read_wallet

    owed = read_wallet(db=db, user_id=actor.id).debt
    if owed:
        raise Conflict(
            f"your wallet owes {count_of(owed, 'unit')} (a payment of yours was refunded or "
            "disputed after its credits were spent): buying credits pays it off first; then "
            "ask for the payout",
            code="debt_outstanding",
        )


def _not_enough(db: Session, payee: Payee, units: int) -> Conflict:
    """409 `insufficient_earnings`: how many are available, and how many wait to be."""
    from reelmint.domains.wallet.service import earnings_account
    from reelmint.domains.wallet.tips import tips_account

    if payee.kind == "creator":
        waiting = tips_account(db=db, user_id=payee.id)
    else:
        waiting = earnings_account(db=db, organisation_id=payee.id)
    pending = max(waiting.available, 0)
    later = (
        f" (and {pending} pending, which become available after the hold period)" if pending else ""
    )
    return Conflict(
        f"a payout of {units} units needs as many available; {payee.name} has "
        f"{max(payee.account.available, 0)}{later}",
        code="insufficient_earnings",
        param="units",
    )


def suspended_payees(*, db: Session, payouts: Sequence[Payout]) -> set[str]:
    """The creators among the payouts' payees whose accounts are suspended
    (`accounts.suspension`): the operator may hold their payouts while looking into it."""
    creators = {p.payee_id for p in payouts if p.payee_kind == "creator"}
    if not creators:
        return set()
    query = select(User.id).where(User.id.in_(creators), User.suspended_at.is_not(None))
    return set(db.scalars(query))


def payee_debts(*, db: Session, payouts: Sequence[Payout]) -> dict[str, int]:
    """The units each creator among the payouts' payees owes (their wallet blocked for a
    refunded or disputed payment), by user id; only those owing any. A payout asked for
    before the debt arose still waits: the operator may reject it until the debt is paid."""
    from reelmint.domains.ledger.models import LedgerAccount

    creators = {p.payee_id for p in payouts if p.payee_kind == "creator"}
    if not creators:
        return {}
    rows = db.execute(
        select(LedgerAccount.user_id, LedgerAccount.balance).where(
            LedgerAccount.user_id.in_(creators),
            LedgerAccount.kind == "owed",
            LedgerAccount.balance < 0,
        )
    )
    return {user_id: -balance for user_id, balance in rows if user_id}


def payee_of(*, db: Session, actor: User, organisation_id: str | None = None) -> Payee:
    """The actor as a creator, or the rights-holder organisation they own (else 404/403)."""
    from reelmint.domains.rights.service import holder_organisation
    from reelmint.domains.wallet.service import earnings_account
    from reelmint.domains.wallet.tips import tips_account

    if organisation_id is None:
        account = tips_account(db=db, user_id=actor.id, available=True)
        return Payee("creator", actor.id, actor.display_name, account)
    organisation = holder_organisation(db=db, actor=actor, organisation_id=organisation_id)
    if not is_owner(db=db, user_id=actor.id, organisation_id=organisation.id):
        raise Forbidden(
            "only an owner of the organisation may ask for its payouts", code="owner_only"
        )
    account = earnings_account(db=db, organisation_id=organisation.id, available=True)
    return Payee("rights_holder", organisation.id, organisation.name, account)


def cancel_payout(*, db: Session, actor: User, payout_id: str) -> Payout:
    """The payee takes back a payout not yet paid: its units are available again. Cancelling
    one already cancelled returns it; one paid or rejected is 409 `payout_settled`; a member
    who is not an owner (or an administrator) is 403 `owner_only`."""
    payout = _locked(db, payout_id)
    if not _may_see(db, actor, payout):
        raise _not_found(payout_id)
    if not _may_manage(db, actor, payout):
        raise Forbidden(
            "only the payee (the creator, or an owner of the organisation) may cancel a payout; "
            "an administrator rejects it instead",
            code="owner_only",
        )
    if payout.status == "cancelled":
        return payout
    _require_requested(payout)
    reason = f"cancelled by {actor.display_name}"
    return _settle(db, payout, "cancelled", by=actor.id, reason=reason)


def list_payouts(
    *,
    db: Session,
    actor: User,
    organisation_id: str | None = None,
    own: bool = False,
    limit: int = MAX_LIST,
    after: str | None = None,
) -> list[Payout]:
    """The actor's own payouts and their organisations' (members see them), newest first;
    with `organisation_id`, that organisation's only; with `own`, the actor's own only;
    `after`: the last id of the previous page."""
    organisations = select(Membership.organisation_id).where(Membership.user_id == actor.id)
    if own:
        where = (Payout.payee_kind == "creator") & (Payout.payee_id == actor.id)
    elif organisation_id is not None:
        where = (Payout.payee_kind == "rights_holder") & (Payout.payee_id == organisation_id)
        where &= Payout.payee_id.in_(organisations)
    else:
        where = or_(
            (Payout.payee_kind == "creator") & (Payout.payee_id == actor.id),
            (Payout.payee_kind == "rights_holder") & Payout.payee_id.in_(organisations),
        )
    query = select(Payout).where(where).order_by(Payout.created_at.desc(), Payout.id.desc())
    if after is not None:
        cursor = _cursor(db, actor, after)
        query = query.where(after_cursor(Payout.created_at, Payout.id, cursor))
    return list(db.scalars(query.limit(min(max(limit, 1), MAX_LIST))))


def _cursor(db: Session, actor: User | Operator, after: str) -> tuple[datetime, str]:
    try:
        payout = get_payout(db=db, actor=actor, payout_id=after)
    except NotFound:
        raise nothing_to_list_after("payout", after, code="payout_not_found") from None
    return payout.created_at, payout.id


def get_payout(*, db: Session, actor: User | Operator, payout_id: str) -> Payout:
    """One payout, for its payee (a creator, or any member of the organisation) or an
    administrator; 404 `payout_not_found` for anyone else."""
    payout = db.get(Payout, payout_id) if len(payout_id) <= 64 else None
    if payout is None or not _may_see(db, actor, payout):
        raise _not_found(payout_id)
    return payout


# --- the operator's side ----------------------------------------------------------------------


def payouts_for_operator(
    *,
    db: Session,
    actor: User | Operator,
    status: str | None = "requested",
    limit: int = MAX_LIST,
    after: str | None = None,
) -> list[Payout]:
    """Payouts for administrators: by default those waiting to be paid, oldest first (the
    order to pay them in); any other status newest first; `after`: the last id of the
    previous page."""
    require_admin(actor)
    query = select(Payout)
    if status is not None:
        if status not in PAYOUT_STATUSES:
            raise BadRequest(
                f"unknown status {status[:20]!r}; use one of {', '.join(PAYOUT_STATUSES)}, or all",
                code="invalid_status",
                param="status",
            )
        query = query.where(Payout.status == status)
    newest_first = status != "requested"
    if newest_first:
        query = query.order_by(Payout.created_at.desc(), Payout.id.desc())
    else:
        query = query.order_by(Payout.created_at, Payout.id)
    if after is not None:
        position = _cursor(db, actor, after)
        query = query.where(
            after_cursor(Payout.created_at, Payout.id, position, descending=newest_first)
        )
    return list(db.scalars(query.limit(min(max(limit, 1), MAX_LIST))))


def mark_paid(*, db: Session, actor: User | Operator, payout_id: str, reference: str) -> Payout:
    """The operator sent the money (`reference`: their transfer's id, for the payee and the
    books): the held units are posted to `platform:payouts`. Exactly once: marking it paid
    again with the same reference returns it (a retry); with another one it is 409
    `payout_already_paid`, saying when and with which (the money may have been sent twice);
    a rejected or cancelled one is 409 `payout_settled`."""
    require_admin(actor)
    reference = _checked_text(reference, "reference", "the transfer's reference")
    payout = _locked(db, payout_id)
    if payout.status == "paid":
        if payout.reference != reference:
            raise _paid_already(payout, reference)
        return payout
    _require_requested(payout)
    payout.reference = reference
    return _settle(db, payout, "paid", by=actor.id, reason=f"paid: {reference}")


def reject_payout(*, db: Session, actor: User | Operator, payout_id: str, reason: str) -> Payout:
    """The operator will not pay it (`reason` is shown to the payee): the units are available
    again. Exactly once, as for `mark_paid`."""
    require_admin(actor)
    reason = _checked_text(reason, "reason", "a reason")
    payout = _locked(db, payout_id)
    if payout.status == "rejected":
        return payout
    _require_requested(payout)
    return _settle(db, payout, "rejected", by=actor.id, reason=reason)


def _paid_already(payout: Payout, reference: str) -> Conflict:
    assert payout.settled_at is not None
    return Conflict(
        f"payout {payout.id} was already paid on {payout.settled_at:%Y-%m-%d %H:%M} UTC with "
        f'reference "{payout.reference}"; nothing was changed and "{reference}" was not '
        "recorded (if you sent the money again, ask the payee to return it)",
        code="payout_already_paid",
        param="reference",
    )


# --- inside -----------------------------------------------------------------------------------


def _settle(db: Session, payout: Payout, status: str, *, by: str, reason: str) -> Payout:
    hold = db.get_one(LedgerHold, payout.hold_id)
    if status == "paid":
        post_hold(db=db, hold=hold, reason=f"payout {payout.id} {reason}")
    else:
        told = reason if status == "cancelled" else f"{status}: {reason}"  # "cancelled by ..."
        void_hold(db=db, hold=hold, reason=f"payout {payout.id} {told}")
    payout.status = status
    payout.reason = None if status == "paid" else reason
    payout.settled_by = by
    payout.settled_at = utcnow()
    db.flush()
    _tell_payee(db, payout)
    return payout


def _locked(db: Session, payout_id: str) -> Payout:
    payout = None
    if len(payout_id) <= 64:
        payout = db.scalar(
            select(Payout)
            .where(Payout.id == payout_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    if payout is None:
        raise _not_found(payout_id)
    return payout


def _require_requested(payout: Payout) -> None:
    if payout.status != "requested":
        raise Conflict(
            f"payout {payout.id} was already {payout.status}; nothing was changed",
            code="payout_settled",
        )


def _may_see(db: Session, actor: User | Operator, payout: Payout) -> bool:
    if actor.role == "admin":
        return True
    if payout.payee_kind == "creator":
        return payout.payee_id == actor.id
    return db.get(Membership, (payout.payee_id, actor.id)) is not None


def may_read_note(db: Session, actor: User | Operator, payout: Payout) -> bool:
    """The note (where to send money: bank details) is for administrators and the payee's
    own eyes (the requester, the creator, the organisation's owners), not every member."""
    if actor.role == "admin" or payout.requested_by == actor.id:
        return True
    return isinstance(actor, User) and _may_manage(db, actor, payout)


def _may_manage(db: Session, actor: User, payout: Payout) -> bool:
    """The payee itself: the creator, or an owner of the organisation."""
    if payout.payee_kind == "creator":
        return payout.payee_id == actor.id
    return is_owner(db=db, user_id=actor.id, organisation_id=payout.payee_id)


def _not_found(payout_id: str) -> NotFound:
    return NotFound(f"no payout {payout_id[:64]}", code="payout_not_found", param="payout_id")


def _check_open(settings: Settings) -> None:
    if settings.payout_cents_per_unit == 0:
        raise Forbidden(
            "this platform does not pay out earnings (REELMINT_PAYOUT_CENTS_PER_UNIT is 0); "
            "ask its operator",
            code="payouts_off",
        )


def _check_units(settings: Settings, units: int) -> None:
    if isinstance(units, bool) or not isinstance(units, int) or units < 1:
        raise BadRequest(
            "units must be a whole number above 0", code="invalid_units", param="units"
        )
    if units < settings.payout_minimum_units:
        raise BadRequest(
            f"a payout is at least {settings.payout_minimum_units} units, got {units}",
            code="invalid_units",
            param="units",
        )


def _checked_note(note: str) -> str:
    note = note.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise BadRequest(
            f"the note is at most {MAX_NOTE_CHARS} characters, got {len(note)}",
            code="invalid_note",
            param="note",
        )
    bad = hidden_character(note, allowed="\n\t")  # they could hide what an operator reads
    if bad:
        raise BadRequest(
            f"the note holds a character that cannot be shown ({bad}); write plain text",
            code="invalid_note",
            param="note",
        )
    return note


def _checked_text(text: str, param: str, what: str) -> str:
    text = " ".join(text.split())
    if not 1 <= len(text) <= MAX_TEXT_CHARS or hidden_character(text):
        raise BadRequest(
            f"give {what}: 1-{MAX_TEXT_CHARS} characters of plain text",
            code=f"invalid_{param}",
            param=param,
        )
    return text


def _payee_users(db: Session, payout: Payout) -> list[User]:
    if payout.payee_kind == "creator":
        user = db.get(User, payout.payee_id)
        return [user] if user is not None else []
    return list(
        db.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == payout.payee_id, Membership.role == "owner")
        )
    )


def _tell_payee(db: Session, payout: Payout) -> None:
    from reelmint.domains.notifications.service import notify

    money = money_text(payout.cents, payout.currency)
    if payout.status == "paid":
        title = f"Payout of {money} sent"
        body = f"The operator sent {money} for {payout.units} units ({payout.reference})."
    else:
        title = f"Payout {payout.status}"
        body = (
            f"The payout of {money} ({payout.units} units) was {payout.status}: {payout.reason}. "
            "The units are available again."
        )
    for user in _payee_users(db, payout):
        notify(
            db=db,
            user=user,
            kind=f"payout_{payout.status}",
            title=title,
            body=body,
            link="/wallet" if payout.payee_kind == "creator" else "/studio",
            key=f"payout:{payout.id}:{payout.status}:{user.id}",
        )


def _tell_operators(db: Session, payout: Payout, payee: Payee) -> None:
    from reelmint.domains.notifications.service import notify

    money = money_text(payout.cents, payout.currency)
    from reelmint.domains.accounts.service import operators

    for admin in operators(db=db):
        notify(
            db=db,
            user=admin,
            kind="payout_requested",
            title=f"Payout of {money} requested",
            body=f"{payee.name} asked for {payout.units} units ({money}), payout {payout.id}.",
            link="/operator",
            key=f"payout:{payout.id}:requested:{admin.id}",
        )
