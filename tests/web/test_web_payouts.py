"""Payouts on the web: a creator asks from the wallet, an organisation's owner from the studio,
the payee cancels, and an administrator marks payouts paid or rejects them on /operator."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import Browser, sign_in

from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.ledger.models import LedgerAccount, LedgerHold
from reelmint.domains.ledger.service import Leg, platform_account, transfer
from reelmint.domains.payouts import service as payouts
from reelmint.domains.payouts.models import Payout
from reelmint.domains.wallet.service import earnings_account
from reelmint.domains.wallet.tips import Tips, tips_account, tips_of
from support import Account, join_organisation, make_account, make_services

# --- helpers ----------------------------------------------------------------------------------


def give(services, units: int, *, user_id: str = "", organisation_id: str = "") -> None:
    """Put `units` on a creator's available tips (or an organisation's available earnings),
    as released tips (or fee shares) would be."""
    with services.db.write() as db:
        if user_id:
            account = tips_account(db=db, user_id=user_id, available=True)
        else:
            account = earnings_account(db=db, organisation_id=organisation_id, available=True)
        transfer(
            db=db,
            key=f"fund:{account.code}",
            legs=[Leg(platform_account(db=db, name="tip_revenue"), -units), Leg(account, units)],
            kind="tip_release",
            reason="released for the test",
        )


def creator(services, email: str = "maker@example.com", *, tips: int = 100) -> Account:
    """A creator with `tips` available tip units."""
    maker = make_account(services, email, display_name=email.split("@")[0].title())
    if tips:
        give(services, tips, user_id=maker.user.id)
    return maker


def holder(services, *, earnings: int = 80) -> tuple[Account, Account, str]:
    """A rights-holder organisation with `earnings` available units: its owner, a plain
    member, and its id."""
    owner = make_account(services, "owner@wave.example.com", display_name="Owner")
    member = make_account(services, "member@wave.example.com", display_name="Member")
    with services.db.write() as db:
        organisation = create_organisation(
            db=db, owner=owner.user, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        join_organisation(db, owner=owner.user, organisation=organisation, user=member.user)
        organisation_id = organisation.id
    give(services, earnings, organisation_id=organisation_id)
    return owner, member, organisation_id


def browser(client: TestClient, services, account: Account) -> Browser:
    """A browser of its own (its own cookies), signed in as `account`."""
    return sign_in(services, TestClient(client.app), account)


def payout_key(page: str) -> str:
    return re.search(r'name="payout_key" value="([^"]+)"', page).group(1)


def tips_now(services, user_id: str) -> Tips:
    with services.db.read() as db:
        return tips_of(db=db, user_id=user_id)


def earnings_now(services, organisation_id: str) -> tuple[int, int]:
    """The organisation's available earnings account: (balance, reserved)."""
    with services.db.read() as db:
        account = db.scalar(
            select(LedgerAccount).where(
                LedgerAccount.code == f"org:{organisation_id}:earnings_available"
            )
        )
        return account.balance, account.reserved


def all_payouts(services) -> list[tuple[str, str, int, str | None, str | None]]:
    with services.db.read() as db:
        found = db.scalars(select(Payout).order_by(Payout.created_at, Payout.id))
        return [(p.id, p.status, p.units, p.reference, p.reason) for p in found]


def hold_of(services, payout_id: str) -> LedgerHold:
    with services.db.read() as db:
        payout = db.get_one(Payout, payout_id)
        return db.get_one(LedgerHold, payout.hold_id)


def ask(services, account: Account, units: int, *, note: str = "", org: str | None = None):
    """A payout requested through the service (for tests about what comes after)."""
    with services.db.write() as db:
        return payouts.request_payout(
            db=db,
            settings=services.settings,
            actor=account.user,
            units=units,
            key=f"test:{account.email}:{units}:{org}",
            organisation_id=org,
            note=note,
        )


# --- the creator, on /wallet ------------------------------------------------------------------


def test_a_creator_asks_for_a_payout_once_and_sees_it_and_the_available_tips_drop(services, client):
    maker = creator(services, tips=100)
    me = browser(client, services, maker)
    page = me.get("/wallet").text
    assert re.search(r'data-role="tips"><strong>100</strong> available · 0 pending', page)
    assert 'data-role="payout-form"' in page
    assert 'name="units" type="number" min="25" max="100"' in page
    assert 'value="100"' in page  # all available, by default
    assert 'data-role="payout-rate">0.40 USD<' in page
    assert 'data-role="payout-minimum">25<' in page

    form = {"units": "60", "note": "IBAN DE89 3704 0044", "payout_key": payout_key(page)}
    asked = me.post("/wallet/payouts", form)
    assert (asked.status_code, asked.headers["location"]) == (303, "/wallet#payouts")
    assert me.post("/wallet/payouts", form).status_code == 303  # a double submit: asks once

    [(payout_id, status, units, _, _)] = all_payouts(services)
    assert (status, units) == ("requested", 60)
    assert tips_now(services, maker.user.id) == Tips(pending=0, available=40, in_payout=60)
    page = me.get("/wallet").text
    assert "Payout requested" in page  # the flash
    assert re.search(r'data-role="tips"><strong>40</strong> available · 0 pending', page)
    assert 'data-role="tips-in-payout">60<' in page
    row = page[page.index(f'data-payout="{payout_id}"') :]
    assert 'data-role="payout-units">60<' in row
    assert 'data-role="payout-money">24.00 USD<' in row
    assert 'data-role="payout-status">requested<' in row
    assert f'action="/wallet/payouts/{payout_id}/cancel"' in row
    assert 'data-role="payout-form"' in page  # 40 left: still enough for another
    edited = me.post("/wallet/payouts", {**form, "units": "30"})  # back, edit, send again
    assert edited.status_code == 409
    assert "This form was already sent with other figures; reload the page" in edited.text
    assert "payout:" not in edited.text  # no ledger key shown


def test_below_the_minimum_or_beyond_what_is_available_is_refused_and_reserves_nothing(
    services, client
):
    maker = creator(services, tips=100)
    me = browser(client, services, maker)
    key = payout_key(me.get("/wallet").text)

    small = me.post("/wallet/payouts", {"units": "10", "note": "PayPal me@x", "payout_key": key})
    assert small.status_code == 400
    assert "No payout was requested." in small.text
    assert "A payout is at least 25 units, got 10" in small.text
    assert 'aria-invalid="true"' in small.text
    assert ">PayPal me@x</textarea>" in small.text  # what was typed stays
    too_much = me.post("/wallet/payouts", {"units": "150", "payout_key": key})
    assert too_much.status_code == 409
    assert "A payout of 150 units needs as many available; Maker has 100" in too_much.text
    not_a_number = me.post("/wallet/payouts", {"units": "lots", "payout_key": key})
    assert not_a_number.status_code == 400
    assert "Units must be a whole number, got &#39;lots&#39;" in not_a_number.text

    assert all_payouts(services) == []
    assert tips_now(services, maker.user.id) == Tips(pending=0, available=100, in_payout=0)
    # The same key works once the request is right: nothing was kept of the refusals.
    assert me.post("/wallet/payouts", {"units": "25", "payout_key": key}).status_code == 303
    assert tips_now(services, maker.user.id).in_payout == 25


def test_with_less_than_the_minimum_available_the_form_is_not_offered(services, client):
    page = browser(client, services, creator(services, tips=10)).get("/wallet").text
    assert 'data-role="payout-form"' not in page
    assert "You can ask once 25 units of tips are" in page
    assert "available (10 now)" in page


def test_cancelling_gives_the_units_back_and_only_the_payee_may(services, client):
    maker = creator(services, tips=100)
    payout = ask(services, maker, 70)
    other = browser(client, services, creator(services, "other@example.com", tips=0))
    refused = other.post(f"/wallet/payouts/{payout.id}/cancel")
    assert refused.status_code == 404
    assert "The payout was not changed." in refused.text
    assert all_payouts(services)[0][1] == "requested"

    me = browser(client, services, maker)
    assert tips_now(services, maker.user.id).available == 30
    done = me.post(f"/wallet/payouts/{payout.id}/cancel")
    assert (done.status_code, done.headers["location"]) == (303, "/wallet#payouts")
    assert all_payouts(services)[0][1:3] == ("cancelled", 70)
    assert tips_now(services, maker.user.id) == Tips(pending=0, available=100, in_payout=0)
    assert hold_of(services, payout.id).status == "voided"
    page = me.get("/wallet").text
    assert "its units are available again" in page  # the flash
    row = page[page.index(f'data-payout="{payout.id}"') :]
    assert 'data-role="payout-status">cancelled<' in row
    assert "cancelled by Maker" in row
    assert f"/wallet/payouts/{payout.id}/cancel" not in page  # nothing left to cancel


def test_with_payouts_off_the_wallet_says_so_and_offers_no_form(tmp_path, database_url):
    off = make_services(tmp_path, database_url, payout_cents_per_unit=0)
    try:
        from reelmint.api.app import create_app

        maker = creator(off, tips=100)
        with TestClient(create_app(off)) as client:
            me = sign_in(off, client, maker)
            page = me.get("/wallet").text
            assert 'data-role="payouts-off"' in page
            assert 'data-role="payout-form"' not in page
            refused = me.post("/wallet/payouts", {"units": "50", "payout_key": "k"})
        assert refused.status_code == 403
        assert "This platform does not pay out earnings" in refused.text
        assert all_payouts(off) == []
    finally:
        off.close()


# --- the rights holder, on /studio ------------------------------------------------------------


def test_an_owner_asks_from_the_studio_and_a_member_only_sees(services, client):
    owner, member, org_id = holder(services, earnings=80)
    studio = browser(client, services, owner)
    page = studio.get("/studio").text
    assert 'data-role="available">80<' in page
    assert f'name="organisation_id" value="{org_id}"' in page
    asked = studio.post(
        "/studio/payouts",
        {"organisation_id": org_id, "units": "30", "note": "Wave Ltd, IBAN", "payout_key": "k1"},
    )
    assert (asked.status_code, asked.headers["location"]) == (303, f"/studio#payouts-{org_id}")
    [(payout_id, status, units, _, _)] = all_payouts(services)
    assert (status, units) == ("requested", 30)
    assert earnings_now(services, org_id) == (80, 30)
    page = studio.get("/studio").text
    assert 'data-role="available">50<' in page
    assert 'data-role="in-payout">30<' in page
    assert f'action="/studio/payouts/{payout_id}/cancel"' in page

    # A plain member sees the payouts but no form and no Cancel; a forged post changes nothing.
    theirs = browser(client, services, member)
    page = theirs.get("/studio").text
    assert f'data-payout="{payout_id}"' in page
    assert 'data-role="payout-form"' not in page
    assert "/cancel" not in page
    assert 'data-role="payouts-owners-only"' in page
    forged = theirs.post(
        "/studio/payouts", {"organisation_id": org_id, "units": "30", "payout_key": "k2"}
    )
    assert forged.status_code == 403
    assert "Only an owner of the organisation may ask for its payouts" in forged.text
    cancelled = theirs.post(f"/studio/payouts/{payout_id}/cancel")
    assert cancelled.status_code == 403  # a member sees it, only an owner may cancel
    assert "Only the payee" in cancelled.text
    assert all_payouts(services) == [(payout_id, "requested", 30, None, None)]
    assert earnings_now(services, org_id) == (80, 30)

    # The owner cancels: the earnings are available again.
    assert studio.post(f"/studio/payouts/{payout_id}/cancel").status_code == 303
    assert earnings_now(services, org_id) == (80, 0)
    assert 'data-role="available">80<' in studio.get("/studio").text


def test_an_owner_asking_for_more_than_is_available_sees_why_on_the_studio(services, client):
    owner, _, org_id = holder(services, earnings=80)
    refused = browser(client, services, owner).post(
        "/studio/payouts", {"organisation_id": org_id, "units": "81", "payout_key": "k"}
    )
    assert refused.status_code == 409
    assert "No payout was requested." in refused.text
    assert "A payout of 81 units needs as many available; Wave Studios has 80" in refused.text
    assert 'value="81"' in refused.text  # the owner's typed amount, to correct
    assert all_payouts(services) == []
    assert earnings_now(services, org_id) == (80, 0)


# --- the operator, on /operator ---------------------------------------------------------------


def test_the_operator_marks_one_paid_and_rejects_another(services, client):
    admin = make_account(services, "root@example.com", role="admin", display_name="Root")
    first = creator(services, "first@example.com", tips=100)
    second = creator(services, "second@example.com", tips=50)
    paid = ask(services, first, 60, note="IBAN FR76 3000")
    rejected = ask(services, second, 50, note="paypal: second@example.com")
    operator = browser(client, services, admin)

    page = operator.get("/operator?days=7").text
    assert page.index(f'data-payout="{paid.id}"') < page.index(f'data-payout="{rejected.id}"')
    card = page[page.index(f'data-payout="{paid.id}"') : page.index(f'data-payout="{rejected.id}"')]
    assert 'data-role="payout-money">24.00 USD<' in card
    assert 'data-role="payout-units">60<' in card
    assert 'data-role="payee">First<' in card
    assert 'data-role="payout-note">IBAN FR76 3000<' in card
    assert 'data-role="test-money"' in card  # asked for under the sandbox

    # 1. A reference is required: refused, nothing changed.
    blank = operator.post(f"/operator/payouts/{paid.id}/paid", {"reference": " ", "days": "7"})
    assert blank.status_code == 400
    assert "Give the transfer&#39;s reference" in blank.text
    assert hold_of(services, paid.id).status == "pending"

    # 2. Paid: the hold is posted to platform:payouts, the payee sees it paid.
    done = operator.post(f"/operator/payouts/{paid.id}/paid", {"reference": "TX-981", "days": "7"})
    assert (done.status_code, done.headers["location"]) == (303, "/operator?days=7#payouts")
    hold = hold_of(services, paid.id)
    assert (hold.status, hold.posted_amount) == ("posted", 60)
    with services.db.read() as db:
        assert platform_account(db=db, name="payouts").balance == 60
    assert tips_now(services, first.user.id) == Tips(pending=0, available=40, in_payout=0)

    # 3. Rejected with a reason: the units are available to the payee again.
    no_reason = operator.post(f"/operator/payouts/{rejected.id}/reject", {"reason": ""})
    assert no_reason.status_code == 400
    assert "Give a reason" in no_reason.text
    gone = operator.post(
        f"/operator/payouts/{rejected.id}/reject", {"reason": "Unknown PayPal account"}
    )
    assert (gone.status_code, gone.headers["location"]) == (303, "/operator?days=30#payouts")
    assert hold_of(services, rejected.id).status == "voided"
    assert tips_now(services, second.user.id) == Tips(pending=0, available=50, in_payout=0)
    assert all_payouts(services) == [
        (paid.id, "paid", 60, "TX-981", None),
        (rejected.id, "rejected", 50, None, "Unknown PayPal account"),
    ]
    page = operator.get("/operator").text
    assert "No payout is waiting." in page
    assert "data-payout=" not in page
    # Asked for under the sandbox: paid on test money, counted apart from real payouts.
    assert 'data-payouts="paid-usd"' not in page
    paid_row = page[page.index('data-payouts="test-paid-usd"') :]
    assert '<td data-label="Payouts">test money, paid in the period</td>' in page
    units_and_money = (
        '<td class="num" data-label="Units">60</td>'
        '<td class="num" data-label="Money">24.00 USD</td>'
    )
    assert units_and_money in paid_row
    assert 'data-payouts="waiting-' not in page
    assert 'data-payouts="test-waiting-' not in page
    owed = page[page.index('data-role="owed"') :]
    assert owed.startswith(
        'data-role="owed">Owed to creators and rights holders now: <strong>90 units'
    )
    assert "(36.00 USD at today's rate)" in owed

    # What the payees see.
    row = browser(client, services, first).get("/wallet").text
    row = row[row.index(f'data-payout="{paid.id}"') :]
    assert 'data-role="payout-status">paid<' in row
    assert 'data-role="payout-detail">TX-981<' in row
    row = browser(client, services, second).get("/wallet").text
    row = row[row.index(f'data-payout="{rejected.id}"') :]
    assert 'data-role="payout-status">rejected<' in row
    assert 'data-role="payout-detail">Unknown PayPal account<' in row


def test_the_operator_page_says_when_more_payouts_wait_than_it_shows(services, client, monkeypatch):
    from reelmint.web import operator_pages

    monkeypatch.setattr(operator_pages, "PAYOUTS_SHOWN", 2)
    admin = make_account(services, "root@example.com", role="admin")
    asked = [ask(services, creator(services, f"c{n}@example.com", tips=30), 30) for n in range(3)]
    page = browser(client, services, admin).get("/operator").text
    assert [f'data-payout="{p.id}"' in page for p in asked] == [True, True, False]
    assert "These are the 2 oldest of 3 waiting" in page
    monkeypatch.setattr(operator_pages, "PAYOUTS_SHOWN", 3)
    assert 'data-role="payouts-more"' not in browser(client, services, admin).get("/operator").text


def test_the_operator_sees_an_organisations_payout_by_its_name(services, client):
    owner, _, org_id = holder(services, earnings=80)
    ask(services, owner, 40, org=org_id)
    admin = make_account(services, "root@example.com", role="admin")
    page = browser(client, services, admin).get("/operator").text
    assert "rights holder" in page
    assert 'data-role="payee">Wave Studios<' in page


def test_someone_not_an_administrator_cannot_settle_payouts(services, client):
    maker = creator(services, tips=100)
    payout = ask(services, maker, 50)
    me = browser(client, services, maker)
    paid = me.post(f"/operator/payouts/{payout.id}/paid", {"reference": "TX-1"})
    assert paid.status_code == 403
    assert "Only an administrator may do this" in paid.text
    assert me.post(f"/operator/payouts/{payout.id}/reject", {"reason": "no"}).status_code == 403
    assert all_payouts(services) == [(payout.id, "requested", 50, None, None)]
    assert hold_of(services, payout.id).status == "pending"
    assert tips_now(services, maker.user.id).in_payout == 50


# --- every payout form needs the session's CSRF token ----------------------------------------

FORMS = [
    ("/wallet/payouts", {"units": "30", "payout_key": "csrf"}),
    ("/wallet/payouts/{mine}/cancel", {}),
    ("/studio/payouts", {"organisation_id": "{org}", "units": "30", "payout_key": "csrf"}),
    ("/studio/payouts/{org_payout}/cancel", {}),
    ("/operator/payouts/{mine}/paid", {"reference": "TX-1"}),
    ("/operator/payouts/{org_payout}/reject", {"reason": "no"}),
]


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[path for path, _ in FORMS])
@pytest.mark.parametrize("token", [None, "a-guessed-token"], ids=["absent", "wrong"])
def test_a_payout_form_without_the_csrf_token_is_refused_and_changes_nothing(
    services, client, path, data, token
):
    owner, _, org_id = holder(services, earnings=80)
    with services.db.write() as db:  # the owner is an administrator with tips too
        db.get_one(User, owner.user.id).role = "admin"
    give(services, 100, user_id=owner.user.id)
    ids = {
        "mine": ask(services, owner, 40).id,
        "org_payout": ask(services, owner, 40, org=org_id).id,
        "org": org_id,
    }
    signed_in = browser(client, services, owner)
    before = (
        all_payouts(services),
        tips_now(services, owner.user.id),
        earnings_now(services, org_id),
    )
    form = {name: value.format(**ids) for name, value in data.items()}
    if token is not None:
        form["csrf_token"] = token
    response = signed_in.client.post(path.format(**ids), data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "csrf_failed" in response.text
    after = (
        all_payouts(services),
        tips_now(services, owner.user.id),
        earnings_now(services, org_id),
    )
    assert after == before


def test_members_download_the_earnings_statement_with_its_payouts(services, client):
    owner, member, org_id = holder(services, earnings=80)
    ask(services, owner, 30, org=org_id)
    page = browser(client, services, member)
    assert f'href="/studio/{org_id}/earnings.csv"' in page.get("/studio").text
    csv = page.get(f"/studio/{org_id}/earnings.csv")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    rows = csv.text.splitlines()
    assert rows[0].startswith("created_at,wallet,kind,amount,status,reason")
    held = [row for row in rows if ",payout," in row]
    assert len(held) == 1
    assert ",earnings_available,payout,-30,reserved,payout of 30 units" in held[0]
    stranger = make_account(services, "stranger@example.com")
    refused = browser(client, services, stranger).get(f"/studio/{org_id}/earnings.csv")
    assert refused.status_code == 404


# --- times, in the reader's zone --------------------------------------------------------------


def _set_zone(services, account: Account, zone: str) -> None:
    with services.db.write() as db:
        db.get_one(User, account.user.id).timezone = zone


def test_the_payouts_tables_show_times_in_the_readers_zone_as_the_statement_does(services, client):
    """A reader in Pacific/Kiritimati (UTC+14) reads the payout's asked-for and settled times
    in that zone on the wallet and the studio, as the statement line for it reads, not in
    UTC."""
    from reelmint.web.templating import format_when

    zone = "Pacific/Kiritimati"
    maker = creator(services, tips=100)
    owner, _, org_id = holder(services, earnings=80)
    for account in (maker, owner):
        _set_zone(services, account, zone)
    paid = ask(services, maker, 60, note="IBAN FR76")
    root = make_account(services, "root@example.com", role="admin", display_name="Root")
    with services.db.write() as db:
        paid = payouts.mark_paid(db=db, actor=root.user, payout_id=paid.id, reference="SEPA 1")
    waiting = ask(services, owner, 30, org=org_id)

    page = browser(client, services, maker).get("/wallet").text
    row = page[page.index(f'data-payout="{paid.id}"') :].split("</tr>")[0]
    for at in (paid.created_at, paid.settled_at):
        assert format_when(at, zone) in row
        assert format_when(at) not in row  # not UTC
    assert format_when(paid.created_at, zone).endswith(" +14")
    statement = page[page.index('id="statement"') :]
    assert format_when(paid.created_at, zone) in statement  # the same reading as the table

    page = browser(client, services, owner).get("/studio").text
    row = page[page.index(f'data-payout="{waiting.id}"') :].split("</tr>")[0]
    asked = format_when(waiting.created_at, zone)
    assert f">{asked}</time>" in row
    assert f"asked for {asked}" in row  # the cancel button's label too
    assert format_when(waiting.created_at) not in row


# --- debts, a second payment, test money ------------------------------------------------------


def owe(services, account: Account, units: int) -> None:
    """Leave the account's wallet owing `units`, as a refund after its credits were spent."""
    from reelmint.domains.wallet.service import wallet_of

    with services.db.write() as db:
        wallet = wallet_of(db=db, user_id=account.user.id, lock=True)
        legs = [Leg(wallet.owed, -units), Leg(platform_account(db=db, name="sales"), units)]
        transfer(db=db, key=f"owe:{account.email}", legs=legs, kind="refund", reason="refund")


def test_a_creator_whose_wallet_owes_units_is_told_to_pay_it_before_a_payout(services, client):
    maker = creator(services, tips=100)
    owe(services, maker, 8)
    me = browser(client, services, maker)
    page = me.get("/wallet").text
    refused = me.post("/wallet/payouts", {"units": "50", "payout_key": payout_key(page)})
    assert refused.status_code == 409
    assert "No payout was requested." in refused.text
    assert "Your wallet owes 8 units" in refused.text
    assert "buying credits pays it off first" in refused.text
    assert all_payouts(services) == []
    assert tips_now(services, maker.user.id) == Tips(pending=0, available=100, in_payout=0)


def test_the_operator_sees_that_a_waiting_payouts_payee_owes_units(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    owing, clear = creator(services, "owing@example.com"), creator(services, "clear@example.com")
    first, second = ask(services, owing, 50), ask(services, clear, 50)
    owe(services, owing, 1)  # after the payout was asked for
    page = browser(client, services, admin).get("/operator").text
    card = page[page.index(f'data-payout="{first.id}"') : page.index(f'data-payout="{second.id}"')]
    assert 'data-role="payee-owes"><strong>The payee owes 1 unit.</strong>' in card
    assert 'data-role="payee-owes"' not in page[page.index(f'data-payout="{second.id}"') :]


def test_the_operator_sees_that_a_waiting_payouts_payee_is_suspended(services, client):
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import suspend_account

    admin = make_account(services, "root@example.com", role="admin")
    held, clear = creator(services, "held@example.com"), creator(services, "clear@example.com")
    first, second = ask(services, held, 50), ask(services, clear, 50)
    with services.db.write() as db:
        suspend_account(db=db, actor=OPERATOR, user_id=held.user.id, reason="spam")
    page = browser(client, services, admin).get("/operator").text
    card = page[page.index(f'data-payout="{first.id}"') : page.index(f'data-payout="{second.id}"')]
    assert 'data-role="payee-suspended"' in card
    assert 'data-role="payee-suspended"' not in page[page.index(f'data-payout="{second.id}"') :]


def test_paid_again_with_another_reference_warns_and_the_same_one_is_a_quiet_retry(
    services, client
):
    admin = make_account(services, "root@example.com", role="admin")
    payout = ask(services, creator(services), 60)
    operator = browser(client, services, admin)
    url = f"/operator/payouts/{payout.id}/paid"
    assert operator.post(url, {"reference": "TX-1", "days": "7"}).status_code == 303
    retry = operator.post(url, {"reference": " TX-1 ", "days": "7"})
    assert (retry.status_code, retry.headers["location"]) == (303, "/operator?days=7#payouts")
    assert "Marked paid" in operator.get("/operator?days=7").text  # the flashes, shown
    twice = operator.post(url, {"reference": "TX-2", "days": "7"})
    assert twice.status_code == 409
    alert = twice.text[twice.text.index('id="payout-error"') :].split("</div>")[0]
    assert "The payout was not changed." in alert
    assert f"Payout {payout.id} was already paid on " in alert
    assert "with reference &#34;TX-1&#34;; nothing was changed and &#34;TX-2&#34; was not" in alert
    assert "ask the payee to return it" in alert
    assert "Marked paid" not in twice.text
    assert all_payouts(services) == [(payout.id, "paid", 60, "TX-1", None)]


def test_the_payees_payouts_mark_test_money_as_the_statement_does(services, client):
    maker = creator(services, tips=100)
    test, real = ask(services, maker, 30), ask(services, maker, 40)
    with services.db.write() as db:
        db.get_one(Payout, real.id).test_mode = False
    page = browser(client, services, maker).get("/wallet").text
    test_row = page[page.index(f'data-payout="{test.id}"') :].split("</tr>")[0]
    real_row = page[page.index(f'data-payout="{real.id}"') :].split("</tr>")[0]
    assert 'data-role="payout-money">12.00 USD</span> <span data-role="test-money"' in test_row
    assert ">(test money)</span>" in test_row
    assert "test money" not in real_row
