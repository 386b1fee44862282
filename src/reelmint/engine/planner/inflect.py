"""English inflections, so that the word tables list each word once.

The tables name a noun in the singular and a verb in its base form; the forms a prompt
really uses ("puppies", "flies", "running", "swam") are generated here instead of being
typed out by hand, which would miss some and misspell others.
"""

from __future__ import annotations

_IRREGULAR_PLURALS: dict[str, str] = {
    "person": "people",
    "child": "children",
    "mouse": "mice",
    "goose": "geese",
    "ox": "oxen",
    "wolf": "wolves",
    "calf": "calves",
    "leaf": "leaves",
    "knife": "knives",
    "elf": "elves",
    "fish": "fish",
    "sheep": "sheep",
    "deer": "deer",
    "moose": "moose",
    "bison": "bison",
    "aircraft": "aircraft",
    "spacecraft": "spacecraft",
    "octopus": "octopuses",
    "cactus": "cacti",
}
_NOT_MAN_COMPOUNDS = frozenset({"human", "shaman", "caiman", "talisman", "german"})

# Past tenses and participles that the regular rules cannot make. "leave" has no entry on
# purpose: its past "left" is a direction, and "dove" (from dive) is a bird.
_IRREGULAR_VERBS: dict[str, tuple[str, ...]] = {
    "run": ("ran",),
    "swim": ("swam", "swum"),
    "fly": ("flew", "flown"),
    "fall": ("fell", "fallen"),
    "drive": ("drove", "driven"),
    "ride": ("rode", "ridden"),
    "sit": ("sat",),
    "stand": ("stood",),
    "sleep": ("slept",),
    "spin": ("spun",),
    "leap": ("leapt", "leaped"),
    "sink": ("sank", "sunk"),
    "come": ("came",),
    "go": ("went", "gone"),
    "flee": ("fled",),
    "stride": ("strode",),
    "take": ("took", "taken"),
    "lie": ("lay", "lain"),
    "speed": ("sped",),
    "say": ("said",),
    "tell": ("told",),
    "sing": ("sang", "sung"),
    "speak": ("spoke", "spoken"),
    "throw": ("threw", "thrown"),
    "rise": ("rose", "risen"),
    "swing": ("swung",),
    "leave": (),
    "dive": ("dived",),
}
# One-syllable verbs ending consonant-vowel-consonant double the last letter: run -> running.
_DOUBLES_FINAL = frozenset(
    {
        "run", "swim", "hop", "skip", "spin", "jog", "drop", "stop", "trot", "plod", "step",
        "sit", "nap", "flap", "bob", "dig", "trip", "pat", "zip", "plan", "scan", "chat", "stab",
        "grab", "slip", "spot", "strut", "squat", "patrol",
    }
)  # fmt: skip
# British English doubles these, American English does not: accept both spellings.
_DOUBLES_IN_BRITISH = frozenset({"travel", "pedal", "swivel", "signal"})
_VOWELS = frozenset("aeiou")


def plural(noun: str) -> str:
    """The plural of a noun or of a phrase ending in one ("hot air balloon" -> "...balloons")."""
    head, _, last = noun.rpartition(" ")
    prefix = f"{head} " if head else ""
    return prefix + _plural_word(last)


def _plural_word(word: str) -> str:
    if word in _IRREGULAR_PLURALS:
        return _IRREGULAR_PLURALS[word]
    if word.endswith("man") and word not in _NOT_MAN_COMPOUNDS:
        return word[:-3] + "men"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in _VOWELS:
        return word[:-1] + "ies"
    return word + "s"


def verb_forms(base: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The present participles and the other forms of a verb or phrasal verb ("take off").

    Returned apart because a participle can also act as an adjective ("a running dog").
    """
    head, sep, rest = base.partition(" ")
    tail = f"{sep}{rest}"
    participles = {_participle(head)}
    others = {head, _third_person(head), *_past_forms(head)}
    if head in _DOUBLES_IN_BRITISH:
        participles.add(head + head[-1] + "ing")
        others.add(head + head[-1] + "ed")
    return (
        tuple(sorted(form + tail for form in participles)),
        tuple(sorted(form + tail for form in others)),
    )


def _third_person(verb: str) -> str:
    if verb.endswith(("s", "x", "z", "ch", "sh", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2] not in _VOWELS:
        return verb[:-1] + "ies"
    return verb + "s"


def _participle(verb: str) -> str:
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "oe", "ye")):
        return verb[:-1] + "ing"
    if verb in _DOUBLES_FINAL:
        return verb + verb[-1] + "ing"
    return verb + "ing"


def _past_forms(verb: str) -> tuple[str, ...]:
    if verb in _IRREGULAR_VERBS:
        return _IRREGULAR_VERBS[verb]
    if verb.endswith("e"):
        return (verb + "d",)
    if verb.endswith("y") and verb[-2] not in _VOWELS:
        return (verb[:-1] + "ied",)
    if verb in _DOUBLES_FINAL:
        return (verb + verb[-1] + "ed",)
    return (verb + "ed",)
