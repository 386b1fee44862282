"""Vector sprites for every subject kind, and what the layout needs to know about each.

`KIND_SPECS` is the one table that says how wide, how tall, what colour and where at home each
kind is; `draw_sprite` draws one pose of a kind. The drawings live in the family modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from PIL import Image

from reelmint.engine.backends.preview.look import Look
from reelmint.engine.backends.preview.sprites import animals, people, things, vehicles
from reelmint.engine.backends.preview.sprites.parts import Pose
from reelmint.engine.backends.preview.sprites.pen import RGB, Pen, canvas_height, canvas_width
from reelmint.engine.vocabulary import COLOURS, SUBJECT_KINDS

Habitat = Literal["ground", "air", "water", "surface"]
Drawer = Callable[[Pen, RGB, Pose], None]

__all__ = [
    "KIND_SPECS",
    "KindSpec",
    "Pose",
    "body_colour",
    "canvas_height",
    "canvas_width",
    "draw_sprite",
]


@dataclass(frozen=True)
class KindSpec:
    """How one kind is drawn and placed.

    `aspect`: drawing width / height. `scale`: natural height relative to a person.
    `colour`: the body colour when the prompt names none. `habitat`: where it rests when idle.
    `lively`: animates even when idle (rotors, wings, flames, blinking lights).
    """

    draw: Drawer
    aspect: float
    scale: float
    colour: RGB
    habitat: Habitat = "ground"
    lively: bool = False


KIND_SPECS: dict[str, KindSpec] = {
    "car": KindSpec(vehicles.car, 2.2, 0.55, (52, 104, 178)),
    "truck": KindSpec(vehicles.truck, 2.6, 0.75, (226, 120, 36)),
    "bus": KindSpec(vehicles.bus, 3.0, 0.8, (244, 192, 36)),
    "bicycle": KindSpec(vehicles.bicycle, 1.6, 0.55, (200, 40, 40)),
    "motorcycle": KindSpec(vehicles.motorcycle, 1.7, 0.55, (36, 36, 42)),
    "train": KindSpec(vehicles.train, 4.0, 0.72, (46, 120, 84), lively=True),
    "boat": KindSpec(vehicles.boat, 2.0, 0.42, (170, 112, 62), "surface"),
    "sailboat": KindSpec(vehicles.sailboat, 1.2, 1.0, (246, 246, 240), "surface"),
    "ship": KindSpec(vehicles.ship, 3.2, 0.95, (36, 48, 84), "surface", lively=True),
    "submarine": KindSpec(vehicles.submarine, 2.5, 0.5, (236, 196, 40), "water", lively=True),
    "airplane": KindSpec(vehicles.airplane, 2.2, 0.6, (232, 234, 238), "air"),
    "helicopter": KindSpec(vehicles.helicopter, 1.9, 0.7, (204, 56, 48), "air", lively=True),
    "rocket": KindSpec(vehicles.rocket, 0.45, 1.2, (236, 236, 242), "air", lively=True),
    "hot_air_balloon": KindSpec(
        vehicles.hot_air_balloon, 0.8, 1.1, (222, 68, 56), "air", lively=True
    ),
    "ufo": KindSpec(vehicles.ufo, 2.0, 0.6, (176, 184, 196), "air", lively=True),
    "dog": KindSpec(animals.dog, 1.5, 0.45, (176, 124, 72)),
    "cat": KindSpec(animals.cat, 1.4, 0.38, (232, 142, 58)),
    "horse": KindSpec(animals.horse, 1.4, 0.85, (140, 90, 50)),
    "cow": KindSpec(animals.cow, 1.56, 0.72, (242, 240, 234)),
    "sheep": KindSpec(animals.sheep, 1.25, 0.5, (238, 236, 226)),
    "pig": KindSpec(animals.pig, 1.45, 0.45, (242, 168, 176)),
    "rabbit": KindSpec(animals.rabbit, 0.95, 0.4, (196, 186, 176)),
    "fox": KindSpec(animals.fox, 1.55, 0.42, (222, 112, 38)),
    "bear": KindSpec(animals.bear, 1.5, 0.72, (104, 68, 42)),
    "lion": KindSpec(animals.lion, 1.45, 0.62, (214, 160, 72)),
    "elephant": KindSpec(animals.elephant, 1.42, 1.0, (140, 142, 152)),
    "giraffe": KindSpec(animals.giraffe, 0.9, 1.5, (232, 182, 84)),
    "bird": KindSpec(animals.bird, 1.35, 0.26, (64, 130, 206)),
    "owl": KindSpec(animals.owl, 0.8, 0.38, (140, 100, 62)),
    "duck": KindSpec(animals.duck, 1.3, 0.36, (244, 244, 238)),
    "penguin": KindSpec(animals.penguin, 0.6, 0.52, (30, 30, 40)),
    "fish": KindSpec(animals.fish, 1.62, 0.24, (250, 140, 40), "water", lively=True),
    "shark": KindSpec(animals.shark, 2.7, 0.45, (112, 126, 142), "water", lively=True),
    "whale": KindSpec(animals.whale, 2.55, 0.9, (64, 84, 124), "water", lively=True),
    "dolphin": KindSpec(animals.dolphin, 2.4, 0.42, (120, 150, 184), "water", lively=True),
    "turtle": KindSpec(animals.turtle, 1.6, 0.32, (88, 128, 62)),
    "frog": KindSpec(animals.frog, 1.15, 0.3, (84, 170, 60)),
    "snake": KindSpec(animals.snake, 3.05, 0.22, (92, 150, 50), lively=True),
    "butterfly": KindSpec(animals.butterfly, 1.3, 0.24, (236, 104, 180), "air", lively=True),
    "bee": KindSpec(animals.bee, 1.2, 0.16, (246, 200, 40), "air", lively=True),
    "person": KindSpec(people.person, 0.6, 1.0, (60, 110, 190)),
    "man": KindSpec(people.man, 0.6, 1.04, (70, 84, 120)),
    "woman": KindSpec(people.woman, 0.6, 0.98, (200, 60, 90)),
    "child": KindSpec(people.child, 0.6, 0.66, (250, 180, 40)),
    "astronaut": KindSpec(people.astronaut, 0.6, 1.0, (236, 236, 240)),
    "knight": KindSpec(people.knight, 0.6, 1.02, (170, 176, 188)),
    "wizard": KindSpec(people.wizard, 0.6, 1.05, (96, 60, 160)),
    "chef": KindSpec(people.chef, 0.6, 1.0, (246, 246, 246)),
    "dancer": KindSpec(people.dancer, 0.6, 0.98, (230, 70, 140)),
    "robot": KindSpec(things.robot, 0.7, 0.9, (150, 162, 178), lively=True),
    "ghost": KindSpec(things.ghost, 0.86, 0.8, (240, 240, 250), "air", lively=True),
    "dragon": KindSpec(things.dragon, 1.66, 0.95, (60, 150, 72), lively=True),
    "dinosaur": KindSpec(things.dinosaur, 1.58, 1.05, (104, 160, 84)),
    "unicorn": KindSpec(animals.unicorn, 1.4, 0.85, (250, 250, 255)),
    "alien": KindSpec(things.alien, 0.6, 0.75, (120, 220, 100)),
    "ball": KindSpec(things.ball, 1.0, 0.2, (220, 50, 50)),
    "balloon": KindSpec(things.balloon, 0.6, 0.55, (230, 50, 60), "air", lively=True),
    "kite": KindSpec(things.kite, 0.9, 0.6, (240, 80, 60), "air", lively=True),
    "umbrella": KindSpec(things.umbrella, 1.2, 0.72, (60, 80, 180)),
    "tree": KindSpec(things.tree, 0.8, 1.35, (62, 142, 62)),
    "flower": KindSpec(things.flower, 0.6, 0.36, (232, 72, 124)),
    "house": KindSpec(things.house, 1.2, 1.15, (222, 196, 150)),
    "castle": KindSpec(things.castle, 1.5, 1.6, (172, 166, 156), lively=True),
    "lighthouse": KindSpec(things.lighthouse, 0.5, 1.8, (246, 246, 246), lively=True),
    "windmill": KindSpec(things.windmill, 0.8, 1.5, (214, 194, 154), lively=True),
}
assert set(KIND_SPECS) == set(SUBJECT_KINDS), "every subject kind needs a sprite"


def body_colour(kind: str, colour: str | None) -> RGB:
    """The named colour if the prompt gave one, else the kind's own."""
    return COLOURS[colour] if colour is not None else KIND_SPECS[kind].colour


def draw_sprite(kind: str, body: RGB, height_px: int, pose: Pose, look: Look) -> Image.Image:
    """One pose of `kind`, `height_px` tall (plus padding), lit and graded by `look`. RGBA."""
    spec = KIND_SPECS[kind]
    pen = Pen(spec.aspect, height_px, paint=look.paint, emit=look.emit)
    spec.draw(pen, body, pose)
    return pen.finish()
