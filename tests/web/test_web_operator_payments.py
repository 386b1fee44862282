"""The operator's Payment problems page: what `reelmint admin payments problems` lists, for
administrators only, each with what to do; the administrator's notification links to it."""

from __future__ import annotations

import html
import re
import shlex
from dataclasses import replace

from sqlalchemy import select
from web_helpers import sign_in

from domains.payments.payment_helpers import pending_purchase, sandbox_paid
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.models import Notification
from reelmint.domains.payments.base import ProviderEvent
from reelmint.domains.payments.models import PaymentEvent
from reelmint.domains.payments.service import handle_event
from reelmint.web import operator_pages
from support import make_account


def handled(services, event: ProviderEvent) -> str:
    return handle_event(services=services, event=event)


def card(page: str, what: str) -> str:
    """The text of the first problem card of kind `what`."""
    found = re.search(rf'<li class="card"[^>]*data-problem="{what}".*?</li>', page, re.S)
    assert found, f"no {what} on the page"
    return found.group(0)


def test_an_administrator_sees_each_kind_with_what_to_do(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    bea = make_account(services, "bea@example.com")
    cal = make_account(services, "cal@example.com")
    short = pending_purchase(services, bea.user.id).id
    assert handled(services, sandbox_paid(short, "evt_short", 1)) == "amount_mismatch"
    first = pending_purchase(services, bea.user.id).id
    assert handled(services, sandbox_paid(first, "evt_first", 400, "pi_once")) == "credited"
    again = pending_purchase(services, bea.user.id).id
    assert (
        handled(services, sandbox_paid(again, "evt_again", 400, "pi_once"))
        == "payment_already_used"
    )
    assert handled(services, sandbox_paid("pur_nobody", "evt_ghost", 400)) == "unknown_purchase"
    late = pending_purchase(services, cal.user.id).id
    with services.db.write() as db:
        close_account(db=db, user=db.get_one(User, cal.user.id))
    assert handled(services, sandbox_paid(late, "evt_late", 400)) == "credited"

    browser = sign_in(services, client, admin)
    page = browser.get("/operator/payments")
    assert page.status_code == 200
    text = page.text
    assert 'href="/operator/payments" aria-current="page">Payment problems' in text
    kinds = re.findall(r'data-problem="([a-z_]+)"', text)
    assert kinds == [  # newest first, as the command line lists them
        "paid_after_close",
        "unknown_purchase",
        "payment_already_used",
        "amount_mismatch",
    ]
    mismatch = card(text, "amount_mismatch")
    assert "Amount mismatch" in mismatch
    assert short in mismatch
    assert "10 units for 4.00 USD (test money)" in mismatch
    assert 'data-role="buyer">bea@example.com<' in mismatch
    assert 'data-role="event-id">evt_short<' in mismatch
    assert "Refund it with the payment provider, or grant the units" in mismatch
    assert 'data-role="paid">0.01 USD<' in mismatch  # what was paid, beside the price
    assert 'data-role="grant"' not in mismatch  # 1 cent for 10 units: refund it, never grant
    reused = card(text, "payment_already_used")
    assert "Payment reused" in reused
    assert again in reused
    assert "<code>pi_once</code>" in reused  # the payment to refund, from the event itself
    assert "Refund it with the payment provider.</strong>" in reused
    assert 'data-role="grant"' not in reused
    ghost = card(text, "unknown_purchase")
    assert "Unknown purchase" in ghost
    assert "no purchase of ours" in ghost
    assert 'data-role="event-id">evt_ghost<' in ghost
    assert 'data-role="buyer">unknown<' in ghost
    closed = card(text, "paid_after_close")
    assert "Paid after the account was closed" in closed
    assert late in closed
    assert "(closed)" in closed
    assert 'data-role="grant"' not in closed
    assert 'data-role="no-problems"' not in text
    assert 'data-role="problems-more"' not in text

    operator = browser.get("/operator").text  # the economics page links to it
    assert 'href="/operator/payments">Payment problems' in operator
    with services.db.read() as db:
        told = db.scalars(select(Notification).where(Notification.user_id == admin.user.id))
        links = {n.link for n in told if n.kind == "payment_problem"}
    assert links == {"/operator/payments"}


def test_the_grant_command_is_quoted_for_a_shell(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    odd = make_account(services, "o'neil$x@example.com")
    short = pending_purchase(services, odd.user.id).id
    assert (
        handled(services, sandbox_paid(short, "evt_short", 500)) == "amount_mismatch"
    )  # paid more
    page = sign_in(services, client, admin).get("/operator/payments").text
    [grant] = re.findall(r'data-role="grant"><code>(.*?)</code>', page)
    words = shlex.split(html.unescape(grant))
    assert words[3:5] == ["o'neil$x@example.com", "10"]
    assert words[5:] == ["--reason", f"Your payment for purchase {short}", "--key", words[-1]]


def test_a_grant_is_offered_only_for_a_payment_that_covers_the_price(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    bea = make_account(services, "bea@example.com")
    cases = {"evt_less": (399, "usd"), "evt_euros": (400, "eur"), "evt_more": (401, "usd")}
    for event_id, (cents, currency) in cases.items():
        purchase = pending_purchase(services, bea.user.id).id
        event = replace(sandbox_paid(purchase, event_id, cents), currency=currency)
        assert handled(services, event) == "amount_mismatch"
    page = sign_in(services, client, admin).get("/operator/payments").text
    cards = re.findall(r'<li class="card".*?</li>', page, re.S)
    offered = {
        event_id: 'data-role="grant"' in next(c for c in cards if f">{event_id}<" in c)
        for event_id in cases
    }
    assert offered == {"evt_less": False, "evt_euros": False, "evt_more": True}
    assert "4.00 EUR" in next(c for c in cards if ">evt_euros<" in c)


def test_with_none_there_is_nothing_to_do(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    page = sign_in(services, client, admin).get("/operator/payments")
    assert page.status_code == 200
    assert "No payment problems: there is nothing to do." in page.text
    assert "data-problem=" not in page.text


def test_the_page_says_when_there_are_more_than_it_shows(services, client, monkeypatch):
    monkeypatch.setattr(operator_pages, "PROBLEMS_SHOWN", 2)
    admin = make_account(services, "root@example.com", role="admin")
    for number in range(3):
        assert (
            handled(services, sandbox_paid("pur_nobody", f"evt_{number}", 400))
            == "unknown_purchase"
        )
    page = sign_in(services, client, admin).get("/operator/payments").text
    assert re.findall(r'data-role="event-id">(evt_\d)<', page) == ["evt_2", "evt_1"]
    assert 'data-role="problems-more"' in page


def test_only_administrators_see_it(services, client):
    assert handled(services, sandbox_paid("pur_nobody", "evt_ghost", 400)) == "unknown_purchase"
    anonymous = client.get("/operator/payments", follow_redirects=False)
    assert anonymous.status_code == 303
    assert "/login" in anonymous.headers["location"]
    someone = make_account(services, "someone@example.com")
    refused = sign_in(services, client, someone).get("/operator/payments")
    assert refused.status_code == 403
    assert "evt_ghost" not in refused.text


def problem_id(page: str, event_id: str) -> str:
    found = re.search(rf'id="problem-(pev_[^"]+)"[^>]*>(?:(?!</li>).)*?>{event_id}<', page, re.S)
    assert found, f"no problem for {event_id} on the page"
    return found.group(1)


def test_a_settled_problem_leaves_the_list_for_the_settled_one_with_its_note(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    assert handled(services, sandbox_paid("pur_nobody", "evt_ghost", 400)) == "unknown_purchase"
    assert handled(services, sandbox_paid("pur_other", "evt_other", 400)) == "unknown_purchase"
    browser = sign_in(services, client, admin)
    ghost = problem_id(browser.get("/operator/payments").text, "evt_ghost")
    empty = browser.post(f"/operator/payments/{ghost}/settle", {"note": "   "})
    assert empty.status_code == 400
    assert "The problem was not marked settled." in empty.text
    assert 'aria-invalid="true" aria-describedby="settle-error"' in empty.text
    done = browser.post(f"/operator/payments/{ghost}/settle", {"note": "refunded re_123"})
    assert (done.status_code, done.headers["location"]) == (303, "/operator/payments")
    to_settle = browser.get("/operator/payments").text
    assert "is marked settled" in to_settle
    assert re.findall(r'data-role="event-id">(evt_\w+)<', to_settle) == ["evt_other"]
    settled = browser.get("/operator/payments?settled=true").text
    assert re.findall(r'data-role="event-id">(evt_\w+)<', settled) == ["evt_ghost"]
    assert 'data-role="settled-note">refunded re_123<' in settled
    assert "by root@example.com" in settled
    assert 'data-role="settle-form"' not in settled
    again = browser.post(f"/operator/payments/{ghost}/settle", {"note": "twice"})
    assert again.status_code == 409
    assert "was settled already, by root@example.com: refunded re_123" in html.unescape(again.text)


def test_only_administrators_settle_and_only_problems(services, client):
    assert handled(services, sandbox_paid("pur_nobody", "evt_ghost", 400)) == "unknown_purchase"
    admin = make_account(services, "root@example.com", role="admin")
    ghost = problem_id(sign_in(services, client, admin).get("/operator/payments").text, "evt_ghost")
    someone = sign_in(services, client, make_account(services, "someone@example.com"))
    refused = someone.post(f"/operator/payments/{ghost}/settle", {"note": "mine now"})
    assert refused.status_code == 403
    forged = sign_in(services, client, admin).post(
        f"/operator/payments/{ghost}/settle", {"note": "x", "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    bea = make_account(services, "bea@example.com")
    fine = pending_purchase(services, bea.user.id).id
    assert handled(services, sandbox_paid(fine, "evt_fine", 400)) == "credited"
    with services.db.read() as db:
        credited = db.scalar(select(PaymentEvent.id).where(PaymentEvent.event_id == "evt_fine"))
    not_one = sign_in(services, client, admin).post(
        f"/operator/payments/{credited}/settle", {"note": "x"}
    )
    assert not_one.status_code == 404
    assert "No payment problem" in not_one.text
    page = sign_in(services, client, admin).get("/operator/payments").text
    assert "evt_ghost" in page  # nothing was settled
