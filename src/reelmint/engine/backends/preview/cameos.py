"""Cameos in the preview: a person's photo drawn as a character of the scene.

A cameo photo is decoded once per render, cropped to an upright portrait (faces are usually in
the upper part of a photo, so the crop leans upward) and capped in size. Each shot then makes
its sprite once per size it needs: the photo lit and graded like every other subject, inside an
oval with a feathered edge and a thin frame (a cameo brooch), a soft dark halo that keeps it
readable on any background, and a contact shadow at its feet. A frame only pastes the image,
as it does for the vector sprites; a render without cameos does none of this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from reelmint.engine.backends.preview.look import RGB, Look
from reelmint.engine.backends.preview.scene import CAMEO_ASPECT, PlacedCameo
from reelmint.engine.backends.preview.sprites.bank import SUBJECT_FILL_LIGHT
from reelmint.engine.images import load_image

MASTER_HEIGHT = 640
"""Photos are kept at most this tall: more than the largest cameo of a 720p frame needs."""
FACE_BIAS = 0.3
"""Where a crop of a tall photo starts: this share of the cut-off height is taken from the
top, the rest from the bottom, so a head near the top stays in."""

# In pixels per pixel of the photo's height: the feathered edge, the frame, the halo.
FEATHER = 0.035
FRAME = 0.022
HALO = 0.05
HALO_OPACITY = 0.4
GROUND_SHADOW_OPACITY = 0.35

FRAME_COLOURS: dict[str, RGB] = {"cartoon": (24, 24, 24)}
DEFAULT_FRAME: RGB = (242, 230, 200)
NEON_FRAME: RGB = (90, 240, 255)


def portrait_crop(image: Image.Image) -> Image.Image:
    """`image` cropped to the cameo's upright aspect and shrunk to at most MASTER_HEIGHT."""
    width, height = image.size
    if width / height > CAMEO_ASPECT:  # too wide: keep the middle
        crop_w = max(1, round(height * CAMEO_ASPECT))
        left = (width - crop_w) // 2
        box = (left, 0, left + crop_w, height)
    else:  # too tall: keep the top, where the face usually is
        crop_h = max(1, round(width / CAMEO_ASPECT))
        top = round((height - crop_h) * FACE_BIAS)
        box = (0, top, width, top + crop_h)
    portrait = image.crop(box)
    if portrait.height > MASTER_HEIGHT:
        size = (max(1, round(MASTER_HEIGHT * CAMEO_ASPECT)), MASTER_HEIGHT)
        portrait = portrait.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return portrait


@dataclass(frozen=True)
class CameoPortraits:
    """The cameo photos of one render, decoded and cropped once, in the request's order."""

    photos: tuple[Image.Image, ...]

    @classmethod
    def load(cls, paths: Sequence[Path]) -> CameoPortraits:
        """Decode each photo (vetted again from its header: files can change after a check)."""
        photos = (load_image(p, what="cameo image", code="invalid_cameo_image") for p in paths)
        return cls(tuple(portrait_crop(photo) for photo in photos))

    def __len__(self) -> int:
        return len(self.photos)


@dataclass(frozen=True)
class _Masks:
    """The alpha maps of one sprite size, shared by every cameo of that size."""

    photo: np.ndarray  # how much of the photo shows (1 inside, feathered to 0 at the edge)
    body: np.ndarray  # the photo and its frame
    shadow: np.ndarray  # halo and contact shadow (black)


class CameoBank:
    """The cameo sprites of one shot, each size made on first use and kept."""

    def __init__(self, portraits: CameoPortraits, look: Look) -> None:
        self._portraits = portraits
        self._look = look.with_fill(SUBJECT_FILL_LIGHT)
        self._frame = _frame_colour(self._look)
        self._masks: dict[tuple[int, int], _Masks] = {}
        self._images: dict[tuple[int, int, int], Image.Image] = {}

    def image(self, cameo: PlacedCameo) -> Image.Image:
        """The RGBA image for `cameo`, exactly `cameo.size`."""
        key = (cameo.cameo, *cameo.portrait_size)
        image = self._images.get(key)
        if image is None:
            image = self._make(cameo)
            self._images[key] = image
        return image

    def _make(self, cameo: PlacedCameo) -> Image.Image:
        w, h = cameo.portrait_size
        pad = (cameo.size[1] - h) // 2
        masks = self._masks.get((w, h))
        if masks is None:
            masks = _masks(w, h, pad)
            self._masks[(w, h)] = masks
        photo = self._portraits.photos[cameo.cameo].resize(
            (w, h), Image.Resampling.BILINEAR, reducing_gap=2.0
        )
        lit = self._look.paint_array(np.asarray(photo, dtype=np.float32)).astype(np.float32)
        colour = np.empty((h + 2 * pad, w + 2 * pad, 3), dtype=np.float32)
        colour[...] = self._frame
        inner = colour[pad : pad + h, pad : pad + w]
        weight = masks.photo[pad : pad + h, pad : pad + w, None]
        inner += (lit - inner) * weight
        return _rgba(colour, masks)


def _frame_colour(look: Look) -> np.ndarray:
    if look.style == "neon":
        return np.asarray(look.emit(NEON_FRAME), dtype=np.float32)
    return np.asarray(look.paint(FRAME_COLOURS.get(look.style, DEFAULT_FRAME)), dtype=np.float32)


def _masks(w: int, h: int, pad: int) -> _Masks:
    """Alpha maps from the signed distance (in pixels, approximately) to the photo's oval."""
    ys, xs = np.mgrid[0 : h + 2 * pad, 0 : w + 2 * pad].astype(np.float32) + 0.5
    rx, ry = w / 2.0, h / 2.0
    u, v = (xs - pad - rx) / rx, (ys - pad - ry) / ry
    radius = np.sqrt(u * u + v * v)
    # |grad radius| turns the oval's level sets into distances in pixels
    slope = np.sqrt((u / rx) ** 2 + (v / ry) ** 2) / np.maximum(radius, 1e-6)
    distance = (radius - 1.0) / np.maximum(slope, 1e-6)
    feather, frame, halo = (max(1.0, f * h) for f in (FEATHER, FRAME, HALO))
    photo = np.clip(-distance / feather, 0.0, 1.0)
    body = np.clip(frame - distance + 0.5, 0.0, 1.0)
    outside = np.clip(1.0 - (distance - frame) / halo, 0.0, 1.0)
    shadow = HALO_OPACITY * outside * outside
    # the contact shadow: a flat soft ellipse under the oval's lowest point
    gu, gv = (xs - pad - rx) / (0.46 * w), (ys - pad - h) / max(1.0, 0.6 * pad)
    ground = np.clip(1.0 - (gu * gu + gv * gv), 0.0, 1.0)
    shadow = 1.0 - (1.0 - shadow) * (1.0 - GROUND_SHADOW_OPACITY * ground)
    return _Masks(photo=photo, body=body, shadow=shadow)


def _rgba(colour: np.ndarray, masks: _Masks) -> Image.Image:
    """Body over black shadows, as one straight-alpha RGBA image for Image.paste."""
    alpha = 1.0 - (1.0 - masks.body) * (1.0 - masks.shadow)
    premultiplied = colour * masks.body[..., None]
    straight = premultiplied / np.maximum(alpha, 1e-6)[..., None]
    pixels = np.dstack([straight, alpha * 255.0])
    return Image.fromarray(np.clip(pixels + 0.5, 0.0, 255.0).astype(np.uint8), "RGBA")
