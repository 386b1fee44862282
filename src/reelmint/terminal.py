"""Text from users or files, made safe to print on an operator's terminal."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """`text` with every character that is not printable (ESC, BEL, a newline...) escaped
    (`\\x1b`), so what others typed cannot move the cursor, retitle the window or split a
    line that a script reads."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def has_control(text: str) -> bool:
    """Whether `text` holds a control character (Unicode category Cc) or a lone surrogate
    (Cs: half of a UTF-16 pair, which no database or page can hold)."""
    return any(_is_control(ch) for ch in text)


def drop_control(text: str) -> str:
    """`text` without its control characters and lone surrogates (as `has_control` finds
    them)."""
    return "".join(ch for ch in text if not _is_control(ch))


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cs")


JOINERS = "\u200c\u200d"
"""Zero-width non-joiner and joiner: format characters that real text needs (emoji sequences,
Indic and Persian scripts), so they are allowed where other hidden characters are not."""

TEXT_MARKS = (
    "\u200e\u200f\u061c"  # left-to-right, right-to-left and Arabic letter marks
    "\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u08e2"  # Arabic, Syriac number signs
    "\u180e"  # Mongolian vowel separator
    "\u00ad\u2060\ufeff"  # soft hyphen, word joiner, byte order mark (pasted text has them)
)
"""Format characters that ordinary text typed or pasted in real languages holds (a Hebrew or
Persian keyboard's marks, a web page's soft hyphens): they hide or reorder nothing a reader
must see, unlike overrides and isolates (U+202A-202E, U+2066-2069) or a zero-width space."""

EMOJI_TAGS = "".join(chr(code) for code in range(0xE0020, 0xE0080))
"""The tag characters that spell a subdivision flag after U+1F3F4 (England, Scotland, Wales)."""


HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs")
"""Control and format characters, and lone surrogates (half of a UTF-16 pair, which no text
encoding can carry: a database refuses them, a page cannot show them)."""


def hidden_character(text: str, allowed: str = "") -> str | None:
    """The first control or format character or lone surrogate in `text` (as U+XXXX) not in
    `allowed`, or None: such characters (a right-to-left override, a zero-width space) can
    hide or reorder what a reader sees, and a surrogate cannot be stored."""
    index = hidden_character_at(text, allowed)
    return None if index is None else f"U+{ord(text[index]):04X}"


def hidden_character_at(text: str, allowed: str = "") -> int | None:
    """Where `hidden_character` is in `text` (its index), or None. Tag characters, even when
    `allowed`, pass only inside a subdivision flag (U+1F3F4, tags, U+E007F): elsewhere they
    spell hidden text."""
    for index, char in enumerate(text):
        if unicodedata.category(char) not in HIDDEN_CATEGORIES:
            continue
        if char not in allowed or (char in EMOJI_TAGS and not _in_flag(text, index)):
            return index
    return None


FLAG_BASE = "\U0001f3f4"  # a black flag, which tags turn into England's, Scotland's...
CANCEL_TAG = "\U000e007f"  # the tag that ends a flag's sequence


def _in_flag(text: str, index: int) -> bool:
    """Whether the tag character at `index` is in a flag's sequence: after U+1F3F4, in a run
    of tags that ends with the cancel tag (and has it only there)."""
    start = index
    while start > 0 and text[start - 1] in EMOJI_TAGS:
        start -= 1
    end = index
    while end < len(text) and text[end] in EMOJI_TAGS:
        end += 1
    if start == 0 or text[start - 1] != FLAG_BASE:
        return False
    run = text[start:end]
    return len(run) > 1 and run.find(CANCEL_TAG) == len(run) - 1


def reason_line(reason: str, *, saying: str, reader: str, most: int) -> str:
    """A reason `reader` reads (an operator's, a moderator's): `one_line`, 400
    `invalid_reason`, the length message saying why `saying` ("the job is cancelled")."""
    return one_line(
        reason,
        most=most,
        code="invalid_reason",
        param="reason",
        length=f"say why {saying} in 1-{most} characters: {reader} reads it",
    )


def one_line(
    text: str, *, most: int, least: int = 1, code: str, param: str | None, length: str
) -> str:
    """`text` as one line of plain text (runs of spaces, tabs and line breaks become one
    space), for a reason or note that others read in the app, by email and on a terminal.
    400 `code` when it is shorter than `least` or longer than `most` characters (the message
    is `length`, which should say what the text is for, then the count got), or when it holds
    a control or invisible formatting character."""
    from reelmint.errors import BadRequest

    line = " ".join(text.split())
    if not least <= len(line) <= most:
        raise BadRequest(f"{length} (got {len(line):,})", code=code, param=param)
    hidden = hidden_character(line)
    if hidden is not None:
        raise BadRequest(
            f"the {param or 'text'} has a control or invisible character ({hidden}); write it "
            "as one line of plain text",
            code=code,
            param=param,
        )
    return line
