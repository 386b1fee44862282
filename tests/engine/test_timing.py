"""Shot spans and caption cues: the timing that picture and sound share."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelmint.engine.storyboard import DialogueLine, Shot, Storyboard
from reelmint.engine.timing import caption_cues, shot_spans


def _board(*durations: float) -> Storyboard:
    return Storyboard(prompt="x", shots=tuple(Shot(prompt="a cat", duration=d) for d in durations))


@given(
    durations=st.lists(st.floats(min_value=0.05, max_value=10), min_size=1, max_size=12),
    fps=st.sampled_from([16, 24, 25]),
)
def test_spans_cover_every_frame_once(durations, fps):
    spans = shot_spans(_board(*durations), fps)
    assert spans[0].start == 0
    assert all(a.stop == b.start for a, b in itertools.pairwise(spans))
    assert spans[-1].stop == round(sum(durations) * fps)
    assert all(span.frames >= 0 for span in spans)


def test_spans_round_cumulatively_not_per_shot():
    # Three shots of 1/3 s at 24 fps: rounding each alone would give 8+8+8; cumulative is exact.
    spans = shot_spans(_board(0.3, 0.3, 0.3), 24)
    assert [s.frames for s in spans] == [7, 7, 8]
    assert spans[-1].stop == round(0.9 * 24)


def test_captions_follow_each_other_inside_the_shot():
    lines = tuple(DialogueLine(text=t) for t in ("hello there", "how are you today", "fine"))
    cues = caption_cues(Shot(prompt="x", duration=8.0, dialogue=lines))
    assert [c.line.text for c in cues] == ["hello there", "how are you today", "fine"]
    assert all(0 <= c.start < c.end <= 8.0 for c in cues)
    assert all(a.end < b.start for a, b in itertools.pairwise(cues))
    assert cues[1].end - cues[1].start > cues[2].end - cues[2].start  # longer lines stay longer


@pytest.mark.parametrize("duration", [1.0, 2.0])
def test_many_captions_are_squeezed_into_a_short_shot(duration):
    lines = tuple(DialogueLine(text="a rather long line of dialogue " * 3) for _ in range(4))
    cues = caption_cues(Shot(prompt="x", duration=duration, dialogue=lines))
    assert len(cues) == 4
    assert cues[-1].end <= duration


def test_a_shot_without_dialogue_has_no_cues():
    assert caption_cues(Shot(prompt="x", duration=3.0)) == []
