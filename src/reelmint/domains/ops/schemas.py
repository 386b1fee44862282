"""The economics view as JSON (GET /v1/admin/economics)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from reelmint.db.base import unix_time
from reelmint.domains.ops.service import Economics, Money


class BackendUsageOut(BaseModel):
    backend: str
    gpu: bool = Field(description="Whether it runs on a GPU (only GPU time is costed).")
    runs: int = Field(description="Attempts that overlap the period (running ones too).")
    completed: int
    failed: int
    clip_seconds: float = Field(description="Length of the videos it completed.")
    busy_seconds: float = Field(description="Workers' time on its runs, inside the period.")
    cost_cents: int


class MoneyOut(BaseModel):
    currency: str
    purchases: int
    gross_cents: int
    returned_cents: int = Field(description="Refunds and disputes lost, less disputes won.")
    net_cents: int


class PayoutsOut(BaseModel):
    currency: str
    payouts: int
    units: int
    cents: int


class EconomicsOut(BaseModel):
    """What the platform's GPUs cost against what it took in, over [start, end)."""

    object: str = "economics"
    start: int
    end: int
    gpu_hour_cost_cents: int
    cost_currency: str
    backends: list[BackendUsageOut]
    sales: list[MoneyOut] = Field(description="Real money, per currency.")
    test_sales: list[MoneyOut] = Field(description="Test money (sandbox, Stripe test mode).")
    units_spent: dict[str, int] = Field(description="By generations, from quota/granted/purchased.")
    licence_fee_units: int
    holder_share_units: int
    tip_units: int = Field(description="Units tipped (from purchased credits).")
    tip_creator_units: int = Field(
        description="The payees' share of those tips (the creators', or a rights holder's "
        "where its monetize claim took the tip)."
    )
    payouts_paid: list[PayoutsOut] = Field(
        description="Money paid to creators and rights holders in the period, per currency."
    )
    payouts_waiting: list[PayoutsOut] = Field(
        description="Payouts asked for and not yet paid (whenever asked), per currency."
    )
    test_payouts_paid: list[PayoutsOut] = Field(
        description="Payouts asked for while the payment provider took test money (the "
        "sandbox), paid in the period: not in payouts_paid nor the margin."
    )
    test_payouts_waiting: list[PayoutsOut] = Field(
        description="Such payouts asked for and not yet paid: reject them, or pay them knowing."
    )
    owed_units: int = Field(
        description="Units creators and rights holders hold now (tips and earnings, pending or "
        "available, asked for or not): what the platform owes them."
    )
    owed_cents: int = Field(description="owed_units at today's payout rate.")
    payout_currency: str
    videos_completed: int
    gpu_workers: int
    gpu_busy_seconds: float
    gpu_cost_cents: int
    cost_per_video_cents: int | None
    utilisation: float | None = Field(description="GPU time / (GPU workers seen x period).")
    margin_cents: int | None = Field(
        description="Net real sales less GPU cost and payouts paid; null if the cost is unset."
    )
    notes: list[str]

    @classmethod
    def of(cls, view: Economics) -> EconomicsOut:
        return cls(
            start=unix_time(view.start) or 0,
            end=unix_time(view.end) or 0,
            gpu_hour_cost_cents=view.gpu_hour_cost_cents,
            cost_currency=view.cost_currency,
            backends=[BackendUsageOut(**_fields(b)) for b in view.backends],
            sales=[_money(m) for m in view.sales],
            test_sales=[_money(m) for m in view.test_sales],
            units_spent=view.units_spent,
            licence_fee_units=view.licence_fee_units,
            holder_share_units=view.holder_share_units,
            tip_units=view.tip_units,
            tip_creator_units=view.tip_creator_units,
            payouts_paid=[PayoutsOut(**vars(p)) for p in view.payouts_paid],
            payouts_waiting=[PayoutsOut(**vars(p)) for p in view.payouts_waiting],
            test_payouts_paid=[PayoutsOut(**vars(p)) for p in view.test_payouts_paid],
            test_payouts_waiting=[PayoutsOut(**vars(p)) for p in view.test_payouts_waiting],
            owed_units=view.owed_units,
            owed_cents=view.owed_cents,
            payout_currency=view.payout_currency,
            videos_completed=view.videos_completed,
            gpu_workers=view.gpu_workers,
            gpu_busy_seconds=round(view.gpu_busy_seconds, 3),
            gpu_cost_cents=view.gpu_cost_cents,
            cost_per_video_cents=view.cost_per_video_cents,
            utilisation=None if view.utilisation is None else round(view.utilisation, 6),
            margin_cents=view.margin_cents,
            notes=view.notes,
        )


def _fields(usage: Any) -> dict[str, Any]:
    return {name: getattr(usage, name) for name in BackendUsageOut.model_fields}


def _money(money: Money) -> MoneyOut:
    return MoneyOut(
        currency=money.currency,
        purchases=money.purchases,
        gross_cents=money.gross_cents,
        returned_cents=money.returned_cents,
        net_cents=money.net_cents,
    )
