"""Tiny random Wan and LTX-Video models, saved in the layout of the real ones.

No weights can be downloaded here, so tests (and `bench/gpu_models.py --tiny`) build every
component in code — transformer, VAE, text encoder, and a tokenizer made with the `tokenizers`
library — and `save_pretrained` them into a folder that the backends load through their real
loading path. The VAEs keep the real compression (Wan: 8x space, 4x time; LTX: 32x, 8x), so
the frame rules and size arithmetic are the real ones; only the widths are tiny. The same
builders take full-size configs, which is how the GPU benchmark makes Wan2.1-1.3B's
architecture with random weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from reelmint.engine.vocabulary import COLOURS, SETTINGS, SUBJECT_KINDS

SPECIAL_TOKENS = ("<pad>", "</s>", "<unk>")

TINY_TEXT_WIDTH = 16

TINY_WAN_TRANSFORMER: dict[str, Any] = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": 2,
    "attention_head_dim": 8,
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": TINY_TEXT_WIDTH,
    "freq_dim": 32,
    "ffn_dim": 32,
    "num_layers": 2,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "rope_max_seq_len": 1024,
}
TINY_WAN_VAE: dict[str, Any] = {
    # 4 channels and no extra residual blocks: the decoder runs at full resolution, and on
    # two CPU cores its cost is what a 480x480 test pays
    "base_dim": 4,
    "z_dim": 16,
    "dim_mult": [1, 1, 1, 1],
    "num_res_blocks": 0,
    "temperal_downsample": [False, True, True],
}
TINY_UMT5: dict[str, Any] = {
    "d_model": TINY_TEXT_WIDTH,
    "d_kv": 4,
    "d_ff": 32,
    "num_layers": 1,
    "num_heads": 2,
    "relative_attention_num_buckets": 8,
}
TINY_CLIP_VISION: dict[str, Any] = {
    "hidden_size": 8,
    "intermediate_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 32,
    "patch_size": 16,
    "projection_dim": 8,
}
TINY_LTX_TRANSFORMER: dict[str, Any] = {
    "in_channels": 8,
    "out_channels": 8,
    "patch_size": 1,
    "patch_size_t": 1,
    "num_attention_heads": 2,
    "attention_head_dim": 8,
    "cross_attention_dim": 16,
    "num_layers": 1,
    "caption_channels": TINY_TEXT_WIDTH,
}
TINY_LTX_VAE: dict[str, Any] = {
    "latent_channels": 8,
    "block_out_channels": (8, 8, 8, 8),
    "decoder_block_out_channels": (8, 8, 8, 8),
    "layers_per_block": (1, 1, 1, 1, 1),
    "decoder_layers_per_block": (1, 1, 1, 1, 1),
    "spatio_temporal_scaling": (True, True, True, False),
    "decoder_spatio_temporal_scaling": (True, True, True, False),
    "decoder_inject_noise": (False, False, False, False, False),
    "upsample_residual": (False, False, False, False),
    "upsample_factor": (1, 1, 1, 1),
    "patch_size": 4,
    "patch_size_t": 1,
    "timestep_conditioning": False,
}
TINY_T5: dict[str, Any] = dict(TINY_UMT5)

WAN_SCHEDULER: dict[str, Any] = {
    "prediction_type": "flow_prediction",
    "use_flow_sigmas": True,
    "flow_shift": 3.0,
    "num_train_timesteps": 1000,
}


def make_tokenizer(max_length: int) -> PreTrainedTokenizerFast:
    """A word-level tokenizer trained on the storyboard vocabulary: real ids, real padding."""
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    corpus = [
        " ".join(SUBJECT_KINDS),
        " ".join(SETTINGS),
        " ".join(COLOURS),
        "a an the of in on at with and is are walks runs flies swims jumps dances . ,",
    ]
    trainer = trainers.WordLevelTrainer(special_tokens=list(SPECIAL_TOKENS))
    tokenizer.train_from_iterator(corpus, trainer=trainer)
    eos = tokenizer.token_to_id("</s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", eos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=max_length,
    )


def build_wan_folder(
    path: Path,
    *,
    image_to_video: bool = False,
    transformer: dict[str, Any] | None = None,
    vae: dict[str, Any] | None = None,
    text_encoder: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    device: str = "cpu",
    dtype: torch.dtype = torch.float32,
    seed: int = 0,
) -> Path:
    """A Wan folder (T2V, or I2V with a CLIP image encoder) with random weights at `path`."""
    from diffusers import (
        AutoencoderKLWan,
        UniPCMultistepScheduler,
        WanImageToVideoPipeline,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    tokenizer = make_tokenizer(512)
    text_config = UMT5Config(
        vocab_size=len(tokenizer), **(TINY_UMT5 if text_encoder is None else text_encoder)
    )
    transformer_config = dict(TINY_WAN_TRANSFORMER if transformer is None else transformer)
    with torch.device(device):
        encoder = _cast(UMT5EncoderModel(text_config), dtype)
        parts: dict[str, Any] = {}
        if image_to_video:
            parts = _clip_image_parts(transformer_config)
        denoiser = _cast(WanTransformer3DModel(**transformer_config), dtype)
        autoencoder = AutoencoderKLWan(**(TINY_WAN_VAE if vae is None else vae))
    scheduler = UniPCMultistepScheduler(**WAN_SCHEDULER)
    pipeline_class = WanImageToVideoPipeline if image_to_video else WanPipeline
    pipe = pipeline_class(
        tokenizer=tokenizer,
        text_encoder=encoder,
        vae=autoencoder,
        scheduler=scheduler,
        transformer=denoiser,
        **parts,
    )
    pipe.save_pretrained(path)
    _write_settings(path, settings)
    return path


def _cast(module: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """Cast only when asked: diffusers warns on any `.to(dtype)` of a model that keeps some
    modules in float32 (they are kept in float32 again when the folder is loaded)."""
    return module if dtype == torch.float32 else module.to(dtype)


def _clip_image_parts(transformer_config: dict[str, Any]) -> dict[str, Any]:
    """Wan 2.1 image-to-video: a CLIP vision tower whose features the transformer attends to."""
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    vision = CLIPVisionConfig(**TINY_CLIP_VISION)
    inner = transformer_config["num_attention_heads"] * transformer_config["attention_head_dim"]
    transformer_config.update(in_channels=36, image_dim=vision.hidden_size, added_kv_proj_dim=inner)
    size = vision.image_size
    return {
        "image_encoder": CLIPVisionModel(vision),
        "image_processor": CLIPImageProcessor(
            size={"shortest_edge": size}, crop_size={"height": size, "width": size}
        ),
    }


def build_ltx_folder(
    path: Path,
    *,
    transformer: dict[str, Any] | None = None,
    vae: dict[str, Any] | None = None,
    text_encoder: dict[str, Any] | None = None,
    settings: dict[str, Any] | None = None,
    seed: int = 0,
) -> Path:
    """An LTX-Video folder with random weights at `path`."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(seed)
    tokenizer = make_tokenizer(128)
    pipe = LTXPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True),
        vae=AutoencoderKLLTXVideo(**(TINY_LTX_VAE if vae is None else vae)),
        text_encoder=T5EncoderModel(
            T5Config(
                vocab_size=len(tokenizer), **(TINY_T5 if text_encoder is None else text_encoder)
            )
        ),
        tokenizer=tokenizer,
        transformer=LTXVideoTransformer3DModel(
            **(TINY_LTX_TRANSFORMER if transformer is None else transformer)
        ),
    )
    pipe.save_pretrained(path)
    _write_settings(path, settings)
    return path


def _write_settings(path: Path, settings: dict[str, Any] | None) -> None:
    if settings is not None:
        (path / "reelmint.json").write_text(json.dumps(settings), encoding="utf-8")
