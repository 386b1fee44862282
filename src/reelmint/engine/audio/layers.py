"""Building blocks of ambient beds: noise textures, scattered grains, drones, howls, waves.

A bed is a sum of layers over one `Scene` (its length, rate, time of day and random streams).
Each layer draws from its own stream, named by purpose, so beds stay deterministic and a layer
can be added without changing the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reelmint.engine.audio.synth import (
    TAU,
    cosine,
    phase,
    place,
    rng_for,
    scale,
    seconds_axis,
    shaped_noise,
    sine,
    smooth_random,
    steady_sine,
    widen,
)

# How much birds sing at each time of day (dawn chorus loudest, nearly silent at night).
BIRD_ACTIVITY: dict[str, float] = {
    "dawn": 1.0,
    "morning": 0.85,
    "noon": 0.5,
    "afternoon": 0.55,
    "sunset": 0.65,
    "dusk": 0.3,
    "night": 0.04,
}


@dataclass(frozen=True)
class Scene:
    """What a bed is rendered for: n samples at sr, a time of day, and a seed + key that name
    its random streams (key separates beds of different shots of one clip)."""

    n: int
    sr: int
    seed: int
    key: tuple[int | str, ...]
    time_of_day: str = "noon"

    def rng(self, purpose: str) -> np.random.Generator:
        return rng_for(self.seed, *self.key, purpose)

    @property
    def seconds(self) -> float:
        return self.n / self.sr

    @property
    def night(self) -> bool:
        return self.time_of_day == "night"

    @property
    def dark(self) -> bool:
        """Dusk or night: when insects take over from birds."""
        return self.time_of_day in ("dusk", "night")

    @property
    def birds(self) -> float:
        return BIRD_ACTIVITY[self.time_of_day]

    def silence(self) -> np.ndarray:
        return np.zeros((self.n, 2))


def texture(
    scene: Scene,
    purpose: str,
    low: float,
    high: float | None,
    level: float,
    *,
    gusts: float = 0.0,
    gust_rate: float = 0.2,
    width: float = 0.8,
    order: int = 2,
) -> np.ndarray:
    """Band noise at RMS `level`, spread in stereo; `gusts` (0..1) is how deeply it swells."""
    rng = scene.rng(purpose)
    noise = widen(shaped_noise(scene.n, scene.sr, rng, low, high, order), width)
    if gusts > 0:
        swell = smooth_random(scene.n, scene.sr, gust_rate, rng, 1.0 - gusts, 1.0)
        scale(noise, swell * level)
    else:
        noise *= level
    return noise


def scatter(
    scene: Scene,
    purpose: str,
    rate: float,
    make: Callable[[np.random.Generator], np.ndarray],
    gain: tuple[float, float],
    *,
    spread: float = 0.7,
    variants: int = 0,
) -> np.ndarray:
    """Grains at random times (`rate` per second on average), random level and pan.

    With `variants`, that many grains are made once and reused: rain drops or crackles come by
    the hundred, and a dozen shapes are enough to hide the repetition.
    """
    rng = scene.rng(purpose)
    out = scene.silence()
    count = int(rng.poisson(max(rate, 0.0) * scene.seconds))
    if count == 0:
        return out
    starts = np.sort(rng.integers(0, scene.n, count))
    made = [make(rng) for _ in range(variants)]
    for start in starts:
        grain = made[int(rng.integers(len(made)))] if made else make(rng)
        place(out, grain, int(start), rng.uniform(*gain), rng.uniform(-spread, spread))
    return out


def periodic(
    scene: Scene,
    purpose: str,
    times: np.ndarray,
    make: Callable[[np.random.Generator, int], np.ndarray],
    gain: float,
    position: float = 0.0,
) -> np.ndarray:
    """Grains at given times (seconds); `make` gets the grain's index (tick, tock, tick...)."""
    rng = scene.rng(purpose)
    out = scene.silence()
    for index, time in enumerate(times):
        place(out, make(rng, index), round(time * scene.sr), gain, position)
    return out


def drone(
    scene: Scene, purpose: str, frequencies: tuple[float, ...], level: float, beat: float = 0.15
) -> np.ndarray:
    """Low sustained tones, each slightly detuned between the ears so they slowly beat."""
    rng = scene.rng(purpose)
    out = scene.silence()
    for frequency in frequencies:
        swell = smooth_random(scene.n, scene.sr, 0.1, rng, 0.5, 1.0)
        for channel, detune in ((0, 0.0), (1, beat)):
            offset = rng.uniform(0.0, TAU)
            out[:, channel] += swell * steady_sine(frequency + detune, scene.n, scene.sr, offset)
    return out * (level / np.sqrt(len(frequencies)))


def howl(
    scene: Scene,
    purpose: str,
    centre: float,
    level: float,
    *,
    glide: float = 0.35,
    bandwidth: float = 35.0,
) -> np.ndarray:
    """Wind whistling over an edge: narrow-band noise whose centre pitch wanders.

    Two slow noises (the in-phase and quadrature parts of the band) ride a carrier whose
    frequency glides, which sweeps a narrow band without a time-varying filter.
    """
    rng = scene.rng(purpose)
    n, sr = scene.n, scene.sr
    in_phase = shaped_noise(n, sr, rng, 0.0, bandwidth)
    quadrature = shaped_noise(n, sr, rng, 0.0, bandwidth)
    frequency = centre * (1.0 + glide * smooth_random(n, sr, 0.25, rng, -1.0, 1.0))
    theta = phase(frequency, n, sr)
    whistle = (in_phase * cosine(theta) - quadrature * sine(theta)) / np.sqrt(2.0)
    whistle *= smooth_random(n, sr, 0.2, rng, 0.15, 1.0)
    return widen(whistle, 0.6) * level


def waves(
    scene: Scene,
    purpose: str,
    period: float,
    level: float,
    *,
    low: float = 60.0,
    high: float = 900.0,
    wash: float = 0.6,
) -> np.ndarray:
    """Sea swell: a low roar that rises and breaks every `period` seconds (wandering a little),
    followed by the brighter hiss of foam running back."""
    rng = scene.rng(purpose)
    n, sr = scene.n, scene.sr
    rate = (1.0 + 0.25 * smooth_random(n, sr, 0.08, rng, -1.0, 1.0)) / period
    cycle = np.cumsum(rate) / sr + rng.uniform()
    swell = np.square(0.5 - 0.5 * cosine(TAU * cycle))
    foam = 0.5 - 0.5 * cosine(TAU * (cycle - 0.12))
    foam = foam * foam * foam
    body = scale(widen(shaped_noise(n, sr, rng, low, high), 0.6), (0.15 + 0.85 * swell) * level)
    hiss = widen(shaped_noise(n, sr, rng, 1500.0, 9000.0), 0.9)
    body += scale(hiss, (0.05 + 0.95 * foam) * (wash * 0.5 * level))
    return body


def crickets(scene: Scene, level: float, count: int = 3) -> np.ndarray:
    """Crickets: high tones gated into chirps of a few pulses, each insect its own rhythm."""
    t = seconds_axis(scene.n, scene.sr)
    out = scene.silence()
    for index in range(count):
        rng = scene.rng(f"cricket {index}")
        pitch = min(rng.uniform(3900.0, 5200.0), 0.4 * scene.sr)
        pulse_rate = rng.uniform(25.0, 40.0)
        chirp_period = rng.uniform(0.45, 0.9)
        chirp_length = int(rng.integers(3, 6)) / pulse_rate
        shifted = t + rng.uniform(0.0, chirp_period)
        local = shifted - np.floor(shifted * (1.0 / chirp_period)) * chirp_period
        gate = (local < chirp_length) * np.square(sine(np.pi * pulse_rate * local))
        tone = steady_sine(pitch, scene.n, scene.sr) * gate
        angle = (rng.uniform(-0.7, 0.7) + 1.0) * np.pi / 4
        out[:, 0] += tone * np.cos(angle)
        out[:, 1] += tone * np.sin(angle)
    return out * (level / np.sqrt(count))


def shimmer(scene: Scene, purpose: str, level: float, count: int = 5) -> np.ndarray:
    """Faint high tones fading in and out at random: the glitter of space or magic."""
    rng = scene.rng(purpose)
    out = scene.silence()
    for _ in range(count):
        pitch = min(rng.uniform(1800.0, 5200.0), 0.4 * scene.sr)
        swell = smooth_random(scene.n, scene.sr, 0.3, rng, 0.0, 1.0)
        tone = steady_sine(pitch, scene.n, scene.sr, rng.uniform(0.0, TAU)) * (
            swell * swell * swell
        )
        angle = (rng.uniform(-0.9, 0.9) + 1.0) * np.pi / 4
        out[:, 0] += tone * np.cos(angle)
        out[:, 1] += tone * np.sin(angle)
    return out * (level / np.sqrt(count))


def murmur(scene: Scene, purpose: str, level: float) -> np.ndarray:
    """A crowd talking: voice-band noise chopped at syllable rate, so it reads as many voices."""
    rng = scene.rng(purpose)
    n, sr = scene.n, scene.sr
    voices = widen(shaped_noise(n, sr, rng, 250.0, 1800.0), 0.9)
    chatter = smooth_random(n, sr, 7.0, rng, 0.35, 1.0) * smooth_random(n, sr, 0.5, rng, 0.6, 1.0)
    return scale(voices, chatter * level)
