"""Confirming an email address: the emailed link (newest only, expiring, harmless twice), the
pace of new links, a password reset confirming too, and what an unconfirmed address is kept
from: notification emails (a cameo approval by that address: tests/domains/cameos)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reelmint.db.base import utcnow
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.email_confirmation import (
    CONFIRM_PATH,
    confirm_email,
    send_confirmation,
)
from reelmint.domains.accounts.models import ApiToken, User
from reelmint.domains.accounts.password_reset import (
    RESET_PATH,
    request_password_reset,
    reset_password,
)
from reelmint.domains.accounts.service import create_user, find_api_token
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.notifications.service import notify
from reelmint.domains.webhooks.models import WebhookEndpoint
from reelmint.domains.webhooks.service import EndpointRequest, create_endpoint
from reelmint.errors import BadRequest, Forbidden, TooManyRequests
from support import at_once, make_account


def unconfirmed(services, email: str = "new@example.com"):
    return make_account(services, email, email_confirmed=False)


def send(services, user_id: str, now=None) -> bool:
    with services.db.write() as db:
        user = db.get_one(User, user_id)
        return send_confirmation(db=db, settings=services.settings, user=user, now=now)


def links(services, to: str, path: str = CONFIRM_PATH) -> list[str]:
    with services.db.read() as db:
        query = select(EmailMessage).where(EmailMessage.to_address == to)
        found = db.scalars(query.order_by(EmailMessage.created_at)).all()
    return [m.link.removeprefix(path) for m in found if m.link and m.link.startswith(path)]


def mail_bodies(services, to: str) -> list[str]:
    with services.db.read() as db:
        query = select(EmailMessage.body_text).where(EmailMessage.to_address == to)
        return list(db.scalars(query.order_by(EmailMessage.created_at)))


def confirm(services, token: str, now=None, user_id: str | None = None) -> User:
    """Confirm as the account the token names (or as `user_id`, signed in elsewhere)."""
    with services.db.write() as db:
        user = db.get_one(User, user_id or token.partition(".")[0])
        return confirm_email(db=db, settings=services.settings, token=token, user=user, now=now)


def is_confirmed(services, user_id: str) -> bool:
    with services.db.read() as db:
        return db.get_one(User, user_id).email_confirmed_at is not None


def refused(services, token: str, user_id: str, now=None) -> None:
    """The link does not work, whoever is signed in (`user_id`)."""
    with pytest.raises(BadRequest) as caught:
        confirm(services, token, now=now, user_id=user_id)
    assert (caught.value.code, caught.value.param) == ("invalid_confirmation_link", "token")


def test_the_link_confirms_the_address_and_a_second_use_changes_nothing(services):
    new = unconfirmed(services)
    assert send(services, new.user.id) is True
    [token] = links(services, "new@example.com")
    assert not is_confirmed(services, new.user.id)
    assert confirm(services, token).id == new.user.id
    assert is_confirmed(services, new.user.id)
    with services.db.read() as db:
        first = db.get_one(User, new.user.id).email_confirmed_at
    confirm(services, token)  # opened again: still confirmed, at the first time
    with services.db.read() as db:
        assert db.get_one(User, new.user.id).email_confirmed_at == first
    assert send(services, new.user.id) is False  # nothing left to confirm
    assert len(links(services, "new@example.com")) == 1


def test_only_the_newest_link_works_and_new_ones_come_at_a_pace(services):
    new = unconfirmed(services)
    start = utcnow()
    send(services, new.user.id, now=start)
    with pytest.raises(TooManyRequests) as caught:
        send(services, new.user.id, now=start + timedelta(minutes=1))
    assert caught.value.code == "confirmation_recently_sent"
    assert "ask again in 4 minutes" in caught.value.message
    later = start + timedelta(minutes=services.settings.email_confirmation_resend_minutes)
    assert send(services, new.user.id, now=later) is True
    old, newest = links(services, "new@example.com")
    refused(services, old, new.user.id, now=later)
    confirm(services, newest, now=later)
    assert is_confirmed(services, new.user.id)


def test_a_link_expires(services):
    new = unconfirmed(services)
    start = utcnow()
    send(services, new.user.id, now=start)
    [token] = links(services, "new@example.com")
    days = services.settings.email_confirmation_days
    with services.db.read() as db:  # the outbox will not send it once it is dead
        mail = db.scalars(select(EmailMessage).where(EmailMessage.link.is_not(None))).one()
    assert mail.expires_at == start + timedelta(days=days)
    refused(services, token, new.user.id, now=start + timedelta(days=days))
    assert not is_confirmed(services, new.user.id)
    confirm(services, token, now=start + timedelta(days=days) - timedelta(seconds=1))
    assert is_confirmed(services, new.user.id)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "user_nobody." + token.partition(".")[2],
        lambda token: "",
        lambda token: "x" * 500,
        lambda token: token.partition(".")[0],
    ],
    ids=["mac", "user", "empty", "long", "no-mac"],
)
def test_a_changed_or_made_up_link_is_refused(services, tamper):
    new = unconfirmed(services)
    send(services, new.user.id)
    [token] = links(services, "new@example.com")
    refused(services, tamper(token), new.user.id)
    assert not is_confirmed(services, new.user.id)


def test_a_link_for_one_account_does_not_confirm_another(services):
    one, two = unconfirmed(services, "one@example.com"), unconfirmed(services, "two@example.com")
    send(services, one.user.id)
    send(services, two.user.id)
    [token] = links(services, "one@example.com")
    forged = f"{two.user.id}.{token.partition('.')[2]}"
    refused(services, forged, two.user.id)
    assert not is_confirmed(services, two.user.id)


def test_closed_and_disabled_accounts_get_no_link_and_theirs_stop_working(services):
    new = unconfirmed(services)
    send(services, new.user.id)
    [token] = links(services, "new@example.com")
    with services.db.write() as db:
        db.get_one(User, new.user.id).disabled_at = utcnow()
    assert send(services, new.user.id) is False
    refused(services, token, new.user.id)
    with services.db.write() as db:
        close_account(db=db, user=db.get_one(User, new.user.id), now=utcnow())
    with services.db.read() as db:
        closed = db.get_one(User, new.user.id)
        assert (closed.email_confirmed_at, closed.email_confirmation_sent_at) == (None, None)


def reset_by_mail(services, email: str) -> None:
    with services.db.write() as db:
        request_password_reset(db=db, settings=services.settings, email=email)
    [token] = links(services, email, RESET_PATH)
    with services.db.write() as db:
        reset_password(db=db, settings=services.settings, token=token, password="a new passphrase")


def live_credentials(services, user_id: str) -> tuple[int, int]:
    """The account's unrevoked API tokens and its webhooks."""
    with services.db.read() as db:
        tokens = db.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        )
        hooks = db.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(WebhookEndpoint.user_id == user_id)
        )
    return tokens, hooks


def test_the_addresss_owner_takes_back_an_account_someone_made_with_it(services):
    """Whoever signed up with someone else's address may hold API tokens and webhooks: the
    owner's password reset confirms the address and takes those away."""
    squatter = unconfirmed(services)
    hook = EndpointRequest(url="https://93.184.216.34/hooks")
    create_endpoint(services=services, actor=squatter.user, request=hook)
    assert live_credentials(services, squatter.user.id) == (1, 1)
    reset_by_mail(services, "new@example.com")
    assert is_confirmed(services, squatter.user.id)
    assert live_credentials(services, squatter.user.id) == (0, 0)
    with services.db.read() as db:
        assert find_api_token(db=db, secret=squatter.token) is None
    [*_, told] = mail_bodies(services, "new@example.com")
    assert "its API tokens were revoked and its webhooks removed" in told


def test_a_confirmed_accounts_reset_keeps_its_tokens_and_webhooks(services):
    sure = make_account(services, "sure@example.com")
    create_endpoint(
        services=services, actor=sure.user, request=EndpointRequest(url="https://93.184.216.34/h")
    )
    reset_by_mail(services, "sure@example.com")
    assert live_credentials(services, sure.user.id) == (1, 1)
    [*_, told] = mail_bodies(services, "sure@example.com")
    assert "API tokens were revoked" not in told


def test_a_link_confirms_only_for_the_account_it_was_sent_for(services):
    """Reading the mail is half the proof: a stranger who gets the link for an account made
    with their address, signed in to another account, confirms nothing."""
    new, other = unconfirmed(services), unconfirmed(services, "other@example.com")
    send(services, new.user.id)
    [token] = links(services, "new@example.com")
    with pytest.raises(Forbidden) as caught:
        confirm(services, token, user_id=other.user.id)
    assert caught.value.code == "confirmation_for_another_account"
    assert not is_confirmed(services, new.user.id)
    assert not is_confirmed(services, other.user.id)


def test_asking_for_links_at_once_sends_one(services_on):
    new = unconfirmed(services_on)
    outcomes = at_once([lambda: send(services_on, new.user.id) for _ in range(6)])
    sent = [outcome for outcome in outcomes if outcome is True]
    paced = [o for o in outcomes if isinstance(o, TooManyRequests)]
    assert (len(sent), len(paced)) == (1, 5), outcomes
    assert len(links(services_on, "new@example.com")) == 1


@pytest.mark.parametrize(
    ("after", "says"),
    [
        (timedelta(seconds=1), "ask again in 5 minutes"),
        (timedelta(minutes=3, seconds=59), "ask again in 2 minutes"),
        (timedelta(minutes=4), "ask again in 1 minute"),
        (timedelta(minutes=4, seconds=59), "ask again in 1 minute"),
        (-timedelta(hours=2), "ask again in 5 minutes"),  # sent "later" by a fast clock
    ],
)
def test_the_wait_is_rounded_up_to_whole_minutes(services, after, says):
    new = unconfirmed(services)
    start = utcnow()
    send(services, new.user.id, now=start)
    with pytest.raises(TooManyRequests) as caught:
        send(services, new.user.id, now=start + after)
    assert says in caught.value.message


def test_an_address_that_cannot_be_mailed_is_refused_at_sign_up(services):
    for address in ('a"b@example.com', "a(b)@example.com", "a,b@example.com"):
        with services.db.write() as db, pytest.raises(BadRequest) as caught:
            create_user(db=db, email=address, password="a long passphrase")
        assert (caught.value.code, caught.value.param) == ("invalid_email", "email")


def test_an_unconfirmed_address_is_told_in_the_app_only(services):
    new, sure = unconfirmed(services), make_account(services, "sure@example.com")
    for account in (new, sure):
        with services.db.write() as db:
            user = db.get_one(User, account.user.id)
            notify(db=db, user=user, kind="test", title="News", body="Something.", email=True)
    with services.db.read() as db:
        told = db.scalars(select(Notification.user_id)).all()
        mailed = db.scalars(select(EmailMessage.to_address)).all()
    assert sorted(told) == sorted([new.user.id, sure.user.id])
    assert mailed == ["sure@example.com"]
