"""Short one-shot sounds ("grains"): chirps, steps, thuds, drips, bells, thunder...

Each function returns a mono float64 array with a peak near 1; callers set the level and the
pan when they place it. Randomness comes in through `rng` so a seed fixes every detail.
"""

from __future__ import annotations

import numpy as np

from reelmint.engine.audio.synth import (
    attack_decay,
    bell_curve,
    normalise_peak,
    partials,
    phase,
    seconds_axis,
    shaped_noise,
    smooth_random,
    tail_taper,
)


def _length(seconds: float, sr: int) -> int:
    return max(2, int(seconds * sr))


def glide(
    sr: int, seconds: float, start_hz: float, end_hz: float, *, curve: float = 1.0
) -> np.ndarray:
    """A frequency moving from start to end (exponentially; `curve` bends the path)."""
    t = np.linspace(0.0, 1.0, _length(seconds, sr)) ** curve
    return start_hz * (end_hz / start_hz) ** t


def chirp(sr: int, rng: np.random.Generator, *, low: float, high: float) -> np.ndarray:
    """A bird's single chirp: a quick pitch sweep up or down with a soft pluck envelope."""
    seconds = rng.uniform(0.04, 0.11)
    start, end = (low, high) if rng.random() < 0.6 else (high, low)
    frequency = glide(sr, seconds, start * rng.uniform(0.9, 1.1), end * rng.uniform(0.9, 1.1))
    n = frequency.size
    theta = phase(frequency, n, sr)
    tone = partials(theta, (1.0, 0.12), frequency, sr)
    return tone * attack_decay(n, sr, 0.008, seconds * 0.45)


def bird_phrase(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A short song: two to six chirps of one bird, its own pitch range, small gaps."""
    base = rng.uniform(2200.0, 4200.0)
    parts = []
    for _ in range(int(rng.integers(2, 7))):
        parts.append(chirp(sr, rng, low=base * 0.8, high=base * 1.35))
        parts.append(np.zeros(int(rng.uniform(0.02, 0.09) * sr)))
    return np.concatenate(parts)


def tick(sr: int, frequency: float, seconds: float = 0.025) -> np.ndarray:
    """A small mechanical click (a clock): a damped resonance with a sharp start."""
    n = _length(seconds, sr)
    theta = phase(frequency, n, sr)
    tone = partials(theta, (1.0, 0.0, 0.35), frequency, sr)
    return tone * attack_decay(n, sr, 0.0005, seconds * 0.25)


def thud(
    sr: int, rng: np.random.Generator, *, frequency: float = 70.0, seconds: float = 0.35
) -> np.ndarray:
    """A heavy landing: a low sine dropping in pitch, a puff of low noise on top."""
    n = _length(seconds, sr)
    pitch = glide(sr, seconds, frequency * 1.6, frequency * 0.8, curve=0.35)[:n]
    body = np.sin(phase(pitch, n, sr)) * attack_decay(n, sr, 0.003, seconds * 0.3)
    dust = shaped_noise(n, sr, rng, 60.0, 900.0) * attack_decay(n, sr, 0.002, 0.04)
    return normalise_peak(body + 0.35 * dust)


FOOTSTEP_BANDS: dict[str, tuple[float, float, float, float]] = {
    # surface: (noise low Hz, noise high Hz, decay s, heel thump gain)
    "hard": (250.0, 3200.0, 0.025, 0.8),
    "soft": (400.0, 5000.0, 0.05, 0.35),
    "sand": (700.0, 6000.0, 0.06, 0.2),
    "snow": (600.0, 4500.0, 0.08, 0.25),
    "water": (300.0, 2500.0, 0.09, 0.2),
}


def footstep(sr: int, rng: np.random.Generator, surface: str) -> np.ndarray:
    """One footfall: a filtered noise scuff (the surface) over a short heel thump."""
    low, high, decay, heel = FOOTSTEP_BANDS[surface]
    n = _length(decay * 5, sr)
    scuff = shaped_noise(n, sr, rng, low * rng.uniform(0.85, 1.2), high)
    if surface == "snow":
        scuff *= smooth_random(n, sr, 220.0, rng, 0.2, 1.0)  # the crunch of packed crystals
    scuff *= attack_decay(n, sr, 0.004, decay)
    thump = np.sin(phase(rng.uniform(75.0, 110.0), n, sr)) * attack_decay(n, sr, 0.002, 0.03)
    return normalise_peak(scuff + heel * thump)


def clop(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A hoof on ground: a hollow, woody knock (two damped resonances)."""
    n = _length(0.12, sr)
    base = rng.uniform(650.0, 900.0)
    knock = np.sin(phase(base, n, sr)) + 0.5 * np.sin(phase(base * 2.3, n, sr))
    click = shaped_noise(n, sr, rng, 1500.0, 6000.0) * attack_decay(n, sr, 0.0005, 0.004)
    return normalise_peak(knock * attack_decay(n, sr, 0.001, 0.018) + 0.4 * click)


def clank(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A metal foot: inharmonic ringing partials, short."""
    n = _length(0.18, sr)
    base = rng.uniform(420.0, 520.0)
    ring = sum(
        gain * np.sin(phase(base * ratio, n, sr))
        for ratio, gain in ((1.0, 1.0), (2.76, 0.6), (5.4, 0.35))
    )
    return normalise_peak(ring * attack_decay(n, sr, 0.001, 0.035))


def whoosh(
    sr: int, rng: np.random.Generator, seconds: float, low: float = 250.0, high: float = 2500.0
) -> np.ndarray:
    """Air rushing past: band noise under a smooth swell."""
    n = _length(seconds, sr)
    return shaped_noise(n, sr, rng, low, high) * bell_curve(n) ** 1.5


def boing(sr: int, frequency: float = 180.0, seconds: float = 0.4) -> np.ndarray:
    """A cartoon spring: a pitch that shoots up and wobbles as it decays."""
    n = _length(seconds, sr)
    t = seconds_axis(n, sr)
    wobble = 0.18 * np.sin(2 * np.pi * 16.0 * t) * np.exp(-t / 0.12)
    pitch = frequency * (1.0 + 0.6 * (1.0 - np.exp(-t / 0.03)) + wobble)
    theta = phase(pitch, n, sr)
    tone = partials(theta, (1.0, 0.3, 0.1), pitch, sr)
    return tone * attack_decay(n, sr, 0.004, seconds * 0.35)


def bell(sr: int, frequency: float, seconds: float = 3.0, distance: float = 0.5) -> np.ndarray:
    """A struck bell: inharmonic partials (hum, prime, tierce, quint, nominal), low ones ringing
    longest; `distance` (0..1) dulls the upper partials as air would."""
    n = _length(seconds, sr)
    out = np.zeros(n)
    for ratio, gain, decay in (
        (0.5, 0.6, 1.0),
        (1.0, 1.0, 0.7),
        (1.19, 0.5, 0.45),
        (1.5, 0.35, 0.35),
        (2.0, 0.45, 0.3),
        (2.52, 0.25, 0.2),
        (3.01, 0.18, 0.15),
    ):
        if frequency * ratio >= 0.45 * sr:
            continue
        dull = (1.0 - distance) ** (ratio - 0.5)
        out += (
            gain
            * dull
            * np.sin(phase(frequency * ratio, n, sr))
            * np.exp(-seconds_axis(n, sr) / (decay * seconds))
        )
    return normalise_peak(out * attack_decay(n, sr, 0.002, seconds) * tail_taper(n, sr, 0.05))


def drip(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A water drop into a pool: the resonant 'plink' whose pitch rises as the bubble shrinks."""
    seconds = rng.uniform(0.05, 0.09)
    base = rng.uniform(700.0, 1400.0)
    frequency = glide(sr, seconds, base, base * rng.uniform(1.8, 2.6), curve=0.6)
    n = frequency.size
    return np.sin(phase(frequency, n, sr)) * attack_decay(n, sr, 0.001, seconds * 0.35)


def bubble(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A rising underwater bubble: a short sine gliding upwards."""
    seconds = rng.uniform(0.03, 0.08)
    base = rng.uniform(300.0, 900.0)
    frequency = glide(sr, seconds, base, base * rng.uniform(1.3, 1.8))
    n = frequency.size
    return np.sin(phase(frequency, n, sr)) * attack_decay(n, sr, 0.004, seconds * 0.4)


def beep(sr: int, frequency: float, seconds: float = 0.08) -> np.ndarray:
    """An electronic beep: a soft square-ish tone with clean edges."""
    n = _length(seconds, sr)
    theta = phase(frequency, n, sr)
    tone = partials(theta, (1.0, 0.0, 0.22, 0.0, 0.08), frequency, sr)
    edges = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.006 * sr))
    return tone * edges


def horn(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A distant car horn blip: two reedy tones a third apart, dulled by distance."""
    seconds = rng.uniform(0.12, 0.4)
    n = _length(seconds, sr)
    low = rng.uniform(330.0, 430.0)
    reed = (0.7, 0.45, 0.3, 0.18, 0.1)
    tone = partials(phase(low, n, sr), reed, low, sr) + partials(
        phase(low * 1.26, n, sr), reed, low * 1.26, sr
    )
    edges = np.minimum(1.0, np.minimum(np.arange(n), np.arange(n)[::-1]) / (0.015 * sr))
    return normalise_peak(tone * edges)


def thunder(sr: int, rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A thunderclap: a bright crack, then a long rolling rumble that flutters as it fades."""
    n = _length(seconds, sr)
    crack = shaped_noise(n, sr, rng, 150.0, 4000.0) * attack_decay(n, sr, 0.005, 0.12)
    roll = smooth_random(n, sr, 7.0, rng, 0.35, 1.0)
    rumble = (
        shaped_noise(n, sr, rng, 25.0, 260.0) * roll * attack_decay(n, sr, 0.06, seconds * 0.35)
    )
    return normalise_peak(crack + 0.8 * rumble) * tail_taper(n, sr, 0.1)


def splash(sr: int, rng: np.random.Generator, seconds: float = 0.3) -> np.ndarray:
    """Water broken by a limb or a body: bright noise, quick attack, bubbly decay."""
    n = _length(seconds, sr)
    water = shaped_noise(n, sr, rng, 500.0, 5000.0) * smooth_random(n, sr, 60.0, rng, 0.3, 1.0)
    return normalise_peak(water * attack_decay(n, sr, 0.01, seconds * 0.3))


def crackle(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A pop of burning rock or wood: a few milliseconds of bright noise."""
    n = _length(rng.uniform(0.004, 0.015), sr)
    return shaped_noise(n, sr, rng, 900.0, 7000.0) * attack_decay(n, sr, 0.0005, 0.003)


def water_lap(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A small wave against a shore or a hull: a soft, low slosh."""
    seconds = rng.uniform(0.25, 0.6)
    n = _length(seconds, sr)
    slosh = shaped_noise(n, sr, rng, 180.0, 1400.0)
    return normalise_peak(slosh * attack_decay(n, sr, seconds * 0.25, seconds * 0.25))


def pluck(sr: int, frequency: float, seconds: float = 0.35) -> np.ndarray:
    """A plucked note (a soft marimba-like tone) for the little dance tunes."""
    n = _length(seconds, sr)
    tone = partials(phase(frequency, n, sr), (1.0, 0.25, 0.0, 0.08), frequency, sr)
    return tone * attack_decay(n, sr, 0.003, seconds * 0.3)


def kick(sr: int) -> np.ndarray:
    """A soft kick drum: a sine falling from 120 Hz to 50 Hz."""
    seconds = 0.22
    frequency = glide(sr, seconds, 120.0, 50.0, curve=0.4)
    n = frequency.size
    return np.sin(phase(frequency, n, sr)) * attack_decay(n, sr, 0.002, 0.07)


def hat(sr: int, rng: np.random.Generator) -> np.ndarray:
    """A closed hi-hat: a tick of high noise."""
    n = _length(0.05, sr)
    return shaped_noise(n, sr, rng, 6000.0, 14000.0) * attack_decay(n, sr, 0.001, 0.012)
