"""Stopping a change of email address with the link mailed to the old address: it works with no
sign-in, only while the change it names is pending (not once done, cancelled, replaced or
expired, nor changed or made up), is no change link nor the other way round, and takes turns
with a use of the change link under the row lock (both databases); once used, it blocks new
changes until the password is set anew."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.accounts.email_change import (
    CANCEL_PATH,
    CHANGE_PATH,
    cancel_email_change,
    cancel_email_change_by_link,
    check_cancel_token,
    check_change_token,
    confirm_email_change,
    request_email_change,
)
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.password_reset import (
    RESET_PATH,
    request_password_reset,
    reset_password,
)
from reelmint.domains.accounts.service import change_password, set_password
from reelmint.domains.notifications.models import EmailMessage
from reelmint.errors import BadRequest, Conflict
from support import at_once, make_account


def ask(
    services, user_id: str, new_email: str, now=None, password: str = "correct horse battery"
) -> User:
    with services.db.write() as db:
        return request_email_change(
            db=db,
            settings=services.settings,
            user=db.get_one(User, user_id),
            new_email=new_email,
            password=password,
            now=now,
        )


def stop(services, token: str, now=None) -> User:
    """Use a cancel link, as anyone holding it may: no account is signed in."""
    with services.db.write() as db:
        return cancel_email_change_by_link(db=db, settings=services.settings, token=token, now=now)


def change(services, token: str, now=None) -> User:
    """Use a change link signed in as the account it names."""
    with services.db.write() as db:
        user = db.get_one(User, token.partition(".")[0])
        return confirm_email_change(
            db=db, settings=services.settings, token=token, user=user, now=now
        )


def links_to(services, to: str, path: str) -> list[str]:
    with services.db.read() as db:
        query = select(EmailMessage.link).where(
            EmailMessage.to_address == to, EmailMessage.link.like(path + "%")
        )
        return [
            link.removeprefix(path) for link in db.scalars(query.order_by(EmailMessage.created_at))
        ]


def row(services, user_id: str) -> User:
    with services.db.read() as db:
        return db.get_one(User, user_id)


def refused(services, token: str, now=None) -> BadRequest:
    """Using `token` as a cancel link is refused as a dead link and changes nothing."""
    user_id = token.partition(".")[0]
    before = _state(services, user_id)
    with pytest.raises(BadRequest) as caught:
        stop(services, token, now=now)
    assert (caught.value.code, caught.value.param) == ("invalid_cancel_link", "token")
    assert "nothing was changed" in caught.value.message
    assert _state(services, user_id) == before
    return caught.value


def _state(services, user_id: str) -> tuple[object, ...] | None:
    with services.db.read() as db:
        user = db.get(User, user_id)
        if user is None:
            return None
        return (user.email, user.pending_email, user.email_change_sent_at, user.password_hash)


def test_the_old_address_gets_a_cancel_link_that_stops_the_change(mailing_on):
    ada = make_account(mailing_on, "ada@example.com")
    asked = ask(mailing_on, ada.user.id, "thief@example.com")
    with mailing_on.db.read() as db:
        [warning] = db.scalars(
            select(EmailMessage).where(EmailMessage.to_address == "ada@example.com")
        ).all()
    assert warning.subject == "Your reelmint email address is about to change"
    assert warning.link is not None
    assert warning.link.startswith(CANCEL_PATH)
    assert "Stop the change" in warning.body_text
    assert "without signing in" in warning.body_text
    assert "change your password" in warning.body_text  # a new password still cancels it
    days = timedelta(days=mailing_on.settings.email_confirmation_days)
    assert warning.expires_at == asked.email_change_sent_at + days  # never sent dead
    [cancel] = links_to(mailing_on, "ada@example.com", CANCEL_PATH)
    [token] = links_to(mailing_on, "thief@example.com", CHANGE_PATH)
    with mailing_on.db.read() as db:  # looking at it changes nothing
        assert check_cancel_token(db=db, settings=mailing_on.settings, token=cancel).id == (
            ada.user.id
        )
    assert row(mailing_on, ada.user.id).pending_email == "thief@example.com"

    stopped = stop(mailing_on, cancel)
    assert (stopped.id, stopped.email, stopped.pending_email) == (
        ada.user.id,
        "ada@example.com",
        None,
    )
    kept = row(mailing_on, ada.user.id)
    assert (kept.email, kept.pending_email) == ("ada@example.com", None)
    with pytest.raises(BadRequest) as caught:  # the thief's link is dead
        change(mailing_on, token)
    assert caught.value.code == "invalid_email_change_link"
    assert row(mailing_on, ada.user.id).email == "ada@example.com"
    refused(mailing_on, cancel)  # and the cancel link works once


NEW_PASSWORD = "a new long password"


def refused_stopped(services, user_id: str, now=None) -> None:
    """Asking for a change is refused as stopped, and changes nothing."""
    before = _state(services, user_id)
    with pytest.raises(Conflict) as caught:
        ask(services, user_id, "again@example.com", now=now)
    assert caught.value.code == "email_change_stopped"
    assert "reset the password" in caught.value.message
    assert _state(services, user_id) == before


def new_password(services, person, how: str) -> None:
    if how == "settings":
        with services.db.write() as db:
            user = db.get_one(User, person.user.id)
            change_password(db=db, user=user, current=person.password, new=NEW_PASSWORD)
    elif how == "operator":
        with services.db.write() as db:
            set_password(db=db, user_id=person.user.id, password=NEW_PASSWORD)
    else:
        with services.db.write() as db:
            request_password_reset(db=db, settings=services.settings, email=person.email)
        [reset] = links_to(services, person.email, RESET_PATH)
        with services.db.write() as db:
            reset_password(
                db=db,
                settings=services.settings,
                token=reset,
                password=NEW_PASSWORD,
            )


@pytest.mark.parametrize("how", ["reset", "operator"])
def test_a_stopped_change_blocks_new_ones_until_the_password_is_reset(mailing, how):
    """Whoever asked knows the password: once the owner stops their change, they cannot ask
    again when the resend wait is over, nor can anyone, until the password is reset from the
    address (or by the operator)."""
    ada = make_account(mailing, "ada@example.com")
    start = utcnow()
    ask(mailing, ada.user.id, "thief@example.com", now=start)
    [cancel] = links_to(mailing, "ada@example.com", CANCEL_PATH)
    stop(mailing, cancel, now=start + timedelta(minutes=1))
    assert row(mailing, ada.user.id).email_change_stopped_at == start + timedelta(minutes=1)
    refused_stopped(mailing, ada.user.id, now=start + timedelta(days=3))
    assert links_to(mailing, "again@example.com", CHANGE_PATH) == []

    new_password(mailing, ada, how)
    assert row(mailing, ada.user.id).email_change_stopped_at is None
    later = start + timedelta(days=4)
    asked = ask(mailing, ada.user.id, "again@example.com", now=later, password=NEW_PASSWORD)
    assert asked.pending_email == "again@example.com"
    assert len(links_to(mailing, "again@example.com", CHANGE_PATH)) == 1


def test_a_new_password_in_settings_does_not_lift_a_stop(mailing):
    """Whoever asked is signed in with the password: were a new password in Settings enough,
    they would set one, and ask again."""
    ada = make_account(mailing, "ada@example.com")
    start = utcnow()
    ask(mailing, ada.user.id, "thief@example.com", now=start)
    [cancel] = links_to(mailing, "ada@example.com", CANCEL_PATH)
    stop(mailing, cancel, now=start + timedelta(minutes=1))
    new_password(mailing, ada, "settings")
    assert row(mailing, ada.user.id).email_change_stopped_at is not None
    with pytest.raises(Conflict) as caught:
        ask(
            mailing,
            ada.user.id,
            "thief@example.com",
            now=start + timedelta(days=1),
            password=NEW_PASSWORD,
        )
    assert caught.value.code == "email_change_stopped"
    assert "Forgot your password?" in caught.value.message


def test_cancelling_signed_in_blocks_nothing(mailing):
    """Only the old address's link says "not me"; the owner cancelling in Settings (a typo,
    a change of mind) may ask again once the wait is over."""
    ada = make_account(mailing, "ada@example.com")
    start = utcnow()
    ask(mailing, ada.user.id, "typo@example.con", now=start)
    with mailing.db.write() as db:
        assert cancel_email_change(db.get_one(User, ada.user.id)) is True
    later = start + timedelta(minutes=mailing.settings.email_confirmation_resend_minutes)
    assert ask(mailing, ada.user.id, "ada@new.example", now=later).pending_email == (
        "ada@new.example"
    )
    assert row(mailing, ada.user.id).email_change_stopped_at is None


def test_a_cancel_link_is_dead_once_the_change_is_done(mailing):
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [cancel] = links_to(mailing, "ada@example.com", CANCEL_PATH)
    [token] = links_to(mailing, "new@example.com", CHANGE_PATH)
    assert change(mailing, token).email == "new@example.com"
    refused(mailing, cancel)
    assert row(mailing, ada.user.id).email == "new@example.com"


def test_a_cancel_link_is_dead_once_the_change_is_cancelled_otherwise(mailing):
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [cancel] = links_to(mailing, "ada@example.com", CANCEL_PATH)
    with mailing.db.write() as db:
        assert cancel_email_change(db.get_one(User, ada.user.id)) is True
    refused(mailing, cancel)


def test_only_the_newest_requests_cancel_link_works(mailing):
    ada = make_account(mailing, "ada@example.com")
    start = utcnow()
    ask(mailing, ada.user.id, "first@example.com", now=start)
    ask(mailing, ada.user.id, "second@example.com", now=start + timedelta(minutes=5))
    first, second = links_to(mailing, "ada@example.com", CANCEL_PATH)
    later = start + timedelta(minutes=6)
    refused(mailing, first, now=later)
    assert row(mailing, ada.user.id).pending_email == "second@example.com"
    assert stop(mailing, second, now=later).pending_email is None


def test_a_cancel_link_expires_with_the_change(mailing):
    ada = make_account(mailing, "ada@example.com")
    sent = utcnow()
    ask(mailing, ada.user.id, "new@example.com", now=sent)
    [cancel] = links_to(mailing, "ada@example.com", CANCEL_PATH)
    days = timedelta(days=mailing.settings.email_confirmation_days)
    refused(mailing, cancel, now=sent + days)
    assert row(mailing, ada.user.id).pending_email == "new@example.com"
    assert stop(mailing, cancel, now=sent + days - timedelta(seconds=1)).pending_email is None


@pytest.mark.parametrize(
    "tamper", ["user_nobody.abc", "", "x" * 300, "{user}.{mac}x", "{user}.", "{other}.{mac}"]
)
def test_a_changed_or_made_up_cancel_link_is_refused(mailing, tamper):
    ada = make_account(mailing, "ada@example.com")
    bob = make_account(mailing, "bob@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    ask(mailing, bob.user.id, "bob@new.example")
    [cancel] = links_to(mailing, "ada@example.com", CANCEL_PATH)
    user, _, mac = cancel.partition(".")
    refused(mailing, tamper.format(user=user, mac=mac, other=bob.user.id))
    assert row(mailing, ada.user.id).pending_email == "new@example.com"
    assert row(mailing, bob.user.id).pending_email == "bob@new.example"


def test_a_change_link_is_no_cancel_link_nor_the_other_way_round(mailing):
    """Each link has its own key: whoever reads the new address cannot stop the change with
    its link (harmless, but not what it is for), and, above all, the old address cannot
    make the change with the cancel link."""
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [cancel] = links_to(mailing, "ada@example.com", CANCEL_PATH)
    [token] = links_to(mailing, "new@example.com", CHANGE_PATH)
    assert cancel != token
    assert cancel.partition(".")[0] == token.partition(".")[0] == ada.user.id
    refused(mailing, token)
    with pytest.raises(BadRequest) as caught:
        change(mailing, cancel)
    assert caught.value.code == "invalid_email_change_link"
    with mailing.db.read() as db, pytest.raises(BadRequest):
        check_change_token(db=db, settings=mailing.settings, token=cancel)
    kept = row(mailing, ada.user.id)
    assert (kept.email, kept.pending_email) == ("ada@example.com", "new@example.com")


def test_an_unconfirmed_old_address_gets_no_cancel_link(mailing):
    typo = make_account(mailing, "ada@exmaple.com", email_confirmed=False)
    ask(mailing, typo.user.id, "ada@example.com")
    assert links_to(mailing, "ada@exmaple.com", CANCEL_PATH) == []


def test_a_cancel_and_a_change_at_once_take_turns(mailing_on):
    """The thief uses the change link as the owner presses Stop: one of them wins, the other
    finds its link dead (never a server error, never both), on both databases."""
    ada = make_account(mailing_on, "ada@example.com")
    ask(mailing_on, ada.user.id, "thief@example.com")
    [cancel] = links_to(mailing_on, "ada@example.com", CANCEL_PATH)
    [token] = links_to(mailing_on, "thief@example.com", CHANGE_PATH)
    stopped, changed = at_once(
        [lambda: stop(mailing_on, cancel), lambda: change(mailing_on, token)], timeout=60
    )
    final = row(mailing_on, ada.user.id)
    assert final.pending_email is None
    if isinstance(stopped, User):
        assert isinstance(changed, BadRequest), changed
        assert changed.code == "invalid_email_change_link"
        assert final.email == "ada@example.com"
    else:
        assert isinstance(stopped, BadRequest), stopped
        assert stopped.code == "invalid_cancel_link"
        assert isinstance(changed, User), changed
        assert final.email == "thief@example.com"
