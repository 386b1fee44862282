"""`reelmint admin payments`: what the payment provider told us that needs the operator.

`problems` lists the provider events that moved money without a credit to match: a payment
of another amount than its purchase's (`amount_mismatch`: refund it with the provider, or
grant the units), one already used for another purchase, an event about no purchase of
ours, and purchases paid after their account was closed (the money arrived; a closed wallet
can never spend it: refund it). Each buyer concerned was told in the app. Administrators
see the same list, with what to do about each, on the web at /operator/payments.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reelmint.platform_cli import open_services
from reelmint.terminal import printable

payments = typer.Typer(
    help="Payments: events that need the operator.", no_args_is_help=True, rich_markup_mode=None
)


def register(admin: typer.Typer) -> None:
    admin.add_typer(payments, name="payments")


@payments.command("problems")
def problems(
    limit: Annotated[
        int, typer.Option(min=1, max=1000, help="At most this many, newest first.")
    ] = 100,
) -> None:
    """One line per event that needs you, newest first: when, provider, event id, its type,
    what it came to, the purchase and the buyer's address (closed: marked)."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.payments.service import payment_problems

    services = open_services()
    try:
        with services.db.read() as db:
            lines = [
                "\t".join(
                    printable(field)
                    for field in (
                        problem.event.processed_at.strftime("%Y-%m-%d %H:%M"),
                        problem.event.provider,
                        problem.event.event_id,
                        problem.event.type,
                        problem.what,
                        problem.event.purchase_id or "-",
                        problem.buyer or "-",
                    )
                )
                for problem in payment_problems(db=db, actor=OPERATOR, limit=limit)
            ]
    finally:
        services.close()
    for line in lines or ["no payment problems"]:
        typer.echo(line)
