"""Wan 2.1 / 2.2 through diffusers: text-to-video, and image-to-video from a reference image.

The reference model is Wan2.1-T2V-1.3B (Apache-2.0), a 480p model: 832x480 at 16 fps, up to
81 frames (5 s) per generation. The 14B models and Wan 2.2 A14B (two experts) also make 720p.
A folder holding `WanImageToVideoPipeline` makes image-to-video: the first shot starts from
the reference image, each later one from the last frame before it.
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
    ModelFolder,
    apply_speed_options,
    check_image_mode,
    compute_dtype,
    config_int,
    dtype_argument,
    fast_attention_backend,
    image_to_model_input,
)
from reelmint.engine.errors import BackendUnavailable, InvalidRequest

if TYPE_CHECKING:
    import torch
    from PIL import Image

WAN_NATIVE_SIZES: Mapping[Size, Size] = {
    Size(854, 480): Size(832, 480),
    Size(480, 854): Size(480, 832),
    Size(480, 480): Size(480, 480),
    Size(1280, 720): Size(1280, 720),
    Size(720, 1280): Size(720, 1280),
    Size(720, 720): Size(720, 720),
}
"""Our sizes -> what Wan generates (its training sizes), then scaled to cover and cropped."""

WAN_NEGATIVE_PROMPT = (
    "blurry, low quality, low resolution, overexposed, washed-out colours, static frame, "
    "jerky motion, distorted anatomy, deformed hands, extra limbs, watermark, captions, text"
)
WAN_TEXT_TOKENS = 512
WAN_720P_MIN_WIDTH = 5120
"""Transformer width (heads x head size) of the 14B-class models that were trained on 720p."""
WAN_I2V_CLASS = "WanImageToVideoPipeline"


class WanEngine(DiffusionEngine):
    """A loaded Wan pipeline (text-to-video or image-to-video)."""

    def __init__(self, pipe: Any, *, image_to_video: bool, **kwargs: Any) -> None:
        super().__init__(pipe, **kwargs)
        self.image_to_video = image_to_video
        transformer = pipe.transformer
        self.dtype = transformer.dtype
        self.temporal_factor = pipe.vae_scale_factor_temporal

    @property
    def label(self) -> str:
        return "Wan"

    def encode_text(self, text: str) -> dict[str, Any]:
        embeds, _ = self.pipe.encode_prompt(
            prompt=text,
            do_classifier_free_guidance=False,
            max_sequence_length=WAN_TEXT_TOKENS,
            device=self.device,
        )
        return {"encoder_hidden_states": embeds.to(self.dtype)}

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
        """Steps of WanPipeline.__call__ up to the loop: timesteps, noise, image condition."""
        import torch

        check_image_mode(
            image_to_video=self.image_to_video, has_image=image is not None, model=self.label
        )
        pipe = self.pipe
        # 1. timesteps (the folder's scheduler carries the flow shift)
        pipe.scheduler.set_timesteps(steps, device=self.device)
        if hasattr(pipe.scheduler, "set_begin_index"):
            pipe.scheduler.set_begin_index(0)
        # 2. noise, and for image-to-video the encoded first frame and its mask
        if image is not None:
            latents, model_input, positive, negative = self._image_condition(
                image, frames, size, generator, positive, negative
            )
        else:
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

            def model_input(noisy: torch.Tensor) -> torch.Tensor:
                return noisy.to(self.dtype)

        return DenoiseJob(
            latents=latents,
            timesteps=pipe.scheduler.timesteps,
            scheduler=pipe.scheduler,
            positive=positive,
            negative=negative,
            guidance=guidance,
            model_for=self._expert_for(),
            model_input=model_input,
        )

    def _image_condition(
        self,
        image: Image.Image,
        frames: int,
        size: Size,
        generator: torch.Generator,
        positive: dict[str, Any],
        negative: dict[str, Any] | None,
    ) -> tuple[Any, Any, dict[str, Any], dict[str, Any] | None]:
        import torch

        pipe = self.pipe
        picture = image_to_model_input(image, size)
        pixels = pipe.video_processor.preprocess(picture, height=size.height, width=size.width)
        latents, condition = pipe.prepare_latents(
            pixels.to(self.device, dtype=torch.float32),
            1,
            pipe.vae.config.z_dim,
            size.height,
            size.width,
            frames,
            torch.float32,
            self.device,
            generator,
        )
        condition = condition.to(self.dtype)

        def model_input(noisy: torch.Tensor) -> torch.Tensor:
            return torch.cat([noisy.to(self.dtype), condition], dim=1)

        if pipe.transformer.config.image_dim is not None:
            # Wan 2.1 image-to-video also attends to CLIP features of the image
            embeds = pipe.encode_image(picture, self.device).to(self.dtype)
            positive = {**positive, "encoder_hidden_states_image": embeds}
            if negative is not None:
                negative = {**negative, "encoder_hidden_states_image": embeds}
        return latents, model_input, positive, negative

    def _expert_for(self) -> Any:
        """Wan 2.2 A14B hands the low-noise steps to a second transformer."""
        pipe = self.pipe
        ratio = pipe.config.boundary_ratio
        if ratio is None or pipe.transformer_2 is None:
            return lambda timestep: pipe.transformer
        boundary = ratio * pipe.scheduler.config.num_train_timesteps
        return lambda timestep: pipe.transformer if timestep >= boundary else pipe.transformer_2

    def decode(
        self, latents: torch.Tensor, job: DenoiseJob, frames: int, size: Size
    ) -> torch.Tensor:
        import torch

        vae = self.pipe.vae
        config = vae.config
        latents = latents.to(self.device, dtype=vae.dtype)
        mean = torch.tensor(config.latents_mean).view(1, config.z_dim, 1, 1, 1).to(latents)
        inverse_std = 1.0 / torch.tensor(config.latents_std).view(1, config.z_dim, 1, 1, 1)
        latents = latents / inverse_std.to(latents) + mean
        video = vae.decode(latents, return_dict=False)[0]
        return video[0].permute(1, 0, 2, 3)


class WanBackend(DiffusionBackend):
    """Wan 2.1 / 2.2 (diffusers `WanPipeline`, `WanImageToVideoPipeline`) from a local folder."""

    name: ClassVar[str] = "wan"
    description: ClassVar[str] = (
        "Wan 2.1/2.2 video model (diffusers) from a local folder; GPU recommended"
    )
    sizes: ClassVar[tuple[Size, ...]] = STANDARD_SIZES
    native_sizes: ClassVar[Mapping[Size, Size]] = WAN_NATIVE_SIZES
    min_seconds: ClassVar[float] = 1.0
    max_seconds: ClassVar[float] = 20.0
    fps: ClassVar[int] = 16
    gpu_seconds_per_clip_second: ClassVar[float] = 14.0
    accepts_reference_images: ClassVar[bool] = True  # with an image-to-video model folder
    """Estimate for Wan2.1-T2V-1.3B, 832x480, 50 steps, guidance on, one H100."""

    label: ClassVar[str] = "Wan"
    env_var: ClassVar[str] = "REELMINT_WAN_PATH"
    pipeline_classes: ClassVar[tuple[str, ...]] = ("WanPipeline", WAN_I2V_CLASS)
    image_to_video_classes: ClassVar[tuple[str, ...]] = (WAN_I2V_CLASS,)
    default_blocks: ClassVar[int] = 40
    max_frames_per_generation: ClassVar[int] = 81
    defaults: ClassVar[GenerationSettings] = GenerationSettings(
        steps=50, guidance=5.0, negative_prompt=WAN_NEGATIVE_PROMPT
    )

    def check_folder(self, folder: ModelFolder) -> None:
        if folder.index.get("expand_timesteps"):
            raise BackendUnavailable(
                f"model folder {str(folder.path)!r} holds Wan 2.2 TI2V (per-token timesteps, "
                "24 fps), which this backend does not run; use a Wan 2.1 or Wan 2.2 A14B folder",
                code="model_unsupported",
            )

    def spatial_unit(self) -> int:
        """VAE downscale x transformer patch, as WanPipeline computes it (defaults: 8 x 2)."""
        vae = self.folder.component_config("vae")
        patch = self.transformer_config.get("patch_size", (1, 2, 2))
        if not isinstance(patch, list | tuple) or len(patch) != 3:
            raise BackendUnavailable(
                f"model folder {str(self.model_path)!r}: transformer/config.json has an "
                f"unexpected patch_size {patch!r}",
                code="model_unsupported",
            )
        return config_int(vae, "scale_factor_spatial", 8) * int(patch[1])

    def max_short_side(self) -> int:
        """720 for the 14B-class models (trained on 720p), 480 for the 1.3B ones."""
        config = self.transformer_config
        width = config_int(config, "num_attention_heads", 40) * config_int(
            config, "attention_head_dim", 128
        )
        return 720 if width >= WAN_720P_MIN_WIDTH else 480

    def check_size(self, native: Size, requested: Size) -> None:
        super().check_size(native, requested)
        limit = self.max_short_side()
        if min(native.width, native.height) > limit:
            raise InvalidRequest(
                f"this Wan model was trained at {limit}p (like Wan2.1-T2V-1.3B) and cannot "
                f"make {requested}; choose 854x480, 480x854 or 480x480, or use a 14B model "
                "for 720p",
                code="invalid_size",
            )

    def load(self, device: torch.device) -> WanEngine:
        """The folder's pipeline, its VAE in float32 (Wan's VAE is unstable in bf16)."""
        import torch
        from diffusers import AutoencoderKLWan, WanImageToVideoPipeline, WanPipeline

        pipeline_class = WanImageToVideoPipeline if self.image_to_video else WanPipeline
        vae = AutoencoderKLWan.from_pretrained(
            self.model_path, subfolder="vae", **dtype_argument(torch.float32), local_files_only=True
        )
        pipe = pipeline_class.from_pretrained(
            self.model_path, vae=vae, **dtype_argument(compute_dtype(device)), local_files_only=True
        )
        pipe.set_progress_bar_config(disable=True)
        speed = self.options.speed
        facts = apply_speed_options(
            pipe, speed, device, attention_backend=fast_attention_backend(device, speed.attention)
        )
        engine = WanEngine(
            pipe, image_to_video=self.image_to_video, device=pipe._execution_device, speed=speed
        )
        engine.facts.update(facts)
        return engine
