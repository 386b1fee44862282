"""A plan changed during the day: a raise tops today up to the new limit once, a lowering leaves
today's grant (and its top-up) standing, so what is left is
shown against what the day gave, and the lower plan applies from the next day. Runs on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.models import Notification
from reelmint.domains.quota import service as quota
from reelmint.domains.quota.models import QuotaChange
from reelmint.domains.wallet import service as wallet
from support import make_account

NOON = datetime(2026, 11, 22, 12, tzinfo=UTC)


def reserve(services, uid: str, *, units: int) -> None:
    """Spend `units` of today's quota at noon, so today's grant is made."""
    with services.db.write() as db:
        wallet.reserve_for_video(
            db=db,
            settings=services.settings,
            user=db.get_one(User, uid),
            video_id="v1",
            units=units,
            now=NOON,
        )


def change_plan(services, uid: str, plan: str) -> None:
    with services.db.write() as db:
        wallet.change_plan(
            db=db, settings=services.settings, user=db.get_one(User, uid), plan=plan, now=NOON
        )


def test_a_plan_raised_then_lowered_the_same_day_shows_sensible_numbers(services_on):
    uid = make_account(services_on).user.id
    settings = services_on.settings
    reserve(services_on, uid, units=2)
    for plan in ("pro", "free"):
        change_plan(services_on, uid, plan)
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


def test_moving_down_and_back_up_in_one_day_tops_up_once(services_on):
    """free -> pro tops today up to pro's limit; pro -> plus changes nothing today; plus -> pro
    again gives nothing more (today already gave pro's limit), where it used to refuse the
    whole change (the top-up's key was reused for another amount)."""
    uid = make_account(services_on).user.id
    settings = services_on.settings
    limits = settings.plan_daily_quota
    assert limits["free"] < limits["plus"] < limits["pro"]
    reserve(services_on, uid, units=1)
    for plan in ("pro", "plus", "pro", "plus", "pro"):
        change_plan(services_on, uid, plan)
    with services_on.db.read() as db:
        today = wallet.summary(db=db, settings=settings, user=db.get_one(User, uid), now=NOON)
    assert (today.plan, today.quota_limit, today.quota_left) == (
        "pro",
        limits["pro"],
        limits["pro"] - 1,
    )


def test_a_plan_raised_step_by_step_tops_up_to_each_limit(services_on):
    uid = make_account(services_on).user.id
    settings = services_on.settings
    limits = settings.plan_daily_quota
    reserve(services_on, uid, units=1)
    for plan in ("plus", "pro"):
        change_plan(services_on, uid, plan)
        with services_on.db.read() as db:
            user = db.get_one(User, uid)
            today = wallet.summary(db=db, settings=settings, user=user, now=NOON)
        assert (today.quota_limit, today.quota_left) == (limits[plan], limits[plan] - 1)


def test_admission_grants_from_the_plan_as_it_is_now(services_on):
    """A request authenticated as a free user, then moved to pro before the day's first
    admission (an operator's set-plan in between): the grant is pro's 150, not free's 30."""
    uid = make_account(services_on).user.id
    with services_on.db.read() as db:
        as_authenticated = db.get_one(User, uid)
    change_plan(services_on, uid, "pro")
    with services_on.db.write() as db:
        wallet.reserve_for_video(
            db=db,
            settings=services_on.settings,
            user=as_authenticated,
            video_id="v1",
            units=1,
            now=NOON,
        )
    with services_on.db.read() as db:
        info = wallet.summary(
            db=db, settings=services_on.settings, user=db.get_one(User, uid), now=NOON
        )
    assert (info.plan, info.quota_limit, info.quota_left) == ("pro", 150, 149)


def test_a_user_moved_to_a_plan_is_told_of_its_scheduled_changes(services_on):
    """They were not on the plan when its changes were announced: the move tells them (once;
    setting the same plan again says nothing)."""
    uid = make_account(services_on).user.id
    with services_on.db.write() as db:
        db.get_one(User, uid).plan = "pro"
    later = NOON.date() + timedelta(days=30)
    with services_on.db.write() as db:
        quota.schedule_changes(
            db=db,
            settings=services_on.settings,
            plan="free",
            steps=[quota.Step(daily_units=20, effective_on=later)],
            reason="GPU costs rose",
            now=NOON,
        )
    tomorrow = NOON.date() + timedelta(days=1)
    with services_on.db.write() as db:  # announced long ago, in effect from tomorrow
        db.add(QuotaChange(plan="free", daily_units=25, effective_on=tomorrow, reason=""))
    for _ in range(2):
        change_plan(services_on, uid, "free")
    with services_on.db.read() as db:
        told = list(db.scalars(select(Notification).where(Notification.user_id == uid)))
    assert [(n.kind, n.title) for n in told] == [("plan_change", "Your plan is now free")]
    assert "30 free generation units a day" in told[0].body  # today's
    assert f"From {tomorrow.isoformat()}, the free plan's free daily quota will be 25" in (
        told[0].body
    )
    assert f"From {later.isoformat()}, the free plan's free daily quota will be 20" in told[0].body
    assert "Reason: GPU costs rose" in told[0].body


def test_the_plan_notice_says_when_the_new_quota_applies_the_way_it_moved(services_on):
    """Up with today's quota given: raised today. Down: from the next day, today keeps what it
    gave. Before today's quota is given: from today, either way."""
    uid = make_account(services_on).user.id
    fresh = make_account(services_on, "fresh@example.com").user.id
    reserve(services_on, uid, units=1)  # today's free quota (30) is given
    for plan in ("pro", "free"):
        change_plan(services_on, uid, plan)
    change_plan(services_on, fresh, "pro")
    with services_on.db.read() as db:
        bodies = {
            (n.user_id, n.title): n.body
            for n in db.scalars(select(Notification).where(Notification.kind == "plan_change"))
        }
    pro = services_on.settings.plan_daily_quota["pro"]
    assert (
        f"{pro} free generation units a day, from today: today's quota is raised from 30"
        in (bodies[(uid, "Your plan is now pro")])
    )
    assert (
        f"a day, from your next day: today keeps the {pro} units it gave"
        in (bodies[(uid, "Your plan is now free")])
    )
    assert (
        f"{pro} free generation units a day, from today." in bodies[(fresh, "Your plan is now pro")]
    )


def test_from_the_next_day_counts_a_change_that_starts_then(services_on):
    """Moved down after today's quota was given, with a change of the new plan starting
    tomorrow: 'your plan gives N a day from your next day' says the changed N."""
    uid = make_account(services_on).user.id
    with services_on.db.write() as db:
        db.get_one(User, uid).plan = "pro"
    reserve(services_on, uid, units=1)
    tomorrow = NOON.date() + timedelta(days=1)
    with services_on.db.write() as db:  # announced long ago, in effect from tomorrow
        db.add(QuotaChange(plan="free", daily_units=25, effective_on=tomorrow, reason=""))
    change_plan(services_on, uid, "free")
    with services_on.db.read() as db:
        user = db.get_one(User, uid)
        info = wallet.summary(db=db, settings=services_on.settings, user=user, now=NOON)
    assert (info.quota_limit, info.plan_limit, info.from_next_day) == (
        services_on.settings.plan_daily_quota["pro"],
        30,
        25,
    )
