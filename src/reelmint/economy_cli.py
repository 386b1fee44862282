"""Operator commands for the economy: `reelmint ledger check`, `reelmint admin grant`,
`admin set-plan`, `admin economics`, `admin quota schedule|list|cancel` and
`admin payouts list|paid|reject`.

Refusals are ServiceErrors: the entry point prints them as one line on stderr, exit code 2.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from reelmint.errors import BadRequest, Conflict, NotFound
from reelmint.platform_cli import open_services, user_by_email
from reelmint.terminal import printable
from reelmint.wording import count_of

if TYPE_CHECKING:
    from reelmint.domains.ops.schemas import EconomicsOut
    from reelmint.domains.payouts.models import Payout

ledger = typer.Typer(help="The credit ledger.", no_args_is_help=True, rich_markup_mode=None)
quota = typer.Typer(
    help="Plans' free daily quota, and changes to it with notice.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
payouts = typer.Typer(
    help="Creators' and rights holders' payouts: the ones to pay, and marking them paid.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer, admin: typer.Typer) -> None:
    app.add_typer(ledger, name="ledger")
    # A negative amount reaches grant's own check ("grant 1 to ... units"), not "no such option".
    admin.command("grant", context_settings={"ignore_unknown_options": True})(grant)
    admin.command("set-plan")(set_plan)
    admin.command("economics")(show_economics)
    admin.add_typer(quota, name="quota")
    admin.add_typer(payouts, name="payouts")


@ledger.command("check")
def check() -> None:
    """Recompute every balance and reservation from postings and holds; exit 1 on a difference."""
    from reelmint.domains.ledger.service import check_ledger

    services = open_services()
    try:
        with services.db.read() as db:
            found = check_ledger(db=db)
    finally:
        services.close()
    if found:
        for difference in found:
            typer.echo(str(difference), err=True)
        typer.echo(f"ledger check: {count_of(len(found), 'difference')}", err=True)
        raise typer.Exit(1)
    typer.echo("ledger check: every balance equals the sum of its postings")


def grant(
    email: Annotated[str, typer.Argument(help="Whose wallet.")],
    units: Annotated[int, typer.Argument(help="Generation units to grant.")],
    reason: Annotated[str, typer.Option(help="Why (shown on the user's statement).")],
    key: Annotated[
        str | None, typer.Option(help="An idempotency key: a retry with it grants once.")
    ] = None,
) -> None:
    """Grant credits (promotions, goodwill): they pay for generations and are not revenue."""
    from reelmint.domains.wallet.service import grant_credits

    services = open_services()
    try:
        with services.db.write() as db:
            user = user_by_email(db, email)
            entry = grant_credits(db=db, user=user, units=units, reason=reason, key=key)
        typer.echo(entry.id)
    finally:
        services.close()


def set_plan(
    email: Annotated[str, typer.Argument(help="Whose plan.")],
    plan: Annotated[str, typer.Argument(help="free, plus, pro or enterprise.")],
) -> None:
    """Move an account to a plan (a larger quota applies at once, a smaller one tomorrow)."""
    from reelmint.domains.wallet.service import change_plan

    services = open_services()
    try:
        with services.db.write() as db:
            user = user_by_email(db, email)
            change_plan(db=db, settings=services.settings, user=user, plan=plan)
        typer.echo(f"{email} is now on the {plan} plan")
    finally:
        services.close()


# A negative number of units reaches the range check ("a daily quota is 0 to ..."), not
# "no such option".
@quota.command("schedule", context_settings={"ignore_unknown_options": True})
def schedule(
    plan: Annotated[str, typer.Argument(help="The plan whose daily quota changes.")],
    units: Annotated[
        list[int],
        typer.Argument(help="The new daily units; several make a step plan (e.g. 20 10)."),
    ],
    effective: Annotated[
        str, typer.Option(help="The first step's date, YYYY-MM-DD (users' local days).")
    ],
    step_days: Annotated[
        int, typer.Option(help="Days between the steps of a step plan.", min=1)
    ] = 30,
    emergency: Annotated[
        bool, typer.Option("--emergency", help="Allow less than the minimum notice.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why; users read it (required in emergencies).")] = "",
) -> None:
    """Schedule a change (or a step plan) of a plan's daily quota; every affected user is told
    now, in the app and by email, and reminded the day before each step."""
    from reelmint.domains.quota.service import Step, schedule_changes

    first = _date(effective)
    try:
        steps = [Step(n, first + timedelta(days=i * step_days)) for i, n in enumerate(units)]
    except OverflowError:  # past year 9999
        raise BadRequest(
            f"the steps from {first} every {step_days} days run past the last date there is; "
            "choose an earlier date or fewer days between steps",
            code="invalid_date",
        ) from None
    services = open_services()
    try:
        with services.db.write() as db:
            changes = schedule_changes(
                db=db,
                settings=services.settings,
                plan=plan,
                steps=steps,
                reason=reason,
                emergency=emergency,
            )
            for change in changes:
                typer.echo(
                    f"{change.id}  {plan}: {change.daily_units} a day from {change.effective_on}"
                )
    finally:
        services.close()


@quota.command("list")
def list_changes(plan: Annotated[str, typer.Argument(help="The plan.")]) -> None:
    """A plan's quota today and every change scheduled for it (cancelled ones marked)."""
    from reelmint.db.base import utcnow
    from reelmint.domains.quota.service import check_plan, history, limits_in_use

    services = open_services()
    try:
        check_plan(services.settings, plan)
        with services.db.read() as db:
            limits = limits_in_use(db=db, settings=services.settings, plan=plan, now=utcnow())
            typer.echo(_today(plan, limits))
            for change in history(db=db, plan=plan):
                flag = " (cancelled)" if change.cancelled_at else ""
                flag += " [emergency]" if change.emergency else ""
                typer.echo(
                    f"{change.id}  {change.daily_units} a day from {change.effective_on}{flag}"
                    + (f"  {printable(change.reason)}" if change.reason else "")
                )
    finally:
        services.close()


def _today(plan: str, limits: list[tuple[date, int]]) -> str:
    """What the plan gives today: one number, or one per local date while a change is
    taking effect around the world."""
    if len({units for _, units in limits}) == 1:
        return f"{plan}: {limits[0][1]} units a day today, in every time zone"
    by_day = ", ".join(f"{day}: {units}" for day, units in limits)
    return f"{plan}: units a day today by the local date (a change is taking effect): {by_day}"


@quota.command("cancel")
def cancel(change_id: Annotated[str, typer.Argument(help="The change's id (qchg_...).")]) -> None:
    """Withdraw a scheduled change (it stays in the history, marked cancelled)."""
    from reelmint.domains.quota.service import cancel_change

    services = open_services()
    try:
        with services.db.write() as db:
            change = cancel_change(db=db, settings=services.settings, change_id=change_id)
            typer.echo(f"cancelled {change.id}")
    finally:
        services.close()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(
            f"--effective must be a date like 2026-12-31, got {text[:40]!r}", code="invalid_date"
        ) from None


def show_economics(
    days: Annotated[int, typer.Option(help="The last N days (1-366).")] = 30,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """GPU time, cost and utilisation against sales over the last days, per backend."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.ops.schemas import EconomicsOut
    from reelmint.domains.ops.service import economics

    services = open_services()
    try:
        with services.db.read() as db:
            view = economics(db=db, settings=services.settings, actor=OPERATOR, days=days)
    finally:
        services.close()
    if as_json:
        typer.echo(EconomicsOut.of(view).model_dump_json(indent=2))
        return
    for line in economics_lines(EconomicsOut.of(view), days):
        typer.echo(line)


def economics_lines(view: EconomicsOut, days: int) -> list[str]:
    """The economics view as plain lines for a terminal."""
    from reelmint.money import money_text as money

    lines = [f"the last {days} days", "backend   gpu  runs  done  failed  clip s  busy s  cost"]
    priced = bool(view.gpu_hour_cost_cents)  # 0: the GPU hour's cost is not set
    for b in view.backends:
        cost = money(b.cost_cents, view.cost_currency) if b.gpu and priced else "-"
        lines.append(
            f"{b.backend:<9} {'yes' if b.gpu else 'no':<4} {b.runs:>4} {b.completed:>5} "
            f"{b.failed:>7} {b.clip_seconds:>7.0f} {b.busy_seconds:>7.0f}  {cost}"
        )
    utilisation = "-" if view.utilisation is None else f"{view.utilisation:.1%}"
    lines.append(
        f"GPU: {view.gpu_busy_seconds / 3600:.2f} h on {view.gpu_workers} "
        f"worker{'' if view.gpu_workers == 1 else 's'} "
        f"({utilisation} busy), cost "
        + (money(view.gpu_cost_cents, view.cost_currency) if priced else "not set")
    )
    for label, rows in (("sales", view.sales), ("test money", view.test_sales)):
        for m in rows:
            lines.append(
                f"{label}: {m.purchases} purchases, {money(m.gross_cents, m.currency)} gross, "
                f"{money(m.returned_cents, m.currency)} back, {money(m.net_cents, m.currency)} net"
            )
    spent = ", ".join(f"{units} {source}" for source, units in view.units_spent.items())
    lines.append(f"units spent: {spent}")
    lines.append(
        f"licence fees: {view.licence_fee_units} units, {view.holder_share_units} to rights holders"
    )
    lines.append(
        f"tips: {view.tip_units} units, {view.tip_creator_units} to their payees (creators, "
        "or rights holders by monetize claims)"
    )
    for label, waves in (
        ("payouts paid", view.payouts_paid),
        ("waiting", view.payouts_waiting),
        ("test-money payouts paid", view.test_payouts_paid),
        ("test-money payouts waiting", view.test_payouts_waiting),
    ):
        for p in waves:
            lines.append(
                f"{label}: {p.payouts} payouts, {p.units} units, {money(p.cents, p.currency)}"
            )
    owed = money(view.owed_cents, view.payout_currency)
    lines.append(f"owed to creators and rights holders: {view.owed_units} units ({owed})")
    if view.margin_cents is not None:
        lines.append(f"margin: {money(view.margin_cents, view.cost_currency)}")
    lines += [f"note: {note}" for note in view.notes]
    return lines


@payouts.command("list")
def list_payouts(
    status: Annotated[
        str, typer.Option(help="requested (to pay, oldest first), paid, rejected, cancelled, all.")
    ] = "requested",
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=200)] = 200,
    after: Annotated[
        str | None, typer.Option(help="Go on after this payout (the last one listed).")
    ] = None,
) -> None:
    """Payouts: id, payee, units, money, status, and the payee's note on where to send it; a
    waiting payout whose creator's wallet owes units since says so ("payee owes N units": a
    refunded or disputed payment; reject it, or wait until it is paid). When more follow, a
    last line on stderr gives the --after to list them."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.payouts.service import (
        payee_debts,
        payouts_for_operator,
        suspended_payees,
    )

    wanted = None if status == "all" else status
    services = open_services()
    try:
        with services.db.read() as db:
            try:
                found = payouts_for_operator(
                    db=db, actor=OPERATOR, status=wanted, limit=limit, after=after
                )
            except NotFound as error:
                if error.code != "payout_not_found":
                    raise
                raise NotFound(
                    f"no payout {after!r} to list after; give --after the last payout id listed",
                    code="payout_not_found",
                ) from None
            debts = payee_debts(db=db, payouts=found)
            suspended = suspended_payees(db=db, payouts=found)
            lines = [
                _payout_line(
                    payout,
                    owes=debts.get(payout.payee_id, 0),
                    suspended=payout.payee_id in suspended,
                )
                for payout in found
            ]
            more = bool(found) and bool(
                payouts_for_operator(
                    db=db, actor=OPERATOR, status=wanted, limit=1, after=found[-1].id
                )
            )
    finally:
        services.close()
    none = "no payouts" if status == "all" else f"no payouts {status}"
    for line in lines or [none + (" after that one" if after else "")]:
        typer.echo(line)
    if more:
        typer.echo(f"more follow: add --after {found[-1].id}", err=True)


@payouts.command("paid")
def mark_paid(
    payout_id: Annotated[str, typer.Argument(help="The payout (payout_...).")],
    reference: Annotated[str, typer.Option(help="Your transfer's reference (the payee sees it).")],
) -> None:
    """Record that you sent a payout's money; the payee is told. Once: again changes nothing.
    Paid already with another reference: says so on stderr and exits 1 (did you pay twice?);
    with the same reference it is a retry, exit 0."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.payouts.service import get_payout
    from reelmint.domains.payouts.service import mark_paid as paid

    services = open_services()
    warning = ""
    try:
        try:
            with services.db.write() as db:
                line = _payout_line(
                    paid(db=db, actor=OPERATOR, payout_id=payout_id, reference=reference)
                )
        except Conflict as refused:  # paid already, with another reference (the service says)
            if refused.code != "payout_already_paid":
                raise
            warning = refused.message
            with services.db.read() as db:
                line = _payout_line(get_payout(db=db, actor=OPERATOR, payout_id=payout_id))
    finally:
        services.close()
    typer.echo(line)
    if warning:
        typer.echo(warning, err=True)
        raise typer.Exit(1)


@payouts.command("reject")
def reject(
    payout_id: Annotated[str, typer.Argument(help="The payout (payout_...).")],
    reason: Annotated[str, typer.Option(help="Why (the payee reads it).")],
) -> None:
    """Refuse a payout: its units are available to the payee again, and they are told why.
    Once: rejected already for another reason, says so on stderr and exits 1 (the payee was
    told the first); with the same reason it is a retry, exit 0."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.payouts.service import reject_payout

    services = open_services()
    try:
        with services.db.write() as db:
            payout = reject_payout(db=db, actor=OPERATOR, payout_id=payout_id, reason=reason)
            line = _payout_line(payout)
            given = " ".join(reason.split())  # as the service writes it
            warning = ""
            if payout.reason != given:
                warning = (
                    f"{payout.id} was already rejected on {payout.settled_at:%Y-%m-%d %H:%M} UTC "
                    f'because "{payout.reason}", as its payee was told; nothing was changed and '
                    f'"{given}" was not recorded'
                )
    finally:
        services.close()
    typer.echo(line)
    if warning:
        typer.echo(warning, err=True)
        raise typer.Exit(1)


def _payout_line(payout: Payout, *, owes: int = 0, suspended: bool = False) -> str:
    """One payout; `owes`: the units its payee's wallet owes, `suspended`: its payee's
    account is suspended (both said while it waits)."""
    from reelmint.money import money_text

    test = " (test money)" if payout.test_mode else ""
    money = money_text(payout.cents, payout.currency) + test
    words = payout.reference or payout.reason or payout.note.replace("\n", " ")
    by = f" by {payout.settled_by}" if payout.settled_by else ""
    waiting = owes and payout.status == "requested"
    debt = f" (payee owes {count_of(owes, 'unit')})" if waiting else ""
    if suspended and payout.status == "requested":
        debt += " (payee suspended)"
    return (
        f"{payout.id}  {payout.created_at:%Y-%m-%d}  {payout.payee_kind} {payout.payee_id}  "
        f"{payout.units} units  {money}  {payout.status}{by}{debt}"
        + (f"  {words}" if words else "")
    )
