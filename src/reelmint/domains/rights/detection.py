"""Character detection: which registered characters a prompt names, misspells or describes.

Pure: no database, no web. A `Detector` is built once per registry (everything that depends
only on the registry is precomputed there) and then `detect(texts)` looks at a prompt and its
storyboard's shot prompts in time that does not grow with the number of characters, apart
from one matrix product for the semantic part.

How a character is found, strongest first:
1. mention  `@handle`, exact and case-insensitive; `@` + a name or alias written without
            spaces (`@CaptainBrightwave`) counts too.
2. alias    a name or alias after normalisation: accents stripped (NFKD), case folded,
            leetspeak undone (`Br1ghtw4ve`), punctuation and spacing ignored (`S p i d e r -
            M a n` and `spiderman` read as `Spider-Man`).
3. fuzzy    a small misspelling: Damerau-Levenshtein distance up to 1 for names of 6-9
            letters, 2 from 10 letters (none below 6), and similarity 1 - distance / length
            at least the fuzzy threshold.
            Only spans of 1-4 words with at least one word that is not in the dictionary are
            tried: a real word is not a misspelling ("zipper" is not "Zapper").
4. semantic cosine similarity (MiniLM) between a text and a character's description at least
            the semantic threshold.

Names that are ordinary words. A span of at most two dictionary words (function words such as
"the" or "of" not counted) is *weak*: "Bolt" in "a bolt of lightning", "Red Fox", or "bright
wave" joined into "Brightwave". So is a misspelling of such a name. A weak span counts only with
evidence, and then scores 0.9 of a strong one:
- capitals: every counted word is capitalised and at least one of them does not start a
  sentence ("a shot of Bolt racing", "the Red Fox"), in a text that is not written all in
  capitals or Title Case; or
- context: the text is similar to the character's description at least at the context
  threshold (lower than the semantic one), e.g. "bolt the robot dog chases a ball".
An `@` mention of a weak name counts without evidence.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from reelmint.domains.rights.embeddings import Embedder, default_embedder, embed_cached
from reelmint.lookalikes import fold as _fold
from reelmint.lookalikes import unconfused as _unconfused

if TYPE_CHECKING:
    from reelmint.config import Settings

__all__ = [
    "CharacterEntry",
    "Detector",
    "Embedder",
    "Match",
    "NameForms",
    "Thresholds",
    "default_embedder",
    "load_registry",
    "normalise",
    "parse_registry",
]

How = Literal["mention", "alias", "fuzzy", "semantic"]
_HOW_RANK: dict[str, int] = {"mention": 0, "alias": 1, "fuzzy": 2, "semantic": 3}
WEAK_FACTOR = 0.9  # a weak span that has its evidence scores this much of a strong one


@dataclass(frozen=True)
class CharacterEntry:
    """A registered character as detection sees it."""

    id: str
    name: str
    aliases: tuple[str, ...]
    description: str
    policy: str
    handle: str | None = None


@dataclass(frozen=True)
class Match:
    """One character found in a request: the best way it was found and how sure that is."""

    character: str
    how: How
    score: float
    text: str


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs for the inexact kinds of match (`reelmint.config` explains each)."""

    fuzzy: float = 0.8
    semantic: float = 0.65
    context: float = 0.42

    def __post_init__(self) -> None:
        for name in ("fuzzy", "semantic", "context"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold {name} must be between 0 and 1, not {value}")

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            fuzzy=settings.rights_fuzzy_threshold,
            semantic=settings.rights_semantic_threshold,
            context=settings.rights_context_threshold,
        )


# --- normalisation ----------------------------------------------------------------------------

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}
_LEET |= {"@": "a", "$": "s", "|": "l", "!": "i", "+": "t", "€": "e", "£": "l"}
_LEET_I = str.maketrans(_LEET)
_LEET_L = str.maketrans(_LEET | {"1": "l"})  # "Ho11y": 1 reads as l as often as i
_LEET_CHARS = frozenset(_LEET)
# Look-alike letters are folded by `reelmint.lookalikes` (shared with reserved display names).
# Scripts written without spaces between words: a name in them is looked for inside words
# (if it can be told from ordinary words there: `_findable_inside_words`).
UNSPACED_MIN_LENGTH = 3
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
)

# A word: letters and digits, with leetspeak symbols allowed inside ("Sp@rky", "$parky").
_TOKEN = re.compile(r"(?:[^\W_]|[@$|!+€£])+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_MENTION = re.compile(r"(?<![\w@])@([^\W_](?:[\w.\-]*[^\W_])?)")
_EMAIL_OR_URL = re.compile(r"\S+@\S+\.\w+|\b(?:https?://|www\.)\S+")
_SENTENCE_END = frozenset(".!?\n:;")
_OPENERS = frozenset("\"'([{«“‘ \t\r-–—*")

_FUNCTION_WORDS = "the a an of and de la le el du da der di von van des del los las"
STOPWORDS = frozenset(_FUNCTION_WORDS.split())  # not counted when a name is weighed
FUZZY_MIN_LENGTH = 6  # shorter names are too close to too many others: exact only
FUZZY_MAX_WORDS = 4  # a misspelt span: at most 4 words, not starting or ending with "the"


def _max_distance(length: int) -> int:
    """Edits allowed for a name of this many letters: 0 below 6, 1 up to 9, then 2."""
    if length < FUZZY_MIN_LENGTH:
        return 0
    return 1 if length < 10 else 2


def _findable_inside_words(key: str) -> bool:
    """Whether a name in a script written without spaces is looked for inside words: at least
    3 characters, not all of them hiragana. Shorter ones ("花园", garden) and hiragana-only
    ones ("ました", a verb ending) are ordinary words and endings inside any sentence, so they
    count only written as a word of their own."""
    if len(key) < UNSPACED_MIN_LENGTH or not _UNSPACED.search(key):
        return False
    return not all("\u3040" <= char <= "\u309f" for char in key)


def _normalise_word(raw: str, leet: dict[int, str]) -> str:
    folded = _fold(raw)
    if any(ch.isalpha() for ch in folded) and any(ch in _LEET_CHARS for ch in folded):
        folded = folded.translate(leet)
    return "".join(ch for ch in folded if ch.isalnum())


def normalise(text: str) -> str:
    """The form names are compared in: `"Cäptain  Br1ght-W4ve!"` -> `"captain bright wave"`."""
    text = unicodedata.normalize("NFKC", text)
    words = (_normalise_word(raw.strip("!|+"), _LEET_I) for raw in _TOKEN.findall(text))
    return " ".join(word for word in words if word)


@cache
def dictionary() -> frozenset[str]:
    """Lower-case English words (SCOWL): what counts as an ordinary word."""
    data = resources.files(__package__).joinpath("words.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("ascii").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _is_common(word: str, words: frozenset[str]) -> bool:
    """A dictionary word or a number (single letters other than a and i are not words)."""
    return word.isdigit() or (len(word) > 1 and word in words) or word in ("a", "i")


# --- the registry's index -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Alias:
    character: int  # index into the detector's characters
    key: str  # normalised, without spaces
    weak: bool  # at most two dictionary words: needs evidence to count


@dataclass(frozen=True)
class _Token:
    word: str  # normalised
    start: int
    end: int
    common: bool
    stop: bool
    capital: bool
    initial: bool  # first word of a sentence


@dataclass
class _Found:
    character: int
    how: How
    score: float
    text: str
    weak: bool = False
    capitals: bool = False
    context: str | None = None  # a weak name without capitals: its text without the name


def _deletions(word: str, depth: int) -> set[str]:
    """Every string made by deleting up to `depth` letters (the symmetric-delete index)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment (Damerau-Levenshtein) distance; limit + 1 once it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class Detector:
    """Finds registered characters in a request's texts (see the module docstring)."""

    def __init__(
        self,
        characters: Sequence[CharacterEntry],
        *,
        thresholds: Thresholds | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.characters: tuple[CharacterEntry, ...] = tuple(characters)
        self.thresholds = thresholds or Thresholds()
        self.embedder = embedder
        self._words = dictionary()
        seen: set[str] = set()
        for entry in self.characters:
            if entry.id in seen:
                raise ValueError(f"character id {entry.id!r} appears twice in the registry")
            seen.add(entry.id)
        # 1. Mentions: handles, ids and names written as one word, folded.
        self._handles: dict[str, int] = {}
        for index, entry in enumerate(self.characters):
            for handle in (entry.handle, entry.id):
                if handle:
                    self._handles.setdefault(_fold(handle.lstrip("@")), index)
        # 2. Names and aliases, normalised and without spaces.
        aliases: dict[tuple[int, str], _Alias] = {}
        for index, entry in enumerate(self.characters):
            for form in (entry.name, *entry.aliases):
                for words in _variants(form):
                    key = "".join(words)
                    if len(key) < 2:
                        continue
                    alias = _Alias(index, key, self._weak_words(words))
                    aliases.setdefault((index, key), alias)
        self._aliases: tuple[_Alias, ...] = tuple(aliases.values())
        self._exact: dict[str, list[int]] = {}
        for number, alias in enumerate(self._aliases):
            self._exact.setdefault(alias.key, []).append(number)
        self._longest = max((len(a.key) for a in self._aliases), default=0)
        # Names in scripts without spaces ("ドラえもんが空を飛ぶ"): found inside words too, if
        # they can be told from ordinary words there (`_findable_inside_words`).
        self._unspaced = tuple(
            number
            for number, alias in enumerate(self._aliases)
            if _findable_inside_words(alias.key)
        )
        # 3. Misspellings: the symmetric-delete index (every key with up to 1 or 2 letters
        #    deleted), so a candidate costs a few dictionary look-ups, not a scan.
        self._deleted: dict[str, list[int]] = {}
        for number, alias in enumerate(self._aliases):
            for variant in _deletions(alias.key, _max_distance(len(alias.key))):
                self._deleted.setdefault(variant, []).append(number)
        # 4. Descriptions: one matrix of unit vectors (rows of zeros for empty descriptions).
        self._descriptions: np.ndarray | None = None
        if embedder is not None and self.characters:
            texts = [entry.description.strip() for entry in self.characters]
            present = [i for i, text in enumerate(texts) if text]
            if present:
                vectors = embed_cached(embedder, [texts[i] for i in present])
                matrix = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                matrix[present] = vectors
                self._descriptions = matrix

    @property
    def semantic(self) -> bool:
        """Whether descriptions are compared (an embedder was given and loaded)."""
        return self._descriptions is not None

    def detect(self, texts: Sequence[str]) -> list[Match]:
        """Characters in the prompt and every shot's prompt: the best match per character,
        highest score first."""
        if isinstance(texts, str):
            raise TypeError("detect() takes a sequence of texts (the prompt and each shot's)")
        # NFKC: circled, fullwidth and other compatibility letters become plain ones before
        # the text is cut into words (a circled letter is a symbol, not part of a word).
        texts = [unicodedata.normalize("NFKC", text) for text in texts if text and text.strip()]
        if not texts or not self.characters:
            return []
        # 1. Names: mentions, aliases and misspellings, each text on its own.
        found: list[_Found] = []
        for text in texts:
            found.extend(self._mentions(text))
            found.extend(self._names(text))
            found.extend(self._unspaced_names(text))
        # 2. One batch through the embedder: the texts, and each weak name's text without the
        #    name (its context: "the robot dog fetches a stick" for "Bolt the robot dog...").
        #    A character already found by a strong match needs no context.
        sure = {item.character for item in found if not item.weak or item.capitals}
        contexts = sorted(
            {item.context for item in found if item.context and item.character not in sure}
        )
        similarity, support = self._similarity(texts, contexts)
        # 3. The best match per character.
        best: dict[int, _Found] = {}
        for item in found:
            if item.weak and not item.capitals:
                row = support.get(item.context or "")
                if row is None or row[item.character] < self.thresholds.context:
                    continue
            score = item.score * (WEAK_FACTOR if item.weak else 1.0)
            candidate = _Found(item.character, item.how, score, item.text)
            if _better(candidate, best.get(item.character)):
                best[item.character] = candidate
        if similarity is not None:
            for index in np.flatnonzero(similarity >= self.thresholds.semantic):
                entry = self.characters[int(index)]
                candidate = _Found(
                    int(index), "semantic", float(similarity[index]), entry.description
                )
                if _better(candidate, best.get(int(index))):
                    best[int(index)] = candidate
        matches = [
            Match(
                character=self.characters[item.character].id,
                how=item.how,
                score=round(min(max(item.score, 0.0), 1.0), 4),
                text=item.text,
            )
            for item in best.values()
        ]
        matches.sort(key=lambda m: (-m.score, _HOW_RANK[m.how], m.character))
        return matches

    # --- the steps ---------------------------------------------------------------------------

    def _similarity(
        self, texts: list[str], contexts: list[str]
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Per character, its description's best cosine similarity over the texts; and per
        context, its similarity to every description."""
        if self._descriptions is None or self.embedder is None:
            return None, {}
        vectors = self.embedder.embed([*texts, *contexts])
        # Not `@`: numpy's BLAS would run this on its own threads, which then spin and starve
        # torch's next call (p95 x5 with 1,000 characters on 2 cores); one core does it in
        # well under a millisecond.
        scores = np.einsum("cd,td->ct", self._descriptions, vectors, optimize=False)
        similarity = scores[:, : len(texts)].max(axis=1)
        return similarity, {c: scores[:, len(texts) + i] for i, c in enumerate(contexts)}

    def _mentions(self, text: str) -> Iterable[_Found]:
        for match in _MENTION.finditer(text):
            handle = match.group(1)
            index = self._handles.get(_fold(handle))
            if index is not None:
                yield _Found(index, "mention", 1.0, match.group(0))
                continue
            key = _normalise_word(handle, _LEET_I)
            for number in self._exact.get(key, ()):
                yield _Found(self._aliases[number].character, "mention", 1.0, match.group(0))

    def _unspaced_names(self, text: str) -> Iterable[_Found]:
        """Names written in a script without spaces, anywhere in the text's words."""
        if not self._unspaced or not _UNSPACED.search(text):
            return
        joined = normalise(text).replace(" ", "")
        for number in self._unspaced:
            alias = self._aliases[number]
            if alias.key in joined:  # the name as registered: the key lost its marks
                yield _Found(alias.character, "alias", 1.0, self.characters[alias.character].name)

    def _names(self, text: str) -> Iterable[_Found]:
        cleaned = _EMAIL_OR_URL.sub(lambda m: " " * len(m.group(0)), text)
        raw = _words(cleaned)
        if not raw:
            return
        shouting = self._capitals_uninformative(cleaned, raw)
        readings = [_LEET_I]
        if any("1" in word and any(ch.isalpha() for ch in word) for word, _ in raw):
            readings.append(_LEET_L)
        for leet in readings:
            tokens = self._tokens(cleaned, raw, leet, shouting=shouting)
            yield from self._spans(text, tokens)

    def _spans(self, text: str, tokens: list[_Token]) -> Iterable[_Found]:
        """Every run of consecutive words up to the longest name, joined without spaces:
        first exact look-ups, then misspellings among the words no name accounts for."""
        limit = self._longest + 2
        named: set[int] = set()  # words inside an exact match
        for i, j, joined in self._windows(tokens, limit):
            hits = self._exact.get(joined)
            if not hits:
                continue
            span = tokens[i : j + 1]
            named.update(range(i, j + 1))
            weak = self._weak_span(span)
            capitals = weak and self._capitalised(span)
            context = _without(text, span) if weak and not capitals else None
            for number in hits:
                yield _Found(
                    self._aliases[number].character,
                    "alias",
                    1.0,
                    text[span[0].start : span[-1].end],
                    weak=weak,
                    capitals=capitals,
                    context=context,
                )
        unexplained = [k for k, t in enumerate(tokens) if not t.common and k not in named]
        if not unexplained:
            return
        for i, j, joined in self._windows(tokens, limit):
            if (
                len(joined) >= FUZZY_MIN_LENGTH - 1
                and j - i < FUZZY_MAX_WORDS
                and not tokens[i].stop
                and not tokens[j].stop
                and any(i <= k <= j for k in unexplained)
                and joined not in self._exact
            ):
                yield from self._fuzzy(text, joined, tokens[i : j + 1])

    @staticmethod
    def _windows(tokens: list[_Token], limit: int) -> Iterator[tuple[int, int, str]]:
        for i in range(len(tokens)):
            joined = ""
            for j in range(i, len(tokens)):
                joined += tokens[j].word
                if len(joined) > limit:
                    break
                yield i, j, joined

    def _fuzzy(self, text: str, joined: str, span: list[_Token]) -> Iterable[_Found]:
        # A name of 10+ letters may lose 2 of them, so spans from 8 letters look 2 deep.
        depth = 2 if len(joined) >= 8 else 1
        candidates: set[int] = set()
        for variant in _deletions(joined, depth):
            candidates.update(self._deleted.get(variant, ()))
        for number in candidates:
            alias = self._aliases[number]
            allowed = _max_distance(len(alias.key))  # the name's length sets the limit
            distance = _distance(joined, alias.key, allowed)
            if distance > allowed:
                continue
            score = 1.0 - distance / max(len(joined), len(alias.key))
            if score < self.thresholds.fuzzy:
                continue
            capitals = alias.weak and self._capitalised(span)
            yield _Found(
                alias.character,
                "fuzzy",
                score,
                text[span[0].start : span[-1].end],
                weak=alias.weak,
                capitals=capitals,
                context=_without(text, span) if alias.weak and not capitals else None,
            )

    # --- helpers -----------------------------------------------------------------------------

    def _weak_words(self, words: Sequence[str]) -> bool:
        content = [w for w in words if w not in STOPWORDS]
        return len(content) <= 2 and all(_is_common(w, self._words) for w in content)

    def _weak_span(self, span: Sequence[_Token]) -> bool:
        content = [t for t in span if not t.stop]
        return len(content) <= 2 and all(t.common for t in content)

    @staticmethod
    def _capitalised(span: Sequence[_Token]) -> bool:
        content = [t for t in span if not t.stop] or list(span)
        return all(t.capital for t in content) and any(not t.initial for t in content)

    def _tokens(
        self, text: str, raw: list[tuple[str, int]], leet: dict[int, str], *, shouting: bool
    ) -> list[_Token]:
        tokens: list[_Token] = []
        for word, start in raw:
            stripped = word.strip("!|+")
            if not stripped:
                continue
            start += word.index(stripped[0])
            normal = _normalise_word(stripped.lstrip("@"), leet)
            if not normal:
                continue
            tokens.append(
                _Token(
                    word=normal,
                    start=start,
                    end=start + len(stripped),
                    common=_is_common(normal, self._words),
                    stop=normal in STOPWORDS,
                    capital=not shouting and _unconfused(stripped.lstrip("@$"))[:1].isupper(),
                    initial=_starts_sentence(text, start),
                )
            )
        return tokens

    @staticmethod
    def _capitals_uninformative(text: str, raw: list[tuple[str, int]]) -> bool:
        """All capitals, or Title Case Like This: capitals then say nothing about names."""
        words = [w for w, _ in raw if len(w) > 3 and w[:1].isalpha()]
        if len(words) < 3:
            return False
        if sum(w.isupper() for w in words) >= 0.6 * len(words):
            return True
        return sum(w[:1].isupper() for w in words) >= 0.7 * len(words)


def _variants(form: str) -> set[tuple[str, ...]]:
    """A name's word sequences: as written, and without function words ("Mossy Swamp Troll"
    for "Mossy the Swamp Troll"); 1 read as i and as l."""
    found: set[tuple[str, ...]] = set()
    form = unicodedata.normalize("NFKC", form)
    for leet in (_LEET_I, _LEET_L):
        words = tuple(
            w for w in (_normalise_word(r.strip("!|+"), leet) for r in _TOKEN.findall(form)) if w
        )
        if not words:
            continue
        found.add(words)
        content = tuple(w for w in words if w not in STOPWORDS)
        if content and len(content) >= 2 and content != words:
            found.add(content)
    return found


@dataclass(frozen=True)
class NameForms:
    """A character's name, aliases and handle as detection reads them: each form with its
    word sequences (normalised: "Captain Comet", "captain_comet" and "C4ptain-Comet" all
    read "captain comet"), worked out once to compare with every other character's."""

    forms: tuple[tuple[str, frozenset[tuple[str, ...]]], ...]

    @classmethod
    def of(cls, forms: Iterable[str]) -> NameForms:
        return cls(tuple((form, frozenset(_variants(form.lstrip("@")))) for form in forms))

    def same_as(self, other: NameForms) -> tuple[str, str] | None:
        """A form of each that reads the same without spaces, or None: both characters would
        be found wherever one is named."""
        return self._first(other, _same)

    def overlapping(self, other: NameForms) -> tuple[str, str] | None:
        """A form of each that one prompt would match both of, or None: read the same, one a
        run of the other's words ("Zorblax" in "Zorblax Prime"), or a small misspelling of
        it ("Starlight Rangers" and "Starlight Ranger"), as detection allows them."""
        return self._first(other, _overlap)

    def _first(
        self, other: NameForms, test: Callable[[tuple[str, ...], tuple[str, ...]], bool]
    ) -> tuple[str, str] | None:
        for form, mine in self.forms:
            for their_form, theirs in other.forms:
                if any(test(a, b) for a in mine for b in theirs):
                    return form, their_form
        return None


def _same(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    joined = "".join(a)
    return len(joined) >= 2 and joined == "".join(b)


def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    joined_a, joined_b = "".join(a), "".join(b)
    if len(joined_a) < 2 or len(joined_b) < 2:
        return False
    if joined_a == joined_b or _is_run(a, b) or _is_run(b, a):
        return True
    limit = _max_distance(min(len(joined_a), len(joined_b)))
    return limit > 0 and _distance(joined_a, joined_b, limit) <= limit


def _is_run(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Whether `part` is a run of consecutive words of `whole` (not only stopwords)."""
    if not any(word not in STOPWORDS for word in part):
        return False
    size = len(part)
    return any(whole[i : i + size] == part for i in range(len(whole) - size + 1))


def _words(text: str) -> list[tuple[str, int]]:
    """Raw words and where they start; camelCase is split ("#VortexaRising" -> two words)."""
    found: list[tuple[str, int]] = []
    for match in _TOKEN.finditer(text):
        word, start = match.group(0), match.start()
        cut = 0
        for inner in _CAMEL.finditer(word):
            found.append((word[cut : inner.start()], start + cut))
            cut = inner.start()
        found.append((word[cut:], start + cut))
    return found


def _without(text: str, span: Sequence[_Token]) -> str:
    """The text with a span cut out, spaces squeezed ("" when nothing else is left)."""
    return " ".join(f"{text[: span[0].start]} {text[span[-1].end :]}".split())


def _starts_sentence(text: str, start: int) -> bool:
    position = start - 1
    while position >= 0 and text[position] in _OPENERS:
        if text[position] == "\n":
            return True
        position -= 1
    return position < 0 or text[position] in _SENTENCE_END


def _better(candidate: _Found, current: _Found | None) -> bool:
    if current is None:
        return True
    if candidate.score != current.score:
        return candidate.score > current.score
    return _HOW_RANK[candidate.how] < _HOW_RANK[current.how]


# --- the registry file ------------------------------------------------------------------------


# A registry entry's policy, as the platform's characters have them (rights.models.POLICIES,
# not imported: detection runs offline without the database layer), or none given.
REGISTRY_POLICIES = ("", "blocked", "licensed", "open")


def parse_registry(data: Any) -> list[CharacterEntry]:
    """`{"characters": [{"id", "name", "aliases", "description", "policy", "handle"?}]}`.

    Raises ValueError naming the first thing wrong.
    """
    if not isinstance(data, Mapping) or not isinstance(data.get("characters"), list):
        raise ValueError('a registry is an object with a "characters" list')
    entries: list[CharacterEntry] = []
    for number, item in enumerate(data["characters"], start=1):
        where = f"character {number}"
        if not isinstance(item, Mapping):
            raise ValueError(f"{where}: expected an object")
        for field in ("id", "name"):
            value = item.get(field)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{where}: {field!r} must be a non-empty string")
        aliases = item.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ValueError(f"{where} ({item['id']}): 'aliases' must be a list of strings")
        description = item.get("description", "")
        policy = item.get("policy", "")
        handle = item.get("handle")
        for field, value in (("description", description), ("policy", policy)):
            if not isinstance(value, str):
                raise ValueError(f"{where} ({item['id']}): {field!r} must be a string")
        if policy not in REGISTRY_POLICIES:
            raise ValueError(
                f"{where} ({item['id']}): 'policy' is {policy!r}; use blocked, licensed or open "
                "(or leave it out)"
            )
        if handle is not None and not isinstance(handle, str):
            raise ValueError(f"{where} ({item['id']}): 'handle' must be a string")
        entries.append(
            CharacterEntry(
                id=item["id"],
                name=item["name"],
                aliases=tuple(a for a in aliases if a.strip()),
                description=description,
                policy=policy,
                handle=handle or None,
            )
        )
    ids = [entry.id for entry in entries]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"character ids appear twice: {', '.join(twice)}")
    return entries


def load_registry(path: Path) -> list[CharacterEntry]:
    """Read and check a REGISTRY.json file (see `parse_registry`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (at byte offset {exc.start:,}); save the registry as UTF-8"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    try:
        return parse_registry(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
