"""One generation, end to end: request -> storyboard -> backend -> watermark -> MP4 -> C2PA.

`check_request` validates everything a backend's metadata can decide, before any work, so a
bad request fails in milliseconds and (later, at admission) before anything is charged.
`generate` then does the work. The CLI and the worker both call these two functions.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

import reelmint
from reelmint.engine.backends.base import (
    Backend,
    BackendOptions,
    Clip,
    ProgressCallback,
    ProgressEvent,
    RenderParams,
    Size,
    no_progress,
)
from reelmint.engine.backends.registry import create_backend, get_backend
from reelmint.engine.errors import EngineError, InvalidRequest
from reelmint.engine.images import check_image_file
from reelmint.engine.postprocess.encode import EncodeSettings, encode_mp4
from reelmint.engine.postprocess.poster import poster_index, save_poster
from reelmint.engine.postprocess.provenance import (
    GenerationFacts,
    ProvenanceSigner,
    prompt_sha256,
)
from reelmint.engine.postprocess.watermark import Watermark
from reelmint.engine.storyboard import MAX_PROMPT_CHARS, Storyboard, plan
from reelmint.engine.timing import is_whole_frames, nearest_whole_frames, seconds_text

MAX_SEED = 2**32 - 1
MAX_CAMEOS = 2
"""A prompt may use at most two cameos (people's likenesses), as the cameo rules say."""
# Storyboard durations are sums of floats: 6.4 + 9.8 + 3.8 is 20.000000000000004.
_SECONDS_TOLERANCE = 1e-6


@dataclass(frozen=True)
class GenerationRequest:
    """What a user asked for. Exactly one of `prompt` and `storyboard` is given.

    `reference_images` are input images that only some backends can take (image-to-video);
    `cameo_images` are people's likenesses (one photo per cameo, at most two), which every
    backend accepts and uses as far as it can: the preview draws them into the scene, an
    image-to-video model starts from the first one, the others ignore them.
    """

    backend: str
    size: Size
    seconds: float | None = None
    prompt: str | None = None
    storyboard: Storyboard | None = None
    seed: int | None = None
    options: BackendOptions = field(default_factory=BackendOptions)
    reference_images: tuple[Path, ...] = ()
    cameo_images: tuple[Path, ...] = ()


@dataclass(frozen=True)
class CheckedRequest:
    """A request that passed every check, with its storyboard planned and its seed fixed."""

    backend_class: type[Backend]
    storyboard: Storyboard
    size: Size
    seed: int
    options: BackendOptions
    reference_images: tuple[Path, ...] = ()
    cameo_images: tuple[Path, ...] = ()

    @property
    def seconds(self) -> float:
        return self.storyboard.seconds

    @property
    def input_images(self) -> tuple[Path, ...]:
        """Every file the generation reads: the output must never overwrite one of them."""
        return self.reference_images + self.cameo_images


@dataclass(frozen=True)
class GenerationResult:
    """What `generate` made: a signed MP4 and its poster."""

    path: Path
    poster_path: Path
    backend: str
    seed: int
    size: Size
    fps: int
    seconds: float
    frame_count: int
    storyboard: Storyboard
    prompt_sha256: str
    created_at: datetime


def check_request(request: GenerationRequest, *, default_seconds: float = 8.0) -> CheckedRequest:
    """Validate a request against the backend's metadata and plan its storyboard (no rendering)."""
    backend_class = get_backend(request.backend)
    _check_size(backend_class, request.size)
    _check_seed(request.seed)
    _check_reference_images(backend_class, request.reference_images)
    _check_cameo_images(request.cameo_images)
    if request.storyboard is not None:
        if request.prompt is not None:
            raise InvalidRequest(
                "give either a prompt or a storyboard, not both: a storyboard carries the "
                "prompt of each shot",
                code="invalid_request",
            )
        storyboard = request.storyboard
        if request.seconds is not None and abs(storyboard.seconds - request.seconds) > 1e-6:
            raise InvalidRequest(
                f"the storyboard lasts {storyboard.seconds:g} s but {request.seconds:g} s were "
                "asked for; drop the seconds or fix the durations",
                code="invalid_seconds",
            )
        _check_seconds(backend_class, storyboard.seconds)
        _check_whole_frames(backend_class, storyboard.seconds, asked=request.seconds is not None)
    else:
        prompt = _check_prompt(request.prompt)
        seconds = request.seconds
        if seconds is None:
            seconds = min(
                max(default_seconds, backend_class.min_seconds), backend_class.max_seconds
            )
        _check_seconds(backend_class, seconds)
        _check_whole_frames(backend_class, seconds, asked=True)
        storyboard = plan(prompt, seconds=seconds)
    seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
    return CheckedRequest(
        backend_class=backend_class,
        storyboard=storyboard,
        size=request.size,
        seed=seed,
        options=request.options,
        reference_images=request.reference_images,
        cameo_images=request.cameo_images,
    )


def poster_path_for(out: Path) -> Path:
    """Where the poster of `out` goes: beside it, named so it cannot be mistaken for an input."""
    return out.with_name(f"{out.stem}.poster.jpg")


def generate(
    checked: CheckedRequest,
    *,
    out: Path,
    keys_dir: Path,
    encode: EncodeSettings | None = None,
    progress: ProgressCallback = no_progress,
    backend: Backend | None = None,
) -> GenerationResult:
    """Render, watermark, encode and sign one clip into `out`, and its poster beside it.

    Steps:
    1. build (or reuse) the backend and render a lazy clip;
    2. encode to a temporary file, watermarking each frame and keeping the poster frame;
    3. write the poster to a temporary file, sign the video into `out` (atomically), then move
       the poster into place.
    If any step fails, `out` and the poster are as they were before: only this run's temporary
    files are removed.
    """
    poster_path = poster_path_for(out)
    _check_output_path(out, poster_path, inputs=checked.input_images)
    created_at = datetime.now(UTC).replace(microsecond=0)
    backend = backend or create_backend(checked.backend_class.name, checked.options)
    params = RenderParams(
        size=checked.size,
        fps=backend.fps,
        seed=checked.seed,
        reference_images=checked.reference_images,
        cameo_images=checked.cameo_images,
    )
    # 1. render (lazily: frames are drawn while the encoder consumes them)
    clip = backend.render(checked.storyboard, params, progress)
    _make_output_folder(out)
    watermark = Watermark(clip.size, clip.fps)
    wanted_poster = poster_index(clip.frame_count)
    poster_frame: list[np.ndarray] = []

    def finish_frame(index: int, frame: np.ndarray) -> None:
        watermark.apply(frame, index)
        if index == wanted_poster:
            poster_frame.append(frame.copy())

    tag = f"{os.getpid()}.{secrets.token_hex(4)}"
    unsigned = out.with_name(f".{out.stem}.{tag}.unsigned.mp4")
    poster_tmp = out.with_name(f".{out.stem}.{tag}.poster.jpg")
    try:
        # 2. encode
        encode_mp4(
            clip.frames,
            size=clip.size,
            fps=clip.fps,
            frame_count=clip.frame_count,
            audio=clip.audio,
            sample_rate=clip.sample_rate,
            out=unsigned,
            settings=encode or EncodeSettings(),
            on_frame=finish_frame,
        )
        progress(ProgressEvent(stage="sign", shot=0, shots=1, done=0, total=1))
        # 3. poster aside, sign into place, poster into place
        save_poster(poster_frame[0], poster_tmp)
        facts = _facts(checked, clip, created_at)
        ProvenanceSigner(keys_dir).sign_file(unsigned, out, facts)
        os.replace(poster_tmp, poster_path)
        progress(ProgressEvent(stage="sign", shot=0, shots=1, done=1, total=1))
    finally:
        unsigned.unlink(missing_ok=True)
        poster_tmp.unlink(missing_ok=True)
    return GenerationResult(
        path=out,
        poster_path=poster_path,
        backend=checked.backend_class.name,
        seed=checked.seed,
        size=clip.size,
        fps=clip.fps,
        seconds=clip.seconds,
        frame_count=clip.frame_count,
        storyboard=checked.storyboard,
        prompt_sha256=facts.prompt_sha256,
        created_at=created_at,
    )


def _facts(checked: CheckedRequest, clip: Clip, created_at: datetime) -> GenerationFacts:
    storyboard_json = checked.storyboard.model_dump_json().encode()
    return GenerationFacts(
        backend=checked.backend_class.name,
        source_type=checked.backend_class.source_type,
        prompt_sha256=prompt_sha256(checked.storyboard.prompt),
        storyboard_sha256=hashlib.sha256(storyboard_json).hexdigest(),
        seed=checked.seed,
        size=str(clip.size),
        seconds=clip.seconds,
        fps=clip.fps,
        created_at=created_at,
        generator_version=reelmint.__version__,
        details=clip.facts,
    )


def _check_prompt(prompt: str | None) -> str:
    if prompt is None or not prompt.strip():
        raise InvalidRequest(
            "the prompt is empty; describe the video you want", code="invalid_prompt"
        )
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InvalidRequest(
            f"the prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}",
            code="invalid_prompt",
        )
    return prompt


def _check_seconds(backend_class: type[Backend], seconds: float) -> None:
    low, high = backend_class.min_seconds, backend_class.max_seconds
    if not low - _SECONDS_TOLERANCE <= seconds <= high + _SECONDS_TOLERANCE:
        raise InvalidRequest(
            f"seconds must be between {low:g} and {high:g} for backend "
            f"{backend_class.name!r}, got {seconds:g}",
            code="invalid_seconds",
        )


def _check_whole_frames(backend_class: type[Backend], seconds: float, *, asked: bool) -> None:
    """A video lasts whole frames of its backend's frame rate: 4.01 s at 24 fps would be
    delivered as 96 frames (4 s), so it is refused, naming the lengths either side. `asked`:
    the length is the request's seconds, else the storyboard's durations added up."""
    fps = backend_class.fps
    if is_whole_frames(seconds, fps):
        return
    below, above = (seconds_text(length) for length in nearest_whole_frames(seconds, fps))
    grid = f"a whole number of frames at {fps} fps (backend {backend_class.name!r})"
    if asked:
        raise InvalidRequest(
            f"seconds must be {grid}; {seconds:g} is not: use {below} or {above}",
            code="invalid_seconds",
        )
    raise InvalidRequest(
        f"the storyboard's shots last {seconds:g} s in all, which is not {grid}; change a "
        f"duration so that they add up to {below} or {above} s",
        code="invalid_storyboard",
    )


def _check_size(backend_class: type[Backend], size: Size) -> None:
    if size not in backend_class.sizes:
        allowed = ", ".join(str(s) for s in backend_class.sizes)
        raise InvalidRequest(
            f"size {size} is not offered by backend {backend_class.name!r}; choose one of "
            f"{allowed}",
            code="invalid_size",
        )


def _check_reference_images(backend_class: type[Backend], images: tuple[Path, ...]) -> None:
    if images and not backend_class.accepts_reference_images:
        raise InvalidRequest(
            f"backend {backend_class.name!r} does not use reference images; give the image to a "
            "model backend that animates it (wan with an image-to-video model folder)",
            code="reference_image_unsupported",
        )
    for image in images:
        check_image_file(image)


def _check_cameo_images(images: tuple[Path, ...]) -> None:
    """At most two cameos, each photo a readable JPEG/PNG/WebP of sane size (header only)."""
    if len(images) > MAX_CAMEOS:
        raise InvalidRequest(
            f"a video may use at most {MAX_CAMEOS} cameos, got {len(images)}; "
            f"leave out {len(images) - MAX_CAMEOS} of them",
            code="too_many_cameos",
        )
    for image in images:
        check_image_file(image, what="cameo image", code="invalid_cameo_image")


def _check_seed(seed: int | None) -> None:
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise InvalidRequest(
            f"seed must be between 0 and {MAX_SEED}, got {seed}", code="invalid_seed"
        )


def _check_output_path(out: Path, poster: Path, *, inputs: tuple[Path, ...]) -> None:
    if out.suffix.lower() != ".mp4":
        raise InvalidRequest(
            f"the output file {str(out)!r} must end in .mp4", code="invalid_output"
        )
    if out.is_dir():
        raise InvalidRequest(f"the output path {str(out)!r} is a folder", code="invalid_output")
    taken = {path.resolve() for path in inputs}
    for path in (out, poster):
        if path.resolve() in taken:
            raise InvalidRequest(
                f"writing {str(path)!r} would overwrite an input file; choose another -o",
                code="invalid_output",
            )


def _make_output_folder(out: Path) -> None:
    """Create the output's folder: only once the backend has accepted the work."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidRequest(
            f"cannot create the output folder {str(out.parent)!r}: {exc.strerror}",
            code="invalid_output",
        ) from exc
    if not os.access(out.parent, os.W_OK):
        raise InvalidRequest(
            f"the output folder {str(out.parent)!r} is not writable", code="invalid_output"
        )


__all__ = [
    "MAX_CAMEOS",
    "CheckedRequest",
    "EngineError",
    "GenerationRequest",
    "GenerationResult",
    "check_request",
    "generate",
]
