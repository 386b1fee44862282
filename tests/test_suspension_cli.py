"""`reelmint admin suspend EMAIL --reason` and `admin reinstate EMAIL`: the operator stops an
account for a while and lets it back; bad input is one line on stderr and exit 2."""

from __future__ import annotations

import pytest

from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.domains.accounts.service import find_user


@pytest.fixture
def platform(cli, data_dir):
    assert cli("migrate").code == 0
    assert cli("admin", "create-user", "ada@example.com", "--password", "a long password").code == 0
    services = build_services(Settings(data_dir=data_dir))
    yield services
    services.close()


def _suspended(services) -> tuple[object, object]:
    with services.db.read() as db:
        user = find_user(db=db, email="ada@example.com")
        return user.suspended_at, user.suspended_reason


def test_suspend_then_reinstate(cli, platform):
    done = cli("admin", "suspend", "ada@example.com", "--reason", "spam  in\tthe feed")
    assert done.code == 0, done.err
    first, second = done.out.splitlines()
    assert first.startswith("user_")
    assert " suspended since 20" in first
    assert first.split(": ", 1)[1] == "spam in the feed"
    assert second == (
        "ended 0 browser sessions; took 0 videos of others off the feed "
        "(they play its videos again)"
    )
    assert _suspended(platform)[1] == "spam in the feed"

    again = cli("admin", "suspend", "ada@example.com", "--reason", "spam in the feed")
    assert (again.code, len(again.out.splitlines())) == (0, 1)  # no change, nothing ended

    back = cli("admin", "reinstate", "ada@example.com")
    assert (back.code, back.out.strip().endswith(" reinstated")) == (0, True)
    assert _suspended(platform) == (None, None)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("suspend", "ada@example.com", "--reason", " "), "say why the account is suspended"),
        (("suspend", "nobody@example.com", "--reason", "spam"), "nobody@example.com"),
        (("reinstate", "ada@example.com"), "is not suspended"),
    ],
)
def test_refusals_are_one_line(cli, platform, args, says):
    refused = cli("admin", *args)
    assert refused.code == 2
    assert len(refused.err.strip().splitlines()) == 1
    assert says in refused.err
    assert "Traceback" not in refused.err
    assert _suspended(platform) == (None, None)


def test_the_notice_names_how_to_reach_the_operator(cli, platform, monkeypatch):
    from sqlalchemy import select

    from reelmint.domains.notifications.models import Notification

    monkeypatch.setenv("REELMINT_OPERATOR_CONTACT", "help@video.example.com")
    assert cli("admin", "suspend", "ada@example.com", "--reason", "spam").code == 0
    with platform.db.read() as db:
        user = find_user(db=db, email="ada@example.com")
        query = select(Notification.body).where(
            Notification.user_id == user.id, Notification.kind == "account_suspension"
        )
        [body] = db.scalars(query).all()
    assert "Write to the operator at help@video.example.com to ask about it." in body


def test_an_operator_contact_with_a_control_character_is_refused():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        Settings(operator_contact="help@example.com\x1b[2J")
