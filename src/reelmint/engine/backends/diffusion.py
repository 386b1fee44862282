"""What the diffusion backends (Wan, LTX-Video) share: folders, devices, the loop, the clip.

Both backends load a diffusers-format folder the same way, turn a storyboard into a clip the
same way (one generation per shot, each with its own prompt, clips joined, the preview engine's
ambient bed as sound) and run the same denoising loop, so the speed options (classifier-free
guidance in one batch, cached prompt embeddings, compile, caches, offload) are written and
tested once. `wan.py` and `ltx.py` only say how their model is conditioned and decoded.

Nothing here imports torch or diffusers at module level: the registry and admission read the
backends' metadata without paying for them.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import math
import os
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from reelmint.engine.audio import ambient_track
from reelmint.engine.backends.base import (
    AUDIO_SAMPLE_RATE,
    BackendOptions,
    Clip,
    ModelSpeed,
    ProgressCallback,
    ProgressEvent,
    RenderParams,
    Size,
    SourceType,
)
from reelmint.engine.errors import BackendUnavailable, InvalidRequest
from reelmint.engine.images import load_image
from reelmint.engine.storyboard import Storyboard
from reelmint.engine.timing import ShotSpan, shot_spans

if TYPE_CHECKING:
    import torch
    from PIL import Image

MODELS_EXTRA = "pip install 'reelmint[models]'"
FOLDER_SETTINGS_FILE = "reelmint.json"
"""Optional file in a model folder: {"steps": 30, "guidance": 4.0, "negative_prompt": "..."}."""

OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
}

FACT_MAX_CHARS = 64
"""Clip facts go into the signed C2PA manifest: short strings, never an operator's paths."""

PROMPT_CACHE_ENTRIES = 64
"""Prompt embeddings kept when caching is on; a UMT5 embedding is 512 x 4096 bf16 = 4 MiB."""

_CORE_COMPONENTS = ("transformer", "vae", "text_encoder", "tokenizer", "scheduler")

_log = logging.getLogger(__name__)


# --- the `models` extra, offline mode, device -------------------------------------------------


def require_models_extra(backend: str) -> None:
    """Fail with an install hint, before any work, when torch or diffusers is missing."""
    missing = [
        name
        for name in ("torch", "diffusers", "transformers", "tokenizers", "accelerate")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise BackendUnavailable(
            f"backend {backend!r} needs the `models` extra ({', '.join(missing)} missing): "
            f"{MODELS_EXTRA}",
            code="models_extra_missing",
        )


def go_offline() -> None:
    """Make every Hugging Face library refuse the network: weights come from the folder only.

    huggingface_hub reads HF_HUB_OFFLINE once, when it is first imported, so if something
    imported it before us the flag is also set on the already-loaded module.
    """
    os.environ.update(OFFLINE_ENVIRONMENT)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        constants.HF_HUB_OFFLINE = True


def quiet_libraries() -> None:
    """Silence the libraries' own progress bars and chatter: the engine reports progress."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.set_verbosity_error()
    diffusers_logging.disable_progress_bar()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


def choose_device(requested: str | None) -> torch.device:
    """The device to run on: the one asked for, else the first GPU, else the CPU."""
    import torch

    if requested is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as exc:
        raise InvalidRequest(f"unknown device {requested!r}", code="invalid_device") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise BackendUnavailable(
            f"device {requested!r} was asked for but this torch sees no CUDA GPU",
            code="no_gpu",
        )
    return device


def dtype_argument(dtype: torch.dtype) -> dict[str, Any]:
    """`from_pretrained`'s dtype keyword: diffusers renamed `torch_dtype` to `dtype` (the old
    name now warns); older releases know only the old one."""
    from diffusers.utils import deprecation_utils

    if hasattr(deprecation_utils, "_resolve_dtype"):
        return {"dtype": dtype}
    return {"torch_dtype": dtype}


def compute_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on a GPU (what the models were trained in); float32 on the CPU, where bf16
    matmuls are slow and numerically poorer."""
    import torch

    return torch.bfloat16 if device.type == "cuda" else torch.float32


# --- model folders ----------------------------------------------------------------------------


def resolve_model_path(options: BackendOptions, *, backend: str, env_var: str) -> Path:
    """The model folder from the options; the caller fills them from `--model-path` or
    config (`env_var`, read by reelmint.config, never here), and the error names both."""
    if options.model_path is not None:
        return Path(options.model_path).expanduser()
    raise BackendUnavailable(
        f"backend {backend!r} needs a model folder: set {env_var} or pass --model-path DIR "
        "(a diffusers-format folder with model_index.json)",
        code="model_not_found",
    )


@dataclass(frozen=True)
class ModelFolder:
    """A checked diffusers-format folder: its model_index.json and the components it lists."""

    path: Path
    index: Mapping[str, Any]

    @property
    def pipeline_class(self) -> str:
        return str(self.index.get("_class_name", ""))

    def has(self, component: str) -> bool:
        entry = self.index.get(component)
        return isinstance(entry, list) and len(entry) == 2 and entry[1] is not None

    def component_config(self, component: str) -> dict[str, Any]:
        """A component's config.json: what admission checks read instead of loading weights."""
        try:
            return _read_json(self.path / component / "config.json")
        except ValueError as exc:
            raise BackendUnavailable(
                f"model folder {str(self.path)!r} is incomplete: {component}/config.json is "
                "not a readable JSON object",
                code="model_incomplete",
            ) from exc


def inspect_model_folder(
    path: Path,
    *,
    backend: str,
    env_var: str,
    pipeline_classes: tuple[str, ...],
    required: tuple[str, ...] = _CORE_COMPONENTS,
) -> ModelFolder:
    """Check that `path` holds a complete model before anything is loaded.

    Every missing piece is named in one message (not only the first), so an operator fixes
    a half-copied folder in one go.
    """
    if not path.is_dir():
        raise BackendUnavailable(
            f"model folder {str(path)!r} does not exist or is not a folder "
            f"(set {env_var} or pass --model-path DIR)",
            code="model_not_found",
        )
    index_path = path / "model_index.json"
    if not index_path.is_file():
        raise BackendUnavailable(
            f"model folder {str(path)!r} is incomplete: missing model_index.json "
            "(a diffusers-format folder lists its components there)",
            code="model_incomplete",
        )
    try:
        index = _read_json(index_path)
    except ValueError as exc:
        raise BackendUnavailable(
            f"model folder {str(path)!r} is incomplete: model_index.json is not valid JSON",
            code="model_incomplete",
        ) from exc
    folder = ModelFolder(path=path, index=index)
    if folder.pipeline_class not in pipeline_classes:
        raise BackendUnavailable(
            f"model folder {str(path)!r} holds a {folder.pipeline_class or 'unnamed'} model; "
            f"backend {backend!r} supports only {', '.join(pipeline_classes)} folders",
            code="model_unsupported",
        )
    missing = [
        f"{name} (not listed in model_index.json)" for name in required if not folder.has(name)
    ]
    for name in sorted(index):
        if not name.startswith("_") and folder.has(name):
            missing.extend(_missing_files(path / name, name, str(index[name][1])))
    if missing:
        raise BackendUnavailable(
            f"model folder {str(path)!r} is incomplete: missing {', '.join(missing)}",
            code="model_incomplete",
        )
    return folder


def _missing_files(directory: Path, name: str, class_name: str) -> list[str]:
    """What a component's folder lacks, by the kind of component its class name says."""
    if not directory.is_dir():
        return [f"{name}/ (the {class_name} folder)"]
    if class_name.endswith("Scheduler"):
        return (
            []
            if (directory / "scheduler_config.json").is_file()
            else [f"{name}/scheduler_config.json"]
        )
    if "Tokenizer" in class_name:
        wanted = ("tokenizer.json", "spiece.model", "vocab.json", "tokenizer.model")
        if any((directory / file).is_file() for file in wanted):
            return []
        return [f"{name}/tokenizer.json (or spiece.model)"]
    if "Processor" in class_name:
        return (
            []
            if (directory / "preprocessor_config.json").is_file()
            else [f"{name}/preprocessor_config.json"]
        )
    missing = [] if (directory / "config.json").is_file() else [f"{name}/config.json"]
    return missing + _missing_weights(directory, name)


def _missing_weights(directory: Path, name: str) -> list[str]:
    """A model's weights: one file, or every shard that its index file lists."""
    indexes = sorted(directory.glob("*.index.json"))
    if indexes:
        try:
            shards = set(_read_json(indexes[0]).get("weight_map", {}).values())
        except ValueError:
            return [f"{name}/{indexes[0].name} (not valid JSON)"]
        return [f"{name}/{shard}" for shard in sorted(shards) if not (directory / shard).is_file()]
    if any(directory.glob("*.safetensors")) or any(directory.glob("*.bin")):
        return []
    return [f"{name} weights ({name}/*.safetensors)"]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not readable JSON") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return data


def config_int(config: Mapping[str, Any], key: str, default: int) -> int:
    """An integer from a component's config.json; missing (diffusers writes every key, a
    hand-made file may not): the model class's own default, as diffusers would use."""
    value = config.get(key, default)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BackendUnavailable(
        f"{key} in a model folder's config.json must be a whole number, got {value!r}",
        code="model_incomplete",
    )


def short_fact(text: str) -> str:
    """A fact value cut to FACT_MAX_CHARS: manifests hold facts, not essays."""
    if len(text) <= FACT_MAX_CHARS:
        return text
    return text[: FACT_MAX_CHARS - 3] + "..."


@dataclass(frozen=True)
class GenerationSettings:
    """Steps, guidance and negative prompt: the family's defaults, then the folder's own
    reelmint.json, then what the request says, each overriding the one before."""

    steps: int
    guidance: float
    negative_prompt: str

    def overridden(self, *, steps: int | None, guidance: float | None) -> GenerationSettings:
        if steps is not None and steps < 1:
            raise InvalidRequest(f"steps must be at least 1, got {steps}", code="invalid_steps")
        if guidance is not None and (not math.isfinite(guidance) or guidance < 0):
            raise InvalidRequest(
                f"guidance must be a finite number >= 0, got {guidance}", code="invalid_guidance"
            )
        return GenerationSettings(
            steps=self.steps if steps is None else steps,
            guidance=self.guidance if guidance is None else guidance,
            negative_prompt=self.negative_prompt,
        )


def folder_settings(path: Path, defaults: GenerationSettings) -> GenerationSettings:
    """The defaults as the model folder's reelmint.json sets them (a distilled model wants
    fewer steps and no guidance; the folder knows, the caller should not have to)."""
    settings_path = path / FOLDER_SETTINGS_FILE
    if not settings_path.is_file():
        return defaults
    problem = f"{settings_path} must be a JSON object with optional steps (int >= 1), "
    problem += "guidance (number >= 0) and negative_prompt (text)"
    try:
        data = _read_json(settings_path)
    except ValueError as exc:
        raise BackendUnavailable(problem, code="model_settings_invalid") from exc
    steps = data.get("steps", defaults.steps)
    guidance = data.get("guidance", defaults.guidance)
    negative = data.get("negative_prompt", defaults.negative_prompt)
    valid = (
        isinstance(steps, int)
        and not isinstance(steps, bool)
        and steps >= 1
        and isinstance(guidance, int | float)
        and not isinstance(guidance, bool)
        and math.isfinite(guidance)
        and guidance >= 0
        and isinstance(negative, str)
    )
    if not valid:
        raise BackendUnavailable(problem, code="model_settings_invalid")
    return GenerationSettings(steps=steps, guidance=float(guidance), negative_prompt=negative)


# --- frames and sizes -------------------------------------------------------------------------


def model_frame_count(needed: int, temporal_factor: int) -> int:
    """The smallest count the model can make that covers `needed` frames: k*factor + 1, k >= 1.

    Video VAEs compress time by `temporal_factor` after a first frame of their own (Wan: 4,
    LTX: 8); any other count is silently rounded by diffusers, so we pick it ourselves and trim.
    """
    if needed < 1:
        raise ValueError(f"needed must be >= 1, got {needed}")
    k = max(1, math.ceil((needed - 1) / temporal_factor))
    return k * temporal_factor + 1


def segment_lengths(needed: int, max_frames: int) -> list[int]:
    """Split a shot longer than one generation into near-equal parts, as few as possible."""
    if needed < 1:
        return []
    count = math.ceil(needed / max_frames)
    base, extra = divmod(needed, count)
    return [base + 1] * extra + [base] * (count - extra)


def check_native_size(native: Size, unit: int, *, requested: Size, label: str) -> None:
    """A native generation size must be whole patches of the model's latent grid."""
    if native.width % unit or native.height % unit:
        raise InvalidRequest(
            f"{label} cannot make {requested}: it generates {native}, which its model's "
            f"{unit}-pixel grid does not divide",
            code="invalid_size",
        )


def check_image_mode(*, image_to_video: bool, has_image: bool, model: str) -> None:
    """An image-to-video model needs its first frame; a text-to-video model takes none.

    `model` names the model for the person who asked (its folder's name, never its path).
    """
    if has_image and not image_to_video:
        raise InvalidRequest(
            f"{model} makes video from text only; drop the reference image or point the "
            "backend at an image-to-video model folder",
            code="reference_image_unsupported",
        )
    if image_to_video and not has_image:
        raise InvalidRequest(
            f"{model} is image-to-video: give a reference image for the first frame",
            code="reference_image_required",
        )


def fit_to_size(video: torch.Tensor, size: Size) -> torch.Tensor:
    """Scale frames (F, 3, h, w) to cover `size`, then crop the centre: no distortion, no bars.

    The models generate at their native sizes (Wan: 832x480); our sizes differ by a few percent,
    so at most ~1.5% of the picture is cropped from one pair of edges.
    """
    import torch.nn.functional as functional

    height, width = video.shape[-2:]
    if (width, height) == (size.width, size.height):
        return video
    scale = max(size.width / width, size.height / height)
    scaled_w = max(size.width, round(width * scale))
    scaled_h = max(size.height, round(height * scale))
    if (scaled_w, scaled_h) != (width, height):
        video = functional.interpolate(
            video.float(),
            size=(scaled_h, scaled_w),
            mode="bicubic",
            antialias=True,
            align_corners=False,
        )
    top = (scaled_h - size.height) // 2
    left = (scaled_w - size.width) // 2
    return video[..., top : top + size.height, left : left + size.width]


def to_uint8_frames(video: torch.Tensor) -> np.ndarray:
    """Frames (F, 3, H, W) in [-1, 1] as (F, H, W, 3) uint8, what the encoder takes."""
    pixels = ((video.float().clamp(-1, 1) + 1) * 127.5).round().to(dtype=_uint8())
    return pixels.permute(0, 2, 3, 1).contiguous().cpu().numpy()


def _uint8() -> torch.dtype:
    import torch

    return torch.uint8


def image_to_model_input(image: Image.Image, size: Size) -> Image.Image:
    """A reference image covered-and-cropped to the generation size, as the video will be."""
    from PIL import Image as PILImage

    image = image.convert("RGB")
    scale = max(size.width / image.width, size.height / image.height)
    scaled = (
        max(size.width, round(image.width * scale)),
        max(size.height, round(image.height * scale)),
    )
    image = image.resize(scaled, PILImage.Resampling.LANCZOS)
    left = (scaled[0] - size.width) // 2
    top = (scaled[1] - size.height) // 2
    return image.crop((left, top, left + size.width, top + size.height))


# --- prompt embeddings ------------------------------------------------------------------------


class PromptEmbeddingCache:
    """Text-encoder outputs by prompt, least recently used dropped first.

    The text encoder (UMT5-XXL for Wan: 5.7 B parameters) is the largest part of the model;
    the negative prompt is the same for every shot and clip, and a storyboard often repeats
    prompts. With capacity 0 nothing is kept (the option switched off).
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, text: str, encode: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
        if text in self._entries:
            self.hits += 1
            self._entries.move_to_end(text)
            return self._entries[text]
        self.misses += 1
        value = encode(text)
        if self.capacity > 0:
            self._entries[text] = value
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._entries)


# --- the denoising loop -----------------------------------------------------------------------


@dataclass
class DenoiseJob:
    """One generation's denoising, in the terms every flow-matching video DiT shares.

    `positive`/`negative` are the transformer keyword arguments of each guidance branch (text
    embeddings, masks, image embeddings: tensors with a batch dimension); `shared` are those
    without one (latent grid size, RoPE scale). `negative` is None when guidance is off.
    """

    latents: torch.Tensor
    timesteps: torch.Tensor
    scheduler: Any
    positive: dict[str, Any]
    negative: dict[str, Any] | None
    guidance: float
    model_for: Callable[[torch.Tensor], Any]
    model_input: Callable[[torch.Tensor], torch.Tensor] = lambda latents: latents
    shared: dict[str, Any] = field(default_factory=dict)


StepCallback = Callable[[int, int], None]


def denoise(job: DenoiseJob, *, batch_cfg: bool, on_step: StepCallback) -> torch.Tensor:
    """Run the scheduler over the timesteps and return the final latents."""
    import torch

    predict = _noise_predictor(job, batch_cfg=batch_cfg)
    latents = job.latents
    total = len(job.timesteps)
    with torch.inference_mode():
        for index, timestep in enumerate(job.timesteps):
            noise = predict(job.model_for(timestep), job.model_input(latents), timestep)
            latents = job.scheduler.step(noise, timestep, latents, return_dict=False)[0]
            on_step(index + 1, total)
    return latents


NoisePredictor = Callable[[Any, "torch.Tensor", "torch.Tensor"], "torch.Tensor"]


def _noise_predictor(job: DenoiseJob, *, batch_cfg: bool) -> NoisePredictor:
    """The guided noise prediction of one step, in one of three ways.

    Without guidance: one pass. With `batch_cfg`: the conditional and unconditional halves in
    ONE pass of batch 2 (the same arithmetic; half the kernel launches and weight reads, more
    activation memory). Otherwise two passes of batch 1, as diffusers' WanPipeline does.
    """
    import torch

    negative = job.negative
    if negative is None:
        return lambda model, hidden, t: _predict(model, hidden, t, job.positive, job, "cond")
    if batch_cfg:
        both = _batched_branches(job.positive, negative)

        def batched(model: Any, hidden: Any, t: Any) -> Any:
            pair = torch.cat([hidden, hidden])
            uncond, cond = _predict(model, pair, t, both, job, "cond_uncond").chunk(2)
            return uncond + job.guidance * (cond - uncond)

        return batched

    def separate(model: Any, hidden: Any, t: Any) -> Any:
        cond = _predict(model, hidden, t, job.positive, job, "cond")
        uncond = _predict(model, hidden, t, negative, job, "uncond")
        return uncond + job.guidance * (cond - uncond)

    return separate


def _batched_branches(positive: dict[str, Any], negative: dict[str, Any]) -> dict[str, Any]:
    """Negative and positive kwargs stacked along the batch (negative first, as diffusers)."""
    import torch

    return {
        name: None if value is None else torch.cat([negative[name], value])
        for name, value in positive.items()
    }


def _predict(
    model: Any,
    hidden: torch.Tensor,
    timestep: torch.Tensor,
    branch: dict[str, Any],
    job: DenoiseJob,
    context_name: str,
) -> torch.Tensor:
    with _cache_context(model, context_name):
        output = model(
            hidden_states=hidden,
            timestep=timestep.expand(hidden.shape[0]),
            **branch,
            **job.shared,
            return_dict=False,
        )[0]
    return output.float()


def _cache_context(model: Any, name: str) -> AbstractContextManager[Any]:
    """diffusers' cache hooks (first-block cache) keep one state per named branch."""
    enter = getattr(model, "cache_context", None)
    if enter is None:
        return nullcontext()
    return enter(name)


# --- speed options ----------------------------------------------------------------------------


def apply_speed_options(
    pipe: Any,
    speed: ModelSpeed,
    device: torch.device,
    *,
    attention_backend: str | None = None,
) -> dict[str, str]:
    """Place the pipeline on `device` and switch on the configured speed options.

    Returns facts (option -> what was done) for the clip's metadata and the logs.
    """
    facts: dict[str, str] = {}
    if speed.cpu_offload and device.type == "cuda":
        pipe.enable_model_cpu_offload(device=device)
        facts["cpu_offload"] = "on"
    else:
        pipe.to(device)
        if speed.cpu_offload:
            facts["cpu_offload"] = "ignored on CPU"
    transformers = [m for m in (pipe.transformer, getattr(pipe, "transformer_2", None)) if m]
    if attention_backend is not None:
        facts["attention"] = _set_attention(transformers, attention_backend)
    if speed.vae_tiling:
        pipe.vae.enable_tiling()
        facts["vae_tiling"] = "on"
    if speed.first_block_cache is not None:
        facts.update(_enable_first_block_cache(transformers, speed.first_block_cache))
    if speed.compile:
        # the first-block cache decides per step whether to run a block: a graph break
        whole_graphs = speed.first_block_cache is None
        for transformer in transformers:
            transformer.compile_repeated_blocks(fullgraph=whole_graphs)
        facts["compile"] = "transformer blocks"
    return facts


def check_first_block_cache(threshold: float | None, *, blocks: int, model: str) -> None:
    """Refuse a first-block cache that cannot work, before any weights are loaded.

    The cache runs the first transformer block, then either reuses the residual of the rest
    or runs them: diffusers needs a first and a last block (one block fails deep inside with
    an IndexError).
    """
    if threshold is None:
        return
    if not math.isfinite(threshold) or threshold <= 0:
        raise BackendUnavailable(
            f"first_block_cache must be a number above 0 (e.g. 0.05), got {threshold}",
            code="invalid_speed_option",
        )
    if blocks < 2:
        raise BackendUnavailable(
            f"first-block cache needs a transformer with at least 2 blocks; {model} has "
            f"{blocks}: switch first_block_cache off",
            code="invalid_speed_option",
        )


def _enable_first_block_cache(transformers: list[Any], threshold: float) -> dict[str, str]:
    """Switch the lossy cache on; the facts say so, in a key of its own."""
    from diffusers.hooks import FirstBlockCacheConfig

    for transformer in transformers:
        blocks = int(transformer.config.num_layers)
        check_first_block_cache(threshold, blocks=blocks, model=type(transformer).__name__)
    for transformer in transformers:
        transformer.enable_cache(FirstBlockCacheConfig(threshold=threshold))
    return {"first_block_cache": f"{threshold:g}", "lossy": f"first_block_cache={threshold:g}"}


def _set_attention(transformers: list[Any], backend: str) -> str:
    """Pick an attention kernel; keep the default one if this machine cannot run it.

    The reason goes to the log, not the returned fact: a library's message can be long and
    name the operator's files.
    """
    try:
        for transformer in transformers:
            transformer.set_attention_backend(backend)
    except (ValueError, RuntimeError, ImportError) as exc:
        for transformer in transformers:
            transformer.reset_attention_backend()
        _log.warning("attention backend %s unavailable, using the default: %s", backend, exc)
        return f"default ({backend} unavailable)"
    return backend


def fast_attention_backend(device: torch.device, choice: str = "auto") -> str | None:
    """The exact-attention kernel to use: cuDNN's fused attention on Hopper-class GPUs.

    Attention is ~70% of Wan's FLOPs at 480p; cuDNN's kernel is faster there than the flash
    kernel PyTorch picks by default, with the same result up to float rounding. `choice` is
    ModelSpeed.attention: "auto", "default" (PyTorch's pick) or a diffusers backend name.
    """
    import torch

    if choice != "auto":
        return None if choice == "default" else choice
    hopper = device.type == "cuda" and torch.cuda.get_device_capability(device) >= (9, 0)
    if hopper and _cudnn_attention_runs(device):
        return "_native_cudnn"
    return None


def _cudnn_attention_runs(device: torch.device) -> bool:
    """Whether this torch build runs cuDNN attention on `device` (it fails at call time, not
    when chosen, so we try a small one before relying on it)."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    query = torch.randn(1, 2, 64, 128, device=device, dtype=torch.bfloat16)
    try:
        with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
            torch.nn.functional.scaled_dot_product_attention(query, query, query)
    except RuntimeError:
        return False
    return True


# --- the engine: one loaded model -------------------------------------------------------------


def _ignore_steps(done: int, total: int) -> None:
    """A step callback for callers that do not report progress."""


class DiffusionEngine:
    """A loaded pipeline plus what generation needs: the prompt cache and the speed options.

    Subclasses say how their family encodes a prompt, starts a job and decodes latents.
    """

    temporal_factor: int

    def __init__(self, pipe: Any, *, device: torch.device, speed: ModelSpeed) -> None:
        self.pipe = pipe
        self.device = device
        self.speed = speed
        self.prompts = PromptEmbeddingCache(
            PROMPT_CACHE_ENTRIES if speed.cache_prompt_embeddings else 0
        )
        self.facts: dict[str, str] = {}

    @property
    def label(self) -> str:
        return type(self).__name__

    def encode_text(self, text: str) -> dict[str, Any]:
        raise NotImplementedError

    def start(
        self,
        *,
        frames: int,
        size: Size,
        steps: int,
        generator: torch.Generator,
        positive: dict[str, Any],
        negative: dict[str, Any] | None,
        guidance: float,
        image: Image.Image | None,
    ) -> DenoiseJob:
        raise NotImplementedError

    def decode(
        self, latents: torch.Tensor, job: DenoiseJob, frames: int, size: Size
    ) -> torch.Tensor:
        """Latents -> frames (F, 3, H, W) in [-1, 1] at the native size."""
        raise NotImplementedError

    def embeddings(self, text: str) -> dict[str, Any]:
        return self.prompts.get(text, self.encode_text)

    def sample(
        self,
        *,
        prompt: str,
        frames: int,
        size: Size,
        settings: GenerationSettings,
        generator: torch.Generator,
        image: Image.Image | None = None,
        on_step: StepCallback = _ignore_steps,
    ) -> tuple[torch.Tensor, DenoiseJob]:
        """Denoise one generation: the final latents, and the job that made them.

        Everything runs in inference mode: no autograd graph is kept, not even behind the
        cached prompt embeddings.
        """
        import torch

        with torch.inference_mode():
            return self._sample(prompt, frames, size, settings, generator, image, on_step)

    def _sample(
        self,
        prompt: str,
        frames: int,
        size: Size,
        settings: GenerationSettings,
        generator: torch.Generator,
        image: Image.Image | None,
        on_step: StepCallback,
    ) -> tuple[torch.Tensor, DenoiseJob]:
        guided = settings.guidance > 1.0
        job = self.start(
            frames=frames,
            size=size,
            steps=settings.steps,
            generator=generator,
            positive=self.embeddings(prompt),
            negative=self.embeddings(settings.negative_prompt) if guided else None,
            guidance=settings.guidance,
            image=image,
        )
        return denoise(job, batch_cfg=self.speed.batch_cfg, on_step=on_step), job

    def generate(
        self,
        *,
        prompt: str,
        frames: int,
        size: Size,
        settings: GenerationSettings,
        generator: torch.Generator,
        image: Image.Image | None = None,
        on_step: StepCallback = _ignore_steps,
    ) -> torch.Tensor:
        """One generation: `frames` (a count the model accepts) at native `size`, (F,3,H,W)."""
        import torch

        latents, job = self.sample(
            prompt=prompt,
            frames=frames,
            size=size,
            settings=settings,
            generator=generator,
            image=image,
            on_step=on_step,
        )
        with torch.inference_mode():
            return self.decode(latents, job, frames, size)


# --- the backend: storyboard in, clip out -----------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """How one shot is generated: its span of the clip and the lengths of its generations."""

    span: ShotSpan
    segments: tuple[int, ...]


class DiffusionBackend:
    """The backend Protocol for diffusers video models; subclasses fill in the family.

    Every refusal that needs no weights (fps, size, reference images, speed options) is made
    from the folder's JSON files alone, before the model is loaded: loading a 14B model takes
    minutes, and admission must be able to refuse a request before charging for it.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    sizes: ClassVar[tuple[Size, ...]]
    native_sizes: ClassVar[Mapping[Size, Size]]
    min_seconds: ClassVar[float] = 1.0
    max_seconds: ClassVar[float] = 20.0
    fps: ClassVar[int]
    needs_gpu: ClassVar[bool] = True
    gpu_seconds_per_clip_second: ClassVar[float]
    source_type: ClassVar[SourceType] = "trained_algorithmic"
    uses_model: ClassVar[bool] = True
    accepts_reference_images: ClassVar[bool] = False

    label: ClassVar[str]
    env_var: ClassVar[str]
    pipeline_classes: ClassVar[tuple[str, ...]]
    image_to_video_classes: ClassVar[tuple[str, ...]] = ()
    default_blocks: ClassVar[int]
    """The transformer's block count when its config.json omits num_layers (diffusers')."""
    max_frames_per_generation: ClassVar[int]
    defaults: ClassVar[GenerationSettings]

    def __init__(self, options: BackendOptions) -> None:
        require_models_extra(self.name)
        self.options = options
        self.model_path = resolve_model_path(options, backend=self.name, env_var=self.env_var)
        self.folder = inspect_model_folder(
            self.model_path,
            backend=self.name,
            env_var=self.env_var,
            pipeline_classes=self.pipeline_classes,
        )
        self.check_folder(self.folder)
        self.image_to_video = self.folder.pipeline_class in self.image_to_video_classes
        self.transformer_config = self.folder.component_config("transformer")
        check_first_block_cache(
            options.speed.first_block_cache,
            blocks=config_int(self.transformer_config, "num_layers", self.default_blocks),
            model=f"the model in {str(self.model_path)!r}",
        )
        self.settings = folder_settings(self.model_path, self.defaults).overridden(
            steps=options.steps, guidance=options.guidance
        )
        self._engine: DiffusionEngine | None = None

    @property
    def model_name(self) -> str:
        """The model folder's own name: what users and manifests see, never its path."""
        return self.model_path.resolve().name

    def check_folder(self, folder: ModelFolder) -> None:
        """Family-specific checks of a complete folder (override)."""

    def spatial_unit(self) -> int:
        """Pixels per latent patch, from the folder's config files (override)."""
        raise NotImplementedError

    def check_size(self, native: Size, requested: Size) -> None:
        """Refuse a size this particular model cannot make (extend per family)."""
        check_native_size(native, self.spatial_unit(), requested=requested, label=self.label)

    def check(self, params: RenderParams) -> None:
        """Refuse what this model folder cannot render, without loading the model."""
        native = self._native_size(params)
        self._check_reference_images(params)
        self.check_size(native, params.size)

    def load(self, device: torch.device) -> DiffusionEngine:
        """Load the folder's pipeline onto `device` (override)."""
        raise NotImplementedError

    def engine(self) -> DiffusionEngine:
        """The loaded model, loaded on first use and kept: loading takes longer than a step."""
        if self._engine is None:
            go_offline()
            quiet_libraries()
            device = choose_device(self.options.device)
            try:
                self._engine = self.load(device)
            except (BackendUnavailable, InvalidRequest):
                raise
            except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
                raise BackendUnavailable(
                    f"could not load the {self.label} model from {str(self.model_path)!r}: {exc}",
                    code="model_load_failed",
                ) from exc
        return self._engine

    def render(
        self, storyboard: Storyboard, params: RenderParams, progress: ProgressCallback
    ) -> Clip:
        """Generate each shot from its own prompt, join them, and lay the ambient bed under.

        Steps:
        1. check the request against the folder's metadata and open the reference image;
        2. load the model (the first time only);
        3. return the clip, whose frames are generated shot by shot as the encoder pulls them,
           so a long clip never sits in memory whole.
        The models make no sound: the preview engine's ambience of each shot's setting stands in.
        """
        # 1. every refusal that needs no weights
        self.check(params)
        native = self.native_sizes[params.size]
        image = self._open_first_frame(params)
        plans = self._plan(storyboard)
        # 2. the model
        engine = self.engine()
        # 3. the lazy clip
        return Clip(
            size=params.size,
            fps=self.fps,
            frame_count=plans[-1].span.stop if plans else 0,
            frames=self._frames(engine, plans, native, params, image, progress),
            audio=ambient_track(
                storyboard, fps=self.fps, seed=params.seed, sample_rate=AUDIO_SAMPLE_RATE
            ),
            facts=self._facts(engine, native, params),
        )

    def _facts(self, engine: DiffusionEngine, native: Size, params: RenderParams) -> dict[str, str]:
        """How the clip was made, for its C2PA manifest: short strings, no operator paths."""
        facts = {
            "model": self.model_name,
            "model_class": self.folder.pipeline_class,
            "steps": str(self.settings.steps),
            "guidance": f"{self.settings.guidance:g}",
            "native_size": str(native),
            **engine.facts,
        }
        if params.cameo_images:
            facts["cameos"] = self._cameo_use(params)
        return {str(key): short_fact(str(value)) for key, value in facts.items()}

    def _cameo_use(self, params: RenderParams) -> str:
        """What became of the cameo images, in a few words for the manifest."""
        if self._cameo_starts(params):
            return "the first cameo's photo is the first frame"
        if not self.image_to_video:
            return "ignored: a text-to-video model takes no image"
        return "ignored: the reference image is the first frame"

    def _cameo_starts(self, params: RenderParams) -> bool:
        """Whether the first cameo image is the image reference: an image-to-video model
        given cameos and no reference image of its own starts from the first cameo's photo."""
        return self.image_to_video and bool(params.cameo_images) and not params.reference_images

    def _first_frame_path(self, params: RenderParams) -> Path | None:
        """The image the generation starts from: the reference image, else (image-to-video
        only) the first cameo's photo, else none. A text-to-video model ignores cameos."""
        if params.reference_images:
            return params.reference_images[0]
        if self._cameo_starts(params):
            return params.cameo_images[0]
        return None

    def _open_first_frame(self, params: RenderParams) -> Image.Image | None:
        path = self._first_frame_path(params)
        if path is None:
            return None
        if params.reference_images:
            return load_image(path)
        return load_image(path, what="cameo image", code="invalid_cameo_image")

    def _native_size(self, params: RenderParams) -> Size:
        if params.fps != self.fps:
            raise InvalidRequest(
                f"backend {self.name!r} renders at {self.fps} fps, not {params.fps}",
                code="invalid_fps",
            )
        native = self.native_sizes.get(params.size)
        if native is None:
            allowed = ", ".join(str(size) for size in self.sizes)
            raise InvalidRequest(
                f"size {params.size} is not offered by backend {self.name!r}; choose one of "
                f"{allowed}",
                code="invalid_size",
            )
        return native

    def _check_reference_images(self, params: RenderParams) -> None:
        if len(params.reference_images) > 1:
            raise InvalidRequest(
                f"backend {self.name!r} takes one reference image (the first frame), "
                f"got {len(params.reference_images)}",
                code="invalid_reference_image",
            )
        check_image_mode(
            image_to_video=self.image_to_video,
            has_image=self._first_frame_path(params) is not None,
            model=f"the {self.label} model {self.model_name!r}",
        )

    def _plan(self, storyboard: Storyboard) -> list[_Plan]:
        return [
            _Plan(
                span=span,
                segments=tuple(segment_lengths(span.frames, self.max_frames_per_generation)),
            )
            for span in shot_spans(storyboard, self.fps)
        ]

    def _frames(
        self,
        engine: DiffusionEngine,
        plans: list[_Plan],
        native: Size,
        params: RenderParams,
        image: Image.Image | None,
        progress: ProgressCallback,
    ) -> Iterator[np.ndarray]:
        """Generate shot after shot; each later image-to-video generation starts from the
        last frame of the one before (an image-to-video model has no text-only mode)."""
        import torch
        from PIL import Image as PILImage

        shots = len(plans)
        steps = self.settings.steps
        for shot_index, plan in enumerate(plans):
            generator = torch.Generator(device="cpu").manual_seed(params.seed + shot_index)
            total_steps = steps * len(plan.segments)
            for segment_index, needed in enumerate(plan.segments):
                on_step = _denoise_reporter(
                    progress,
                    shot=shot_index,
                    shots=shots,
                    done_before=segment_index * steps,
                    total=total_steps,
                )
                video = engine.generate(
                    prompt=plan.span.shot.prompt,
                    frames=model_frame_count(needed, engine.temporal_factor),
                    size=native,
                    settings=self.settings,
                    generator=generator,
                    image=image,
                    on_step=on_step,
                )
                progress(
                    ProgressEvent(
                        stage="decode",
                        shot=shot_index,
                        shots=shots,
                        done=segment_index + 1,
                        total=len(plan.segments),
                    )
                )
                if image is not None:
                    image = PILImage.fromarray(to_uint8_frames(video[-1:])[0])
                yield from _finished_frames(video[:needed], params.size)
                del video


def _denoise_reporter(
    progress: ProgressCallback, *, shot: int, shots: int, done_before: int, total: int
) -> StepCallback:
    """Denoising steps of one generation as progress through its whole shot."""

    def report(done: int, _steps: int) -> None:
        progress(
            ProgressEvent(
                stage="denoise", shot=shot, shots=shots, done=done_before + done, total=total
            )
        )

    return report


_FRAMES_PER_CHUNK = 16


def _finished_frames(video: torch.Tensor, size: Size) -> Iterator[np.ndarray]:
    """Fit and convert a generation a few frames at a time: a 257-frame 720p video in float32
    at once would take gigabytes more than the generation itself."""
    for start in range(0, video.shape[0], _FRAMES_PER_CHUNK):
        yield from to_uint8_frames(fit_to_size(video[start : start + _FRAMES_PER_CHUNK], size))
