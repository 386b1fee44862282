"""Keyset paging: the rows after a cursor in a list ordered by a column and then by id.

Every list the API and the pages show (videos, the feed, notifications, claims, a cameo's
uses) pages this way: no OFFSET to grow with the page number, and rows sharing a time are put
in a stable order by their id, so no row is shown twice or skipped between pages. Each also
bounds its page size with `check_limit`.

A page is continued from a position: a row's id (the API's `last_id`, looked up) or a cursor
`<microseconds since 1970>_<id>` (`cursor_at`; the feed's `next_cursor`). A cursor needs no
row, so it still works when the row it came from has been deleted since (a notification
removed with another account's closure, a user unfollowed meanwhile); the web pages' "older"
links use cursors for that reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from reelmint.db.base import ID_SHAPE
from reelmint.errors import BadRequest, NotFound, ServiceError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_MOST_DIGITS = 17  # microseconds to about the year 5100: no overflow, and room enough


def after_cursor(
    order: Any, tie: Any, cursor: tuple[Any, Any], *, descending: bool = True
) -> ColumnElement[bool]:
    """The rows that come after `cursor` (its `order` value and its `tie` value, the id) in a
    list ordered by (`order`, `tie`), descending (newest first) unless told otherwise."""
    value, tie_value = cursor
    if descending:
        return or_(order < value, and_(order == value, tie < tie_value))
    return or_(order > value, and_(order == value, tie > tie_value))


def nothing_to_list_after(what: str, after: str, *, code: str) -> NotFound:
    """404 `code` for a page asked for after a `what` (video, claim...) the caller cannot see:
    the message says what `after` takes."""
    return NotFound(
        f"no {what} {after[:80]!r} to list after; pass the last_id of the previous page",
        code=code,
        param="after",
    )


def check_limit(limit: int, most: int) -> None:
    """Refuse a page size outside 1..`most` (400 `invalid_limit`, naming the bounds)."""
    if not 1 <= limit <= most:
        raise BadRequest(
            f"limit must be between 1 and {most}, got {limit}", code="invalid_limit", param="limit"
        )


def cursor_at(at: datetime, row_id: str) -> str:
    """The cursor for the rows after one at time `at` with id `row_id`."""
    return f"{(at - _EPOCH) // _MICROSECOND}_{row_id}"


def position_after(
    after: str,
    *,
    prefix: str,
    what: str,
    of_row: Callable[[str], tuple[datetime, str] | None],
    missing: ServiceError,
) -> tuple[datetime, str]:
    """Where a page continued from `after` starts: a cursor's (time, id), or the position of
    the row whose id `after` is (`of_row`; `missing` is raised when it is not there). A cursor
    starts with a digit; no id does."""
    if after[:1].isascii() and after[:1].isdigit():
        return parse_cursor(after, prefix, what=what)
    position = of_row(after)
    if position is None:
        raise missing
    return position


def parse_cursor(after: str, prefix: str, *, what: str) -> tuple[datetime, str]:
    """The (time, id) a cursor from `cursor_at` names; 400 `invalid_cursor` if it is damaged
    or names no `prefix`_ id (`what` names the list in the message)."""
    micros, _, row_id = after.partition("_")
    at = cursor_time(micros)
    shaped = row_id.startswith(f"{prefix}_") and ID_SHAPE.fullmatch(row_id) is not None
    if at is None or not shaped:
        raise invalid_cursor(what)
    return at, row_id


def cursor_time(micros: str) -> datetime | None:
    """The time a cursor's first part (`cursor_at`) names; None when it names none."""
    digits = micros.isascii() and micros.isdigit()  # "²" passes `str.isdigit` alone
    if not digits or len(micros) > _MOST_DIGITS:
        return None
    return _EPOCH + int(micros) * _MICROSECOND


def invalid_cursor(what: str) -> BadRequest:
    """400 `invalid_cursor` for a damaged cursor of the `what` list."""
    return BadRequest(
        f"the {what} cursor is not valid; follow the page's own 'older' link, or start from "
        "the newest",
        code="invalid_cursor",
        param="after",
    )
