"""`plan()`: free text in, a Storyboard out.

Steps:
1. check the prompt and the seconds;
2. lift quoted dialogue out, cut the rest into sentences and "then" clauses;
3. group the pieces into shots: a piece starts a shot when "then" opens it or when it adds
   something to see (a new subject, a new place, a new action); otherwise it belongs to the
   shot before ("She smiles." "It is raining.");
4. merge shots until there are at most MAX_SHOTS and each can have a second;
5. read each shot with continuity from the one before, share out the seconds, write prompts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from reelmint.engine.errors import InvalidRequest
from reelmint.engine.planner.compose import compose_prompt
from reelmint.engine.planner.durations import (
    MIN_SHOT_SECONDS,
    allocate,
    finite_seconds,
    max_shots,
    reading_seconds,
    shot_weight,
)
from reelmint.engine.planner.extract import Facts, extract
from reelmint.engine.planner.scene import DEFAULT_STYLE, Scene, settle
from reelmint.engine.planner.text import (
    QUOTE_CLOSE,
    QUOTE_OPEN,
    Protected,
    Segment,
    forbidden_character,
    protect_quotes,
    quote_indices,
    restore_quotes,
    split_sentences,
    split_transitions,
    word_count,
)
from reelmint.engine.storyboard import (
    MAX_PROMPT_CHARS,
    MAX_SHOTS,
    DialogueLine,
    Shot,
    Storyboard,
    Subject,
)

MAX_LINE_CHARS = 200  # DialogueLine.text's limit


@dataclass
class _Piece:
    """Some segments that will be one shot."""

    segments: list[Segment]

    @property
    def text(self) -> str:
        parts: list[str] = []
        for i, segment in enumerate(self.segments):
            text = segment.text
            if i > 0 and segment.explicit:  # merged after a "then": keep the word
                text = "Then " + (text[0].lower() + text[1:] if text[1:2].islower() else text)
            parts.append(text if text.endswith((".", "!", "?", "…")) else text + ".")
        return " ".join(parts)


def plan(prompt: str, *, seconds: float) -> Storyboard:
    """Plan a Storyboard for `prompt`, lasting exactly `seconds`. Same input, same output.

    Raises InvalidRequest (code "invalid_prompt" or "invalid_seconds") for input that
    cannot be planned.
    """
    text = check_prompt(prompt)
    check_seconds(seconds)
    protected = protect_quotes(text)
    check_dialogue(protected.quotes, code="invalid_prompt", where="the prompt")
    pieces = _group(_segments(protected))
    pieces = _fit(_cap(pieces, MAX_SHOTS), seconds, protected)
    return Storyboard(prompt=text, shots=tuple(_shots(pieces, protected, seconds)))


def plan_after(before: Storyboard, prompt: str, *, seconds: float) -> Storyboard:
    """`before` with `prompt` planned as more shots after its own, lasting `seconds` more.

    The new shots carry on from the last one: its place, light, weather, camera, style and
    cast hold unless the new text changes them, as they do from shot to shot in one prompt.
    The result's prompt is the new text (what was asked for this time).
    """
    text = check_prompt(prompt)
    check_seconds(seconds)
    if seconds < MIN_SHOT_SECONDS - 1e-9:  # a new shot lasts at least that, as every shot
        raise InvalidRequest(
            f"an extension adds at least {MIN_SHOT_SECONDS:g} s, as every shot lasts at least "
            f"that long; got {seconds:g}",
            code="invalid_seconds",
        )
    room = MAX_SHOTS - len(before.shots)
    if room < 1:
        raise InvalidRequest(
            f"the video already has {len(before.shots)} shots, the most one video can have; "
            "make a new video instead",
            code="invalid_prompt",
        )
    protected = protect_quotes(text)
    check_dialogue(protected.quotes, code="invalid_prompt", where="the prompt")
    pieces = _fit(_cap(_group(_segments(protected)), room), seconds, protected)
    shots = _shots(pieces, protected, seconds, after=before.shots)
    return Storyboard(prompt=text, shots=(*before.shots, *shots))


def check_prompt(prompt: str) -> str:
    """The prompt without surrounding blanks, if it is not empty, too long or uncontrolled."""
    if not isinstance(prompt, str):
        raise InvalidRequest(
            "the prompt is empty; describe the video you want", code="invalid_prompt"
        )
    check_characters(prompt, code="invalid_prompt", where="the prompt")
    if not prompt.strip():
        raise InvalidRequest(
            "the prompt is empty; describe the video you want", code="invalid_prompt"
        )
    text = prompt.strip()
    if len(text) > MAX_PROMPT_CHARS:
        raise InvalidRequest(
            f"the prompt is {len(text)} characters long; the limit is {MAX_PROMPT_CHARS} "
            "characters, so shorten it",
            code="invalid_prompt",
        )
    return text


def check_seconds(seconds: float) -> None:
    """Only a positive, finite number of seconds can be shared among shots."""
    value = finite_seconds(seconds)
    if value is None or value <= 0:
        raise InvalidRequest(
            f"seconds must be a number greater than 0, got {seconds!r}", code="invalid_seconds"
        )


def check_characters(text: str, *, code: str, where: str) -> None:
    """Refuse, rather than strip, characters no prompt may hold (see `forbidden_character`).

    The position is counted from 1 in the text as given, before blanks are trimmed.
    """
    found = forbidden_character(text)
    if found is None:
        return
    index, char = found
    escape = ascii(char)[1:-1]  # "\x1b", "\x00", "\ue000"
    if char in (QUOTE_OPEN, QUOTE_CLOSE):
        why = "a private-use character the planner reserves for itself; remove it"
    elif unicodedata.category(char) == "Cf":
        why = "an invisible formatting character (it can hide or reorder what readers see); "
        why += "remove it"
    else:
        why = "a control character; remove it (only tabs and line breaks are allowed)"
    raise InvalidRequest(f"{where} contains {escape} at character {index + 1}, {why}", code=code)


def check_dialogue(quotes: Sequence[str], *, code: str, where: str) -> None:
    """A spoken line must fit a caption; fail loudly rather than cut it."""
    for quote in quotes:
        if len(quote) > MAX_LINE_CHARS:
            raise InvalidRequest(
                f"{where} quotes a line of {len(quote)} characters ({quote[:30]!r}...); a "
                f"spoken line can be at most {MAX_LINE_CHARS} characters, so split it into "
                "shorter quotes",
                code=code,
            )


def _segments(protected: Protected) -> list[Segment]:
    segments = [
        segment
        for sentence in split_sentences(protected.text)
        for segment in split_transitions(sentence)
    ]
    return segments or [Segment(protected.text.strip() or "scene", explicit=False)]


def _group(segments: Sequence[Segment]) -> list[_Piece]:
    pieces: list[_Piece] = []
    kinds: set[str] = set()
    setting: str | None = None
    for segment in segments:
        facts = extract(segment.text)
        if pieces and not _starts_shot(segment, facts, kinds, setting):
            pieces[-1].segments.append(segment)
            kinds |= facts.kinds
            setting = setting or facts.setting
            continue
        pieces.append(_Piece([segment]))
        kinds = set(facts.kinds)
        setting = facts.setting
    return pieces


def _starts_shot(segment: Segment, facts: Facts, kinds: set[str], setting: str | None) -> bool:
    """Whether a piece of text shows something new, or only adds to the shot before."""
    if segment.explicit or facts.has_action or facts.kinds - kinds:
        return True
    return facts.setting is not None and setting is not None and facts.setting != setting


def _cap(pieces: list[_Piece], limit: int) -> list[_Piece]:
    """Beyond `limit` shots, the rest of the prompt joins the last shot."""
    if len(pieces) <= limit:
        return pieces
    last = _Piece([segment for piece in pieces[limit - 1 :] for segment in piece.segments])
    return [*pieces[: limit - 1], last]


def _fit(pieces: list[_Piece], seconds: float, protected: Protected) -> list[_Piece]:
    """Merge the lightest neighbours until every shot can last at least a second."""
    pieces = list(pieces)
    while len(pieces) > max_shots(seconds):
        weights = [_weight(piece, protected) for piece in pieces]
        i = min(range(len(pieces) - 1), key=lambda k: weights[k] + weights[k + 1])
        pieces[i : i + 2] = [_Piece(pieces[i].segments + pieces[i + 1].segments)]
    return pieces


def _weight(piece: _Piece, protected: Protected) -> float:
    return shot_weight(word_count(piece.text)) + _reading(piece, protected)


def _reading(piece: _Piece, protected: Protected) -> float:
    spoken = sum(len(protected.quotes[q].split()) for q in quote_indices(piece.text))
    return reading_seconds(spoken)


def _shots(
    pieces: Sequence[_Piece], protected: Protected, seconds: float, *, after: Sequence[Shot] = ()
) -> list[Shot]:
    """The pieces' shots, sharing `seconds`; with continuity from the shots `after` follows."""
    durations = allocate(
        seconds,
        [shot_weight(word_count(piece.text)) for piece in pieces],
        [_reading(piece, protected) for piece in pieces],
    )
    style = _named_style(pieces) or (after[-1].style if after else DEFAULT_STYLE)
    shots: list[Shot] = []
    previous: Scene | None = _scene_of(after[-1]) if after else None
    cast: list[Subject] = []
    for earlier in after:
        cast[:0] = earlier.subjects
    for piece, duration in zip(pieces, durations, strict=True):
        facts = extract(piece.text, previous.subjects if previous else ())
        scene = settle(facts, previous, style=style, cast=cast)
        shots.append(build_shot(scene, facts, piece.text, protected.quotes, duration))
        previous, style = scene, scene.style
        cast[:0] = scene.subjects
    return shots


def _named_style(pieces: Sequence[_Piece]) -> str | None:
    """The style a prompt names first; it also holds for the shots before it names it."""
    for piece in pieces:
        style = extract(piece.text).style
        if style is not None:
            return style
    return None


def _scene_of(shot: Shot) -> Scene:
    """A planned shot's settled facts, for the shots that carry on from it."""
    return Scene(
        subjects=shot.subjects,
        setting=shot.setting,
        setting_named=True,
        time_of_day=shot.time_of_day,
        weather=shot.weather,
        camera=shot.camera,
        style=shot.style,
    )


def build_shot(
    scene: Scene,
    facts: Facts,
    text: str,
    quotes: Sequence[str],
    duration: float,
    *,
    code: str = "invalid_prompt",
) -> Shot:
    """The Shot for a settled scene; a model error becomes an InvalidRequest."""
    dialogue = tuple(
        DialogueLine(text=quotes[index], speaker=speaker)
        for index, speaker in facts.dialogue
        if quotes[index]
    )
    try:
        return Shot(
            prompt=compose_prompt(scene, restore_quotes(text, tuple(quotes))),
            duration=duration,
            subjects=scene.subjects,
            setting=scene.setting,
            time_of_day=scene.time_of_day,  # type: ignore[arg-type]
            weather=scene.weather,  # type: ignore[arg-type]
            camera=scene.camera,  # type: ignore[arg-type]
            dialogue=dialogue,
            style=scene.style,  # type: ignore[arg-type]
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidRequest(f"cannot plan a shot: {where}: {first['msg']}", code=code) from None


__all__ = [
    "build_shot",
    "check_characters",
    "check_dialogue",
    "check_prompt",
    "check_seconds",
    "plan",
]
