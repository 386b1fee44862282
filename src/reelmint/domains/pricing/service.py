"""What a video costs, in generation units: from its backend, length and size.

price = ceil(units_per_10s x seconds / 10 x size multiplier x backend multiplier), at least 1.
With the defaults a 10 s 480p preview costs 1 unit, 20 s 720p on the preview 4, and 8 s 480p
on Wan 4. Arithmetic is exact (fractions), so a price never depends on float rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from reelmint.config import Settings
from reelmint.engine.backends.base import Size
from reelmint.engine.backends.registry import backend_names, get_backend

LARGE_SIDE = 854  # the longest side of a 480p frame
SHORT_SIDE = 480  # the shorter side of a 480p frame


def offered_backends(settings: Settings) -> tuple[str, ...]:
    """The backends this platform serves: those without a model, and each model backend
    whose model folder is set (REELMINT_WAN_PATH, ...). Admission refuses the others, and the
    price list leaves them out: a job no worker can run would only fail."""
    return tuple(
        name
        for name in backend_names()
        if not get_backend(name).uses_model or settings.model_path_for(name) is not None
    )


def offered_models(settings: Settings) -> tuple[str, ...]:
    """The API model names that run on an offered backend: aliases and backends' own names."""
    offered = offered_backends(settings)
    aliases = [a for a in settings.model_aliases if settings.backend_for_model(a) in offered]
    return tuple(sorted({*aliases, *offered}))


@dataclass(frozen=True)
class Price:
    """A price and how it was reached."""

    units: int
    backend: str
    seconds: float
    size: str
    size_class: str
    size_multiplier: int
    backend_multiplier: int
    units_per_10s: int

    def as_json(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "backend": self.backend,
            "seconds": self.seconds,
            "size": self.size,
            "breakdown": {
                "units_per_10s": self.units_per_10s,
                "size_class": self.size_class,
                "size_multiplier": self.size_multiplier,
                "backend_multiplier": self.backend_multiplier,
            },
        }


def size_class(size: Size) -> str:
    """480p for a size that fits in a 480p frame (854x480, either way up); 720p for any other.

    Both sides count: 720x720 is no longer than 854 but is 720p (its shorter side is 720),
    as the Wan backend, which refuses it on its 480p models, and the README say."""
    longest, shortest = max(size.width, size.height), min(size.width, size.height)
    return "480p" if longest <= LARGE_SIDE and shortest <= SHORT_SIDE else "720p"


def price_of(*, settings: Settings, backend: str, seconds: float, size: Size) -> Price:
    """The price of one video; `seconds` and `size` are the checked ones."""
    tier = size_class(size)
    size_multiplier = settings.price_size_multipliers.get(tier, 1)
    backend_multiplier = settings.price_backend_multipliers.get(backend, 1)
    exact = (
        Fraction(settings.price_units_per_10s)
        * Fraction(str(seconds))
        / 10
        * size_multiplier
        * backend_multiplier
    )
    return Price(
        units=max(1, math.ceil(exact)),
        backend=backend,
        seconds=seconds,
        size=str(size),
        size_class=tier,
        size_multiplier=size_multiplier,
        backend_multiplier=backend_multiplier,
        units_per_10s=settings.price_units_per_10s,
    )


def pricing_table(settings: Settings) -> dict[str, Any]:
    """The published price list: the formula's numbers and worked examples per backend."""
    backends = []
    for name in offered_backends(settings):
        meta = get_backend(name)
        sizes = sorted({str(size) for size in meta.sizes})
        seconds = sorted({float(meta.min_seconds), 10.0, float(meta.max_seconds)})
        examples = [
            price_of(settings=settings, backend=name, seconds=s, size=Size.parse(size))
            for size in sizes
            for s in seconds
            if meta.min_seconds <= s <= meta.max_seconds
        ]
        backends.append(
            {
                "backend": name,
                "multiplier": settings.price_backend_multipliers.get(name, 1),
                "examples": [
                    {"seconds": p.seconds, "size": p.size, "units": p.units} for p in examples
                ],
            }
        )
    return {
        "object": "pricing",
        "unit": "generation",
        "formula": "ceil(units_per_10s * seconds / 10 * size_multiplier * backend_multiplier), "
        "at least 1",
        "units_per_10s": settings.price_units_per_10s,
        "size_multipliers": dict(settings.price_size_multipliers),
        "backends": backends,
        "plans": [
            {"plan": plan, "daily_quota_default": units}
            for plan, units in settings.plan_daily_quota.items()
        ],
    }
