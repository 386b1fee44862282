"""GET /v1/admin/economics: the operator's view, for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from reelmint.api.bodies import ApiRoute
from reelmint.api.deps import CurrentUser, ServicesDep
from reelmint.domains.ops.schemas import EconomicsOut
from reelmint.domains.ops.service import MAX_DAYS, economics

router = APIRouter(prefix="/v1", tags=["operations"], route_class=ApiRoute)


@router.get("/admin/economics", response_model=EconomicsOut)
def get_economics(
    user: CurrentUser,
    services: ServicesDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="The last N days.")] = 30,
) -> EconomicsOut:
    """GPU time, its cost and utilisation, sales and refunds, units spent and licence fees
    over the last `days` days; 403 `admin_only` for anyone but an administrator."""
    with services.db.read() as db:
        view = economics(db=db, settings=services.settings, actor=user, days=days)
    return EconomicsOut.of(view)
