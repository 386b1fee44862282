"""Size classes and prices: a size is 480p only if it fits in a 480p frame (854x480 either way
up); 720x720 is 720p, as the README and the Wan backend's 480p models say."""

from __future__ import annotations

import pytest

from reelmint.config import Settings
from reelmint.domains.pricing.service import price_of, size_class
from reelmint.engine.backends.base import Size


@pytest.mark.parametrize(
    ("size", "tier"),
    [
        ("854x480", "480p"),
        ("480x854", "480p"),
        ("480x480", "480p"),
        ("1280x720", "720p"),
        ("720x1280", "720p"),
        ("720x720", "720p"),
        ("640x640", "720p"),  # too tall for a 480p frame: Wan's 480p models refuse it too
    ],
)
def test_a_size_is_480p_only_if_it_fits_in_a_480p_frame(size, tier):
    assert size_class(Size.parse(size)) == tier


def test_a_square_720p_video_costs_what_a_wide_one_does():
    settings = Settings(
        price_units_per_10s=1,
        price_size_multipliers={"480p": 1, "720p": 2},
        price_backend_multipliers={"preview": 1},
    )
    square = price_of(settings=settings, backend="preview", seconds=20, size=Size.parse("720x720"))
    wide = price_of(settings=settings, backend="preview", seconds=20, size=Size.parse("1280x720"))
    assert (square.size_class, square.units) == ("720p", 4)
    assert square.units == wide.units
