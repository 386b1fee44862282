"""Prices, estimates, the wallet and its statement, and the quota with its schedule.

`GET /v1/pricing` is public: anyone may see what a video costs before signing up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.concurrency import run_in_threadpool

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentActor, CurrentUser, ServicesDep
from reelmint.api.idempotency import IDEMPOTENCY_HEADER, REPLAYED_HEADER, check_idempotency_key
from reelmint.bootstrap import Services
from reelmint.db.base import new_id, unix_time
from reelmint.domains.accounts.models import User
from reelmint.domains.pricing.service import pricing_table
from reelmint.domains.quota import service as quota
from reelmint.domains.quota.models import QuotaChange
from reelmint.domains.videos.api import engine_refusals, read_body, to_video_request
from reelmint.domains.videos.service import VideoRequest, check_video_request, estimate_video
from reelmint.domains.wallet import service as wallet
from reelmint.domains.wallet import tips
from reelmint.scratch import scratch_folder

router = APIRouter(prefix="/v1", tags=["wallet"], route_class=ApiRoute)
MAX_STATEMENT = 1000
StatementAfter = Annotated[
    str | None,
    Query(
        max_length=100,
        description="The `next_cursor` of the previous page: continue with older lines.",
    ),
]


@router.get("/pricing", summary="The price list")
def pricing(services: ServicesDep) -> dict[str, Any]:
    """How many generation units a video costs, by backend, length and size; plan quotas."""
    return pricing_table(services.settings)


@router.post("/videos/estimate", summary="What a video would cost")
async def estimate(request: Request, actor: CurrentActor, services: ServicesDep) -> JSONResponse:
    """Check a request exactly as POST /v1/videos would and price it, without queueing it or
    reserving anything: the units, how they would be paid, and what is left today."""
    limit = services.settings.max_upload_bytes
    with scratch_folder("estimate") as scratch:
        body = await read_body(request, folder=Path(scratch), max_file_bytes=limit)
        video_request = await run_in_threadpool(to_video_request, body, Path(scratch), limit)
        with engine_refusals(body.file_name, video_request.input_reference):  # as creating
            result = await run_in_threadpool(_estimate, services, actor.user, video_request)
    return JSONResponse(result)


def _estimate(services: Services, user: User, request: VideoRequest) -> dict[str, Any]:
    admission = check_video_request(settings=services.settings, request=request)
    with services.db.read() as db:
        found = estimate_video(db=db, settings=services.settings, user=user, admission=admission)
    return {
        "object": "video.estimate",
        **found.price.as_json(),
        "paid_with": [{"source": source, "units": units} for source, units in found.charge.parts],
        "licence_fees": [
            {"character_id": fee.character_id, "name": fee.name, "units": fee.units}
            for fee in found.fees
        ],
        "fee_units": found.fee_units,
        "total_units": found.price.units + found.fee_units,
        "affordable": found.affordable,
        "wallet": summary_json(found.wallet),
    }


@router.get("/wallet", summary="Your quota and credits")
def get_wallet(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    with services.db.read() as db:
        info = wallet.summary(db=db, settings=services.settings, user=user)
        received = tips.tips_of(db=db, user_id=user.id)
    return {
        **summary_json(info),
        "tips": {
            "pending": received.pending,
            "available": received.available,
            "in_payout": received.in_payout,
        },
    }


class TipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    units: StrictInt = Field(description=f"1-{tips.MAX_TIP_UNITS} units of purchased credits.")


@router.post("/videos/{video_id}/tips", summary="Tip a video's creator (extension)")
def tip_video(
    video_id: Annotated[str, PathParam(max_length=64, description="The video (video_...).")],
    body: TipIn,
    user: CurrentUser,
    services: ServicesDep,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="A retry with the same key and body tips once (the same key with "
            "another body is a 409).",
        ),
    ] = None,
) -> dict[str, Any]:
    """Give the creator of a published video (not your own) units of your purchased credits:
    their share (`creator_share`) waits as pending tips, then becomes available. A video a
    rights holder monetizes by a claim earns for it: the share is `holder_share`, to
    `organisation_id` by `claim_id` (`creator_share` 0)."""
    key = check_idempotency_key(idempotency_key) or new_id("tipkey")
    with services.db.write() as db:
        done = tips.tip(
            db=db,
            settings=services.settings,
            actor=user,
            video_id=video_id,
            units=body.units,
            key=key,
        )
    if done.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return {
        "object": "tip",
        "id": done.entry.id,
        "video_id": done.entry.video_id,
        "units": body.units,
        "creator_id": done.creator_id,
        "creator_share": done.creator_share,
        "holder_share": done.holder_share,
        "organisation_id": done.organisation_id,
        "claim_id": done.claim_id,
        "created_at": unix_time(done.entry.created_at),
    }


@router.get("/wallet/statement", summary="Every movement on your wallet")
def get_statement(
    user: CurrentUser,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=MAX_STATEMENT)] = 100,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
    after: StatementAfter = None,
) -> Response:
    """Newest first: quota grants and expiries, credits granted and bought, what each video
    reserved and spent, and refunds with their reason. `format=csv` downloads it. `has_more`
    (JSON) or the `X-Has-More: true` header (CSV) says older lines were left out; pass
    `next_cursor` (or the `X-Next-Cursor` header) as `after` for them."""
    with services.db.read() as db:
        lines = wallet.statement(db=db, user=user, limit=limit + 1, after=after)
    return statement_response(lines, format, "reelmint-statement.csv", limit)


def statement_response(
    lines: list[wallet.StatementLine], format: str, filename: str, limit: int
) -> Response:
    """A statement as the API gives it: a JSON list, or (`csv`) a CSV download. `lines` are
    read with one more than `limit`: whether it is there says older lines were left out, and
    the cursor of the last line shown continues with them."""
    has_more = len(lines) > limit
    lines = lines[:limit]
    next_cursor = lines[-1].cursor if has_more else None
    if format == "csv":
        headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
        if next_cursor is not None:
            headers["X-Has-More"] = "true"
            headers["X-Next-Cursor"] = next_cursor
        return Response(
            wallet.statement_csv(lines), media_type="text/csv; charset=utf-8", headers=headers
        )
    data = [line.as_json() for line in lines]
    return JSONResponse(
        {"object": "list", "data": data, "has_more": has_more, "next_cursor": next_cursor}
    )


def whole_statement_response(
    read_page: Callable[[str | None, int], list[wallet.StatementLine]], filename: str
) -> StreamingResponse:
    """Every line of a statement as one CSV download, read `MAX_STATEMENT` lines at a time
    (`read_page(after, limit)`, each in a transaction of its own) as it is sent."""

    def rows() -> Iterator[str]:
        after: str | None = None
        header = True
        while True:
            lines = read_page(after, MAX_STATEMENT)
            yield wallet.statement_csv(lines, header=header)
            header = False
            if len(lines) < MAX_STATEMENT:
                return
            after = lines[-1].cursor

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/quota", summary="Your daily quota and its schedule")
def get_quota(user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Today's limit and what is left, when it resets, upcoming changes (with their date and
    reason) and the plan's history of changes."""
    with services.db.read() as db:
        info = wallet.summary(db=db, settings=services.settings, user=user)
        today = quota.local_day(user)
        upcoming = quota.upcoming_changes(db=db, plan=user.plan, after=today)
        past = quota.history(db=db, plan=user.plan)
    return {
        **summary_json(info),
        "object": "quota",
        "timezone": user.timezone,
        "upcoming": [change_json(c) for c in upcoming],
        "history": [change_json(c) for c in past],
    }


def summary_json(info: wallet.Summary) -> dict[str, Any]:
    return {
        "object": "wallet",
        "plan": info.plan,
        "quota": {
            "daily_limit": info.quota_limit,
            "remaining": info.quota_left,
            "reserved": info.quota_reserved,
            "resets_at": unix_time(info.resets_at),
            "plan_daily_limit": info.plan_limit,
            "timezone_applies_at": unix_time(info.timezone_applies_at),
            "needs_confirmed_email": info.quota_withheld,
        },
        "credits": {"granted": info.granted, "purchased": info.purchased},
        "reserved": info.reserved,
        "owed": info.owed,
        "blocked": info.blocked,
    }


def change_json(change: QuotaChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "plan": change.plan,
        "daily_units": change.daily_units,
        "effective_on": change.effective_on.isoformat(),
        "reason": change.reason,
        "emergency": change.emergency,
        "announced_at": unix_time(change.announced_at),
        "cancelled_at": unix_time(change.cancelled_at),
    }
