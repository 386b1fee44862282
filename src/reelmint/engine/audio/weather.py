"""Weather laid over a bed: rain, storm (with thunder), snow's hush, fog's muffle, cloud wind.

Weather changes the bed as well as adding to it: fog and snow swallow the high end of whatever
the place sounds like, and rain partly masks it.
"""

from __future__ import annotations

import numpy as np

from reelmint.engine.audio import grains
from reelmint.engine.audio.layers import Scene, periodic, scatter, texture
from reelmint.engine.audio.synth import attack_decay, fft_filter, lowpass, shaped_noise


def apply_weather(bed: np.ndarray, weather: str, scene: Scene) -> np.ndarray:
    """The bed under `weather` (one of vocabulary.WEATHERS)."""
    if weather == "cloudy":
        return bed + texture(scene, "cloud wind", 100.0, 900.0, 0.02, gusts=0.8, gust_rate=0.15)
    if weather == "rain":
        return 0.8 * bed + rain(scene, heavy=False)
    if weather == "storm":
        return 0.7 * bed + rain(scene, heavy=True) + thunder_claps(scene)
    if weather == "snow":
        hushed = 0.6 * fft_filter(bed, scene.sr, lowpass(2500.0, 1))
        return hushed + texture(scene, "snow wind", 80.0, 600.0, 0.012, gusts=0.7)
    if weather == "fog":
        return 0.9 * fft_filter(bed, scene.sr, lowpass(700.0, 2))
    return bed


def rain(scene: Scene, *, heavy: bool) -> np.ndarray:
    """Rain: a steady bright hiss, a softer patter below it, and single drops close by."""
    scale = 1.4 if heavy else 1.0

    def drop(rng: np.random.Generator) -> np.ndarray:
        n = max(2, int(rng.uniform(0.004, 0.012) * scene.sr))
        return shaped_noise(n, scene.sr, rng, 2000.0, 7000.0) * attack_decay(
            n, scene.sr, 0.0005, 0.002
        )

    return (
        texture(scene, "rain hiss", 1800.0, 11000.0, 0.03 * scale, gusts=0.2, width=1.0)
        + texture(scene, "rain patter", 300.0, 2500.0, 0.015 * scale, gusts=0.3, width=1.0)
        + scatter(scene, "drops", 18.0 * scale, drop, (0.01, 0.04), variants=16, spread=0.9)
    )


def thunder_times(scene: Scene) -> np.ndarray:
    """When thunder strikes: once early in every bed (a storm must be heard as one even in a
    short shot), then every 4-9 s."""
    rng = scene.rng("thunder times")
    first = rng.uniform(0.12, 0.4) * scene.seconds
    gaps = rng.uniform(4.0, 9.0, int(scene.seconds // 4.0) + 1)
    times = first + np.concatenate([[0.0], np.cumsum(gaps)])
    return times[times < scene.seconds]


def thunder_claps(scene: Scene) -> np.ndarray:
    """The thunder of a storm, loud and panned off centre."""

    def clap(rng: np.random.Generator, _: int) -> np.ndarray:
        return grains.thunder(scene.sr, rng, rng.uniform(2.5, 4.5))

    return periodic(scene, "thunder", thunder_times(scene), clap, 0.8, position=-0.2)
