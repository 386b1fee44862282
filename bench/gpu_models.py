"""How much faster is reelmint's Wan backend than stock diffusers, at the same output?

For Wan2.1-T2V-1.3B's full architecture (random weights unless --model-path names a real
folder: speed does not depend on the values), 480x832, 81 frames, 50 steps, guidance 5.0, this
times in ONE run:
  1. diffusers' stock `WanPipeline.__call__` (VAE in float32, as diffusers recommends);
  2. reelmint's Wan engine with its lossless options: transformer blocks compiled,
     classifier-free guidance in one batch, cached prompt embeddings, and cuDNN attention on
     Hopper-class GPUs;
checks that both make the same clip (relative error of the final latents and of the decoded
video, each must be < 1e-2), and prints seconds per clip, the ratio (target >= 1.5x) and the
floor: the transformer's FLOPs (about 566 TFLOP per step with guidance) over the bf16 matmul
peak measured on this GPU.

    python bench/gpu_models.py                    # CUDA; builds the random model once
    python bench/gpu_models.py --model-path DIR   # a real diffusers-format Wan folder
    python bench/gpu_models.py --tiny             # CPU smoke check with a tiny random model

Needs torch, diffusers, transformers, tokenizers, accelerate, ftfy, numpy, pillow and pydantic
(`pip install -e '.[models]'`, or those packages beside a CUDA torch); run from the repository.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if importlib.util.find_spec("reelmint") is None:
    sys.path.insert(0, str(REPO / "src"))

import torch  # noqa: E402

from reelmint.engine.backends.base import BackendOptions, ModelSpeed, Size  # noqa: E402
from reelmint.engine.backends.diffusion import dtype_argument, quiet_libraries  # noqa: E402
from reelmint.engine.backends.wan import WAN_TEXT_TOKENS, WanBackend  # noqa: E402

WAN_1_3B_TRANSFORMER: dict[str, Any] = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": 12,
    "attention_head_dim": 128,
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": 4096,
    "freq_dim": 256,
    "ffn_dim": 8960,
    "num_layers": 30,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "eps": 1e-6,
    "rope_max_seq_len": 1024,
}
WAN_2_1_VAE: dict[str, Any] = {}  # diffusers' AutoencoderKLWan defaults are Wan 2.1's VAE
UMT5_XXL: dict[str, Any] = {
    "d_model": 4096,
    "d_kv": 64,
    "d_ff": 10240,
    "num_layers": 24,
    "num_heads": 64,
    "relative_attention_num_buckets": 32,
    "relative_attention_max_distance": 128,
    "feed_forward_proj": "gated-gelu",
    "dense_act_fn": "gelu_new",
    "is_gated_act": True,
    "tie_word_embeddings": False,
}
PROMPT = "A red fox trots through a snowy forest at dawn, soft light, cinematic."
WARMUP_PROMPT = "A sailboat on a calm sea at noon."
TOLERANCE = 1e-2
BUILT_MARKER = ".built"


@dataclass(frozen=True)
class Case:
    height: int
    width: int
    frames: int
    steps: int
    guidance: float


@dataclass(frozen=True)
class Timed:
    seconds: float
    latents: torch.Tensor
    video: torch.Tensor


def tiny_models() -> ModuleType:
    """The test suite's builders of Wan folders (tiny or full-size configs)."""
    path = REPO / "tests" / "engine" / "backends" / "tiny_models.py"
    spec = importlib.util.spec_from_file_location("tiny_models", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model_folder(args: argparse.Namespace, device: torch.device) -> Path:
    """A real folder, or a random one of the chosen architecture built once into --workdir."""
    if args.model_path is not None:
        return args.model_path
    folder = args.workdir / ("wan-tiny" if args.tiny else "wan2.1-1.3b-random")
    if (folder / BUILT_MARKER).is_file():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    builders = tiny_models()
    started = time.perf_counter()
    if args.tiny:
        builders.build_wan_folder(folder)
    else:
        builders.build_wan_folder(
            folder,
            transformer=WAN_1_3B_TRANSFORMER,
            vae=WAN_2_1_VAE,
            text_encoder=UMT5_XXL,
            device=str(device),
            dtype=torch.bfloat16,
        )
    (folder / BUILT_MARKER).write_text("ok")
    print(f"built {folder} in {time.perf_counter() - started:.0f} s")
    return folder


def transformer_flops(config: dict[str, Any], case: Case, *, guided: bool) -> float:
    """Matmul FLOPs of one denoising step (projections, attention, feed-forward)."""
    patch_t, patch_h, patch_w = config["patch_size"]
    latent_frames = (case.frames - 1) // 4 + 1
    tokens = (
        (latent_frames // patch_t) * (case.height // 8 // patch_h) * (case.width // 8 // patch_w)
    )
    width = config["num_attention_heads"] * config["attention_head_dim"]
    text = WAN_TEXT_TOKENS
    per_layer = (
        2 * tokens * width * width * 4  # self-attention q, k, v, out
        + 2 * 2 * tokens * tokens * width  # scores and weighted sum
        + 2 * tokens * width * width * 2  # cross-attention q, out
        + 2 * text * width * width * 2  # cross-attention k, v over the text
        + 2 * 2 * tokens * text * width  # cross-attention scores and sum
        + 2 * tokens * width * config["ffn_dim"] * 2  # feed-forward
    )
    return per_layer * config["num_layers"] * (2 if guided else 1)


def matmul_peak(device: torch.device) -> float:
    """Measured dense matmul FLOP/s: bf16 on a GPU, float32 on the CPU."""
    if device.type == "cuda":
        n, dtype, repeats = 8192, torch.bfloat16, 50
    else:
        n, dtype, repeats = 1024, torch.float32, 10
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(3):
        a @ b
    synchronize(device)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(device)
    return 2 * n**3 * repeats / (time.perf_counter() - started)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def free(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()


def run_stock(folder: Path, case: Case, negative: str, device: torch.device) -> Timed:
    """diffusers as its docs show it: WanPipeline, VAE in float32, everything on the GPU."""
    from diffusers import AutoencoderKLWan, WanPipeline

    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    vae = AutoencoderKLWan.from_pretrained(folder, subfolder="vae", **dtype_argument(torch.float32))
    pipe = WanPipeline.from_pretrained(folder, vae=vae, **dtype_argument(dtype)).to(device)
    pipe.set_progress_bar_config(disable=True)
    final: dict[str, torch.Tensor] = {}

    def keep_latents(pipeline: Any, step: int, timestep: Any, tensors: dict) -> dict:
        if step == case.steps - 1:
            final["latents"] = tensors["latents"].float().cpu()
        return tensors

    def call(prompt: str, steps: int, **extra: Any) -> torch.Tensor:
        return pipe(
            prompt=prompt,
            negative_prompt=negative,
            height=case.height,
            width=case.width,
            num_frames=case.frames,
            num_inference_steps=steps,
            guidance_scale=case.guidance,
            generator=torch.Generator().manual_seed(0),
            output_type="pt",
            max_sequence_length=WAN_TEXT_TOKENS,
            **extra,
        ).frames[0]

    call(WARMUP_PROMPT, 2)
    synchronize(device)
    started = time.perf_counter()
    video = call(PROMPT, case.steps, callback_on_step_end=keep_latents)
    synchronize(device)
    seconds = time.perf_counter() - started
    return Timed(seconds=seconds, latents=final["latents"], video=video.float().cpu())


def run_reelmint(
    folder: Path, case: Case, speed: ModelSpeed, device: torch.device
) -> tuple[Timed, dict[str, str]]:
    """reelmint's engine (the one `reelmint generate --backend wan` uses), same inputs."""
    options = BackendOptions(
        model_path=folder,
        steps=case.steps,
        guidance=case.guidance,
        device=str(device),
        speed=speed,
    )
    backend = WanBackend(options)
    engine = backend.engine()
    size = Size(case.width, case.height)

    def call(prompt: str, steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        latents, job = engine.sample(
            prompt=prompt,
            frames=case.frames,
            size=size,
            settings=backend.settings.overridden(steps=steps, guidance=None),
            generator=torch.Generator().manual_seed(0),
        )
        with torch.inference_mode():
            video = engine.decode(latents, job, case.frames, size)
        return latents, video

    call(WARMUP_PROMPT, 2)  # compiles the blocks; caches the negative prompt's embedding
    synchronize(device)
    started = time.perf_counter()
    latents, video = call(PROMPT, case.steps)
    synchronize(device)
    seconds = time.perf_counter() - started
    # ours is (F, 3, H, W) in [-1, 1]; stock's is postprocessed to [0, 1]
    frames = ((video.float() + 1) / 2).clamp(0, 1).cpu()
    return Timed(seconds=seconds, latents=latents.float().cpu(), video=frames), dict(engine.facts)


def relative_error(ours: torch.Tensor, reference: torch.Tensor) -> float:
    return float((ours - reference).norm() / reference.norm().clamp_min(1e-12))


def report(
    case: Case,
    device: torch.device,
    stock: Timed,
    ours: Timed,
    facts: dict[str, str],
    flops_per_step: float,
    peak: float,
) -> bool:
    floor = flops_per_step * case.steps / peak
    latent_error = relative_error(ours.latents, stock.latents)
    video_error = relative_error(ours.video, stock.video)
    agree = latent_error < TOLERANCE and video_error < TOLERANCE
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor()
    rows = [
        ("device", f"{name or device.type} (torch {torch.__version__})"),
        (
            "clip",
            f"{case.width}x{case.height}, {case.frames} frames, {case.steps} steps, "
            f"guidance {case.guidance:g}",
        ),
        ("reelmint options", ", ".join(f"{k}={v}" for k, v in facts.items()) or "none"),
        ("stock diffusers", f"{stock.seconds:8.2f} s/clip"),
        ("reelmint", f"{ours.seconds:8.2f} s/clip"),
        ("speed-up", f"{stock.seconds / ours.seconds:8.2f}x  (target >= 1.5x)"),
        ("FLOPs per step", f"{flops_per_step / 1e12:8.3f} TFLOP (transformer, with guidance)"),
        ("matmul peak", f"{peak / 1e12:8.3f} TFLOP/s measured"),
        ("floor", f"{floor:8.3f} s/clip  (reelmint reaches {floor / ours.seconds:.0%} of peak)"),
        ("latents rel. error", f"{latent_error:.2e}"),
        ("video rel. error", f"{video_error:.2e}  ({'ok' if agree else 'FAIL'}: < {TOLERANCE:g})"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return agree


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny random model on the CPU")
    parser.add_argument("--model-path", type=Path, help="a real diffusers-format Wan folder")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "reelmint-bench",
        help="where the random model is built (once)",
    )
    parser.add_argument("--height", type=int)
    parser.add_argument("--width", type=int)
    parser.add_argument("--frames", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--guidance", type=float, default=5.0)
    parser.add_argument(
        "--compile",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="torch.compile the transformer blocks (default: on for CUDA, off for --tiny)",
    )
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    quiet_libraries()
    if not args.tiny and not torch.cuda.is_available():
        print("no CUDA GPU: run on a GPU machine, or pass --tiny for a CPU smoke check")
        return 2
    device = torch.device("cpu" if args.tiny else "cuda")
    defaults = (64, 64, 17, 4) if args.tiny else (480, 832, 81, 50)
    case = Case(
        height=args.height or defaults[0],
        width=args.width or defaults[1],
        frames=args.frames or defaults[2],
        steps=args.steps or defaults[3],
        guidance=args.guidance,
    )
    compile_blocks = (not args.tiny) if args.compile is None else args.compile
    speed = ModelSpeed(compile=compile_blocks, batch_cfg=True, cache_prompt_embeddings=True)
    folder = model_folder(args, device)
    config = tiny_models().TINY_WAN_TRANSFORMER if args.tiny else WAN_1_3B_TRANSFORMER
    if args.model_path is not None:
        import json

        config = json.loads((folder / "transformer" / "config.json").read_text())
    flops = transformer_flops(config, case, guided=case.guidance > 1.0)
    peak = matmul_peak(device)
    negative = WanBackend.defaults.negative_prompt
    stock = run_stock(folder, case, negative, device)
    free(device)  # the stock pipeline is gone with its function's frame
    ours, facts = run_reelmint(folder, case, speed, device)
    facts = {"batch_cfg": "on", "cache_prompt_embeddings": "on", **facts}
    return 0 if report(case, device, stock, ours, facts, flops, peak) else 1


if __name__ == "__main__":
    raise SystemExit(main())
