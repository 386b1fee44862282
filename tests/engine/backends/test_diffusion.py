"""The machinery Wan and LTX share: folder checks, frame and size rules, the loop, the options."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelmint.engine.backends import diffusion
from reelmint.engine.backends.base import BackendOptions, ModelSpeed, Size
from reelmint.engine.backends.diffusion import (
    FACT_MAX_CHARS,
    GenerationSettings,
    PromptEmbeddingCache,
    check_first_block_cache,
    folder_settings,
    inspect_model_folder,
    model_frame_count,
    resolve_model_path,
    segment_lengths,
)
from reelmint.engine.errors import BackendUnavailable, InvalidRequest

WAN_CLASSES = ("WanPipeline", "WanImageToVideoPipeline")


# --- frame and size rules ---------------------------------------------------------------------


@given(needed=st.integers(1, 400), factor=st.sampled_from([4, 8]))
def test_model_frame_count_is_the_smallest_valid_count_covering_the_need(needed, factor):
    count = model_frame_count(needed, factor)
    assert count >= needed
    assert (count - 1) % factor == 0
    assert count >= factor + 1
    assert count - factor < max(needed, factor + 1)


def test_model_frame_count_examples():
    assert model_frame_count(16, 4) == 17
    assert model_frame_count(17, 4) == 17
    assert model_frame_count(80, 4) == 81
    assert model_frame_count(24, 8) == 25
    assert model_frame_count(1, 8) == 9


@given(needed=st.integers(0, 2000), max_frames=st.sampled_from([9, 81, 257]))
def test_segment_lengths_cover_the_shot_in_as_few_near_equal_parts(needed, max_frames):
    parts = segment_lengths(needed, max_frames)
    assert sum(parts) == needed
    assert all(0 < part <= max_frames for part in parts)
    assert len(parts) == -(-needed // max_frames)
    assert not parts or max(parts) - min(parts) <= 1


def test_fit_to_size_covers_then_crops_the_centre():
    torch = pytest.importorskip("torch")
    video = torch.linspace(-1, 1, 2 * 3 * 480 * 832).reshape(2, 3, 480, 832)
    fitted = diffusion.fit_to_size(video, Size(854, 480))
    assert tuple(fitted.shape) == (2, 3, 480, 854)
    same = diffusion.fit_to_size(video, Size(832, 480))
    assert same is video


def test_fit_to_size_only_crops_when_the_native_size_is_larger():
    torch = pytest.importorskip("torch")
    video = torch.rand(1, 3, 480, 864) * 2 - 1
    fitted = diffusion.fit_to_size(video, Size(854, 480))
    assert torch.equal(fitted, video[..., :, 5:859])


def test_to_uint8_frames_maps_the_range_and_layout():
    torch = pytest.importorskip("torch")
    video = torch.stack([torch.full((3, 2, 4), value) for value in (-1.0, 0.0, 1.0, 3.0)])
    frames = diffusion.to_uint8_frames(video)
    assert frames.shape == (4, 2, 4, 3)
    assert frames.dtype == np.uint8
    assert [int(frame[0, 0, 0]) for frame in frames] == [0, 128, 255, 255]


def test_native_sizes_must_be_whole_patches():
    with pytest.raises(InvalidRequest) as caught:
        diffusion.check_native_size(Size(840, 480), 16, requested=Size(854, 480), label="Wan")
    assert caught.value.code == "invalid_size"
    diffusion.check_native_size(Size(832, 480), 16, requested=Size(854, 480), label="Wan")


# --- model folders ----------------------------------------------------------------------------


def fake_folder(root: Path, *, pipeline: str = "WanPipeline") -> Path:
    """A complete folder in the real layout, with placeholder files (nothing is loaded)."""
    components = {
        "transformer": ["diffusers", "WanTransformer3DModel"],
        "vae": ["diffusers", "AutoencoderKLWan"],
        "text_encoder": ["transformers", "UMT5EncoderModel"],
        "tokenizer": ["transformers", "T5TokenizerFast"],
        "scheduler": ["diffusers", "UniPCMultistepScheduler"],
        "transformer_2": [None, None],
    }
    root.mkdir(parents=True)
    (root / "model_index.json").write_text(json.dumps({"_class_name": pipeline, **components}))
    for name in ("transformer", "vae"):
        (root / name).mkdir()
        (root / name / "config.json").write_text("{}")
        (root / name / "diffusion_pytorch_model.safetensors").write_bytes(b"x")
    (root / "text_encoder").mkdir()
    (root / "text_encoder" / "config.json").write_text("{}")
    (root / "text_encoder" / "model.safetensors").write_bytes(b"x")
    (root / "tokenizer").mkdir()
    (root / "tokenizer" / "tokenizer.json").write_text("{}")
    (root / "scheduler").mkdir()
    (root / "scheduler" / "scheduler_config.json").write_text("{}")
    return root


def inspect(path: Path):
    return inspect_model_folder(
        path, backend="wan", env_var="REELMINT_WAN_PATH", pipeline_classes=WAN_CLASSES
    )


def test_a_complete_folder_passes(tmp_path):
    folder = inspect(fake_folder(tmp_path / "m"))
    assert folder.pipeline_class == "WanPipeline"
    assert folder.has("transformer")
    assert not folder.has("transformer_2")


def test_a_missing_folder_names_the_variable_and_the_flag(tmp_path):
    with pytest.raises(BackendUnavailable) as caught:
        inspect(tmp_path / "nowhere")
    assert caught.value.code == "model_not_found"
    assert "REELMINT_WAN_PATH" in str(caught.value)
    assert "--model-path" in str(caught.value)


def test_a_folder_without_model_index_says_so(tmp_path):
    root = fake_folder(tmp_path / "m")
    (root / "model_index.json").unlink()
    with pytest.raises(BackendUnavailable) as caught:
        inspect(root)
    assert caught.value.code == "model_incomplete"
    assert "model_index.json" in str(caught.value)


def test_every_missing_piece_is_named_at_once(tmp_path):
    root = fake_folder(tmp_path / "m")
    (root / "transformer" / "config.json").unlink()
    (root / "text_encoder" / "model.safetensors").unlink()
    (root / "tokenizer" / "tokenizer.json").unlink()
    shutil.rmtree(root / "scheduler")
    with pytest.raises(BackendUnavailable) as caught:
        inspect(root)
    message = str(caught.value)
    assert caught.value.code == "model_incomplete"
    assert "transformer/config.json" in message
    assert "text_encoder weights" in message
    assert "tokenizer/tokenizer.json" in message
    assert "scheduler/" in message


def test_missing_shards_of_a_sharded_model_are_named(tmp_path):
    root = fake_folder(tmp_path / "m")
    (root / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    index = {"weight_map": {"a": "part-1.safetensors", "b": "part-2.safetensors"}}
    (root / "transformer" / "diffusion_pytorch_model.safetensors.index.json").write_text(
        json.dumps(index)
    )
    (root / "transformer" / "part-1.safetensors").write_bytes(b"x")
    with pytest.raises(BackendUnavailable) as caught:
        inspect(root)
    assert "transformer/part-2.safetensors" in str(caught.value)
    assert "part-1" not in str(caught.value)


def test_a_component_left_out_of_model_index_is_named(tmp_path):
    root = fake_folder(tmp_path / "m")
    index = json.loads((root / "model_index.json").read_text())
    del index["vae"]
    (root / "model_index.json").write_text(json.dumps(index))
    with pytest.raises(BackendUnavailable) as caught:
        inspect(root)
    assert "vae (not listed in model_index.json)" in str(caught.value)


def test_a_folder_of_another_pipeline_is_refused(tmp_path):
    root = fake_folder(tmp_path / "m", pipeline="StableDiffusionPipeline")
    with pytest.raises(BackendUnavailable) as caught:
        inspect(root)
    assert caught.value.code == "model_unsupported"
    assert "StableDiffusionPipeline" in str(caught.value)


def test_model_path_comes_from_the_options_and_its_absence_names_flag_and_variable(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("REELMINT_WAN_PATH", str(tmp_path / "env"))  # read by config, not here
    chosen = resolve_model_path(
        BackendOptions(model_path=tmp_path / "flag"), backend="wan", env_var="REELMINT_WAN_PATH"
    )
    assert chosen == tmp_path / "flag"
    with pytest.raises(BackendUnavailable) as caught:
        resolve_model_path(BackendOptions(), backend="wan", env_var="REELMINT_WAN_PATH")
    assert caught.value.code == "model_not_found"
    assert "REELMINT_WAN_PATH" in str(caught.value)
    assert "--model-path" in str(caught.value)


def test_a_missing_models_extra_says_how_to_install_it(monkeypatch):
    real = diffusion.importlib.util.find_spec
    monkeypatch.setattr(
        diffusion.importlib.util,
        "find_spec",
        lambda name, *args: None if name == "torch" else real(name, *args),
    )
    with pytest.raises(BackendUnavailable) as caught:
        diffusion.require_models_extra("wan")
    assert caught.value.code == "models_extra_missing"
    assert "reelmint[models]" in str(caught.value)


DEFAULTS = GenerationSettings(steps=50, guidance=5.0, negative_prompt="bad")


def test_folder_settings_override_the_family_defaults(tmp_path):
    assert folder_settings(tmp_path, DEFAULTS) == DEFAULTS
    (tmp_path / "reelmint.json").write_text(json.dumps({"steps": 8, "guidance": 1}))
    settings = folder_settings(tmp_path, DEFAULTS)
    assert settings == GenerationSettings(steps=8, guidance=1.0, negative_prompt="bad")
    assert settings.overridden(steps=3, guidance=None).steps == 3
    assert settings.overridden(steps=None, guidance=None) == settings


@pytest.mark.parametrize(
    "content", ['{"steps": 0}', '{"guidance": -1}', '{"steps": "many"}', "[1]", "{not json"]
)
def test_invalid_folder_settings_are_refused(tmp_path, content):
    (tmp_path / "reelmint.json").write_text(content)
    with pytest.raises(BackendUnavailable) as caught:
        folder_settings(tmp_path, DEFAULTS)
    assert caught.value.code == "model_settings_invalid"


@pytest.mark.parametrize(("steps", "guidance"), [(0, None), (None, -0.5), (None, float("nan"))])
def test_invalid_request_settings_are_refused(steps, guidance):
    with pytest.raises(InvalidRequest):
        DEFAULTS.overridden(steps=steps, guidance=guidance)


def test_offline_mode_is_set_for_every_hub_library(monkeypatch):
    for name in diffusion.OFFLINE_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    diffusion.go_offline()
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert constants.HF_HUB_OFFLINE is True


# --- speed options and facts, without a model -------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "blocks", "says"),
    [
        (0.05, 1, "at least 2 blocks"),
        (0.05, 0, "at least 2 blocks"),
        (0.0, 30, "above 0"),
        (-0.1, 30, "above 0"),
        (float("nan"), 30, "above 0"),
    ],
)
def test_a_first_block_cache_that_cannot_work_is_refused(threshold, blocks, says):
    with pytest.raises(BackendUnavailable) as caught:
        check_first_block_cache(threshold, blocks=blocks, model="the model")
    assert caught.value.code == "invalid_speed_option"
    assert says in str(caught.value)


def test_a_first_block_cache_that_can_work_or_is_off_passes():
    check_first_block_cache(0.05, blocks=2, model="the model")
    check_first_block_cache(None, blocks=1, model="the model")


def test_a_long_fact_is_cut_to_the_limit():
    assert diffusion.short_fact("Wan2.1-T2V-1.3B") == "Wan2.1-T2V-1.3B"
    cut = diffusion.short_fact("x" * 500)
    assert len(cut) == FACT_MAX_CHARS
    assert cut.endswith("...")


# --- prompt cache ----------------------------------------------------------------------------


def test_prompt_cache_reuses_and_evicts_the_least_recent():
    calls: list[str] = []

    def encode(text: str) -> dict[str, object]:
        calls.append(text)
        return {"text": text}

    cache = PromptEmbeddingCache(2)
    cache.get("a", encode)
    cache.get("b", encode)
    cache.get("a", encode)
    cache.get("c", encode)  # evicts "b"
    cache.get("b", encode)
    assert calls == ["a", "b", "c", "b"]
    assert (cache.hits, cache.misses, len(cache)) == (1, 4, 2)


def test_a_zero_capacity_cache_keeps_nothing():
    cache = PromptEmbeddingCache(0)
    first = cache.get("a", lambda text: {"n": 1})
    second = cache.get("a", lambda text: {"n": 2})
    assert (first, second, len(cache)) == ({"n": 1}, {"n": 2}, 0)


# --- the loop and the speed options, on a tiny Wan --------------------------------------------


@pytest.fixture(scope="module")
def wan_folder(tmp_path_factory) -> Path:
    pytest.importorskip("diffusers")
    from tiny_models import build_wan_folder

    return build_wan_folder(tmp_path_factory.mktemp("diffusion") / "wan")


def tiny_engine(folder: Path, **speed: object):
    from reelmint.engine.backends.wan import WanBackend

    backend = WanBackend(BackendOptions(model_path=folder, steps=2, speed=ModelSpeed(**speed)))
    return backend, backend.engine()


def generate(backend, engine, *, prompt: str = "a red fox", seed: int = 0, guidance=None):
    import torch

    settings = backend.settings.overridden(steps=None, guidance=guidance)
    return engine.generate(
        prompt=prompt,
        frames=5,
        size=Size(32, 32),
        settings=settings,
        generator=torch.Generator().manual_seed(seed),
    )


def counter(calls: list[int]):
    """A forward hook that counts the calls of its module."""

    def hook(*args: object) -> None:
        calls.append(1)

    return hook


@pytest.mark.models
def test_loading_never_opens_a_network_connection(wan_folder, monkeypatch):
    def refuse(*args: object) -> None:
        raise AssertionError("the model loader tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    _, engine = tiny_engine(wan_folder)
    assert engine.pipe.transformer is not None


@pytest.mark.models
def test_batched_guidance_gives_the_same_video_as_two_passes(wan_folder):
    import torch

    batched = generate(*tiny_engine(wan_folder, batch_cfg=True))
    separate = generate(*tiny_engine(wan_folder, batch_cfg=False))
    assert batched.shape == (5, 3, 32, 32)
    assert torch.allclose(batched, separate, atol=1e-4)


@pytest.mark.models
def test_prompt_embeddings_are_cached_only_when_asked(wan_folder):
    for cache_on, expected_calls in ((True, 2), (False, 4)):
        backend, engine = tiny_engine(wan_folder, cache_prompt_embeddings=cache_on)
        calls: list[int] = []
        engine.pipe.text_encoder.register_forward_hook(counter(calls))
        generate(backend, engine)
        generate(backend, engine)
        # positive + negative prompt once each when cached; both again for every clip if not
        assert len(calls) == expected_calls


@pytest.mark.models
def test_without_guidance_the_negative_prompt_is_never_encoded(wan_folder):
    backend, engine = tiny_engine(wan_folder)
    blocks = []
    engine.pipe.transformer.register_forward_hook(
        lambda module, args, kwargs, out: blocks.append(kwargs["hidden_states"].shape[0]),
        with_kwargs=True,
    )
    generate(backend, engine, guidance=1.0)
    assert engine.prompts.misses == 1
    assert blocks == [1, 1], "one forward pass of batch 1 per step"


@pytest.mark.models
def test_first_block_cache_skips_blocks_and_changes_the_output(wan_folder):
    import torch

    plain_backend, plain = tiny_engine(wan_folder)
    cached_backend, cached = tiny_engine(wan_folder, first_block_cache=1e6)
    assert cached.facts["first_block_cache"] == "1e+06"
    assert cached.facts["lossy"] == "first_block_cache=1e+06", "a lossy option is visible"
    assert "lossy" not in plain.facts
    counts = {"plain": 0, "cached": 0}
    # the feed-forward of the last block runs only when the block is computed, not reused
    plain.pipe.transformer.blocks[-1].ffn.register_forward_hook(
        lambda *args: counts.__setitem__("plain", counts["plain"] + 1)
    )
    cached.pipe.transformer.blocks[-1].ffn.register_forward_hook(
        lambda *args: counts.__setitem__("cached", counts["cached"] + 1)
    )
    reference = generate(plain_backend, plain)
    approximate = generate(cached_backend, cached)
    assert counts == {"plain": 2, "cached": 1}, "the second step reused the first one's residual"
    assert not torch.allclose(reference, approximate)


@pytest.mark.models
def test_compile_tiling_and_offload_options_are_applied(wan_folder):
    _, engine = tiny_engine(wan_folder, compile=True, vae_tiling=True, cpu_offload=True)
    blocks = engine.pipe.transformer.blocks
    assert all(block._compiled_call_impl is not None for block in blocks)
    assert engine.pipe.vae.use_tiling
    assert engine.facts["cpu_offload"] == "ignored on CPU"
    assert engine.facts["compile"] == "transformer blocks"


def test_the_backend_modules_do_not_import_torch():
    import subprocess

    code = (
        "import sys; import reelmint.engine.backends.wan, reelmint.engine.backends.ltx; "
        "print(sorted(m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
