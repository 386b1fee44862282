"""Animal and creature calls, from one small synthesiser and a table of settings.

A bark, a meow and a moo differ in pitch path, length, brightness, vibrato and breath; one
parametric voice covers them all, so adding a kind is one line in `CALLS`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelmint.engine.audio.grains import beep
from reelmint.engine.audio.synth import (
    bell_curve,
    normalise_peak,
    partials,
    phase,
    shaped_noise,
    steady_sine,
    tail_taper,
)


@dataclass(frozen=True)
class CallSpec:
    """How one kind calls.

    pitch: the fundamental's path in Hz, knots spread evenly over the call.
    brightness: how slowly harmonics fall off (amplitude k**-(1/brightness)).
    breath: the share of band noise (growl, hiss, breath) next to the tone.
    repeats, gap: a call made of several short parts (a bark-bark, an oink-oink).
    """

    pitch: tuple[float, ...]
    seconds: float
    harmonics: int = 6
    brightness: float = 1.0
    vibrato: tuple[float, float] = (0.0, 0.0)
    breath: float = 0.0
    repeats: int = 1
    gap: float = 0.1
    breath_band: tuple[float, float] = (300.0, 3000.0)


# Kinds missing here (people, rabbits, fish, ...) make no call of their own; people speak
# their dialogue instead.
CALLS: dict[str, CallSpec] = {
    "dog": CallSpec((430.0, 520.0, 300.0), 0.13, 9, 1.1, breath=0.35, repeats=2, gap=0.12),
    "cat": CallSpec((480.0, 760.0, 700.0, 430.0), 0.7, 7, 0.9, vibrato=(6.0, 0.02)),
    "horse": CallSpec((950.0, 820.0, 600.0, 420.0), 1.0, 8, 1.0, vibrato=(11.0, 0.07), breath=0.2),
    "unicorn": CallSpec((1200.0, 1050.0, 800.0), 0.8, 6, 1.0, vibrato=(12.0, 0.06)),
    "cow": CallSpec((140.0, 160.0, 150.0, 120.0), 1.3, 14, 0.9, breath=0.12),
    "sheep": CallSpec((390.0, 380.0, 350.0), 0.75, 10, 1.0, vibrato=(7.5, 0.07)),
    "pig": CallSpec((280.0, 230.0), 0.17, 14, 1.3, breath=0.3, repeats=2, gap=0.09),
    "fox": CallSpec((750.0, 1050.0, 800.0), 0.14, 6, 1.0, breath=0.2, repeats=2, gap=0.15),
    "bear": CallSpec((120.0, 95.0, 80.0), 1.1, 14, 1.2, vibrato=(22.0, 0.1), breath=0.55),
    "lion": CallSpec((150.0, 210.0, 120.0), 1.4, 16, 1.2, vibrato=(18.0, 0.06), breath=0.55),
    "elephant": CallSpec((420.0, 720.0, 640.0), 0.9, 14, 1.8, vibrato=(6.0, 0.03)),
    "bird": CallSpec((2800.0, 3900.0), 0.07, 2, 0.5, repeats=3, gap=0.05),
    "owl": CallSpec((390.0, 370.0), 0.35, 3, 0.6, repeats=2, gap=0.22),
    "duck": CallSpec((340.0, 290.0), 0.2, 16, 1.6, breath=0.2, repeats=2, gap=0.1),
    "penguin": CallSpec((520.0, 680.0, 460.0), 0.5, 12, 1.4, breath=0.15),
    "frog": CallSpec((190.0, 165.0), 0.12, 14, 1.5, repeats=3, gap=0.06),
    "whale": CallSpec((260.0, 480.0, 340.0, 220.0), 2.2, 4, 0.7, vibrato=(3.0, 0.02)),
    "dolphin": CallSpec((3200.0, 5200.0, 4200.0), 0.5, 1, 0.5, vibrato=(9.0, 0.04)),
    "snake": CallSpec((100.0,), 0.8, 0, 1.0, breath=1.0, breath_band=(2500.0, 9000.0)),
    "dragon": CallSpec((130.0, 95.0, 60.0), 1.6, 16, 1.3, vibrato=(16.0, 0.08), breath=0.6),
    "dinosaur": CallSpec((110.0, 150.0, 70.0), 1.7, 16, 1.3, vibrato=(14.0, 0.07), breath=0.5),
    "alien": CallSpec((620.0, 940.0, 520.0), 0.6, 5, 1.0, vibrato=(13.0, 0.15)),
    "ghost": CallSpec((300.0, 460.0, 280.0), 1.6, 2, 0.6, vibrato=(5.0, 0.05), breath=0.5),
}

ROBOT_NOTES = (880.0, 1046.5, 1174.7, 1318.5, 1568.0, 1760.0)


def call(spec: CallSpec, sr: int, rng: np.random.Generator) -> np.ndarray:
    """One call of a kind, with small random differences in pitch and length."""
    parts: list[np.ndarray] = []
    detune = rng.uniform(0.94, 1.06)
    for index in range(spec.repeats):
        seconds = spec.seconds * rng.uniform(0.9, 1.1)
        parts.append(_call_part(spec, sr, rng, seconds, detune * (1.0 - 0.03 * index)))
        if index < spec.repeats - 1:
            parts.append(np.zeros(int(spec.gap * rng.uniform(0.8, 1.2) * sr)))
    return normalise_peak(np.concatenate(parts))


def _call_part(
    spec: CallSpec, sr: int, rng: np.random.Generator, seconds: float, detune: float
) -> np.ndarray:
    n = max(2, int(seconds * sr))
    knots = np.asarray(spec.pitch) * detune
    path = np.interp(np.linspace(0.0, 1.0, n), np.linspace(0.0, 1.0, knots.size), knots)
    rate, depth = spec.vibrato
    frequency = path * (1.0 + depth * steady_sine(rate, n, sr))
    theta = phase(frequency, n, sr)
    amplitudes = [k ** (-1.0 / spec.brightness) for k in range(1, spec.harmonics + 1)]
    tone = partials(theta, amplitudes, frequency, sr)
    if spec.breath > 0:
        low, high = spec.breath_band
        noise = shaped_noise(n, sr, rng, low, high)
        tone = (1.0 - spec.breath) * normalise_peak(tone) + spec.breath * 0.5 * noise
    attack = min(0.25, max(0.08, 0.03 / seconds))
    shape = bell_curve(n) ** 0.5 if seconds > 0.3 else _pluck_shape(n, attack)
    return tone * shape * tail_taper(n, sr, 0.005)


def _pluck_shape(n: int, attack: float) -> np.ndarray:
    """Short calls: a quick rise over `attack` of their length, then a smooth fall."""
    x = np.linspace(0.0, 1.0, n)
    rise = np.sin(np.pi / 2 * np.clip(x / attack, 0.0, 1.0))
    fall = np.cos(np.pi / 2 * np.clip((x - attack) / (1.0 - attack), 0.0, 1.0))
    return rise * fall


def robot_chatter(sr: int, rng: np.random.Generator) -> np.ndarray:
    """Two to four beeps on a pentatonic scale: the robot's idle 'call'."""
    parts: list[np.ndarray] = []
    for _ in range(int(rng.integers(2, 5))):
        parts.append(beep(sr, float(rng.choice(ROBOT_NOTES)), rng.uniform(0.05, 0.11)))
        parts.append(np.zeros(int(rng.uniform(0.03, 0.06) * sr)))
    return np.concatenate(parts)


def has_call(kind: str) -> bool:
    """Whether a kind makes an occasional call of its own."""
    return kind in CALLS or kind == "robot"


def make_call(kind: str, sr: int, rng: np.random.Generator) -> np.ndarray:
    """The call of `kind` (robots chatter in beeps)."""
    if kind == "robot":
        return robot_chatter(sr, rng)
    return call(CALLS[kind], sr, rng)
