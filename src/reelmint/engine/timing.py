"""Shared timing rules, so that what is seen and what is heard line up.

The video renderer and the soundtrack both place shots, captions and motion beats with these
functions; neither keeps its own copy of the arithmetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelmint.engine.storyboard import DialogueLine, Shot, Storyboard

# Beat periods (seconds) of the motions that make periodic sounds and movements.
STEP_PERIOD = {"walk": 0.5, "run": 0.3, "dance": 0.5}
JUMP_PERIOD = 1.0
# Motions whose every copy moves on the shared beat, so one footfall sound fits them all.
BEAT_LOCKED = frozenset({"walk", "run", "dance", "jump"})
FALL_SECONDS = 1.4  # a fall lands after min(FALL_SECONDS, half the shot)
SPIN_TURNS_PER_SECOND = 1.0
CIRCLE_PERIOD = 4.0

# A length within a thousandth of a frame of whole frames is whole frames: one written to six
# decimals (4.041667 s, 97 frames at 24 fps) names its frame, and lasts it to within 50 µs.
FRAME_TOLERANCE = 1e-3

_CAPTION_LEAD_IN = 0.3
_CAPTION_GAP = 0.25
_SECONDS_PER_WORD = 0.32
_CAPTION_MIN = 1.2


@dataclass(frozen=True)
class ShotSpan:
    """Frames [start, stop) of the clip that belong to one shot."""

    index: int
    shot: Shot
    start: int
    stop: int

    @property
    def frames(self) -> int:
        return self.stop - self.start


def shot_spans(storyboard: Storyboard, fps: int) -> list[ShotSpan]:
    """Split the clip's frames among shots by cumulative rounding: no frame lost or doubled."""
    spans: list[ShotSpan] = []
    elapsed = 0.0
    start = 0
    for index, shot in enumerate(storyboard.shots):
        elapsed += shot.duration
        stop = round(elapsed * fps)
        spans.append(ShotSpan(index=index, shot=shot, start=start, stop=stop))
        start = stop
    return spans


def is_whole_frames(seconds: float, fps: int) -> bool:
    """Whether `seconds` is a whole number of frames at `fps`: what `shot_spans` delivers is
    rounded to whole frames, so any other length would be reported but not delivered."""
    frames = seconds * fps
    return abs(frames - round(frames)) <= FRAME_TOLERANCE


def nearest_whole_frames(seconds: float, fps: int) -> tuple[float, float]:
    """The lengths of whole frames at `fps` just below and just above `seconds`."""
    frames = seconds * fps
    return math.floor(frames) / fps, math.ceil(frames) / fps


def seconds_text(seconds: float) -> str:
    """A length as a client can send it back and still name its frame (`FRAME_TOLERANCE`):
    at most six decimals, no trailing zeros ("4", "4.041667")."""
    return f"{seconds:.6f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class CaptionCue:
    """A dialogue line on screen (and voiced) from `start` to `end`, seconds into the shot."""

    line: DialogueLine
    start: float
    end: float


def caption_cues(shot: Shot) -> list[CaptionCue]:
    """When each dialogue line of a shot is shown, in order, scaled to fit the shot."""
    if not shot.dialogue:
        return []
    wanted = [
        max(_CAPTION_MIN, _SECONDS_PER_WORD * len(line.text.split()) + 0.4)
        for line in shot.dialogue
    ]
    available = max(0.1, shot.duration - _CAPTION_LEAD_IN - _CAPTION_GAP * len(wanted))
    scale = min(1.0, available / sum(wanted))
    cues: list[CaptionCue] = []
    t = min(_CAPTION_LEAD_IN, shot.duration * 0.05)
    for line, seconds in zip(shot.dialogue, wanted, strict=True):
        end = min(shot.duration, t + seconds * scale)
        cues.append(CaptionCue(line=line, start=t, end=end))
        t = end + _CAPTION_GAP * scale
    return cues
