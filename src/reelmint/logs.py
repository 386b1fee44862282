"""Logging for the long-running commands (`up`, `worker`): one line a record, with the time in
UTC, the level and the logger's name, at the level REELMINT_LOG_LEVEL sets.

`platform_logging` configures the root logger only while a command runs and puts it back
after, so a server or worker run inside another program (the tests, with pytest's log
capture) leaves that program's logging as it found it. uvicorn's own loggers (access and
error) propagate to the root (the server is made with `log_config=None`), so they share the
format.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Loggers whose info lines say nothing to an operator ("Context impl SQLiteImpl." at every
# schema check): shown at debug only.
QUIET_BELOW_DEBUG = ("alembic",)


class UtcFormatter(logging.Formatter):
    """Times as ISO 8601 in UTC to the millisecond (2026-11-24T07:42:20.123Z): hosts in other
    zones write lines that sort and compare as they are."""

    converter = time.gmtime
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes (not the one there was when the
    handler was made), as logging's own last-resort handler does."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """The stream is always the current stderr (StreamHandler sets one at first)."""


def log_handler() -> logging.Handler:
    handler = StderrHandler()
    handler.setFormatter(UtcFormatter(LOG_FORMAT))
    return handler


@contextmanager
def platform_logging(level: str) -> Iterator[None]:
    """Log records of `level` and above (debug, info, warning, error, critical) to stderr in
    the platform's format while the block runs."""
    root, quiet = logging.getLogger(), [logging.getLogger(name) for name in QUIET_BELOW_DEBUG]
    handler, previous = log_handler(), [root.level, *(logger.level for logger in quiet)]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for logger in quiet:
        logger.setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        for logger, was in zip([root, *quiet], previous, strict=True):
            logger.setLevel(was)
