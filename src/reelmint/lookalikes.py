"""Letters drawn alike read as one: Cyrillic "а" as Latin "a", "É" as "e", "ᴄ" as "c".

Pure and light (no numpy, no database), so that anything comparing what people type with a
name they must not pass off as another (the character registry's detection, reserved display
names) folds look-alikes the same way.
"""

from __future__ import annotations

import re
import unicodedata

LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
LETTERS_ALSO = str.maketrans({"ı": "i", "ß": "ss"})
# Cyrillic and Greek letters drawn like Latin ones (Unicode's confusables, the common ones).
CONFUSABLES = dict(
    zip(
        "аеорсухіјѕԁһԛԝӏгАВЕКМНОРСТХУІЈЅ"  # Cyrillic
        "αονρικτυϲϳΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ"  # Greek
        "օսցհոɡ"  # Armenian, and a script g
        "ᴀʙᴄᴅᴇɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ"  # small capitals
        "ᏢᏟᎪᏴᎬᎻᏦᎷᎢ"  # Cherokee
        "ꓚꓐꓔꓑꓮꓰꓧꓗꓡꓟꓠꓳꓣꓢꓴꓦꓫꓬꓜ",  # Lisu
        "aeopcyxijsdhqwlrABEKMHOPCTXYIJS"
        "aovpiktucjABEZHIKMNOPTYXC"
        "oughng"
        "abcdeghijklmnoprstuvwyz"
        "PCABEHKMT"
        "CBTPAEHKLMNORSUWXYZ",
        strict=True,
    )
)
CONFUSABLE_MAP = str.maketrans(CONFUSABLES)
CONFUSABLE = re.compile(f"[{''.join(CONFUSABLES)}]")


def unconfused(word: str) -> str:
    """Cyrillic and Greek letters that look Latin read as Latin ("Cаptаin" with Cyrillic а is
    "Captain"), in a word that holds Latin letters too or is made only of look-alikes; a
    word in those scripts otherwise stays as written."""
    if not CONFUSABLE.search(word):
        return word
    latin = any(ch.isalpha() and ch < "\u0250" for ch in word)
    if latin or all(not ch.isalpha() or ch in CONFUSABLES for ch in word):
        return word.translate(CONFUSABLE_MAP)
    return word


def fold(text: str) -> str:
    """Look-alike letters read as Latin, accents stripped (NFKD), case folded; nothing else
    changed. `text` is one word or handle."""
    text = unicodedata.normalize("NFKD", unconfused(text).translate(LETTERS_ALSO))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.casefold().translate(LETTERS)


def skeleton(text: str) -> str:
    """`text` as it looks: each word folded (`fold`), runs of spaces made one. Two texts with
    one skeleton read the same to a person ("Clоsed account" with a Cyrillic о and "CLOSED
    ACCOUNT")."""
    return " ".join(fold(word) for word in unicodedata.normalize("NFKC", text).split())
