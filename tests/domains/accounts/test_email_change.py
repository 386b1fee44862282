"""Changing an account's email address: asked for with the password, done by a link mailed to
the new address and used signed in to the account; the old address told at both ends; every
refusal changing nothing; a password change or reset cancelling a pending change; two
accounts racing for one address (both databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.accounts import service
from reelmint.domains.accounts.email_change import (
    CHANGE_PATH,
    cancel_email_change,
    check_change_token,
    confirm_email_change,
    live_pending_email,
    request_email_change,
    set_email,
)
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.password_reset import (
    RESET_PATH,
    request_password_reset,
    reset_password,
)
from reelmint.domains.accounts.service import (
    authenticate,
    change_password,
    create_user,
    set_password,
)
from reelmint.domains.notifications.models import EmailMessage
from reelmint.domains.notifications.service import notify
from reelmint.errors import BadRequest, Conflict, Forbidden, ServiceError, TooManyRequests
from support import at_once, make_account


def ask(services, user_id: str, new_email: str, password: str = "correct horse battery", now=None):
    with services.db.write() as db:
        user = db.get_one(User, user_id)
        return request_email_change(
            db=db,
            settings=services.settings,
            user=user,
            new_email=new_email,
            password=password,
            now=now,
        )


def change(services, token: str, user_id: str | None = None, now=None) -> User:
    """Use a link signed in as the account it names (or as `user_id`)."""
    with services.db.write() as db:
        user = db.get_one(User, user_id or token.partition(".")[0])
        return confirm_email_change(
            db=db, settings=services.settings, token=token, user=user, now=now
        )


def mails_to(services, to: str) -> list[EmailMessage]:
    with services.db.read() as db:
        query = select(EmailMessage).where(EmailMessage.to_address == to)
        return list(db.scalars(query.order_by(EmailMessage.created_at)))


def tokens_to(services, to: str) -> list[str]:
    return [
        m.link.removeprefix(CHANGE_PATH)
        for m in mails_to(services, to)
        if m.link and m.link.startswith(CHANGE_PATH)
    ]


def user_row(services, user_id: str) -> User:
    with services.db.read() as db:
        return db.get_one(User, user_id)


def refused_link(services, token: str, user_id: str | None = None, now=None) -> None:
    with pytest.raises(BadRequest) as caught:
        change(services, token, user_id=user_id, now=now)
    assert (caught.value.code, caught.value.param) == ("invalid_email_change_link", "token")


def test_the_link_mailed_to_the_new_address_changes_it_and_the_old_one_is_told(mailing):
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, " Ada.New@Example.COM ")
    asked = user_row(mailing, ada.user.id)
    assert (asked.email, asked.pending_email) == ("ada@example.com", "ada.new@example.com")
    [notice] = mails_to(mailing, "ada@example.com")
    assert notice.subject == "Your reelmint email address is about to change"
    assert "ada.new@example.com" in notice.body_text
    assert "change your password" in notice.body_text
    [token] = tokens_to(mailing, "ada.new@example.com")
    [link_mail] = mails_to(mailing, "ada.new@example.com")
    days = timedelta(days=mailing.settings.email_confirmation_days)
    assert link_mail.expires_at == asked.email_change_sent_at + days  # never sent dead
    with mailing.db.write() as db:  # until the link is used, the old address is the account's
        assert authenticate(db=db, email="ada@example.com", password=ada.password)

    changed = change(mailing, token)
    assert (changed.email, changed.pending_email) == ("ada.new@example.com", None)
    assert changed.email_confirmed_at is not None
    done = mails_to(mailing, "ada@example.com")[-1]
    assert done.subject == "Your reelmint email address was changed"
    assert "from ada@example.com to ada.new@example.com" in done.body_text
    with mailing.db.write() as db:
        assert authenticate(db=db, email="ada.new@example.com", password=ada.password)
    with pytest.raises(ServiceError) as old, mailing.db.write() as db:
        authenticate(db=db, email="ada@example.com", password=ada.password)
    assert old.value.code == "invalid_credentials"
    refused_link(mailing, token)  # used: the change is no longer pending


def test_news_not_yet_mailed_goes_to_the_new_address(mailing):
    """A notice waiting in the outbox (or failed, to be retried) goes where the user now reads
    mail; what was sent stays as sent, and account mail stays with the address it names."""
    ada = make_account(mailing, "ada@example.com")
    with mailing.db.write() as db:
        user = db.get_one(User, ada.user.id)
        for n in range(4):
            notify(db=db, user=user, kind="k", title=f"news {n}", body="b")
    outcomes = {"news 0": "sent", "news 1": "failed", "news 2": "pending", "news 3": "pending"}
    with mailing.db.write() as db:
        for mail in db.scalars(select(EmailMessage)):
            mail.status = outcomes[mail.subject]
            if mail.subject == "news 3":  # a mailer is sending it to the old address now
                mail.lease_owner = "mailer-1"
                mail.lease_expires_at = utcnow() + timedelta(minutes=5)
    ask(mailing, ada.user.id, "ada.new@example.com")
    [token] = tokens_to(mailing, "ada.new@example.com")
    change(mailing, token)
    with mailing.db.read() as db:
        news = db.scalars(select(EmailMessage).where(EmailMessage.notification_id.is_not(None)))
        addressed = {mail.subject: mail.to_address for mail in news}
    assert addressed == {
        "news 0": "ada@example.com",
        "news 1": "ada.new@example.com",
        "news 2": "ada.new@example.com",
        "news 3": "ada@example.com",
    }
    subjects = [mail.subject for mail in mails_to(mailing, "ada@example.com")]
    assert "Your reelmint email address is about to change" in subjects


@pytest.mark.parametrize(
    ("new_email", "password", "code", "param"),
    [
        ("new@example.com", "not my password", "wrong_password", "password"),
        ("not an address", "correct horse battery", "invalid_email", "email"),
        ('"odd,one"@example.com', "correct horse battery", "invalid_email", "email"),
        ("ADA@example.com", "correct horse battery", "same_email", "email"),
    ],
)
def test_a_refused_change_says_what_to_fix_and_sends_nothing(
    mailing, new_email, password, code, param
):
    ada = make_account(mailing, "ada@example.com")
    make_account(mailing, "bob@example.com")
    with pytest.raises(ServiceError) as caught:
        ask(mailing, ada.user.id, new_email, password=password)
    assert (caught.value.code, caught.value.param) == (code, param)
    assert type(caught.value) is (Forbidden if code == "wrong_password" else BadRequest)
    row = user_row(mailing, ada.user.id)
    assert (row.email, row.pending_email, row.email_change_sent_at) == (
        "ada@example.com",
        None,
        None,
    )
    assert mails_to(mailing, "ada@example.com") == []


def test_an_address_with_an_account_is_answered_as_any_other_and_its_holder_told(mailing):
    """The asker cannot tell it from a free address (no error, the same pending change), so
    the form reveals nobody's account; the address gets no link, only a note that someone
    tried, and the old address is warned as for any change."""
    ada = make_account(mailing, "ada@example.com")
    make_account(mailing, "bob@example.com")
    asked = ask(mailing, ada.user.id, "Bob@example.com")
    assert (asked.email, asked.pending_email) == ("ada@example.com", "bob@example.com")
    assert tokens_to(mailing, "bob@example.com") == []
    [note] = mails_to(mailing, "bob@example.com")
    assert note.subject == "Your reelmint account already uses this address"
    assert note.link is None
    assert "nothing was changed" in note.body_text
    [warning] = mails_to(mailing, "ada@example.com")
    assert warning.subject == "Your reelmint email address is about to change"
    with pytest.raises(TooManyRequests):  # probing goes at the pace of any request
        ask(mailing, ada.user.id, "carol@example.com")


def test_a_server_without_email_sends_the_operator_instead(services):
    ada = make_account(services, "ada@example.com")
    with pytest.raises(Conflict) as caught:
        ask(services, ada.user.id, "new@example.com")
    assert caught.value.code == "email_off"
    assert "reelmint admin change-email" in caught.value.message
    assert user_row(services, ada.user.id).pending_email is None


def test_only_the_newest_request_works_and_requests_come_at_a_pace(mailing):
    ada = make_account(mailing, "ada@example.com")
    start = utcnow()
    ask(mailing, ada.user.id, "first@example.com", now=start)
    with pytest.raises(TooManyRequests) as caught:
        ask(mailing, ada.user.id, "second@example.com", now=start + timedelta(minutes=4))
    assert caught.value.code == "email_change_recently_sent"
    assert "emailed to first@example.com" in caught.value.message
    assert "in 1 minute" in caught.value.message
    ask(mailing, ada.user.id, "second@example.com", now=start + timedelta(minutes=5))
    [first] = tokens_to(mailing, "first@example.com")
    [second] = tokens_to(mailing, "second@example.com")
    refused_link(mailing, first, now=start + timedelta(minutes=6))
    assert change(mailing, second, now=start + timedelta(minutes=6)).email == "second@example.com"


def test_cancelling_stops_the_link_but_not_the_wait(mailing):
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [token] = tokens_to(mailing, "new@example.com")
    with mailing.db.write() as db:
        assert cancel_email_change(db.get_one(User, ada.user.id)) is True
    with mailing.db.write() as db:
        assert cancel_email_change(db.get_one(User, ada.user.id)) is False
    refused_link(mailing, token)
    assert user_row(mailing, ada.user.id).email == "ada@example.com"
    with pytest.raises(TooManyRequests) as caught:  # cancel and ask again: still one a while
        ask(mailing, ada.user.id, "other@example.com")
    assert "emailed a moment ago" in caught.value.message


def test_a_link_expires(mailing):
    ada = make_account(mailing, "ada@example.com")
    sent = utcnow()
    ask(mailing, ada.user.id, "new@example.com", now=sent)
    [token] = tokens_to(mailing, "new@example.com")
    days = timedelta(days=mailing.settings.email_confirmation_days)
    refused_link(mailing, token, now=sent + days)
    assert change(mailing, token, now=sent + days - timedelta(seconds=1)).email == (
        "new@example.com"
    )


@pytest.mark.parametrize("tamper", ["user_nobody.abc", "", "x" * 300, "{user}.{mac}x", "{user}."])
def test_a_changed_or_made_up_link_is_refused(mailing, tamper):
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [token] = tokens_to(mailing, "new@example.com")
    user, _, mac = token.partition(".")
    refused_link(mailing, tamper.format(user=user, mac=mac), user_id=ada.user.id)
    assert user_row(mailing, ada.user.id).email == "ada@example.com"


def test_the_link_works_only_signed_in_to_the_account_that_asked(mailing):
    """Whoever reads the new address's mail cannot take the account with the link alone."""
    ada = make_account(mailing, "ada@example.com")
    eve = make_account(mailing, "eve@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [token] = tokens_to(mailing, "new@example.com")
    with pytest.raises(Forbidden) as caught:
        change(mailing, token, user_id=eve.user.id)
    assert caught.value.code == "confirmation_for_another_account"
    assert user_row(mailing, ada.user.id).email == "ada@example.com"
    assert user_row(mailing, eve.user.id).email == "eve@example.com"


@pytest.mark.parametrize("how", ["change", "reset"])
def test_a_new_password_cancels_a_pending_change(mailing, how):
    """The owner told of a change they did not ask for changes the password: that stops it."""
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "thief@example.com")
    [token] = tokens_to(mailing, "thief@example.com")
    if how == "change":
        with mailing.db.write() as db:
            user = db.get_one(User, ada.user.id)
            change_password(db=db, user=user, current=ada.password, new="a new long password")
    else:
        with mailing.db.write() as db:
            request_password_reset(db=db, settings=mailing.settings, email="ada@example.com")
        mails = mails_to(mailing, "ada@example.com")
        [reset] = [m.link for m in mails if m.link and m.link.startswith(RESET_PATH)]
        with mailing.db.write() as db:
            reset_password(
                db=db,
                settings=mailing.settings,
                token=reset.removeprefix(RESET_PATH),
                password="a new long password",
            )
    assert user_row(mailing, ada.user.id).pending_email is None
    refused_link(mailing, token)


def test_an_unconfirmed_address_is_told_nothing_and_the_new_one_is_confirmed(mailing):
    """Someone who mistyped their address at sign-up puts it right: the mistyped address
    (maybe a stranger's) gets no mail, and the new one counts as confirmed."""
    typo = make_account(mailing, "ada@exmaple.com", email_confirmed=False)
    ask(mailing, typo.user.id, "ada@example.com")
    [token] = tokens_to(mailing, "ada@example.com")
    changed = change(mailing, token)
    assert (changed.email, changed.email_confirmed_at is not None) == ("ada@example.com", True)
    assert mails_to(mailing, "ada@exmaple.com") == []


def test_an_address_taken_meanwhile_is_refused_and_stays_pending(mailing):
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [token] = tokens_to(mailing, "new@example.com")
    with mailing.db.write() as db:
        create_user(db=db, email="new@example.com", password="a long password")
    with pytest.raises(Conflict) as caught:
        change(mailing, token)
    assert caught.value.code == "email_taken"
    row = user_row(mailing, ada.user.id)
    assert (row.email, row.pending_email) == ("ada@example.com", "new@example.com")


def test_the_operator_sets_an_address_and_old_links_stop_working(mailing):
    ada = make_account(mailing, "ada@example.com", email_confirmed=False)
    ask(mailing, ada.user.id, "asked@example.com")
    [token] = tokens_to(mailing, "asked@example.com")
    with mailing.db.write() as db:
        set_email(db=db, user=db.get_one(User, ada.user.id), email=" Vouched@Example.com")
    row = user_row(mailing, ada.user.id)
    assert (row.email, row.pending_email) == ("vouched@example.com", None)
    assert row.email_confirmed_at is not None
    refused_link(mailing, token)
    make_account(mailing, "bob@example.com")
    with pytest.raises(Conflict), mailing.db.write() as db:
        set_email(db=db, user=db.get_one(User, ada.user.id), email="bob@example.com")


def test_two_accounts_using_links_for_one_address_at_once_get_it_once(mailing_on):
    """Each holds a live link for the same new address; used at the same moment, one account
    gets it and the other is told it is taken (not a server error), on both databases."""
    people = [make_account(mailing_on, f"p{n}@example.com") for n in range(2)]
    for person in people:
        ask(mailing_on, person.user.id, "shared@example.com")
    tokens = tokens_to(mailing_on, "shared@example.com")
    results = at_once(
        [lambda token=token: change(mailing_on, token) for token in tokens], timeout=60
    )
    won = [r for r in results if isinstance(r, User)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert (len(won), len(lost)) == (1, 1), results
    assert lost[0].code == "email_taken"
    with mailing_on.db.read() as db:
        holders = db.scalars(select(User.id).where(User.email == "shared@example.com")).all()
    assert holders == [won[0].id]


def test_the_operators_new_password_cancels_but_a_rehash_at_sign_in_does_not(mailing, monkeypatch):
    """Signing in may store the same password hashed with newer parameters: the owner who
    signs in to use the link must find it working. A new password, the operator's too,
    cancels the change."""
    ada = make_account(mailing, "ada@example.com")
    ask(mailing, ada.user.id, "new@example.com")
    [token] = tokens_to(mailing, "new@example.com")
    before = user_row(mailing, ada.user.id).password_hash
    stronger = PasswordHasher(time_cost=service._hasher.time_cost + 1)  # as after an upgrade
    monkeypatch.setattr(service, "_hasher", stronger)
    with mailing.db.write() as db:
        authenticate(db=db, email="ada@example.com", password=ada.password)
    assert user_row(mailing, ada.user.id).password_hash != before  # re-hashed
    with mailing.db.read() as db:
        assert check_change_token(db=db, settings=mailing.settings, token=token).id == ada.user.id
    with mailing.db.write() as db:
        set_password(db=db, user_id=ada.user.id, password="a third long password")
    assert user_row(mailing, ada.user.id).pending_email is None
    refused_link(mailing, token)


def test_an_old_address_that_cannot_be_mailed_is_not_told(mailing):
    """An account from before addresses were checked at sign-up, confirmed by the upgrade,
    may have one the outbox cannot send to: the change still works (it is how to fix it)."""
    ada = make_account(mailing, "ada@example.com")
    odd = '"odd,one"@example.com'
    with mailing.db.write() as db:
        db.get_one(User, ada.user.id).email = odd
    ask(mailing, ada.user.id, "ada@example.com")
    [token] = tokens_to(mailing, "ada@example.com")
    assert change(mailing, token).email == "ada@example.com"
    assert mails_to(mailing, odd) == []


def test_a_pending_change_is_shown_only_while_its_link_works(mailing):
    ada = make_account(mailing, "ada@example.com")
    sent = utcnow()
    ask(mailing, ada.user.id, "new@example.com", now=sent)
    row = user_row(mailing, ada.user.id)
    days = timedelta(days=mailing.settings.email_confirmation_days)
    assert live_pending_email(row, mailing.settings, sent + days - timedelta(seconds=1)) == (
        "new@example.com"
    )
    assert live_pending_email(row, mailing.settings, sent + days) is None
    assert (
        live_pending_email(make_account(mailing, "bob@example.com").user, mailing.settings) is None
    )
