"""Pure layout: where the camera is and where every sprite is, at any time of a shot.

The renderer draws exactly what `Scene.at(t)` says, and tests ask the same function where a red
car is instead of searching the picture for it. Nothing here draws; sizes come from the sprite
table, positions from the setting's landmarks and each motion's path.

Cameos (people's photos, at most two) are extra characters of every shot: each stands beside
the shot's main subject and moves with it (the travelling lead, else the first person, else the
first subject), one on each side; with no subject they stand side by side mid-frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from reelmint.engine.backends.base import RenderParams
from reelmint.engine.backends.preview.camera import (
    CameraRig,
    CameraState,
    Shake,
    ease,
    frame_to_screen,
)
from reelmint.engine.backends.preview.sprites import (
    KIND_SPECS,
    KindSpec,
    body_colour,
    canvas_height,
    canvas_width,
)
from reelmint.engine.backends.preview.sprites.pen import PAD
from reelmint.engine.backends.preview.stage import SIZE_FRACTION, Stage
from reelmint.engine.storyboard import Shot, Subject
from reelmint.engine.timing import (
    BEAT_LOCKED,
    CIRCLE_PERIOD,
    FALL_SECONDS,
    JUMP_PERIOD,
    SPIN_TURNS_PER_SECOND,
    STEP_PERIOD,
)
from reelmint.engine.vocabulary import SUBJECT_CATEGORIES

POSES = 4
ROTATIONS = 12
SCALE_STEP = 1.03

# Travel speeds in frame short-sides per second.
SPEED = {
    "walk": 0.14,
    "run": 0.36,
    "drive": 0.42,
    "fly": 0.3,
    "swim": 0.16,
    "jump": 0.16,
    "float": 0.05,
}
TRAVELLING = frozenset(SPEED)
# Motions whose beats the soundtrack hears: every copy keeps the same beat.
ANIMATED = frozenset(
    {"walk", "run", "drive", "fly", "swim", "jump", "dance", "circle", "approach", "retreat"}
)
APPROACH_SCALE = (0.55, 1.55)

# Seed streams, so that adding dialogue never moves a sprite and so on.
STREAM_SUBJECTS = 1
STREAM_CAMERA = 2
STREAM_CAMEOS = 7  # 3 to 6 are the compositor's

# A cameo is its photo in an upright oval, this tall (of the frame's short side) and this wide
# (of its height), with a margin (of its height) around it for the outline and the shadows.
CAMEO_HEIGHT = 0.34
CAMEO_ASPECT = 0.78
CAMEO_PAD = 0.08
CAMEO_GAP = 0.08  # between a cameo and the subject it accompanies, of the cameo's width
# Motions after which a ground subject's feet are no longer on the ground line.
_UNGROUNDED_MOTIONS = frozenset({"fly", "swim", "float", "fall"})


def shot_rng(seed: int, shot_index: int, stream: int) -> np.random.Generator:
    """The generator for one purpose of one shot: independent of every other stream."""
    return np.random.default_rng([seed & 0xFFFFFFFF, shot_index, stream])


@dataclass(frozen=True)
class CopyPlan:
    """One copy of a subject: its place in the group and its small differences."""

    home_x: float
    depth: float
    scale: float
    phase: float
    delay: float


@dataclass(frozen=True)
class SubjectPlan:
    """A subject as the shot stages it: its sprite, size, and every copy's place."""

    index: int
    subject: Subject
    spec: KindSpec
    colour: tuple[int, int, int]
    height: float
    poses: int
    copies: tuple[CopyPlan, ...]

    @property
    def spins(self) -> bool:
        return self.subject.motion == "spin"

    @property
    def max_scale(self) -> float:
        """The largest a copy ever gets, so its master drawing is made big enough once."""
        motion = {"approach": APPROACH_SCALE[1], "retreat": APPROACH_SCALE[1], "circle": 1.15}
        return max(c.scale for c in self.copies) * motion.get(self.subject.motion, 1.0)


@dataclass(frozen=True)
class PlacedSprite:
    """One sprite in one frame.

    `paste_at` and `size` place the sprite image in the composed frame before the camera's
    zoom; `bbox` = (x0, y0, x1, y1) is where it ends up in the delivered frame, in pixels.
    `colour` is the body colour asked for (before light and style).
    """

    subject: int
    copy: int
    kind: str
    colour: tuple[int, int, int]
    pose: int
    rotation: int
    mirrored: bool
    paste_at: tuple[int, int]
    size: tuple[int, int]
    bbox: tuple[int, int, int, int]


@dataclass(frozen=True)
class CameoPlan:
    """Where one cameo stands in a shot.

    With an `anchor` (subject index, copy index) it keeps `offset` pixels beside that copy and
    moves with it (following its feet when `grounded`, else standing on the ground line);
    without one, `offset` is its world x. `height` is the photo's height at rest, in pixels.
    """

    index: int
    height: float
    anchor: tuple[int, int] | None
    offset: float
    grounded: bool
    phase: float


@dataclass(frozen=True)
class PlacedCameo:
    """One cameo in one frame: its sprite image is `size` (the photo's oval plus a margin),
    pasted at `paste_at` before the camera's zoom; `bbox` is the whole image and `portrait` the
    photo's oval, (x0, y0, x1, y1) in the delivered frame."""

    cameo: int
    paste_at: tuple[int, int]
    size: tuple[int, int]
    portrait_size: tuple[int, int]
    bbox: tuple[int, int, int, int]
    portrait: tuple[int, int, int, int]

    @property
    def bottom(self) -> int:
        return self.paste_at[1] + self.size[1]


@dataclass(frozen=True)
class Layout:
    """The whole picture's geometry at one instant."""

    camera: CameraState
    sprites: tuple[PlacedSprite, ...]
    cameos: tuple[PlacedCameo, ...] = ()


@dataclass(frozen=True)
class _Placement:
    """A copy's state before it becomes pixels: world centre-x, world bottom-y, and so on."""

    x: float
    bottom: float
    scale: float
    phase: float
    rotation: int
    mirrored: bool


def quantise_scale(scale: float) -> float:
    """Scales snap to 3 % steps so an approaching subject reuses a few dozen cached images."""
    return SCALE_STEP ** round(math.log(max(scale, 1e-3)) / math.log(SCALE_STEP))


def cameo_size(height: float) -> tuple[tuple[int, int], int]:
    """A cameo photo's (width, height) in pixels when `height` tall, and its margin."""
    h = max(8, round(height))
    return (max(6, round(h * CAMEO_ASPECT)), h), max(3, round(h * CAMEO_PAD))


def sprite_size(spec: KindSpec, height: float, spins: bool) -> tuple[int, int]:
    """Pixel size of a sprite image drawn `height` tall; a spinning one is a square."""
    h_px = max(4, round(height))
    w, h = canvas_width(spec.aspect, h_px), canvas_height(h_px)
    if spins:
        side = math.ceil(math.hypot(w, h))
        return side, side
    return w, h


class Scene:
    """One shot staged: the plan of every subject and the camera rig."""

    def __init__(self, shot: Shot, params: RenderParams, shot_index: int = 0) -> None:
        self.shot = shot
        self.width, self.height = params.size.width, params.size.height
        self.stage = Stage.of(shot.setting, self.width, self.height)
        rng = shot_rng(params.seed, shot_index, STREAM_SUBJECTS)
        self.plans = tuple(self._plan_subject(i, s, rng) for i, s in enumerate(shot.subjects))
        self.lead = self._lead()
        self.cameo_plans = (
            self._plan_cameos(
                len(params.cameo_images), shot_rng(params.seed, shot_index, STREAM_CAMEOS)
            )
            if params.cameo_images
            else ()
        )
        self.rig = CameraRig(
            move=shot.camera,
            duration=shot.duration,
            width=self.width,
            height=self.height,
            shake=Shake.seeded(shot_rng(params.seed, shot_index, STREAM_CAMERA)),
            lead_offset=self._lead_offset if self.lead is not None else None,
        )

    # -- planning --------------------------------------------------------------------------
    def _plan_subject(self, index: int, subject: Subject, rng: np.random.Generator) -> SubjectPlan:
        spec = KIND_SPECS[subject.kind]
        height = min(self.stage.unit * SIZE_FRACTION[subject.size] * spec.scale, self.height * 0.95)
        # A spinning sprite turns through ROTATIONS images already; poses on top would
        # multiply them for little to see.
        animated = subject.motion in ANIMATED or (spec.lively and subject.motion != "spin")
        copies = self._plan_copies(index, subject, spec, height, rng)
        return SubjectPlan(
            index=index,
            subject=subject,
            spec=spec,
            colour=body_colour(subject.kind, subject.colour),
            height=height,
            poses=POSES if animated else 1,
            copies=copies,
        )

    def _plan_copies(
        self, index: int, subject: Subject, spec: KindSpec, height: float, rng: np.random.Generator
    ) -> tuple[CopyPlan, ...]:
        """Spread `count` copies around the subject's slot, staggered in depth when crowded."""
        n_subjects = max(1, len(self.shot.subjects))
        slot = self.width / n_subjects
        centre = slot * (index + 0.5)
        if self.shot.camera == "tracking" and index == self._lead_index():
            centre = self.width / 2.0
        count = subject.count
        sprite_w = spec.aspect * height
        spacing = min(sprite_w * 1.15, max(slot * 0.9, sprite_w) / count) if count > 1 else 0.0
        crowded = count > 1 and spacing < sprite_w * 0.9
        base_depth = 0.12 * (index % 3)
        locked = subject.motion in BEAT_LOCKED
        copies = []
        for k in range(count):
            jitter = float(rng.uniform(-0.12, 0.12)) * max(spacing, sprite_w * 0.3)
            copies.append(
                CopyPlan(
                    home_x=centre
                    + (k - (count - 1) / 2.0) * spacing
                    + (jitter if count > 1 else jitter * 0.3),
                    depth=base_depth + (0.35 if crowded and k % 2 else 0.0),
                    scale=float(rng.uniform(0.94, 1.06)) if count > 1 else 1.0,
                    phase=0.0 if locked else float(rng.uniform(0.0, 1.0)),
                    delay=0.0 if k == 0 else float(rng.uniform(0.0, 0.6)),
                )
            )
        return tuple(copies)

    def _lead_index(self) -> int | None:
        for i, s in enumerate(self.shot.subjects):
            if s.motion in TRAVELLING:
                return i
        return None

    def _lead(self) -> SubjectPlan | None:
        index = self._lead_index()
        return None if index is None else self.plans[index]

    def _lead_offset(self, t: float) -> float:
        assert self.lead is not None
        return self._travel(self.lead, t)

    def _main_subject(self) -> SubjectPlan | None:
        """The subject cameos accompany: the travelling lead (the camera follows it), else the
        first person, else the first subject."""
        if self.lead is not None:
            return self.lead
        for plan in self.plans:
            if SUBJECT_CATEGORIES[plan.subject.kind] == "person":
                return plan
        return self.plans[0] if self.plans else None

    def _plan_cameos(self, count: int, rng: np.random.Generator) -> tuple[CameoPlan, ...]:
        """Beside the main subject, the first cameo behind it and the second ahead of it;
        with no subject, side by side in the middle. Each stays in frame at mid-shot."""
        height = self.stage.unit * CAMEO_HEIGHT
        width = height * CAMEO_ASPECT
        phases = [float(rng.uniform(0.0, 1.0)) for _ in range(count)]
        main = self._main_subject()
        if main is None:
            homes = [self.width / 2.0 + (k - (count - 1) / 2.0) * 1.2 * width for k in range(count)]
            return tuple(
                CameoPlan(k, height, None, homes[k], False, phases[k]) for k in range(count)
            )
        behind = -self._direction(main.subject)
        margin = width / 2 + 0.02 * self.width
        low, high = margin, max(margin, self.width - margin)
        grounded = main.spec.habitat == "ground" and main.subject.motion not in _UNGROUNDED_MOTIONS
        plans = []
        for k in range(count):
            side = behind if k == 0 else -behind
            copy_index = max(range(len(main.copies)), key=lambda i: side * main.copies[i].home_x)
            copy = main.copies[copy_index]
            reach = main.spec.aspect * main.height * copy.scale / 2 + width * (0.5 + CAMEO_GAP)
            home = min(high, max(low, copy.home_x + side * reach))
            plans.append(
                CameoPlan(
                    k, height, (main.index, copy_index), home - copy.home_x, grounded, phases[k]
                )
            )
        return tuple(plans)

    # -- motion ----------------------------------------------------------------------------
    def _direction(self, subject: Subject) -> float:
        return -1.0 if subject.direction == "left" else 1.0

    def _speed(self, plan: SubjectPlan) -> float:
        """Pixels per second; big things stride further, tiny ones scurry less far."""
        base = SPEED.get(plan.subject.motion, 0.0) * self.stage.unit
        relative = plan.height / (self.stage.unit * SIZE_FRACTION["medium"])
        return base * min(1.6, max(0.6, math.sqrt(relative)))

    def _travel(self, plan: SubjectPlan, t: float) -> float:
        """How far a travelling subject has moved from its mid-shot place."""
        return self._direction(plan.subject) * self._speed(plan) * (t - self.shot.duration / 2.0)

    def _anchor(self, plan: SubjectPlan, copy: CopyPlan, h: float) -> float:
        """World y of the copy's bottom edge when resting, by motion first, then habitat."""
        stage, motion = self.stage, plan.subject.motion
        lift = copy.depth * 0.1 * self.height
        habitat = plan.spec.habitat
        if motion == "fall" and habitat == "air":
            habitat = "ground"
        if motion == "fly":
            return stage.air_y + h / 2 - lift
        if motion == "swim":
            return stage.swim_y + h / 2 - lift * 0.5
        if motion == "float":
            return stage.y(0.42) + h / 2 - lift
        if habitat == "air":
            return stage.air_y + h / 2 - lift
        if habitat == "water":
            return stage.swim_y + h / 2 - lift * 0.5
        if habitat == "surface":
            return stage.surface_y + 0.1 * h - lift * 0.4
        return stage.ground_y - lift

    def _place(self, plan: SubjectPlan, copy: CopyPlan, t: float) -> _Placement:
        """The copy's world position, scale and pose at time t: one motion's path."""
        subject = plan.subject
        motion, direction = subject.motion, self._direction(subject)
        duration = self.shot.duration
        scale = copy.scale * (1.0 - 0.22 * copy.depth)
        h = plan.height * scale
        x, bottom = copy.home_x, self._anchor(plan, copy, h)
        phase = t * 2.0 + copy.phase
        rotation, mirrored = 0, direction < 0
        unit = self.stage.unit
        if motion in TRAVELLING:
            x += self._travel(plan, t)
        match motion:
            case "walk" | "run":
                step = STEP_PERIOD[motion]
                bottom -= 0.05 * h * abs(math.sin(math.pi * t / step))
                phase = t / (2.0 * step)
            case "drive":
                phase = t * 2.5 + copy.phase
            case "fly":
                bottom += 0.05 * unit * math.sin(2 * math.pi * (t / 3.0 + copy.phase))
                phase = t * 3.0 + copy.phase
            case "swim":
                bottom += 0.04 * unit * math.sin(2 * math.pi * (t / 2.0 + copy.phase))
                phase = t * 1.5 + copy.phase
            case "jump":
                q = (t / JUMP_PERIOD) % 1.0
                bottom -= (0.5 * h + 0.08 * unit) * 4.0 * q * (1.0 - q)
                phase = q
            case "dance":
                step = STEP_PERIOD["dance"]
                x += 0.05 * unit * math.sin(math.pi * t / step)
                bottom -= 0.06 * h * abs(math.sin(math.pi * t / step))
                phase = t / (2.0 * step)
            case "spin":
                turns = t * SPIN_TURNS_PER_SECOND * direction
                rotation = math.floor(turns * ROTATIONS) % ROTATIONS
                bottom -= 0.02 * h * (1 + math.sin(2 * math.pi * t / 1.5))
            case "float":
                bottom += 0.04 * unit * math.sin(2 * math.pi * (t / 5.0 + copy.phase))
            case "fall":
                fall = min(FALL_SECONDS, 0.5 * duration)
                q = min(1.0, max(0.0, (t - copy.delay) / fall))
                start = -0.15 * self.height
                bottom = start + (bottom - start) * q * q
            case "circle":
                angle = 2 * math.pi * (t / CIRCLE_PERIOD + copy.phase) * direction
                x += 0.22 * unit * math.cos(angle)
                bottom -= 0.05 * unit * (1.0 - math.sin(angle))
                scale *= 1.0 + 0.12 * math.sin(angle)
                mirrored = -math.sin(angle) * direction < 0
                phase = t / (2.0 * STEP_PERIOD["walk"])
            case "approach" | "retreat":
                u = ease(t / duration if duration > 0 else 1.0)
                near = u if motion == "approach" else 1.0 - u
                low, high = APPROACH_SCALE
                scale *= low + (high - low) * near
                bottom += self.height * (0.06 * near - 0.12 * (1.0 - near))
                bottom = min(bottom, self.height * 1.02)
                phase = t / (2.0 * STEP_PERIOD["walk"])
            case _:
                breath = max(1.0, 0.015 * h) if plan.spec.habitat != "air" else 0.03 * unit
                bottom -= breath * 0.5 * (1.0 + math.sin(2 * math.pi * (t / 2.4 + copy.phase)))
        return _Placement(x, bottom, scale, phase, rotation, mirrored)

    # -- the public questions ----------------------------------------------------------------
    def camera(self, t: float) -> CameraState:
        return self.rig.at(t)

    def at(self, t: float) -> Layout:
        """The camera and every sprite at `t` seconds into the shot, back to front."""
        camera = self.camera(t)
        placed: list[tuple[float, int, PlacedSprite]] = []
        for plan in self.plans:
            for k, copy in enumerate(plan.copies):
                sprite = self._sprite(plan, k, self._place(plan, copy, t), camera)
                placed.append((sprite.paste_at[1] + sprite.size[1], plan.index * 100 + k, sprite))
        placed.sort(key=lambda item: (item[0], item[1]))
        cameos = tuple(self._cameo(c, t, camera) for c in self.cameo_plans)
        return Layout(camera=camera, sprites=tuple(item[2] for item in placed), cameos=cameos)

    def _cameo_place(self, cameo: CameoPlan, t: float) -> tuple[float, float, float]:
        """A cameo's world centre-x, world bottom-y and scale at time t."""
        x, scale, bottom = cameo.offset, 1.0, self.stage.ground_y
        if cameo.anchor is not None:
            subject, k = cameo.anchor
            plan = self.plans[subject]
            copy = plan.copies[k]
            where = self._place(plan, copy, t)
            if cameo.grounded:
                # the motion's own growth (approach, circle), not the copy's depth or size
                scale = where.scale / (copy.scale * (1.0 - 0.22 * copy.depth))
                bottom = where.bottom
            x = where.x + cameo.offset * scale
        if not cameo.grounded:  # standing on the ground line, breathing
            breath = max(1.0, 0.015 * cameo.height)
            bottom -= breath * 0.5 * (1.0 + math.sin(2 * math.pi * (t / 2.4 + cameo.phase)))
        return x, bottom, scale

    def _cameo(self, cameo: CameoPlan, t: float, camera: CameraState) -> PlacedCameo:
        x, bottom, scale = self._cameo_place(cameo, t)
        (w, h), pad = cameo_size(cameo.height * quantise_scale(scale))
        size = (w + 2 * pad, h + 2 * pad)
        screen_x = self._wrap(x - camera.x, size[0])
        x0, y0 = round(screen_x - size[0] / 2), round(bottom - camera.y - h - pad)
        return PlacedCameo(
            cameo=cameo.index,
            paste_at=(x0, y0),
            size=size,
            portrait_size=(w, h),
            bbox=self._screen_box(camera, x0, y0, *size),
            portrait=self._screen_box(camera, x0 + pad, y0 + pad, w, h),
        )

    def _screen_box(
        self, camera: CameraState, x0: int, y0: int, w: int, h: int
    ) -> tuple[int, int, int, int]:
        fx0, fy0 = frame_to_screen(camera, x0, y0, self.width, self.height)
        fx1, fy1 = frame_to_screen(camera, x0 + w, y0 + h, self.width, self.height)
        return (round(fx0), round(fy0), round(fx1), round(fy1))

    def _sprite(
        self, plan: SubjectPlan, k: int, where: _Placement, camera: CameraState
    ) -> PlacedSprite:
        scale = quantise_scale(where.scale)
        w, h = sprite_size(plan.spec, plan.height * scale, plan.spins)
        drawn_h = max(4, round(plan.height * scale))
        pad = PAD * drawn_h
        screen_x = self._wrap(where.x - camera.x, w)
        if plan.spins:
            top = where.bottom - camera.y - drawn_h / 2 - h / 2
        else:
            top = where.bottom - camera.y - drawn_h - pad
        x0, y0 = round(screen_x - w / 2), round(top)
        fx0, fy0 = frame_to_screen(camera, x0, y0, self.width, self.height)
        fx1, fy1 = frame_to_screen(camera, x0 + w, y0 + h, self.width, self.height)
        return PlacedSprite(
            subject=plan.index,
            copy=k,
            kind=plan.subject.kind,
            colour=plan.colour,
            pose=math.floor(where.phase * plan.poses) % plan.poses,
            rotation=where.rotation,
            mirrored=where.mirrored,
            paste_at=(x0, y0),
            size=(w, h),
            bbox=(round(fx0), round(fy0), round(fx1), round(fy1)),
        )

    def _wrap(self, x: float, w: int) -> float:
        """Keep a sprite's centre within one frame width of view: what leaves one side returns."""
        margin = w / 2 + 0.02 * self.width
        period = self.width + 2 * margin
        return (x + margin) % period - margin


def layout(shot: Shot, params: RenderParams, t: float, *, shot_index: int = 0) -> Layout:
    """Where the camera and every sprite of `shot` are at `t` seconds (what the renderer draws)."""
    return Scene(shot, params, shot_index).at(t)
