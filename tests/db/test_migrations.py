"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reelmint.db.database import Database
from reelmint.db.migrate import current_revision, head_revision, is_up_to_date, upgrade
from reelmint.db.models import load_all_models


def insert_user(db) -> None:
    """User `user_1`, as the schema since users got a `name_key` takes one."""
    from sqlalchemy import text

    db.execute(
        text(
            "INSERT INTO users (id, email, password_hash, display_name, name_key, role,"
            " plan, timezone, created_at) VALUES ('user_1', 't@example.com', 'x', 'T',"
            " 't', 'user', 'free', 'UTC', CURRENT_TIMESTAMP)"
        )
    )


def test_migrations_reach_the_models_and_come_back(database_url):
    database = Database(database_url)
    assert current_revision(database) is None
    upgrade(database)
    assert is_up_to_date(database)
    assert current_revision(database) == head_revision()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, load_all_models())
    assert differences == [], f"models and migrations differ: {differences}"
    upgrade(database)  # a second run is a no-op
    assert is_up_to_date(database)
    database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    from sqlalchemy import text

    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with database.read() as db:
        assert db.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_upgrading_keeps_existing_videos_which_cost_nothing(database_url):
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    database = Database(database_url)
    command.upgrade(alembic_config(database), "f33aecd1f9ca")  # before prices existed
    with database.write() as db:
        db.execute(
            text(
                "INSERT INTO users (id, email, password_hash, display_name, role, plan, timezone,"
                " created_at) VALUES ('user_1', 'a@example.com', 'x', 'A', 'user', 'free', 'UTC',"
                " CURRENT_TIMESTAMP)"
            )
        )
        db.execute(
            text(
                "INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json,"
                " seconds, size, seed, status, progress, priority_class, queue_key, attempts,"
                " cancel_requested, created_at) VALUES ('video_1', 'user_1', 'sora-2', 'preview',"
                " 'a cat', '{}', 4, '480x480', 1, 'completed', 100, 'free', 0, 1, false,"
                " CURRENT_TIMESTAMP)"
            )
        )
    upgrade(database)
    with database.read() as db:
        assert db.execute(text("SELECT price_units FROM videos")).scalar() == 0
    database.dispose()


def test_the_migrated_registry_version_moves_with_characters(database_url):
    """The triggers the migration installs (tests elsewhere use `create_all`'s), and a
    downgrade that takes them away again."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    database = Database(database_url)
    upgrade(database)
    version = "SELECT version FROM character_registry WHERE id = 1"
    character = (
        "INSERT INTO characters (id, organisation_id, handle, name, aliases_json, description,"
        " policy, audience, banned_themes_json, fee_units, holder_share_bps, created_at) VALUES"
        " (:id, 'org_1', :id, 'Wave', '[]', '', 'open', 'everyone', '[]', 0, 7000,"
        " CURRENT_TIMESTAMP)"
    )
    with database.write() as db:
        start = db.execute(text(version)).scalar_one()
        db.execute(
            text(
                "INSERT INTO organisations (id, name, slug, kind, created_at) VALUES ('org_1', "
                "'Wave', 'wave', 'rights_holder', CURRENT_TIMESTAMP)"
            )
        )
        db.execute(text(character), {"id": "chr_1"})
    with database.write() as db:
        inserted = db.execute(text(version)).scalar_one()
        db.execute(text("DELETE FROM characters"))
    with database.read() as db:
        deleted = db.execute(text(version)).scalar_one()
    assert start < inserted < deleted
    command.downgrade(alembic_config(database), "41a0da06dad5")
    with database.write() as db:  # no trigger is left to name the dropped table
        db.execute(text(character), {"id": "chr_2"})
    upgrade(database)
    assert is_up_to_date(database)
    database.dispose()


def test_name_keys_are_filled_for_existing_users_and_a_downgrade_keeps_their_rows(database_url):
    """users.name_key's migration casefolds the names there are; going back drops only the
    column (on SQLite, not by rebuilding the table, which would cascade to every user's rows)."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before = "a2ebfd0dfeec"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        db.execute(
            text(
                "INSERT INTO users (id, email, password_hash, display_name, role, plan, timezone,"
                " created_at) VALUES ('user_1', 'e@example.com', 'x', 'Émile  ZOLA', 'user',"
                " 'free', 'UTC', CURRENT_TIMESTAMP)"
            )
        )
        db.execute(
            text(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at) VALUES"
                " ('tok_1', 'user_1', 'cli', 'h', 'rm_x', CURRENT_TIMESTAMP)"
            )
        )
    upgrade(database)
    with database.read() as db:
        assert db.execute(text("SELECT name_key FROM users")).scalar_one() == "émile zola"
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
        columns = db.execute(text("SELECT * FROM users")).keys()
        assert "name_key" not in columns
    database.dispose()


_FIRST_ROWS = [
    "INSERT INTO organisations (id, name, slug, kind, created_at) VALUES ('org_1', 'Wave',"
    " 'wave', 'studio', CURRENT_TIMESTAMP)",
    "INSERT INTO users (id, email, password_hash, display_name, role, plan, timezone,"
    " created_at) VALUES ('user_1', 'a@example.com', 'x', 'A', 'user', 'free', 'UTC',"
    " CURRENT_TIMESTAMP)",
    "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at) VALUES"
    " ('tok_1', 'user_1', 'cli', 'h', 'rm_x', CURRENT_TIMESTAMP)",
    "INSERT INTO memberships (organisation_id, user_id, role, created_at) VALUES ('org_1',"
    " 'user_1', 'owner', CURRENT_TIMESTAMP)",
    "INSERT INTO videos (id, user_id, organisation_id, model, backend, prompt, storyboard_json,"
    " seconds, size, seed, status, progress, priority_class, queue_key, attempts,"
    " cancel_requested, created_at) VALUES ('video_1', 'user_1', 'org_1', 'sora-2', 'preview',"
    " 'a cat', '{}', 4, '480x480', 1, 'completed', 100, 'free', 0, 1, false,"
    " CURRENT_TIMESTAMP)",
    "INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json, seconds, size,"
    " seed, remixed_from_video_id, status, progress, priority_class, queue_key, attempts,"
    " cancel_requested, created_at) VALUES ('video_2', 'user_1', 'sora-2', 'preview',"
    " 'a cat again', '{}', 4, '480x480', 2, 'video_1', 'queued', 0, 'free', 0, 0, false,"
    " CURRENT_TIMESTAMP)",
    "INSERT INTO web_sessions (id, user_id, token_hash, csrf_token, expires_at, created_at)"
    " VALUES ('ses_1', 'user_1', 'h', 'c', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
    "INSERT INTO video_runs (id, video_id, worker_id, attempt, created_at) VALUES ('run_1',"
    " 'video_1', 'w', 1, CURRENT_TIMESTAMP)",
]
_FIRST_TABLES = (
    "organisations",
    "users",
    "api_tokens",
    "memberships",
    "videos",
    "web_sessions",
    "video_runs",
)


def _counts(database: Database) -> dict[str, object]:
    from sqlalchemy import text

    with database.read() as db:
        counts: dict[str, object] = {
            table: db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in _FIRST_TABLES
        }
        counts["remix"] = db.execute(
            text("SELECT remixed_from_video_id FROM videos WHERE id = 'video_2'")
        ).scalar_one()
    return counts


def test_every_migration_keeps_the_rows_there_are_going_up_and_down(database_url):
    """Rows written at the first revision survive each later upgrade and each downgrade back,
    step by step. On SQLite some steps rebuild a table (copy, drop, rename); with foreign keys
    on, dropping the old `videos` would cascade to its runs and unlink remixes."""
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from reelmint.db.migrate import MIGRATIONS, alembic_config

    database = Database(database_url)
    config = alembic_config(database)
    first = "0dba6537080a"
    command.upgrade(config, first)
    with database.write() as db:
        for statement in _FIRST_ROWS:
            db.execute(text(statement))
    expected = _counts(database)
    assert expected["video_runs"] == 1
    assert expected["remix"] == "video_1"
    steps = [
        script.revision
        for script in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))
    ]
    for revision in steps[1:]:
        command.upgrade(config, revision)
        assert _counts(database) == expected, f"rows lost upgrading to {revision}"
    for revision in reversed(steps[:-1]):
        command.downgrade(config, revision)
        assert _counts(database) == expected, f"rows lost downgrading to {revision}"
    if database.engine.dialect.name == "sqlite":
        with database.read() as db:  # foreign keys are back on for the pool's connections
            assert db.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert db.execute(text("PRAGMA foreign_key_check")).all() == []
    database.dispose()


def test_a_migration_that_would_leave_a_dangling_reference_changes_nothing(tmp_path):
    """Foreign keys are off while SQLite migrates, so the run checks them before it commits;
    a row pointing at nothing (written here with the check off) stops the whole run, and
    every step of it rolls back."""
    import sqlite3

    import pytest
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    path = tmp_path / "x.db"
    database = Database(f"sqlite:///{path}")
    config = alembic_config(database)
    command.upgrade(config, "0dba6537080a")
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at) VALUES"
        " ('tok_1', 'user_gone', 'cli', 'h', 'rm_x', CURRENT_TIMESTAMP)"
    )
    raw.commit()
    raw.close()
    from reelmint.errors import Conflict

    with pytest.raises(Conflict, match=r"1 row\(s\) in api_tokens would point") as refused:
        upgrade(database)
    assert refused.value.code == "migration_refused"
    assert current_revision(database) == "0dba6537080a"
    with database.read() as db:
        tables = db.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).all()
        assert "ledger_accounts" not in {name for (name,) in tables}
        assert db.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_shares_not_yet_released_are_found_by_the_held_shares_migration(database_url):
    """Splits and tips whose pending part was not released wait in held_shares after the
    upgrade (and housekeeping then releases them); released ones do not."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before = "204b178c28ff"
    database = Database(database_url)
    command.upgrade(alembic_config(database), before)
    accounts = [("acct_e", "earnings_pending"), ("acct_t", "tips_pending"), ("acct_p", "x")]
    entries = [  # id, kind, key, hold, pending account
        ("ent_split_waiting", "licence_split", "fee-split:hold_1", "hold_1", "acct_e"),
        ("ent_split_done", "licence_split", "fee-split:hold_2", "hold_2", "acct_e"),
        ("ent_release", "earnings_release", "fee-release:hold_2", "hold_2", None),
        ("ent_tip_waiting", "tip", "tip:a", None, "acct_t"),
        ("ent_tip_done", "tip", "tip:b", None, "acct_t"),
        ("ent_tip_release", "tip_release", "tip-release:ent_tip_done", None, None),
        ("ent_no_share", "licence_split", "fee-split:hold_3", "hold_3", None),
    ]
    with database.write() as db:
        for code, kind in accounts:
            db.execute(
                text(
                    "INSERT INTO ledger_accounts (id, code, kind, allow_negative, balance,"
                    " reserved, created_at) VALUES (:id, :id, :kind, true, 0, 0,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"id": code, "kind": kind},
            )
        for entry_id, kind, key, hold, pending in entries:
            db.execute(
                text(
                    "INSERT INTO ledger_entries (id, idempotency_key, fingerprint, kind, reason,"
                    " hold_id, created_at) VALUES (:id, :key, 'f', :kind, 'r', :hold,"
                    " CURRENT_TIMESTAMP)"
                ),
                {"id": entry_id, "key": key, "kind": kind, "hold": hold},
            )
            for account, amount in ((pending, 3), ("acct_p", -3)) if pending else ():
                db.execute(
                    text(
                        "INSERT INTO ledger_postings (entry_id, account_id, amount, balance_after,"
                        " created_at) VALUES (:entry, :account, :amount, 0, CURRENT_TIMESTAMP)"
                    ),
                    {"entry": entry_id, "account": account, "amount": amount},
                )
    upgrade(database)
    with database.read() as db:
        waiting = db.execute(text("SELECT entry_id, kind FROM held_shares ORDER BY entry_id"))
        assert waiting.all() == [
            ("ent_split_waiting", "licence_split"),
            ("ent_tip_waiting", "tip"),
        ]
    database.dispose()


def test_payout_holds_lose_their_far_expiry_and_get_one_back_on_the_way_down(database_url):
    """Payout holds wait for the operator: after the upgrade they have no expiry (never due);
    a downgrade, whose schema needs one, gives them a far one. Other holds keep theirs."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "f0a9503aab91", "7084867e8bef"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        for code in ("acct_a", "acct_b"):
            db.execute(
                text(
                    "INSERT INTO ledger_accounts (id, code, kind, allow_negative, balance,"
                    " reserved, created_at) VALUES (:id, :id, 'x', true, 0, 0, CURRENT_TIMESTAMP)"
                ),
                {"id": code},
            )
        for hold_id, kind, expires in (
            ("hold_pay", "payout", "2126-11-22 00:00:00"),
            ("hold_job", "spend", "2026-11-23 00:00:00"),
        ):
            db.execute(
                text(
                    "INSERT INTO ledger_holds (id, idempotency_key, fingerprint, debit_account_id,"
                    " credit_account_id, amount, posted_amount, status, kind, reason,"
                    " expires_at, created_at) VALUES (:id, :id, 'f', 'acct_a', 'acct_b', 3, 0,"
                    " 'pending', :kind, 'r', :expires, CURRENT_TIMESTAMP)"
                ),
                {"id": hold_id, "kind": kind, "expires": expires},
            )
    command.upgrade(config, after)
    query = text("SELECT id, expires_at FROM ledger_holds ORDER BY id")
    with database.read() as db:
        rows = dict(db.execute(query).all())
        assert rows["hold_pay"] is None
        assert str(rows["hold_job"]).startswith("2026-11-23")
    command.downgrade(config, before)
    with database.read() as db:
        rows = dict(db.execute(query).all())
        assert str(rows["hold_pay"]).startswith("2126-01-01")
        assert str(rows["hold_job"]).startswith("2026-11-23")
    database.dispose()


def test_users_there_are_get_social_notifications_on_and_a_downgrade_keeps_their_rows(
    database_url,
):
    """users.notify_social arrives true for every user (its server default); going back drops
    only the column (on SQLite in place: a rebuilt users table would cascade to their rows)."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "7084867e8bef", "66085a3e1dda"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        db.execute(
            text(
                "INSERT INTO users (id, email, password_hash, display_name, name_key, role, plan,"
                " timezone, created_at) VALUES ('user_1', 'e@example.com', 'x', 'E', 'e', 'user',"
                " 'free', 'UTC', CURRENT_TIMESTAMP)"
            )
        )
        db.execute(
            text(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, hint, created_at) VALUES"
                " ('tok_1', 'user_1', 'cli', 'h', 'rm_x', CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, after)
    with database.read() as db:
        assert bool(db.execute(text("SELECT notify_social FROM users")).scalar_one()) is True
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM api_tokens")).scalar_one() == 1
        columns = db.execute(text("SELECT * FROM users")).keys()
        assert "notify_social" not in columns
    database.dispose()


def test_accounts_there_are_count_as_confirmed_and_closed_ones_do_not(database_url):
    """Accounts that exist at the upgrade were mailed without confirming and go on being
    mailed: they count as confirmed from then; a closed one (no address) does not."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "a67e1b7a252c", "626338fcfe76"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        for user_id, email in (
            ("user_1", "e@example.com"),
            ("user_2", "closed-user_2@closed.invalid"),
        ):
            db.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, display_name, name_key, role,"
                    " plan, timezone, created_at) VALUES (:id, :email, 'x', 'E', :id, 'user',"
                    " 'free', 'UTC', CURRENT_TIMESTAMP)"
                ),
                {"id": user_id, "email": email},
            )
    command.upgrade(config, after)
    with database.read() as db:
        rows = db.execute(
            text("SELECT id, email_confirmed_at, email_confirmation_sent_at FROM users ORDER BY id")
        ).all()
    assert [(row[0], row[1] is not None, row[2]) for row in rows] == [
        ("user_1", True, None),
        ("user_2", False, None),
    ]
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM users")).scalar_one() == 2
        columns = db.execute(text("SELECT * FROM users")).keys()
        assert "email_confirmed_at" not in columns
    database.dispose()


def test_webhook_endpoints_there_are_start_on_with_no_failures_counted(database_url):
    """The endpoints there are come out of the upgrade on, with no failures counted; a
    downgrade drops only the new columns (in place: no rebuild of the table, whose deletion
    would cascade to the endpoints' deliveries)."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "19d2635bffe9", "a785f40f4d60"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        db.execute(
            text(
                "INSERT INTO users (id, email, password_hash, display_name, name_key, role,"
                " plan, timezone, created_at) VALUES ('user_1', 'e@example.com', 'x', 'E',"
                " 'e', 'user', 'free', 'UTC', CURRENT_TIMESTAMP)"
            )
        )
        db.execute(
            text(
                "INSERT INTO webhook_endpoints (id, user_id, url, description, events,"
                " secret_sealed, secret_key_id, created_at) VALUES ('wh_1', 'user_1',"
                " 'https://example.com/hook', '', 'video.completed', 's', 'k', CURRENT_TIMESTAMP)"
            )
        )
        db.execute(
            text(
                "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, payload,"
                " status, attempts, next_attempt_at, created_at) VALUES ('whdel_1', 'wh_1',"
                " 'evt_1', 'video.completed', '{}', 'pending', 0, CURRENT_TIMESTAMP,"
                " CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, after)
    with database.read() as db:
        row = db.execute(
            text(
                "SELECT failing_since, failed_in_a_row, disabled_at, disabled_reason"
                " FROM webhook_endpoints"
            )
        ).one()
    assert tuple(row) == (None, 0, None, None)
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM webhook_deliveries")).scalar_one() == 1
        columns = db.execute(text("SELECT * FROM webhook_endpoints")).keys()
        assert "disabled_at" not in columns
    database.dispose()


def test_published_videos_there_are_count_as_first_published_when_they_were(database_url):
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "1fdbf99e9c03", "e36d09b681a4"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        db.execute(
            text(
                "INSERT INTO users (id, email, password_hash, display_name, name_key, role,"
                " plan, timezone, created_at) VALUES ('user_1', 'p@example.com', 'x', 'P',"
                " 'p', 'user', 'free', 'UTC', CURRENT_TIMESTAMP)"
            )
        )
        for video_id, published in (("video_1", "'2026-11-01 10:00:00+00'"), ("video_2", "NULL")):
            db.execute(
                text(
                    "INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json,"
                    " seconds, size, seed, status, progress, priority_class, queue_key,"
                    " attempts, cancel_requested, price_units, created_at, published_at)"
                    f" VALUES ('{video_id}', 'user_1', 'sora-2', 'preview', 'a cat', '{{}}', 4,"
                    " '480x480', 1, 'completed', 100, 'free', 0, 1, false, 1,"
                    f" CURRENT_TIMESTAMP, {published})"
                )
            )
    command.upgrade(config, after)
    with database.read() as db:
        rows = db.execute(
            text("SELECT id, first_published_at = published_at FROM videos ORDER BY id")
        ).all()
        unset = db.execute(text("SELECT first_published_at FROM videos WHERE id = 'video_2'"))
        assert unset.scalar_one() is None
    assert [tuple(row) for row in rows] == [("video_1", True), ("video_2", None)]
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM videos")).scalar_one() == 2
        columns = db.execute(text("SELECT * FROM videos")).keys()
        assert "first_published_at" not in columns
    database.dispose()


def test_mail_sent_before_keeps_no_link_and_mail_still_to_send_does(database_url):
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "22ff11466f70", "03d7625862bb"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    mails = (
        ("mail_1", "sent", "'/reset-password/secret'", "CURRENT_TIMESTAMP"),
        ("mail_2", "pending", "'/x/y'", "CURRENT_TIMESTAMP"),
        ("mail_3", "sent", "NULL", "NULL"),
        ("mail_4", "sent", "'/videos/video_1'", "NULL"),  # a notification's: no token
    )
    with database.write() as db:
        for mail_id, status, link, expires in mails:
            db.execute(
                text(
                    "INSERT INTO email_messages (id, to_address, subject, body_text, link,"
                    " expires_at, status, attempts, next_attempt_at, created_at) VALUES"
                    f" ('{mail_id}', 'p@example.com', 'Hi', 'Body', {link}, {expires},"
                    f" '{status}', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
    command.upgrade(config, after)
    with database.read() as db:
        rows = db.execute(text("SELECT id, link FROM email_messages ORDER BY id")).all()
    assert [tuple(row) for row in rows] == [
        ("mail_1", ""),
        ("mail_2", "/x/y"),
        ("mail_3", None),
        ("mail_4", "/videos/video_1"),
    ]
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM email_messages")).scalar_one() == 4
    database.dispose()


def test_names_made_from_the_email_become_creator_and_a_number_and_their_owners_are_told(
    database_url,
):
    """An open account still called by its email's first half (what sign-up gave when no name
    was chosen) gets the name new accounts get, and a notification; a chosen name, even one
    like the address, and a closed account's stay as they are."""
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config
    from reelmint.domains.accounts.service import default_display_name

    before, after = "03d7625862bb", "dc6b5c3c03b9"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    users = (
        ("user_1", "jane.doe.1987@example.com", "jane.doe.1987", None),
        ("user_2", "ada@example.com", "Ada", None),
        ("user_3", "bob@example.com", "Bob the Builder", None),
        ("user_4", "closed-user_4@closed.invalid", "Closed account", "CURRENT_TIMESTAMP"),
    )
    with database.write() as db:
        for user_id, email, name, disabled in users:
            db.execute(
                text(
                    "INSERT INTO users (id, email, password_hash, display_name, name_key, role,"
                    " plan, timezone, created_at, disabled_at) VALUES (:id, :email, 'x', :name,"
                    f" :key, 'user', 'free', 'UTC', CURRENT_TIMESTAMP, {disabled or 'NULL'})"
                ),
                {"id": user_id, "email": email, "name": name, "key": name.casefold()},
            )
    command.upgrade(config, after)
    renamed = default_display_name("user_1")
    with database.read() as db:
        names = db.execute(text("SELECT id, display_name, name_key FROM users ORDER BY id")).all()
        told = db.execute(text("SELECT user_id, kind, title, body, link FROM notifications")).all()
    assert [tuple(row) for row in names] == [
        ("user_1", renamed, renamed.casefold()),
        ("user_2", "Ada", "ada"),
        ("user_3", "Bob the Builder", "bob the builder"),
        ("user_4", "Closed account", "closed account"),
    ]
    assert len(told) == 1
    user_id, kind, title, body, link = told[0]
    assert (user_id, kind, link) == ("user_1", "display_name_changed", "/settings/account")
    assert title == "Your name no longer shows your email address"
    assert renamed in body
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM users")).scalar_one() == 4
    database.dispose()


def test_videos_there_are_were_never_taken_down_and_keep_their_place_in_the_feed(database_url):
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "dc6b5c3c03b9", "6b85d1bcbbd6"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        insert_user(db)
        db.execute(
            text(
                "INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json,"
                " seconds, size, seed, status, progress, priority_class, queue_key,"
                " attempts, cancel_requested, price_units, created_at, published_at,"
                " first_published_at) VALUES ('video_1', 'user_1', 'sora-2', 'preview',"
                " 'a cat', '{}', 4, '480x480', 1, 'completed', 100, 'free', 0, 1, false, 1,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(config, after)
    with database.read() as db:
        row = db.execute(
            text("SELECT taken_down_at, taken_down_by, taken_down_reason, published_at FROM videos")
        ).one()
    assert row[:3] == (None, None, None)
    assert row[3] is not None
    command.downgrade(config, before)
    with database.read() as db:
        assert db.execute(text("SELECT count(*) FROM videos")).scalar_one() == 1
        columns = db.execute(text("SELECT * FROM videos")).keys()
        assert not {"taken_down_at", "taken_down_by", "taken_down_reason"} & set(columns)
    database.dispose()


def test_reports_closed_by_a_deletion_become_deleted_and_others_stay_dismissed(database_url):
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from reelmint.db.migrate import alembic_config

    before, after = "009bbdbe6a23", "16ca63c0ada6"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    with database.write() as db:
        insert_user(db)
        db.execute(
            text(
                "INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json,"
                " seconds, size, seed, status, progress, priority_class, queue_key,"
                " attempts, cancel_requested, price_units, created_at) VALUES ('video_1',"
                " 'user_1', 'sora-2', 'preview', 'a cat', '{}', 4, '480x480', 1, 'completed',"
                " 100, 'free', 0, 1, false, 1, CURRENT_TIMESTAMP)"
            )
        )
        reports = [
            ("rpt_1", "dismissed", None, "the video was deleted by its creator"),
            ("rpt_2", "dismissed", "user_9", "fine by our rules"),
            ("rpt_3", "dismissed", "user_9", "the video was deleted by its creator"),
            ("rpt_4", "open", None, None),
        ]
        for report_id, status, by, note in reports:
            db.execute(
                text(
                    "INSERT INTO video_reports (id, video_id, reporter_id, category, note,"
                    " status, resolved_by, resolution_note, created_at) VALUES (:id,"
                    " 'video_1', 'user_1', 'spam', '', :status, :by, :note, CURRENT_TIMESTAMP)"
                ),
                {"id": report_id, "status": status, "by": by, "note": note},
            )
    command.upgrade(config, after)
    status_sql = text("SELECT id, status FROM video_reports ORDER BY id")
    with database.read() as db:
        statuses = {row[0]: row[1] for row in db.execute(status_sql)}
    assert statuses == {
        "rpt_1": "deleted",
        "rpt_2": "dismissed",
        "rpt_3": "dismissed",
        "rpt_4": "open",
    }
    with database.write() as db:  # the status check still refuses what is not one
        db.execute(text("UPDATE video_reports SET status = 'deleted' WHERE id = 'rpt_4'"))
    try:
        with database.write() as db:
            db.execute(text("UPDATE video_reports SET status = 'gone' WHERE id = 'rpt_4'"))
    except IntegrityError:
        refused = True
    else:
        refused = False
    assert refused, "a status outside the list was stored"
    with database.write() as db:
        db.execute(text("UPDATE video_reports SET status = 'open' WHERE id = 'rpt_4'"))
    command.downgrade(config, before)
    with database.read() as db:
        statuses = {row[0]: row[1] for row in db.execute(status_sql)}
    assert statuses["rpt_1"] == "dismissed"
    assert len(statuses) == 4
    database.dispose()


def test_a_running_jobs_stop_reason_moves_to_its_own_column_and_back(database_url):
    from alembic import command
    from sqlalchemy import text

    from reelmint.db.migrate import alembic_config

    before, after = "16ca63c0ada6", "e9df90a303a1"
    database = Database(database_url)
    config = alembic_config(database)
    command.upgrade(config, before)
    videos = [  # (id, status, cancel requested, error code, error message)
        ("video_1", "in_progress", True, None, "cancelled by the platform's operators: GPU gone"),
        ("video_2", "in_progress", True, None, None),  # its owner's own cancel
        ("video_3", "failed", False, "render_failed", "the renderer ran out of memory"),
        ("video_4", "cancelled", True, "cancelled", "the video was cancelled before it finished"),
    ]
    with database.write() as db:
        insert_user(db)
        for video_id, status, asked, code, message in videos:
            db.execute(
                text(
                    "INSERT INTO videos (id, user_id, model, backend, prompt, storyboard_json,"
                    " seconds, size, seed, status, progress, priority_class, queue_key,"
                    " attempts, cancel_requested, error_code, error_message, price_units,"
                    " created_at) VALUES (:id, 'user_1', 'sora-2', 'preview', 'a cat', '{}',"
                    " 4, '480x480', 1, :status, 0, 'free', 0, 1, :asked, :code, :message, 1,"
                    " CURRENT_TIMESTAMP)"
                ),
                {
                    "id": video_id,
                    "status": status,
                    "asked": asked,
                    "code": code,
                    "message": message,
                },
            )
    command.upgrade(config, after)
    query = text("SELECT id, error_message, cancel_reason FROM videos ORDER BY id")
    with database.read() as db:
        rows = [tuple(row) for row in db.execute(query)]
    assert rows == [
        ("video_1", None, "cancelled by the platform's operators: GPU gone"),
        ("video_2", None, None),
        ("video_3", "the renderer ran out of memory", None),
        ("video_4", "the video was cancelled before it finished", None),
    ]
    command.downgrade(config, before)
    with database.read() as db:
        back = [tuple(row) for row in db.execute(text("SELECT id, error_message FROM videos"))]
    assert sorted(back) == [(v[0], v[4]) for v in videos]
    database.dispose()
