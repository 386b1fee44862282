"""A prompt becomes a Storyboard: the shots a backend renders.

The data model is here; the rule-based planner that fills it from free text is `plan()`.
Every backend renders a Storyboard, never a raw prompt, so that what the user asked for is
decided once, deterministically, and can be shown, edited and passed back (`--storyboard`).
"""

from __future__ import annotations

import math
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reelmint.engine.vocabulary import (
    COLOURS,
    SETTINGS,
    SUBJECT_KINDS,
    CameraMove,
    Direction,
    Motion,
    Style,
    SubjectSize,
    TimeOfDay,
    Weather,
)

MAX_PROMPT_CHARS = 2000
MAX_SUBJECTS_PER_SHOT = 6
MAX_COUNT_PER_SUBJECT = 12
MAX_SHOTS = 12
TICKS_PER_SECOND = 24  # the frame grid that planned shots are cut on (24 fps)
_SNAP_SECONDS = 1e-9


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Subject(_Frozen):
    """Something visible in a shot: `count` copies of `kind`, coloured and sized, moving."""

    kind: str = Field(description="One of vocabulary.SUBJECT_KINDS.")
    colour: str | None = Field(
        default=None, description="One of vocabulary.COLOURS, or None for the kind's own."
    )
    size: SubjectSize = "medium"
    count: int = Field(default=1, ge=1, le=MAX_COUNT_PER_SUBJECT)
    motion: Motion = "idle"
    direction: Direction = "right"

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in SUBJECT_KINDS:
            raise ValueError(
                f"unknown subject kind {value!r}; use one of {', '.join(SUBJECT_KINDS)}"
            )
        return value

    @field_validator("colour")
    @classmethod
    def _known_colour(cls, value: str | None) -> str | None:
        if value is not None and value not in COLOURS:
            raise ValueError(f"unknown colour {value!r}; use one of {', '.join(COLOURS)}")
        return value


class DialogueLine(_Frozen):
    """A line spoken in the shot; shown as a caption and voiced."""

    text: str = Field(min_length=1, max_length=200)
    speaker: str | None = Field(
        default=None, description="The subject kind that speaks, if the prompt says."
    )


class Shot(_Frozen):
    """One continuous take of the storyboard."""

    prompt: str = Field(
        min_length=1,
        max_length=MAX_PROMPT_CHARS,
        description="A self-contained natural-language description of this shot, "
        "for backends that condition on text.",
    )
    duration: float = Field(gt=0, description="Seconds.")
    subjects: tuple[Subject, ...] = Field(default=(), max_length=MAX_SUBJECTS_PER_SHOT)
    setting: str = "countryside"
    time_of_day: TimeOfDay = "noon"
    weather: Weather = "clear"
    camera: CameraMove = "static"
    dialogue: tuple[DialogueLine, ...] = ()
    style: Style = "cinematic"

    @field_validator("setting")
    @classmethod
    def _known_setting(cls, value: str) -> str:
        if value not in SETTINGS:
            raise ValueError(f"unknown setting {value!r}; use one of {', '.join(SETTINGS)}")
        return value


class Storyboard(_Frozen):
    """The whole clip: the user's prompt and the shots it was planned into."""

    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    shots: tuple[Shot, ...] = Field(min_length=1, max_length=MAX_SHOTS)

    @property
    def seconds(self) -> float:
        """The shots' durations added up, without the float noise of adding them.

        Adding floats picks up representation error (6.4 + 9.8 + 3.8 gives
        20.000000000000004), enough to push a 20 s clip past a 20 s limit; see
        `snap_seconds`.
        """
        return snap_seconds(sum(shot.duration for shot in self.shots))


def snap_seconds(total: float) -> float:
    """`total` snapped to a whole 1/24 s frame if within a nanosecond of one, else to the ns."""
    ticks = total * TICKS_PER_SECOND
    if not math.isfinite(ticks):
        return total
    if abs(ticks - round(ticks)) <= _SNAP_SECONDS * TICKS_PER_SECOND:
        return round(ticks) / TICKS_PER_SECOND
    return round(total, 9)


# --- planning ------------------------------------------------------------------------------
# The planner lives in `reelmint.engine.planner`, which builds the models above; it is
# imported when first called so that importing these models never imports it (and the two
# modules never import each other half-initialised).


def plan(prompt: str, *, seconds: float) -> Storyboard:
    """Plan a Storyboard lasting exactly `seconds` from a free-text prompt.

    Deterministic: the same prompt and seconds always give the same storyboard. Raises
    InvalidRequest (code "invalid_prompt" or "invalid_seconds") for input it cannot plan.
    """
    from reelmint.engine.planner.from_prompt import plan as plan_prompt

    return plan_prompt(prompt, seconds=seconds)


def plan_after(storyboard: Storyboard, prompt: str, *, seconds: float) -> Storyboard:
    """`storyboard` extended by `prompt`, planned as more shots lasting `seconds` that carry
    on from its last one. Raises InvalidRequest like `plan()`, and when no shot is left."""
    from reelmint.engine.planner.from_prompt import plan_after as plan_more

    return plan_more(storyboard, prompt, seconds=seconds)


def load_storyboard(data: object, *, seconds: float | None) -> Storyboard:
    """A Storyboard from explicit cards (parsed JSON); see `reelmint.engine.planner.from_cards`.

    Raises InvalidRequest (code "invalid_storyboard") naming the JSON path of any mistake.
    """
    from reelmint.engine.planner.from_cards import load_storyboard as load_cards

    return load_cards(data, seconds=seconds)


def load_storyboard_file(path: Path, *, seconds: float | None) -> Storyboard:
    """A Storyboard from a JSON file of cards; every error names the file."""
    from reelmint.engine.planner.from_cards import load_storyboard_file as load_file

    return load_file(path, seconds=seconds)
