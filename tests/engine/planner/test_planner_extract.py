"""What the planner reads out of one shot's words: subjects, attributes, motion, scene, camera.

Each table holds a good sample of the synonyms for its category; every row goes through the
public `plan()`, so the rows show what a user gets for what they type.
"""

from __future__ import annotations

import pytest

from reelmint.engine.storyboard import Shot, Subject, plan
from reelmint.engine.vocabulary import (
    CAMERA_MOVES,
    COLOUR_NAMES,
    MOTIONS,
    SETTINGS,
    STYLES,
    SUBJECT_KINDS,
    TIMES_OF_DAY,
    WEATHERS,
)


def shot_of(text: str) -> Shot:
    """The first shot planned for `text` (a short clip: one shot for one sentence)."""
    return plan(text, seconds=4).shots[0]


def only_subject(text: str) -> Subject:
    subjects = shot_of(text).subjects
    assert len(subjects) == 1, subjects
    return subjects[0]


def kinds(text: str) -> list[str]:
    return [subject.kind for subject in shot_of(text).subjects]


# --- subjects ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("an automobile", "car"),
        ("a sedan parks", "car"),
        ("a yellow taxi", "car"),
        ("a puppy", "dog"),
        ("a hound", "dog"),
        ("a corgi", "dog"),
        ("a wolf", "dog"),
        ("a kitten", "cat"),
        ("a kitty", "cat"),
        ("a jet", "airplane"),
        ("a plane", "airplane"),
        ("an aeroplane", "airplane"),
        ("a spaceship", "rocket"),
        ("a spacecraft", "rocket"),
        ("a flying saucer", "ufo"),
        ("a girl", "child"),
        ("a boy", "child"),
        ("a kid", "child"),
        ("a lady", "woman"),
        ("a guy", "man"),
        ("a gentleman", "man"),
        ("someone", "person"),
        ("a figure", "person"),
        ("an android", "robot"),
        ("a droid", "robot"),
        ("a T-rex", "dinosaur"),
        ("a T. rex", "dinosaur"),
        ("a hot air balloon", "hot_air_balloon"),
        ("a hot-air balloon", "hot_air_balloon"),
        ("a balloon", "balloon"),
        ("a motorbike", "motorcycle"),
        ("a bike", "bicycle"),
        ("a lorry", "truck"),
        ("a yacht", "sailboat"),
        ("a tortoise", "turtle"),
        ("an orca", "whale"),
        ("a bunny", "rabbit"),
        ("a sorceress", "wizard"),
        ("a cottage", "house"),
        ("a palace", "castle"),
        ("a wind turbine", "windmill"),
        ("a parasol", "umbrella"),
        ("a tulip", "flower"),
        ("an oak", "tree"),
    ],
)
def test_subject_synonyms(text, kind):
    assert kinds(text) == [kind]


@pytest.mark.parametrize(
    ("text", "kind", "count"),
    [
        ("puppies", "dog", 2),
        ("three puppies", "dog", 3),
        ("two children", "child", 2),
        ("geese", "duck", 2),
        ("people", "person", 2),
        ("buses", "bus", 2),
        ("butterflies", "butterfly", 2),
        ("wolves", "dog", 2),
        ("two women", "woman", 2),
        ("hot air balloons", "hot_air_balloon", 2),
        ("a crowd", "person", 5),
    ],
)
def test_plurals_and_inflections(text, kind, count):
    subject = only_subject(text)
    assert (subject.kind, subject.count) == (kind, count)


def test_a_spaceship_is_a_ufo_when_aliens_fly_it():
    assert kinds("an alien waves from a spaceship") == ["alien", "ufo"]
    assert kinds("an astronaut waves from a spaceship") == ["astronaut", "rocket"]


@pytest.mark.parametrize(
    ("text", "kind", "colour"),
    [
        ("a polar bear", "bear", "white"),
        ("a snowy owl", "owl", "white"),
        ("a golden retriever", "dog", "gold"),
        ("a brown polar bear", "bear", "brown"),
    ],
)
def test_multi_word_names_bring_their_colour(text, kind, colour):
    subject = only_subject(text)
    assert (subject.kind, subject.colour) == (kind, colour)


def test_subjects_come_in_order_of_mention_and_at_most_six():
    text = "a cat, a dog, a cow, a pig, a fox, a horse, a sheep and a duck in a field"
    assert kinds(text) == ["cat", "dog", "cow", "pig", "fox", "horse"]


def test_the_same_thing_named_twice_is_one_subject_and_another_is_two():
    assert kinds("a dog sits and the dog barks") == ["dog"]
    assert kinds("a dog sits next to another dog") == ["dog", "dog"]
    assert [s.colour for s in shot_of("a red car and a blue car").subjects] == ["red", "blue"]


# --- colour, size, count ---------------------------------------------------------------------


def test_colours_attach_to_their_own_noun():
    car, bus = shot_of("a red car and a blue bus").subjects
    assert (car.kind, car.colour, bus.kind, bus.colour) == ("car", "red", "bus", "blue")


@pytest.mark.parametrize(
    ("text", "colour"),
    [
        ("a car that is red", "red"),
        ("a car, painted green", "green"),
        ("a woman in red", "red"),
        ("a crimson car", "red"),
        ("a scarlet car", "red"),
        ("an azure car", "blue"),
        ("a cobalt car", "blue"),
        ("a golden car", "gold"),
        ("a gray car", "grey"),
        ("a violet car", "purple"),
        ("a lavender car", "purple"),
        ("an emerald car", "green"),
        ("a lime car", "green"),
        ("a navy blue car", "navy"),
        ("a turquoise car", "teal"),
        ("a fuchsia car", "magenta"),
        ("a black and white cat", "black"),
        ("a car", None),
    ],
)
def test_colour_words_and_shades(text, colour):
    assert only_subject(text).colour == colour


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("a tiny dog", "tiny"),
        ("a little dog", "small"),
        ("a small dog", "small"),
        ("a big dog", "large"),
        ("a large dog", "large"),
        ("a huge dog", "huge"),
        ("a giant dog", "huge"),
        ("an enormous dog", "huge"),
        ("a massive dog", "huge"),
        ("a gigantic dog", "huge"),
        ("a dog", "medium"),
        ("a dog that is huge", "huge"),
    ],
)
def test_sizes(text, size):
    assert only_subject(text).size == size


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("one dog", 1),
        ("a dog", 1),
        ("two dogs", 2),
        ("five dogs", 5),
        ("twelve dogs", 12),
        ("7 dogs", 7),
        ("a pair of dogs", 2),
        ("a couple of dogs", 2),
        ("a few dogs", 3),
        ("several dogs", 3),
        ("many dogs", 5),
        ("lots of dogs", 5),
        ("a flock of birds", 5),
        ("a herd of cows", 5),
        ("a pack of dogs", 5),
        ("a school of fish", 5),
        ("dogs", 2),
        ("fifty dogs", 12),
        ("100 dogs", 12),
        ("three small red dogs", 3),
    ],
)
def test_counts(text, count):
    assert only_subject(text).count == count


def test_zero_of_something_is_none_of_it():
    assert kinds("zero dogs and a cat") == ["cat"]


# --- motion and direction ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "motion"),
    [
        ("a man walks", "walk"),
        ("a man is walking", "walk"),
        ("a man strolls", "walk"),
        ("a dog runs", "run"),
        ("a dog sprints", "run"),
        ("a horse races", "run"),
        ("a car drives", "drive"),
        ("a car speeds along", "drive"),
        ("a ball rolls", "drive"),
        ("a bird flies", "fly"),
        ("an eagle soars", "fly"),
        ("a plane glides", "fly"),
        ("a fish swims", "swim"),
        ("a dolphin dives", "swim"),
        ("a frog jumps", "jump"),
        ("a rabbit hops", "jump"),
        ("a ball bounces", "jump"),
        ("a woman dances", "dance"),
        ("a dancer spins", "spin"),
        ("a girl twirls", "spin"),
        ("a balloon floats", "float"),
        ("a ghost drifts", "float"),
        ("a ufo hovers", "float"),
        ("a ball falls", "fall"),
        ("a ball drops", "fall"),
        ("a child tumbles", "fall"),
        ("a hawk circles", "circle"),
        ("a drone orbits a robot", "circle"),
        ("a dog approaches", "approach"),
        ("a man comes toward the camera", "approach"),
        ("a man walks away", "retreat"),
        ("a man leaves", "retreat"),
        ("a cat sits", "idle"),
        ("a man stands", "idle"),
        ("a dog sleeps", "idle"),
        ("a man waits", "idle"),
        ("a running dog", "run"),
        ("a dog does not run", "idle"),
    ],
)
def test_motion_verbs(text, motion):
    assert shot_of(text).subjects[0].motion == motion


@pytest.mark.parametrize(
    ("text", "motion"),
    [
        ("a car", "drive"),
        ("a boat", "drive"),
        ("a ship", "drive"),
        ("an airplane", "fly"),
        ("a helicopter", "fly"),
        ("a ufo", "fly"),
        ("a rocket", "fly"),
        ("a hot air balloon", "fly"),
        ("a fish", "swim"),
        ("a whale", "swim"),
        ("a shark", "swim"),
        ("a dolphin", "swim"),
        ("a bird", "fly"),
        ("a butterfly", "fly"),
        ("a bee", "fly"),
        ("a house", "idle"),
        ("a tree", "idle"),
        ("a ball", "idle"),
        ("a man", "idle"),
        ("a dog", "idle"),
    ],
)
def test_default_motion_by_kind(text, motion):
    assert only_subject(text).motion == motion


def test_verbs_belong_to_the_nouns_before_them():
    cat, dog = shot_of("a cat sleeps while a dog runs").subjects
    assert (cat.motion, dog.motion) == ("idle", "run")
    car, bus = shot_of("a red car and a blue bus drive along the street").subjects
    assert (car.motion, bus.motion) == ("drive", "drive")


def test_some_verbs_move_their_object_too():
    boy, dog = shot_of("a boy walks his dog").subjects
    assert (boy.motion, dog.motion) == ("walk", "walk")
    girl, kite = shot_of("a girl flies a kite").subjects
    assert (girl.motion, kite.motion) == ("idle", "fly")
    knight, horse = shot_of("a knight rides a horse").subjects
    assert (knight.motion, horse.motion) == ("run", "run")
    dog, car = shot_of("a dog chases a car").subjects
    assert (dog.motion, car.motion) == ("run", "drive")


@pytest.mark.parametrize(
    ("text", "direction"),
    [
        ("a car drives to the left", "left"),
        ("a car drives leftward", "left"),
        ("a car drives from right to left", "left"),
        ("a car drives left", "left"),
        ("a car drives", "right"),
        ("a car drives to the right", "right"),
        ("a car drives from left to right", "right"),
    ],
)
def test_direction(text, direction):
    assert only_subject(text).direction == direction


def test_a_chase_goes_one_way():
    dog, cat = shot_of("a dog chases a cat to the left").subjects
    assert (dog.direction, cat.direction) == ("left", "left")


# --- scene -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "setting"),
    [
        ("a dog downtown", "city"),
        ("a dog in a metropolis", "city"),
        ("a dog before the skyline", "city"),
        ("a dog in an alley", "street"),
        ("a dog on the sidewalk", "street"),
        ("a dog on the avenue", "street"),
        ("a dog in the woods", "forest"),
        ("a dog in a woodland", "forest"),
        ("a dog in the rainforest", "jungle"),
        ("a dog on the shore", "beach"),
        ("a dog at the seaside", "beach"),
        ("a dog on the coast", "beach"),
        ("a boat at sea", "ocean"),
        ("a fish under the sea", "underwater"),
        ("a fish underwater", "underwater"),
        ("a fish by a coral reef", "underwater"),
        ("a duck on a pond", "lake"),
        ("a duck in a stream", "river"),
        ("a duck in a creek", "river"),
        ("a camel in the dunes", "desert"),
        ("a camel in the Sahara", "desert"),
        ("a goat on the peaks", "mountains"),
        ("a goat in the Alps", "mountains"),
        ("a fox on the tundra", "arctic"),
        ("a fox on a glacier", "arctic"),
        ("a fox at the north pole", "arctic"),
        ("a penguin in Antarctica", "arctic"),
        ("a cow on a farm", "countryside"),
        ("a cow in a meadow", "countryside"),
        ("a cow in a field", "countryside"),
        ("a cow in a village", "countryside"),
        ("a cow on the hills", "countryside"),
        ("a dog in the garden", "park"),
        ("a dog at the playground", "park"),
        ("a rocket in outer space", "space"),
        ("a satellite dish and a rocket in orbit", "space"),
        ("a rocket near a galaxy", "space"),
        ("a robot on the moon surface", "space"),
        ("a bat in a cavern", "cave"),
        ("a cat in the bedroom", "room"),
        ("a chef in a kitchen", "room"),
        ("a man in an office", "room"),
        ("a cat in the living room", "room"),
        ("a dancer in a studio", "room"),
        ("a cat indoors", "room"),
        ("a king in the throne room", "castle"),
        ("a knight in the courtyard", "castle"),
        ("a knight in front of a castle", "castle"),
        ("a cat asleep in a house", "room"),
        ("a man runs from the lava", "volcano"),
        ("a car on the road", "highway"),
        ("a car on a freeway", "highway"),
        ("a car on the motorway", "highway"),
    ],
)
def test_settings(text, setting):
    assert shot_of(text).setting == setting


def test_a_place_noun_becomes_the_setting_only_when_something_is_at_it():
    at_castle = shot_of("a knight in front of a castle")
    assert (at_castle.setting, kinds("a knight in front of a castle")) == ("castle", ["knight"])
    house = shot_of("a house")
    assert (house.setting, [s.kind for s in house.subjects]) == ("countryside", ["house"])


@pytest.mark.parametrize(
    ("text", "time_of_day"),
    [
        ("a dog at dawn", "dawn"),
        ("a dog at sunrise", "dawn"),
        ("a dog at daybreak", "dawn"),
        ("a dog in the morning", "morning"),
        ("a dog at noon", "noon"),
        ("a dog at midday", "noon"),
        ("a dog in daylight", "noon"),
        ("a dog in the afternoon", "afternoon"),
        ("a dog at sunset", "sunset"),
        ("a dog at golden hour", "sunset"),
        ("a dog in the evening", "sunset"),
        ("a dog at dusk", "dusk"),
        ("a dog at twilight", "dusk"),
        ("a dog at night", "night"),
        ("a dog at midnight", "night"),
        ("a dog in the moonlight", "night"),
        ("a dog under a starry sky", "night"),
        ("a dog", "noon"),
    ],
)
def test_times_of_day(text, time_of_day):
    assert shot_of(text).time_of_day == time_of_day


@pytest.mark.parametrize(
    ("text", "weather"),
    [
        ("a dog on a sunny day", "clear"),
        ("a dog under a clear sky", "clear"),
        ("a dog on a cloudy day", "cloudy"),
        ("a dog under an overcast sky", "cloudy"),
        ("a dog in the rain", "rain"),
        ("a dog on a rainy day", "rain"),
        ("a dog in a drizzle", "rain"),
        ("a dog in a downpour", "rain"),
        ("a dog in a storm", "storm"),
        ("a dog hears thunder", "storm"),
        ("a dog and lightning", "storm"),
        ("a dog in the snow", "snow"),
        ("a dog on a snowy street", "snow"),
        ("a dog in a snowfall", "snow"),
        ("a dog in a blizzard", "snow"),
        ("a dog in the fog", "fog"),
        ("a dog on a foggy morning", "fog"),
        ("a dog in the mist", "fog"),
        ("a dog in the haze", "fog"),
        ("a dog", "clear"),
    ],
)
def test_weather(text, weather):
    assert shot_of(text).weather == weather


@pytest.mark.parametrize(
    ("text", "camera"),
    [
        ("a static shot of a dog", "static"),
        ("a locked-off shot of a dog", "static"),
        ("a dog; the camera is still", "static"),
        ("a dog, the camera pans left", "pan_left"),
        ("a dog, pan right", "pan_right"),
        ("a dog, the camera slowly pans to the left", "pan_left"),
        ("a dog, the camera tilts up", "tilt_up"),
        ("a dog, tilt down", "tilt_down"),
        ("a dog, the camera zooms in", "zoom_in"),
        ("a dog, push in", "zoom_in"),
        ("a close-up of a dog", "zoom_in"),
        ("a dog, the camera zooms out", "zoom_out"),
        ("a dog, the camera pulls back", "zoom_out"),
        ("a wide reveal of a dog", "zoom_out"),
        ("a tracking shot of a dog", "tracking"),
        ("the camera follows a dog", "tracking"),
        ("a dolly shot of a dog", "tracking"),
        ("handheld footage of a dog", "handheld"),
        ("a shaky shot of a dog", "handheld"),
        ("a crane shot of a dog", "crane"),
        ("a dog as the camera rises", "crane"),
        ("a drone shot of a dog", "crane"),
        ("an aerial view of a dog", "crane"),
        ("a rocket rises", "static"),
        ("a dog", "static"),
    ],
)
def test_camera_moves(text, camera):
    assert shot_of(text).camera == camera


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("a dog", "cinematic"),
        ("a cinematic dog", "cinematic"),
        ("a cartoon dog", "cartoon"),
        ("an animated dog", "cartoon"),
        ("a dog, pixar-style", "cartoon"),
        ("a noir dog", "noir"),
        ("a dog in black and white", "noir"),
        ("a monochrome dog", "noir"),
        ("a vintage dog", "vintage"),
        ("a retro dog", "vintage"),
        ("a dog on old film", "vintage"),
        ("a dog in sepia", "vintage"),
        ("a dog on VHS", "vintage"),
        ("a neon dog", "neon"),
        ("a cyberpunk dog", "neon"),
        ("a synthwave dog", "neon"),
        ("a pastel dog", "pastel"),
        ("a dreamy dog", "pastel"),
        ("a soft dog", "pastel"),
    ],
)
def test_styles(text, style):
    assert shot_of(text).style == style


# --- negation and dialogue ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("a dog, no rain", "weather", "clear"),
        ("a dog without snow", "weather", "clear"),
        ("a dog, not at night", "time_of_day", "noon"),
        ("a dog with no rain or snow", "weather", "clear"),
        ("a dog, not a cloud in the sky", "weather", "clear"),
        ("a dog in the rain", "weather", "rain"),
        ("a dog, no zoom", "camera", "static"),
        ("a dog, not in a city", "setting", "countryside"),
    ],
)
def test_negation_does_not_turn_things_on(text, field, value):
    assert getattr(shot_of(text), field) == value


def test_negated_subjects_are_left_out():
    assert kinds("a dog without a cat") == ["dog"]
    assert kinds("a dog but no cats") == ["dog"]


@pytest.mark.parametrize(
    ("text", "line", "speaker"),
    [
        ('A man says "hello there"', "hello there", "man"),
        ('"Hi," says the woman.', "Hi", "woman"),
        ("A robot whispers: “I love cats.”", "I love cats.", "robot"),
        ('A dog barks "woof" at a cat', "woof", "dog"),
        ('A woman walks in the park and shouts "wait!"', "wait!", "woman"),
        ('A sign in a city reads "open"', "open", None),
        ('She says "hi" to a dog', "hi", None),
    ],
)
def test_dialogue_and_its_speaker(text, line, speaker):
    dialogue = shot_of(text).dialogue
    assert [(d.text, d.speaker) for d in dialogue] == [(line, speaker)]


def test_quoted_words_are_not_read_as_the_scene():
    shot = shot_of('A man says "I love cats and dogs in the city at night, in the rain"')
    assert [s.kind for s in shot.subjects] == ["man"]
    assert (shot.setting, shot.time_of_day, shot.weather) == ("countryside", "noon", "clear")


def test_a_line_is_spoken_by_the_subject_a_pronoun_stands_for():
    shot = plan('A wizard stands in a tower. "You shall not pass!" he shouts.', seconds=4).shots[0]
    assert [(d.text, d.speaker) for d in shot.dialogue] == [("You shall not pass!", "wizard")]


# --- coverage of the vocabulary ---------------------------------------------------------------

# One English phrase per vocabulary name, and what to look at in the planned shot.
_WORD_FOR = {
    "motion": {
        "idle": "a dog sits",
        "walk": "a dog walks",
        "run": "a dog runs",
        "drive": "a dog drives",
        "fly": "a dog flies",
        "swim": "a dog swims",
        "jump": "a dog jumps",
        "dance": "a dog dances",
        "spin": "a dog spins",
        "float": "a dog floats",
        "fall": "a dog falls",
        "circle": "a dog circles",
        "approach": "a dog approaches",
        "retreat": "a dog retreats",
    },
    "camera": {
        "static": "a dog, static shot",
        "pan_left": "a dog, pan left",
        "pan_right": "a dog, pan right",
        "tilt_up": "a dog, tilt up",
        "tilt_down": "a dog, tilt down",
        "zoom_in": "a dog, zoom in",
        "zoom_out": "a dog, zoom out",
        "tracking": "a dog, tracking shot",
        "handheld": "a dog, handheld",
        "crane": "a dog, crane shot",
    },
}


def test_every_subject_kind_is_reachable_from_its_own_name():
    for kind in SUBJECT_KINDS:
        assert kinds(f"a {kind.replace('_', ' ')}") == [kind], kind


def test_every_setting_is_reachable():
    for setting in SETTINGS:
        text = f"a dog in the {setting}" if setting != "castle" else "a dog at a castle"
        assert shot_of(text).setting == setting, setting


@pytest.mark.parametrize(
    ("names", "template", "field"),
    [
        (TIMES_OF_DAY, "a dog at {}", "time_of_day"),
        (WEATHERS, "a dog, {} weather", "weather"),
        (STYLES, "a dog, {} style", "style"),
    ],
)
def test_every_time_weather_and_style_is_reachable(names, template, field):
    for name in names:
        assert getattr(shot_of(template.format(name)), field) == name, name


def test_every_motion_and_camera_move_is_reachable():
    assert set(_WORD_FOR["motion"]) == set(MOTIONS)
    assert set(_WORD_FOR["camera"]) == set(CAMERA_MOVES)
    for motion, text in _WORD_FOR["motion"].items():
        assert shot_of(text).subjects[0].motion == motion, motion
    for move, text in _WORD_FOR["camera"].items():
        assert shot_of(text).camera == move, move


def test_every_colour_is_reachable():
    for colour in COLOUR_NAMES:
        assert only_subject(f"a {colour} car").colour == colour, colour
