"""The economy's HTTP API: /v1/pricing, /v1/videos/estimate, /v1/wallet, the statement
(JSON and CSV), /v1/quota, and the refusals as clear 4xx errors."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from reelmint.domains.payments.service import start_purchase
from reelmint.domains.quota.service import Step, schedule_changes
from reelmint.domains.wallet.service import grant_credits
from support import licensed_character, make_account

LARGE = {"prompt": "a dog runs in a park", "seconds": 20, "size": "1280x720"}


def test_the_price_list_is_public_and_prices_a_10s_480p_preview_at_one_unit(client):
    table = client.get("/v1/pricing").json()
    assert table["units_per_10s"] == 1
    preview = next(b for b in table["backends"] if b["backend"] == "preview")
    prices = {(e["seconds"], e["size"]): e["units"] for e in preview["examples"]}
    assert prices[(10.0, "854x480")] == 1
    assert prices[(20.0, "1280x720")] == 4
    assert prices[(20.0, "720x720")] == 4  # 720p too: its shorter side is 720
    assert prices[(20.0, "480x854")] == 2
    assert {"plan": "free", "daily_quota_default": 30} in table["plans"]


def test_an_estimate_prices_a_request_and_reserves_nothing(client, account):
    reply = client.post("/v1/videos/estimate", headers=account.headers, json=LARGE)
    assert reply.status_code == 200
    body = reply.json()
    assert (body["units"], body["affordable"]) == (4, True)
    assert body["paid_with"] == [{"source": "quota", "units": 4}]
    assert body["breakdown"]["size_class"] == "720p"
    wallet = client.get("/v1/wallet", headers=account.headers).json()
    assert (wallet["quota"]["remaining"], wallet["reserved"]) == (30, 0)
    assert client.get("/v1/wallet/statement", headers=account.headers).json()["data"] == []


def test_an_estimate_of_a_bad_request_says_what_to_fix(client, account):
    reply = client.post(
        "/v1/videos/estimate", headers=account.headers, json={**LARGE, "seconds": 99}
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_seconds"
    assert client.post("/v1/videos/estimate", json=LARGE).status_code == 401


def test_an_estimate_names_the_licence_fees_and_pays_them_first_from_purchased_credits(
    client, services, account
):
    character_id = licensed_character(services, fee=9)
    ask = {**LARGE, "prompt": "Captain Brightwave surfs at sunset"}  # 4 units + a fee of 9
    short = client.post("/v1/videos/estimate", headers=account.headers, json=ask).json()
    fee = {"character_id": character_id, "name": "Captain Brightwave", "units": 9}
    assert short["licence_fees"] == [fee]
    assert (short["units"], short["fee_units"], short["total_units"]) == (4, 9, 13)
    assert short["affordable"] is False  # fees need purchased credits; there are none
    refused = client.post("/v1/videos", headers=account.headers, json=ask)
    assert (refused.status_code, refused.json()["error"]["code"]) == (402, "insufficient_credits")
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    for _ in range(7):  # 28 of the 30 quota units: 2 left
        client.post("/v1/videos", headers=account.headers, json=LARGE)
    # 10 purchased - 9 of fees = 1, and 2 of quota: 3 of the 4 units, not enough
    short = client.post("/v1/videos/estimate", headers=account.headers, json=ask).json()
    assert short["affordable"] is False
    assert short["paid_with"] == [
        {"source": "quota", "units": 2},
        {"source": "purchased", "units": 1},
    ]
    assert client.post("/v1/videos", headers=account.headers, json=ask).status_code >= 400
    start_purchase(services=services, user=account.user, pack_id="pack_10")
    covered = client.post("/v1/videos/estimate", headers=account.headers, json=ask).json()
    assert (covered["affordable"], covered["paid_with"][-1]) == (
        True,
        {"source": "purchased", "units": 2},
    )
    made = client.post("/v1/videos", headers=account.headers, json=ask)
    assert made.status_code == 200
    wallet = client.get("/v1/wallet", headers=account.headers).json()
    assert (wallet["quota"]["remaining"], wallet["credits"]["purchased"]) == (0, 20 - 9 - 2)
    plain = client.post("/v1/videos/estimate", headers=account.headers, json=LARGE).json()
    assert (plain["licence_fees"], plain["fee_units"], plain["total_units"]) == ([], 0, 4)


def test_creating_shows_the_price_and_the_wallet_follows(client, account):
    created = client.post("/v1/videos", headers=account.headers, json=LARGE).json()
    assert created["price_units"] == 4
    wallet = client.get("/v1/wallet", headers=account.headers).json()
    quota = wallet["quota"]
    assert (quota["daily_limit"], quota["remaining"], quota["reserved"]) == (30, 26, 4)
    lines = client.get("/v1/wallet/statement", headers=account.headers).json()["data"]
    assert [(line["kind"], line["status"], line["amount"]) for line in lines] == [
        ("spend_quota", "reserved", -4),
        ("quota_grant", "posted", 30),
    ]
    first = client.get("/v1/wallet/statement?limit=1", headers=account.headers).json()
    assert (len(first["data"]), first["has_more"]) == (1, True)  # the grant was left out
    whole = client.get("/v1/wallet/statement?limit=2&format=csv", headers=account.headers)
    assert "x-has-more" not in whole.headers
    cut = client.get("/v1/wallet/statement?limit=1&format=csv", headers=account.headers)
    assert cut.headers["x-has-more"] == "true"
    client.post(f"/v1/videos/{created['id']}/cancel", headers=account.headers)
    lines = client.get("/v1/wallet/statement", headers=account.headers).json()["data"]
    assert lines[0]["status"] == "refunded"
    assert lines[0]["reason"] == "refund: the video was cancelled before it finished"
    assert (lines[0]["amount"], lines[0]["held"]) == (0, 4)  # what was given back
    assert lines[1]["held"] is None  # a posting


def test_the_statement_downloads_as_csv(client, services, account):
    with services.db.write() as db:
        grant_credits(db=db, user=account.user, units=5, reason="=HYPERLINK(evil)", key="k")
    reply = client.get("/v1/wallet/statement?format=csv", headers=account.headers)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(reply.text)))
    assert [(r["kind"], r["amount"], r["wallet"]) for r in rows] == [("grant", "5", "granted")]
    assert rows[0]["reason"] == "'=HYPERLINK(evil)"  # never a live formula in a spreadsheet


def test_a_used_up_quota_is_a_429_and_too_few_credits_a_402(client, services, account):
    for _ in range(7):
        assert client.post("/v1/videos", headers=account.headers, json=LARGE).status_code == 200
    refused = client.post("/v1/videos", headers=account.headers, json=LARGE)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "quota_exhausted"
    # Retry-After: the seconds until the quota resets at the user's midnight (UTC here).
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    assert abs(int(refused.headers["retry-after"]) - (midnight - now).total_seconds()) < 60
    with services.db.write() as db:
        grant_credits(db=db, user=account.user, units=1, reason="sorry", key="k")
    short = client.post("/v1/videos", headers=account.headers, json=LARGE)
    assert short.status_code == 402
    assert short.json()["error"]["code"] == "insufficient_credits"
    assert len(client.get("/v1/videos", headers=account.headers).json()["data"]) == 7


def test_the_quota_shows_upcoming_changes_and_history(client, services, account):
    today = date.today()
    with services.db.write() as db:
        schedule_changes(
            db=db,
            settings=services.settings,
            plan="free",
            steps=[Step(20, today + timedelta(days=20)), Step(10, today + timedelta(days=50))],
            reason="GPU prices went up",
        )
        schedule_changes(
            db=db,
            settings=services.settings,
            plan="pro",
            steps=[Step(1, today + timedelta(days=20))],
            reason="other plan",
        )
    body = client.get("/v1/quota", headers=account.headers).json()
    assert body["quota"]["daily_limit"] == 30
    assert [(c["daily_units"], c["reason"]) for c in body["upcoming"]] == [
        (20, "GPU prices went up"),
        (10, "GPU prices went up"),
    ]
    assert len(body["history"]) == 2
    other = make_account(services, "bob@example.com")
    assert client.get("/v1/quota", headers=other.headers).json()["plan"] == "free"


def test_models_without_a_model_folder_are_neither_priced_nor_admitted(tmp_path):
    from fastapi.testclient import TestClient

    from reelmint.api.app import create_app
    from support import make_services

    bare = make_services(tmp_path, f"sqlite:///{tmp_path / 'bare.db'}", wan_path=None)
    try:
        with TestClient(create_app(bare)) as client:
            me = make_account(bare, "ada@example.com")
            table = client.get("/v1/pricing").json()
            assert [b["backend"] for b in table["backends"]] == ["preview", "ltx"]
            ask = {"prompt": "a cat", "model": "wan", "seconds": "4"}
            for path in ("/v1/videos", "/v1/videos/estimate"):
                refused = client.post(path, headers=me.headers, json=ask).json()["error"]
                assert (refused["code"], refused["param"]) == ("model_unavailable", "model")
                assert "model 'wan' is not offered on this platform" in refused["message"]
                assert "REELMINT" not in refused["message"]  # no operator instructions
            unknown = client.post("/v1/videos", headers=me.headers, json={**ask, "model": "x"})
            assert "wan" not in unknown.json()["error"]["message"]
            made = client.post("/v1/videos", headers=me.headers, json={**ask, "model": "sora-2"})
            assert made.status_code == 200
            assert (
                client.get("/v1/videos", headers=me.headers).json()["data"][0]["id"]
                == (made.json()["id"])
            )
    finally:
        bare.close()


def test_an_estimate_names_the_field_to_fix_as_creating_does(client, account):
    for path in ("/v1/videos/estimate", "/v1/videos"):
        refused = client.post(path, headers=account.headers, json={"seconds": "4"})
        error = refused.json()["error"]
        assert (refused.status_code, error["code"], error["param"]) == (
            400,
            "invalid_prompt",
            "prompt",
        )


def test_a_plan_with_no_free_quota_is_refused_without_a_retry_after(tmp_path, database_url):
    """A plan whose daily quota is 0 today and on the next quota day: waiting for midnight
    would not help, so the 429 names no Retry-After and says to buy credits; a plan that
    gives units again at the next reset keeps its Retry-After."""
    from fastapi.testclient import TestClient

    from reelmint.db.base import utcnow
    from reelmint.domains.accounts.models import User
    from reelmint.domains.quota.models import QuotaChange
    from reelmint.domains.quota.service import local_day
    from support import app_serving, make_services

    services = make_services(tmp_path, database_url, plan_daily_quota={"free": 0, "plus": 0})
    try:
        account = make_account(services)
        with TestClient(app_serving(services)) as client:
            refused = client.post("/v1/videos", headers=account.headers, json=LARGE)
            assert refused.status_code == 429
            error = refused.json()["error"]
            assert error["code"] == "quota_exhausted"
            assert "retry-after" not in refused.headers
            assert "your plan (free) gives no free daily quota" in error["message"]
            assert "buy credits" in error["message"]
            assert "resets at" not in error["message"]

            with services.db.write() as db:  # the plus plan gives 5 a day from tomorrow
                user = db.get_one(User, account.user.id)
                user.plan = "plus"
                tomorrow = local_day(user, utcnow()) + timedelta(days=1)
                db.add(QuotaChange(plan="plus", daily_units=5, effective_on=tomorrow, reason="x"))
            waits = client.post("/v1/videos", headers=account.headers, json=LARGE)
            assert (waits.status_code, waits.json()["error"]["code"]) == (429, "quota_exhausted")
            assert int(waits.headers["retry-after"]) > 0
            assert "resets at" in waits.json()["error"]["message"]
            assert not client.get("/v1/videos", headers=account.headers).json()["data"]
    finally:
        services.close()
