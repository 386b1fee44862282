"""The ambient bed of each setting: the sound of the place itself, before anything happens.

One recipe per setting in vocabulary.SETTINGS, each a sum of layers (see layers.py), shaded by
the time of day (birds at dawn, crickets at night, a quieter city after dark). Weather is laid
on top by weather.py. Levels aim at about -24 dBFS RMS so events and voices sit above.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reelmint.engine.audio import grains
from reelmint.engine.audio.calls import CALLS, CallSpec, call
from reelmint.engine.audio.layers import (
    Scene,
    crickets,
    drone,
    howl,
    murmur,
    periodic,
    scatter,
    shimmer,
    texture,
    waves,
)
from reelmint.engine.audio.synth import (
    echo,
    fade_edges,
    normalise_peak,
    pan,
    scale,
    shaped_noise,
    soft_limit,
    steady_sine,
)
from reelmint.engine.audio.weather import apply_weather
from reelmint.engine.backends.base import AUDIO_SAMPLE_RATE
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.vocabulary import SETTINGS, TIMES_OF_DAY, WEATHERS

Recipe = Callable[[Scene], np.ndarray]

# Make-up gain of every finished track (beds alone or the full mix): the layers are levelled
# among themselves; this sets where the whole sits, voices peaking just under the limiter's knee.
OUTPUT_GAIN = 1.25

_GULL = CallSpec((1500.0, 1900.0, 1200.0), 0.35, 6, 1.0, vibrato=(9.0, 0.05), repeats=3, gap=0.07)
_CAVE_ECHOES = [(0.11, 0.45, -0.6), (0.23, 0.32, 0.6), (0.37, 0.22, -0.3), (0.55, 0.14, 0.4)]


def _birds(scene: Scene, rate: float) -> np.ndarray:
    return scatter(
        scene,
        "birds",
        rate * scene.birds,
        lambda rng: grains.bird_phrase(scene.sr, rng),
        (0.03, 0.09),
        spread=0.8,
    )


def _night_insects(scene: Scene, level: float) -> np.ndarray:
    return crickets(scene, level) if scene.dark else scene.silence()


def _calls(
    scene: Scene, purpose: str, kind: str, rate: float, gain: tuple[float, float]
) -> np.ndarray:
    return scatter(scene, purpose, rate, lambda rng: call(CALLS[kind], scene.sr, rng), gain)


def _city(scene: Scene) -> np.ndarray:
    calm = 0.6 if scene.night else 1.0
    return (
        texture(scene, "traffic rumble", 30.0, 220.0, 0.055 * calm, gusts=0.4, gust_rate=0.12)
        + texture(scene, "city hum", 180.0, 1400.0, 0.012, width=0.9)
        + scatter(
            scene,
            "horns",
            0.18 * calm**2,
            lambda rng: grains.horn(scene.sr, rng),
            (0.025, 0.06),
            spread=0.8,
        )
    )


def _street(scene: Scene) -> np.ndarray:
    busy = 0.35 if scene.night else 1.0
    return (
        murmur(scene, "crowd", 0.03 * busy)
        + scatter(
            scene,
            "passers-by",
            2.5 * busy,
            lambda rng: grains.footstep(scene.sr, rng, "hard"),
            (0.02, 0.05),
            variants=10,
        )
        + texture(scene, "traffic", 40.0, 300.0, 0.03, gusts=0.5)
    )


def _forest(scene: Scene) -> np.ndarray:
    owls = _calls(scene, "owls", "owl", 0.12, (0.03, 0.06)) if scene.night else scene.silence()
    return (
        texture(scene, "leaves", 1200.0, 7000.0, 0.022, gusts=0.8, gust_rate=0.25)
        + texture(scene, "wind", 60.0, 450.0, 0.03, gusts=0.6, gust_rate=0.15)
        + _birds(scene, 1.3)
        + _night_insects(scene, 0.02)
        + owls
    )


def _jungle_call(scene: Scene) -> Callable[[np.random.Generator], np.ndarray]:
    def make(rng: np.random.Generator) -> np.ndarray:
        low = rng.uniform(500.0, 1400.0)
        spec = CallSpec(
            (low, low * rng.uniform(1.4, 2.2), low * rng.uniform(0.8, 1.2)),
            rng.uniform(0.2, 0.5),
            4,
            0.8,
            vibrato=(rng.uniform(5.0, 14.0), 0.04),
            repeats=int(rng.integers(1, 4)),
            gap=0.08,
        )
        return call(spec, scene.sr, rng)

    return make


def _jungle(scene: Scene) -> np.ndarray:
    rng = scene.rng("cicada buzz")
    cicadas = texture(scene, "cicadas", 3500.0, 7500.0, 0.018, gusts=0.5, gust_rate=0.3)
    buzz_rate = rng.uniform(70.0, 110.0)
    scale(cicadas, 0.55 + 0.45 * steady_sine(buzz_rate, scene.n, scene.sr))
    frogs = _calls(scene, "frogs", "frog", 1.0, (0.02, 0.05)) if scene.dark else scene.silence()
    return (
        cicadas
        + crickets(scene, 0.015, count=4)
        + texture(scene, "humid air", 80.0, 600.0, 0.02, gusts=0.5)
        + scatter(
            scene,
            "calls",
            0.6 if not scene.night else 0.25,
            _jungle_call(scene),
            (0.03, 0.07),
            spread=0.9,
        )
        + frogs
    )


def _beach(scene: Scene) -> np.ndarray:
    gulls = scatter(
        scene, "gulls", 0.15 * scene.birds, lambda rng: call(_GULL, scene.sr, rng), (0.02, 0.05)
    )
    return (
        waves(scene, "waves", 7.5, 0.065)
        + texture(scene, "breeze", 150.0, 1500.0, 0.012, gusts=0.7)
        + gulls
    )


def _ocean(scene: Scene) -> np.ndarray:
    return (
        waves(scene, "swell", 10.0, 0.06, low=40.0, high=600.0, wash=0.35)
        + texture(scene, "sea wind", 200.0, 2200.0, 0.022, gusts=0.7, gust_rate=0.15)
        + texture(scene, "deep", 25.0, 150.0, 0.03, gusts=0.5, gust_rate=0.1)
    )


def _underwater(scene: Scene) -> np.ndarray:
    return (
        texture(scene, "muffled", 20.0, 280.0, 0.05, gusts=0.5, gust_rate=0.1, width=0.6)
        + drone(scene, "drone", (48.0, 72.5), 0.025, beat=0.2)
        + scatter(
            scene,
            "bubbles",
            3.0,
            lambda rng: grains.bubble(scene.sr, rng),
            (0.01, 0.04),
            variants=12,
        )
    )


def _lake(scene: Scene) -> np.ndarray:
    frogs = _calls(scene, "frogs", "frog", 0.6, (0.02, 0.04)) if scene.dark else scene.silence()
    return (
        scatter(
            scene,
            "lapping",
            1.3,
            lambda rng: grains.water_lap(scene.sr, rng),
            (0.02, 0.05),
            variants=10,
        )
        + texture(scene, "still air", 80.0, 600.0, 0.012)
        + _birds(scene, 0.5)
        + frogs
        + _night_insects(scene, 0.012)
    )


def _river(scene: Scene) -> np.ndarray:
    return (
        texture(scene, "flow", 350.0, 5000.0, 0.04, gusts=0.25, gust_rate=6.0)
        + texture(scene, "current", 60.0, 400.0, 0.025)
        + scatter(
            scene,
            "burbles",
            8.0,
            lambda rng: grains.bubble(scene.sr, rng),
            (0.005, 0.015),
            variants=12,
        )
        + _birds(scene, 0.4)
    )


def _desert(scene: Scene) -> np.ndarray:
    return (
        texture(scene, "wind", 90.0, 1000.0, 0.045, gusts=0.85, gust_rate=0.18)
        + texture(scene, "sand", 3000.0, 9000.0, 0.006, gusts=0.9, gust_rate=0.18)
        + howl(scene, "dune whistle", 220.0, 0.006)
        + (crickets(scene, 0.008, count=1) if scene.night else scene.silence())
    )


def _mountains(scene: Scene) -> np.ndarray:
    return howl(scene, "howl", 380.0, 0.03, glide=0.4) + texture(
        scene, "wind", 70.0, 700.0, 0.04, gusts=0.8, gust_rate=0.15
    )


def _arctic(scene: Scene) -> np.ndarray:
    return (
        howl(scene, "howl", 620.0, 0.03, glide=0.45)
        + howl(scene, "high howl", 900.0, 0.012)
        + texture(scene, "wind", 150.0, 1500.0, 0.035, gusts=0.8, gust_rate=0.15)
        + texture(scene, "blowing snow", 2500.0, 9000.0, 0.01, gusts=0.9, gust_rate=0.2)
    )


def _countryside(scene: Scene) -> np.ndarray:
    farm_rate = 0.0 if scene.dark else 0.07

    def farm_call(rng: np.random.Generator) -> np.ndarray:
        return call(CALLS["cow" if rng.random() < 0.5 else "sheep"], scene.sr, rng)

    return (
        texture(scene, "grass", 300.0, 3500.0, 0.018, gusts=0.8, gust_rate=0.2)
        + texture(scene, "wind", 60.0, 400.0, 0.02, gusts=0.6)
        + _birds(scene, 0.8)
        + scatter(scene, "farm", farm_rate, farm_call, (0.015, 0.03))
        + _night_insects(scene, 0.025)
    )


def _park(scene: Scene) -> np.ndarray:
    people = scene.silence() if scene.dark else murmur(scene, "people", 0.008)
    return (
        texture(scene, "leaves", 2000.0, 8000.0, 0.014, gusts=0.7, gust_rate=0.25)
        + texture(scene, "distant city", 40.0, 300.0, 0.015)
        + people
        + _birds(scene, 1.0)
        + _night_insects(scene, 0.015)
    )


def _space(scene: Scene) -> np.ndarray:
    return (
        drone(scene, "drone", (41.2, 61.7, 82.4), 0.05, beat=0.12)
        + shimmer(scene, "shimmer", 0.012)
        + texture(scene, "void", 20.0, 200.0, 0.008)
    )


def _cave(scene: Scene) -> np.ndarray:
    def echoing_drip(rng: np.random.Generator) -> np.ndarray:
        return echo(grains.drip(scene.sr, rng), scene.sr, _CAVE_ECHOES, tail=0.7)

    return texture(scene, "air", 30.0, 350.0, 0.02, gusts=0.4) + scatter(
        scene, "drips", 0.9, echoing_drip, (0.04, 0.1)
    )


def _room(scene: Scene) -> np.ndarray:
    rng = scene.rng("clock")
    first = rng.uniform(0.0, 1.0)
    ticks = np.arange(first, scene.seconds, 1.0)

    def tick_tock(_: np.random.Generator, index: int) -> np.ndarray:
        return grains.tick(scene.sr, 2400.0 if index % 2 == 0 else 1900.0)

    mains = 0.002 * (
        steady_sine(60.0, scene.n, scene.sr) + 0.5 * steady_sine(120.0, scene.n, scene.sr)
    )
    return (
        texture(scene, "room tone", 30.0, 1500.0, 0.009, width=0.3, order=1)
        + pan(mains, 0.0)
        + periodic(scene, "clock", ticks, tick_tock, 0.06, position=rng.uniform(-0.4, 0.4))
    )


def _castle(scene: Scene) -> np.ndarray:
    rng = scene.rng("bell times")
    times = np.cumsum(np.concatenate([[rng.uniform(0.3, 2.0)], rng.uniform(5.0, 9.0, 8)]))
    pitch = float(rng.choice([174.6, 196.0, 220.0]))

    def toll(_: np.random.Generator, __: int) -> np.ndarray:
        return grains.bell(scene.sr, pitch, seconds=3.5, distance=0.6)

    return (
        texture(scene, "wind", 80.0, 800.0, 0.03, gusts=0.8, gust_rate=0.15)
        + howl(scene, "draught", 300.0, 0.01)
        + periodic(scene, "bell", times[times < scene.seconds], toll, 0.07, position=0.3)
    )


def _volcano(scene: Scene) -> np.ndarray:
    return (
        texture(scene, "rumble", 18.0, 140.0, 0.075, gusts=0.6, gust_rate=0.3, width=0.5)
        + scatter(
            scene,
            "crackle",
            14.0,
            lambda rng: grains.crackle(scene.sr, rng),
            (0.01, 0.06),
            variants=12,
            spread=0.9,
        )
        + texture(scene, "steam", 1500.0, 6000.0, 0.008, gusts=0.9)
        + scatter(
            scene,
            "booms",
            0.1,
            lambda rng: grains.thud(scene.sr, rng, frequency=40.0, seconds=1.2),
            (0.06, 0.12),
        )
    )


def _passing_car(scene: Scene) -> Callable[[np.random.Generator], np.ndarray]:
    def make(rng: np.random.Generator) -> np.ndarray:
        sound = grains.whoosh(scene.sr, rng, rng.uniform(1.2, 2.6), 200.0, 3000.0)
        tyres = shaped_noise(sound.size, scene.sr, rng, 60.0, 300.0)
        sound = normalise_peak(sound + 0.5 * tyres * np.abs(sound).max() * np.hanning(sound.size))
        sweep = np.linspace(-0.8, 0.8, sound.size) * (1 if rng.random() < 0.5 else -1)
        return pan(sound, sweep)

    return make


def _highway(scene: Scene) -> np.ndarray:
    return texture(scene, "road roar", 80.0, 1600.0, 0.035, gusts=0.3, gust_rate=0.3) + scatter(
        scene, "cars", 0.9, _passing_car(scene), (0.04, 0.09), variants=6
    )


RECIPES: dict[str, Recipe] = {
    "city": _city,
    "street": _street,
    "forest": _forest,
    "jungle": _jungle,
    "beach": _beach,
    "ocean": _ocean,
    "underwater": _underwater,
    "lake": _lake,
    "river": _river,
    "desert": _desert,
    "mountains": _mountains,
    "arctic": _arctic,
    "countryside": _countryside,
    "park": _park,
    "space": _space,
    "cave": _cave,
    "room": _room,
    "castle": _castle,
    "volcano": _volcano,
    "highway": _highway,
}


def setting_bed(setting: str, scene: Scene) -> np.ndarray:
    """The bed of one setting over `scene`, stereo float64, before weather."""
    return RECIPES[setting](scene)


def render_bed(setting: str, weather: str, scene: Scene) -> np.ndarray:
    """A setting's bed with its weather on top, stereo float64 of scene.n samples."""
    return apply_weather(setting_bed(setting, scene), weather, scene)


def ambient_bed(
    *,
    setting: str,
    time_of_day: str,
    weather: str,
    seconds: float,
    seed: int,
    sample_rate: int = AUDIO_SAMPLE_RATE,
) -> np.ndarray:
    """Only the ambience of a setting, for backends whose model makes no sound.

    float32 (round(seconds * sample_rate), 2) in [-1, 1]. The ends fade over 20 ms so that beds
    laid end to end do not click (`ambient_track` cross-fades them properly).
    """
    check_ambience(setting=setting, time_of_day=time_of_day, weather=weather)
    check_rate(sample_rate)
    if not np.isfinite(seconds) or seconds < 0:
        raise InvalidRequest(
            f"seconds must be a finite number >= 0, got {seconds!r}", code="invalid_audio"
        )
    n = round(seconds * sample_rate)
    scene = Scene(n=n, sr=sample_rate, seed=seed, key=("ambient",), time_of_day=time_of_day)
    bed = render_bed(setting, weather, scene).astype(np.float32)
    bed *= np.float32(OUTPUT_GAIN)
    return fade_edges(soft_limit(bed), int(0.02 * sample_rate))


def check_ambience(*, setting: str, time_of_day: str, weather: str) -> None:
    """Reject names outside the vocabulary with a message that lists the valid ones."""
    for what, value, valid in (
        ("setting", setting, SETTINGS),
        ("time_of_day", time_of_day, TIMES_OF_DAY),
        ("weather", weather, WEATHERS),
    ):
        if value not in valid:
            raise InvalidRequest(
                f"unknown {what} {value!r}; use one of {', '.join(valid)}", code="invalid_audio"
            )


def check_rate(sample_rate: int) -> None:
    """Sample rates below 8 kHz cannot carry the voice band; say so instead of aliasing."""
    whole = isinstance(sample_rate, int | np.integer) and not isinstance(sample_rate, bool)
    if not whole or sample_rate < 8000:
        raise InvalidRequest(
            f"sample_rate must be an integer >= 8000 Hz, got {sample_rate!r}", code="invalid_audio"
        )
