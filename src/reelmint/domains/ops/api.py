"""GET /v1/admin/economics: the operator's view, for administrators."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.accounts.service import require_admin
from reelmint.domains.ops.schemas import EconomicsOut
from reelmint.domains.ops.service import MAX_DAYS, economics
from reelmint.errors import BadRequest

router = APIRouter(prefix="/v1", tags=["operations"], route_class=ApiRoute)


@router.get("/admin/economics", response_model=EconomicsOut)
def get_economics(
    user: CurrentUser,
    services: ServicesDep,
    days: Annotated[
        str,
        Query(description=f"The last N days: a whole number, 1-{MAX_DAYS}.", examples=["30"]),
    ] = "30",
) -> EconomicsOut:
    """GPU time, its cost and utilisation, sales and refunds, units spent and licence fees
    over the last `days` days; 400 `invalid_days` outside 1-366 (or not a whole number), 403
    `admin_only` for anyone but an administrator."""
    require_admin(user)  # a non-administrator is told so before anything about `days`
    whole = _whole_days(days)
    with services.db.read() as db:
        view = economics(db=db, settings=services.settings, actor=user, days=whole)
    return EconomicsOut.of(view)


def _whole_days(days: str) -> int:
    """`days` as typed, a whole number (the service checks its range, with its own code):
    taken as text so that `1.5` is answered `invalid_days`, as a number out of range is,
    not FastAPI's `invalid_request`."""
    text = days.strip()
    if re.fullmatch(r"[+-]?[0-9]{1,9}", text) is None:
        raise BadRequest(
            f"days must be a whole number between 1 and {MAX_DAYS}, got {days[:20]!r}",
            code="invalid_days",
            param="days",
        )
    return int(text)
