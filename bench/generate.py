"""How fast is one preview generation, against the cost of encoding alone?

For a 10 s 854x480 clip this prints: the whole generation's wall time (plan, render, watermark,
encode, sign), the time to render the frames alone, and the time to encode the same frames
alone (the baseline, measured in the same run), with the ratio total / encode-only. A ratio
near 1 means rendering hides behind encoding. Targets on a 2-core machine: total < 3 s,
ratio < 1.5.

    python bench/generate.py [--repeat 3] [--seconds 10] [--size 854x480]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from reelmint.engine.backends.base import RenderParams, Size, no_progress
from reelmint.engine.backends.registry import create_backend
from reelmint.engine.pipeline import GenerationRequest, check_request, generate
from reelmint.engine.postprocess.encode import EncodeSettings, encode_mp4

PROMPTS = {
    "busy": (
        "Three red cars drive along a city street at night in the rain, the camera pans right. "
        'Then a small dog runs across the park and says "wait for me!"'
    ),
    "simple": "A white sailboat on the ocean at sunset.",
}


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _time(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench_prompt(prompt: str, *, size: Size, seconds: float, repeat: int, work: Path) -> dict:
    checked = check_request(
        GenerationRequest(backend="preview", size=size, seconds=seconds, prompt=prompt, seed=1)
    )
    backend = create_backend("preview")
    params = RenderParams(size=size, fps=backend.fps, seed=1)
    keys = work / "keys"
    settings = EncodeSettings()
    # Warm up: the signing identity, font and sprite caches, x264 start-up.
    generate(checked, out=work / "warm.mp4", keys_dir=keys, encode=settings)

    totals, renders, encodes = [], [], []
    for i in range(repeat):
        out = work / f"t{i}.mp4"
        totals.append(_time(partial(generate, checked, out=out, keys_dir=keys, encode=settings)))
        clip = backend.render(checked.storyboard, params, no_progress)
        frames: list[np.ndarray] = []
        renders.append(_time(partial(frames.extend, clip.frames)))
        encode_only = partial(
            encode_mp4,
            iter(frames),
            size=size,
            fps=clip.fps,
            frame_count=clip.frame_count,
            audio=clip.audio,
            sample_rate=clip.sample_rate,
            out=work / f"e{i}.mp4",
            settings=settings,
        )
        encodes.append(_time(encode_only))
    total, render, encode = (statistics.median(x) for x in (totals, renders, encodes))
    return {"total": total, "render": render, "encode": encode, "ratio": total / encode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--size", default="854x480")
    args = parser.parse_args()
    size = Size.parse(args.size)
    print(f"machine: {_cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"clip: {args.seconds:g} s at {size}, 24 fps; median of {args.repeat} runs\n")
    header = (
        f"{'prompt':<8} {'total s':>8} {'render s':>9} {'encode-only s':>14} {'total/encode':>13}"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as tmp:
        for name, prompt in PROMPTS.items():
            r = bench_prompt(
                prompt, size=size, seconds=args.seconds, repeat=args.repeat, work=Path(tmp)
            )
            print(
                f"{name:<8} {r['total']:>8.2f} {r['render']:>9.2f} {r['encode']:>14.2f} "
                f"{r['ratio']:>13.2f}"
            )


if __name__ == "__main__":
    main()
