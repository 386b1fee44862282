"""Phrase lookup: which vocabulary name a run of words stands for.

The word tables are compiled once, at import, into two indexes keyed by a phrase's first
word: the general one, and one for words that are camera moves only when the camera does
them ("the camera rises" is a crane shot; "a rocket rises" is not). Lookup takes the longest
phrase that matches, so "hot air balloon" wins over "balloon" and "golden hour" over "golden".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from reelmint.engine.planner import words as w
from reelmint.engine.planner.inflect import plural, verb_forms
from reelmint.engine.vocabulary import (
    COLOUR_NAMES,
    SETTINGS,
    STYLES,
    SUBJECT_KINDS,
    TIMES_OF_DAY,
    WEATHERS,
)

Role = Literal[
    "subject",
    "colour",
    "size",
    "count",
    "motion",
    "heading",
    "direction",
    "setting",
    "time",
    "weather",
    "camera",
    "style",
    "negation",
    "pronoun",
    "speech",
    "camera_noun",
    "null",
]
ObjectMode = Literal["", "shared", "causative", "object_only"]


@dataclass(frozen=True, slots=True)
class Entry:
    """What a phrase means. Most fields matter for one role only."""

    role: Role
    value: str = ""
    number: int = 0  # count, or the implied count of a group noun ("crowd")
    plural: bool = False  # a subject noun in the plural
    colour: str | None = None  # implied colour ("polar bear" is white)
    size: str | None = None  # implied size ("puppy" is small)
    participle: bool = False  # a motion "-ing" form, which may modify a noun
    object_mode: ObjectMode = ""  # how a motion verb treats its object
    spacecraft: bool = False  # "spaceship": a rocket, or a UFO when aliens are about


@dataclass(frozen=True, slots=True)
class Lexeme:
    """A phrase found in a prompt: words [start, end) of the token list mean `entry`."""

    entry: Entry
    start: int
    end: int


class PhraseIndex:
    """Phrases by first word, each first word's phrases longest first."""

    def __init__(self) -> None:
        self._by_first: dict[str, dict[tuple[str, ...], Entry]] = {}
        self._lengths: dict[str, tuple[int, ...]] = {}
        self.conflicts: list[str] = []  # explicit phrases listed twice: a table mistake
        self.shadowed: list[str] = []  # generated forms that an explicit phrase overrides

    def add(self, phrase: str, entry: Entry, *, generated: bool = False) -> None:
        """Register a phrase; a generated form never displaces a phrase already there."""
        key = tuple(phrase.lower().replace("-", " ").split())
        phrases = self._by_first.setdefault(key[0], {})
        existing = phrases.get(key)
        if existing is not None and existing != entry:
            if generated:
                self.shadowed.append(phrase)
            else:
                self.conflicts.append(f"{phrase!r}: {existing} vs {entry}")
            return
        phrases[key] = entry
        self._lengths[key[0]] = tuple(sorted({len(k) for k in phrases}, reverse=True))

    def add_all(self, phrases: Iterable[str], entry: Entry, *, generated: bool = False) -> None:
        for phrase in phrases:
            self.add(phrase, entry, generated=generated)

    def match(self, words: Sequence[str], start: int) -> Lexeme | None:
        """The longest phrase starting at words[start], if any."""
        phrases = self._by_first.get(words[start])
        if phrases is None:
            return None
        for length in self._lengths[words[start]]:
            candidate = tuple(words[start : start + length])
            entry = phrases.get(candidate)
            if entry is not None and len(candidate) == length:
                return Lexeme(entry, start, start + length)
        return None

    def __contains__(self, phrase: str) -> bool:
        key = tuple(phrase.lower().replace("-", " ").split())
        return key in self._by_first.get(key[0], {})

    def lookup(self, phrase: str) -> Entry | None:
        key = tuple(phrase.lower().replace("-", " ").split())
        return self._by_first.get(key[0], {}).get(key)


def kind_words(kind: str) -> str:
    """A kind's name as words: "hot_air_balloon" -> "hot air balloon"."""
    return kind.replace("_", " ")


def _object_mode(verb: str) -> ObjectMode:
    if verb in w.OBJECT_ONLY_VERBS:
        return "object_only"
    if verb in w.CAUSATIVE_VERBS:
        return "causative"
    if verb in w.SHARED_VERBS:
        return "shared"
    return ""


def _subject_nouns() -> dict[str, Entry]:
    """Every subject noun in the singular, with the entry it stands for.

    A variant ("puppy": a small dog) replaces the plain synonym of the same spelling.
    """
    nouns: dict[str, Entry] = {}
    for kind in SUBJECT_KINDS:
        nouns[kind_words(kind)] = Entry("subject", kind)
        nouns.update((s, Entry("subject", kind)) for s in w.SUBJECT_SYNONYMS.get(kind, ()))
    for phrase, (kind, colour, size) in w.SUBJECT_VARIANTS.items():
        nouns[phrase] = Entry("subject", kind, colour=colour, size=size)
    for phrase in w.SPACECRAFT_NOUNS:
        nouns[phrase] = Entry("subject", w.SPACECRAFT_KIND, spacecraft=True)
    return nouns


def _add_subjects(index: PhraseIndex) -> None:
    nouns = _subject_nouns()
    for phrase, entry in nouns.items():
        index.add(phrase, entry)
    for phrase, kind in w.PLURAL_NOUNS.items():
        index.add(phrase, Entry("subject", kind, plural=True))
    for phrase, (kind, count) in w.GROUP_NOUNS.items():
        index.add(phrase, Entry("subject", kind, number=count))


def _as_plural(entry: Entry) -> Entry:
    return Entry(
        entry.role,
        entry.value,
        plural=True,
        colour=entry.colour,
        size=entry.size,
        spacecraft=entry.spacecraft,
    )


def _add_simple_tables(index: PhraseIndex) -> None:
    for colour in COLOUR_NAMES:
        index.add(colour, Entry("colour", colour))
        index.add_all(w.COLOUR_SYNONYMS.get(colour, ()), Entry("colour", colour))
    for size, phrases in w.SIZE_WORDS.items():
        index.add_all(phrases, Entry("size", size))
    for phrase, number in w.NUMBER_WORDS.items():
        index.add(phrase, Entry("count", number=number))
    for phrase, motion in w.MOTION_PHRASES.items():
        # "away", "toward the camera": where the movement goes, whoever moves
        if motion in ("approach", "retreat", "circle"):
            index.add(phrase, Entry("heading", motion))
        else:  # "parked", "in midair": a state, said like an adjective
            index.add(phrase, Entry("motion", motion, participle=True))
    for phrase, direction in w.DIRECTION_PHRASES.items():
        index.add(phrase, Entry("direction", direction))
    for setting in SETTINGS:
        if setting not in SUBJECT_KINDS:  # "castle" is a subject first; see PLACE_NOUNS
            index.add(setting, Entry("setting", setting))
        index.add_all(w.SETTING_WORDS.get(setting, ()), Entry("setting", setting))
    for role, table, names in (
        ("time", w.TIME_WORDS, TIMES_OF_DAY),
        ("weather", w.WEATHER_WORDS, WEATHERS),
        ("style", w.STYLE_WORDS, STYLES),
    ):
        for name in names:
            index.add(name, Entry(role, name))
            for phrase in table.get(name, ()):
                index.add(phrase, Entry(role, name, colour=w.STYLE_PHRASE_COLOURS.get(phrase)))
    for phrase, move in w.CAMERA_PHRASES.items():
        index.add(phrase, Entry("camera", move))
    for phrase, pronoun in w.PRONOUNS.items():
        index.add(phrase, Entry("pronoun", pronoun))
    index.add_all(w.NEGATIONS, Entry("negation"))
    index.add_all(w.NULL_PHRASES, Entry("null"))
    index.add_all(w.CAMERA_NOUNS, Entry("camera_noun"))


def _add_generated_forms(index: PhraseIndex) -> None:
    for verb in w.SPEECH_VERBS:  # before plurals: a rooster "crows", it is not two crows
        participles, others = verb_forms(verb)
        index.add_all((*participles, *others), Entry("speech"), generated=True)
    for phrase, entry in _subject_nouns().items():
        index.add(plural(phrase), _as_plural(entry), generated=True)
    for motion, verbs in w.MOTION_VERBS.items():
        for verb in verbs:
            mode = _object_mode(verb)
            participles, others = verb_forms(verb)
            index.add_all(participles, Entry("motion", motion, participle=True, object_mode=mode))
            index.add_all(others, Entry("motion", motion, object_mode=mode), generated=True)
    for phrase, move in w.CAMERA_VERBS.items():
        participles, others = verb_forms(phrase)
        index.add_all((*participles, *others), Entry("camera", move), generated=True)
    for setting, phrases in w.SETTING_WORDS.items():
        for phrase in phrases:
            if " " not in phrase and not phrase.endswith("s"):
                index.add(plural(phrase), Entry("setting", setting), generated=True)


def _build_general_index() -> PhraseIndex:
    index = PhraseIndex()
    _add_subjects(index)
    _add_simple_tables(index)
    _add_generated_forms(index)
    return index


def _build_camera_context_index() -> PhraseIndex:
    index = PhraseIndex()
    for phrase, move in w.CAMERA_CONTEXT_VERBS.items():
        participles, others = verb_forms(phrase)
        index.add_all((*participles, *others), Entry("camera", move), generated=True)
    for phrase, move in w.CAMERA_CONTEXT_WORDS.items():
        index.add(phrase, Entry("camera", move))
    return index


GENERAL = _build_general_index()
CAMERA_CONTEXT = _build_camera_context_index()
