"""The quota as the pages and the API show it: after a plan is lowered the same day, after a
change of time zone (when the new zone starts to govern the quota), and the next scheduled
change next to what is left today on /create."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

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


def _in_zone(services, account, zone: str) -> None:
    with services.db.write() as db:
        db.get_one(User, account.user.id).timezone = zone


# UTC+14 and UTC-12 are 26 hours apart: whatever the hour, the second's date is a day or two
# before the first's, so which way a move goes decides the outcome, not the clock.
AHEAD, BEHIND = "Pacific/Kiritimati", "Etc/GMT+12"


def test_the_quota_page_says_when_a_new_time_zone_takes_over(client, services, account):
    token = _signed_in(client, services, account)
    _in_zone(services, account, AHEAD)
    assert client.post("/v1/videos", headers=account.headers, json={"prompt": "a cat"}).is_success
    before = client.get("/v1/quota", headers=account.headers).json()["quota"]
    client.post("/quota/timezone", data={"timezone": BEHIND, "csrf_token": token})
    after = client.get("/v1/quota", headers=account.headers).json()
    assert after["timezone"] == BEHIND
    assert after["quota"]["remaining"] == before["remaining"]  # nothing expired
    applies = after["quota"]["timezone_applies_at"]
    assert applies == after["quota"]["resets_at"]  # when the day in progress ends, which is
    assert datetime.fromtimestamp(applies, ZoneInfo(BEHIND)).time() == time(0)  # a new midnight
    page = client.get("/quota").text
    assert 'data-role="timezone-pending"' in page
    assert f"Your time zone is now {BEHIND}" in page


def test_a_new_time_zone_applies_at_once_when_no_day_is_held(client, services, account):
    token = _signed_in(client, services, account)
    _in_zone(services, account, BEHIND)  # nothing granted yet, and the new date is a later one
    client.post("/quota/timezone", data={"timezone": AHEAD, "csrf_token": token})
    quota = client.get("/v1/quota", headers=account.headers).json()
    assert quota["timezone"] == AHEAD
    assert quota["quota"]["timezone_applies_at"] is None
    assert 'data-role="timezone-pending"' not in client.get("/quota").text


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
