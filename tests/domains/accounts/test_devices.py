"""Device cookies: a browser that signed in to an account has its wrong passwords counted
apart, so a stranger's guessing does not lock the owner out of their own browsers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from reelmint.db.base import utcnow
from reelmint.domains.accounts import service, throttle
from reelmint.domains.accounts.devices import (
    DEVICE_LIFETIME,
    MAX_DEVICES,
    devices_of,
    find_device,
    forget_devices,
    forget_old_devices,
    remember_device,
)
from reelmint.domains.accounts.models import LoginDevice, User
from reelmint.domains.accounts.password_reset import (
    request_password_reset,
    reset_password,
    reset_token,
)
from reelmint.domains.accounts.throttle import counting_failures, counting_password_checks
from reelmint.errors import Forbidden, TooManyRequests, Unauthorized
from support import at_once, make_account

WRONG = "not the password at all"


def attempt(services, email: str, password: str, device: str | None, now=None) -> str:
    """One sign-in as the login page makes it, from a browser holding `device`: 'ok', or the
    refusal's code."""
    try:
        with (
            counting_failures(services.db, services.settings, email, now, device_secret=device),
            services.db.write() as db,
        ):
            service.authenticate(db=db, email=email, password=password, now=now, claimed=True)
    except (Unauthorized, TooManyRequests) as error:
        return error.code
    return "ok"


def remember(services, user: User, secret: str | None = None, now=None) -> str:
    with services.db.write() as db:
        return remember_device(db=db, user=db.get_one(User, user.id), secret=secret, now=now)


def account_state(services, user_id: str) -> tuple[int, object]:
    with services.db.read() as db:
        user = db.get_one(User, user_id)
        return user.failed_logins, user.login_locked_until


def device_state(services, secret: str, user_id: str) -> tuple[int, object]:
    with services.db.read() as db:
        device = find_device(db=db, secret=secret, user_id=user_id)
        assert device is not None
        return device.failed_logins, device.locked_until


def device_count(services, user_id: str) -> int:
    with services.db.read() as db:
        query = select(func.count()).select_from(LoginDevice)
        return db.scalar(query.where(LoginDevice.user_id == user_id))


def lock_account(services, email: str, now) -> None:
    """A stranger, with no device cookie, guesses until the account locks."""
    for _ in range(services.settings.login_max_failures):
        assert attempt(services, email, WRONG, None, now) == "invalid_credentials"
    assert attempt(services, email, WRONG, None, now) == "too_many_attempts"


# --- remembering browsers ---------------------------------------------------------------------


def test_a_browser_is_remembered_once_and_its_cookie_kept(services):
    ada = make_account(services)
    first = remember(services, ada.user)
    assert remember(services, ada.user, first) == first
    assert device_count(services, ada.user.id) == 1
    with services.db.read() as db:
        [device] = devices_of(db=db, user_id=ada.user.id)
        assert device.token_hash != first  # only the hash is kept
        assert len(device.token_hash) == 64


def test_another_accounts_cookie_or_junk_gets_a_new_device(services):
    ada, bea = make_account(services), make_account(services, "bea@example.com")
    adas = remember(services, ada.user)
    beas = remember(services, bea.user, adas)  # one browser, two accounts
    assert beas != adas
    assert remember(services, ada.user, "x" * 500) != adas
    assert device_count(services, ada.user.id) == 2
    assert device_count(services, bea.user.id) == 1


def test_an_account_keeps_its_most_recently_used_devices(services):
    ada = make_account(services)
    start = utcnow()
    secrets = [
        remember(services, ada.user, now=start + timedelta(seconds=n))
        for n in range(MAX_DEVICES + 3)
    ]
    assert device_count(services, ada.user.id) == MAX_DEVICES
    with services.db.read() as db:
        assert find_device(db=db, secret=secrets[0], user_id=ada.user.id) is None
        assert find_device(db=db, secret=secrets[-1], user_id=ada.user.id) is not None


def test_a_device_unused_for_its_lifetime_is_forgotten(services):
    ada = make_account(services)
    long_ago = utcnow() - DEVICE_LIFETIME - timedelta(minutes=1)
    old = remember(services, ada.user, now=long_ago)
    fresh = remember(services, ada.user)
    with services.db.read() as db:
        assert find_device(db=db, secret=old, user_id=ada.user.id) is None
    assert remember(services, ada.user, old) != old  # a stale cookie is not revived
    with services.db.write() as db:
        assert forget_old_devices(db=db, now=utcnow()) == 1
    assert device_count(services, ada.user.id) == 2
    with services.db.read() as db:
        assert find_device(db=db, secret=fresh, user_id=ada.user.id) is not None


def test_forgetting_devices_can_keep_the_one_asking(services):
    ada = make_account(services)
    mine, other = remember(services, ada.user), remember(services, ada.user)
    with services.db.write() as db:
        assert forget_devices(db=db, user_id=ada.user.id, keep_secret=mine) == 1
    with services.db.read() as db:
        assert find_device(db=db, secret=mine, user_id=ada.user.id) is not None
        assert find_device(db=db, secret=other, user_id=ada.user.id) is None


# --- counting on the device -------------------------------------------------------------------


def test_a_strangers_guessing_does_not_lock_the_owners_browser(services):
    ada = make_account(services)
    device = remember(services, ada.user)
    now = utcnow()
    lock_account(services, ada.email, now)
    assert attempt(services, ada.email, ada.password, None, now) == "too_many_attempts"
    assert attempt(services, ada.email, ada.password, device, now) == "ok"
    # The owner's sign-in leaves the stranger's lock where it was.
    failures, locked_until = account_state(services, ada.user.id)
    assert failures == services.settings.login_max_failures
    assert locked_until is not None
    assert locked_until > now
    assert attempt(services, ada.email, ada.password, None, now) == "too_many_attempts"


def test_the_account_lock_message_says_known_browsers_can_still_sign_in(services):
    ada = make_account(services)
    now = utcnow()
    lock_account(services, ada.email, now)
    with services.db.write() as db, pytest.raises(TooManyRequests) as caught:
        service.authenticate(db=db, email=ada.email, password=ada.password, now=now)
    assert "a browser that has signed in to it before can still sign in" in caught.value.message


def test_wrong_passwords_in_a_browser_lock_that_browser_only(services):
    ada = make_account(services)
    device = remember(services, ada.user)
    now = utcnow()
    for _ in range(services.settings.login_max_failures):
        assert attempt(services, ada.email, WRONG, device, now) == "invalid_credentials"
    assert device_state(services, device, ada.user.id) == (5, now + timedelta(minutes=1))
    assert account_state(services, ada.user.id) == (0, None)
    locked = counting_failures(services.db, services.settings, ada.email, now, device_secret=device)
    with pytest.raises(TooManyRequests) as caught, locked:
        pass
    assert "too many wrong passwords in this browser" in caught.value.message
    assert "try again in 1 minute" in caught.value.message
    # Another browser (no cookie) is not locked by it.
    assert attempt(services, ada.email, ada.password, None, now) == "ok"
    # After the lock the next wrong one locks it for twice as long, as an account's does.
    later = now + timedelta(minutes=1)
    assert attempt(services, ada.email, WRONG, device, later) == "invalid_credentials"
    assert device_state(services, device, ada.user.id) == (6, later + timedelta(minutes=2))


def test_a_right_password_in_the_browser_clears_its_count_only(services):
    ada = make_account(services)
    device = remember(services, ada.user)
    now = utcnow()
    for _ in range(3):
        assert attempt(services, ada.email, WRONG, device, now) == "invalid_credentials"
        assert attempt(services, ada.email, WRONG, None, now) == "invalid_credentials"
    assert attempt(services, ada.email, ada.password, device, now) == "ok"
    assert device_state(services, device, ada.user.id) == (0, None)
    assert account_state(services, ada.user.id) == (3, None)


def test_a_device_of_another_account_counts_on_the_account_typed(services):
    ada, bea = make_account(services), make_account(services, "bea@example.com")
    adas = remember(services, ada.user)
    now = utcnow()
    assert attempt(services, bea.email, WRONG, adas, now) == "invalid_credentials"
    assert account_state(services, bea.user.id) == (1, None)
    assert device_state(services, adas, ada.user.id) == (0, None)


def test_a_forgotten_device_counts_on_the_account_again(services):
    ada = make_account(services)
    device = remember(services, ada.user)
    with services.db.write() as db:
        forget_devices(db=db, user_id=ada.user.id)
    now = utcnow()
    lock_account(services, ada.email, now)
    assert attempt(services, ada.email, ada.password, device, now) == "too_many_attempts"


def test_a_burst_of_guesses_from_one_browser_checks_no_more_than_the_limit(
    services_on, monkeypatch
):
    """A burst of guesses from one device cookie gets no more passwords checked than the
    limit, as on the account, even all at once."""
    ada = make_account(services_on)
    device = remember(services_on, ada.user)
    limit = services_on.settings.login_max_failures
    tries = 3 * limit
    checked: list[str] = []
    real = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: checked.append(p) or real(h, p))
    codes = at_once([lambda: attempt(services_on, ada.email, WRONG, device)] * tries)
    assert len(checked) == limit
    assert sorted(codes) == ["invalid_credentials"] * limit + ["too_many_attempts"] * (
        tries - limit
    )
    assert device_state(services_on, device, ada.user.id)[0] == limit
    assert account_state(services_on, ada.user.id) == (0, None)
    assert attempt(services_on, ada.email, ada.password, device) == "too_many_attempts"
    assert attempt(services_on, ada.email, ada.password, None) == "ok"


def test_a_password_asked_again_counts_on_the_browser(services):
    """Settings' forms: with the browser's device, a locked account does not stop them, and a
    wrong password counts on the device."""
    ada = make_account(services)
    device = remember(services, ada.user)
    lock_account(services, ada.email, utcnow())

    def close_with(password: str) -> None:
        with (
            counting_password_checks(
                services.db, services.settings, ada.user, device_secret=device
            ),
            services.db.write() as db,
        ):
            service.require_password(db.get_one(User, ada.user.id), password, param="password")

    with pytest.raises(Forbidden):
        close_with(WRONG)
    assert device_state(services, device, ada.user.id)[0] == 1
    close_with(ada.password)
    assert device_state(services, device, ada.user.id) == (0, None)
    assert account_state(services, ada.user.id)[1] is not None  # still locked for strangers
    without_device = counting_password_checks(services.db, services.settings, ada.user)
    with pytest.raises(TooManyRequests), without_device:
        pass


# --- new passwords and closing ----------------------------------------------------------------


def test_a_new_password_forgets_every_other_browser(services):
    ada = make_account(services)
    mine, other = remember(services, ada.user), remember(services, ada.user)
    with services.db.write() as db:
        service.change_password(
            db=db,
            user=db.get_one(User, ada.user.id),
            current=ada.password,
            new="a brand new passphrase",
            keep_device_secret=mine,
        )
    with services.db.read() as db:
        assert find_device(db=db, secret=mine, user_id=ada.user.id) is not None
        assert find_device(db=db, secret=other, user_id=ada.user.id) is None


def test_a_reset_or_the_operators_password_forgets_every_browser(services):
    ada = make_account(services)
    remember(services, ada.user)
    with services.db.write() as db:
        service.set_password(db=db, user_id=ada.user.id, password="set by the operator")
    assert device_count(services, ada.user.id) == 0
    remember(services, ada.user)
    with services.db.write() as db:
        assert request_password_reset(db=db, settings=services.settings, email=ada.email)
        token = reset_token(db.get_one(User, ada.user.id), services.settings)
    with services.db.write() as db:
        reset_password(db=db, settings=services.settings, token=token, password="reset it now")
    assert device_count(services, ada.user.id) == 0


def test_a_fault_clearing_the_devices_count_does_not_undo_the_sign_in(
    services, monkeypatch, caplog
):
    """Clearing the device's count after a right password is best effort: a database fault
    then is logged, the sign-in stands, the count stays, and the request's context is reset."""
    ada = make_account(services)
    device = remember(services, ada.user)
    now = utcnow()
    assert attempt(services, ada.email, WRONG, device, now) == "invalid_credentials"
    real_write = services.db.write

    def failing_once_verified():
        # Only the clearing opens a transaction while an attempt on a device is being
        # counted and its password was found right.
        if throttle._counting_device.get() is not None and throttle._password_verified.get():
            raise OperationalError("UPDATE login_devices", {}, Exception("database is locked"))
        return real_write()

    monkeypatch.setattr(services.db, "write", failing_once_verified)
    verified_before = throttle._password_verified.get()
    assert attempt(services, ada.email, ada.password, device, now) == "ok"
    monkeypatch.undo()
    assert device_state(services, device, ada.user.id)[0] == 2  # this attempt was counted too
    assert "could not clear the wrong-password count of device" in caplog.text
    assert throttle._password_verified.get() is verified_before
    assert throttle._counting_device.get() is None
