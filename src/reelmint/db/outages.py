"""Telling a database that cannot be reached from a database that refused a statement.

Callers react differently: an unreachable database is a passing condition (the API answers 503
`database_unavailable` with Retry-After, a worker retries recording a job's end), while an
integrity or programming error is a fault of ours that retrying will not mend (500, with a
traceback in the log). The test is made on the driver's own error, never on SQLAlchemy's
wrapper alone: SQLAlchemy raises `OperationalError` for a deadlock as readily as for a refused
connection.

- PostgreSQL (psycopg 3): an error with a SQLSTATE of class 08 (connection exception), 57P01-03
  (the server shut the session down, crashed, or cannot take connections yet) or 53300 (too
  many connections); one without a SQLSTATE is a failure before or beneath the protocol
  (psycopg's "connection failed: ...", "consuming input failed", ...) and is judged by its words.
- SQLite: "unable to open database file", and "database is locked" (another writer held the
  lock past the busy timeout: the database is there but busy, and the same request succeeds
  a moment later, so it too is a 503 rather than a fault of ours).
- SQLAlchemy: a connection it found broken (`connection_invalidated`, `DisconnectionError`),
  and a pool that timed out waiting for a free connection.
"""

from __future__ import annotations

from sqlalchemy import exc

# SQLSTATEs (or their classes) that say the connection, not the statement, failed.
_UNREACHABLE_STATE_CLASSES = ("08",)
_UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})
# How drivers word a connection-level failure that carries no SQLSTATE (lower case).
_UNREACHABLE_WORDS = (
    "connection failed",
    "connection refused",
    "could not connect",
    "server closed the connection",
    "connection is closed",
    "connection is lost",
    "connection timeout expired",
    "consuming input failed",
    "sending query failed",
    "terminating connection",
    "not currently accepting connections",
    "the database system is",  # starting up / shutting down / in recovery mode
    "no route to host",
    "could not translate host name",
    "unable to open database file",
    "database is locked",
)
# Errors worth retrying a transaction for that do not mean the database is gone: PostgreSQL's
# class 40 (serialization failure, deadlock) and 55P03 (lock not available).
_TRANSIENT_STATE_CLASSES = ("40",)
_TRANSIENT_STATES = frozenset({"55P03"})


def database_unreachable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached (or cannot take us) right now."""
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):
        return True  # the pool waited in vain for a connection; a connection was found dead
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, exc.OperationalError | exc.InterfaceError):
        return False
    state = _sqlstate(error.orig)
    if state is not None:
        return state.startswith(_UNREACHABLE_STATE_CLASSES) or state in _UNREACHABLE_STATES
    words = str(error.orig).lower()
    return any(phrase in words for phrase in _UNREACHABLE_WORDS)


def worth_retrying(error: BaseException) -> bool:
    """Whether the same transaction may succeed if tried again in a moment: the database was
    unreachable, or the transaction lost a race (a deadlock, a serialization failure)."""
    if database_unreachable(error):
        return True
    if not isinstance(error, exc.OperationalError):
        return False
    state = _sqlstate(error.orig)
    return state is not None and (
        state.startswith(_TRANSIENT_STATE_CLASSES) or state in _TRANSIENT_STATES
    )


def describe(error: BaseException) -> str:
    """The driver's own words for `error`, on one line (for a log line, never for users)."""
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    words = " ".join(str(cause).split()) or type(cause).__name__
    return words[:300]


def _sqlstate(driver_error: BaseException | None) -> str | None:
    state = getattr(driver_error, "sqlstate", None)
    return state if isinstance(state, str) and state else None
