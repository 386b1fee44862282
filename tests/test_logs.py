"""`up` and `worker` log one line a record: UTC time, level, logger name, message."""

from __future__ import annotations

import logging
import re

import pytest

from reelmint.logs import UtcFormatter, platform_logging

LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<level>[A-Z]+) (?P<name>\S+): (?P<msg>.*)"
)


def test_a_record_is_one_line_with_its_utc_time_level_and_logger():
    formatter = UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    record = logging.LogRecord(
        "reelmint.worker", logging.INFO, __file__, 1, "leased %s", ("v",), None
    )
    record.created, record.msecs = 86400.25, 250.0  # 1970-01-02, whatever the host's zone
    assert formatter.format(record) == "1970-01-02T00:00:00.250Z INFO reelmint.worker: leased v"


def test_info_lines_show_while_the_platform_logs_and_the_root_logger_is_put_back(capsys):
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    with platform_logging("info"):
        logging.getLogger("reelmint.worker").info("leased %s (attempt %d)", "video_1", 2)
        logging.getLogger("reelmint.worker").debug("not shown")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    found = LINE.fullmatch(lines[0])
    assert found is not None, lines
    assert found.group("level", "name", "msg") == (
        "INFO",
        "reelmint.worker",
        "leased video_1 (attempt 2)",
    )
    assert (root.handlers, root.level) == (handlers, level)


@pytest.mark.parametrize(("level", "shown"), [("debug", 3), ("warning", 1), ("error", 0)])
def test_the_log_level_setting_chooses_what_shows(capsys, level, shown):
    with platform_logging(level):
        for say in (logging.debug, logging.info, logging.warning):
            say("a line")
    assert len(capsys.readouterr().err.splitlines()) == shown


def test_caplog_still_sees_records_while_the_platform_logs(caplog):
    with platform_logging("info"), caplog.at_level(logging.WARNING, logger="reelmint.worker"):
        logging.getLogger("reelmint.worker").warning("progress for video_1 not recorded")
    assert "progress for video_1 not recorded" in caplog.text


def test_alembic_info_lines_show_at_debug_only(capsys):
    alembic = logging.getLogger("alembic.runtime.migration")
    with platform_logging("info"):
        alembic.info("Context impl SQLiteImpl.")
    assert capsys.readouterr().err == ""
    with platform_logging("debug"):
        alembic.info("Context impl SQLiteImpl.")
    assert "Context impl SQLiteImpl." in capsys.readouterr().err
    assert logging.getLogger("alembic").level == logging.NOTSET  # put back
