"""Changing a plan's daily quota with notice: refused without enough notice (unless an
emergency with a reason), announced to every affected user in the app and by email, reminded
the day before, applied from the effective local day, and kept in the history."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from reelmint.domains.accounts.models import User
from reelmint.domains.notifications.mailer import deliver_due
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.quota.models import QuotaChange
from reelmint.domains.quota.service import (
    Step,
    cancel_change,
    daily_limit,
    schedule_changes,
    send_due_reminders,
)
from reelmint.errors import BadRequest, Conflict, NotFound, ServiceError
from smtp_server import running_smtp
from support import at_once, make_account, make_services, while_held_open

NOW = datetime(2026, 11, 22, 9, tzinfo=UTC)
TODAY = NOW.date()


def schedule(services, *steps: tuple[int, int], plan="free", **kwargs):
    kwargs.setdefault("reason", "GPU costs rose")
    with services.db.write() as db:
        return schedule_changes(
            db=db,
            settings=services.settings,
            plan=plan,
            steps=[Step(units, TODAY + timedelta(days=days)) for units, days in steps],
            now=NOW,
            **kwargs,
        )


def limit_on(services, day: date, plan="free") -> int:
    with services.db.read() as db:
        return daily_limit(db=db, settings=services.settings, plan=plan, day=day)


def notes(services, kind=None):
    with services.db.read() as db:
        query = select(Notification).order_by(Notification.created_at)
        if kind:
            query = query.where(Notification.kind == kind)
        return list(db.scalars(query))


def mails(services):
    with services.db.read() as db:
        return list(db.scalars(select(EmailMessage)))


def test_a_step_down_plan_is_one_call_and_applies_from_each_date(services_on):
    schedule(services_on, (20, 14), (10, 44))
    assert limit_on(services_on, TODAY) == 30
    assert limit_on(services_on, TODAY + timedelta(days=13)) == 30
    assert limit_on(services_on, TODAY + timedelta(days=14)) == 20
    assert limit_on(services_on, TODAY + timedelta(days=44)) == 10
    assert limit_on(services_on, TODAY + timedelta(days=44), plan="pro") == 150


@pytest.mark.parametrize("days", [0, 1, 13])
def test_less_than_the_minimum_notice_is_refused(services_on, days):
    with pytest.raises(BadRequest) as refused:
        schedule(services_on, (10, days))
    assert refused.value.code in ("insufficient_notice", "invalid_quota_change")
    assert limit_on(services_on, TODAY + timedelta(days=30)) == 30


def test_a_larger_quota_needs_no_notice_and_is_good_news(services_on):
    """Nobody needs two weeks' warning of more: a raise may start tomorrow (any date nobody
    has reached), announced as going up; a cut after it in the same schedule still needs the
    notice, counted against the raised limit of the day before it."""
    make_account(services_on, "ada@example.com")
    schedule(services_on, (45, 2))
    assert limit_on(services_on, TODAY + timedelta(days=2)) == 45
    [told] = notes(services_on, "quota_change")
    assert told.title == "Your free daily quota is going up"
    with pytest.raises(BadRequest) as refused:
        schedule(services_on, (50, 3), (40, 4))  # 50 is more, 40 is less than the 50 before it
    assert refused.value.code == "insufficient_notice"
    with pytest.raises(BadRequest) as still:
        schedule(services_on, (35, 5))  # more than today's 30, less than the 45 from day 2
    assert still.value.code == "insufficient_notice"
    assert limit_on(services_on, TODAY + timedelta(days=5)) == 45
    with pytest.raises(BadRequest) as past:
        schedule(services_on, (60, 0))  # more, but today has begun everywhere: not overnight
    assert past.value.code == "invalid_quota_change"


def test_an_emergency_raise_is_not_urgent_news(services_on):
    make_account(services_on, "ada@example.com")
    schedule(services_on, (60, 2), emergency=True, reason="new GPUs arrived")
    assert [n.title for n in notes(services_on, "quota_change")] == [
        "Your free daily quota is going up"
    ]


def test_an_emergency_needs_a_reason_and_may_come_sooner(services_on):
    with pytest.raises(BadRequest) as refused:
        schedule(services_on, (10, 2), emergency=True, reason="  ")
    assert refused.value.code == "reason_required"
    schedule(services_on, (10, 2), emergency=True, reason="a GPU host failed")
    assert limit_on(services_on, TODAY + timedelta(days=2)) == 10


def test_every_affected_user_is_told_in_the_app_and_by_email(services_on):
    ada = make_account(services_on, "ada@example.com").user
    bob = make_account(services_on, "bob@example.com").user
    pro = make_account(services_on, "pro@example.com").user
    with services_on.db.write() as db:
        db.get(type(pro), pro.id).plan = "pro"
    schedule(services_on, (20, 14), (10, 44))
    told = notes(services_on, "quota_change")
    assert sorted(n.user_id for n in told) == sorted([ada.id, bob.id])
    assert "20 generation units" in told[0].body
    assert "10 generation units" in told[0].body
    assert "GPU costs rose" in told[0].body
    assert told[0].link == "/quota"
    assert sorted(m.to_address for m in mails(services_on)) == [
        "ada@example.com",
        "bob@example.com",
    ]


def test_a_reminder_goes_out_once_the_day_before(services_on):
    make_account(services_on, "ada@example.com")
    [change] = schedule(services_on, (20, 14))
    effective = change.effective_on
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=NOW + timedelta(days=5)) == 0
    day_before = datetime.combine(effective - timedelta(days=1), datetime.min.time(), UTC)
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=day_before + timedelta(hours=9)) == 1
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=day_before + timedelta(hours=10)) == 0
    assert len(notes(services_on, "quota_reminder")) == 1
    assert len(mails(services_on)) == 2  # the announcement and the reminder


def _in_zone(services, email: str, zone: str) -> None:
    account = make_account(services, email)
    with services.db.write() as db:
        db.get_one(User, account.user.id).timezone = zone


def _reminded(services) -> list[str]:
    return sorted(note.user_id for note in notes(services, "quota_reminder"))


def test_each_user_is_reminded_on_their_own_day_before(services_on):
    _in_zone(services_on, "kiri@example.com", "Pacific/Auckland")  # UTC+13 in December
    _in_zone(services_on, "leilani@example.com", "Pacific/Honolulu")  # UTC-10
    ids = {u.email: u.id for u in _users(services_on)}
    [change] = schedule(services_on, (20, 14))
    eve = datetime.combine(change.effective_on - timedelta(days=1), datetime.min.time(), UTC)

    # 01:00 of the day before in Auckland: the night, nobody is reminded yet.
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=eve - timedelta(hours=12)) == 0
    # 09:00 of the day before in Auckland; still two days before in Honolulu.
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=eve - timedelta(hours=4)) == 1
    assert _reminded(services_on) == [ids["kiri@example.com"]]
    with services_on.db.write() as db:  # an hour on: still Auckland's eve, Kiri has hers
        assert send_due_reminders(db=db, now=eve - timedelta(hours=3)) == 0
    # 09:00 of the day before in Honolulu: only Leilani is new; then every zone has had its.
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=eve + timedelta(hours=19)) == 1
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=eve + timedelta(hours=20)) == 0
        # Someone could still join the plan in a zone on its eve (UTC-12's ends at 12:00 UTC
        # on the effective day): the change is done with only after that.
        assert db.get_one(QuotaChange, change.id).reminded_at is None
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=eve + timedelta(hours=36)) == 0
        assert db.get_one(QuotaChange, change.id).reminded_at is not None
    assert _reminded(services_on) == sorted(ids.values())


def test_a_user_who_moves_west_on_the_eve_is_reminded_there(services_on):
    _in_zone(services_on, "ada@example.com", "UTC")
    _in_zone(services_on, "bo@example.com", "Europe/London")  # UTC+0 in December
    [change] = schedule(services_on, (20, 14))
    eve = datetime.combine(change.effective_on - timedelta(days=1), datetime.min.time(), UTC)
    with services_on.db.write() as db:  # 23:00 on the eve in UTC: Ada and Bo are reminded
        assert send_due_reminders(db=db, now=eve + timedelta(hours=23)) == 2
    _in_zone(services_on, "cy@example.com", "Etc/GMT+12")  # joins, where it is 11:00 on the eve
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=eve + timedelta(hours=23, minutes=30)) == 1
    assert len(_reminded(services_on)) == 3


def test_no_reminder_says_tomorrow_once_the_change_applies_locally(services_on):
    _in_zone(services_on, "kiri@example.com", "Pacific/Auckland")
    [change] = schedule(services_on, (20, 14))
    effective = datetime.combine(change.effective_on, datetime.min.time(), UTC)
    # 13:00 on the effective day in Auckland: the change applies there already.
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=effective) == 0
    with services_on.db.write() as db:  # and once it applies everywhere, it is done with
        assert send_due_reminders(db=db, now=effective + timedelta(hours=12)) == 0
        assert db.get_one(QuotaChange, change.id).reminded_at is not None
    assert notes(services_on, "quota_reminder") == []


def _users(services) -> list[User]:
    with services.db.read() as db:
        return list(db.scalars(select(User)))


def test_a_cancelled_change_stops_applying_and_stays_in_the_history(services_on):
    [change] = schedule(services_on, (5, 20))
    with services_on.db.write() as db:
        cancel_change(db=db, settings=services_on.settings, change_id=change.id)
    assert limit_on(services_on, TODAY + timedelta(days=30)) == 30
    with services_on.db.read() as db:
        assert db.get_one(QuotaChange, change.id).cancelled_at is not None  # kept, marked
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=NOW + timedelta(days=19, hours=1)) == 0


def test_the_users_told_of_a_change_are_told_it_is_withdrawn(services_on):
    """Users heard "your quota is changing"; withdrawn, they hear it will not, and what the
    quota on that date will be instead (here the earlier step's), in the app and by email.
    Users of another plan hear nothing; withdrawing again is refused and tells no one twice."""
    ada = make_account(services_on, "ada@example.com").user
    pro = make_account(services_on, "pro@example.com").user
    with services_on.db.write() as db:
        db.get_one(User, pro.id).plan = "pro"
    _, second = schedule(services_on, (20, 14), (10, 44))
    with services_on.db.write() as db:
        cancel_change(db=db, settings=services_on.settings, change_id=second.id)
    with services_on.db.write() as db, pytest.raises(Conflict) as again:
        cancel_change(db=db, settings=services_on.settings, change_id=second.id)
    assert again.value.code == "quota_change_withdrawn"
    assert f"{second.id} was withdrawn already, on " in str(again.value)
    with services_on.db.write() as db, pytest.raises(NotFound):
        cancel_change(db=db, settings=services_on.settings, change_id="qchg_nothing")

    withdrawn = [n for n in notes(services_on, "quota_change") if "withdrawn" in n.title]
    assert [n.user_id for n in withdrawn] == [ada.id]
    day = (TODAY + timedelta(days=44)).isoformat()
    assert f"announced for {day}, to 10 generation units" in withdrawn[0].body
    assert f"On {day} your free daily quota will be 20 generation units." in withdrawn[0].body
    subjects = sorted(m.subject for m in mails(services_on))
    assert subjects == [
        "A change to your free daily quota is withdrawn",
        "Your free daily quota is changing",
    ]
    assert limit_on(services_on, TODAY + timedelta(days=44)) == 20


def test_a_change_in_effect_anywhere_cannot_be_withdrawn(services_on):
    """14 days from 09:00 UTC: it applies from the day 14 days on, which begins at 10:00 UTC
    on the eve in the Line Islands (UTC+14). Withdrawing it from then would change the limit
    overnight for users already in that day."""
    [change] = schedule(services_on, (20, 14))
    eve = NOW + timedelta(days=13)  # 09:00 UTC: 23:00 on the eve in the Line Islands
    with services_on.db.write() as db, pytest.raises(Conflict) as refused:
        cancel_change(
            db=db, settings=services_on.settings, change_id=change.id, now=eve + timedelta(hours=1)
        )
    assert refused.value.code == "quota_change_in_effect"
    assert limit_on(services_on, TODAY + timedelta(days=14)) == 20
    with services_on.db.write() as db:
        cancel_change(db=db, settings=services_on.settings, change_id=change.id, now=eve)
    assert limit_on(services_on, TODAY + timedelta(days=14)) == 30


def test_notice_is_counted_from_the_latest_date_anywhere(services_on):
    """At 12:00 UTC it is already tomorrow at UTC+14: an emergency "for tomorrow" (UTC) would
    apply there at once, and the minimum notice counted from UTC's date would be short there
    by a day."""
    noon = NOW.replace(hour=12)
    settings = services_on.settings

    def at_noon(days: int, **kwargs) -> None:
        with services_on.db.write() as db:
            schedule_changes(
                db=db,
                settings=settings,
                plan="free",
                steps=[Step(10, TODAY + timedelta(days=days))],
                reason="GPU costs rose",
                now=noon,
                **kwargs,
            )

    with pytest.raises(BadRequest) as too_soon:
        at_noon(1, emergency=True)
    assert too_soon.value.code == "invalid_quota_change"
    with pytest.raises(BadRequest) as short:
        at_noon(settings.quota_min_notice_days)
    assert short.value.code == "insufficient_notice"
    at_noon(settings.quota_min_notice_days + 1)
    at_noon(2, emergency=True)
    assert limit_on(services_on, TODAY + timedelta(days=2)) == 10


def test_the_announcement_arrives_over_real_smtp(tmp_path, keys_dir):
    with running_smtp() as sink:
        services = make_services(
            tmp_path, f"sqlite:///{tmp_path / 'r.db'}", smtp_host="127.0.0.1", smtp_port=sink.port
        )
        make_account(services, "ada@example.com")
        schedule(services, (20, 14))
        assert deliver_due(services=services, worker_id="test-mailer") == 1
        services.close()
    [mail] = sink.received
    assert mail.rcpt_tos == ["ada@example.com"]
    assert mail.message["Subject"] == "Your free daily quota is changing"
    assert "20 generation units" in mail.text


def test_an_emergency_for_tomorrow_is_told_once_not_reminded_the_same_minute(services_on):
    make_account(services_on, "ada@example.com")
    _in_zone(services_on, "kiri@example.com", "Pacific/Auckland")  # already tomorrow there
    [change] = schedule(services_on, (10, 1), emergency=True, reason="a GPU host failed")
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=NOW + timedelta(minutes=1)) == 0
        assert send_due_reminders(db=db, now=NOW + timedelta(hours=14)) == 0
    assert notes(services_on, "quota_reminder") == []
    assert len(notes(services_on, "quota_change")) == 2
    assert len(mails(services_on)) == 2  # one notice each, no reminder
    assert change.effective_on == TODAY + timedelta(days=1)


def test_an_emergency_two_days_out_is_still_reminded_on_the_eve(services_on):
    make_account(services_on, "ada@example.com")
    [change] = schedule(services_on, (10, 2), emergency=True, reason="a GPU host failed")
    eve = datetime.combine(change.effective_on - timedelta(days=1), datetime.min.time(), UTC)
    with services_on.db.write() as db:
        assert send_due_reminders(db=db, now=NOW + timedelta(minutes=1)) == 0
        assert send_due_reminders(db=db, now=eve + timedelta(hours=1)) == 0  # 01:00 in UTC
        assert send_due_reminders(db=db, now=eve + timedelta(hours=9)) == 1


def test_a_second_change_on_a_date_is_refused_until_the_first_is_withdrawn(services_on):
    [first] = schedule(services_on, (0, 40))
    with pytest.raises(Conflict) as refused:
        schedule(services_on, (20, 50), (30, 40))
    assert refused.value.code == "quota_change_exists"
    assert first.id in refused.value.message
    assert "cancel" in refused.value.message
    with pytest.raises(BadRequest) as twice:
        schedule(services_on, (20, 50), (10, 50))
    assert twice.value.code == "invalid_quota_change"
    with services_on.db.read() as db:
        assert len(list(db.scalars(select(QuotaChange)))) == 1  # nothing more scheduled
    with services_on.db.write() as db:
        cancel_change(db=db, settings=services_on.settings, change_id=first.id)
    schedule(services_on, (25, 40))
    assert limit_on(services_on, TODAY + timedelta(days=40)) == 25


def test_a_withdrawal_that_would_turn_a_raise_into_a_cut_without_notice_is_refused(services_on):
    """An emergency cut to 10 tomorrow, then 20 the day after: a raise, so it needed no notice.
    Withdrawing the emergency would make the 20 a cut from 30 told two days ahead."""
    make_account(services_on, "ada@example.com")
    [emergency] = schedule(services_on, (10, 1), emergency=True, reason="outage")
    [raise_] = schedule(services_on, (20, 2))
    with services_on.db.write() as db, pytest.raises(Conflict) as refused:
        cancel_change(db=db, settings=services_on.settings, change_id=emergency.id, now=NOW)
    assert refused.value.code == "insufficient_notice"
    assert raise_.id in refused.value.message
    assert "from 30 to 20" in refused.value.message
    assert limit_on(services_on, TODAY + timedelta(days=1)) == 10  # nothing withdrawn
    assert not [n for n in notes(services_on, "quota_change") if "withdrawn" in n.title]
    with services_on.db.write() as db:  # the later one first, then the emergency: allowed
        cancel_change(db=db, settings=services_on.settings, change_id=raise_.id, now=NOW)
        cancel_change(db=db, settings=services_on.settings, change_id=emergency.id, now=NOW)
    assert limit_on(services_on, TODAY + timedelta(days=2)) == 30


def test_a_withdrawal_tells_users_the_schedule_after_it(services_on):
    """Users told long ago of 10 from day 60 keep that date: withdrawing the step before it
    is allowed, and the notice says what follows."""
    make_account(services_on, "ada@example.com")
    first, _ = schedule(services_on, (20, 30), (10, 60))
    with services_on.db.write() as db:
        cancel_change(
            db=db, settings=services_on.settings, change_id=first.id, now=NOW + timedelta(days=5)
        )
    [withdrawn] = [n for n in notes(services_on, "quota_change") if "withdrawn" in n.title]
    later = (TODAY + timedelta(days=60)).isoformat()
    assert "The changes still scheduled after it:" in withdrawn.body
    assert f"From {later}, the free plan's free daily quota will be 10" in withdrawn.body


# --- whatever order changes are scheduled in, a cut keeps its notice ---------------------------


def test_a_raise_before_a_later_change_may_not_turn_it_into_a_cut_without_notice(services_on):
    """plus gives 60: 80 from day 4 is a raise (no notice needed); 200 from day 3 would make it
    a cut from 200 to 80 told four days ahead. Scheduled the other way round it is refused
    too: the order changes are scheduled in does not decide whether users get notice."""
    ada = make_account(services_on, "ada@example.com").user
    with services_on.db.write() as db:
        db.get_one(User, ada.id).plan = "plus"
    [later] = schedule(services_on, (80, 4), plan="plus")
    with pytest.raises(Conflict) as refused:
        schedule(services_on, (200, 3), plan="plus")
    assert refused.value.code == "insufficient_notice"
    assert later.id in refused.value.message
    assert "from 200 to 80" in refused.value.message
    assert limit_on(services_on, TODAY + timedelta(days=3), plan="plus") == 60  # nothing added
    assert len(notes(services_on, "quota_change")) == 1  # only the first was announced
    with services_on.db.read() as db:
        assert len(list(db.scalars(select(QuotaChange)))) == 1


def test_a_raise_before_a_change_told_with_notice_or_an_emergency_is_allowed(services_on):
    """The notice of the later change is counted from when it was announced: 20 from day 30,
    told 30 days ahead, may follow a raise; so may an emergency, which needed no notice."""
    schedule(services_on, (20, 30))
    schedule(services_on, (45, 3))
    assert limit_on(services_on, TODAY + timedelta(days=30)) == 20
    schedule(services_on, (100, 8), plan="pro", emergency=True, reason="a GPU host failed")
    schedule(services_on, (200, 6), plan="pro")
    assert limit_on(services_on, TODAY + timedelta(days=8), plan="pro") == 100


# --- schedules and withdrawals of one plan take turns ------------------------------------------


def _scheduling(services, units: int, days: int, **kwargs):
    kwargs.setdefault("reason", "")

    def work(db) -> str:
        step = Step(units, TODAY + timedelta(days=days))
        schedule_changes(
            db=db, settings=services.settings, plan="free", steps=[step], now=NOW, **kwargs
        )
        return "scheduled"

    return work


def _withdrawing(services, change_id: str):
    def work(db) -> str:
        cancel_change(db=db, settings=services.settings, change_id=change_id, now=NOW)
        return "withdrawn"

    return work


def _in_transaction(services, work) -> str:
    try:
        with services.db.write() as db:
            return work(db)
    except ServiceError as refused:
        return refused.code


def test_two_changes_on_one_date_scheduled_at_once_are_one(services_on):
    """The second waits for the first's commit and then sees its change on that date."""
    first, second = _scheduling(services_on, 20, 40), _scheduling(services_on, 25, 40)
    assert while_held_open(services_on, first, second) == ("scheduled", "quota_change_exists")
    racers = [_scheduling(services_on, units, 50) for units in (10, 11, 12, 13)]
    outcomes = at_once([lambda w=w: _in_transaction(services_on, w) for w in racers], timeout=60)
    assert sorted(outcomes) == ["quota_change_exists"] * 3 + ["scheduled"]
    with services_on.db.read() as db:
        live = db.scalars(select(QuotaChange).where(QuotaChange.cancelled_at.is_(None))).all()
    assert sorted(change.effective_on for change in live) == [
        TODAY + timedelta(days=40),
        TODAY + timedelta(days=50),
    ]


@pytest.mark.parametrize("withdrawal_first", [True, False])
def test_a_withdrawal_and_a_raise_racing_cannot_both_skip_the_notice(services_on, withdrawal_first):
    """An emergency cut to 10 tomorrow; 20 the day after is a raise over it, and withdrawing
    the emergency is fine alone. Both at once would make 20 a cut told two days ahead: the
    second to commit is refused, whichever it is."""
    [emergency] = schedule(services_on, (10, 1), emergency=True, reason="outage")
    withdraw, raise_ = _withdrawing(services_on, emergency.id), _scheduling(services_on, 20, 2)
    if withdrawal_first:
        outcome = while_held_open(services_on, withdraw, raise_)
        assert outcome == ("withdrawn", "insufficient_notice")
        assert limit_on(services_on, TODAY + timedelta(days=2)) == 30
    else:
        outcome = while_held_open(services_on, raise_, withdraw)
        assert outcome == ("scheduled", "insufficient_notice")
        assert limit_on(services_on, TODAY + timedelta(days=2)) == 20


# --- changes that are no change, or too far ahead -----------------------------------------------


@pytest.mark.parametrize("days", [3, 30])
def test_a_change_to_the_limit_the_plan_already_has_is_refused_and_not_announced(services_on, days):
    make_account(services_on, "ada@example.com")
    with pytest.raises(BadRequest) as refused:
        schedule(services_on, (30, days))
    assert refused.value.code == "invalid_quota_change"
    assert "already gives 30 units a day" in refused.value.message
    with pytest.raises(BadRequest) as in_steps:
        schedule(services_on, (20, 30), (20, 60))  # the second step changes nothing
    assert in_steps.value.code == "invalid_quota_change"
    assert "already gives 20 units a day" in in_steps.value.message
    assert notes(services_on, "quota_change") == []
    with services_on.db.read() as db:
        assert list(db.scalars(select(QuotaChange))) == []


def test_a_change_more_than_five_years_ahead_is_refused(services_on):
    far = date(TODAY.year + 5, TODAY.month, TODAY.day) + timedelta(days=2)  # from UTC+14's day
    with pytest.raises(BadRequest) as refused, services_on.db.write() as db:
        schedule_changes(
            db=db,
            settings=services_on.settings,
            plan="free",
            steps=[Step(20, far)],
            reason="",
            now=NOW,
        )
    assert refused.value.code == "invalid_quota_change"
    assert "more than 5 years ahead" in refused.value.message
    schedule(services_on, (20, 5 * 365))  # within five years: fine


def signed_up(services, email: str) -> User:
    """An account opened by its owner on the sign-up page."""
    from reelmint.domains.accounts.service import sign_up

    with services.db.write() as db:
        return sign_up(
            db=db,
            settings=services.settings,
            email=email,
            password="correct horse battery",
            display_name=None,
            network=None,
        )


def test_someone_who_signs_up_after_a_change_was_announced_is_told_of_it(services_on):
    make_account(services_on, "ada@example.com")
    schedule(services_on, (20, 14))
    late = signed_up(services_on, "late@example.com")
    [told] = [n for n in notes(services_on, "quota_change") if n.user_id == late.id]
    assert told.title == "Your free daily quota has changes scheduled"
    assert "20 generation units" in told.body
    assert "late@example.com" not in {m.to_address for m in mails(services_on)}  # in the app


def test_someone_who_signs_up_with_nothing_scheduled_is_told_nothing(services_on):
    signed_up(services_on, "new@example.com")
    assert notes(services_on, "quota_change") == []
