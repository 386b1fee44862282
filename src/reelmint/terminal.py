"""Text from users or files, made safe to print on an operator's terminal."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """`text` with every character that is not printable (ESC, BEL, a newline...) escaped
    (`\\x1b`), so what others typed cannot move the cursor, retitle the window or split a
    line that a script reads."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def has_control(text: str) -> bool:
    """Whether `text` holds a control character (Unicode category Cc)."""
    return any(_is_control(ch) for ch in text)


def drop_control(text: str) -> str:
    """`text` without its control characters (as `has_control` finds them)."""
    return "".join(ch for ch in text if not _is_control(ch))


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def hidden_character(text: str, allowed: str = "") -> str | None:
    """The first control or format character in `text` (as U+XXXX) not in `allowed`, or None:
    such characters (a right-to-left override, a zero-width space) can hide or reorder what a
    reader sees."""
    for char in text:
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cf"):
            return f"U+{ord(char):04X}"
    return None
