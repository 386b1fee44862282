"""LTX-Video through diffusers' `LTXPipeline`: text-to-video at 24 fps from a local folder.

LTX-Video generates sizes in whole 32-pixel blocks and 8k+1 frames, up to 257 (10.7 s) per
generation. Our sizes are rounded up to the next block and cropped back: pixels are never
resampled, at most 16 rows or 10 columns are cut from the edges.

Only `LTXPipeline` folders are run. `LTXImageToVideoPipeline` and `LTXConditionPipeline`
folders are refused when the backend is made (not loaded and then run as text-to-video):
their conditioning is not implemented or tested here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from reelmint.engine.backends.base import STANDARD_SIZES, Size
from reelmint.engine.backends.diffusion import (
    DenoiseJob,
    DiffusionBackend,
    DiffusionEngine,
    GenerationSettings,
    apply_speed_options,
    check_image_mode,
    compute_dtype,
    config_int,
    dtype_argument,
)

if TYPE_CHECKING:
    import torch
    from PIL import Image

LTX_NATIVE_SIZES: Mapping[Size, Size] = {
    Size(854, 480): Size(864, 480),
    Size(480, 854): Size(480, 864),
    Size(480, 480): Size(480, 480),
    Size(1280, 720): Size(1280, 736),
    Size(720, 1280): Size(736, 1280),
    Size(720, 720): Size(736, 736),
}
"""Our sizes -> the next whole 32-pixel blocks LTX generates, then centre-cropped."""

LTX_FPS = 24
LTX_NEGATIVE_PROMPT = (
    "low quality, blurry, jittery motion, inconsistent motion, distorted shapes, flicker, "
    "watermark, text"
)
LTX_TEXT_TOKENS = 128


class LtxEngine(DiffusionEngine):
    """A loaded LTX-Video pipeline."""

    def __init__(self, pipe: Any, **kwargs: Any) -> None:
        super().__init__(pipe, **kwargs)
        self.dtype = pipe.transformer.dtype
        self.spatial_factor = pipe.vae_spatial_compression_ratio
        self.temporal_factor = (
            pipe.vae_temporal_compression_ratio * pipe.transformer_temporal_patch_size
        )

    @property
    def label(self) -> str:
        return "LTX-Video"

    def encode_text(self, text: str) -> dict[str, Any]:
        embeds, mask, _, _ = self.pipe.encode_prompt(
            prompt=text,
            do_classifier_free_guidance=False,
            max_sequence_length=LTX_TEXT_TOKENS,
            device=self.device,
        )
        return {"encoder_hidden_states": embeds.to(self.dtype), "encoder_attention_mask": mask}

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
        """Steps of LTXPipeline.__call__ up to the loop: noise, shifted sigmas, RoPE scale."""
        import numpy as np
        import torch
        from diffusers.pipelines.ltx.pipeline_ltx import calculate_shift, retrieve_timesteps

        check_image_mode(image_to_video=False, has_image=image is not None, model=self.label)
        pipe = self.pipe
        # 1. packed noise: (1, tokens, channels)
        latents = pipe.prepare_latents(
            1,
            pipe.transformer.config.in_channels,
            size.height,
            size.width,
            frames,
            torch.float32,
            self.device,
            generator,
        )
        # 2. sigmas shifted by the token count, as the model was trained
        grid = self._latent_grid(frames, size)
        config = pipe.scheduler.config
        mu = calculate_shift(
            grid[0] * grid[1] * grid[2],
            config.get("base_image_seq_len", 256),
            config.get("max_image_seq_len", 4096),
            config.get("base_shift", 0.5),
            config.get("max_shift", 1.15),
        )
        sigmas = np.linspace(1.0, 1 / steps, steps)
        timesteps, _ = retrieve_timesteps(
            pipe.scheduler, steps, self.device, None, sigmas=sigmas, mu=mu
        )
        # 3. what the transformer needs to place tokens in space and time
        shared = {
            "num_frames": grid[0],
            "height": grid[1],
            "width": grid[2],
            "rope_interpolation_scale": (
                pipe.vae_temporal_compression_ratio / LTX_FPS,
                self.spatial_factor,
                self.spatial_factor,
            ),
        }

        def model_input(noisy: torch.Tensor) -> torch.Tensor:
            return noisy.to(self.dtype)

        return DenoiseJob(
            latents=latents,
            timesteps=timesteps,
            scheduler=pipe.scheduler,
            positive=positive,
            negative=negative,
            guidance=guidance,
            model_for=lambda timestep: pipe.transformer,
            model_input=model_input,
            shared=shared,
        )

    def _latent_grid(self, frames: int, size: Size) -> tuple[int, int, int]:
        pipe = self.pipe
        return (
            (frames - 1) // pipe.vae_temporal_compression_ratio + 1,
            size.height // self.spatial_factor,
            size.width // self.spatial_factor,
        )

    def decode(
        self, latents: torch.Tensor, job: DenoiseJob, frames: int, size: Size
    ) -> torch.Tensor:
        import torch

        pipe = self.pipe
        vae = pipe.vae
        latent_frames, height, width = self._latent_grid(frames, size)
        latents = pipe._unpack_latents(
            latents,
            latent_frames,
            height,
            width,
            pipe.transformer_spatial_patch_size,
            pipe.transformer_temporal_patch_size,
        )
        latents = pipe._denormalize_latents(
            latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
        )
        latents = latents.to(self.dtype).to(vae.dtype)
        # Timestep-conditioned VAEs (LTX 0.9.1+) decode at t = 0: diffusers' default.
        timestep = (
            torch.zeros(1, device=latents.device, dtype=latents.dtype)
            if vae.config.timestep_conditioning
            else None
        )
        video = vae.decode(latents, timestep, return_dict=False)[0]
        return video[0].permute(1, 0, 2, 3)


class LtxBackend(DiffusionBackend):
    """LTX-Video (diffusers `LTXPipeline`) from a local folder."""

    name: ClassVar[str] = "ltx"
    description: ClassVar[str] = "LTX-Video model (diffusers) from a local folder; GPU recommended"
    sizes: ClassVar[tuple[Size, ...]] = STANDARD_SIZES
    native_sizes: ClassVar[Mapping[Size, Size]] = LTX_NATIVE_SIZES
    min_seconds: ClassVar[float] = 1.0
    max_seconds: ClassVar[float] = 20.0
    fps: ClassVar[int] = LTX_FPS
    gpu_seconds_per_clip_second: ClassVar[float] = 3.0
    """Estimate for LTX-Video 2B (0.9.x), 864x480, 50 steps, guidance on, one H100."""

    label: ClassVar[str] = "LTX-Video"
    env_var: ClassVar[str] = "REELMINT_LTX_PATH"
    pipeline_classes: ClassVar[tuple[str, ...]] = ("LTXPipeline",)
    default_blocks: ClassVar[int] = 28
    max_frames_per_generation: ClassVar[int] = 257
    defaults: ClassVar[GenerationSettings] = GenerationSettings(
        steps=50, guidance=3.0, negative_prompt=LTX_NEGATIVE_PROMPT
    )

    def spatial_unit(self) -> int:
        """VAE compression x transformer patch, as LTXPipeline computes them (32 x 1)."""
        vae = self.folder.component_config("vae")
        if vae.get("spatial_compression_ratio") is not None:
            ratio = config_int(vae, "spatial_compression_ratio", 32)
        else:
            scaling = vae.get("spatio_temporal_scaling", (True, True, True, False))
            ratio = config_int(vae, "patch_size", 4) * 2 ** sum(bool(s) for s in scaling)
        return ratio * config_int(self.transformer_config, "patch_size", 1)

    def load(self, device: torch.device) -> LtxEngine:
        from diffusers import LTXPipeline

        pipe = LTXPipeline.from_pretrained(
            self.model_path, **dtype_argument(compute_dtype(device)), local_files_only=True
        )
        pipe.set_progress_bar_config(disable=True)
        speed = self.options.speed
        facts = apply_speed_options(pipe, speed, device)
        engine = LtxEngine(pipe, device=pipe._execution_device, speed=speed)
        engine.facts.update(facts)
        return engine
