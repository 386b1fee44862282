"""Screen-space particles (rain, snow, bubbles, embers), lightning and film grain.

Every particle of a kind is a row in a few numpy arrays; a frame computes all positions at once,
expands them by a small stamp (a streak, a flake, a ring) and blends the covered pixels with one
fancy-indexing read and one write. No Python loop ever runs per particle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reelmint.engine.backends.preview.look import Look

# Settings where no rain or snow falls in view (indoors, under water, in space).
SHELTERED = frozenset({"room", "cave", "underwater", "space"})


@dataclass(frozen=True)
class Species:
    """One kind of particle: positions, velocities, sway, a stamp, a colour and an opacity."""

    x: np.ndarray
    y: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    sway: float
    sway_phase: np.ndarray
    sway_freq: float
    stamp_dx: np.ndarray
    stamp_dy: np.ndarray
    colour: np.ndarray
    alpha: int


def _streak(length: int, slant: float) -> tuple[np.ndarray, np.ndarray]:
    dy = np.arange(length, dtype=np.int32)
    return np.round(dy * slant).astype(np.int32), dy


_FLAKES = {
    1: (np.array([0], np.int32), np.array([0], np.int32)),
    2: (np.array([0, -1, 1, 0, 0], np.int32), np.array([0, 0, 0, -1, 1], np.int32)),
    3: (
        np.array([-1, 0, 1, -1, 0, 1, -1, 0, 1, 0, -2, 2, 0], np.int32),
        np.array([-1, -1, -1, 0, 0, 0, 1, 1, 1, -2, 0, 0, 2], np.int32),
    ),
}
_RING = (
    np.array([-1, 0, 1, -2, 2, -2, 2, -1, 0, 1], np.int32),
    np.array([-2, -2, -2, -1, -1, 1, 1, 2, 2, 2], np.int32),
)


class ParticleField:
    """All particles of one shot. `draw(frame, t)` adds them to a frame in place."""

    def __init__(self, species: list[Species], width: int, height: int) -> None:
        self.species = species
        self.width, self.height = width, height
        self._margin = 0.1 * height

    def draw(self, frame: np.ndarray, t: float) -> None:
        flat = frame.reshape(-1, 3)
        w, h, m = self.width, self.height, self._margin
        for sp in self.species:
            x = sp.x + sp.vx * t
            if sp.sway:
                x = x + sp.sway * np.sin(2.0 * math.pi * sp.sway_freq * t + sp.sway_phase)
            x = np.mod(x, w + 2 * m) - m
            y = np.mod(sp.y + sp.vy * t, h + 2 * m) - m
            xi = x.astype(np.int32)[:, None] + sp.stamp_dx[None, :]
            yi = y.astype(np.int32)[:, None] + sp.stamp_dy[None, :]
            inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            index = (yi * w + xi)[inside]
            pixels = flat[index].astype(np.uint16)
            blended = (pixels * (256 - sp.alpha) + sp.colour * sp.alpha) >> 8
            flat[index] = blended.astype(np.uint8)


def _species(
    rng: np.random.Generator,
    count: int,
    width: int,
    height: int,
    *,
    speed: tuple[float, float],
    drift: float,
    sway: float,
    stamp: tuple[np.ndarray, np.ndarray],
    colour: tuple[int, int, int],
    alpha: int,
) -> Species:
    margin = 0.1 * height
    vy = rng.uniform(speed[0], speed[1], count).astype(np.float32)
    return Species(
        x=rng.uniform(0, width + 2 * margin, count).astype(np.float32),
        y=rng.uniform(0, height + 2 * margin, count).astype(np.float32),
        vx=(vy * drift).astype(np.float32),
        vy=vy,
        sway=sway,
        sway_phase=rng.uniform(0, 2 * math.pi, count).astype(np.float32),
        sway_freq=0.4,
        stamp_dx=stamp[0],
        stamp_dy=stamp[1],
        colour=np.asarray(colour, dtype=np.uint16),
        alpha=alpha,
    )


def weather_particles(
    weather: str, setting: str, look: Look, width: int, height: int, rng: np.random.Generator
) -> ParticleField:
    """The particles a shot's weather and setting call for (possibly none)."""
    area = width * height
    species: list[Species] = []
    if setting in SHELTERED:
        weather = "clear"
    if weather in ("rain", "storm"):
        heavy = weather == "storm"
        slant = 0.25 if heavy else 0.12
        colour = look.paint((200, 208, 226))
        for share, length, speed, alpha in ((0.6, 0.022, 1.4, 80), (0.4, 0.045, 2.2, 120)):
            count = int(area * 0.0011 * (1.7 if heavy else 1.0) * share)
            stamp = _streak(max(3, round(length * height)), slant)
            species.append(
                _species(
                    rng,
                    count,
                    width,
                    height,
                    speed=(speed * height * 0.85, speed * height * 1.15),
                    drift=slant,
                    sway=0.0,
                    stamp=stamp,
                    colour=colour,
                    alpha=alpha,
                )
            )
    elif weather == "snow":
        colour = look.with_fill(0.5).paint((252, 252, 255))
        for size, share, speed, alpha in (
            (1, 0.4, 0.1, 220),
            (2, 0.4, 0.16, 236),
            (3, 0.2, 0.24, 248),
        ):
            count = int(area * 0.0025 * share)
            species.append(
                _species(
                    rng,
                    count,
                    width,
                    height,
                    speed=(speed * height * 0.8, speed * height * 1.2),
                    drift=0.15,
                    sway=0.012 * width,
                    stamp=_FLAKES[size],
                    colour=colour,
                    alpha=alpha,
                )
            )
    if setting == "underwater":
        species.append(
            _species(
                rng,
                int(area * 0.00012),
                width,
                height,
                speed=(-0.16 * height, -0.08 * height),
                drift=0.0,
                sway=0.008 * width,
                stamp=_RING,
                colour=look.emit((220, 240, 255)),
                alpha=150,
            )
        )
    if setting == "volcano":
        species.append(
            _species(
                rng,
                int(area * 0.00015),
                width,
                height,
                speed=(-0.2 * height, -0.08 * height),
                drift=-0.3,
                sway=0.01 * width,
                stamp=_FLAKES[2],
                colour=look.emit((255, 150, 50)),
                alpha=220,
            )
        )
    return ParticleField(species, width, height)


@dataclass(frozen=True)
class Lightning:
    """Seeded flash times of a storm; `strength(t)` is how white the frame goes."""

    times: tuple[float, ...]

    @classmethod
    def seeded(cls, duration: float, rng: np.random.Generator) -> Lightning:
        times, t = [], float(rng.uniform(0.5, 1.5))
        while t < duration:
            times.append(t)
            t += float(rng.uniform(2.0, 4.0))
        return cls(tuple(times))

    def strength(self, t: float) -> float:
        for flash in self.times:
            k = t - flash
            if 0.0 <= k < 0.4:
                flicker = 1.0 if k < 0.06 or 0.12 <= k < 0.17 else 0.45
                return 0.75 * flicker * (1.0 - k / 0.4)
        return 0.0


def flash(frame: np.ndarray, strength: float) -> None:
    """Brighten the frame toward white in place (lightning)."""
    level = round(256 * min(1.0, strength))
    pixels = frame.astype(np.uint16)
    frame[...] = pixels + (((255 - pixels) * level) >> 8)


class Grain:
    """Film grain as sparse speckles: a few precomputed sets, one per frame in turn."""

    SETS = 6
    SHARE = 0.02

    def __init__(self, width: int, height: int, rng: np.random.Generator) -> None:
        count = int(width * height * self.SHARE)
        self._index = [rng.integers(0, width * height, count) for _ in range(self.SETS)]
        self._delta = [
            rng.integers(-22, 23, count).astype(np.int16)[:, None] for _ in range(self.SETS)
        ]

    def draw(self, frame: np.ndarray, frame_number: int) -> None:
        flat = frame.reshape(-1, 3)
        k = frame_number % self.SETS
        index = self._index[k]
        flat[index] = np.clip(flat[index].astype(np.int16) + self._delta[k], 0, 255).astype(
            np.uint8
        )


def fade(frame: np.ndarray, level: float) -> None:
    """Scale the frame toward black in place (the clip's first and last frames)."""
    frame[...] = (frame.astype(np.uint16) * round(256 * level)) >> 8
