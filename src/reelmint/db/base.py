"""The declarative base, and the column conventions every table shares.

- Ids are strings with a type prefix (`video_...`, `user_...`) made in Python, so an id says
  what it names in logs and URLs and can be made before the row is inserted.
- Times are timezone-aware UTC everywhere. SQLite keeps no zone, so `UTCDateTime` stores naive
  UTC and gives back aware datetimes on both databases.
- Constraint names follow one convention so that Alembic migrations can refer to them on
  SQLite (batch mode) and PostgreSQL alike.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar, overload

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from reelmint.errors import BadRequest

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_ID_DIGITS = 24
_ID_SPACE = len(_ID_ALPHABET) ** _ID_DIGITS  # about 2**124


def utcnow() -> datetime:
    """Now, in UTC, to the microsecond."""
    return datetime.now(UTC)


@overload
def unix_time(moment: datetime) -> int: ...
@overload
def unix_time(moment: None) -> None: ...
def unix_time(moment: datetime | None) -> int | None:
    """A time as the API gives it: whole seconds since 1970 (None stays None)."""
    return None if moment is None else int(moment.timestamp())


# Anything new_id() makes (and a handle) fits this; other text cannot name a row and is refused
# before it reaches the database (PostgreSQL rejects NUL characters with an error).
ID_SHAPE = re.compile(r"[A-Za-z0-9_\-]{1,64}")


def unstorable_text(exc: BaseException) -> BadRequest | None:
    """The 400 for a statement PostgreSQL's driver refused because a text value held a NUL
    character (SQLite stores it); None for any other fault. The safety net behind the checks
    that services make (`ID_SHAPE`, text fields): whatever value slips past them is the
    caller's bad input, not a server error."""
    if isinstance(exc, DataError) and "NUL (0x00)" in str(exc.orig):
        return BadRequest(
            "the request holds a NUL character (\\u0000 or %00), which cannot be stored; remove it",
            code="invalid_request",
        )
    return None


def new_id(prefix: str) -> str:
    """A new id such as `video_k3j9...`: a type prefix and 24 random base-36 characters.

    One draw from `secrets` (a number below 36**24) written in base 36: the same uniform
    digits as 24 separate draws, for one system call instead of 24.
    """
    number = secrets.randbelow(_ID_SPACE)
    digits = []
    for _ in range(_ID_DIGITS):
        number, digit = divmod(number, 36)
        digits.append(_ID_ALPHABET[digit])
    return f"{prefix}_" + "".join(digits)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use reelmint.db.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Every table's base: the shared metadata and type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, str: String}


class CreatedAt:
    """Mixin: `created_at`, set on insert."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
