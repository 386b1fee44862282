"""The `preview` backend: a procedural animatic of the storyboard, drawn on the CPU.

It is not a neural model: it draws what the storyboard says with vector sprites over painted,
layered backgrounds, fast enough to render and encode a 10 s clip in a few seconds on a laptop,
so the whole platform can be run and tested without a GPU.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import numpy as np

from reelmint.engine.audio import soundtrack
from reelmint.engine.backends.base import (
    STANDARD_SIZES,
    BackendOptions,
    Clip,
    ProgressCallback,
    ProgressEvent,
    RenderParams,
    Size,
    SourceType,
    no_progress,
)
from reelmint.engine.backends.preview.cameos import CameoPortraits
from reelmint.engine.backends.preview.compositor import ShotRenderer
from reelmint.engine.backends.preview.particles import fade
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.storyboard import Storyboard
from reelmint.engine.timing import ShotSpan, shot_spans

FADE_FRAMES = 6
PROGRESS_EVERY = 6


class PreviewBackend:
    """Procedural animatic renderer (numpy + Pillow); see the module docstring.

    Cameo photos (`RenderParams.cameo_images`) become characters of every shot (cameos.py).
    """

    name: ClassVar[str] = "preview"
    description: ClassVar[str] = (
        "procedural animatic (CPU): draws the storyboard with vector sprites; not a neural model"
    )
    sizes: ClassVar[tuple[Size, ...]] = STANDARD_SIZES
    min_seconds: ClassVar[float] = 4
    max_seconds: ClassVar[float] = 20
    fps: ClassVar[int] = 24
    needs_gpu: ClassVar[bool] = False
    gpu_seconds_per_clip_second: ClassVar[float] = 0.0
    source_type: ClassVar[SourceType] = "algorithmic"
    uses_model: ClassVar[bool] = False
    accepts_reference_images: ClassVar[bool] = False

    def __init__(self, options: BackendOptions | None = None) -> None:
        """Nothing to load; `options` exist for the Protocol and are ignored."""

    def render(
        self, storyboard: Storyboard, params: RenderParams, progress: ProgressCallback = no_progress
    ) -> Clip:
        """Return at once; frames are drawn lazily as the encoder pulls them."""
        if params.reference_images:
            raise InvalidRequest(
                "the preview backend does not use reference images; give the image to a model "
                "backend that animates it (--backend wan with an image-to-video model folder)",
                code="reference_image_unsupported",
            )
        spans = shot_spans(storyboard, params.fps)
        frame_count = spans[-1].stop
        # decoded now, so a photo that cannot be read fails the render before any encoding
        portraits = CameoPortraits.load(params.cameo_images) if params.cameo_images else None
        facts = {"backend": self.name, "renderer": "procedural animatic (numpy + Pillow)"}
        if portraits is not None:
            facts["cameos"] = str(len(portraits))
        return Clip(
            size=params.size,
            fps=params.fps,
            frame_count=frame_count,
            frames=_frames(spans, params, frame_count, progress, portraits),
            audio=soundtrack(storyboard, fps=params.fps, seed=params.seed),
            facts=facts,
        )


def _frames(
    spans: list[ShotSpan],
    params: RenderParams,
    frame_count: int,
    progress: ProgressCallback,
    portraits: CameoPortraits | None = None,
) -> Iterator[np.ndarray]:
    """Every frame of the clip in order, each shot prepared only when it is reached."""
    shots = len(spans)
    for span in spans:
        if span.frames == 0:
            progress(ProgressEvent(stage="render", shot=span.index, shots=shots, done=0, total=0))
            continue
        renderer = ShotRenderer(span, params, portraits)
        for i in range(span.frames):
            frame = renderer.frame(i)
            _fade_clip_ends(frame, span.start + i, frame_count)
            done = i + 1
            if done % PROGRESS_EVERY == 0 or done == span.frames:
                progress(
                    ProgressEvent(
                        stage="render", shot=span.index, shots=shots, done=done, total=span.frames
                    )
                )
            yield frame


def _fade_clip_ends(frame: np.ndarray, number: int, frame_count: int) -> None:
    """A few frames' fade from black at the start of the clip and to black at its end."""
    edge = min(number, frame_count - 1 - number)
    if edge < FADE_FRAMES:
        fade(frame, (edge + 1) / (FADE_FRAMES + 1))
