"""Cutting a prompt into sentences, clauses and words.

Quoted dialogue is lifted out first and replaced by a placeholder, so that its punctuation
does not end sentences and its words are never read as part of the scene ("I love cats"
has no cat). The placeholder goes back in when the shot's prompt is written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from reelmint.terminal import EMOJI_TAGS, JOINERS, TEXT_MARKS, hidden_character_at

QUOTE_OPEN = "\ue000"
QUOTE_CLOSE = "\ue001"
_PLACEHOLDER_RE = re.compile(f"{QUOTE_OPEN}(\\d+){QUOTE_CLOSE}")
# The two placeholder marks, which in the user's text would name quotes that do not exist.
_PLACEHOLDER_MARK_RE = re.compile(f"[{QUOTE_OPEN}{QUOTE_CLOSE}]")
# The control and format characters a prompt may hold: tab and line breaks, and those real
# text needs (joiners in emoji and scripts, the marks of right-to-left scripts and pasted
# text, the tags of subdivision flags).
PROMPT_ALLOWED = "\t\n\r" + JOINERS + TEXT_MARKS + EMOJI_TAGS
# Letters that draw nothing (Hangul fillers); everything else in L, N, P and S shows.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")

_QUOTED_RE = re.compile(r'"([^"]*)"|“([^”]*)”|„([^“”]*)[“”]|«([^»]*)»')
_STRAY_QUOTES_RE = re.compile(r'["“”„«»]')
_TERMINAL_PUNCTUATION = (".", "!", "?", "…")

# Words that end in a full stop without ending the sentence.
# fmt: off
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "st", "mt", "jr", "sr", "prof", "vs", "etc", "eg", "ie",
        "approx", "capt", "lt", "gen", "sgt", "ft", "ave", "blvd", "rd", "inc", "col",
        "no", "fig", "e.g", "i.e", "a.m", "p.m", "u.s", "u.k", "mins", "sec", "min",
    }
)
# fmt: on
_SENTENCE_END_RE = re.compile(r"(?:[.!?…]+)(?=\s|$)|\n+")
_WORD_BEFORE_RE = re.compile(r"([\w.]+)$")

# Words that open a new shot: "then", "after that", ... ("next", "finally" and "later" only
# with a comma or at the start of a sentence, where they cannot be adverbs of the verb).
_ALWAYS_TRANSITIONS = (
    r"then|afterwards?|later\s+on|(?:a\s+)?moments?\s+later|seconds\s+later|"
    r"minutes\s+later|soon\s+after(?:wards?)?|shortly\s+after(?:wards?)?"
)
_MARKED_TRANSITIONS = r"after\s+that|next(?!\s+to\b)|finally|later|eventually|lastly|subsequently"
_MARKED_WORDS = frozenset(
    {"after that", "next", "finally", "later", "eventually", "lastly", "subsequently"}
)
_TRANSITION_RE = re.compile(
    rf"(?P<lead>[,;:]\s*|\band\s+)?\b(?P<word>{_ALWAYS_TRANSITIONS}|{_MARKED_TRANSITIONS})\b"
    r"(?P<comma>\s*,)?",
    re.IGNORECASE,
)
# "then" after these is not a transition: "by then", "until then", "back then".
_NOT_BEFORE_THEN = frozenset({"by", "until", "till", "since", "back", "from", "than", "just"})
_LEADING_FILLER_RE = re.compile(
    r"^\s*(?:first(?:ly)?|at\s+first|to\s+begin(?:\s+with)?)\s*,?\s*", re.IGNORECASE
)

_TOKEN_RE = re.compile(
    f"{QUOTE_OPEN}(?P<quote>\\d+){QUOTE_CLOSE}"
    r"|(?P<number>\d+(?:\.\d+)?)(?![^\W_])"
    r"|(?P<word>[^\W_]+(?:'[^\W_]+)*)"
    r"|(?P<punct>[,;:.!?…()])"
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_DASHES_RE = re.compile(r"\s[-–—]+\s|[–—]")


@dataclass(frozen=True)
class Protected:
    """A prompt with its quotes lifted out: `text` holds a placeholder for each of `quotes`."""

    text: str
    quotes: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    """A piece of the prompt that may become a shot; `explicit` when "then" opened it."""

    text: str
    explicit: bool


TokenKind = Literal["word", "number", "quote", "punct"]


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    kind: TokenKind
    quote: int = -1  # index into Protected.quotes for a quote token


def protect_quotes(prompt: str) -> Protected:
    """Replace each quoted passage by a placeholder; drop quote marks that pair with nothing.

    A quote that ends with its own full stop and is followed by a capital letter also ends
    the sentence: `He shouts "Run!" Then...`.
    """
    quotes: list[str] = []
    pieces: list[str] = []
    position = 0
    for match in _QUOTED_RE.finditer(prompt):
        pieces.append(prompt[position : match.start()])
        content = next(group for group in match.groups() if group is not None)
        pieces.append(f"{QUOTE_OPEN}{len(quotes)}{QUOTE_CLOSE}")
        quotes.append(_spoken(content))

        if content.rstrip().endswith(_TERMINAL_PUNCTUATION) and _capital_follows(
            prompt, match.end()
        ):
            pieces.append(".")
        position = match.end()
    pieces.append(prompt[position:])
    return Protected(text=_STRAY_QUOTES_RE.sub(" ", "".join(pieces)), quotes=tuple(quotes))


def _spoken(content: str) -> str:
    """A quote's words on one line, or "" if nothing in it would show on screen."""
    line = " ".join(content.split()).strip(",;: ")  # '"Hello," she says'
    return line if is_visible(line) else ""


def is_visible(text: str) -> bool:
    """Whether `text` has something to see: a letter, digit, punctuation mark or symbol.

    Zero-width and other format characters (U+200B, U+FEFF...), combining marks on nothing
    and blank fillers draw nothing: a quote of only those is not speech.
    """
    return any(
        unicodedata.category(char)[0] in "LNPS" and char not in _BLANK_LETTERS for char in text
    )


def forbidden_character(text: str) -> tuple[int, str] | None:
    """The index and value of the first character no prompt may hold, if any.

    Those are the control characters but tab and line breaks (they would reach captions,
    file metadata and terminals: ESC starts a terminal escape sequence), the format characters
    (category Cf: a right-to-left override or a zero-width space hides or reorders what readers
    see) but those in PROMPT_ALLOWED, and the private-use marks this module uses for quote
    placeholders.
    """
    mark = _PLACEHOLDER_MARK_RE.search(text)
    found = [
        index
        for index in (hidden_character_at(text, PROMPT_ALLOWED), mark.start() if mark else None)
        if index is not None
    ]
    if not found:
        return None
    first = min(found)
    return first, text[first]


def _capital_follows(text: str, position: int) -> bool:
    rest = text[position:].lstrip()
    return not rest or rest[0].isupper() or rest[0] in '"“'


def restore_quotes(text: str, quotes: tuple[str, ...]) -> str:
    """Put the quoted passages back where their placeholders are."""
    return _PLACEHOLDER_RE.sub(lambda m: f'"{quotes[int(m.group(1))]}"', text)


def quote_indices(text: str) -> list[int]:
    """The quotes a piece of text holds, in order."""
    return [int(m.group(1)) for m in _PLACEHOLDER_RE.finditer(text)]


def split_sentences(text: str) -> list[str]:
    """Sentences, cut after . ! ? (not after "Mr." or "2." in "2.5") and at line breaks."""
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        if match.group().startswith(".") and _is_abbreviation(text[: match.start()]):
            continue
        sentences.append(text[start : match.end()])
        start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def _is_abbreviation(before: str) -> bool:
    found = _WORD_BEFORE_RE.search(before)
    if found is None:
        return False
    word = found.group(1).lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_transitions(sentence: str) -> list[Segment]:
    """Cut a sentence at "then", "after that", ", next," ... into segments."""
    segments: list[Segment] = []
    start = 0
    explicit = False
    for match in _TRANSITION_RE.finditer(sentence):
        if not _is_transition(sentence, match):
            continue
        segments.append(Segment(sentence[start : match.start()], explicit))
        start = match.end()
        explicit = True
    segments.append(Segment(sentence[start:], explicit))
    cleaned = (Segment(_tidy(s.text), s.explicit) for s in segments)
    return [s for s in cleaned if any(ch.isalnum() or ch == QUOTE_OPEN for ch in s.text)]


def _is_transition(sentence: str, match: re.Match[str]) -> bool:
    word = match.group("word").lower()
    at_start = not sentence[: match.start()].strip(" ,;:")
    if word == "then":
        previous = sentence[: match.start("word")].split()
        return not previous or previous[-1].lower().strip(",;:") not in _NOT_BEFORE_THEN
    if " ".join(word.split()) in _MARKED_WORDS:
        return at_start or bool(match.group("lead")) or bool(match.group("comma"))
    return True


def _tidy(text: str) -> str:
    text = _LEADING_FILLER_RE.sub("", text)
    return text.strip(" \t\n,;:")


def tokenize(text: str) -> list[Token]:
    """Lower-case words, numbers, quote placeholders and the punctuation that ends phrases.

    Hyphens become spaces ("close-up" is "close up"), and a possessive "'s" is dropped.
    """
    text = _DASHES_RE.sub(" , ", text.translate(_APOSTROPHES)).replace("-", " ").lower()
    tokens: list[Token] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if match.group() == "." and tokens and _is_abbreviation(tokens[-1].text):
            continue  # "Dr. Jones", "T. rex": the full stop is part of the word
        if kind == "quote":
            tokens.append(Token(QUOTE_OPEN, "quote", int(match.group("quote"))))
        elif kind == "number":
            tokens.append(Token(match.group(), "number"))
        elif kind == "word":
            tokens.append(Token(_drop_possessive(match.group()), "word"))
        else:
            tokens.append(Token(match.group(), "punct"))
    return tokens


def _drop_possessive(word: str) -> str:
    return word[:-2] if word.endswith("'s") and len(word) > 2 else word


def word_count(text: str) -> int:
    """Words in a piece of text, not counting quoted passages."""
    return sum(1 for token in tokenize(text) if token.kind in ("word", "number"))
