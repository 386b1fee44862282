"""Housekeeping: a job that waited too long is given up and refunded, lapsed holds expire unless
their job still runs, and every chore reports success. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from reelmint.crypto import sha256_hex
from reelmint.db.base import utcnow
from reelmint.domains.accounts.devices import DEVICE_LIFETIME, devices_of, remember_device
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import (
    Leg,
    check_ledger,
    platform_account,
    reserve,
    transfer,
)
from reelmint.domains.quota.service import refresh_daily_quota
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.domains.wallet import service as wallet
from reelmint.housekeeping import run_once
from reelmint.queue import lease_next
from support import make_account


def _order(services, user, seed):
    request = VideoRequest(prompt="a fox runs", seconds="4", size="480x480", seed=seed)
    return create_video(services=services, user=user, request=request)


def _statuses(services, video_id):
    with services.db.read() as db:
        return [h.status for h in wallet.holds_for_video(db=db, video_id=video_id)]


def test_chores_give_up_stale_jobs_and_expire_only_holds_nobody_will_settle(services_on):
    user = make_account(services_on).user
    running, waiting = _order(services_on, user, 1), _order(services_on, user, 2)
    with services_on.db.write() as db:
        leased = lease_next(db=db, settings=services_on.settings, worker_id="w")
        assert leased is not None
        assert leased.id == running.id
        account = wallet.wallet_of(db=db, user_id=user.id).granted
        source = platform_account(db=db, name="grants_issued")
        transfer(db=db, key="g", legs=[Leg(source, -2), Leg(account, 2)], kind="grant", reason="r")
        orphan = reserve(
            db=db,
            key="orphan",
            debit=account,
            credit_id=platform_account(db=db, name="grants_spent").id,
            amount=2,
            kind="spend_granted",
            reason="a hold of no job",
            expires_at=utcnow() + timedelta(hours=1),
            user_id=user.id,
        )
    later = utcnow() + timedelta(hours=services_on.settings.hold_timeout_hours + 1)
    with services_on.db.write() as db:  # its worker is alive: it renews its lease
        db.get_one(Video, running.id).lease_expires_at = later + timedelta(minutes=1)

    outcome = run_once(services_on, now=later)

    assert {"stale jobs", "expired holds", "sent mail", "webhook deliveries"} <= set(outcome)
    assert "expired leases" in outcome
    assert all(outcome.values()), outcome
    with services_on.db.read() as db:
        assert db.get(Video, waiting.id).error_code == "queue_timeout"
        assert db.get(Video, running.id).status == "in_progress"
        assert wallet.read_wallet(db=db, user_id=user.id).granted.available == 2
        assert db.get(LedgerHold, orphan.id).status == "expired"
    assert _statuses(services_on, waiting.id) == ["voided"]
    assert _statuses(services_on, running.id) == ["pending"]  # its worker settles it


def test_with_no_worker_left_a_dead_workers_jobs_are_reaped_and_settled(services_on):
    """Workers reap each other's expired leases; housekeeping does it when none is alive: a
    job its owner cancelled ends cancelled and refunded, another goes back to the queue and,
    past the hold's time, is given up saying it was started."""
    user = make_account(services_on).user
    cancelled, other = _order(services_on, user, 1), _order(services_on, user, 2)
    with services_on.db.write() as db:
        settings = services_on.settings
        for _ in range(2):
            assert lease_next(db=db, settings=settings, worker_id="dead") is not None
        db.get_one(Video, cancelled.id).cancel_requested = True
    after_lease = utcnow() + timedelta(seconds=services_on.settings.lease_seconds + 1)

    assert all(run_once(services_on, now=after_lease).values())
    with services_on.db.read() as db:
        assert db.get_one(Video, cancelled.id).status == "cancelled"
        assert db.get_one(Video, other.id).status == "queued"
    assert _statuses(services_on, cancelled.id) == ["voided"]

    later = utcnow() + timedelta(hours=services_on.settings.hold_timeout_hours + 1)
    assert all(run_once(services_on, now=later).values())
    with services_on.db.read() as db:
        given_up = db.get_one(Video, other.id)
        assert check_ledger(db=db) == []
    assert (given_up.status, given_up.error_code) == ("failed", "queue_timeout")
    assert given_up.error_message.startswith("the video was started but its worker stopped")
    assert _statuses(services_on, other.id) == ["voided"]


def test_quota_a_lapsed_hold_gives_back_after_its_day_expires_with_it(services_on):
    """Yesterday's quota reserved by a hold nobody settled comes back when the hold lapses
    today: it is yesterday's, so it expires at once, as when a job is refunded."""
    user = make_account(services_on).user
    yesterday = utcnow() - timedelta(days=1)
    with services_on.db.write() as db:
        quota = wallet.wallet_of(db=db, user_id=user.id, lock=True).quota
        owner = db.get_one(User, user.id)
        settings = services_on.settings
        refresh_daily_quota(db=db, settings=settings, user=owner, account=quota, now=yesterday)
        lapsed = reserve(
            db=db,
            key="lapsed",
            debit=quota,
            credit_id=platform_account(db=db, name="quota_spent").id,
            amount=2,
            kind="spend_quota",
            reason="a hold of no job",
            expires_at=yesterday + timedelta(hours=1),
            user_id=user.id,
            now=yesterday,
        )
    _order(services_on, user, 1)  # today's quota: yesterday's rest expires, 30 granted, 1 held

    assert run_once(services_on)["expired holds"]

    with services_on.db.read() as db:
        assert db.get_one(LedgerHold, lapsed.id).status == "expired"
        assert wallet.read_wallet(db=db, user_id=user.id).quota.available == 29
        assert check_ledger(db=db) == []


def test_sent_and_dead_mail_leave_the_outbox_after_the_keep_days_and_nothing_else_does(
    services_on,
):
    """Sent mail, and failed mail whose link expired (it can never be sent), go the keep
    days after; failed mail that could be retried, and pending mail, stay."""
    from sqlalchemy import select

    from reelmint.domains.notifications.models import EmailMessage
    from reelmint.domains.notifications.service import queue_email

    now = utcnow()
    keep = timedelta(days=services_on.settings.mail_keep_days)
    ages = {"old sent": keep + timedelta(days=1), "new sent": keep - timedelta(days=1)}
    ages |= {"old failed": keep + timedelta(days=1), "old pending": keep + timedelta(days=1)}
    ages |= {"long-dead failed": keep + timedelta(days=1), "lately-dead failed": keep}
    with services_on.db.write() as db:
        for subject, age in ages.items():
            mail = queue_email(db=db, to_address="a@example.com", subject=subject, body_text=".")
            mail.status = subject.split()[1]
            mail.created_at = now - age
            mail.sent_at = now - age if mail.status == "sent" else None
            if "dead" in subject:
                mail.expires_at = now - age + timedelta(hours=1)

    outcome = run_once(services_on, now=now)

    assert outcome["sent mail"] is True
    with services_on.db.read() as db:
        left = sorted(db.scalars(select(EmailMessage.subject)))
    assert left == ["lately-dead failed", "new sent", "old failed", "old pending"]


def test_housekeeping_releases_creators_tips_after_the_hold(services_on):
    from reelmint.domains.payments.service import start_purchase
    from reelmint.domains.wallet import tips

    fan = make_account(services_on, "fan@example.com").user
    maker = make_account(services_on, "maker@example.com").user
    start_purchase(services=services_on, user=fan, pack_id="pack_10")
    video = create_video(
        services=services_on,
        user=maker,
        request=VideoRequest(prompt="a red car drives", seconds="4", size="480x480"),
    )
    with services_on.db.write() as db:
        row = db.get_one(Video, video.id)
        row.status, row.published_at = "completed", utcnow()
    with services_on.db.write() as db:
        tips.tip(
            db=db, settings=services_on.settings, actor=fan, video_id=video.id, units=10, key="t"
        )
    later = utcnow() + timedelta(days=services_on.settings.rights_hold_days, minutes=1)
    assert run_once(services_on, now=later)["creators' tips"] is True
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=0, available=9)


def test_housekeeping_forgets_browsers_unused_for_the_device_lifetime(services):
    ada = make_account(services)
    with services.db.write() as db:
        user = db.get_one(User, ada.user.id)
        old = remember_device(db=db, user=user, secret=None, now=utcnow() - DEVICE_LIFETIME)
        recent = remember_device(db=db, user=user, secret=None)
    outcome = run_once(services)
    assert outcome["unused browsers"] is True
    with services.db.read() as db:
        kept = {device.token_hash for device in devices_of(db=db, user_id=ada.user.id)}
    assert kept == {sha256_hex(recent)}
    assert sha256_hex(old) not in kept
