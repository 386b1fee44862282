"""The payouts API: the payee asks, lists and cancels; administrators list, pay and reject."""

from __future__ import annotations

from payout_helpers import admin, creator_with_tips, holder_with_earnings

from support import join_organisation, make_account


def test_a_creator_asks_lists_and_cancels(services, client):
    maker = creator_with_tips(services, 100)
    headers = {**maker.headers, "Idempotency-Key": "ask-1"}
    body = {"units": 30, "note": "IBAN DE00 1234"}
    response = client.post("/v1/payouts", json=body, headers=headers)
    assert response.status_code == 201
    payout = response.json()
    assert {k: payout[k] for k in ("object", "payee_kind", "units", "cents", "currency")} == {
        "object": "payout",
        "payee_kind": "creator",
        "units": 30,
        "cents": 1200,
        "currency": "usd",
    }
    assert (payout["status"], payout["note"], payout["settled_at"]) == (
        "requested",
        "IBAN DE00 1234",
        None,
    )
    assert "Idempotent-Replayed" not in response.headers
    replayed = client.post("/v1/payouts", json=body, headers=headers)
    assert replayed.json()["id"] == payout["id"]
    assert (replayed.status_code, replayed.headers["Idempotent-Replayed"]) == (201, "true")
    tips = client.get("/v1/wallet", headers=maker.headers).json()["tips"]
    assert tips == {"pending": 0, "available": 70, "in_payout": 30}
    listed = client.get("/v1/payouts", headers=maker.headers).json()
    assert [p["id"] for p in listed["data"]] == [payout["id"]]
    one = client.get(f"/v1/payouts/{payout['id']}", headers=maker.headers)
    assert one.json()["status"] == "requested"
    cancelled = client.post(f"/v1/payouts/{payout['id']}/cancel", headers=maker.headers)
    assert cancelled.json()["status"] == "cancelled"
    tips = client.get("/v1/wallet", headers=maker.headers).json()["tips"]
    assert tips == {"pending": 0, "available": 100, "in_payout": 0}


def test_refusals_say_what_to_change(services, client):
    maker = creator_with_tips(services, 40)
    too_much = client.post("/v1/payouts", json={"units": 41}, headers=maker.headers)
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "insufficient_earnings"
    too_little = client.post("/v1/payouts", json={"units": 5}, headers=maker.headers)
    assert too_little.status_code == 400
    assert too_little.json()["error"]["code"] == "invalid_units"
    not_a_number = client.post("/v1/payouts", json={"units": "30"}, headers=maker.headers)
    assert not_a_number.status_code == 400
    stranger = make_account(services, "stranger@example.com")
    hidden = client.get("/v1/payouts", headers=stranger.headers)
    assert hidden.json()["data"] == []
    assert client.get("/v1/payouts", headers={}).status_code == 401
    assert client.get("/v1/wallet", headers=maker.headers).json()["tips"]["in_payout"] == 0


def test_administrators_pay_and_reject_others_cannot(services, client):
    owner, organisation_id = holder_with_earnings(services, 100)
    root = admin(services)
    ask = {"units": 50, "organisation_id": organisation_id}
    first = client.post("/v1/payouts", json=ask, headers=owner.headers).json()
    second = client.post("/v1/payouts", json=ask, headers=owner.headers).json()  # no key: two
    assert first["id"] != second["id"]
    forbidden = client.get("/v1/admin/payouts", headers=owner.headers)
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "admin_only"
    refused = client.post(
        f"/v1/admin/payouts/{first['id']}/paid", json={"reference": "x"}, headers=owner.headers
    )
    assert refused.status_code == 403
    waiting = client.get("/v1/admin/payouts", headers=root.headers).json()["data"]
    assert [p["id"] for p in waiting] == [first["id"], second["id"]]
    paid = client.post(
        f"/v1/admin/payouts/{first['id']}/paid",
        json={"reference": "SEPA 2026-11-22/7"},
        headers=root.headers,
    )
    assert (paid.json()["status"], paid.json()["reference"]) == ("paid", "SEPA 2026-11-22/7")
    assert paid.json()["settled_by"] == root.user.id  # who paid it, for administrators
    theirs = client.get(f"/v1/payouts/{first['id']}", headers=owner.headers).json()
    assert (theirs["status"], theirs["settled_by"]) == ("paid", None)
    blank = client.post(
        f"/v1/admin/payouts/{second['id']}/reject", json={"reason": "  "}, headers=root.headers
    )
    assert blank.status_code == 400
    assert blank.json()["error"]["code"] == "invalid_reason"
    rejected = client.post(
        f"/v1/admin/payouts/{second['id']}/reject",
        json={"reason": "send bank details"},
        headers=root.headers,
    )
    assert rejected.json()["status"] == "rejected"
    again = client.post(
        f"/v1/admin/payouts/{second['id']}/paid", json={"reference": "x"}, headers=root.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "payout_settled"
    everything = client.get("/v1/admin/payouts?status=all", headers=root.headers).json()["data"]
    assert {p["status"] for p in everything} == {"paid", "rejected"}
    earnings = client.get(f"/v1/organisations/{organisation_id}/earnings", headers=owner.headers)
    assert (earnings.json()["available"], earnings.json()["in_payout"]) == (50, 0)
    missing = client.get("/v1/payouts/payout_nope", headers=root.headers)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "payout_not_found"


def test_members_see_an_organisations_payout_but_not_where_the_money_goes(services, client):
    from reelmint.domains.accounts.models import Organisation

    owner, organisation_id = holder_with_earnings(services, 100)
    member = make_account(services, "member@example.com")
    with services.db.write() as db:
        organisation = db.get_one(Organisation, organisation_id)
        join_organisation(db, owner=owner.user, organisation=organisation, user=member.user)
    ask = {"units": 30, "organisation_id": organisation_id, "note": "IBAN DE89 3704"}
    payout = client.post("/v1/payouts", json=ask, headers=owner.headers).json()
    assert payout["note"] == "IBAN DE89 3704"
    seen = client.get(f"/v1/payouts/{payout['id']}", headers=member.headers).json()
    assert (seen["units"], seen["note"]) == (30, "")
    listed = client.get("/v1/payouts", headers=member.headers).json()["data"]
    assert [(p["id"], p["note"]) for p in listed] == [(payout["id"], "")]
    refused = client.post(f"/v1/payouts/{payout['id']}/cancel", headers=member.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "owner_only")
    root = admin(services)
    waiting = client.get("/v1/admin/payouts", headers=root.headers).json()["data"]
    assert [p["note"] for p in waiting] == ["IBAN DE89 3704"]


def test_payout_lists_page_on_with_after(services, client):
    from datetime import timedelta

    from reelmint.db.base import utcnow
    from reelmint.domains.payouts.models import Payout

    maker = creator_with_tips(services, 100)
    root = admin(services)
    made = [
        client.post("/v1/payouts", json={"units": 25}, headers=maker.headers).json()["id"]
        for _ in range(3)
    ]
    with services.db.write() as db:  # one a minute apart, oldest first
        for n, payout_id in enumerate(made):
            db.get_one(Payout, payout_id).created_at = utcnow() - timedelta(minutes=10 - n)
    first = client.get("/v1/payouts?limit=2", headers=maker.headers).json()
    assert ([p["id"] for p in first["data"]], first["has_more"]) == ([made[2], made[1]], True)
    rest = client.get(f"/v1/payouts?limit=2&after={first['last_id']}", headers=maker.headers)
    assert ([p["id"] for p in rest.json()["data"]], rest.json()["has_more"]) == ([made[0]], False)
    waiting = client.get("/v1/admin/payouts?limit=2", headers=root.headers).json()
    assert [p["id"] for p in waiting["data"]] == made[:2]  # oldest first: the order to pay in
    after = client.get(f"/v1/admin/payouts?after={waiting['last_id']}", headers=root.headers)
    assert [p["id"] for p in after.json()["data"]] == [made[2]]
    unknown = client.get("/v1/payouts?after=payout_nope", headers=maker.headers)
    assert (unknown.status_code, unknown.json()["error"]["param"]) == (404, "after")
    assert client.get("/v1/payouts?limit=0", headers=maker.headers).status_code == 400


def test_a_reused_key_and_a_long_note_are_refused_in_the_clients_terms(services, client):
    maker = creator_with_tips(services, 100)
    headers = {**maker.headers, "Idempotency-Key": "k1"}
    assert client.post("/v1/payouts", json={"units": 25}, headers=headers).status_code == 201
    other = client.post("/v1/payouts", json={"units": 26}, headers=headers)
    assert other.status_code == 409
    error = other.json()["error"]
    assert (error["code"], error["param"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert "'k1' was already used for another payout request" in error["message"]
    assert "payout:" not in error["message"]  # not the ledger's own key
    long = client.post("/v1/payouts", json={"units": 25, "note": "x" * 501}, headers=maker.headers)
    assert long.status_code == 400
    assert long.json()["error"]["code"] == "invalid_note"  # as docs/api.md says
    tips = client.get("/v1/wallet", headers=maker.headers).json()["tips"]
    assert tips["in_payout"] == 25  # nothing more set aside


def test_an_unknown_status_is_answered_invalid_status_as_the_service_says(services, client):
    root = admin(services)
    refused = client.get("/v1/admin/payouts?status=bogus", headers=root.headers)
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_status", "status")
    assert "requested, paid, rejected, cancelled" in error["message"]
    for status in ("requested", "paid", "rejected", "cancelled", "all"):
        listed = client.get(f"/v1/admin/payouts?status={status}", headers=root.headers)
        assert listed.status_code == 200, status
    maker = make_account(services, "maker@example.com")
    stranger = client.get("/v1/admin/payouts?status=bogus", headers=maker.headers)
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (403, "admin_only")
    document = client.get("/openapi.json").json()
    [status_param] = [
        p
        for p in document["paths"]["/v1/admin/payouts"]["get"]["parameters"]
        if p["name"] == "status"
    ]
    assert status_param["schema"]["enum"] == ["requested", "paid", "rejected", "cancelled", "all"]


def test_a_creator_who_owes_units_is_refused_a_payout_saying_how_to_pay_it(services, client):
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.wallet.service import wallet_of

    maker = creator_with_tips(services, 100)
    with services.db.write() as db:
        wallet = wallet_of(db=db, user_id=maker.user.id, lock=True)
        legs = [Leg(wallet.owed, -3), Leg(platform_account(db=db, name="sales"), 3)]
        transfer(db=db, key="owe-3", legs=legs, kind="refund", reason="a refund")
    refused = client.post("/v1/payouts", json={"units": 30}, headers=maker.headers)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "debt_outstanding"
    assert "owes 3 units" in error["message"]
    assert "buying credits pays it off first" in error["message"]
    assert client.get("/v1/wallet", headers=maker.headers).json()["tips"]["in_payout"] == 0


def test_paid_again_with_another_reference_is_a_409_naming_the_first(services, client):
    maker = creator_with_tips(services, 100)
    root = admin(services)
    payout = client.post("/v1/payouts", json={"units": 30}, headers=maker.headers).json()
    url = f"/v1/admin/payouts/{payout['id']}/paid"
    first = client.post(url, json={"reference": "SEPA 1"}, headers=root.headers)
    assert first.status_code == 200
    retry = client.post(url, json={"reference": " SEPA  1"}, headers=root.headers)
    assert (retry.status_code, retry.json()) == (200, first.json())  # the same: unchanged
    twice = client.post(url, json={"reference": "SEPA 2"}, headers=root.headers)
    assert twice.status_code == 409
    error = twice.json()["error"]
    assert error["code"] == "payout_already_paid"
    assert 'with reference "SEPA 1"; nothing was changed and "SEPA 2" was not' in error["message"]
    assert " UTC with reference" in error["message"]
    again = client.get(f"/v1/payouts/{payout['id']}", headers=root.headers).json()
    assert again["reference"] == "SEPA 1"
