"""The mixed soundtrack: exact length, format, determinism, smooth cuts, safe levels."""

from __future__ import annotations

import numpy as np
import pytest
from audio_helpers import SR, board, rms, shot, walker

from reelmint.engine.audio import ambient_track, soundtrack
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.storyboard import Subject
from reelmint.engine.timing import shot_spans

MULTI = board(
    shot(1.3, setting="city", subjects=(walker(),)),
    shot(0.7, setting="forest", time_of_day="night"),
    shot(1.05, setting="beach", weather="rain", subjects=(walker("dog", "run"),)),
)


@pytest.mark.parametrize("fps", [24, 16, 25])
def test_track_is_exactly_as_long_as_the_video(fps):
    track = soundtrack(MULTI, fps=fps, seed=3)
    frames = shot_spans(MULTI, fps)[-1].stop
    assert track.shape == (frames * SR // fps, 2)
    assert track.dtype == np.float32
    assert np.all(np.isfinite(track))
    assert np.max(np.abs(track)) <= 0.98
    assert rms(track) > 0.005


@pytest.mark.parametrize(("fps", "sample_rate"), [(24, 16_000), (25, 44_100), (30, 48_000)])
def test_length_rule_holds_at_other_rates(fps, sample_rate):
    storyboard = board(shot(0.9), shot(0.45, setting="cave"))
    track = soundtrack(storyboard, fps=fps, seed=0, sample_rate=sample_rate)
    frames = shot_spans(storyboard, fps)[-1].stop
    assert track.shape == (frames * sample_rate // fps, 2)


def test_a_shot_too_short_for_a_frame_does_not_break_the_track():
    storyboard = board(shot(1.0, setting="room"), shot(0.01, setting="volcano"), shot(0.5))
    track = soundtrack(storyboard, fps=24, seed=1)
    assert track.shape == (shot_spans(storyboard, 24)[-1].stop * SR // 24, 2)
    assert np.all(np.isfinite(track))


def test_same_seed_same_track_other_seed_other_track():
    first = soundtrack(MULTI, fps=24, seed=11)
    again = soundtrack(MULTI, fps=24, seed=11)
    other = soundtrack(MULTI, fps=24, seed=12)
    assert np.array_equal(first, again)
    assert rms(first - other) > 0.3 * rms(first)


def test_clip_fades_in_and_out():
    track = soundtrack(board(shot(1.0, setting="highway")), fps=24, seed=2)
    assert np.all(np.abs(track[0]) < 1e-6)
    assert np.all(np.abs(track[-1]) < 1e-3)
    assert rms(track[:240]) < 0.2 * rms(track[SR // 4 : 3 * SR // 4])


def _cut_is_an_outlier(track: np.ndarray, cut: int) -> bool:
    """Whether the largest sample-to-sample step near `cut` stands out from the rest."""
    steps = np.abs(np.diff(track, axis=0)).max(axis=1)
    near = steps[cut - 480 : cut + 480].max()
    elsewhere = np.concatenate([steps[: cut - 4800], steps[cut + 4800 :]])
    return bool(near > 1.5 * np.percentile(elsewhere, 99.9))


def test_beds_cross_fade_at_cuts_without_a_click():
    # Two low, smooth beds: a hard cut between them would be the largest step in the track.
    storyboard = board(shot(1.0, setting="underwater"), shot(1.0, setting="space"))
    track = soundtrack(storyboard, fps=24, seed=4)
    assert not _cut_is_an_outlier(track, SR)

    whole_first = soundtrack(board(shot(2.0, setting="underwater")), fps=24, seed=4)
    whole_second = soundtrack(board(shot(2.0, setting="space")), fps=24, seed=5)
    spliced = np.concatenate([whole_first[:SR], whole_second[SR:]])
    assert _cut_is_an_outlier(spliced, SR)  # the check does catch a click


def test_a_loud_crowd_is_limited_and_finite():
    stampede = tuple(
        Subject(kind=kind, motion="dance", count=12, size="huge")
        for kind in ("elephant", "dinosaur", "robot", "dragon", "truck", "rocket")
    )
    storyboard = board(shot(2.0, setting="volcano", weather="storm", subjects=stampede))
    track = soundtrack(storyboard, fps=24, seed=9)
    assert np.all(np.isfinite(track))
    assert np.max(np.abs(track)) <= 0.98


def test_ambient_track_matches_the_soundtrack_length_and_has_no_events():
    storyboard = board(
        shot(1.0, setting="room", subjects=(walker(),)), shot(1.0, setting="room", say="Hi there")
    )
    ambience = ambient_track(storyboard, fps=24, seed=6)
    full = soundtrack(storyboard, fps=24, seed=6)
    assert ambience.shape == full.shape
    assert ambience.dtype == np.float32
    assert rms(ambience) > 0.003
    assert rms(full) > 2 * rms(ambience)  # footsteps and a voice on top of the room tone


@pytest.mark.parametrize(("fps", "sample_rate"), [(0, SR), (-24, SR), (24, 4000), (24, 0)])
def test_bad_rates_are_refused(fps, sample_rate):
    with pytest.raises(InvalidRequest) as caught:
        soundtrack(MULTI, fps=fps, seed=0, sample_rate=sample_rate)
    assert caught.value.code == "invalid_audio"
