"""The canonical vocabulary of the storyboard.

This module is the contract between the planner (which maps a user's words onto these names)
and every backend (which must know how to show each of them). Synonyms live in the planner;
drawing rules live in the backends. Adding a name here means teaching both.
"""

from __future__ import annotations

from typing import Literal, get_args

SubjectCategory = Literal["vehicle", "animal", "person", "creature", "object", "plant", "building"]

# Each subject kind, with the category that decides its default motion and how it is voiced.
SUBJECT_CATEGORIES: dict[str, SubjectCategory] = {
    # vehicles
    "car": "vehicle",
    "truck": "vehicle",
    "bus": "vehicle",
    "bicycle": "vehicle",
    "motorcycle": "vehicle",
    "train": "vehicle",
    "boat": "vehicle",
    "sailboat": "vehicle",
    "ship": "vehicle",
    "submarine": "vehicle",
    "airplane": "vehicle",
    "helicopter": "vehicle",
    "rocket": "vehicle",
    "hot_air_balloon": "vehicle",
    "ufo": "vehicle",
    # animals
    "dog": "animal",
    "cat": "animal",
    "horse": "animal",
    "cow": "animal",
    "sheep": "animal",
    "pig": "animal",
    "rabbit": "animal",
    "fox": "animal",
    "bear": "animal",
    "lion": "animal",
    "elephant": "animal",
    "giraffe": "animal",
    "bird": "animal",
    "owl": "animal",
    "duck": "animal",
    "penguin": "animal",
    "fish": "animal",
    "shark": "animal",
    "whale": "animal",
    "dolphin": "animal",
    "turtle": "animal",
    "frog": "animal",
    "snake": "animal",
    "butterfly": "animal",
    "bee": "animal",
    # people
    "person": "person",
    "man": "person",
    "woman": "person",
    "child": "person",
    "astronaut": "person",
    "knight": "person",
    "wizard": "person",
    "chef": "person",
    "dancer": "person",
    # creatures
    "robot": "creature",
    "ghost": "creature",
    "dragon": "creature",
    "dinosaur": "creature",
    "unicorn": "creature",
    "alien": "creature",
    # objects
    "ball": "object",
    "balloon": "object",
    "kite": "object",
    "umbrella": "object",
    # plants and buildings
    "tree": "plant",
    "flower": "plant",
    "house": "building",
    "castle": "building",
    "lighthouse": "building",
    "windmill": "building",
}
SUBJECT_KINDS: tuple[str, ...] = tuple(SUBJECT_CATEGORIES)

SETTINGS: tuple[str, ...] = (
    "city",
    "street",
    "forest",
    "jungle",
    "beach",
    "ocean",
    "underwater",
    "lake",
    "river",
    "desert",
    "mountains",
    "arctic",
    "countryside",
    "park",
    "space",
    "cave",
    "room",
    "castle",
    "volcano",
    "highway",
)

Motion = Literal[
    "idle",
    "walk",
    "run",
    "drive",
    "fly",
    "swim",
    "jump",
    "dance",
    "spin",
    "float",
    "fall",
    "circle",
    "approach",
    "retreat",
]
MOTIONS: tuple[str, ...] = get_args(Motion)

CameraMove = Literal[
    "static",
    "pan_left",
    "pan_right",
    "tilt_up",
    "tilt_down",
    "zoom_in",
    "zoom_out",
    "tracking",
    "handheld",
    "crane",
]
CAMERA_MOVES: tuple[str, ...] = get_args(CameraMove)

TimeOfDay = Literal["dawn", "morning", "noon", "afternoon", "sunset", "dusk", "night"]
TIMES_OF_DAY: tuple[str, ...] = get_args(TimeOfDay)

Weather = Literal["clear", "cloudy", "rain", "storm", "snow", "fog"]
WEATHERS: tuple[str, ...] = get_args(Weather)

Style = Literal["cinematic", "cartoon", "noir", "vintage", "neon", "pastel"]
STYLES: tuple[str, ...] = get_args(Style)

SubjectSize = Literal["tiny", "small", "medium", "large", "huge"]
SUBJECT_SIZES: tuple[str, ...] = get_args(SubjectSize)

Direction = Literal["left", "right"]

# Named colours as sRGB. The planner maps shades ("crimson", "navy") onto these names.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (214, 40, 40),
    "orange": (245, 130, 32),
    "yellow": (250, 210, 40),
    "gold": (212, 175, 55),
    "green": (46, 160, 67),
    "teal": (0, 150, 150),
    "cyan": (40, 200, 230),
    "blue": (40, 90, 220),
    "navy": (20, 35, 110),
    "purple": (128, 60, 180),
    "pink": (240, 120, 170),
    "magenta": (210, 40, 160),
    "brown": (130, 82, 45),
    "beige": (220, 200, 160),
    "black": (25, 25, 28),
    "grey": (128, 128, 132),
    "silver": (192, 192, 200),
    "white": (245, 245, 245),
}
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)
