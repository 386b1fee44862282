"""Sprite images of one shot, drawn once and reused every frame.

Each subject's poses are drawn once at the largest size the shot needs (its "masters"), styled
(cartoon outlines, neon glow) and then resized, rotated and mirrored on first use; a frame only
looks images up. Everything here is per shot: a new shot starts a new bank.
"""

from __future__ import annotations

import math

from PIL import Image, ImageFilter, ImageOps

from reelmint.engine.backends.preview.look import Look
from reelmint.engine.backends.preview.scene import ROTATIONS, PlacedSprite, SubjectPlan
from reelmint.engine.backends.preview.sprites import Pose, draw_sprite

_SpriteKey = tuple[int, int, int, bool, int, int]

# Share of the way from the scene's light to full light that subjects get (see Look.fill).
SUBJECT_FILL_LIGHT = 0.3


class SpriteBank:
    """Lazily made, cached sprite images for the subjects of one shot."""

    def __init__(self, plans: tuple[SubjectPlan, ...], look: Look) -> None:
        self._plans = plans
        self._look = look.with_fill(SUBJECT_FILL_LIGHT)
        self._masters: dict[tuple[int, int], Image.Image] = {}
        self._images: dict[_SpriteKey, Image.Image] = {}

    def image(self, sprite: PlacedSprite) -> Image.Image:
        """The RGBA image for `sprite`, exactly `sprite.size`."""
        key = (sprite.subject, sprite.pose, sprite.rotation, sprite.mirrored, *sprite.size)
        image = self._images.get(key)
        if image is None:
            image = self._make(sprite)
            self._images[key] = image
        return image

    def _master(self, subject: int, pose: int) -> Image.Image:
        """The pose drawn once at the largest size the shot needs, premultiplied ("RGBa") so
        that every resize and rotation of it needs no conversion of the big image."""
        key = (subject, pose)
        master = self._masters.get(key)
        if master is None:
            plan = self._plans[subject]
            height = max(4, math.ceil(plan.height * plan.max_scale))
            pose_ = Pose(
                phase=pose / plan.poses, motion=plan.subject.motion, lights_on=self._look.is_dark
            )
            drawing = draw_sprite(plan.subject.kind, plan.colour, height, pose_, self._look)
            master = style_sprite(drawing, self._look, plan.colour).convert("RGBa")
            self._masters[key] = master
        return master

    def _make(self, sprite: PlacedSprite) -> Image.Image:
        master = self._master(sprite.subject, sprite.pose)
        if self._plans[sprite.subject].spins:
            image = _spun(master, sprite.size[0], sprite.rotation)
        else:
            image = _resized(master, sprite.size)
        image = image.convert("RGBA")
        return ImageOps.mirror(image) if sprite.mirrored else image


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Downscale (reducing by whole factors first, which is fast and clean)."""
    if image.size == size:
        return image
    return image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)


def _spun(master: Image.Image, side: int, rotation: int) -> Image.Image:
    """The master at its size within a `side` square that holds it at any angle, turned."""
    diagonal = math.hypot(*master.size)
    size = (
        max(1, round(side * master.width / diagonal)),
        max(1, round(side * master.height / diagonal)),
    )
    square = Image.new("RGBa", (side, side), (0, 0, 0, 0))
    square.paste(_resized(master, size), ((side - size[0]) // 2, (side - size[1]) // 2))
    if rotation == 0:
        return square
    return square.rotate(-360.0 * rotation / ROTATIONS, resample=Image.Resampling.BILINEAR)


def style_sprite(image: Image.Image, look: Look, body: tuple[int, int, int]) -> Image.Image:
    """Cartoon sprites get a dark outline; neon sprites a soft glow in their own colour."""
    if look.style == "cartoon":
        return _outlined(image)
    if look.style == "neon":
        return _glowing(image, look.emit(body))
    return image


def _outlined(image: Image.Image) -> Image.Image:
    """A dark border a few pixels wide: the alpha grown by a box blur and a steep threshold
    (a rank filter of that width would cost hundreds of times more on a big sprite)."""
    width = max(1, round(image.height * 0.018))
    blurred = image.getchannel("A").filter(ImageFilter.BoxBlur(width))
    alpha = blurred.point(lambda a: min(255, a * 8))
    outline = Image.new("RGBA", image.size, (18, 18, 18, 255))
    outline.putalpha(alpha)
    return Image.alpha_composite(outline, image)


def _glowing(image: Image.Image, colour: tuple[int, int, int]) -> Image.Image:
    radius = max(1.0, image.height * 0.035)
    alpha = image.getchannel("A").filter(ImageFilter.GaussianBlur(radius))
    alpha = alpha.point(lambda a: min(255, a * 2))
    glow = Image.new("RGBA", image.size, (*colour, 255))
    glow.putalpha(alpha)
    return Image.alpha_composite(glow, image)
