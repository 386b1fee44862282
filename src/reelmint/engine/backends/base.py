"""The backend Protocol: what every renderer (procedural or neural) provides.

Metadata lives in class attributes so that admission can price and check a request without
loading a model (diffusers declares `model_cpu_offload_seq` and `_optional_components` the
same way). `render` returns a `Clip` whose frames are produced lazily, so encoding can start
while the backend is still drawing, and a 20 s 720p clip never sits in memory whole.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal, Protocol, runtime_checkable

import numpy as np

from reelmint.engine.errors import InvalidRequest
from reelmint.engine.storyboard import Storyboard

AUDIO_SAMPLE_RATE = 48_000

# How the pixels came to be, in the words of the IPTC digital source types that C2PA records:
# "algorithmic" = made by an algorithm with no trained model (the procedural preview);
# "trained_algorithmic" = made by a trained model (Wan, LTX-Video, ...).
SourceType = Literal["algorithmic", "trained_algorithmic"]


@dataclass(frozen=True, order=True)
class Size:
    """A frame size in pixels, written `WIDTHxHEIGHT` as in the OpenAI Videos API."""

    width: int
    height: int

    @classmethod
    def parse(cls, text: str) -> Size:
        parts = text.lower().strip().split("x")
        # ASCII digits only ("²" passes str.isdigit, and int() refuses it), and few of them
        if len(parts) != 2 or not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
            raise InvalidRequest(
                f"size {text[:40]!r} is not WIDTHxHEIGHT, e.g. 854x480", code="invalid_size"
            )
        return cls(int(parts[0]), int(parts[1]))

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True)
class RenderParams:
    """What a backend needs besides the storyboard.

    `reference_images`: input images a backend must use or refuse (image-to-video).
    `cameo_images`: people's likenesses (checked, at most two); every backend accepts them and
    uses what it can: the preview draws each as a character, an image-to-video model starts from
    the first when no reference image was given, and the others ignore them.
    """

    size: Size
    fps: int
    seed: int
    reference_images: tuple[Path, ...] = ()
    cameo_images: tuple[Path, ...] = ()


@dataclass(frozen=True)
class ModelSpeed:
    """Speed options of neural backends; each trades something, see docs/operations.md.

    Lossless: compile, batch_cfg, cache_prompt_embeddings (same output, within float error).
    Memory for speed: vae_tiling and cpu_offload let a small GPU run a large model, slower.
    Lossy, opt-in: first_block_cache (a residual-difference threshold, e.g. 0.05; None = off).
    attention: "auto" picks an exact fused kernel where it is faster (cuDNN on Hopper GPUs),
    "default" keeps PyTorch's choice, any other value names a diffusers attention backend.
    """

    compile: bool = False
    batch_cfg: bool = True
    cache_prompt_embeddings: bool = True
    vae_tiling: bool = False
    cpu_offload: bool = False
    first_block_cache: float | None = None
    attention: str = "auto"


@dataclass(frozen=True)
class BackendOptions:
    """How to construct a backend. The preview backend ignores every field."""

    model_path: Path | None = None
    steps: int | None = None
    guidance: float | None = None
    device: str | None = None
    speed: ModelSpeed = field(default_factory=ModelSpeed)

    @property
    def names_model_settings(self) -> bool:
        return any(v is not None for v in (self.model_path, self.steps, self.guidance))


@dataclass(frozen=True)
class ProgressEvent:
    """A step of work done on shot `shot` (0-based) of `shots`.

    `stage` is e.g. "render", "denoise", "decode" or "sign"; `done` of `total` units.
    """

    stage: str
    shot: int
    shots: int
    done: int
    total: int


ProgressCallback = Callable[[ProgressEvent], None]


def no_progress(event: ProgressEvent) -> None:
    """A progress callback that ignores every event."""


@dataclass
class Clip:
    """A rendered clip: `frame_count` RGB frames (H x W x 3, uint8) and a stereo track.

    `frames` may be a generator: it is iterated exactly once, by the encoder.
    `audio` is float32 of shape (samples, 2) in [-1, 1] at `sample_rate`.
    """

    size: Size
    fps: int
    frame_count: int
    frames: Iterable[np.ndarray]
    audio: np.ndarray
    sample_rate: int = AUDIO_SAMPLE_RATE
    facts: dict[str, str] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.frame_count / self.fps


@runtime_checkable
class Backend(Protocol):
    """A renderer. Metadata is read from the class, before any instance is made."""

    name: ClassVar[str]
    description: ClassVar[str]
    sizes: ClassVar[tuple[Size, ...]]
    min_seconds: ClassVar[float]
    max_seconds: ClassVar[float]
    fps: ClassVar[int]
    needs_gpu: ClassVar[bool]
    gpu_seconds_per_clip_second: ClassVar[float]
    source_type: ClassVar[SourceType]
    uses_model: ClassVar[bool]
    # Whether the backend can take reference images at all; a model backend may still refuse
    # them (or require them) for a particular model folder, before it loads any weights.
    accepts_reference_images: ClassVar[bool]

    def __init__(self, options: BackendOptions) -> None: ...

    def render(
        self, storyboard: Storyboard, params: RenderParams, progress: ProgressCallback
    ) -> Clip: ...


STANDARD_SIZES: tuple[Size, ...] = (
    Size(854, 480),
    Size(480, 854),
    Size(480, 480),
    Size(1280, 720),
    Size(720, 1280),
    Size(720, 720),
)
