"""Keyset paging: the rows after a cursor in a list ordered by a column and then by id.

Every list the API and the pages show (videos, the feed, notifications, claims, a cameo's
uses) pages this way: no OFFSET to grow with the page number, and rows sharing a time are put
in a stable order by their id, so no row is shown twice or skipped between pages. Each also
bounds its page size with `check_limit`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_

from reelmint.errors import BadRequest


def after_cursor(
    order: Any, tie: Any, cursor: tuple[Any, Any], *, descending: bool = True
) -> ColumnElement[bool]:
    """The rows that come after `cursor` (its `order` value and its `tie` value, the id) in a
    list ordered by (`order`, `tie`), descending (newest first) unless told otherwise."""
    value, tie_value = cursor
    if descending:
        return or_(order < value, and_(order == value, tie < tie_value))
    return or_(order > value, and_(order == value, tie > tie_value))


def check_limit(limit: int, most: int) -> None:
    """Refuse a page size outside 1..`most` (400 `invalid_limit`, naming the bounds)."""
    if not 1 <= limit <= most:
        raise BadRequest(
            f"limit must be between 1 and {most}, got {limit}", code="invalid_limit", param="limit"
        )
