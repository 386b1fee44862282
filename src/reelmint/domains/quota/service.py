"""The free daily quota: each plan's limit over time, each user's local day, and the notice
users get before a limit changes.

A user's quota lives in the ledger as their `quota` account. On the first admission of each
local day (midnight in the user's IANA time zone) whatever is left of the previous day expires
and the day's limit is granted: two entries with keys per user and day, so they happen once
however many requests race. Both show on the statement.

A plan's limit on a day is the latest scheduled change effective on or before that day, else
the configured default. Lowering it is never overnight: a change needs `quota_min_notice_days`
of notice unless it is marked an emergency with a written reason, and every affected user is
notified (in the app and by email) when it is scheduled and again the day before.

With email on, an account whose address is not confirmed gets no quota
(`quota_needs_confirmed_email`, `quota_withheld`): a made-up address is free to sign up with,
and GPU time is not free to give it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, and_, func, literal, select, text
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.email_confirmation import is_confirmed
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerAccount, LedgerEntry
from reelmint.domains.ledger.service import (
    Leg,
    entry_recorded,
    platform_account,
    record_marker,
    transfer,
)
from reelmint.domains.quota.models import QuotaChange
from reelmint.errors import BadRequest, Conflict, NotFound
from reelmint.terminal import hidden_character

MAX_REASON_CHARS = 2000
MAX_DAILY_UNITS = 1_000_000  # far above any plan; the column is a 32-bit integer
LATEST_OFFSET = timedelta(hours=14)  # the largest UTC offset in use
EARLIEST_OFFSET = timedelta(hours=12)  # the most negative, UTC-12
MAX_YEARS_AHEAD = 5  # a change further ahead is a typo, not a plan users should be told of


# --- days -------------------------------------------------------------------------------------

# After a change of time zone the day in progress lasts at least this long past its usual end
# minus this: the new zone's first day never starts sooner, so no zone hop brings two days'
# quota within hours of each other.
SHORTEST_CHANGE = timedelta(hours=12)


def user_zone(user: User) -> ZoneInfo:
    """The user's time zone (their profile's), which their quota days follow unless a day is
    held over a change of zone."""
    return zone_named(user.timezone)


def zone_named(name: str | None) -> ZoneInfo:
    """The time zone `name`; UTC if it is empty or not one."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(user: User, now: datetime | None = None) -> date:
    """The user's quota day now: their calendar date, or the day held over a change of zone
    until it ends (`held_until`). It never goes back, so no date's quota is granted twice."""
    now = now or utcnow()
    until = held_until(user)
    if until is not None and now < until and user.held_quota_day is not None:
        return user.held_quota_day
    return zone_day(user.timezone, now)


def zone_day(name: str | None, now: datetime) -> date:
    """The calendar date now in the time zone `name` (UTC if it is not one)."""
    return now.astimezone(zone_named(name)).date()


def earliest_day(now: datetime) -> date:
    """The furthest-behind local date anywhere at `now` (UTC-12's): a limit in force there is
    in force everywhere."""
    return (now.astimezone(UTC) - EARLIEST_OFFSET).date()


def latest_day(now: datetime) -> date:
    """The furthest-ahead local date anywhere at `now` (UTC+14, the Line Islands'): notice of
    a change is counted from it, so no user is already in the day it takes effect."""
    return (now.astimezone(UTC) + LATEST_OFFSET).date()


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """When `day` begins in `zone`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def next_reset(user: User, now: datetime | None = None) -> datetime:
    """When the user's quota next resets: the end of a held day, else their next local
    midnight; in UTC."""
    now = now or utcnow()
    until = held_until(user)
    if until is not None and now < until:
        return until
    return midnight(zone_day(user.timezone, now) + timedelta(days=1), user_zone(user))


def held_until(user: User) -> datetime | None:
    """When the quota day held over a change of time zone ends (None if none is held): at the
    first midnight of the new zone that begins a later date and comes no sooner than 12 hours
    before the day would have ended in the old zone. A move west lengthens the day by the
    difference; a move east shortens it by up to 12 hours, or (further east) lengthens it to
    the new zone's next midnight, skipping a date, rather than giving two days' quota within
    hours."""
    day, ends = user.held_quota_day, user.held_quota_day_ends
    if day is None or ends is None:
        return None
    zone = user_zone(user)
    later = day + timedelta(days=1)
    while (start := midnight(later, zone)) < ends - SHORTEST_CHANGE:
        later += timedelta(days=1)
    return start


def move_to_zone(*, db: Session, user: User, zone: str, now: datetime | None = None) -> None:
    """Make `zone` (a valid IANA name) the user's time zone without giving or taking quota.

    Shown at once wherever the profile's zone is, it governs the quota from the end of the
    quota day in progress (`held_until`): nothing expires at the change and no later date is
    granted early. A change again before then moves that end (back to the old zone: to its
    usual midnight, holding nothing). When nothing was granted for the day in progress and the
    new zone's date is not an earlier one, there is nothing to keep and the new zone applies at
    once; so too, in either direction, for an account never granted any quota (the zone chosen
    at sign-up): its first grant is for the new zone's date.
    """
    now = now or utcnow()
    day = local_day(user, now)
    held = held_until(user)
    if held is None or now >= held:  # no day held: hold the one in progress
        user.held_quota_day, user.held_quota_day_ends = day, next_reset(user, now)
    user.timezone = zone
    until = held_until(user)
    zone_today = zone_day(zone, now)
    as_if_unheld = zone_today == day and until == midnight(day + timedelta(days=1), user_zone(user))
    if until is None or now >= until or as_if_unheld or not _ever_granted(db, user):
        user.held_quota_day = user.held_quota_day_ends = None
    elif zone_today >= day and not entry_recorded(db=db, key=grant_key(user.id, day)):
        user.held_quota_day = user.held_quota_day_ends = None  # nothing of the day to keep
    db.flush()


def _ever_granted(db: Session, user: User) -> bool:
    """Whether any quota day was ever opened for the user (a grant, or a day of 0 units)."""
    opened = select(LedgerEntry.id).where(
        LedgerEntry.user_id == user.id, LedgerEntry.kind == "quota_grant"
    )
    return db.scalar(opened.limit(1)) is not None


def grant_key(user_id: str, day: date) -> str:
    """The idempotency key of a user's quota grant for `day`."""
    return f"quota:{user_id}:{day.isoformat()}"


# --- limits -----------------------------------------------------------------------------------


def check_plan(settings: Settings, plan: str) -> str:
    if plan not in settings.plan_daily_quota:
        raise BadRequest(
            f"unknown plan {plan[:40]!r}; use one of {', '.join(settings.plan_daily_quota)}",
            code="unknown_plan",
            param="plan",
        )
    return plan


def limits_in_use(
    *, db: Session, settings: Settings, plan: str, now: datetime
) -> list[tuple[date, int]]:
    """The plan's daily units on each local date somewhere at `now` (UTC-12 to UTC+14: two
    or three dates), earliest first: a change takes effect in the east first."""
    day = earliest_day(now)
    limits = []
    while day <= latest_day(now):
        limits.append((day, daily_limit(db=db, settings=settings, plan=plan, day=day)))
        day += timedelta(days=1)
    return limits


def daily_limit(*, db: Session, settings: Settings, plan: str, day: date) -> int:
    """The plan's daily units on `day`."""
    change = change_in_force(db=db, plan=plan, day=day)
    if change is not None:
        return change.daily_units
    return settings.plan_daily_quota.get(plan, 0)


def change_in_force(*, db: Session, plan: str, day: date) -> QuotaChange | None:
    """The scheduled change that sets the plan's limit on `day`; None while the configured
    quota (`REELMINT_PLAN_DAILY_QUOTA`) does."""
    return db.scalar(
        select(QuotaChange)
        .where(
            QuotaChange.plan == plan,
            QuotaChange.effective_on <= day,
            QuotaChange.cancelled_at.is_(None),
        )
        .order_by(QuotaChange.effective_on.desc(), QuotaChange.created_at.desc())
        .limit(1)
    )


def quota_withheld(settings: Settings, user: User) -> bool:
    """Whether the user's free quota waits for their address to be confirmed: with
    `quota_needs_confirmed_email` and email on, an unconfirmed account is granted none (it
    starts at the first admission after confirming, the day's full limit)."""
    return settings.quota_needs_confirmed_email and settings.sends_email and not is_confirmed(user)


def upcoming_changes(*, db: Session, plan: str, after: date) -> list[QuotaChange]:
    """Scheduled, not cancelled changes of `plan` that take effect after `after`."""
    return list(
        db.scalars(
            select(QuotaChange)
            .where(
                QuotaChange.plan == plan,
                QuotaChange.effective_on > after,
                QuotaChange.cancelled_at.is_(None),
            )
            .order_by(QuotaChange.effective_on, QuotaChange.created_at)
        )
    )


def next_change_soon(
    *, db: Session, settings: Settings, user: User, now: datetime | None = None
) -> QuotaChange | None:
    """The next scheduled change of the user's plan if it takes effect within the notice
    period (`quota_min_notice_days`, at least a day) from their quota day."""
    today = local_day(user, now)
    horizon = today + timedelta(days=max(1, settings.quota_min_notice_days))
    upcoming = upcoming_changes(db=db, plan=user.plan, after=today)
    return upcoming[0] if upcoming and upcoming[0].effective_on <= horizon else None


def history(*, db: Session, plan: str) -> list[QuotaChange]:
    """Every change ever scheduled for `plan`, newest first (cancelled ones included)."""
    return list(
        db.scalars(
            select(QuotaChange)
            .where(QuotaChange.plan == plan)
            .order_by(QuotaChange.effective_on.desc(), QuotaChange.created_at.desc())
        )
    )


# --- the day's grant --------------------------------------------------------------------------


def refresh_daily_quota(
    *,
    db: Session,
    settings: Settings,
    user: User,
    account: LedgerAccount,
    now: datetime | None = None,
) -> None:
    """Make `account` hold today's quota: expire what is left of an earlier day, then grant
    today's limit. Once per user and local day; the caller holds the account's lock."""
    day = local_day(user, now)
    key = grant_key(user.id, day)
    if entry_recorded(db=db, key=key):
        return
    expire_unused(db=db, user=user, account=account, key=f"quota-expire:{user.id}:{day}")
    limit = daily_limit(db=db, settings=settings, plan=user.plan, day=day)
    reason = f"free daily quota for {day.isoformat()} ({user.plan} plan)"
    if limit > 0:
        transfer(
            db=db,
            key=key,
            legs=[Leg(platform_account(db=db, name="quota_issued"), -limit), Leg(account, limit)],
            kind="quota_grant",
            reason=reason,
            user_id=user.id,
            now=now,
        )
    else:  # a day of 0 units is opened all the same: once, and later than what it expired
        record_marker(db=db, key=key, kind="quota_grant", reason=reason, user_id=user.id, now=now)


def expire_unused(
    *, db: Session, user: User, account: LedgerAccount, key: str, at_most: int | None = None
) -> None:
    """Expire the account's available units (what is not reserved by a running job), or at
    most `at_most` of them."""
    left = account.available if at_most is None else min(at_most, account.available)
    if left > 0:
        transfer(
            db=db,
            key=key,
            legs=[Leg(account, -left), Leg(platform_account(db=db, name="quota_expired"), left)],
            kind="quota_expired",
            reason="unused free quota of an earlier day expired at midnight",
            user_id=user.id,
        )


# --- scheduling changes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    daily_units: int
    effective_on: date


def schedule_changes(
    *,
    db: Session,
    settings: Settings,
    plan: str,
    steps: Sequence[Step],
    reason: str,
    emergency: bool = False,
    actor: User | None = None,
    now: datetime | None = None,
) -> list[QuotaChange]:
    """Schedule one or more changes of `plan`'s daily quota and notify every affected user.

    Refused (nothing scheduled) when a step is in the past or more than `MAX_YEARS_AHEAD`
    years ahead, changes nothing, gives less than the minimum notice without `emergency`, an
    emergency has no reason, or a step would turn the change after it into a cut told with
    less than the minimum notice (409 `insufficient_notice`). On PostgreSQL the plan's
    schedule is locked first, so schedules and withdrawals of one plan take turns.
    """
    now = now or utcnow()
    check_plan(settings, plan)
    _lock_plan(db, plan)
    reason = reason.strip()
    _check_dates_free(db, plan, steps)
    before = _limits_before(db=db, settings=settings, plan=plan, steps=steps)
    _check_steps(
        settings, steps, reason=reason, emergency=emergency, today=latest_day(now), before=before
    )
    raises = [step.daily_units > units for step, units in zip(steps, before, strict=True)]
    changes = [
        QuotaChange(
            plan=plan,
            daily_units=step.daily_units,
            effective_on=step.effective_on,
            reason=reason,
            emergency=emergency,
            created_by_user_id=actor.id if actor else None,
            announced_at=now,
            created_at=now,
        )
        for step in steps
    ]
    with db.begin_nested():  # a refusal below leaves the session as it was
        db.add_all(changes)
        db.flush()
        for change in changes:
            _check_next_keeps_notice(
                db=db, settings=settings, change=change, doing=_scheduling(change)
            )
    _announce(db=db, plan=plan, changes=changes, going_up=all(raises))
    return changes


def _scheduling(change: QuotaChange) -> str:
    return f"scheduling {change.daily_units} units a day from {change.effective_on}"


def _lock_plan(db: Session, plan: str) -> None:
    """Make schedules and withdrawals of `plan` take turns until the transaction ends: on
    PostgreSQL a transaction-scoped advisory lock, so the second one's checks (a change on
    that date already? does the next change keep its notice?) see what the first wrote.
    SQLite runs one writer at a time anyway."""
    if db.get_bind().dialect.name == "postgresql":
        key = f"quota-schedule:{plan}"
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


def _check_dates_free(db: Session, plan: str, steps: Sequence[Step]) -> None:
    """One change per plan and date: a second would leave users told of two limits for one
    day (409 `quota_change_exists`; withdraw the first, then schedule)."""
    days = [step.effective_on for step in steps]
    twice = sorted({day for day in days if days.count(day) > 1})
    if twice:
        raise BadRequest(
            f"two steps take effect on {twice[0]}; give each step its own date",
            code="invalid_quota_change",
        )
    taken = db.scalar(
        select(QuotaChange)
        .where(
            QuotaChange.plan == plan,
            QuotaChange.effective_on.in_(days),
            QuotaChange.cancelled_at.is_(None),
        )
        .order_by(QuotaChange.effective_on)
        .limit(1)
    )
    if taken is not None:
        raise Conflict(
            f"the {plan} plan already has a change on {taken.effective_on} ({taken.id}: "
            f"{taken.daily_units} units a day); withdraw it first (reelmint admin quota "
            f"cancel {taken.id}), then schedule the new one",
            code="quota_change_exists",
        )


def cancel_change(
    *, db: Session, settings: Settings, change_id: str, now: datetime | None = None
) -> QuotaChange:
    """Withdraw a change before it takes effect anywhere, and tell the plan's users (in the
    app and by email, as they were told of it) what their quota will be on its date instead,
    and the schedule from then.

    One in effect somewhere cannot be withdrawn (409 `quota_change_in_effect`): the limit
    would change overnight, without notice; schedule a new change instead. Nor can one whose
    withdrawal would turn the next change into a cut with less than the minimum notice (409
    `insufficient_notice`; an emergency change may be that cut): withdraw that one first."""
    now = now or utcnow()
    change = db.get(QuotaChange, change_id)
    if change is None:
        raise NotFound(
            f"no scheduled quota change {change_id}; `reelmint admin quota list PLAN` names them",
            code="quota_change_not_found",
        )
    _lock_plan(db, change.plan)
    db.refresh(change, with_for_update=True)  # as the plan's last schedule or withdrawal left it
    if change.cancelled_at is not None:
        raise Conflict(
            f"{change.id} was withdrawn already, on {change.cancelled_at:%Y-%m-%d %H:%M} UTC; "
            "its users were told then",
            code="quota_change_withdrawn",
        )
    if change.effective_on <= latest_day(now):
        raise Conflict(
            f"{change.id} took effect on {change.effective_on} (it is that day or later "
            "somewhere): withdrawing it now would change the limit without notice; schedule "
            "a new change instead (reelmint admin quota schedule)",
            code="quota_change_in_effect",
        )
    change.cancelled_at = now
    db.flush()
    try:
        _check_next_keeps_notice(
            db=db, settings=settings, change=change, doing=f"withdrawing {change.id}"
        )
    except Conflict:
        change.cancelled_at = None  # left as it was, whatever the caller does next
        db.flush()
        raise
    _announce_withdrawal(db=db, settings=settings, change=change)
    return change


def _check_next_keeps_notice(
    *, db: Session, settings: Settings, change: QuotaChange, doing: str
) -> None:
    """Refuse what was just flushed, not yet committed (`doing`: the withdrawal of `change`,
    or scheduling it) when the change after `change` would then lower the limit, and users were
    told of that change's limit with less than the minimum notice (it was let through as a
    raise, or announced late as one). An emergency change may be that cut."""
    later = upcoming_changes(db=db, plan=change.plan, after=change.effective_on)
    if not later or later[0].emergency:
        return
    following = later[0]
    before = daily_limit(
        db=db,
        settings=settings,
        plan=change.plan,
        day=following.effective_on - timedelta(days=1),
    )
    told = latest_day(following.announced_at or following.created_at)
    earliest = told + timedelta(days=settings.quota_min_notice_days)
    if following.daily_units < before and following.effective_on < earliest:
        raise Conflict(
            f"{doing} would make the change on {following.effective_on} "
            f"({following.id}) a cut from {before} to {following.daily_units} units a day with "
            f"less than {settings.quota_min_notice_days} days of notice; withdraw "
            f"{following.id} first",
            code="insufficient_notice",
        )


def _announce_withdrawal(*, db: Session, settings: Settings, change: QuotaChange) -> None:
    """The changes after the withdrawn one are told again: each now follows another limit
    (a raise may have become a cut)."""
    from reelmint.domains.notifications.service import notify

    day = change.effective_on
    instead = daily_limit(db=db, settings=settings, plan=change.plan, day=day)
    lines = [
        f"The change announced for {day.isoformat()}, to {change.daily_units} generation units "
        f"a day on the {change.plan} plan, is withdrawn: it will not happen. On "
        f"{day.isoformat()} your free daily quota will be {instead} generation units."
    ]
    later = upcoming_changes(db=db, plan=change.plan, after=day)
    if later:
        lines.append("The changes still scheduled after it:")
        lines += [describe(step) for step in later]
    lines.append("See your quota page for the current limit and the full schedule.")
    body = "\n".join(lines)
    for user in _affected_users(db, change.plan):
        notify(
            db=db,
            user=user,
            kind="quota_change",
            title="A change to your free daily quota is withdrawn",
            body=body,
            link="/quota",
            key=f"quota-withdrawn:{change.id}:{user.id}",
        )


def _limits_before(
    *, db: Session, settings: Settings, plan: str, steps: Sequence[Step]
) -> list[int]:
    """For each step, the plan's limit on the day before it (counting the steps before it in
    this schedule as if they were in force): a step above it is a raise, which nobody needs
    notice of; one equal to it changes nothing."""
    outcome = []
    for step in steps:
        # 0001-01-01 has no day before; a step there is refused as past by `_check_steps`
        day_before = max(step.effective_on, date.min + timedelta(days=1)) - timedelta(days=1)
        before = daily_limit(db=db, settings=settings, plan=plan, day=day_before)
        ours = [mine for mine in steps if mine.effective_on <= day_before]
        if ours:
            latest = max(ours, key=lambda mine: mine.effective_on)
            if _latest_scheduled_on_or_before(db, plan, day_before) <= latest.effective_on:
                before = latest.daily_units
        outcome.append(before)
    return outcome


def _latest_scheduled_on_or_before(db: Session, plan: str, day: date) -> date:
    found = db.scalar(
        select(func.max(QuotaChange.effective_on)).where(
            QuotaChange.plan == plan,
            QuotaChange.effective_on <= day,
            QuotaChange.cancelled_at.is_(None),
        )
    )
    return found or date.min


def _check_steps(
    settings: Settings,
    steps: Sequence[Step],
    *,
    reason: str,
    emergency: bool,
    today: date,
    before: Sequence[int],
) -> None:
    if not steps:
        raise BadRequest("name at least one new daily quota", code="invalid_quota_change")
    if len(reason) > MAX_REASON_CHARS:
        raise BadRequest(
            f"the reason is too long; keep it under {MAX_REASON_CHARS} characters",
            code="invalid_quota_change",
        )
    if (hidden := hidden_character(reason)) is not None:  # every user reads it, mailed too
        raise BadRequest(
            f"the reason has a control or invisible character ({hidden}); write it as one "
            "line of plain text",
            code="invalid_reason",
        )
    if emergency and not reason:
        raise BadRequest(
            "an emergency change needs a written reason (--reason) that users will read",
            code="reason_required",
        )
    earliest = today + timedelta(days=settings.quota_min_notice_days)
    for step, units_before in zip(steps, before, strict=True):
        if not 0 <= step.daily_units <= MAX_DAILY_UNITS:
            raise BadRequest(
                f"a daily quota is 0 to {MAX_DAILY_UNITS:,} units; {step.daily_units:,} is not",
                code="invalid_quota_change",
            )
        _check_date(step.effective_on, today)
        if step.daily_units == units_before:
            raise BadRequest(
                f"the plan already gives {units_before} units a day on "
                f"{step.effective_on - timedelta(days=1)}, the day before {step.effective_on}: "
                "a change to the same changes nothing; name another number of units",
                code="invalid_quota_change",
            )
        if step.effective_on < earliest and not emergency and step.daily_units < units_before:
            raise BadRequest(
                f"{step.effective_on} gives less than {settings.quota_min_notice_days} days "
                f"of notice of a smaller quota; choose {earliest} or later, or mark it an "
                "emergency with a reason (a larger quota needs no notice)",
                code="insufficient_notice",
            )


def _check_date(day: date, today: date) -> None:
    """A step takes effect on a date nobody has reached, at most `MAX_YEARS_AHEAD` years on."""
    if day <= today:
        raise BadRequest(
            f"{day} is not in the future everywhere (it is {today} somewhere already); a "
            "change takes effect from a later date",
            code="invalid_quota_change",
        )
    last = _years_after(today, MAX_YEARS_AHEAD)
    if day > last:
        raise BadRequest(
            f"{day} is more than {MAX_YEARS_AHEAD} years ahead; choose {last} or earlier",
            code="invalid_quota_change",
        )


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for a 29th with no leap year then)."""
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _on_plan(plan: str) -> ColumnElement[bool]:
    """The users a change of `plan`'s quota concerns: its active users."""
    return and_(User.plan == plan, User.disabled_at.is_(None))


def _affected_users(db: Session, plan: str) -> list[User]:
    return list(db.scalars(select(User).where(_on_plan(plan))))


def describe(change: QuotaChange) -> str:
    text = f"From {change.effective_on.isoformat()}, the {change.plan} plan's free daily quota "
    text += f"will be {change.daily_units} generation units."
    if change.reason:
        text += f" Reason: {change.reason}"
    return text


def _announce(*, db: Session, plan: str, changes: list[QuotaChange], going_up: bool) -> None:
    from reelmint.domains.notifications.service import notify

    body = "\n".join(describe(change) for change in changes)
    body += "\nSee your quota page for the current limit and the full schedule."
    title = "Your free daily quota is changing"
    if going_up:  # good news is not urgent, whatever the notice
        title = "Your free daily quota is going up"
    elif any(change.emergency for change in changes):
        title = "Urgent: your free daily quota is changing"
    for user in _affected_users(db, plan):
        notify(
            db=db,
            user=user,
            kind="quota_change",
            title=title,
            body=body,
            link="/quota",
            key=f"quota-change:{changes[0].id}:{user.id}",
        )


def tell_plan_change(
    *,
    db: Session,
    settings: Settings,
    user: User,
    now: datetime | None = None,
    when: str = "from today",
) -> None:
    """Tell a user moved to another plan what it gives, `when` ("from today", "from your next
    day: ..."), and every change scheduled for it: they were not on it when those changes were
    announced, and would otherwise hear of one only on its eve."""
    from reelmint.domains.notifications.service import notify

    today = local_day(user, now)
    units = daily_limit(db=db, settings=settings, plan=user.plan, day=today)
    lines = [
        f"Your account is now on the {user.plan} plan: {units} free generation units a day, {when}."
    ]
    upcoming = upcoming_changes(db=db, plan=user.plan, after=today)
    lines += [describe(change) for change in upcoming]
    lines.append("See your quota page for the current limit and the full schedule.")
    notify(
        db=db,
        user=user,
        kind="plan_change",
        title=f"Your plan is now {user.plan}",
        body="\n".join(lines),
        link="/quota",
    )


def tell_new_user(*, db: Session, user: User, now: datetime | None = None) -> None:
    """Tell a new account of the changes scheduled for its plan, in the app: it was not there
    when they were announced, and would otherwise hear of one only on its eve."""
    from reelmint.domains.notifications.service import notify

    upcoming = upcoming_changes(db=db, plan=user.plan, after=local_day(user, now))
    if not upcoming:
        return
    lines = [f"Changes to the {user.plan} plan's free daily quota are scheduled:"]
    lines += [describe(change) for change in upcoming]
    lines.append("See your quota page for the current limit and the full schedule.")
    notify(
        db=db,
        user=user,
        kind="quota_change",
        title="Your free daily quota has changes scheduled",
        body="\n".join(lines),
        link="/quota",
        email=False,
    )


# The westernmost time zone (UTC-12): a local day is over everywhere once it is over here.
LAST_ZONE = "Etc/GMT+12"


def send_due_reminders(*, db: Session, now: datetime | None = None) -> int:
    """Remind each affected user on their own local day before a change takes effect (a
    day's limit follows the user's time zone, so "tomorrow" must too), from REMINDER_HOUR
    (9:00) there, not in the night; return how many users were reminded. Each run reminds,
    once each, the plan's users whose zone is on that day, past that hour, now; a change is
    done with once that day is over everywhere on Earth (in the westernmost zone,
    `LAST_ZONE`), not only in the zones the plan's users have now: a user who joins the plan
    or moves west on the eve is reminded too. A run reads the plan's time zones (grouped),
    then only the users still to remind.

    Users told of the change on that same local day (an emergency scheduled for the next day)
    get no reminder: the notice, less than a day old, already says it."""
    now = now or utcnow()
    # Local dates run from a day behind UTC's to a day ahead: the day before D is someone's
    # today while UTC's date is between D - 2 and D.
    today = now.date()
    due = db.scalars(
        select(QuotaChange)
        .where(
            QuotaChange.reminded_at.is_(None),
            QuotaChange.cancelled_at.is_(None),
            QuotaChange.effective_on >= today,
            QuotaChange.effective_on <= today + timedelta(days=2),
        )
        .order_by(QuotaChange.effective_on, QuotaChange.created_at)
        .with_for_update(skip_locked=True)
    ).all()
    sent = 0
    for change in due:
        eve = change.effective_on - timedelta(days=1)
        reached = [
            name
            for name in _zones_of(db, change.plan)
            if _eve_morning(name, eve, now) and _told_before(change, name)
        ]
        if reached:
            sent += _remind(db, change, _not_reminded(db, change, reached))
        if zone_day(LAST_ZONE, now) > eve:
            change.reminded_at = now
    return sent


REMINDER_HOUR = 9
"""Reminders go out from this local hour of the eve, not at its midnight (in the night)."""


def _eve_morning(zone: str, eve: date, now: datetime) -> bool:
    """Whether it is the eve in `zone`, past REMINDER_HOUR there."""
    local = now.astimezone(zone_named(zone))
    return local.date() == eve and local.hour >= REMINDER_HOUR


def _told_before(change: QuotaChange, zone: str) -> bool:
    """Whether the change was announced before its eve began in `zone` (more than a day before
    it applies there)."""
    eve = change.effective_on - timedelta(days=1)
    return change.announced_at is None or zone_day(zone, change.announced_at) < eve


def _zones_of(db: Session, plan: str) -> list[str]:
    """The distinct time zones of the plan's active users."""
    return list(db.scalars(select(User.timezone).where(_on_plan(plan)).group_by(User.timezone)))


def _not_reminded(db: Session, change: QuotaChange, zones: list[str]) -> list[User]:
    """The plan's active users in `zones` with no reminder of `change` yet."""
    from reelmint.domains.notifications.models import Notification

    reminded = select(Notification.id).where(
        Notification.dedupe_key == literal(_reminder_prefix(change)) + User.id
    )
    query = select(User).where(_on_plan(change.plan), User.timezone.in_(zones), ~reminded.exists())
    return list(db.scalars(query.order_by(User.id)))


def _reminder_prefix(change: QuotaChange) -> str:
    return f"quota-reminder:{change.id}:"


def _remind(db: Session, change: QuotaChange, users: Sequence[User]) -> int:
    """Notify `users` of `change` (once each: the notification's key); how many."""
    from reelmint.domains.notifications.service import notify

    for user in users:
        notify(
            db=db,
            user=user,
            kind="quota_reminder",
            title="Reminder: your free daily quota changes tomorrow",
            body=describe(change),
            link="/quota",
            key=_reminder_prefix(change) + user.id,
        )
    return len(users)
