"""Sharing a clip's seconds among its shots.

Each shot gets time in proportion to how much happens in it (its words), but never less
than it needs: one second to be seen at all, and the reading time of its dialogue. Every
duration but the last is a whole number of 1/24 s frames, so that a 24 fps renderer cuts
exactly on shot boundaries, and the last takes the remainder, so that the durations add up
to exactly the seconds asked for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from reelmint.engine.storyboard import TICKS_PER_SECOND

MIN_SHOT_SECONDS = 1.0  # for planned shots and explicit storyboard cards alike
SECONDS_PER_SPOKEN_WORD = 0.35
_DIALOGUE_LEAD = 0.5  # a caption needs a moment before the first word is read
_EPSILON = 1e-9

__all__ = [
    "MIN_SHOT_SECONDS",
    "TICKS_PER_SECOND",
    "allocate",
    "finite_seconds",
    "max_shots",
    "reading_seconds",
    "shot_weight",
]


def finite_seconds(value: object) -> float | None:
    """A JSON or Python number as a finite float; None for anything else (bools included).

    `math.isfinite` raises OverflowError on an int too large for a float (a 400-digit
    JSON number), so the conversion is tried here once, for every caller.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) else None


def shot_weight(words: int) -> float:
    """How much screen time a shot deserves, relative to the others."""
    return 1.0 + words / 10.0


def reading_seconds(spoken_words: int) -> float:
    """How long a shot must last for its dialogue to be read."""
    if spoken_words == 0:
        return 0.0
    return _DIALOGUE_LEAD + SECONDS_PER_SPOKEN_WORD * spoken_words


def max_shots(seconds: float) -> int:
    """How many shots of at least MIN_SHOT_SECONDS fit in `seconds` (at least one)."""
    return max(1, math.floor(seconds / MIN_SHOT_SECONDS + _EPSILON))


def allocate(seconds: float, weights: Sequence[float], needs: Sequence[float]) -> list[float]:
    """Durations for shots of these weights and minimum needs, adding up to `seconds`.

    Needs are raised to MIN_SHOT_SECONDS; if they add up to more than `seconds`, each shot
    keeps its second and the rest is shared in proportion to what it needed beyond it. The
    caller makes sure len(weights) <= max_shots(seconds).
    """
    count = len(weights)
    if count == 1:
        return [seconds]
    floors = [max(MIN_SHOT_SECONDS, need) for need in needs]
    ideal = _water_fill(seconds, weights, floors)
    return _to_ticks(seconds, ideal)


def _water_fill(seconds: float, weights: Sequence[float], floors: Sequence[float]) -> list[float]:
    if sum(floors) >= seconds:
        extra = [floor - MIN_SHOT_SECONDS for floor in floors]
        spare = seconds - MIN_SHOT_SECONDS * len(floors)
        total_extra = sum(extra)
        if total_extra <= 0:
            return [seconds / len(floors)] * len(floors)
        return [MIN_SHOT_SECONDS + spare * e / total_extra for e in extra]
    fixed: dict[int, float] = {}
    while True:
        free = [i for i in range(len(weights)) if i not in fixed]
        if not free:  # only by rounding: the needs filled the clip exactly
            return [fixed[i] for i in range(len(weights))]
        left = seconds - sum(fixed.values())
        total_weight = sum(weights[i] for i in free)
        shares = {i: left * weights[i] / total_weight for i in free}
        short = [i for i in free if shares[i] < floors[i]]
        if not short:
            return [fixed.get(i, shares.get(i, 0.0)) for i in range(len(weights))]
        for i in short:
            fixed[i] = floors[i]


def _to_ticks(seconds: float, ideal: Sequence[float]) -> list[float]:
    """Round all but the last duration to whole ticks, keeping every shot >= 1 s."""
    min_ticks = round(MIN_SHOT_SECONDS * TICKS_PER_SECOND)
    budget = math.floor((seconds - MIN_SHOT_SECONDS) * TICKS_PER_SECOND + _EPSILON)
    ticks: list[int] = []
    elapsed = 0.0
    done = 0
    for duration in ideal[:-1]:
        elapsed += duration
        target = round(elapsed * TICKS_PER_SECOND) - done
        ticks.append(max(min_ticks, target))
        done += ticks[-1]
    while sum(ticks) > budget:
        largest = max(range(len(ticks)), key=lambda i: (ticks[i], -i))
        ticks[largest] -= 1
    durations = [t / TICKS_PER_SECOND for t in ticks]
    durations.append(seconds - sum(durations))
    return durations
