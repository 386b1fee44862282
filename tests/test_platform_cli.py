"""Operator commands that scripts rely on: migrate, admin create-user, admin create-token."""

from __future__ import annotations

import re

import pytest

from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.domains.accounts.service import authenticate, find_api_token
from reelmint.errors import BadRequest
from support import moto_s3


def _services(data_dir):
    return build_services(Settings(data_dir=data_dir))


def test_migrate_create_user_and_token(cli, data_dir):
    first = cli("migrate")
    assert first.code == 0, first.err
    assert "schema revision" in first.out
    assert cli("migrate").code == 0  # idempotent

    made = cli(
        "admin",
        "create-user",
        "Ops@Example.com",
        "--password",
        "a long password",
        "--role",
        "admin",
    )
    assert made.code == 0, made.err
    assert re.fullmatch(r"user_[a-z0-9]{24}\n", made.out)

    token = cli("admin", "create-token", "ops@example.com", "--name", "deploy")
    assert token.code == 0
    assert re.fullmatch(r"rm_[A-Za-z0-9_\-]{43}\n", token.out)  # only the token, for scripts

    services = _services(data_dir)
    with services.db.write() as db:
        user = authenticate(db=db, email="ops@example.com", password="a long password")
        assert user.role == "admin"
        assert user.email_confirmed_at is not None  # the operator vouches for the address
        assert find_api_token(db=db, secret=token.out.strip())[1].id == user.id
    services.close()


def test_exists_ok_resets_password_and_role(cli, data_dir):
    cli("migrate")
    cli("admin", "create-user", "demo@example.com", "--password", "first password")
    again = cli("admin", "create-user", "demo@example.com", "--password", "second password")
    assert again.code == 2
    assert again.err == (
        "error: an account with demo@example.com exists; add --exists-ok to set its password "
        "and role\n"
    )
    reset = cli(
        "admin",
        "create-user",
        "demo@example.com",
        "--password",
        "second password",
        "--role",
        "rights_holder",
        "--exists-ok",
    )
    assert reset.code == 0
    services = _services(data_dir)
    with services.db.write() as db:
        user = authenticate(db=db, email="demo@example.com", password="second password")
        assert user.role == "rights_holder"
        assert user.email_confirmed_at is not None
    services.close()


def test_refusals_are_one_line_with_exit_2(cli, data_dir):
    cli("migrate")
    for argv, needle in [
        (("admin", "create-token", "nobody@example.com"), "no account with email"),
        (("admin", "create-user", "x@example.com", "--password", "short"), "at least 10"),
        (
            (
                "admin",
                "create-user",
                "x@example.com",
                "--password",
                "long enough",
                "--role",
                "king",
            ),
            "unknown role",
        ),
        (("admin", "create-user", "not-an-email", "--password", "long enough"), "not an email"),
    ]:
        result = cli(*argv)
        assert result.code == 2, argv
        assert result.err.count("\n") == 1
        assert needle in result.err
        assert result.out == ""


def test_admin_close_account_needs_yes_and_closes_for_good(cli, data_dir):
    assert cli("migrate").code == 0
    assert cli("admin", "create-user", "ada@example.com", "--password", "x" * 12).code == 0
    unconfirmed = cli("admin", "close-account", "ada@example.com")
    assert unconfirmed.code == 2
    assert unconfirmed.err.strip() == (
        "error: closing ada@example.com cannot be undone; pass --yes to confirm"
    )
    assert re.fullmatch(
        r"closing user_[a-z0-9]{24} would leave:\n"
        r"would forfeit: 0 purchased and 0 granted credit units, 0 available and 0 pending tip "
        r"units\n"
        r"still owed: no payouts waiting\n",
        unconfirmed.out,
    )
    closed = cli("admin", "close-account", "ada@example.com", "--yes")
    assert closed.code == 0, closed.err
    assert re.fullmatch(
        r"closed user_[a-z0-9]{24}: 0 videos deleted, 0 cameos revoked\n"
        r"forfeited: 0 purchased and 0 granted credit units, 0 available and 0 pending tip units\n"
        r"still owed: no payouts waiting\n",
        closed.out,
    )
    missing = cli("admin", "close-account", "ada@example.com", "--yes")  # its email is gone
    assert missing.code == 2
    assert "no account with email ada@example.com" in missing.err


def test_admin_close_account_says_what_is_forfeit_and_which_payouts_still_wait(cli, data_dir):
    """Read before closing: the credits and tips the account gives up, and its payouts still
    waiting for the operator, whose payee the note alone can now reach."""
    from reelmint.domains.accounts.service import find_user
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.payouts.service import request_payout
    from reelmint.domains.wallet.service import grant_credits, wallet_of
    from reelmint.domains.wallet.tips import tips_account

    assert cli("migrate").code == 0
    assert cli("admin", "create-user", "ada@example.com", "--password", "x" * 12).code == 0
    services = _services(data_dir)
    with services.db.write() as db:
        user = find_user(db=db, email="ada@example.com")

        def fund(key: str, to, units: int) -> None:
            source = platform_account(db=db, name="test_source")
            transfer(
                db=db, key=key, legs=[Leg(source, -units), Leg(to, units)], kind="t", reason="t"
            )

        fund("bought", wallet_of(db=db, user_id=user.id).purchased, 120)
        grant_credits(db=db, user=user, units=7, reason="welcome", key="grant")
        fund("pending", tips_account(db=db, user_id=user.id, available=False), 9)
        fund("available", tips_account(db=db, user_id=user.id, available=True), 70)
        payout = request_payout(
            db=db,
            settings=services.settings,
            actor=user,
            units=40,
            key="ask",
            note="IBAN FR76 3000\n6000 0112",
        )
        payout_id = payout.id
    services.close()

    asked = cli("admin", "close-account", "ada@example.com")  # before: what it would leave
    assert asked.code == 2
    assert asked.err.count("\n") == 1
    assert "pass --yes to confirm" in asked.err
    assert asked.out.splitlines()[1:] == [
        "would forfeit: 120 purchased and 7 granted credit units, 30 available and 9 pending "
        "tip units",
        f"still owed: payout {payout_id}, 40 units (16.00 USD), waits for you to pay or reject; "
        "the account's email will be gone, so the payee's note is the only way to reach them "
        '(its note: "IBAN FR76 3000 6000 0112")',
    ]
    closed = cli("admin", "close-account", "ada@example.com", "--yes")  # nothing changed yet
    assert closed.code == 0, closed.err
    lines = closed.out.splitlines()
    assert lines[0].endswith(": 0 videos deleted, 0 cameos revoked")
    assert lines[1] == (
        "forfeited: 120 purchased and 7 granted credit units, 30 available and 9 pending tip units"
    )
    assert lines[2] == (
        f"still owed: payout {payout_id}, 40 units (16.00 USD), waits for you to pay or reject; "
        "the account's email is gone, so the payee's note is the only way to reach them "
        '(its note: "IBAN FR76 3000 6000 0112")'
    )
    assert len(lines) == 3
    listed = cli("admin", "payouts", "list")
    assert listed.out.startswith(payout_id)  # it does wait for the operator


def test_admin_close_account_without_yes_refuses_an_unknown_address_in_one_line(cli, data_dir):
    assert cli("migrate").code == 0
    missing = cli("admin", "close-account", "nobody@example.com")
    assert missing.code == 2
    assert missing.err == "error: no account with email nobody@example.com\n"
    assert missing.out == ""


def test_up_points_links_at_the_served_address_unless_the_public_url_is_set(tmp_path):
    from reelmint.platform_cli import served_settings

    default = Settings(data_dir=tmp_path)
    assert served_settings(default, host="127.0.0.1", port=8791).public_url == (
        "http://127.0.0.1:8791"
    )
    assert served_settings(default, host="0.0.0.0", port=80).public_url == "http://127.0.0.1:80"
    assert served_settings(default, host="::1", port=9000).public_url == "http://[::1]:9000"
    given = Settings(data_dir=tmp_path, public_url="https://video.example.org")
    assert served_settings(given, host="0.0.0.0", port=8791).public_url == (
        "https://video.example.org"
    )


def test_exists_ok_confirms_an_account_made_by_sign_up(cli, data_dir):
    from reelmint.domains.accounts.service import create_user, find_user

    cli("migrate")
    services = _services(data_dir)
    with services.db.write() as db:
        create_user(db=db, email="web@example.com", password="a long password")
    made = cli("admin", "create-user", "web@example.com", "--password", "a long password")
    assert made.code == 2  # it exists: nothing changed
    with services.db.read() as db:
        assert find_user(db=db, email="web@example.com").email_confirmed_at is None
    again = cli(
        "admin", "create-user", "web@example.com", "--password", "a long password", "--exists-ok"
    )
    assert again.code == 0, again.err
    with services.db.read() as db:
        assert find_user(db=db, email="web@example.com").email_confirmed_at is not None
    services.close()


def test_confirm_email_vouches_for_an_address_and_changes_nothing_else(cli, data_dir):
    from reelmint.domains.accounts.service import create_user, find_user

    cli("migrate")
    services = _services(data_dir)
    with services.db.write() as db:
        create_user(db=db, email="web@example.com", password="a long password")
    done = cli("admin", "confirm-email", "WEB@example.com")
    assert done.code == 0, done.err
    with services.db.read() as db:
        user = find_user(db=db, email="web@example.com")
        assert user.email_confirmed_at is not None
        assert done.out == f"{user.id}\n"
    with services.db.write() as db:
        assert authenticate(db=db, email="web@example.com", password="a long password")
    missing = cli("admin", "confirm-email", "nobody@example.com")
    assert (missing.code, missing.err) == (2, "error: no account with email nobody@example.com\n")
    services.close()


def test_reset_link_is_a_live_link_that_sets_a_password_once(cli, data_dir):
    """Where no email reaches the owner, the operator hands over a reset link: it sets a new
    password once; a disabled account gets none."""
    from reelmint.db.base import utcnow
    from reelmint.domains.accounts.password_reset import RESET_PATH, reset_password
    from reelmint.domains.accounts.service import create_user

    cli("migrate")
    services = _services(data_dir)
    with services.db.write() as db:
        create_user(db=db, email="web@example.com", password="a long password")
        gone = create_user(db=db, email="gone@example.com", password="a long password")
        gone.disabled_at = utcnow()
    given = cli("admin", "reset-link", "Web@Example.com")
    assert given.code == 0, given.err
    url = given.out.strip()
    assert url.startswith(services.settings.public_url.rstrip("/") + RESET_PATH)
    token = url.rsplit("/", 1)[1]
    with services.db.write() as db:
        reset_password(db=db, settings=services.settings, token=token, password="a new password!")
    with services.db.write() as db:
        assert authenticate(db=db, email="web@example.com", password="a new password!")
    with services.db.write() as db, pytest.raises(BadRequest):  # once
        reset_password(db=db, settings=services.settings, token=token, password="another one!!")
    refused = cli("admin", "reset-link", "gone@example.com")
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.startswith(f"error: the account {gone.id} was closed on ")
    assert cli("admin", "reset-link", "nobody@example.com").code == 2
    services.close()


def test_change_email_gives_a_confirmed_address_and_refuses_a_taken_one(cli, data_dir):
    from reelmint.domains.accounts.service import create_user, find_user

    cli("migrate")
    services = _services(data_dir)
    with services.db.write() as db:
        create_user(db=db, email="old@example.com", password="a long password")
        create_user(db=db, email="bob@example.com", password="a long password")
    done = cli("admin", "change-email", "OLD@example.com", "New@Example.com")
    assert done.code == 0, done.err
    with services.db.read() as db:
        user = find_user(db=db, email="new@example.com")
        assert user.email_confirmed_at is not None
        assert done.out == f"{user.id}\n"
        assert find_user(db=db, email="old@example.com") is None
    with services.db.write() as db:
        assert authenticate(db=db, email="new@example.com", password="a long password")
    taken = cli("admin", "change-email", "new@example.com", "bob@example.com")
    assert taken.code != 0
    assert taken.err == "error: another account uses bob@example.com; choose another address\n"
    bad = cli("admin", "change-email", "new@example.com", "not an address")
    assert bad.code != 0
    assert bad.err == "error: 'not an address' is not an email address\n"
    same = cli("admin", "change-email", "new@example.com", " NEW@example.com")
    assert same.code != 0
    assert same.err.startswith("error: new@example.com is already this account's address;")
    assert len(same.err.splitlines()) == 1
    services.close()


def test_a_password_the_operator_sets_signs_every_browser_out_and_tells_the_owner(cli, data_dir):
    from sqlalchemy import select

    from reelmint.domains.accounts.models import WebSession
    from reelmint.domains.accounts.service import find_user, start_web_session
    from reelmint.domains.notifications.models import EmailMessage

    cli("migrate")
    cli("admin", "create-user", "ada@example.com", "--password", "first password")
    services = _services(data_dir)
    with services.db.write() as db:
        ada = find_user(db=db, email="ada@example.com")
        for _ in range(2):
            start_web_session(db=db, user=ada)
    reset = cli(
        "admin", "create-user", "ada@example.com", "--password", "second password", "--exists-ok"
    )
    assert reset.code == 0, reset.err
    assert reset.out == f"{ada.id}\n"
    assert reset.err == "note: signed ada@example.com out of 2 browser sessions\n"
    with services.db.read() as db:
        assert db.scalars(select(WebSession)).all() == []
        subjects = db.scalars(
            select(EmailMessage.subject).where(EmailMessage.to_address == "ada@example.com")
        ).all()
    assert "Your reelmint password was changed" in subjects
    services.close()


def test_exists_ok_renames_when_a_name_is_given_and_checks_it(cli, data_dir):
    from reelmint.domains.accounts.service import find_user

    cli("migrate")
    cli("admin", "create-user", "ada@example.com", "--password", "first password", "--name", "Ada")
    again = ["admin", "create-user", "ada@example.com", "--password", "second password"]
    bad = cli(*again, "--exists-ok", "--name", "Ada\x1b[31m")
    assert (bad.code, bad.out) == (2, "")
    assert "display name" in bad.err
    assert cli(*again, "--exists-ok", "--name", "Ada Lovelace").code == 0
    services = _services(data_dir)
    with services.db.read() as db:
        assert find_user(db=db, email="ada@example.com").display_name == "Ada Lovelace"
    services.close()


def test_a_closed_account_cannot_be_changed_by_any_command(cli, data_dir):
    from reelmint.domains.accounts.service import get_user

    cli("migrate")
    made = cli("admin", "create-user", "ada@example.com", "--password", "first password")
    user_id = made.out.strip()
    assert cli("admin", "close-account", "ada@example.com", "--yes").code == 0
    placeholder = f"closed-{user_id}@closed.invalid"
    for argv in [
        ("admin", "change-email", placeholder, "zombie@example.com"),
        ("admin", "grant", placeholder, "7", "--reason", "goodwill"),
        ("admin", "set-plan", placeholder, "pro"),
        ("admin", "create-token", placeholder),
        ("admin", "confirm-email", placeholder),
        ("admin", "reset-link", placeholder),
        ("admin", "close-account", placeholder, "--yes"),
        ("admin", "create-user", placeholder, "--password", "x" * 12, "--exists-ok"),
    ]:
        refused = cli(*argv)
        assert (refused.code, refused.out) == (2, ""), argv
        assert refused.err.count("\n") == 1, argv
        assert f"the account {user_id} was closed on" in refused.err, argv
    services = _services(data_dir)
    with services.db.read() as db:
        user = get_user(db=db, user_id=user_id)
        assert (user.email, user.plan, user.role) == (placeholder, "free", "user")
    services.close()
    signed_up = cli("admin", "create-user", "zombie@example.com", "--password", "x" * 12)
    assert signed_up.code == 0  # the address was never taken by the closed account


def test_a_token_name_over_80_characters_is_refused_not_cut(cli, data_dir):
    cli("migrate")
    cli("admin", "create-user", "ada@example.com", "--password", "first password")
    long = cli("admin", "create-token", "ada@example.com", "--name", "n" * 81)
    assert (long.code, long.out) == (2, "")
    assert "1-80 printable characters" in long.err
    assert cli("admin", "create-token", "ada@example.com", "--name", "n" * 80).code == 0


@pytest.fixture
def moto_endpoint(monkeypatch):
    """A moto S3 server on a free local port, with fake credentials in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto_s3() as url:
        yield url


@pytest.mark.parametrize("command", ["up", "worker"])
def test_up_and_worker_refuse_a_missing_s3_bucket_in_one_line(
    cli, data_dir, moto_endpoint, monkeypatch, command
):
    """Not a server that starts, says it is healthy, then fails every video: one line on
    stderr, a non-zero exit, nothing started; once the bucket exists, it starts."""
    import os

    import boto3

    from reelmint import server

    assert cli("migrate").code == 0
    started: list[str] = []
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: started.append("up"))
    monkeypatch.setattr(server, "run_workers", lambda *args, **kwargs: started.append("worker"))
    monkeypatch.setenv("REELMINT_STORAGE", "s3")
    bucket = f"reelmint-{command}-{os.urandom(4).hex()}"  # moto keeps buckets per process
    monkeypatch.setenv("REELMINT_S3_BUCKET", bucket)
    monkeypatch.setenv("REELMINT_S3_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("REELMINT_S3_REGION", "us-east-1")

    refused = cli(command)
    assert refused.code == 2
    assert refused.err == (
        f"error: the file storage cannot be used: S3 bucket '{bucket}' does not exist at "
        f"{moto_endpoint}; create it, or set REELMINT_S3_BUCKET to one that does\n"
    )
    assert started == []

    s3 = boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    assert cli(command).code == 0
    assert started == [command]


@pytest.fixture
def nothing_starts(monkeypatch):
    """`up` and `worker` pass their checks, then record that they would have started."""
    from reelmint import server

    started: list[str] = []
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: started.append("up"))
    monkeypatch.setattr(server, "run_workers", lambda *args, **kwargs: started.append("worker"))
    return started


def test_a_database_a_newer_version_migrated_is_refused_with_the_advice_to_upgrade(
    cli, data_dir, database_url, monkeypatch, nothing_starts
):
    from sqlalchemy import text

    from reelmint.db.database import Database
    from reelmint.db.migrate import current_revision, head_revision

    monkeypatch.setenv("REELMINT_DATABASE_URL", database_url)
    assert cli("migrate").code == 0
    database = Database(database_url)
    newer = "ffffffffffff"  # as a newer reelmint's migrate would leave it
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newer})
    expected = (
        "error: the database was migrated by a newer version of reelmint than this host runs "
        f"(it is at schema revision {newer}; this version knows up to {head_revision()}); "
        "upgrade reelmint on this host\n"
    )
    for argv in (("worker",), ("up",), ("migrate",), ("ledger", "check")):
        refused = cli(*argv)
        assert (refused.code, refused.out, refused.err) == (2, "", expected), argv
    assert nothing_starts == []
    assert current_revision(database) == newer  # migrate changed nothing
    database.dispose()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql+psycopg://postgres@127.0.0.1:{port}/test", "Connection refused"),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/no_such_db", '"no_such_db" does not exist'),
        ("postgres://nobody:sekrit@127.0.0.1:5432/test", 'role "nobody" does not exist'),
    ],
)
def test_a_database_that_cannot_be_reached_is_one_line_naming_the_setting(
    cli, data_dir, postgres_url, monkeypatch, nothing_starts, url, reason
):
    from support import free_port

    url = url.format(port=free_port())
    monkeypatch.setenv("REELMINT_DATABASE_URL", url)
    shown = url.replace("postgres://", "postgresql+psycopg://").replace("sekrit", "***")
    for argv in (
        ("up",),
        ("worker",),
        ("migrate",),
        ("ledger", "check"),
        ("admin", "create-token", "ops@example.com"),
    ):
        refused = cli(*argv)
        assert (refused.code, refused.out) == (2, ""), argv
        assert refused.err.startswith(
            f"error: cannot connect to the database (REELMINT_DATABASE_URL {shown}): "
        ), refused.err
        assert reason in refused.err
        assert refused.err.count("\n") == 1
        assert "sekrit" not in refused.err
    assert nothing_starts == []
