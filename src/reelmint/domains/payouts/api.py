"""Payouts over the API: the payee asks and may cancel; administrators mark paid or reject.

Thin routes: the service checks, authorises and changes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from sqlalchemy.orm import Session

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER, check_idempotency_key
from reelmint.db.base import new_id, unix_time
from reelmint.domains.accounts.models import User
from reelmint.domains.payouts import service
from reelmint.domains.payouts.models import PAYOUT_STATUSES, Payout
from reelmint.errors import Conflict

router = APIRouter(prefix="/v1", tags=["payouts"], route_class=ApiRoute)
MAX_PAGE = 100

PayoutId = Annotated[str, PathParam(max_length=64, description="The payout (payout_...).")]


class PayoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: StrictInt = Field(description="Available units to be paid for (at least the minimum).")
    organisation_id: str | None = Field(
        default=None,
        max_length=64,
        description="A rights-holder organisation you own: its earnings; left out: your tips.",
    )
    note: str = Field(
        default="",
        # Checked by the service (400 `invalid_note`, as documented), not here.
        json_schema_extra={"maxLength": service.MAX_NOTE_CHARS},
        description="For the operator: where to send the money (shown to operators only; "
        f"at most {service.MAX_NOTE_CHARS} characters).",
    )


class SettleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reference: str = Field(
        max_length=service.MAX_TEXT_CHARS, description="Your reference for the money sent."
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        max_length=service.MAX_TEXT_CHARS, description="Why, for the payee to read."
    )


class PayoutOut(BaseModel):
    """A payout: `units` of available earnings, paid as `cents` of `currency`."""

    id: str
    object: Literal["payout"] = "payout"
    payee_kind: str = Field(description="creator (tips) or rights_holder (licence fees).")
    payee_id: str = Field(description="The creator's user id or the organisation's id.")
    units: int
    cents_per_unit: int = Field(description="The rate when it was asked for.")
    cents: int = Field(description="What is paid, in the currency's smallest unit.")
    currency: str
    note: str = Field(
        description="Where to send the money: shown to administrators, the requester and the "
        "payee's owners only (empty for other members)."
    )
    status: str = Field(description="requested, paid, rejected or cancelled.")
    reference: str | None = Field(description="The operator's reference, once paid.")
    reason: str | None = Field(description="Why it was rejected or cancelled.")
    created_at: int
    settled_at: int | None
    settled_by: str | None = Field(
        default=None,
        description="Who settled it, for administrators only (null for others): a user id, "
        "or `operator` for the command line.",
    )
    test_mode: bool = Field(
        default=False,
        description="Asked for while the platform's payments took test money (the sandbox): "
        "its units were bought with money nobody paid.",
    )

    @classmethod
    def of(cls, payout: Payout, *, note: bool = True, staff: bool = False) -> PayoutOut:
        return cls(
            id=payout.id,
            payee_kind=payout.payee_kind,
            payee_id=payout.payee_id,
            units=payout.units,
            cents_per_unit=payout.cents_per_unit,
            cents=payout.cents,
            currency=payout.currency,
            note=payout.note if note else "",
            status=payout.status,
            reference=payout.reference,
            reason=payout.reason,
            created_at=unix_time(payout.created_at),
            settled_at=unix_time(payout.settled_at),
            settled_by=payout.settled_by if staff else None,
            test_mode=payout.test_mode,
        )


class PayoutList(BaseModel):
    object: Literal["list"] = "list"
    data: list[PayoutOut]
    first_id: str | None = None
    last_id: str | None = Field(default=None, description="Pass as `after` for the next page.")
    has_more: bool = False

    @classmethod
    def page(cls, shown: list[PayoutOut], limit: int) -> PayoutList:
        """`shown` holds up to limit + 1 payouts: the extra one only says there are more."""
        data = shown[:limit]
        return cls(
            data=data,
            first_id=data[0].id if data else None,
            last_id=data[-1].id if data else None,
            has_more=len(shown) > limit,
        )


After = Annotated[str | None, Query(max_length=64, description="The last_id of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Payouts per page, 1-{MAX_PAGE}.")]


@router.post("/payouts", response_model=PayoutOut, status_code=201)
def request_payout(
    body: PayoutIn,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="A retry with the same key and body asks once (the same key with "
            "another amount is a 409).",
        ),
    ] = None,
) -> PayoutOut:
    """Ask to be paid for available units: your tips, or an organisation's licence-fee
    earnings (owners). The units are set aside until the operator pays or rejects it. A
    retry with the same Idempotency-Key answers `Idempotent-Replayed: true`."""
    key = check_idempotency_key(idempotency_key) or new_id("payoutkey")
    try:
        with services.db.write() as db:
            asked = service.request_payout_once(
                db=db,
                settings=services.settings,
                actor=user,
                units=body.units,
                key=key,
                organisation_id=body.organisation_id,
                note=body.note,
            )
            if asked.replayed:
                response.headers[REPLAYED_HEADER] = "true"
            return PayoutOut.of(asked.payout)
    except Conflict as refused:
        if refused.code != "idempotency_key_reused":
            raise
        raise Conflict(  # in the client's terms, not the ledger's key
            f"the {IDEMPOTENCY_HEADER} {key[:60]!r} was already used for another payout "
            "request; send a new key to ask for another payout",
            code="idempotency_key_reused",
            param=IDEMPOTENCY_HEADER,
        ) from None


@router.get("/payouts", response_model=PayoutList)
def list_payouts(
    user: CurrentUser,
    services: ServicesDep,
    organisation_id: Annotated[str | None, Query(max_length=64)] = None,
    after: After = None,
    limit: Limit = 20,
) -> PayoutList:
    """Your payouts and your organisations', newest first; page on with `after=<last_id>`
    while `has_more`."""
    with services.db.read() as db:
        found = service.list_payouts(
            db=db, actor=user, organisation_id=organisation_id, limit=limit + 1, after=after
        )
        return PayoutList.page([_shown(db, user, payout) for payout in found], limit)


@router.get("/payouts/{payout_id}", response_model=PayoutOut)
def get_payout(payout_id: PayoutId, user: CurrentUser, services: ServicesDep) -> PayoutOut:
    with services.db.read() as db:
        return _shown(db, user, service.get_payout(db=db, actor=user, payout_id=payout_id))


@router.post("/payouts/{payout_id}/cancel", response_model=PayoutOut)
def cancel_payout(payout_id: PayoutId, user: CurrentUser, services: ServicesDep) -> PayoutOut:
    """Take back a payout not yet paid; its units are available again."""
    with services.db.write() as db:
        return PayoutOut.of(service.cancel_payout(db=db, actor=user, payout_id=payout_id))


@router.get("/admin/payouts", response_model=PayoutList)
def admin_payouts(
    user: CurrentUser,
    services: ServicesDep,
    status: Annotated[
        str,
        Query(
            description="Which: requested (the default, oldest first), paid, rejected, "
            "cancelled, or all; anything else is 400 `invalid_status`.",
            json_schema_extra={"enum": [*PAYOUT_STATUSES, "all"]},
        ),
    ] = "requested",
    after: After = None,
    limit: Limit = 20,
) -> PayoutList:
    """Payouts for administrators (403 `admin_only` for anyone else); page on with
    `after=<last_id>` while `has_more`."""
    which = None if status == "all" else status
    with services.db.read() as db:
        found = service.payouts_for_operator(
            db=db, actor=user, status=which, limit=limit + 1, after=after
        )
        return PayoutList.page([PayoutOut.of(payout, staff=True) for payout in found], limit)


@router.post("/admin/payouts/{payout_id}/paid", response_model=PayoutOut)
def mark_paid(
    payout_id: PayoutId, body: SettleIn, user: CurrentUser, services: ServicesDep
) -> PayoutOut:
    """You sent the money: the payout is paid, once (a second call with the same reference
    returns it; with another reference it is 409 `payout_already_paid`)."""
    with services.db.write() as db:
        payout = service.mark_paid(db=db, actor=user, payout_id=payout_id, reference=body.reference)
        return PayoutOut.of(payout, staff=True)


@router.post("/admin/payouts/{payout_id}/reject", response_model=PayoutOut)
def reject_payout(
    payout_id: PayoutId, body: RejectIn, user: CurrentUser, services: ServicesDep
) -> PayoutOut:
    """You will not pay it: the payee is told why and the units are available again."""
    with services.db.write() as db:
        payout = service.reject_payout(db=db, actor=user, payout_id=payout_id, reason=body.reason)
        return PayoutOut.of(payout, staff=True)


def _shown(db: Session, user: User, payout: Payout) -> PayoutOut:
    note = service.may_read_note(db, user, payout)
    return PayoutOut.of(payout, note=note, staff=user.role == "admin")
