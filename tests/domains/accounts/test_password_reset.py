"""Password reset by email: who gets a link, and when a link works (once, in time, unchanged)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import func, select

from reelmint.db.base import utcnow
from reelmint.domains.accounts import service
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.models import User, WebSession
from reelmint.domains.accounts.password_reset import (
    RESET_PATH,
    check_reset_token,
    request_password_reset,
    reset_password,
)
from reelmint.domains.accounts.throttle import claim_attempt
from reelmint.domains.notifications.models import EmailMessage
from reelmint.errors import BadRequest, TooManyRequests, Unauthorized
from support import at_once, make_account

NEW = "a brand new passphrase"


def ask(services, email: str, now=None) -> bool:
    with services.db.write() as db:
        return request_password_reset(db=db, settings=services.settings, email=email, now=now)


def mails(services, to: str) -> list[EmailMessage]:
    with services.db.read() as db:
        query = select(EmailMessage).where(EmailMessage.to_address == to)
        return list(db.scalars(query.order_by(EmailMessage.created_at)))


def last_token(services, to: str) -> str:
    links = [mail.link for mail in mails(services, to) if mail.link]
    assert links
    assert links[-1].startswith(RESET_PATH)
    return links[-1].removeprefix(RESET_PATH)


def reset(services, token: str, password: str = NEW, now=None) -> tuple[User, int]:
    with services.db.write() as db:
        return reset_password(
            db=db, settings=services.settings, token=token, password=password, now=now
        )


def refused_link(services, token: str, now=None) -> None:
    with pytest.raises(BadRequest) as caught:
        reset(services, token, now=now)
    assert caught.value.code == "invalid_reset_link"


def signs_in(services, email: str, password: str) -> bool:
    with services.db.write() as db:
        try:
            service.authenticate(db=db, email=email, password=password)
        except Unauthorized:
            return False
    return True


def test_a_known_address_gets_a_link_and_others_get_nothing(services):
    ada = make_account(services)
    assert ask(services, " ADA@example.com ") is True
    [mail] = mails(services, ada.email)
    assert mail.user_id == ada.user.id
    assert "60 minutes" in mail.body_text
    token = last_token(services, ada.email)
    assert token.startswith(ada.user.id + ".")
    assert len(token.partition(".")[2]) >= 43  # a 256-bit MAC
    assert ask(services, "nobody@example.com") is False
    with services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(EmailMessage)) == 1
    with pytest.raises(BadRequest) as caught:
        ask(services, "not an address")
    assert caught.value.code == "invalid_email"


def test_closed_and_disabled_accounts_get_no_email(services):
    closed = make_account(services, "closed@example.com")
    disabled = make_account(services, "disabled@example.com")
    with services.db.write() as db:
        close_account(db=db, user=db.get(User, closed.user.id))
        db.get(User, disabled.user.id).disabled_at = utcnow()
    assert ask(services, closed.email) is False
    assert ask(services, disabled.email) is False
    with services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(EmailMessage)) == 0


def test_one_address_gets_one_email_every_few_minutes(services):
    ada = make_account(services)
    start = utcnow()
    assert ask(services, ada.email, now=start)
    first = last_token(services, ada.email)
    assert not ask(services, ada.email, now=start + timedelta(minutes=4, seconds=59))
    assert len(mails(services, ada.email)) == 1
    assert ask(services, ada.email, now=start + timedelta(minutes=5))
    assert len(mails(services, ada.email)) == 2
    second = last_token(services, ada.email)
    assert second != first
    refused_link(services, first, now=start + timedelta(minutes=6))  # replaced by the newer one
    reset(services, second, now=start + timedelta(minutes=6))


def test_a_link_sets_the_password_once_and_ends_every_session(services):
    ada = make_account(services)
    with services.db.write() as db:
        user = db.get(User, ada.user.id)
        service.start_web_session(db=db, user=user)
        service.start_web_session(db=db, user=user)
    ask(services, ada.email)
    token = last_token(services, ada.email)
    with pytest.raises(BadRequest) as caught:
        reset(services, token, password="short")
    assert caught.value.code == "weak_password"
    user, ended = reset(services, token)  # a refused password did not use the link up
    assert (user.id, ended) == (ada.user.id, 2)
    with services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(WebSession)) == 0
    assert signs_in(services, ada.email, NEW)
    assert not signs_in(services, ada.email, ada.password)
    refused_link(services, token)  # used
    told = mails(services, ada.email)[-1]
    assert told.subject == "Your reelmint password was changed"
    assert told.link is None
    with services.db.read() as db:  # API tokens stay, as with a password change
        assert service.find_api_token(db=db, secret=ada.token) is not None


def test_a_link_expires(services):
    ada = make_account(services)
    sent = utcnow()
    ask(services, ada.email, now=sent)
    token = last_token(services, ada.email)
    with services.db.read() as db:  # the outbox will not send it once it is dead
        mail = db.scalars(select(EmailMessage).where(EmailMessage.link.is_not(None))).one()
    assert mail.expires_at == sent + timedelta(minutes=60)
    refused_link(services, token, now=sent + timedelta(minutes=60))
    with services.db.read() as db:
        user = check_reset_token(
            db=db, settings=services.settings, token=token, now=sent + timedelta(minutes=59)
        )
    assert user.id == ada.user.id


def test_a_password_change_ends_the_link(services):
    ada = make_account(services)
    ask(services, ada.email)
    token = last_token(services, ada.email)
    with services.db.write() as db:
        user = db.get(User, ada.user.id)
        service.change_password(db=db, user=user, current=ada.password, new="another passphrase")
    refused_link(services, token)
    assert signs_in(services, ada.email, "another passphrase")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: token.partition(".")[0],
        lambda token: "user_" + "0" * 24 + "." + token.partition(".")[2],
        lambda token: token + "." + token,
        lambda token: "",
        lambda token: "x" * 500,
    ],
    ids=["mac-changed", "no-mac", "other-user", "doubled", "empty", "huge"],
)
def test_a_changed_or_made_up_link_is_refused(services, tamper):
    ada = make_account(services)
    other = make_account(services, "bob@example.com")
    ask(services, ada.email)
    ask(services, other.email)
    token = last_token(services, ada.email)
    refused_link(services, tamper(token))
    assert signs_in(services, ada.email, ada.password)


def test_a_link_for_one_user_does_not_open_another(services):
    ada = make_account(services)
    bob = make_account(services, "bob@example.com")
    ask(services, ada.email)
    ask(services, bob.email)
    ada_mac = last_token(services, ada.email).partition(".")[2]
    refused_link(services, f"{bob.user.id}.{ada_mac}")


def test_a_reset_unlocks_a_locked_account(services):
    ada = make_account(services)
    now = utcnow()
    with services.db.write() as db:
        for _ in range(services.settings.login_max_failures):
            claim_attempt(db=db, settings=services.settings, email=ada.email, now=now)
    with services.db.write() as db, pytest.raises(TooManyRequests):
        service.authenticate(db=db, email=ada.email, password=ada.password, now=now)
    ask(services, ada.email, now=now)
    reset(services, last_token(services, ada.email), now=now)
    with services.db.write() as db:
        user = service.authenticate(db=db, email=ada.email, password=NEW, now=now)
        assert (user.failed_logins, user.login_locked_until) == (0, None)


def test_one_link_used_twice_at_once_sets_one_password(services_on):
    ada = make_account(services_on)
    ask(services_on, ada.email)
    token = last_token(services_on, ada.email)

    def use(password: str) -> str:
        try:
            reset(services_on, token, password=password)
        except BadRequest as refused:
            return refused.code
        return password

    outcomes = at_once([partial(use, p) for p in (NEW, "another new passphrase")])
    assert outcomes.count("invalid_reset_link") == 1
    [winner] = [o for o in outcomes if o != "invalid_reset_link"]
    assert signs_in(services_on, ada.email, winner)
