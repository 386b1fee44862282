"""Sound events of a shot: what its subjects do, heard.

Footsteps fall on the beat the renderer animates (timing.STEP_PERIOD, landings every
timing.JUMP_PERIOD), vehicles hum at their own pitch, wings flap, swimmers splash, and animals
call now and then. Each subject is panned by where it goes; several copies of one subject are
heard as up to three performers slightly apart in time and space.

Phase convention shared with the picture (backends/preview/scene.py): footfalls at
t = k * STEP_PERIOD (k >= 0), jump landings at t = k * JUMP_PERIOD (k >= 1), seconds from the
start of the shot, every copy of a subject on the same beat; a fall lands after
min(FALL_SECONDS, half the shot); a spin turns once a second; a circle takes CIRCLE_PERIOD.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reelmint.engine.audio import grains
from reelmint.engine.audio.calls import has_call, make_call
from reelmint.engine.audio.synth import (
    attack_decay,
    fade_edges,
    pan,
    partials,
    phase,
    place,
    rng_for,
    shaped_noise,
    sine,
    smooth_random,
    steady_sine,
)
from reelmint.engine.storyboard import Shot, Subject
from reelmint.engine.timing import (
    BEAT_LOCKED,
    CIRCLE_PERIOD,
    FALL_SECONDS,
    JUMP_PERIOD,
    SPIN_TURNS_PER_SECOND,
    STEP_PERIOD,
)
from reelmint.engine.vocabulary import SUBJECT_CATEGORIES

MAX_PERFORMERS = 3
EVENT_LEVEL = 0.5  # the whole event bus, so that events sit under the voice

# Timings the picture animates by (mirrored from the preview renderer's scene).
SWIM_STROKE = 1.0 / 1.5

SIZE_GAIN = {"tiny": 0.45, "small": 0.7, "medium": 1.0, "large": 1.2, "huge": 1.4}
TRAVELLING = frozenset({"walk", "run", "drive", "fly", "swim"})

HOOVES = frozenset({"horse", "unicorn", "cow", "sheep", "giraffe", "pig"})
HEAVY = frozenset({"elephant", "dinosaur", "bear", "dragon"})
PAWS = frozenset({"dog", "cat", "fox", "rabbit", "lion", "frog", "duck", "penguin"})
SWIMMERS = frozenset({"fish", "shark", "whale", "dolphin", "turtle"})
# Wing-beat period (s) of kinds that flap: the picture's flying cycle (3 a second); a
# dragon's big wings beat every other cycle, and sound low.
WINGS = {"bird": 1 / 3, "owl": 1 / 3, "duck": 1 / 3, "butterfly": 1 / 3, "dragon": 2 / 3}
SILENT_MOVERS = frozenset({"tree", "flower", "house", "castle", "lighthouse", "windmill"})

SURFACES = {
    "beach": "sand",
    "desert": "sand",
    "arctic": "snow",
    "forest": "soft",
    "jungle": "soft",
    "park": "soft",
    "countryside": "soft",
    "mountains": "soft",
    "volcano": "soft",
    "lake": "water",
    "river": "water",
    "ocean": "water",
    "underwater": "water",
}


@dataclass(frozen=True)
class Engine:
    """A motor's voice: its fundamental, harmonic recipe, firing roughness and road noise."""

    pitch: float
    harmonics: tuple[float, ...]
    putt: float
    rumble: float


ENGINES: dict[str, Engine] = {
    "car": Engine(70.0, (1.0, 0.6, 0.4, 0.25, 0.15, 0.1), 0.15, 0.3),
    "truck": Engine(42.0, (1.0, 0.8, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15), 0.3, 0.35),
    "bus": Engine(52.0, (1.0, 0.7, 0.55, 0.4, 0.3, 0.2, 0.1), 0.25, 0.3),
    "motorcycle": Engine(
        95.0, (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2), 0.55, 0.15
    ),
    "boat": Engine(65.0, (1.0, 0.5, 0.35, 0.2, 0.1), 0.3, 0.0),
    "ship": Engine(36.0, (1.0, 0.7, 0.5, 0.3, 0.2, 0.1), 0.2, 0.0),
    "submarine": Engine(30.0, (1.0, 0.5, 0.25), 0.1, 0.0),
}


@dataclass(frozen=True)
class Performer:
    """One audible copy of a subject in a shot: where its randomness comes from, and whether
    it leads (the lead keeps the picture's beat exactly; see `beats` for the others)."""

    subject: Subject
    setting: str
    n: int
    sr: int
    rng: np.random.Generator
    lead: bool

    @property
    def seconds(self) -> float:
        return self.n / self.sr

    def beats(self, period: float, first: float = 0.0) -> np.ndarray:
        """Beat times in the shot. The lead is on the grid; other copies of a beat-locked
        motion too (as the picture draws them), give or take a few ms so they do not sum into
        one louder step; for anything else they fall anywhere in the cycle."""
        if self.lead:
            offset = 0.0
        elif self.subject.motion in BEAT_LOCKED:
            offset = self.rng.uniform(-0.012, 0.012)
        else:
            offset = self.rng.uniform(0.1, 0.9) * period
        return np.arange(first + offset, self.seconds, period)

    def grains_at(
        self, times: np.ndarray, make: Callable[[], np.ndarray], variants: int = 0
    ) -> np.ndarray:
        """A mono track with a grain at each time: each one made afresh, or with `variants`,
        drawn from that many made once (never the same one twice in a row): forty footsteps
        need not be forty syntheses."""
        out = np.zeros(self.n)
        pool = [make() for _ in range(variants)] if 0 < variants < len(times) else []
        last = -1
        for time in times:
            if pool:
                last = (last + 1 + int(self.rng.integers(len(pool) - 1))) % len(pool)
                grain = pool[last]
            else:
                grain = make()
            place(out, grain, round(time * self.sr), self.rng.uniform(0.85, 1.0))
        return out

    def noise(self, low: float, high: float | None) -> np.ndarray:
        return shaped_noise(self.n, self.sr, self.rng, low, high)


def shot_events(shot: Shot, *, n: int, sr: int, seed: int, shot_index: int) -> np.ndarray:
    """All event sounds of one shot, stereo float64 (n, 2), faded at the cuts."""
    out = np.zeros((n, 2))
    if n == 0:
        return out
    level = EVENT_LEVEL / np.sqrt(max(1, len(shot.subjects)))
    for index, subject in enumerate(shot.subjects):
        _add_subject(out, subject, shot, level, sr=sr, seed=seed, key=(shot_index, index))
    if any(subject.motion == "dance" for subject in shot.subjects):
        out += level * dance_music(n, sr, rng_for(seed, shot_index, "dance music"))
    return fade_edges(out, int(0.008 * sr))


def _add_subject(
    out: np.ndarray,
    subject: Subject,
    shot: Shot,
    level: float,
    *,
    sr: int,
    seed: int,
    key: tuple[int, int],
) -> None:
    """Add a subject's copies (at most MAX_PERFORMERS, summing to about one's power)."""
    n = out.shape[0]
    performers = min(subject.count, MAX_PERFORMERS)
    gain = level * SIZE_GAIN[subject.size] / np.sqrt(performers)
    for copy in range(performers):
        rng = rng_for(seed, *key, "subject", copy)
        performer = Performer(subject, shot.setting, n, sr, rng, lead=copy == 0)
        position = pan_path(subject, n, sr) + (0.0 if copy == 0 else rng.uniform(-0.25, 0.25))
        sound = motion_sound(performer)
        if has_call(subject.kind):
            sound = sound + call_track(performer)
        if not sound.any():
            continue
        out += pan(sound * (gain * gain_path(subject, n)), position)


def pan_path(subject: Subject, n: int, sr: int) -> np.ndarray | float:
    """Where a subject is heard, per sample: travellers cross the stereo field in their
    direction, circlers swing around, spinners wobble, the rest sit on their side."""
    side = 1.0 if subject.direction == "right" else -1.0
    if subject.motion in TRAVELLING:
        return np.linspace(-0.45, 0.45, n) * side
    if subject.motion == "circle":
        return 0.5 * steady_sine(1.0 / CIRCLE_PERIOD, n, sr, offset=np.pi / 2)
    if subject.motion == "spin":
        return 0.2 * side + 0.25 * steady_sine(SPIN_TURNS_PER_SECOND, n, sr)
    if subject.motion in ("approach", "retreat"):
        return 0.0
    return 0.2 * side


def gain_path(subject: Subject, n: int) -> np.ndarray | float:
    """Approaching subjects grow louder, retreating ones fade (1.0: neither)."""
    if subject.motion == "approach":
        return np.linspace(0.35, 1.0, n)
    if subject.motion == "retreat":
        return np.linspace(1.0, 0.35, n)
    return 1.0


def _power(values: np.ndarray, exponent: int) -> np.ndarray:
    """values ** exponent by multiplication (numpy's pow is slow on long arrays)."""
    result = values
    for _ in range(exponent - 1):
        result = result * values
    return result


def motion_sound(p: Performer) -> np.ndarray:
    """The mono sound of what the subject does (its calls are separate)."""
    motion = p.subject.motion
    if motion == "idle":
        return np.zeros(p.n)
    if motion == "fall":
        return fall(p)
    if motion == "jump":
        return jumps(p)
    if motion == "spin":
        return spin(p)
    if motion == "float":
        return drift(p)
    if motion == "dance":
        return 0.5 * footsteps(p, STEP_PERIOD["dance"])
    return locomotion(p)


def locomotion(p: Performer) -> np.ndarray:
    """How a kind gets around (walk, run, drive, fly, swim, circle, approach, retreat)."""
    kind, motion = p.subject.kind, p.subject.motion
    if SUBJECT_CATEGORIES[kind] == "vehicle":
        return vehicle(p)
    if kind == "bee":
        return buzz(p)
    if kind in WINGS and (motion != "walk" or kind == "butterfly"):
        return wings(p, WINGS[kind])
    if motion == "swim" or kind in SWIMMERS:
        return swim(p)
    if motion == "fly" or kind in ("ghost", "balloon", "kite"):
        return 0.45 * air(p)
    if kind == "snake":
        return 0.3 * p.noise(2500.0, 9000.0) * smooth_random(p.n, p.sr, 1.5, p.rng, 0.3, 1.0)
    if kind == "ball":
        return 0.4 * p.noise(40.0, 300.0) * smooth_random(p.n, p.sr, 3.0, p.rng, 0.5, 1.0)
    if kind in SILENT_MOVERS or kind == "umbrella":
        return np.zeros(p.n)
    return footsteps(p, STEP_PERIOD["run" if motion == "run" else "walk"])


def footsteps(p: Performer, period: float) -> np.ndarray:
    """A footfall every `period` seconds, the sound chosen by foot and ground."""
    kind = p.subject.kind
    surface = SURFACES.get(p.setting, "hard")
    level = 0.3
    if kind == "robot":

        def step() -> np.ndarray:
            return grains.clank(p.sr, p.rng)

    elif kind in HOOVES:

        def step() -> np.ndarray:
            return grains.clop(p.sr, p.rng)

    elif kind in HEAVY:
        level = 0.45

        def step() -> np.ndarray:
            return grains.thud(p.sr, p.rng, frequency=45.0, seconds=0.4)

    else:
        level = 0.15 if kind in PAWS else 0.3

        def step() -> np.ndarray:
            return grains.footstep(p.sr, p.rng, surface)

    return level * p.grains_at(p.beats(period), step, variants=6)


def vehicle(p: Performer) -> np.ndarray:
    """A vehicle on the move, each kind its own motor (or none)."""
    kind = p.subject.kind
    if kind in ENGINES:
        hum = engine(p, ENGINES[kind])
        if kind in ("boat", "ship", "submarine"):
            hum += 0.3 * wash(p)
        return hum
    return VEHICLE_SOUNDS[kind](p)


def engine(p: Performer, spec: Engine) -> np.ndarray:
    """A motor: a harmonic hum drifting in pitch, roughened at half its firing rate."""
    frequency = spec.pitch * (1.0 + 0.03 * smooth_random(p.n, p.sr, 0.5, p.rng, -1.0, 1.0))
    theta = phase(frequency, p.n, p.sr)
    hum = partials(theta, spec.harmonics, frequency, p.sr)
    hum *= 1.0 - spec.putt * (0.5 + 0.5 * sine(theta / 2.0))
    hum /= max(float(np.sqrt(np.mean(hum**2))), 1e-9)
    road = p.noise(150.0, 1500.0) * spec.rumble
    return 0.06 * (hum + road)


def wash(p: Performer) -> np.ndarray:
    """Water pushed aside by a hull: low noise that surges slowly."""
    return 0.15 * p.noise(200.0, 1500.0) * smooth_random(p.n, p.sr, 0.6, p.rng, 0.3, 1.0)


def bicycle(p: Performer) -> np.ndarray:
    """A freewheel ticking and tyres hissing."""
    ticks = p.grains_at(np.arange(0.0, p.seconds, 1.0 / 11.0), lambda: grains.tick(p.sr, 3200.0))
    return 0.05 * ticks + 0.02 * p.noise(1000.0, 5000.0)


def train(p: Performer) -> np.ndarray:
    """A train: steam-like chugs, pairs of rail clacks, and a low motor underneath."""
    chug = p.noise(100.0, 1500.0) * _power(np.maximum(0.0, steady_sine(2.2, p.n, p.sr)), 4)
    wheels = p.beats(1.1)
    clack_times = np.sort(np.concatenate([wheels, wheels + 0.12]))
    clacks = p.grains_at(clack_times, lambda: grains.clank(p.sr, p.rng))
    return 0.06 * chug + 0.1 * clacks + engine(p, Engine(45.0, (1.0, 0.5, 0.3), 0.1, 0.0))


def airplane(p: Performer) -> np.ndarray:
    """A jet: broadband roar with a faint turbine whine."""
    whine = steady_sine(2900.0, p.n, p.sr) * 0.03
    return 0.07 * p.noise(80.0, 4000.0) * smooth_random(p.n, p.sr, 0.3, p.rng, 0.7, 1.0) + whine


def helicopter(p: Performer) -> np.ndarray:
    """Rotor chop: low noise pulsed at the blade-pass rate, over a turbine whine."""
    blades = _power(np.maximum(0.0, steady_sine(13.0, p.n, p.sr, offset=np.pi / 2)), 6)
    whine = 0.015 * steady_sine(1800.0, p.n, p.sr)
    return 0.12 * p.noise(60.0, 1200.0) * (0.15 + 0.85 * blades) + whine


def rocket(p: Performer) -> np.ndarray:
    """A rocket's roar: loud low noise with crackle."""
    crackle = p.grains_at(
        np.sort(p.rng.uniform(0.0, p.seconds, int(p.seconds * 20))),
        lambda: grains.crackle(p.sr, p.rng),
    )
    return 0.1 * p.noise(30.0, 3000.0) + 0.05 * crackle


def burner(p: Performer) -> np.ndarray:
    """A hot-air balloon: silence between blasts of the gas burner."""
    times = p.beats(3.5, first=p.rng.uniform(0.2, 1.0))
    return 0.12 * p.grains_at(
        times, lambda: grains.whoosh(p.sr, p.rng, p.rng.uniform(0.8, 1.4), 200.0, 3000.0)
    )


def ufo(p: Performer) -> np.ndarray:
    """A flying saucer: a wavering theremin tone over a low hum."""
    glide = 1.0 + 0.2 * smooth_random(p.n, p.sr, 0.4, p.rng, -1.0, 1.0)
    frequency = 520.0 * glide * (1.0 + 0.04 * steady_sine(5.5, p.n, p.sr))
    return 0.05 * sine(phase(frequency, p.n, p.sr)) + 0.03 * steady_sine(60.0, p.n, p.sr)


def sailboat(p: Performer) -> np.ndarray:
    """A sailboat: no motor, water along the hull and the sail fluttering."""
    flutter = p.noise(80.0, 600.0) * np.square(0.5 + 0.5 * steady_sine(4.0, p.n, p.sr))
    return wash(p) + 0.03 * flutter


VEHICLE_SOUNDS: dict[str, Callable[[Performer], np.ndarray]] = {
    "bicycle": bicycle,
    "train": train,
    "airplane": airplane,
    "helicopter": helicopter,
    "rocket": rocket,
    "hot_air_balloon": burner,
    "ufo": ufo,
    "sailboat": sailboat,
}


def buzz(p: Performer) -> np.ndarray:
    """A bee: a buzzy tone wavering in pitch and loudness."""
    frequency = 220.0 * (1.0 + 0.03 * smooth_random(p.n, p.sr, 3.0, p.rng, -1.0, 1.0))
    tone = partials(phase(frequency, p.n, p.sr), [1.0 / k for k in range(1, 13)], frequency, p.sr)
    return 0.04 * tone * (0.8 + 0.2 * steady_sine(6.0, p.n, p.sr))


def wings(p: Performer, period: float) -> np.ndarray:
    """Wing beats: a soft puff of air per flap, low for big wings, bright for small ones."""
    low, high = (90.0, 800.0) if period > 0.5 else (400.0, 4000.0)
    level = 0.25 if period > 0.5 else 0.1

    def flap() -> np.ndarray:
        n = max(2, int(period * 0.7 * p.sr))
        return shaped_noise(n, p.sr, p.rng, low, high) * attack_decay(n, p.sr, 0.01, period * 0.2)

    return level * p.grains_at(p.beats(period), flap)


def air(p: Performer) -> np.ndarray:
    """Flying without wings: wind rushing past, swelling and easing."""
    return 0.3 * p.noise(200.0, 2000.0) * smooth_random(p.n, p.sr, 0.4, p.rng, 0.3, 1.0)


def swim(p: Performer) -> np.ndarray:
    """Strokes: splashes at the surface; under water, a soft swish and rising bubbles."""
    strokes = p.beats(SWIM_STROKE, first=0.15)
    if p.setting == "underwater":
        swish = p.grains_at(strokes, lambda: grains.whoosh(p.sr, p.rng, 0.6, 100.0, 800.0))
        bubbles = p.grains_at(
            np.sort(p.rng.uniform(0.0, p.seconds, int(p.seconds * 4))),
            lambda: grains.bubble(p.sr, p.rng),
        )
        return 0.15 * swish + 0.06 * bubbles
    return 0.2 * p.grains_at(strokes, lambda: grains.splash(p.sr, p.rng))


def jumps(p: Performer) -> np.ndarray:
    """A boing and a light thump at each landing."""
    landings = p.beats(JUMP_PERIOD, first=JUMP_PERIOD)
    pitch = 160.0 * {"tiny": 1.8, "small": 1.4, "large": 0.8, "huge": 0.65}.get(p.subject.size, 1.0)

    def landing() -> np.ndarray:
        return (
            grains.boing(p.sr, pitch * p.rng.uniform(0.95, 1.05))
            + 0.5
            * np.pad(
                grains.thud(p.sr, p.rng, frequency=80.0, seconds=0.2),
                (0, int(0.2 * p.sr)),
            )[: int(0.4 * p.sr)]
        )

    return 0.25 * p.grains_at(landings, landing)


def fall(p: Performer) -> np.ndarray:
    """A cartoon fall: a whistle sliding down while it drops, a thud when it lands (as drawn:
    after min(FALL_SECONDS, half the shot); extra copies let go a moment later)."""
    start = 0.0 if p.lead else p.rng.uniform(0.0, 0.6)
    landing = start + min(FALL_SECONDS, 0.5 * p.seconds)
    begin, whistle_n = int(start * p.sr), max(2, int((landing - start) * p.sr))
    frequency = 1600.0 * (350.0 / 1600.0) ** np.linspace(0.0, 1.0, whistle_n)
    swell = np.linspace(0.4, 1.0, whistle_n) * attack_decay(whistle_n, p.sr, 0.05, 1e3)
    whistle = sine(phase(frequency, whistle_n, p.sr)) * swell
    out = np.zeros(p.n)
    place(out, 0.08 * whistle, begin)
    out += 0.4 * p.grains_at(np.array([landing]), lambda: grains.thud(p.sr, p.rng, frequency=55.0))
    return out


def spin(p: Performer) -> np.ndarray:
    """Spinning: air swirling, loudest once per turn."""
    turns = (0.25 + 0.75 * np.square(steady_sine(SPIN_TURNS_PER_SECOND / 2, p.n, p.sr))) * 0.25
    return p.noise(300.0, 3000.0) * turns


def drift(p: Performer) -> np.ndarray:
    """Floating: a faint airy breath that swells and fades."""
    return 0.1 * p.noise(400.0, 2000.0) * smooth_random(p.n, p.sr, 0.3, p.rng, 0.1, 1.0)


def call_track(p: Performer) -> np.ndarray:
    """The kind's own call now and then (a bark, a moo, robot beeps); people stay quiet."""
    kind = p.subject.kind
    if not has_call(kind):
        return np.zeros(p.n)
    first = p.rng.uniform(0.3, 1.2)
    gaps = p.rng.uniform(2.5, 5.0, int(p.seconds / 2.5) + 1)
    times = first + np.concatenate([[0.0], np.cumsum(gaps)])
    return 0.3 * p.grains_at(times[times < p.seconds], lambda: make_call(kind, p.sr, p.rng))


PENTATONIC = (220.0, 261.63, 293.66, 329.63, 392.0, 440.0, 523.25)


def dance_music(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A little tune to dance to: kick on the beat, hat off the beat, a plucked pentatonic
    melody wandering step by step (so it never leaps awkwardly)."""
    beat = STEP_PERIOD["dance"]
    out = np.zeros((n, 2))
    hat = grains.hat(sr, rng)
    kick = grains.kick(sr)
    note = int(rng.integers(2, 5))
    for index, time in enumerate(np.arange(0.0, n / sr, beat)):
        start = round(time * sr)
        place(out, kick, start, 0.35)
        place(out, hat, start + round(beat * sr / 2), 0.08, 0.3)
        note = int(np.clip(note + rng.integers(-2, 3), 0, len(PENTATONIC) - 1))
        place(out, grains.pluck(sr, PENTATONIC[note]), start, 0.18, -0.3 if index % 2 else 0.3)
    return out
