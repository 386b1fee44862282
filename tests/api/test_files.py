"""parse_range: the byte range a Range header asks for, and what it ignores."""

from __future__ import annotations

import pytest

from reelmint.api.files import parse_range

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=900-", (900, SIZE - 1)),
        ("bytes=-100", (SIZE - 100, SIZE - 1)),
        ("bytes=10-" + "9" * 18, (10, SIZE - 1)),  # the longest number read
        ("bytes=" + "9" * 18 + "-", "unsatisfiable"),
        ("bytes=1000-", "unsatisfiable"),
        (None, None),
        ("bytes=0-1,5-6", None),
        ("bytes=9-3", None),
    ],
)
def test_ranges_are_read(header, wanted):
    assert parse_range(header, SIZE) == wanted


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "1" * 5000,
        "bytes=" + "0" * 19 + "-5",
    ],
)
def test_a_number_too_long_is_a_malformed_header_and_gets_the_whole_file(header):
    assert parse_range(header, SIZE) is None
