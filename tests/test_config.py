"""Settings come from REELMINT_* variables and reach the engine as plain values."""

from __future__ import annotations

import pytest

from reelmint.cli import main
from reelmint.config import Settings


def test_defaults_describe_a_laptop_install(monkeypatch, tmp_path):
    for name in ("REELMINT_DATA_DIR", "REELMINT_DEFAULT_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    settings = Settings()
    assert settings.data_dir == tmp_path / "reelmint"
    assert settings.keys_dir == tmp_path / "reelmint" / "keys" / "c2pa"
    assert settings.default_backend == "preview"
    assert settings.model_speed.batch_cfg is True
    assert settings.model_speed.first_block_cache is None


def test_without_xdg_the_data_folder_is_in_the_home(monkeypatch, tmp_path):
    monkeypatch.delenv("REELMINT_DATA_DIR", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings().data_dir == tmp_path / ".local" / "share" / "reelmint"


def test_model_speed_options_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("REELMINT_MODEL_COMPILE", "true")
    monkeypatch.setenv("REELMINT_MODEL_BATCH_CFG", "0")
    monkeypatch.setenv("REELMINT_MODEL_FIRST_BLOCK_CACHE", "0.05")
    monkeypatch.setenv("REELMINT_MODEL_ATTENTION", "default")
    monkeypatch.setenv("REELMINT_WAN_PATH", str(tmp_path))
    monkeypatch.setenv("REELMINT_ENCODE_CRF", "18")
    settings = Settings()
    speed = settings.model_speed
    assert (speed.compile, speed.batch_cfg, speed.first_block_cache) == (True, False, 0.05)
    assert speed.attention == "default"
    assert settings.model_path_for("wan") == tmp_path
    assert settings.model_path_for("preview") is None
    assert settings.encode.crf == 18


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REELMINT_ENCODE_CRF", "99"),
        ("REELMINT_ENCODE_PRESET", "bogus"),
        ("REELMINT_DATA_DIR", ""),
        ("REELMINT_DATA_DIR", "   "),
        ("REELMINT_PUBLIC_URL", ""),
        ("REELMINT_PUBLIC_URL", "not a url"),
        ("REELMINT_PUBLIC_URL", "javascript:alert(1)"),
        ("REELMINT_PUBLIC_URL", "https://video.example.com/?next=1"),
        ("REELMINT_DATABASE_URL", "garbage"),
        ("REELMINT_CREDIT_PACKS", "not json"),
        ("REELMINT_PLAN_DAILY_QUOTA", "{bad"),
        ("REELMINT_PLAN_DAILY_QUOTA", '{"free": -3}'),
        ("REELMINT_PLAN_DAILY_QUOTA", '{"pro": 1e12}'),
        ("REELMINT_PLAN_DAILY_QUOTA", '{"vip": 10}'),
        ("REELMINT_LOG_LEVEL", "loud"),
        ("REELMINT_HOLD_TIMEOUT_HOURS", "1e308"),
        ("REELMINT_LEASE_SECONDS", "1e12"),
        (
            "REELMINT_CREDIT_PACKS",
            '[{"id": "p", "name": "P", "units": 10, "price_cents": 400, "valid_days": 1e8}]',
        ),
        (
            "REELMINT_CREDIT_PACKS",
            '[{"id": "p", "name": "P", "units": 1e22, "price_cents": 400, "valid_days": 30}]',
        ),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(monkeypatch, capsys, name, value):
    monkeypatch.setenv(name, value)
    try:
        main(["generate", "a cat"])
        code = 0
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"error: configuration {name}:")


def test_addresses_that_are_good_are_kept(monkeypatch, tmp_path):
    monkeypatch.setenv("REELMINT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REELMINT_PUBLIC_URL", "https://video.example.com/reelmint/")
    monkeypatch.setenv("REELMINT_DATABASE_URL", "")
    settings = Settings()
    assert settings.public_url == "https://video.example.com/reelmint/"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'reelmint.db'}"


def test_a_command_on_a_data_folder_never_migrated_says_to_migrate_and_creates_nothing(
    cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("REELMINT_DATA_DIR", str(tmp_path / "typo"))
    for argv in (("ledger", "check"), ("admin", "mail", "list"), ("admin", "economics")):
        refused = cli(*argv)
        assert (refused.code, refused.out) == (2, ""), argv
        assert refused.err == (
            f"error: there is no database at {tmp_path / 'typo' / 'reelmint.db'}; run "
            "`reelmint migrate` first (or point REELMINT_DATA_DIR at the platform's data "
            "folder)\n"
        )
    assert not (tmp_path / "typo").exists()
    (tmp_path / "typo").mkdir()
    (tmp_path / "typo" / "reelmint.db").touch()  # a database with no schema
    refused = cli("admin", "payouts", "list")
    assert refused.code == 2
    assert "is at schema revision none" in refused.err
    assert "run `reelmint migrate` first" in refused.err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg2://reelmint@db/reelmint",
        "postgresql+asyncpg://reelmint@db/reelmint",
        "mysql://reelmint@db/reelmint",
        "sqlite+aiosqlite:////srv/reelmint.db",
    ],
)
def test_a_database_url_this_platform_cannot_use_is_refused_with_what_to_write(
    monkeypatch, capsys, url
):
    monkeypatch.setenv("REELMINT_DATABASE_URL", url)
    with pytest.raises(SystemExit) as exited:
        main(["ledger", "check"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: configuration REELMINT_DATABASE_URL:")
    assert f"cannot use {url.split('://')[0]}:// URLs" in err
    assert "write postgresql+psycopg://user@host/db for PostgreSQL" in err


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:", "sqlite:///x?mode=memory"])
def test_an_in_memory_sqlite_database_is_refused(monkeypatch, capsys, url):
    """Each process would get its own empty database: `migrate` made one and `ledger check`
    then found none, and round again."""
    monkeypatch.setenv("REELMINT_DATABASE_URL", url)
    with pytest.raises(SystemExit) as exited:
        main(["migrate"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert "an in-memory SQLite database lasts as long as one process" in err


@pytest.mark.parametrize(
    ("given", "read"),
    [
        (
            "postgres://ops:p%40ss@db:5433/reelmint",
            "postgresql+psycopg://ops:p%40ss@db:5433/reelmint",
        ),
        (
            "postgresql://ops@db/reelmint?sslmode=require",
            "postgresql+psycopg://ops@db/reelmint?sslmode=require",
        ),
        ("postgresql+psycopg://ops@db/reelmint", "postgresql+psycopg://ops@db/reelmint"),
        ("sqlite:////srv/reelmint.db", "sqlite:////srv/reelmint.db"),
    ],
)
def test_postgres_urls_without_a_driver_are_read_as_psycopg(monkeypatch, given, read):
    monkeypatch.setenv("REELMINT_DATABASE_URL", given)
    assert Settings().database_url == read


def test_a_plan_left_out_of_the_daily_quotas_keeps_its_default(monkeypatch):
    monkeypatch.setenv("REELMINT_PLAN_DAILY_QUOTA", '{"free": 5, "enterprise": 0}')
    assert Settings().plan_daily_quota == {"free": 5, "plus": 60, "pro": 150, "enterprise": 0}


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('{"free": -3}', "plan 'free': a daily quota is 0 to 1,000,000 units, not -3"),
        ('{"vip": 10}', "unknown plan 'vip'; the plans are free, plus, pro, enterprise"),
        ('{"free": true}', "plan 'free': a daily quota is a whole number of units"),
        ('{"free": "30"}', 'written as a JSON number (e.g. {"free": 30}), not "30"'),
        ('{"plus": 60.0}', "plan 'plus': a daily quota is a whole number of units"),
    ],
)
def test_a_daily_quota_out_of_range_or_for_an_unknown_plan_says_which(
    monkeypatch, capsys, value, says
):
    monkeypatch.setenv("REELMINT_PLAN_DAILY_QUOTA", value)
    with pytest.raises(SystemExit):
        main(["ledger", "check"])
    assert says in capsys.readouterr().err


@pytest.mark.parametrize(("value", "kept"), [("0", 0), ("365", 365)])
def test_the_quota_notice_is_at_most_a_year(monkeypatch, capsys, value, kept):
    monkeypatch.setenv("REELMINT_QUOTA_MIN_NOTICE_DAYS", value)
    assert Settings().quota_min_notice_days == kept
    monkeypatch.setenv("REELMINT_QUOTA_MIN_NOTICE_DAYS", "3000000")  # overflowed the dates
    with pytest.raises(SystemExit):
        main(["ledger", "check"])
    err = capsys.readouterr().err
    assert err.startswith("error: configuration REELMINT_QUOTA_MIN_NOTICE_DAYS:")
    assert "less than or equal to 365" in err


def test_the_log_level_is_info_unless_set_in_any_case(monkeypatch):
    assert Settings().log_level == "info"
    monkeypatch.setenv("REELMINT_LOG_LEVEL", " WARNING ")
    assert Settings().log_level == "warning"


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_data_folder_that_cannot_be_made_is_one_line_naming_it(
    monkeypatch, capsys, tmp_path, below
):
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder")
    folder = in_the_way / below if below else in_the_way
    monkeypatch.setenv("REELMINT_DATA_DIR", str(folder))
    monkeypatch.delenv("REELMINT_DATABASE_URL", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["migrate"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert err.startswith(f"error: cannot make the database's folder {folder} (")
    assert "set REELMINT_DATA_DIR" in err
    assert in_the_way.read_text() == "not a folder"
