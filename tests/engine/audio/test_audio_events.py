"""Sound events: footsteps on the animation's beat, landings, falls, engines, pans, calls."""

from __future__ import annotations

import numpy as np
import pytest
from audio_helpers import SR, autocorrelation, band_energy, board, centroid, frame_energy, rms, shot

from reelmint.engine.audio import soundtrack
from reelmint.engine.audio.events import shot_events
from reelmint.engine.storyboard import Subject
from reelmint.engine.timing import FALL_SECONDS, JUMP_PERIOD, STEP_PERIOD
from reelmint.engine.vocabulary import MOTIONS, SUBJECT_KINDS


def events(*subjects: Subject, seconds: float = 3.0, setting: str = "room", seed: int = 0):
    scene = shot(seconds, setting=setting, subjects=subjects)
    return shot_events(scene, n=int(seconds * SR), sr=SR, seed=seed, shot_index=0)


def _beat_lag(signal: np.ndarray, low: float, high: float) -> float:
    """The lag (s) between low and high where the 5 ms energy envelope repeats best."""
    envelope = frame_energy(signal, 0.005)
    corr = autocorrelation(envelope)
    lags = np.arange(int(low / 0.005), int(high / 0.005))
    return float(lags[np.argmax(corr[lags])] * 0.005)


@pytest.mark.parametrize("motion", ["walk", "run"])
@pytest.mark.parametrize("setting", ["room", "city", "forest"])
def test_footsteps_repeat_at_the_step_period(motion, setting):
    walking = shot(4.0, setting=setting, subjects=(Subject(kind="man", motion=motion),))
    standing = shot(4.0, setting=setting, subjects=(Subject(kind="man", motion="idle"),))
    steps = soundtrack(board(walking), fps=24, seed=1) - soundtrack(board(standing), fps=24, seed=1)
    period = STEP_PERIOD[motion]
    assert _beat_lag(steps, 0.6 * period, 1.6 * period) == pytest.approx(period, abs=0.01)


def test_footfalls_land_on_the_beat_grid():
    steps = events(Subject(kind="woman", motion="walk"), seconds=2.0)
    energy = frame_energy(steps, 0.01)
    beats = [round(k * STEP_PERIOD["walk"] / 0.01) for k in range(1, 4)]
    off_beats = [beat + 20 for beat in beats]  # halfway between footfalls
    assert min(energy[beat : beat + 5].max() for beat in beats) > 20 * max(
        energy[beat : beat + 5].max() for beat in off_beats
    )


def test_jumps_land_every_jump_period():
    hops = events(Subject(kind="rabbit", motion="jump"), seconds=3.5)
    energy = frame_energy(hops, 0.05)
    landings = [round(k * JUMP_PERIOD / 0.05) for k in (1, 2, 3)]
    quiet = energy[: landings[0] - 1].max()
    for landing in landings:
        assert energy[landing : landing + 3].max() > 20 * max(quiet, 1e-12)


def test_a_fall_whistles_down_and_thuds_when_it_lands():
    seconds = 2.0
    falling = events(Subject(kind="ball", motion="fall"), seconds=seconds)
    landing = int(min(FALL_SECONDS, seconds / 2) * SR)
    early, late = falling[: int(0.4 * SR)], falling[int(0.5 * SR) : landing - int(0.05 * SR)]
    assert centroid(early) > 1.3 * centroid(late)  # the whistle slides down
    thud = falling[landing : landing + SR // 2]
    assert band_energy(thud, 30, 150) > 10 * band_energy(falling[:landing], 30, 150)


@pytest.mark.parametrize(("direction", "ahead"), [("right", 1), ("left", 0)])
def test_travellers_cross_the_stereo_field_the_way_they_go(direction, ahead):
    steps = events(Subject(kind="man", motion="walk", direction=direction), seconds=3.0)
    start, end = steps[: int(1.0 * SR)], steps[int(2.0 * SR) :]
    assert rms(end[:, ahead]) > 1.2 * rms(end[:, 1 - ahead])
    assert rms(start[:, 1 - ahead]) > 1.2 * rms(start[:, ahead])


def test_trucks_hum_lower_than_motorcycles():
    truck = events(Subject(kind="truck", motion="drive"))
    motorcycle = events(Subject(kind="motorcycle", motion="drive"))
    assert centroid(truck[:, 0] + truck[:, 1]) < 0.7 * centroid(motorcycle[:, 0] + motorcycle[:, 1])


def test_helicopter_rotor_chops():
    rotor = events(Subject(kind="helicopter", motion="fly"), seconds=2.0)
    assert _beat_lag(rotor, 0.04, 0.12) == pytest.approx(1 / 13.0, abs=0.006)


def test_dancing_brings_a_beat():
    dance = events(Subject(kind="dancer", motion="dance"), seconds=4.0)
    period = STEP_PERIOD["dance"]
    assert _beat_lag(dance, 0.6 * period, 1.6 * period) == pytest.approx(period, abs=0.01)


@pytest.mark.parametrize("kind", ["dog", "cat", "cow", "bird", "robot", "dragon"])
def test_animals_and_creatures_call_when_idle(kind):
    assert rms(events(Subject(kind=kind, motion="idle"), seconds=2.0)) > 0.002


def test_people_standing_still_make_no_sound():
    assert not np.any(events(Subject(kind="person", motion="idle")))


@pytest.mark.parametrize("motion", [m for m in MOTIONS if m != "idle"])
def test_every_motion_of_a_person_is_heard(motion):
    assert rms(events(Subject(kind="person", motion=motion), seconds=1.5)) > 0.001


@pytest.mark.parametrize("kind", SUBJECT_KINDS)
def test_every_kind_in_every_motion_renders(kind):
    for motion in MOTIONS:
        sound = shot_events(
            shot(0.6, setting="ocean", subjects=(Subject(kind=kind, motion=motion, count=2),)),
            n=9600,
            sr=16_000,
            seed=3,
            shot_index=2,
        )
        assert sound.shape == (9600, 2)
        assert np.all(np.isfinite(sound))
        assert np.max(np.abs(sound)) < 1.0


def test_events_fade_at_the_shot_edges():
    engine = events(Subject(kind="car", motion="drive"), seconds=1.0)
    assert np.all(engine[0] == 0)
    assert np.all(np.abs(engine[-1]) < 1e-3)
    assert rms(engine[: int(0.004 * SR)]) < 0.5 * rms(engine[int(0.2 * SR) : int(0.8 * SR)])


def test_copies_keep_the_beat_without_piling_up():
    one = events(Subject(kind="man", motion="run"), seconds=2.0)
    many = events(Subject(kind="man", motion="run", count=12), seconds=2.0)
    period = STEP_PERIOD["run"]
    assert _beat_lag(many, 0.6 * period, 1.6 * period) == pytest.approx(period, abs=0.01)
    assert rms(one) < rms(many) < 3 * rms(one)


def test_events_are_deterministic_per_seed():
    subject = Subject(kind="horse", motion="run", count=3)
    assert np.array_equal(events(subject, seed=4), events(subject, seed=4))
    assert not np.array_equal(events(subject, seed=4), events(subject, seed=5))
