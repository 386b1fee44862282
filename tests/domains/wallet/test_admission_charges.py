"""Paying for videos: admission reserves (quota, then granted, then purchased credits),
refuses without writing anything, and every way a job ends settles its holds exactly once.
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from reelmint.db.base import utcnow
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import Leg, check_ledger, platform_account, transfer
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, cancel_video, create_video
from reelmint.domains.wallet import service as wallet
from reelmint.errors import Forbidden, PaymentRequired, TooManyRequests
from reelmint.queue import Completed, Failed, finish, lease_next, reap_expired
from reelmint.queue.finish import expire_stale_jobs
from support import make_account

SMALL = {"seconds": "4", "size": "480x480", "seed": 7}  # 1 unit
LARGE = {"seconds": "20", "size": "1280x720", "seed": 7}  # 4 units


@pytest.fixture
def user(services_on):
    return make_account(services_on).user


def order(services, user, prompt="a dog runs in a park", **fields):
    request = VideoRequest(prompt=prompt, **{**SMALL, **fields})
    return create_video(services=services, user=user, request=request)


def give(services, user, units, source="granted"):
    with services.db.write() as db:
        account = wallet.wallet_of(db=db, user_id=user.id).source(source)
        transfer(
            db=db,
            key=f"test-{source}-{units}-{utcnow().timestamp()}",
            legs=[Leg(platform_account(db=db, name="sales"), -units), Leg(account, units)],
            kind="grant",
            reason="test",
            user_id=user.id,
        )


def holds(services, video_id):
    with services.db.read() as db:
        return [
            (h.kind, h.amount, h.status) for h in wallet.holds_for_video(db=db, video_id=video_id)
        ]


def summary(services, user):
    with services.db.read() as db:
        return wallet.summary(db=db, settings=services.settings, user=user)


def reserve_at(services, user, video_id: str, units: int, now: datetime) -> None:
    """Admission's reservation for `video_id` at `now`, in a transaction of its own."""
    with services.db.write() as db:
        wallet.reserve_for_video(
            db=db, settings=services.settings, user=user, video_id=video_id, units=units, now=now
        )


def ledger_is_sound(services):
    with services.db.read() as db:
        assert check_ledger(db=db) == []


def run_to_end(services, video_id, outcome):
    with services.db.write() as db:
        leased = lease_next(db=db, settings=services.settings, worker_id="w1")
        assert leased is not None
        assert leased.id == video_id
    with services.db.write() as db:
        return finish(db=db, video_id=video_id, worker_id="w1", outcome=outcome)


DONE = Completed(video_key="k.mp4", poster_key="k.jpg", video_bytes=1, frames=1)


def test_the_price_is_reserved_from_todays_quota(services_on, user):
    video = order(services_on, user, **LARGE)
    assert video.price_units == 4
    assert holds(services_on, video.id) == [("spend_quota", 4, "pending")]
    info = summary(services_on, user)
    assert (info.quota_limit, info.quota_left, info.quota_reserved) == (30, 26, 4)
    ledger_is_sound(services_on)


def test_quota_first_then_granted_then_purchased(services_on, user):
    give(services_on, user, 2, "granted")
    give(services_on, user, 5, "purchased")
    for _ in range(7):
        order(services_on, user, **LARGE)  # 28 of the 30 quota units
    video = order(services_on, user, **LARGE)
    assert sorted(holds(services_on, video.id)) == [
        ("spend_granted", 2, "pending"),
        ("spend_quota", 2, "pending"),
    ]
    info = summary(services_on, user)
    assert (info.quota_left, info.granted, info.purchased) == (0, 0, 5)
    last = order(services_on, user, **LARGE)
    assert holds(services_on, last.id) == [("spend_purchased", 4, "pending")]


def test_the_spend_order_is_configurable(tmp_path, keys_dir, database_url):
    from support import make_services

    services = make_services(tmp_path, database_url, spend_order=["purchased", "quota"])
    try:
        user = make_account(services).user
        give(services, user, 3, "purchased")
        give(services, user, 3, "granted")
        video = order(services, user, **LARGE)
        assert sorted(holds(services, video.id)) == [
            ("spend_purchased", 3, "pending"),
            ("spend_quota", 1, "pending"),
        ]
    finally:
        services.close()


def _no_new_rows(services, before):
    with services.db.read() as db:
        videos = db.scalar(select(func.count()).select_from(Video))
        held = db.scalar(select(func.count()).select_from(LedgerHold))
    assert (videos, held) == before


def _counts(services):
    with services.db.read() as db:
        return (
            db.scalar(select(func.count()).select_from(Video)),
            db.scalar(select(func.count()).select_from(LedgerHold)),
        )


def test_a_used_up_quota_is_refused_with_when_it_resets_and_charges_nothing(services_on, user):
    for _ in range(7):
        order(services_on, user, **LARGE)
    before = _counts(services_on)
    with pytest.raises(TooManyRequests) as refused:
        order(services_on, user, **LARGE)
    assert refused.value.code == "quota_exhausted"
    assert "2 left" in refused.value.message
    assert "resets at 00:00" in refused.value.message
    _no_new_rows(services_on, before)
    assert order(services_on, user).price_units == 1  # a cheaper video still fits
    ledger_is_sound(services_on)


def test_too_few_credits_is_refused_as_insufficient_credits(services_on, user):
    give(services_on, user, 1, "purchased")
    for _ in range(7):
        order(services_on, user, **LARGE)
    before = _counts(services_on)
    with pytest.raises(PaymentRequired) as refused:
        order(services_on, user, **LARGE)
    assert refused.value.code == "insufficient_credits"
    assert "costs 4 units" in refused.value.message
    assert "and 1 credit;" in refused.value.message  # not "1 credits"
    _no_new_rows(services_on, before)


def test_a_delivered_video_posts_its_holds_and_purchased_credits_become_revenue(services_on, user):
    give(services_on, user, 10, "purchased")
    for _ in range(7):
        order(services_on, user, **LARGE)
    video = order(services_on, user, **LARGE)  # 2 from quota, 2 purchased
    with services_on.db.write() as db:  # clear the queue ahead of it
        for other in db.scalars(select(Video).where(Video.id != video.id)):
            cancel_video(db=db, actor=user, video_id=other.id)
    assert run_to_end(services_on, video.id, DONE) == "completed"
    assert sorted(holds(services_on, video.id)) == [
        ("spend_purchased", 2, "posted"),
        ("spend_quota", 2, "posted"),
    ]
    with services_on.db.read() as db:
        assert platform_account(db=db, name="revenue").balance == 2
        assert platform_account(db=db, name="quota_spent").balance == 2
    info = summary(services_on, user)
    assert (info.purchased, info.reserved) == (8, 0)
    ledger_is_sound(services_on)


@pytest.mark.parametrize(
    "ending",
    ["failed", "cancelled while queued", "cancelled while running", "deleted"],
)
def test_every_other_ending_refunds_with_its_reason(services_on, user, ending):
    give(services_on, user, 4, "purchased")
    for _ in range(7):
        order(services_on, user, **LARGE)
    with services_on.db.write() as db:
        for other in db.scalars(select(Video)):
            cancel_video(db=db, actor=user, video_id=other.id)
    video = order(services_on, user, **LARGE)
    if ending == "failed":
        run_to_end(services_on, video.id, Failed(code="generation_failed", message="x"))
    elif ending == "cancelled while queued":
        with services_on.db.write() as db:
            cancel_video(db=db, actor=user, video_id=video.id)
    elif ending == "cancelled while running":
        with services_on.db.write() as db:
            lease_next(db=db, settings=services_on.settings, worker_id="w1")
            cancel_video(db=db, actor=user, video_id=video.id)
        with services_on.db.write() as db:
            finish(db=db, video_id=video.id, worker_id="w1", outcome=DONE)
    else:
        from reelmint.domains.videos.service import delete_video

        with services_on.db.write() as db:
            delete_video(db=db, actor=user, video_id=video.id)
    assert {status for _, _, status in holds(services_on, video.id)} == {"voided"}
    info = summary(services_on, user)
    assert (info.quota_left, info.purchased, info.reserved) == (30, 4, 0)
    with services_on.db.read() as db:
        lines = wallet.statement(db=db, user=user)
    refunds = [line for line in lines if line.video_id == video.id]
    assert refunds
    assert all(line.status == "refunded" for line in refunds)
    assert all(line.reason.startswith("refund:") for line in refunds)
    ledger_is_sound(services_on)


def test_a_job_that_loses_its_workers_too_often_is_refunded(services_on, user):
    video = order(services_on, user)
    now = utcnow()
    for attempt in range(services_on.settings.max_attempts):
        moment = now + timedelta(minutes=10 * attempt)
        with services_on.db.write() as db:
            lease_next(db=db, settings=services_on.settings, worker_id=f"w{attempt}", now=moment)
        with services_on.db.write() as db:
            reap_expired(db=db, settings=services_on.settings, now=moment + timedelta(minutes=5))
    with services_on.db.read() as db:
        assert db.get(Video, video.id).error_code == "worker_lost"
    assert holds(services_on, video.id) == [("spend_quota", 1, "voided")]


def test_a_job_that_waits_too_long_is_given_up_and_refunded(services_on, user):
    video = order(services_on, user)
    later = utcnow() + timedelta(hours=services_on.settings.hold_timeout_hours + 1)
    with services_on.db.write() as db:
        assert expire_stale_jobs(db=db, settings=services_on.settings, now=later) == [video.id]
    with services_on.db.read() as db:
        assert db.get(Video, video.id).error_code == "queue_timeout"
    assert holds(services_on, video.id) == [("spend_quota", 1, "voided")]


def test_settling_twice_changes_nothing(services_on, user):
    video = order(services_on, user)
    run_to_end(services_on, video.id, DONE)
    with services_on.db.write() as db:
        wallet.settle_video(
            db=db, user_id=user.id, video_id=video.id, delivered=False, reason="again"
        )
    assert holds(services_on, video.id) == [("spend_quota", 1, "posted")]
    ledger_is_sound(services_on)


def test_the_quota_resets_at_the_users_local_midnight(services_on, user):
    with services_on.db.write() as db:
        db.get(type(user), user.id).timezone = "Asia/Tokyo"
    user.timezone = "Asia/Tokyo"
    before_midnight = datetime(2026, 11, 22, 14, 59, tzinfo=UTC)  # 23:59 in Tokyo
    after_midnight = before_midnight + timedelta(minutes=2)
    with services_on.db.write() as db:
        wallet.reserve_for_video(
            db=db,
            settings=services_on.settings,
            user=user,
            video_id="v1",
            units=30,
            now=before_midnight,
        )
    with services_on.db.write() as db, pytest.raises(TooManyRequests):
        wallet.reserve_for_video(
            db=db,
            settings=services_on.settings,
            user=user,
            video_id="v2",
            units=1,
            now=before_midnight,
        )
    with services_on.db.write() as db:
        wallet.reserve_for_video(
            db=db,
            settings=services_on.settings,
            user=user,
            video_id="v3",
            units=30,
            now=after_midnight,
        )
    with services_on.db.read() as db:
        kinds = [line.kind for line in wallet.statement(db=db, user=user)]
    assert kinds.count("quota_grant") == 2
    ledger_is_sound(services_on)


@pytest.mark.parametrize("charge", [None, 2], ids=["failed", "partly-delivered"])
def test_unused_quota_expires_at_midnight_and_late_refunds_do_not_carry_over(
    services_on, user, charge
):
    """Day 1's job ends on day 2, failed (its 5 units given back) or partly delivered (2
    charged, 3 given back): what comes back was day 1's quota, and lapses at once."""
    day1 = datetime(2026, 11, 22, 12, tzinfo=UTC)
    day2 = day1 + timedelta(days=1)
    reserve_at(services_on, user, "v1", 5, day1)
    reserve_at(services_on, user, "v2", 1, day2)  # day 2: 25 left over expire, 30 granted
    with services_on.db.write() as db:
        wallet.settle_video(
            db=db,
            user_id=user.id,
            video_id="v1",
            delivered=charge is not None,
            charge=charge,
            reason="settled: x",
            now=day2,
        )
    with services_on.db.read() as db:
        info = wallet.summary(db=db, settings=services_on.settings, user=user, now=day2)
    assert (info.quota_left, info.quota_reserved) == (29, 1)
    assert holds(services_on, "v1") == [("spend_quota", 5, "posted" if charge else "voided")]
    ledger_is_sound(services_on)


def test_a_day_of_zero_quota_is_opened_once_and_late_refunds_lapse(services_on, user):
    """A plan lowered to 0 units a day: that day is still opened once (a grant of nothing),
    so a refund of the day before lapses, and later admissions of the day are not refused."""
    from reelmint.domains.quota.service import Step, schedule_changes

    day1 = datetime(2026, 12, 20, 22, tzinfo=UTC)
    day2 = day1 + timedelta(hours=4)
    with services_on.db.write() as db:
        schedule_changes(
            db=db,
            settings=services_on.settings,
            plan="free",
            steps=[Step(0, day2.date())],
            reason="the free tier is paused",
            emergency=True,
            now=day1 - timedelta(days=2),
        )
    give(services_on, user, 50)

    reserve_at(services_on, user, "v1", 10, day1)  # day 1: 10 of its 30 held by a long job
    reserve_at(services_on, user, "v2", 1, day2)  # day 2, a day of 0: paid from granted
    with services_on.db.write() as db:  # day 1's job fails on day 2: 10 of day 1's back
        wallet.settle_video(
            db=db, user_id=user.id, video_id="v1", delivered=False, reason="refund: x", now=day2
        )
    for minutes in (5, 10):
        reserve_at(services_on, user, f"v3-{minutes}", 1, day2 + timedelta(minutes=minutes))
        assert holds(services_on, f"v3-{minutes}") == [("spend_granted", 1, "pending")]
    with services_on.db.read() as db:
        info = wallet.summary(db=db, settings=services_on.settings, user=user, now=day2)
    assert (info.quota_limit, info.quota_left, info.granted) == (0, 0, 47)
    ledger_is_sound(services_on)


def test_a_debt_blocks_spending(services_on, user):
    with services_on.db.write() as db:
        owed = wallet.wallet_of(db=db, user_id=user.id).owed
        transfer(
            db=db,
            key="dispute",
            legs=[Leg(owed, -3), Leg(platform_account(db=db, name="sales"), 3)],
            kind="dispute",
            reason="a disputed payment",
            user_id=user.id,
        )
    with pytest.raises(Forbidden) as refused:
        order(services_on, user)
    assert refused.value.code == "wallet_blocked"
    assert "3 units" in refused.value.message


def test_granting_credits_and_changing_plan(services_on, user):
    with services_on.db.write() as db:
        entry = wallet.grant_credits(db=db, user=user, units=5, reason="welcome", key="g1")
        again = wallet.grant_credits(db=db, user=user, units=5, reason="welcome", key="g1")
        assert again.id == entry.id
    order(services_on, user)  # today's free quota is granted
    with services_on.db.write() as db:
        fresh = db.get(type(user), user.id)
        wallet.change_plan(db=db, settings=services_on.settings, user=fresh, plan="pro")
    info = summary(services_on, _reload(services_on, user))
    assert (info.plan, info.quota_limit, info.quota_left, info.granted) == ("pro", 150, 149, 5)
    ledger_is_sound(services_on)


def _reload(services, user):
    with services.db.read() as db:
        return db.get(type(user), user.id)
