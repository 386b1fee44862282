"""Writing a shot's prompt for text-conditioned models.

A neural backend sees one shot at a time, so each shot's prompt must stand on its own: the
settled facts come first, in plain words ("Two white dogs run to the left in a park at
sunset, in the snow."), with what the shot inherited spelled out, then the style and camera,
then the user's own words for the shot, which carry the detail no table captures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from reelmint.engine.planner.inflect import plural
from reelmint.engine.planner.lexicon import kind_words
from reelmint.engine.planner.scene import Scene
from reelmint.engine.storyboard import MAX_PROMPT_CHARS, Subject
from reelmint.engine.vocabulary import SUBJECT_CATEGORIES

_NUMBER_NAMES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
)  # fmt: skip
_NOUN_NAMES = {"ufo": "UFO", "hot_air_balloon": "hot air balloon"}

# Where a shot happens, as a phrase after the subjects and as a scene of its own.
_SETTING_PLACES: dict[str, tuple[str, str]] = {
    "city": ("in a city", "A city"),
    "street": ("on a city street", "A city street"),
    "forest": ("in a forest", "A forest"),
    "jungle": ("in a jungle", "A jungle"),
    "beach": ("on a beach", "A beach"),
    "ocean": ("on the open ocean", "The open ocean"),
    "underwater": ("underwater", "An underwater scene"),
    "lake": ("by a lake", "A lake"),
    "river": ("by a river", "A river"),
    "desert": ("in a desert", "A desert"),
    "mountains": ("in the mountains", "Mountains"),
    "arctic": ("in the Arctic", "The Arctic"),
    "countryside": ("in the countryside", "The countryside"),
    "park": ("in a park", "A park"),
    "space": ("in outer space", "Outer space"),
    "cave": ("in a cave", "A cave"),
    "room": ("in a room", "A room"),
    "castle": ("at a castle", "A castle"),
    "volcano": ("near an erupting volcano", "An erupting volcano"),
    "highway": ("on a highway", "A highway"),
}
_TIMES = {
    "dawn": "at dawn",
    "morning": "in the morning",
    "noon": "at midday",
    "afternoon": "in the afternoon",
    "sunset": "at sunset",
    "dusk": "at dusk",
    "night": "at night",
}
_WEATHERS = {
    "clear": "under a clear sky",
    "cloudy": "under a cloudy sky",
    "rain": "in the rain",
    "storm": "in a thunderstorm",
    "snow": "in falling snow",
    "fog": "in fog",
}
_STYLES = {
    "cinematic": "Cinematic",
    "cartoon": "Cartoon style",
    "noir": "Black-and-white film noir",
    "vintage": "Vintage film look",
    "neon": "Neon-lit",
    "pastel": "Soft pastel colours",
}
_CAMERAS = {
    "static": "static camera",
    "pan_left": "the camera pans left",
    "pan_right": "the camera pans right",
    "tilt_up": "the camera tilts up",
    "tilt_down": "the camera tilts down",
    "zoom_in": "the camera zooms in",
    "zoom_out": "the camera zooms out",
    "tracking": "tracking shot",
    "handheld": "handheld camera",
    "crane": "crane shot",
}
# Motion -> (verb for one, verb for many); "{}" is where a direction goes.
_MOTION_VERBS: dict[str, tuple[str, str]] = {
    "walk": ("walks{}", "walk{}"),
    "run": ("runs{}", "run{}"),
    "drive": ("drives{}", "drive{}"),
    "fly": ("flies{}", "fly{}"),
    "swim": ("swims{}", "swim{}"),
    "jump": ("jumps{}", "jump{}"),
    "dance": ("dances", "dance"),
    "spin": ("spins", "spin"),
    "float": ("floats{}", "float{}"),
    "fall": ("falls", "fall"),
    "circle": ("circles around", "circle around"),
    "approach": ("comes toward the camera", "come toward the camera"),
    "retreat": ("moves away from the camera", "move away from the camera"),
}
_SAILERS = frozenset({"boat", "sailboat", "ship"})
_DOUBLED_STOP_RE = re.compile(r'([.!?…]["”])\.')  # 'says "Go!".' -> 'says "Go!"'
_IDLE_VERBS = {
    "building": ("stands", "stand"),
    "plant": ("stands", "stand"),
    "object": ("rests", "rest"),
}


def compose_prompt(scene: Scene, own_text: str) -> str:
    """The shot's self-contained prompt, at most MAX_PROMPT_CHARS long."""
    facts = _facts_sentence(scene)
    look = f"{_STYLES[scene.style]}, {_CAMERAS[scene.camera]}."
    own = _as_sentence(own_text)
    text = f"{facts} {look}"
    room = MAX_PROMPT_CHARS - len(text) - 1
    if own and room > 20:
        text = f"{text} {_shorten(own, room)}"
    return _shorten(text, MAX_PROMPT_CHARS)


# Places with no sky: a time of day and the weather mean nothing there.
_SKYLESS = frozenset({"space", "underwater", "cave", "room"})


def _facts_sentence(scene: Scene) -> str:
    place, scene_noun = _SETTING_PLACES[scene.setting]
    sky = (
        ""
        if scene.setting in _SKYLESS
        else f" {_TIMES[scene.time_of_day]}, {_WEATHERS[scene.weather]}"
    )
    if scene.subjects:
        who = _join([_subject_clause(s) for s in scene.subjects])
        sentence = f"{who} {place}{sky}."
    else:
        sentence = f"{scene_noun}{sky}."
    return sentence[0].upper() + sentence[1:]


def _subject_clause(subject: Subject) -> str:
    return f"{_noun_phrase(subject)} {_verb_phrase(subject)}".rstrip()


def _noun_phrase(subject: Subject) -> str:
    words: list[str] = []
    if subject.size != "medium":
        words.append(subject.size)
    if subject.colour is not None:
        words.append(subject.colour)
    noun = _NOUN_NAMES.get(subject.kind, kind_words(subject.kind))
    if subject.count > 1:
        noun = "UFOs" if subject.kind == "ufo" else plural(noun)
        return " ".join([_NUMBER_NAMES[subject.count], *words, noun])
    return " ".join([_article((words or [noun])[0]), *words, noun])


def _article(word: str) -> str:
    """ "an" before a vowel sound: an owl, an umbrella, but a unicorn and a UFO."""
    lowered = word.lower()
    if lowered.startswith(("uni", "ufo", "eu", "one")):
        return "a"
    return "an" if lowered[0] in "aeiou" else "a"


def _verb_phrase(subject: Subject) -> str:
    many = subject.count > 1
    category = SUBJECT_CATEGORIES[subject.kind]
    if subject.motion == "idle":
        one, several = _IDLE_VERBS.get(category, ("stands still", "stand still"))
        return several if many else one
    if subject.motion == "drive" and subject.kind in _SAILERS:
        verbs = ("sails{}", "sail{}")
    elif subject.motion == "drive" and subject.kind == "ball":
        verbs = ("rolls{}", "roll{}")
    elif subject.motion == "drive" and category != "vehicle":
        verbs = ("moves along{}", "move along{}")
    else:
        verbs = _MOTION_VERBS[subject.motion]
    direction = f" to the {subject.direction}"
    return (verbs[1] if many else verbs[0]).format(direction)


def _join(parts: Sequence[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _as_sentence(text: str) -> str:
    text = _DOUBLED_STOP_RE.sub(r"\1", " ".join(text.split()))
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?", '"', "…")) else text + "."


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut + "…"
