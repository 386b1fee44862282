"""`reelmint admin tokens`: the operator lists an account's API tokens and revokes one that
leaked, or all of them, without closing the account; the owner is told in the app. Bad input is
one line and exit 2."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.domains.accounts.models import ApiToken
from reelmint.domains.accounts.service import find_api_token, find_user
from reelmint.domains.notifications.models import Notification


@pytest.fixture
def platform(cli, data_dir):
    """A migrated platform where ada@example.com has two tokens, and bob@example.com one."""
    assert cli("migrate").code == 0
    for email in ("ada@example.com", "bob@example.com"):
        assert cli("admin", "create-user", email, "--password", "a long password").code == 0
    secrets = {
        name: cli("admin", "create-token", email, "--name", name).out.strip()
        for email, name in (
            ("ada@example.com", "laptop"),
            ("ada@example.com", "ci"),
            ("bob@example.com", "phone"),
        )
    }
    services = build_services(Settings(data_dir=data_dir))
    yield services, secrets
    services.close()


def _tokens(services, email):
    with services.db.read() as db:
        user = find_user(db=db, email=email)
        query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.name)
        return {token.name: token for token in db.scalars(query)}


def _told(services, email):
    with services.db.read() as db:
        user = find_user(db=db, email=email)
        found = db.scalars(select(Notification).where(Notification.user_id == user.id))
        return [(n.kind, n.title, n.body, n.link) for n in found]


def test_list_prints_each_working_token_and_nothing_secret(cli, platform):
    _services, secrets = platform
    listed = cli("admin", "tokens", "list", "ada@example.com")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert [line.split("\t")[1] for line in lines] == ["ci", "laptop"]  # newest first
    for line in lines:
        token_id, name, hint, created, used = line.split("\t")
        assert re.fullmatch(r"tok_[a-z0-9]{24}", token_id)
        assert secrets[name].startswith(hint)
        assert len(hint) == 10
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created)
        assert used == "never"
    assert not any(secret in listed.out for secret in secrets.values())
    assert cli("admin", "tokens", "list", "nobody@example.com").err == (
        "error: no account with email nobody@example.com\n"
    )


def test_revoke_one_stops_it_at_once_and_tells_its_owner(cli, platform):
    services, secrets = platform
    laptop = _tokens(services, "ada@example.com")["laptop"]
    revoked = cli("admin", "tokens", "revoke", laptop.id)
    assert revoked.code == 0, revoked.err
    assert revoked.out == f"revoked {laptop.id} (laptop)\n"
    with services.db.read() as db:
        assert find_api_token(db=db, secret=secrets["laptop"]) is None
        assert find_api_token(db=db, secret=secrets["ci"]) is not None  # the others work
        assert find_api_token(db=db, secret=secrets["phone"]) is not None
    [(kind, title, body, link)] = _told(services, "ada@example.com")
    assert (kind, title, link) == (
        "api_token_revoked",
        "The operator revoked your API token",
        "/settings/tokens",
    )
    assert f"“laptop” ({laptop.hint}…)" in body
    assert "operator" in body
    assert _told(services, "bob@example.com") == []
    listed = cli("admin", "tokens", "list", "ada@example.com")
    assert [line.split("\t")[1] for line in listed.out.splitlines()] == ["ci"]

    again = cli("admin", "tokens", "revoke", laptop.id)  # nothing to do, nobody told twice
    assert again.code == 0
    assert again.out.startswith(f"{laptop.id} (laptop) was revoked already, at ")
    assert len(_told(services, "ada@example.com")) == 1


def test_revoke_all_stops_every_token_of_the_account_and_says_how_many(cli, platform):
    services, secrets = platform
    revoked = cli("admin", "tokens", "revoke", "--all", "ada@example.com")
    assert revoked.code == 0, revoked.err
    assert revoked.out == "revoked 2 API tokens of ada@example.com\n"
    with services.db.read() as db:
        assert find_api_token(db=db, secret=secrets["laptop"]) is None
        assert find_api_token(db=db, secret=secrets["ci"]) is None
        assert find_api_token(db=db, secret=secrets["phone"]) is not None
    [(_, title, body, _)] = _told(services, "ada@example.com")  # one notification for both
    assert title == "The operator revoked your API tokens"
    assert "“laptop”" in body
    assert "“ci”" in body
    assert cli("admin", "tokens", "list", "ada@example.com").out == "no API tokens\n"
    none_left = cli("admin", "tokens", "revoke", "--all", "ada@example.com")
    assert none_left.out == "revoked 0 API tokens of ada@example.com\n"
    assert len(_told(services, "ada@example.com")) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("revoke", "tok_nosuchtoken"),
            "error: no token tok_nosuchtoken; give a token's id (tok_..., as `reelmint admin "
            "tokens list EMAIL` prints it)\n",
        ),
        (
            ("revoke", "--all", "nobody@example.com"),
            "error: no account with email nobody@example.com\n",
        ),
    ],
)
def test_refusals_are_one_line_with_exit_2(cli, platform, argv, message):
    result = cli("admin", "tokens", *argv)
    assert (result.code, result.err, result.out) == (2, message, "")
