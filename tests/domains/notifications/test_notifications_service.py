"""notify and the reading and marking of notifications, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from smtp_helpers import new_user, tell
from sqlalchemy import func, select

from reelmint.db.base import utcnow
from reelmint.domains.notifications import service
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.errors import BadRequest, NotFound
from support import at_once


def count(services, model) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(model)) or 0


def all_mail(services) -> list[EmailMessage]:
    with services.db.read() as db:
        return list(db.scalars(select(EmailMessage)))


# --- notify -------------------------------------------------------------------------------------


def test_notify_writes_the_notification_and_its_email(services_on):
    user = new_user(services_on, "ada@example.com")
    made = tell(
        services_on,
        user,
        kind="quota_change",
        title="  Your daily quota\n changes  ",
        body="From 1 March: 20 clips a day.",
        link="/notifications",
    )
    assert made.id.startswith("ntf_")
    assert (made.kind, made.title, made.link) == (
        "quota_change",
        "Your daily quota changes",
        "/notifications",
    )
    assert made.read_at is None
    [mail] = all_mail(services_on)
    assert mail.id.startswith("mail_")
    assert (mail.to_address, mail.subject, mail.body_text, mail.link) == (
        "ada@example.com",
        "Your daily quota changes",
        "From 1 March: 20 clips a day.",
        "/notifications",
    )
    assert (mail.status, mail.attempts, mail.user_id, mail.notification_id) == (
        "pending",
        0,
        user.id,
        made.id,
    )
    assert mail.next_attempt_at <= utcnow()


def test_notify_without_email_queues_no_mail(services_on):
    tell(services_on, new_user(services_on), email=False)
    assert count(services_on, Notification) == 1
    assert count(services_on, EmailMessage) == 0


def test_a_user_without_a_usable_address_is_notified_in_the_app_only(services, caplog):
    user = new_user(services, "not an address")
    made = tell(services, user)
    assert count(services, Notification) == 1
    assert count(services, EmailMessage) == 0
    assert f"notification {made.id}: no email" in caplog.text


def test_notify_with_a_used_key_returns_the_first_and_queues_nothing(services_on):
    user = new_user(services_on)
    first = tell(services_on, user, key="quota_change:qc_1:" + user.id, title="first")
    again = tell(services_on, user, key="quota_change:qc_1:" + user.id, title="second")
    assert again.id == first.id
    assert again.title == "first"
    assert count(services_on, Notification) == 1
    assert count(services_on, EmailMessage) == 1
    other = tell(services_on, user, key="quota_change:qc_2:" + user.id)
    assert other.id != first.id
    assert count(services_on, EmailMessage) == 2


def test_notify_twice_with_one_key_in_one_transaction(services_on):
    user = new_user(services_on)
    with services_on.db.write() as db:
        one = service.notify(db=db, user=user, kind="k", title="t", body="b", key="same")
        two = service.notify(db=db, user=user, kind="k", title="t", body="b", key="same")
        assert one is two
    assert count(services_on, EmailMessage) == 1


def test_a_key_used_for_another_user_is_a_programming_error(services_on):
    ada, grace = new_user(services_on, "ada@example.com"), new_user(services_on, "g@example.com")
    tell(services_on, ada, key="shared")
    with pytest.raises(ValueError, match="another user"):
        tell(services_on, grace, key="shared")


def test_notify_inside_a_transaction_that_rolls_back_leaves_nothing(services_on):
    user = new_user(services_on)

    class Boom(Exception):
        pass

    def change_that_fails() -> None:
        with services_on.db.write() as db:
            service.notify(db=db, user=user, kind="quota_change", title="t", body="b", key="k1")
            raise Boom  # what caused the notification failed: nobody is told

    with pytest.raises(Boom):
        change_that_fails()
    assert count(services_on, Notification) == 0
    assert count(services_on, EmailMessage) == 0
    tell(services_on, user, key="k1")  # and the key is free again
    assert count(services_on, EmailMessage) == 1


def test_concurrent_notifies_with_one_key_make_one_notification(services_on):
    """Two transactions insert the same key at once: the second finds the first's row (a
    savepoint absorbs the unique violation) instead of failing the caller's transaction."""
    user = new_user(services_on)

    def run() -> str:
        with services_on.db.write() as db:
            made = service.notify(
                db=db, user=user, kind="quota_change", title="t", body="b", key="race"
            )
            return made.id

    results = at_once([run] * 2, timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    assert len(results) == 2
    assert len(set(results)) == 1
    assert count(services_on, Notification) == 1
    assert count(services_on, EmailMessage) == 1


def test_the_savepoint_path_returns_the_row_another_transaction_committed(services_on, monkeypatch):
    """The race, made deterministic: the key is committed between the check and the insert."""
    user = new_user(services_on)
    with services_on.db.write() as db:
        first = service.notify(db=db, user=user, kind="k", title="t", body="b", key="late")
    original = service._by_key
    looks: list[str] = []

    def first_look_misses(db, key, user):  # as if the other had not committed yet
        looks.append(key)
        return None if len(looks) == 1 else original(db, key, user)

    monkeypatch.setattr(service, "_by_key", first_look_misses)
    with services_on.db.write() as db:
        found = service.notify(db=db, user=user, kind="k", title="t", body="b", key="late")
        assert found.id == first.id
        assert len(looks) == 2
        db.flush()  # the caller's transaction is still usable
    assert count(services_on, Notification) == 1
    assert count(services_on, EmailMessage) == 1


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"kind": "Quota Change"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": " "}, "body"),
        ({"link": "https://evil.example/"}, "link"),
        ({"link": "//evil.example/"}, "link"),
        ({"link": "/\\evil.example"}, "link"),
        ({"link": "/a b"}, "link"),
        ({"key": ""}, "key"),
    ],
)
def test_notify_refuses_bad_arguments(services, fields, match):
    user = new_user(services)
    with pytest.raises(ValueError, match=match):
        tell(services, user, **fields)
    assert count(services, Notification) == 0


def test_a_title_keeps_no_control_characters(services):
    """Titles are made from others' words (a character's name) and become mail subjects,
    which operators list in a terminal: an escape sequence in them is dropped."""
    user = new_user(services)
    made = tell(services, user, title="A claim for Mickey\x1b]0;pwned\x07 was disputed")
    assert made.title == "A claim for Mickey]0;pwned was disputed"
    with services.db.read() as db:
        [mail] = db.scalars(select(EmailMessage)).all()
    assert mail.subject == made.title


# --- reading ------------------------------------------------------------------------------------


def make_many(services, user, number: int) -> list[Notification]:
    """`number` notifications a second apart, oldest first."""
    start = utcnow() - timedelta(hours=1)
    made = []
    with services.db.write() as db:
        for index in range(number):
            item = service.notify(
                db=db, user=user, kind="k", title=f"n{index}", body="b", email=False
            )
            item.created_at = start + timedelta(seconds=index)
            made.append(item)
    return made


def test_list_is_newest_first_and_pages_on(services_on):
    user = new_user(services_on)
    made = make_many(services_on, user, 5)
    with services_on.db.read() as db:
        first = service.list_notifications(db=db, user=user, limit=2)
        second = service.list_notifications(db=db, user=user, limit=2, after=first.items[-1].id)
        third = service.list_notifications(db=db, user=user, limit=2, after=second.items[-1].id)
    titles = [n.title for page in (first, second, third) for n in page.items]
    assert titles == ["n4", "n3", "n2", "n1", "n0"]
    assert (first.has_more, second.has_more, third.has_more) == (True, True, False)
    assert made[0].id == third.items[-1].id


def test_a_page_goes_on_from_its_cursor_after_its_last_notification_is_deleted(services_on):
    """The last_id of a page may be deleted before the next is asked for (another account's
    closure removes news about it): the next page then 404s by id, but not by next_cursor."""
    user = new_user(services_on)
    made = make_many(services_on, user, 5)
    with services_on.db.read() as db:
        first = service.list_notifications(db=db, user=user, limit=2)
    assert first.next_cursor is not None
    with services_on.db.write() as db:
        db.delete(db.get(Notification, first.items[-1].id))
    with services_on.db.read() as db:
        with pytest.raises(NotFound):
            service.list_notifications(db=db, user=user, limit=2, after=first.items[-1].id)
        second = service.list_notifications(db=db, user=user, limit=2, after=first.next_cursor)
        third = service.list_notifications(db=db, user=user, limit=2, after=second.next_cursor)
    assert [n.id for n in second.items + third.items] == [m.id for m in reversed(made[:3])]
    assert (second.has_more, third.has_more, third.next_cursor) == (True, False, None)


@pytest.mark.parametrize("cursor", ["1_ntf", "12_video_abc", "1x_ntf_abc", "9" * 18 + "_ntf_a"])
def test_a_damaged_cursor_is_refused(services, cursor):
    user = new_user(services)
    with services.db.read() as db, pytest.raises(BadRequest) as refused:
        service.list_notifications(db=db, user=user, after=cursor)
    assert (refused.value.code, refused.value.param) == ("invalid_cursor", "after")


def test_unread_only_and_counts(services_on):
    user = new_user(services_on)
    made = make_many(services_on, user, 3)
    with services_on.db.write() as db:
        marked = service.mark_read(db=db, user=user, notification_id=made[1].id)
        assert marked.read_at is not None
    with services_on.db.read() as db:
        unread = service.list_notifications(db=db, user=user, unread_only=True)
        assert [n.title for n in unread.items] == ["n2", "n0"]
        assert service.unread_count(db=db, user=user) == 2


def test_mark_read_twice_keeps_the_first_time(services_on):
    user = new_user(services_on)
    made = tell(services_on, user)
    with services_on.db.write() as db:
        first = service.mark_read(db=db, user=user, notification_id=made.id).read_at
    with services_on.db.write() as db:
        again = service.mark_read(db=db, user=user, notification_id=made.id).read_at
    assert first == again


def test_mark_all_read(services_on):
    ada, grace = new_user(services_on, "ada@example.com"), new_user(services_on, "g@example.com")
    make_many(services_on, ada, 3)
    make_many(services_on, grace, 2)
    with services_on.db.write() as db:
        assert service.mark_all_read(db=db, user=ada) == 3
    with services_on.db.write() as db:
        assert service.mark_all_read(db=db, user=ada) == 0
    with services_on.db.read() as db:
        assert service.unread_count(db=db, user=ada) == 0
        assert service.unread_count(db=db, user=grace) == 2, "only your own are marked"


def test_others_notifications_are_not_found(services_on):
    ada, grace = new_user(services_on, "ada@example.com"), new_user(services_on, "g@example.com")
    hers = tell(services_on, grace)
    with services_on.db.write() as db, pytest.raises(NotFound) as refused:
        service.mark_read(db=db, user=ada, notification_id=hers.id)
    assert (refused.value.code, refused.value.status) == ("notification_not_found", 404)
    with services_on.db.read() as db:
        assert service.list_notifications(db=db, user=ada).items == []
        with pytest.raises(NotFound):
            service.list_notifications(db=db, user=ada, after=hers.id)
        assert service.get_notification(db=db, user=grace, notification_id=hers.id).read_at is None


def test_a_bad_limit_is_refused(services):
    user = new_user(services)
    with services.db.read() as db, pytest.raises(BadRequest) as refused:
        service.list_notifications(db=db, user=user, limit=0)
    assert refused.value.code == "invalid_limit"


def test_deleting_a_user_removes_their_notifications_and_keeps_mail_rows(services_on):
    user = new_user(services_on)
    tell(services_on, user)
    with services_on.db.write() as db:
        db.delete(db.merge(user))
    assert count(services_on, Notification) == 0
    [mail] = all_mail(services_on)
    assert (mail.user_id, mail.notification_id) == (None, None)
