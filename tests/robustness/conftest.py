"""The `fleet` fixture: a shared database and data folder for real processes.

The database (a SQLite file, or a PostgreSQL schema) is made from the models and stamped at
the migrations' head, since the commands refuse an unmigrated database; the data folder's
signing keys are the session's. The fleet kills whatever it started when the test ends, and
prints the processes' logs when a test failed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from process_fleet import QUEUE_ENV, Fleet

from reelmint.bootstrap import Services
from reelmint.db.migrate import alembic_config


@pytest.fixture
def fleet(
    services_on: Services, database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Fleet]:
    command.stamp(alembic_config(services_on.db), "head")
    env = {k: v for k, v in os.environ.items() if not k.startswith("REELMINT_")}
    env.update(
        QUEUE_ENV,
        REELMINT_DATA_DIR=str(services_on.settings.data_dir),
        REELMINT_DATABASE_URL=database_url,
    )
    logs = tmp_path / "logs"
    logs.mkdir()
    built = Fleet(services=services_on, env=env, logs=logs)
    try:
        yield built
    finally:
        built.close()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(built.log_text())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Keep each phase's report on the test item, so `fleet` can show logs after a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
