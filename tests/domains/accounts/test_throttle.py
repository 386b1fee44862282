"""Login throttling: wrong passwords in a row lock an account's sign-in for a growing while."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reelmint.bootstrap import build_services
from reelmint.db.base import utcnow
from reelmint.domains.accounts import service
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.throttle import (
    claim_attempt,
    counting_failures,
    counting_password_checks,
    lockout_for,
)
from reelmint.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
from support import at_once, make_account

WRONG = "not the password at all"


def attempt(services, email: str, password: str, now=None) -> str:
    """One sign-in as the login page makes it: 'ok', or the refusal's code."""
    try:
        with (
            counting_failures(services.db, services.settings, email, now),
            services.db.write() as db,
        ):
            service.authenticate(db=db, email=email, password=password, now=now, claimed=True)
    except (Unauthorized, TooManyRequests) as error:
        return error.code
    return "ok"


def state(services, user_id: str) -> tuple[int, object]:
    with services.db.read() as db:
        user = db.get(User, user_id)
        return user.failed_logins, user.login_locked_until


def test_the_lockout_starts_at_a_minute_doubles_and_is_capped(services):
    settings = services.settings
    assert settings.login_max_failures == 5
    minutes = [lockout_for(failures, settings) for failures in range(3, 11)]
    assert minutes == [
        None,
        None,
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=8),
        timedelta(minutes=15),
        timedelta(minutes=15),
    ]
    assert lockout_for(10_000, settings) == timedelta(minutes=15)


def test_too_many_wrong_passwords_lock_the_account_and_time_unlocks_it(services):
    ada = make_account(services)
    now = utcnow()
    for _ in range(4):
        assert attempt(services, ada.email, WRONG, now) == "invalid_credentials"
    assert state(services, ada.user.id) == (4, None)
    assert attempt(services, ada.email, WRONG, now) == "invalid_credentials"  # the fifth
    assert state(services, ada.user.id) == (5, now + timedelta(minutes=1))
    with services.db.write() as db, pytest.raises(TooManyRequests) as caught:
        service.authenticate(db=db, email=ada.email, password=ada.password, now=now)
    assert (caught.value.status, caught.value.code) == (429, "too_many_attempts")
    assert "try again in 1 minute " in caught.value.message
    # While locked, nothing is checked or counted.
    assert attempt(services, ada.email, WRONG, now + timedelta(seconds=59)) == "too_many_attempts"
    assert state(services, ada.user.id)[0] == 5
    later = now + timedelta(minutes=1)
    assert attempt(services, ada.email, WRONG, later) == "invalid_credentials"  # the sixth
    assert state(services, ada.user.id) == (6, later + timedelta(minutes=2))
    with services.db.write() as db, pytest.raises(TooManyRequests) as caught:
        service.authenticate(db=db, email=ada.email, password=ada.password, now=later)
    assert "try again in 2 minutes" in caught.value.message
    assert attempt(services, ada.email, ada.password, later + timedelta(minutes=2)) == "ok"
    assert state(services, ada.user.id) == (0, None)


def test_a_sign_in_clears_the_count(services):
    ada = make_account(services)
    now = utcnow()
    for _ in range(4):
        attempt(services, ada.email, WRONG, now)
    assert attempt(services, ada.email, ada.password, now) == "ok"
    assert state(services, ada.user.id) == (0, None)
    for _ in range(4):  # four more do not lock: the count started again
        assert attempt(services, ada.email, WRONG, now) == "invalid_credentials"
    assert attempt(services, ada.email, ada.password, now) == "ok"


def test_unknown_and_disabled_addresses_write_nothing_and_still_hash(services, monkeypatch):
    ada = make_account(services)
    with services.db.write() as db:
        db.get(User, ada.user.id).disabled_at = utcnow()
    checked: list[str] = []
    real = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: checked.append(h) or real(h, p))
    for email in ("nobody@example.com", ada.email):
        for _ in range(7):
            assert attempt(services, email, WRONG) == "invalid_credentials"
    assert len(checked) == 14  # a dummy hash is checked, taking as long as a real one
    with services.db.write() as db:
        assert db.scalar(select(func.count()).select_from(User)) == 1
        assert claim_attempt(db=db, settings=services.settings, email="nobody@example.com") is None
    assert state(services, ada.user.id) == (0, None)


def test_the_count_holds_across_processes_on_one_database(services):
    ada = make_account(services)
    other = build_services(services.settings)  # another process's services, same database
    try:
        now = utcnow()
        for count in range(5):
            assert attempt(other if count % 2 else services, ada.email, WRONG, now) == (
                "invalid_credentials"
            )
        assert attempt(other, ada.email, ada.password, now) == "too_many_attempts"
        assert attempt(services, ada.email, ada.password, now) == "too_many_attempts"
    finally:
        other.close()


def test_wrong_passwords_at_once_are_all_counted(services_on):
    ada = make_account(services_on)
    tries = services_on.settings.login_max_failures  # each is checked: only the last locks
    codes = at_once([lambda: attempt(services_on, ada.email, WRONG)] * tries)
    assert sorted(codes) == ["invalid_credentials"] * tries
    failures, locked_until = state(services_on, ada.user.id)
    assert failures == tries
    assert locked_until is not None
    assert attempt(services_on, ada.email, ada.password) == "too_many_attempts"


def test_a_burst_of_guesses_gets_no_more_passwords_checked_than_the_limit(services_on, monkeypatch):
    """Guesses arriving at once: each is counted before its password is checked, so the one
    that reaches the limit locks the account and the rest are refused unchecked."""
    ada = make_account(services_on)
    limit = services_on.settings.login_max_failures
    tries = 3 * limit
    checked: list[str] = []
    real = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: checked.append(p) or real(h, p))
    codes = at_once([lambda: attempt(services_on, ada.email, WRONG)] * tries)
    assert len(checked) == limit  # no more passwords were tried than the limit allows
    assert sorted(codes) == ["invalid_credentials"] * limit + ["too_many_attempts"] * (
        tries - limit
    )
    assert state(services_on, ada.user.id)[0] == limit
    assert attempt(services_on, ada.email, ada.password) == "too_many_attempts"


@pytest.mark.parametrize(
    ("password", "error", "count"),
    [
        ("correct horse battery", RuntimeError("the disk is full"), 0),
        ("correct horse battery", Conflict("taken", code="email_taken"), 0),
        (WRONG, None, 4),
    ],
    ids=["fault-after-right", "refused-after-right", "wrong"],
)
def test_a_password_asked_again_counts_only_when_wrong(services, password, error, count):
    """`counting_password_checks` counts the attempt first; a right password clears the count
    even when what follows fails and its transaction is rolled back; a wrong one adds one."""
    ada = make_account(services)
    with services.db.write() as db:
        db.get_one(User, ada.user.id).failed_logins = 3

    def ask_again() -> None:
        with (
            counting_password_checks(services.db, services.settings, ada.user),
            services.db.write() as db,
        ):
            service.require_password(db.get_one(User, ada.user.id), password, param="password")
            raise error  # what the request did after the password was found right

    with pytest.raises(Forbidden if error is None else type(error)):
        ask_again()
    assert state(services, ada.user.id)[0] == count
