"""Continuity: what a shot keeps from the shot before, and the defaults where nothing is said.

A shot inherits setting, time of day, weather and style from the previous shot unless it
names its own. Its subjects carry over only when it refers back to them ("it", "they", a
bare "then jumps") or names nothing new at all ("Then night falls."), so a new sentence
about a new subject does not drag the old cast along.

Where no setting is named, the first shot's subjects suggest one (a fish swims underwater,
a car drives along a street). Later shots keep it, unless their own subjects can only be in
a particular place (an astronaut in space); a named setting holds until another is named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reelmint.engine.planner import words as w
from reelmint.engine.planner.extract import Facts, Mention
from reelmint.engine.storyboard import MAX_SUBJECTS_PER_SHOT, Subject
from reelmint.engine.vocabulary import SETTINGS, SUBJECT_CATEGORIES

DEFAULT_SETTING = "countryside"
DEFAULT_TIME = "noon"
DEFAULT_WEATHER = "clear"
DEFAULT_STYLE = "cinematic"
DEFAULT_CAMERA = "static"

# The setting each kind suggests when the prompt names none, strongest suggestion first.
_SUITED_SETTINGS: dict[str, str] = {
    "fish": "underwater",
    "shark": "underwater",
    "whale": "underwater",
    "dolphin": "underwater",
    "submarine": "underwater",
    "turtle": "underwater",
    "astronaut": "space",
    "ufo": "space",
    "rocket": "space",
    "alien": "space",
    "penguin": "arctic",
    "dinosaur": "jungle",
    "dragon": "castle",
    "knight": "castle",
    "wizard": "castle",
    "ghost": "castle",
    "ship": "ocean",
    "sailboat": "ocean",
    "boat": "lake",
    "duck": "lake",
    "frog": "lake",
    "lighthouse": "beach",
    "car": "street",
    "bus": "street",
    "truck": "highway",
    "motorcycle": "highway",
    "bicycle": "park",
    "robot": "city",
    "chef": "room",
    "dancer": "room",
    "owl": "forest",
    "fox": "forest",
    "bear": "forest",
    "train": "countryside",
}
_COLOUR_SETTINGS: dict[tuple[str, str], str] = {("bear", "white"): "arctic"}
# Places some subjects cannot be without: a later shot's guess moves there.
_ONLY_PLACES = frozenset({"underwater", "space"})
# Weather is not seen in these places; what the sky did outside stays outside.
_SHELTERED = frozenset({"underwater", "space", "cave", "room"})

_FLYERS = frozenset(
    {"airplane", "helicopter", "ufo", "rocket", "hot_air_balloon", "bird", "owl", "butterfly",
     "bee", "dragon", "kite", "duck"}
)  # fmt: skip
_SWIMMERS = frozenset({"fish", "shark", "whale", "dolphin"})
_FLOATERS = frozenset({"ghost", "balloon"})


@dataclass(frozen=True)
class Overrides:
    """Settings a storyboard card fixes, whatever its text says."""

    setting: str | None = None
    time_of_day: str | None = None
    weather: str | None = None
    camera: str | None = None
    style: str | None = None


@dataclass(frozen=True)
class Scene:
    """A shot's settled facts (everything but its duration and prompt)."""

    subjects: tuple[Subject, ...]
    setting: str
    setting_named: bool  # named by this shot or by one before it, not guessed
    time_of_day: str
    weather: str
    camera: str
    style: str


def settle(
    facts: Facts,
    previous: Scene | None,
    *,
    style: str,
    overrides: Overrides | None = None,
    cast: Sequence[Subject] = (),
) -> Scene:
    """Fill what a shot's text leaves open from the shot before it, or from defaults.

    `style` is the style to use when neither this text nor an override names one; `cast`
    are the subjects of all earlier shots, latest first, whose looks later shots keep.
    """
    overrides = overrides or Overrides()
    setting, named = _setting(facts, previous, overrides)
    subjects = _subjects(facts, overrides, setting or "", cast)
    if setting is None:
        setting = _guess_setting(subjects, previous)
    weather = overrides.weather or facts.weather
    if weather is None:
        inherited = previous.weather if previous is not None else DEFAULT_WEATHER
        weather = DEFAULT_WEATHER if setting in _SHELTERED else inherited
    return Scene(
        subjects=subjects,
        setting=setting,
        setting_named=named,
        time_of_day=overrides.time_of_day
        or facts.time_of_day
        or (previous.time_of_day if previous else DEFAULT_TIME),
        weather=weather,
        camera=overrides.camera or facts.camera or DEFAULT_CAMERA,
        style=overrides.style or facts.style or style,
    )


def _subjects(
    facts: Facts, overrides: Overrides, setting: str, cast: Sequence[Subject]
) -> tuple[Subject, ...]:
    chosen: list[Mention]
    if facts.mentions:
        referenced = [m for m in facts.carried if m.start >= 0]
        chosen = sorted([*referenced, *facts.mentions], key=lambda m: m.start)
        for mention in facts.mentions:
            _keep_identity(mention, cast)
    elif facts.refers_back or (facts.setting is None and overrides.setting is None):
        chosen = list(facts.carried)
    else:
        chosen = []
    # A castle in a shot set at a castle is the setting itself, not a second castle.
    chosen = [m for m in chosen if m.kind != setting or m.kind not in SETTINGS]
    chosen = chosen[:MAX_SUBJECTS_PER_SHOT]
    kinds = {mention.kind for mention in chosen}
    return tuple(_subject(mention, kinds) for mention in chosen)


def _keep_identity(mention: Mention, cast: Sequence[Subject]) -> None:
    """ "The ducks" of a later shot are the same ducks: keep their number and colour."""
    same = next((s for s in cast if s.kind == mention.kind), None)
    if same is None or not mention.definite:
        return
    if mention.colour is None or mention.colour == same.colour:
        mention.colour = same.colour
        mention.size = mention.size or (None if same.size == "medium" else same.size)
        if not mention.count_given and (mention.count > 1) == (same.count > 1):
            mention.count = same.count


def _subject(mention: Mention, kinds_in_shot: set[str]) -> Subject:
    return Subject(
        kind=mention.kind,
        colour=mention.colour,
        size=mention.size or "medium",  # type: ignore[arg-type]
        count=mention.count,
        motion=final_motion(mention, kinds_in_shot),  # type: ignore[arg-type]
        direction=mention.direction or "right",  # type: ignore[arg-type]
    )


def final_motion(mention: Mention, kinds_in_shot: set[str]) -> str:
    """The motion a subject shows: what the text says, else what its kind usually does."""
    motion = mention.motion or mention.carried_motion
    if motion is None:
        return default_motion(mention.kind)
    if motion == w.MOVE:
        return travel_motion(mention.kind)
    if motion == w.RIDE:
        return _ride_motion(mention.kind, kinds_in_shot)
    return motion


def default_motion(kind: str) -> str:
    """What a kind does when the prompt gives it no verb: vehicles go, fish swim, birds fly."""
    if kind in _FLYERS:
        return "fly"
    if kind in _SWIMMERS:
        return "swim"
    if kind in _FLOATERS:
        return "float"
    if SUBJECT_CATEGORIES[kind] == "vehicle":
        return "drive"
    return "idle"


def travel_motion(kind: str) -> str:
    """How a kind gets about when told to "move" or "cross": people and animals walk."""
    category = SUBJECT_CATEGORIES[kind]
    if category in ("person", "animal", "creature") and kind not in _FLYERS | _SWIMMERS:
        return "walk" if kind not in _FLOATERS else "float"
    if kind in ("ball", "umbrella"):  # rolled along, carried along
        return "drive"
    return default_motion(kind)


def _ride_motion(kind: str, kinds_in_shot: set[str]) -> str:
    category = SUBJECT_CATEGORIES[kind]
    if category == "vehicle":
        return default_motion(kind)
    if category == "animal":
        return "run"
    vehicles = [k for k in kinds_in_shot if SUBJECT_CATEGORIES[k] == "vehicle"]
    return default_motion(min(vehicles)) if vehicles else "run"


def _setting(facts: Facts, previous: Scene | None, overrides: Overrides) -> tuple[str | None, bool]:
    """The named or inherited setting; None when the subjects must suggest one."""
    named = overrides.setting or facts.setting
    if named is not None:
        return named, True
    if previous is not None and previous.setting_named:
        return previous.setting, True
    return None, False


def _guess_setting(subjects: Sequence[Subject], previous: Scene | None) -> str:
    suggestion = suited_setting(subjects)
    if previous is None:
        return suggestion or DEFAULT_SETTING
    if suggestion in _ONLY_PLACES:
        return suggestion
    return previous.setting


def suited_setting(subjects: Sequence[Subject]) -> str | None:
    """The setting that best suits a shot's subjects, if any of them suggests one."""
    for subject in subjects:
        setting = _COLOUR_SETTINGS.get((subject.kind, subject.colour or ""))
        setting = setting or _SUITED_SETTINGS.get(subject.kind)
        if setting is not None:
            return setting
    return None
