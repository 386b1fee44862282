"""`reelmint admin payments`: what the payment provider told us that needs the operator.

`problems` lists the provider events that moved money without a credit to match: a payment
of another amount than its purchase's (`amount_mismatch`: refund it with the provider, or
grant the units), one already used for another purchase, an event about no purchase of
ours, and purchases paid after their account was closed (the money arrived; a closed wallet
can never spend it: refund it). Each buyer concerned was told in the app. Administrators
see the same list, with what to do about each, on the web at /operator/payments.

`settle` marks one settled once it is (refunded with the provider, or granted), with a note
saying how: it leaves the list, and `problems --settled` (or the page's Settled tab) shows it.

`retire-test-money` is for going live: it takes back what is left of the credits bought with
test money (the sandbox, Stripe's test mode), so credits nobody paid for do not become licence
fees and tips paid out for real.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reelmint.platform_cli import open_services
from reelmint.terminal import printable
from reelmint.wording import count_of

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
    settled: Annotated[
        bool, typer.Option("--settled", help="Those settled already, last settled first.")
    ] = False,
) -> None:
    """One line per event that needs you, newest first: when, provider, event id, its type,
    what it came to, the purchase, the buyer's address (closed: marked), the problem's id
    (for `settle`) and what a payment said was paid (-: nothing said). With --settled, those
    settled, each followed by when, by whom and how."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.payments.service import PaymentProblem, paid_text, payment_problems

    def fields(problem: PaymentProblem) -> list[str]:
        event = problem.event
        found = [
            event.processed_at.strftime("%Y-%m-%d %H:%M"),
            event.provider,
            event.event_id,
            event.type,
            problem.what,
            event.purchase_id or "-",
            problem.buyer or "-",
            event.id,
            paid_text(event) or "-",
        ]
        if settled and event.settled_at is not None:
            found += [
                event.settled_at.strftime("%Y-%m-%d %H:%M"),
                event.settled_by or "-",
                event.settled_note or "-",
            ]
        return found

    services = open_services()
    try:
        with services.db.read() as db:
            found = payment_problems(db=db, actor=OPERATOR, limit=limit, settled=settled)
            lines = ["\t".join(printable(field) for field in fields(p)) for p in found]
    finally:
        services.close()
    none = "no settled payment problems" if settled else "no payment problems"
    for line in lines or [none]:
        typer.echo(line)


@payments.command("settle")
def settle(
    problem: Annotated[
        str, typer.Argument(help="The problem's id (pev_..., the last column of `problems`).")
    ],
    note: Annotated[
        str,
        typer.Option(help="How it was settled: the provider's refund id, the grant made."),
    ],
) -> None:
    """Mark a payment problem settled (refunded with the provider, or granted): it leaves
    `problems` for `problems --settled`, with the note."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.payments.service import settle_problem

    services = open_services()
    try:
        with services.db.write() as db:
            event = settle_problem(db=db, actor=OPERATOR, problem_id=problem, note=note)
            done = event.id
    finally:
        services.close()
    typer.echo(f"payment problem {done} is settled")


@payments.command("retire-test-money")
def retire_test_money(
    yes: Annotated[
        bool, typer.Option("--yes", help="Do it; without it, only say what it would do.")
    ] = False,
) -> None:
    """Take back what is left of every account's credits bought with test money, as if they
    expired now: one entry per purchase on each statement, saying why, and each account told
    in the app and by email. Units a video holds wait until it settles. Run it when you
    switch to a live payment provider (and again later: it only takes what is left)."""
    from reelmint.domains.payments.service import (
        outstanding_test_money,
        provider_for,
        retire_test_money_of,
    )

    services = open_services()
    try:
        with services.db.read() as db:
            left = outstanding_test_money(db=db)
        still_test = provider_for(services.settings).test_mode
        if not left.purchases:
            typer.echo("no credits bought with test money are left")
            return
        accounts = (
            f"{count_of(left.purchases, 'purchase')} by {count_of(len(left.user_ids), 'account')}"
        )
        if not yes:
            typer.echo(
                f"test money left: {accounts}, at most {count_of(left.units_at_most, 'unit')} "
                "(some may be spent); run again with --yes to take them back"
            )
        else:
            taken = 0
            for user_id in left.user_ids:  # one transaction per account
                with services.db.write() as db:
                    taken += retire_test_money_of(db=db, user_id=user_id)
            typer.echo(f"took back {count_of(taken, 'unit')} bought with test money ({accounts})")
        if still_test:
            typer.echo(
                "note: the payment provider still takes test money; credits bought from now "
                "on are test money too"
            )
    finally:
        services.close()
