"""The preview backend as the pipeline sees it: metadata, lazy frames, progress, determinism."""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelmint.engine.backends.base import (
    AUDIO_SAMPLE_RATE,
    STANDARD_SIZES,
    Backend,
    BackendOptions,
    ProgressEvent,
    RenderParams,
    Size,
)
from reelmint.engine.backends.preview import PreviewBackend
from reelmint.engine.backends.registry import create_backend, get_backend
from reelmint.engine.storyboard import DialogueLine, Shot, Storyboard, Subject
from reelmint.engine.timing import shot_spans
from reelmint.engine.vocabulary import (
    CAMERA_MOVES,
    COLOUR_NAMES,
    MOTIONS,
    SETTINGS,
    STYLES,
    SUBJECT_KINDS,
    SUBJECT_SIZES,
    TIMES_OF_DAY,
    WEATHERS,
)

SMALL = Size(480, 480)


def _board(*shots: Shot) -> Storyboard:
    return Storyboard(prompt="test", shots=shots)


def _shot(**fields: object) -> Shot:
    values: dict[str, object] = {"prompt": "a test shot", "duration": 4.0}
    values.update(fields)
    return Shot.model_validate(values)


def _frames(
    board: Storyboard, *, seed: int = 1, size: Size = SMALL, fps: int = 24
) -> list[np.ndarray]:
    clip = PreviewBackend().render(
        board, RenderParams(size=size, fps=fps, seed=seed), lambda e: None
    )
    return list(clip.frames)


BUSY = _board(
    _shot(
        setting="city",
        time_of_day="dusk",
        weather="rain",
        camera="pan_right",
        subjects=(
            Subject(kind="dog", count=3, motion="run"),
            Subject(kind="car", colour="red", motion="drive", direction="left"),
            Subject(kind="bird", count=2, motion="fly"),
        ),
        dialogue=(DialogueLine(text="Look at them go!", speaker="man"),),
    )
)


def test_metadata_is_declared_on_the_class() -> None:
    assert PreviewBackend.name == "preview"
    assert "not a neural model" in PreviewBackend.description
    assert PreviewBackend.sizes == STANDARD_SIZES
    assert (PreviewBackend.min_seconds, PreviewBackend.max_seconds, PreviewBackend.fps) == (
        4,
        20,
        24,
    )
    assert PreviewBackend.needs_gpu is False
    assert PreviewBackend.gpu_seconds_per_clip_second == 0.0
    assert PreviewBackend.source_type == "algorithmic"
    assert PreviewBackend.uses_model is False


def test_it_satisfies_the_backend_protocol_and_the_registry_finds_it() -> None:
    assert isinstance(PreviewBackend(), Backend)
    assert isinstance(PreviewBackend(BackendOptions()), Backend)
    assert get_backend("preview") is PreviewBackend
    assert isinstance(create_backend("preview"), PreviewBackend)


def test_render_returns_at_once_with_lazy_frames_and_matching_audio() -> None:
    events: list[ProgressEvent] = []
    params = RenderParams(size=SMALL, fps=24, seed=3)
    clip = PreviewBackend().render(BUSY, params, events.append)
    assert inspect.isgenerator(clip.frames)
    assert events == [], "nothing may be drawn before the encoder asks for a frame"
    assert clip.frame_count == shot_spans(BUSY, 24)[-1].stop == 96
    assert clip.size == SMALL
    assert clip.fps == 24
    assert clip.sample_rate == AUDIO_SAMPLE_RATE
    assert clip.audio.dtype == np.float32
    assert clip.audio.shape == (96 * AUDIO_SAMPLE_RATE // 24, 2)


def test_frames_have_the_right_count_shape_dtype_and_layout() -> None:
    board = _board(_shot(duration=2.0), _shot(duration=2.5, setting="beach", camera="zoom_in"))
    frames = _frames(board, size=Size(854, 480))
    assert len(frames) == shot_spans(board, 24)[-1].stop == 108
    for frame in frames[::9]:
        assert frame.shape == (480, 854, 3)
        assert frame.dtype == np.uint8
        assert frame.flags.c_contiguous
        assert frame.flags.writeable
    assert len({id(f) for f in frames}) == len(frames), "every frame is its own array"


def test_other_frame_rates_and_sizes_work() -> None:
    frames = _frames(_board(_shot(duration=4.0)), fps=12, size=Size(480, 854))
    assert len(frames) == 48
    assert frames[0].shape == (854, 480, 3)


def test_progress_counts_every_frame_of_every_shot() -> None:
    board = _board(_shot(duration=2.0), _shot(duration=1.5, setting="forest"))
    events: list[ProgressEvent] = []
    clip = PreviewBackend().render(board, RenderParams(size=SMALL, fps=24, seed=0), events.append)
    for _ in clip.frames:
        pass
    assert {e.stage for e in events} == {"render"}
    assert {e.shots for e in events} == {2}
    for shot, frames in ((0, 48), (1, 36)):
        mine = [e for e in events if e.shot == shot]
        assert mine, f"shot {shot} reported nothing"
        assert all(e.total == frames for e in mine)
        done = [e.done for e in mine]
        assert done == sorted(done)
        assert done[-1] == frames


def test_same_seed_same_frames_and_another_seed_differs() -> None:
    first = _frames(BUSY, seed=11)
    again = _frames(BUSY, seed=11)
    other = _frames(BUSY, seed=12)
    for k in (0, 40, 95):
        assert np.array_equal(first[k], again[k])
    assert any(not np.array_equal(first[k], other[k]) for k in (20, 40, 60))


def test_the_clip_fades_in_from_and_out_to_black() -> None:
    frames = _frames(_board(_shot(time_of_day="noon")))
    assert frames[0].mean() < frames[3].mean() < frames[20].mean()
    assert frames[-1].mean() < frames[-4].mean() < frames[-20].mean()


def test_a_shot_too_short_for_a_frame_is_skipped_without_error() -> None:
    board = _board(_shot(duration=0.01), _shot(duration=1.0))
    events: list[ProgressEvent] = []
    clip = PreviewBackend().render(board, RenderParams(size=SMALL, fps=24, seed=0), events.append)
    assert sum(1 for _ in clip.frames) == 24
    assert events[0] == ProgressEvent(stage="render", shot=0, shots=2, done=0, total=0)


@pytest.mark.parametrize("size", [Size(1280, 720), Size(720, 1280)])
def test_hd_sizes_render(size: Size) -> None:
    clip = PreviewBackend().render(BUSY, RenderParams(size=size, fps=24, seed=5), lambda e: None)
    frame = next(itertools.islice(clip.frames, 30, None))
    assert frame.shape == (size.height, size.width, 3)
    assert frame.std() > 10, "a real picture, not a flat fill"


_subjects = st.builds(
    Subject,
    kind=st.sampled_from(SUBJECT_KINDS),
    colour=st.none() | st.sampled_from(COLOUR_NAMES),
    size=st.sampled_from(SUBJECT_SIZES),
    count=st.integers(1, 4),
    motion=st.sampled_from(MOTIONS),
    direction=st.sampled_from(("left", "right")),
)
_shots = st.builds(
    Shot,
    prompt=st.just("anything"),
    duration=st.floats(0.05, 0.6),
    subjects=st.lists(_subjects, max_size=3).map(tuple),
    setting=st.sampled_from(SETTINGS),
    time_of_day=st.sampled_from(TIMES_OF_DAY),
    weather=st.sampled_from(WEATHERS),
    camera=st.sampled_from(CAMERA_MOVES),
    dialogue=st.lists(
        st.builds(
            DialogueLine,
            text=st.text(min_size=1, max_size=60),
            speaker=st.none() | st.sampled_from(SUBJECT_KINDS),
        ),
        max_size=2,
    ).map(tuple),
    style=st.sampled_from(STYLES),
)


@settings(max_examples=25, deadline=None)
@given(
    shots=st.lists(_shots, min_size=1, max_size=2),
    seed=st.integers(0, 2**32 - 1),
    size=st.sampled_from([Size(96, 64), Size(64, 96), Size(80, 80)]),
)
def test_any_valid_storyboard_renders(shots: list[Shot], seed: int, size: Size) -> None:
    board = Storyboard(prompt="fuzz", shots=tuple(shots))
    clip = PreviewBackend().render(
        board, RenderParams(size=size, fps=24, seed=seed), lambda e: None
    )
    frames = list(clip.frames)
    assert len(frames) == clip.frame_count == shot_spans(board, 24)[-1].stop
    assert all(f.shape == (size.height, size.width, 3) for f in frames)
