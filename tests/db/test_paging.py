"""Keyset paging: walking a list page by page with `after_cursor` visits every row once, in
order, ties on the ordering column included, newest first and oldest first; `check_limit`
bounds a page's size."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select

from reelmint.db.paging import after_cursor, check_limit
from reelmint.errors import BadRequest

ROWS = [(t, f"id{n}") for n, t in enumerate([3, 1, 2, 2, 2, 5, 1, 4])]  # ties at 1 and 2


@pytest.mark.parametrize("descending", [True, False])
def test_pages_visit_every_row_once_in_order(descending):
    table = Table("items", MetaData(), Column("t", Integer), Column("id", String, primary_key=True))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    keys = (table.c.t.desc(), table.c.id.desc()) if descending else (table.c.t, table.c.id)
    seen: list[tuple[int, str]] = []
    with engine.begin() as connection:
        connection.execute(insert(table), [{"t": t, "id": i} for t, i in ROWS])
        cursor = None
        while True:
            query = select(table.c.t, table.c.id).order_by(*keys).limit(3)
            if cursor is not None:
                query = query.where(
                    after_cursor(table.c.t, table.c.id, cursor, descending=descending)
                )
            page = [tuple(row) for row in connection.execute(query)]
            if not page:
                break
            seen += page
            cursor = page[-1]
    assert seen == sorted(ROWS, reverse=descending)


@pytest.mark.parametrize("limit", [0, -1, 51])
def test_a_page_size_out_of_bounds_is_refused_with_the_bounds(limit):
    with pytest.raises(BadRequest) as caught:
        check_limit(limit, 50)
    assert caught.value.code == "invalid_limit"
    assert caught.value.param == "limit"
    assert f"between 1 and 50, got {limit}" in str(caught.value)


def test_page_sizes_within_bounds_pass():
    for limit in (1, 20, 50):
        assert check_limit(limit, 50) is None  # no error
