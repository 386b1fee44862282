"""One shot, prepared once and drawn frame by frame.

Preparation (background layers, sprite masters, particles, captions) is everything costly;
a frame is then: crop or stack the background, paste the sprites (and cameos) the layout lists,
zoom if the camera does, and blend particles, grain, captions and lightning into the numpy frame.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from reelmint.engine.backends.base import RenderParams
from reelmint.engine.backends.preview.backgrounds import Background, CameraSpan, build_background
from reelmint.engine.backends.preview.cameos import CameoBank, CameoPortraits
from reelmint.engine.backends.preview.camera import zoom_box
from reelmint.engine.backends.preview.captions import Captions
from reelmint.engine.backends.preview.look import Look
from reelmint.engine.backends.preview.particles import (
    Grain,
    Lightning,
    ParticleField,
    flash,
    weather_particles,
)
from reelmint.engine.backends.preview.scene import (
    Layout,
    PlacedCameo,
    PlacedSprite,
    Scene,
    shot_rng,
)
from reelmint.engine.backends.preview.sprites.bank import SpriteBank
from reelmint.engine.timing import ShotSpan

STREAM_BACKGROUND = 3
STREAM_PARTICLES = 4
STREAM_LIGHTNING = 5
STREAM_GRAIN = 6

# Places a storm's lightning cannot light up (a room still sees it through its window).
UNLIT_BY_LIGHTNING = frozenset({"cave", "underwater", "space"})


class ShotRenderer:
    """Everything one shot needs to be drawn, made once; `frame(i)` draws its i-th frame."""

    def __init__(
        self, span: ShotSpan, params: RenderParams, portraits: CameoPortraits | None = None
    ) -> None:
        """`portraits`: the render's cameo photos, decoded once (loaded here if not given)."""
        shot, index, seed = span.shot, span.index, params.seed
        self.fps = params.fps
        self.width, self.height = params.size.width, params.size.height
        self.frames = span.frames
        self.scene = Scene(shot, params, index)
        self.look = Look(shot.time_of_day, shot.weather, shot.style)
        cameras = [self.scene.camera(self.time(i)) for i in range(max(1, span.frames))]
        self.background: Background = build_background(
            shot.setting,
            self.scene.stage,
            self.look,
            shot_rng(seed, index, STREAM_BACKGROUND),
            CameraSpan.of(cameras),
            rigid=self.scene.rig.rigid,
        )
        self.sprites = SpriteBank(self.scene.plans, self.look)
        self.cameos: CameoBank | None = None
        if params.cameo_images:
            portraits = portraits or CameoPortraits.load(params.cameo_images)
            self.cameos = CameoBank(portraits, self.look)
        self.particles: ParticleField = weather_particles(
            shot.weather,
            shot.setting,
            self.look,
            self.width,
            self.height,
            shot_rng(seed, index, STREAM_PARTICLES),
        )
        self.lightning = (
            Lightning.seeded(shot.duration, shot_rng(seed, index, STREAM_LIGHTNING))
            if shot.weather == "storm" and shot.setting not in UNLIT_BY_LIGHTNING
            else None
        )
        self.grain = (
            Grain(self.width, self.height, shot_rng(seed, index, STREAM_GRAIN))
            if shot.style == "vintage"
            else None
        )
        self.captions = Captions(shot, self.width, self.height, self.look)

    def time(self, i: int) -> float:
        """Seconds into the shot at which frame i is seen."""
        return i / self.fps

    def layout(self, i: int) -> Layout:
        return self.scene.at(self.time(i))

    def frame(self, i: int) -> np.ndarray:
        """Frame i of the shot: H x W x 3 uint8, C-contiguous, a fresh array every time."""
        t = self.time(i)
        layout = self.scene.at(t)
        picture = self.background.compose(layout.camera)
        if layout.cameos and self.cameos is not None:
            self._paste_with_cameos(picture, layout, self.cameos)
        else:
            for sprite in layout.sprites:
                image = self.sprites.image(sprite)
                picture.paste(image, sprite.paste_at, image)
        if layout.camera.zoom != 1.0:
            box = zoom_box(layout.camera, self.width, self.height)
            picture = picture.resize((self.width, self.height), Image.Resampling.BILINEAR, box=box)
        frame = (
            np.frombuffer(picture.tobytes(), dtype=np.uint8)
            .reshape(self.height, self.width, 3)
            .copy()
        )
        self.particles.draw(frame, t)
        if self.grain is not None:
            self.grain.draw(frame, i)
        self.captions.draw(frame, t)
        if self.lightning is not None:
            strength = self.lightning.strength(t)
            if strength > 0.0:
                flash(frame, strength)
        return frame

    def _paste_with_cameos(self, picture: Image.Image, layout: Layout, cameos: CameoBank) -> None:
        """Sprites and cameos back to front by where they stand; a cameo in front on a tie."""
        items: list[PlacedSprite | PlacedCameo] = [*layout.sprites, *layout.cameos]
        items.sort(key=lambda item: item.paste_at[1] + item.size[1])  # stable: keeps ties
        for item in items:
            if isinstance(item, PlacedCameo):
                image = cameos.image(item)
            else:
                image = self.sprites.image(item)
            picture.paste(image, item.paste_at, image)
