"""Explicit storyboards: one card per shot, as the user laid them out.

A storyboard file is JSON:
    {"prompt": "optional, for the feed",
     "shots": [{"prompt": "A red car drives through a city", "duration": 3,
                "setting": "city", "time_of_day": "night", "weather": "rain",
                "camera": "tracking", "style": "neon"}, ...]}
Only "shots" and each card's "prompt" are required. A card's text is read like one shot of
a planned prompt (never split), with continuity from the card before; the card's own
settings win over what its text implies. A card lasts at least MIN_SHOT_SECONDS, like a
planned shot; prompts hold no control characters but tabs and line breaks; no object
repeats a key; the file is a regular file of at most MAX_FILE_BYTES. Every mistake is
reported with its JSON path and what to write instead, and never as a raw pydantic error.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from reelmint.engine.errors import InvalidRequest
from reelmint.engine.planner.durations import (
    MIN_SHOT_SECONDS,
    allocate,
    finite_seconds,
    reading_seconds,
    shot_weight,
)
from reelmint.engine.planner.extract import extract
from reelmint.engine.planner.from_prompt import (
    build_shot,
    check_characters,
    check_dialogue,
    check_seconds,
)
from reelmint.engine.planner.scene import DEFAULT_STYLE, Overrides, Scene, settle
from reelmint.engine.planner.text import Protected, protect_quotes, word_count
from reelmint.engine.storyboard import (
    MAX_PROMPT_CHARS,
    MAX_SHOTS,
    Shot,
    Storyboard,
    Subject,
    snap_seconds,
)
from reelmint.engine.vocabulary import CAMERA_MOVES, SETTINGS, STYLES, TIMES_OF_DAY, WEATHERS

CODE = "invalid_storyboard"
MAX_FILE_BYTES = 1_000_000
_TOP_FIELDS = ("prompt", "shots")
_CARD_FIELDS = ("prompt", "duration", "setting", "time_of_day", "weather", "camera", "style")
_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "setting": ("setting", SETTINGS),
    "time_of_day": ("time of day", TIMES_OF_DAY),
    "weather": ("weather", WEATHERS),
    "camera": ("camera move", CAMERA_MOVES),
    "style": ("style", STYLES),
}
_SECONDS_TOLERANCE = 1e-6
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # absent on Windows, which has no FIFOs to block on


@dataclass(frozen=True)
class _Card:
    path: str  # "shots[2]"
    raw: str  # the card's prompt as written
    text: Protected
    duration: float | None
    overrides: Overrides


def load_storyboard_file(path: Path, *, seconds: float | None) -> Storyboard:
    """Read and check a storyboard JSON file; every problem names the file."""
    data = _read_json(Path(path))
    try:
        return load_storyboard(data, seconds=seconds)
    except InvalidRequest as error:
        raise InvalidRequest(f"storyboard file {path}: {error.message}", code=error.code) from None


def load_storyboard(data: object, *, seconds: float | None) -> Storyboard:
    """A Storyboard from parsed JSON, lasting `seconds` if given (see the module's doc)."""
    if seconds is not None:
        check_seconds(seconds)
    fields = _object(data, "storyboard", _TOP_FIELDS, 'with "shots" (and optionally "prompt")')
    title = _optional_prompt(fields)
    cards = [_card(raw, f"shots[{i}]") for i, raw in enumerate(_shot_list(fields))]
    durations = _durations(cards, seconds)
    shots = _shots(cards, durations)
    try:
        return Storyboard(prompt=title or _joined_prompt(cards), shots=tuple(shots))
    except ValidationError as error:  # the checks above should make this unreachable
        raise _fail(f"storyboard: {error.errors()[0]['msg']}") from None


# --- reading the file ---------------------------------------------------------------------


def _read_json(path: Path) -> object:
    text = _decode(_read_bytes(path), path)
    data = _parse(text, path)
    duplicate = _first_duplicate(data)
    if duplicate is not None:
        where, key = duplicate
        raise _fail(
            f"storyboard file {path}: {where}: duplicate key {json.dumps(key)}; a key may "
            "appear only once in an object"
        )
    return data


def _read_bytes(path: Path) -> bytes:
    """At most MAX_FILE_BYTES + 1 bytes of a regular file.

    `st_size` is 0 for devices, pipes and /proc files, so it bounds nothing: anything but a
    regular file is refused before it is opened (a FIFO would block, /dev/zero never ends),
    and the read itself is bounded whatever the size says.
    """
    try:
        _check_regular(path, path.stat().st_mode)
        descriptor = os.open(path, os.O_RDONLY | _O_NONBLOCK)
        try:
            _check_regular(path, os.fstat(descriptor).st_mode)  # swapped since the stat?
            raw = _read_at_most(descriptor, MAX_FILE_BYTES + 1)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise _fail(f"cannot read storyboard file {path}: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(
            f"storyboard file {path} is more than {MAX_FILE_BYTES} bytes; a storyboard is at "
            f"most {MAX_FILE_BYTES} bytes"
        )
    return raw


def _check_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise _fail(
            f"storyboard file {path} is {_file_kind(mode)}; a storyboard must be a regular "
            "JSON file"
        )


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _read_at_most(descriptor: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(descriptor, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _decode(raw: bytes, path: Path) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _fail(
            f"storyboard file {path} is not UTF-8 text (undecodable byte at offset "
            f"{error.start}); save it as UTF-8"
        ) from None


def _parse(text: str, path: Path) -> object:
    try:
        return json.loads(text, object_pairs_hook=_object_pairs)
    except json.JSONDecodeError as error:
        raise _fail(
            f"storyboard file {path} is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}"
        ) from None
    except ValueError:  # an integer of more digits than Python converts (4300)
        raise _fail(
            f"storyboard file {path} is not a storyboard: it holds a number too long to read"
        ) from None
    except RecursionError:
        raise _fail(
            f"storyboard file {path} is not a storyboard: it is nested too deeply"
        ) from None


class _DuplicateKeys(dict[str, object]):
    """A JSON object in which `key` appeared more than once (json keeps the last value)."""

    def __init__(self, pairs: Sequence[tuple[str, object]], key: str) -> None:
        super().__init__(pairs)
        self.key = key


def _object_pairs(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """json's object hook: a dict, marked when a key repeats so the path can be named later."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return _DuplicateKeys(pairs, key)
        seen.add(key)
    return dict(pairs)


def _first_duplicate(data: object) -> tuple[str, str] | None:
    """The JSON path and key of the first object with a repeated key, depth first."""
    stack: list[tuple[str, object]] = [("storyboard", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, _DuplicateKeys):
            return path, value.key
        stack.extend(reversed(_children(path, value)))
    return None


def _children(path: str, value: object) -> list[tuple[str, object]]:
    if isinstance(value, dict):
        return [
            (key if path == "storyboard" else f"{path}.{key}", item) for key, item in value.items()
        ]
    if isinstance(value, list):
        return [(f"{path}[{i}]", item) for i, item in enumerate(value)]
    return []


def _fail(message: str) -> InvalidRequest:
    return InvalidRequest(message, code=CODE)


# --- checking the fields ------------------------------------------------------------------


def _object(value: object, path: str, allowed: Sequence[str], wanted: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _fail(f"{path}: must be a JSON object {wanted}, got {_describe(value)}")
    for key in value:
        if key not in allowed:
            name = str(key) if str(key).isprintable() else ascii(key)  # no raw ESC to a tty
            where = f"{path}.{name}" if path.startswith("shots[") else name
            raise _fail(f"{where}: unknown field; allowed: {', '.join(allowed)}")
    return value


def _optional_prompt(fields: Mapping[str, object]) -> str | None:
    prompt = fields.get("prompt")
    if prompt is None:
        return None
    return _prompt_text(prompt, "prompt")


def _shot_list(fields: Mapping[str, object]) -> list[object]:
    shots = fields.get("shots")
    if not isinstance(shots, list) or not 1 <= len(shots) <= MAX_SHOTS:
        got = "nothing" if "shots" not in fields else _describe(shots)
        raise _fail(f"shots: must be a non-empty list of at most {MAX_SHOTS} cards, got {got}")
    return shots


def _card(raw: object, path: str) -> _Card:
    fields = _object(raw, path, _CARD_FIELDS, 'with a "prompt"')
    if "prompt" not in fields:
        raise _fail(f"{path}.prompt: required; describe what the shot shows")
    text = _prompt_text(fields["prompt"], f"{path}.prompt")
    protected = protect_quotes(text)
    check_dialogue(protected.quotes, code=CODE, where=f"{path}.prompt")
    return _Card(
        path=path,
        raw=text,
        text=protected,
        duration=_duration(fields.get("duration"), f"{path}.duration"),
        overrides=Overrides(**{name: _choice(fields.get(name), path, name) for name in _CHOICES}),
    )


def _prompt_text(value: object, where: str) -> str:
    """A prompt field, trimmed: a non-empty string within the limit, of allowed characters."""
    if isinstance(value, str):
        check_characters(value, code=CODE, where=f"{where}:")
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"{where}: must be a non-empty string, got {_describe(value)}")
    text = value.strip()
    if len(text) > MAX_PROMPT_CHARS:
        raise _fail(f"{where}: is {len(text)} characters; the limit is {MAX_PROMPT_CHARS}")
    return text


def _duration(value: object, path: str) -> float | None:
    """A card's own duration; at least a second, like every planned shot.

    A shorter one could round to no frames at all, and the shot, dialogue included, would
    silently vanish from the clip.
    """
    if value is None:
        return None
    seconds = finite_seconds(value)
    if seconds is None:
        raise _fail(f"{path}: must be a number of seconds, got {_describe(value)}")
    if seconds < MIN_SHOT_SECONDS:
        unit = "second" if MIN_SHOT_SECONDS == 1 else "seconds"
        raise _fail(f"{path}: must be at least {MIN_SHOT_SECONDS:g} {unit}, got {_describe(value)}")
    return seconds


def _choice(value: object, path: str, name: str) -> str | None:
    if value is None:
        return None
    label, names = _CHOICES[name]
    if not isinstance(value, str) or value not in names:
        shown = repr(value) if isinstance(value, str) else _describe(value)
        raise _fail(f"{path}.{name}: unknown {label} {shown}; use one of {', '.join(names)}")
    return value


def _describe(value: object) -> str:
    """A short, safe rendering of a JSON value for an error message."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- durations and shots -------------------------------------------------------------------


def _durations(cards: Sequence[_Card], seconds: float | None) -> list[float]:
    given = [card.duration for card in cards]
    missing = [card for card in cards if card.duration is None]
    if not missing:
        total = snap_seconds(sum(d for d in given if d is not None))
        if seconds is not None and abs(total - seconds) > _SECONDS_TOLERANCE:
            raise _fail(
                f"storyboard shots add up to {total:g} s but the video is asked to last "
                f"{seconds:g} s; ask for {total:g} s (or leave the length out) or change the "
                "durations"
            )
        return [d for d in given if d is not None]
    names = ", ".join(card.path for card in missing)
    if seconds is None:
        raise _fail(
            f"{names}: no duration; give every card a duration, or give the video's length "
            "(seconds) to share among the cards without one"
        )
    left = seconds - sum(d for d in given if d is not None)
    if left < len(missing) - _SECONDS_TOLERANCE:
        each = max(left, 0.0) / len(missing)
        raise _fail(
            f"{names}: would get {each:.2f} s each (the video's {seconds:g} s minus the "
            "durations given), but a shot needs at least 1 s; make the video longer, shorten "
            "the other cards or give these cards durations"
        )
    shares = iter(
        allocate(
            left,
            [shot_weight(word_count(card.text.text)) for card in missing],
            [reading_seconds(sum(len(q.split()) for q in card.text.quotes)) for card in missing],
        )
    )
    return [d if d is not None else next(shares) for d in given]


def _shots(cards: Sequence[_Card], durations: Sequence[float]) -> list[Shot]:
    style = _first_style(cards)
    shots: list[Shot] = []
    previous: Scene | None = None
    cast: list[Subject] = []
    for card, duration in zip(cards, durations, strict=True):
        facts = extract(card.text.text, previous.subjects if previous else ())
        scene = settle(facts, previous, style=style, overrides=card.overrides, cast=cast)
        try:
            shots.append(
                build_shot(scene, facts, card.text.text, card.text.quotes, duration, code=CODE)
            )
        except InvalidRequest as error:
            raise _fail(f"{card.path}: {error.message}") from None
        previous, style = scene, scene.style
        cast[:0] = scene.subjects
    return shots


def _first_style(cards: Sequence[_Card]) -> str:
    for card in cards:
        style = card.overrides.style or extract(card.text.text).style
        if style is not None:
            return style
    return DEFAULT_STYLE


def _joined_prompt(cards: Sequence[_Card]) -> str:
    joined = " Then ".join(card.raw for card in cards)
    if len(joined) > MAX_PROMPT_CHARS:
        raise _fail(
            f"prompt: the cards' prompts joined are {len(joined)} characters, over the "
            f'{MAX_PROMPT_CHARS} limit; add a top-level "prompt" of at most '
            f"{MAX_PROMPT_CHARS} characters"
        )
    return joined
