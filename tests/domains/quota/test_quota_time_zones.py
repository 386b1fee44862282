"""A change of time zone neither takes nor gives free quota: the quota day in progress is held
until a midnight of the new zone (`quota.service.held_until`), nothing expires at the change,
changing back restores the old day, and hopping between zones never brings a date's quota
twice nor a day shorter than 12 hours. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import set_timezone
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.quota.service import local_day
from reelmint.domains.wallet import service as wallet
from support import make_account

DAY = date(2026, 11, 22)


def at(hours: float, day: date = DAY) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=hours)


@pytest.fixture
def uid(services_on) -> str:
    return make_account(services_on).user.id


def spend(services, uid: str, units: int, now: datetime) -> None:
    with services.db.write() as db:
        wallet.reserve_for_video(
            db=db,
            settings=services.settings,
            user=db.get_one(User, uid),
            video_id=f"v-{now.timestamp()}",
            units=units,
            now=now,
        )


def move(services, uid: str, zone: str, now: datetime) -> None:
    with services.db.write() as db:
        set_timezone(db=db, user=db.get_one(User, uid), timezone=zone, now=now)


def summary(services, uid: str, now: datetime) -> wallet.Summary:
    with services.db.read() as db:
        return wallet.summary(
            db=db, settings=services.settings, user=db.get_one(User, uid), now=now
        )


def lines(services, uid: str, kind: str) -> list[wallet.StatementLine]:
    with services.db.read() as db:
        found = wallet.statement(db=db, user=db.get_one(User, uid), limit=1000)
    return sorted((line for line in found if line.kind == kind), key=lambda line: line.at)


def test_hopping_east_and_back_on_the_same_day_neither_loses_nor_gains(services_on, uid):
    spend(services_on, uid, 4, at(1))  # a UTC user with 26 of 30 left
    move(services_on, uid, "Pacific/Kiritimati", at(10))  # already tomorrow there
    info = summary(services_on, uid, at(10))
    assert (info.quota_left, info.quota_limit) == (26, 30)
    assert info.timezone_applies_at == at(10, DAY + timedelta(days=1))  # midnight there
    spend(services_on, uid, 1, at(10.5))  # still today's quota: nothing expired, nothing new
    move(services_on, uid, "UTC", at(11))
    info = summary(services_on, uid, at(11))
    assert (info.quota_left, info.timezone_applies_at) == (25, None)
    assert info.resets_at == at(24)
    assert lines(services_on, uid, "quota_expired") == []
    spend(services_on, uid, 1, at(24.5))  # the next UTC day: 25 expire, 30 granted
    grants = lines(services_on, uid, "quota_grant")
    assert [(g.reason, g.amount) for g in grants] == [
        ("free daily quota for 2026-11-22 (free plan)", 30),
        ("free daily quota for 2026-11-23 (free plan)", 30),
    ]
    [expired] = lines(services_on, uid, "quota_expired")
    assert expired.amount == -25
    with services_on.db.read() as db:
        assert check_ledger(db=db) == []


@pytest.mark.parametrize(
    ("zone", "ends", "held", "next_day"),
    [
        # Still the 22nd there: the day ends at its midnight, 9 h sooner or 5 h later.
        ("Asia/Tokyo", at(15), False, DAY + timedelta(days=1)),
        ("America/New_York", at(29), False, DAY + timedelta(days=1)),
        # Already the 23rd there: the 22nd is held until the 24th begins there, 10 h after
        # UTC's midnight (rather than the 23rd there lasting 10 hours).
        ("Pacific/Kiritimati", at(34), True, DAY + timedelta(days=2)),
        # Still the 21st there: the 22nd is held until the 23rd begins there.
        ("Pacific/Pago_Pago", at(35), True, DAY + timedelta(days=1)),
    ],
)
def test_the_new_zone_governs_from_the_end_of_the_day_in_progress(
    services_on, uid, zone, ends, held, next_day
):
    spend(services_on, uid, 4, at(1))
    move(services_on, uid, zone, at(10))
    info = summary(services_on, uid, at(10))
    assert (info.resets_at, info.quota_left) == (ends, 26)
    assert info.timezone_applies_at == (ends if held else None)
    spend(services_on, uid, 1, ends - timedelta(minutes=1))
    assert len(lines(services_on, uid, "quota_grant")) == 1
    assert lines(services_on, uid, "quota_expired") == []
    spend(services_on, uid, 1, ends + timedelta(minutes=1))
    last = lines(services_on, uid, "quota_grant")[-1]
    assert last.reason.startswith(f"free daily quota for {next_day.isoformat()}")
    assert summary(services_on, uid, ends + timedelta(hours=1)).timezone_applies_at is None


def test_a_zone_change_before_any_grant_today_applies_at_once(services_on, uid):
    move(services_on, uid, "Asia/Tokyo", at(16))  # already the 23rd in Tokyo, nothing granted
    info = summary(services_on, uid, at(16))
    assert (info.timezone_applies_at, info.resets_at) == (None, at(39))


ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Tokyo", "America/New_York", "UTC"]


def test_hopping_zones_for_days_never_brings_a_date_twice_nor_a_short_day(services_on, uid):
    days: list[tuple[date, datetime]] = []  # each quota day and when it was first seen
    for step in range(0, 8 * 24, 1):
        now = at(step)
        if step % 5 == 0:
            move(services_on, uid, ZONES[(step // 5) % len(ZONES)], now)
        if step % 2 == 0:
            spend(services_on, uid, 1, now)
        with services_on.db.read() as db:
            day = local_day(db.get_one(User, uid), now)
        if not days or days[-1][0] != day:
            assert not days or day > days[-1][0]  # a quota day never goes back
            days.append((day, now))
    starts = [seen for _, seen in days]
    assert all(b - a >= timedelta(hours=12) for a, b in pairwise(starts[1:]))
    grants = lines(services_on, uid, "quota_grant")
    assert len(grants) == len(days) <= 8 + 1  # one grant per quota day, days are real days
    assert len({g.reason for g in grants}) == len(grants)
    with services_on.db.read() as db:
        assert check_ledger(db=db) == []


def test_quota_an_earlier_day_reserved_and_given_back_after_a_move_still_expires(services_on, uid):
    """A job of yesterday's quota fails after today's move east: its units belong to
    yesterday, so they expire and are not added to the held day (the day's grant, not the
    hold's local date, says which day a hold spent)."""
    yesterday = at(23.5, DAY - timedelta(days=1))
    spend(services_on, uid, 5, yesterday)
    spend(services_on, uid, 1, at(1))  # today's grant; yesterday's unreserved 25 expire
    move(services_on, uid, "Pacific/Kiritimati", at(10))  # today is held
    with services_on.db.write() as db:
        wallet.settle_video(
            db=db,
            user_id=uid,
            video_id=f"v-{yesterday.timestamp()}",
            delivered=False,
            reason="refund: the job failed",
            now=at(11),
        )
    assert summary(services_on, uid, at(11)).quota_left == 29  # not 34
    expired = lines(services_on, uid, "quota_expired")
    assert [line.amount for line in expired] == [-25, -5]
    with services_on.db.read() as db:
        assert check_ledger(db=db) == []


def test_an_admission_takes_the_time_zone_as_it_is_under_the_wallet_lock(services_on, uid):
    """A request authenticated before a change of zone is admitted after it: admission reads
    the zone again under the wallet's lock (which the change takes too), so it grants the
    quota day the change decided, not the one the stale user object says."""
    with services_on.db.read() as db:
        stale = db.get_one(User, uid)  # as the request loaded it: UTC
    move(services_on, uid, "Pacific/Kiritimati", at(10))  # nothing granted: applies at once
    with services_on.db.write() as db:
        wallet.reserve_for_video(
            db=db, settings=services_on.settings, user=stale, video_id="v", units=1, now=at(10)
        )
    grants = lines(services_on, uid, "quota_grant")
    assert [g.reason for g in grants] == ["free daily quota for 2026-11-23 (free plan)"]


@pytest.mark.parametrize(
    ("zone", "first_day"),
    [
        ("America/Los_Angeles", DAY),  # 17:00 on the 22nd there, the 23rd in UTC
        ("Pacific/Kiritimati", DAY + timedelta(days=1)),  # 15:00 on the 23rd there
    ],
)
def test_the_zone_chosen_at_sign_up_applies_at_once_either_way(services_on, uid, zone, first_day):
    """A new account (never granted any quota) adopting the browser's zone at sign-up, at
    01:00 UTC on the 23rd: its first grant is for the new zone's date, the next at the new
    zone's midnight; nothing is held for the UTC date it was opened on."""
    signed_up = at(25)
    move(services_on, uid, zone, signed_up)
    info = summary(services_on, uid, signed_up)
    assert info.timezone_applies_at is None
    spend(services_on, uid, 1, signed_up + timedelta(minutes=1))
    next_midnight = datetime.combine(first_day + timedelta(days=1), time(0), ZoneInfo(zone))
    spend(services_on, uid, 1, next_midnight + timedelta(minutes=1))
    assert [g.reason for g in lines(services_on, uid, "quota_grant")] == [
        f"free daily quota for {first_day.isoformat()} (free plan)",
        f"free daily quota for {(first_day + timedelta(days=1)).isoformat()} (free plan)",
    ]


def test_an_account_granted_quota_before_still_keeps_its_day_when_it_moves_west(services_on, uid):
    """Only a never-granted account's move applies at once backwards: one granted yesterday
    that moves west before today's first request keeps today's UTC date until it ends, so no
    earlier date comes back."""
    spend(services_on, uid, 1, at(-1))  # the 21st in UTC
    move(services_on, uid, "America/Los_Angeles", at(1))  # the 22nd in UTC, 21st there
    assert summary(services_on, uid, at(1)).timezone_applies_at is not None
    with services_on.db.read() as db:
        assert local_day(db.get_one(User, uid), at(1)) == DAY
