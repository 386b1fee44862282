"""Shared fixtures. A C2PA signing identity is costly to make, so one serves the session."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from support import (
    FAST_QUEUE,
    POSTGRES_ADMIN_URL,
    REQUIRE_POSTGRES,
    Account,
    CliRun,
    LiveServer,
    Mp4Facts,
    app_serving,
    free_port,
    make_account,
    make_services,
    postgres_available,
    probe_mp4,
    running_server,
    use_cheap_password_hashing,
)

if TYPE_CHECKING:
    from reelmint.bootstrap import Services

use_cheap_password_hashing()  # see its note


@pytest.fixture(scope="session")
def keys_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A platform keys folder shared by the session (the identity is created on first use)."""
    path = tmp_path_factory.mktemp("keys") / "c2pa"
    path.mkdir()
    return path


@pytest.fixture
def data_dir(tmp_path: Path, keys_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh REELMINT_DATA_DIR whose keys folder reuses the session's identity."""
    data = tmp_path / "data"
    (data / "keys").mkdir(parents=True)
    (data / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    monkeypatch.setenv("REELMINT_DATA_DIR", str(data))
    return data


@pytest.fixture
def probe() -> Callable[..., Mp4Facts]:
    return probe_mp4


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliRun]:
    """Run `reelmint ARGV` in this process through the real entry point (`reelmint.cli.main`)."""
    from reelmint.cli import main

    def run(*argv: str) -> CliRun:
        capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return CliRun(code=code, out=captured.out, err=captured.err)

    return run


# --- the platform: databases, services, API clients ------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test PostgreSQL server (skips, or fails in CI, when it is not running)."""
    if not postgres_available():
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required but not reachable at {POSTGRES_ADMIN_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}")
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections use a fresh, empty schema; dropped after the test."""
    import psycopg
    from sqlalchemy.engine import make_url

    schema = "t_" + secrets.token_hex(6)
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test on SQLite and on PostgreSQL (money and concurrency tests use this)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reelmint.db'}"
    return request.getfixturevalue("postgres_schema_url")


@pytest.fixture
def services(tmp_path: Path, keys_dir: Path) -> Iterator[Services]:
    """Platform services on SQLite (use `services_on` for both databases)."""
    built = make_services(tmp_path, f"sqlite:///{tmp_path / 'reelmint.db'}")
    (built.settings.data_dir / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    yield built
    built.close()


@pytest.fixture
def services_on(tmp_path: Path, keys_dir: Path, database_url: str) -> Iterator[Services]:
    """Platform services on SQLite and on PostgreSQL (parametrised)."""
    built = make_services(tmp_path, database_url)
    (built.settings.data_dir / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    yield built
    built.close()


def mailing_services(tmp_path: Path, database_url: str) -> Services:
    """Services with email on, to a port nobody listens on: mail waits in the outbox, where
    tests read it."""
    return make_services(tmp_path, database_url, smtp_host="127.0.0.1", smtp_port=free_port())


@pytest.fixture
def mailing(tmp_path: Path) -> Iterator[Services]:
    """Services (SQLite) that send email; what they send waits in the outbox."""
    built = mailing_services(tmp_path, f"sqlite:///{tmp_path / 'mailing.db'}")
    yield built
    built.close()


@pytest.fixture
def mailing_on(tmp_path: Path, database_url: str) -> Iterator[Services]:
    """The same on SQLite and on PostgreSQL (parametrised)."""
    built = mailing_services(tmp_path, database_url)
    yield built
    built.close()


@pytest.fixture
def mailing_client(mailing: Services) -> Iterator[Any]:
    """A TestClient over the app on `mailing`."""
    from fastapi.testclient import TestClient

    from reelmint.api.app import create_app

    with TestClient(create_app(mailing)) as test_client:
        yield test_client


@pytest.fixture
def account(services: Services) -> Account:
    return make_account(services)


@pytest.fixture
def client(services: Services) -> Iterator[Any]:
    """A FastAPI TestClient over the app (in-process, no server; see `app_serving`)."""
    from fastapi.testclient import TestClient

    with TestClient(app_serving(services)) as test_client:
        yield test_client


@pytest.fixture
def live_server(tmp_path: Path, keys_dir: Path) -> Iterator[LiveServer]:
    """`running_server` over fresh SQLite services with one fast-polling worker."""
    built = make_services(tmp_path, f"sqlite:///{tmp_path / 'reelmint.db'}", **FAST_QUEUE)
    (built.settings.data_dir / "keys" / "c2pa").symlink_to(keys_dir, target_is_directory=True)
    with running_server(built, workers=1) as server:
        yield server
    built.close()
