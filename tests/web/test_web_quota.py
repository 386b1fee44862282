"""The quota as the pages and the API show it: after a plan is lowered the same day, after a
change of time zone (when the new zone starts to govern the quota), and the next scheduled
change next to what is left today on /create."""

from __future__ import annotations

from datetime import timedelta

from reelmint.api.deps import SESSION_COOKIE
from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import start_web_session
from reelmint.domains.quota.service import Step, schedule_changes
from reelmint.domains.wallet import service as wallet


def _signed_in(client, services, account) -> str:
    with services.db.write() as db:
        session, secret = start_web_session(db=db, user=account.user)
    client.cookies.set(SESSION_COOKIE, secret)
    return session.csrf_token


def test_a_plan_lowered_today_shows_what_the_day_gave_and_the_plans_limit(
    client, services, account
):
    _signed_in(client, services, account)
    assert client.post("/v1/videos", headers=account.headers, json={"prompt": "a cat"}).is_success
    for plan in ("pro", "free"):
        with services.db.write() as db:
            user = db.get_one(User, account.user.id)
            wallet.change_plan(db=db, settings=services.settings, user=user, plan=plan)
    pro = services.settings.plan_daily_quota["pro"]
    for path in ("/v1/wallet", "/v1/quota"):
        quota = client.get(path, headers=account.headers).json()["quota"]
        assert (quota["daily_limit"], quota["plan_daily_limit"]) == (pro, 30)
        assert quota["remaining"] <= quota["daily_limit"]
    assert f"of {pro} units left" in client.get("/wallet").text
    assert "your free plan gives 30 a day from your next day" in client.get("/wallet").text
    page = client.get("/create").text
    assert f"of {pro}" in page
    assert "of 30" not in page


def test_the_quota_page_says_when_a_new_time_zone_takes_over(client, services, account):
    token = _signed_in(client, services, account)
    assert client.post("/v1/videos", headers=account.headers, json={"prompt": "a cat"}).is_success
    before = client.get("/v1/quota", headers=account.headers).json()["quota"]
    client.post("/quota/timezone", data={"timezone": "Pacific/Kiritimati", "csrf_token": token})
    client.post("/quota/timezone", data={"timezone": "Pacific/Pago_Pago", "csrf_token": token})
    after = client.get("/v1/quota", headers=account.headers).json()
    assert after["timezone"] == "Pacific/Pago_Pago"
    assert after["quota"]["remaining"] == before["remaining"]  # nothing expired
    # Pago Pago is a day behind UTC at some hour of every UTC day: the day is held until the
    # next date begins there, or (if it already is that date) the zone applies at once.
    applies = after["quota"]["timezone_applies_at"]
    page = client.get("/quota").text
    if applies is not None:
        assert applies == after["quota"]["resets_at"]
        assert 'data-role="timezone-pending"' in page
    else:
        assert 'data-role="timezone-pending"' not in page


def test_create_shows_the_next_change_within_the_notice_period(client, services, account):
    _signed_in(client, services, account)
    assert 'data-role="quota-change"' not in client.get("/create").text
    soon = utcnow().date() + timedelta(days=3)
    with services.db.write() as db:
        schedule_changes(
            db=db,
            settings=services.settings,
            plan="free",
            steps=[Step(12, soon)],
            reason="a GPU host failed",
            emergency=True,
        )
    page = client.get("/create").text
    assert 'data-role="quota-change"' in page
    assert f"From {soon.isoformat()} your free daily quota will be" in page
    assert "12 units" in page
    assert 'href="/quota"' in page
