"""A plan lowered during the day: today's grant (and its top-up) stands, so what is left is
shown against what the day gave, and the lower plan applies from the next day. Runs on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reelmint.domains.accounts.models import User
from reelmint.domains.wallet import service as wallet
from support import make_account

NOON = datetime(2026, 11, 22, 12, tzinfo=UTC)


def test_a_plan_raised_then_lowered_the_same_day_shows_sensible_numbers(services_on):
    uid = make_account(services_on).user.id
    settings = services_on.settings
    with services_on.db.write() as db:
        wallet.reserve_for_video(
            db=db, settings=settings, user=db.get_one(User, uid), video_id="v1", units=2, now=NOON
        )
    for plan in ("pro", "free"):
        with services_on.db.write() as db:
            wallet.change_plan(
                db=db, settings=settings, user=db.get_one(User, uid), plan=plan, now=NOON
            )
    with services_on.db.read() as db:
        user = db.get_one(User, uid)
        today = wallet.summary(db=db, settings=settings, user=user, now=NOON)
        tomorrow = wallet.summary(db=db, settings=settings, user=user, now=NOON + timedelta(days=1))
    pro = settings.plan_daily_quota["pro"]
    assert (today.plan, today.quota_left, today.quota_limit, today.plan_limit) == (
        "free",
        pro - 2,
        pro,
        30,
    )
    assert today.quota_left <= today.quota_limit
    assert (tomorrow.quota_left, tomorrow.quota_limit, tomorrow.plan_limit) == (30, 30, 30)
