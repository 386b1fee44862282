"""The LTX-Video backend, on a tiny random LTX model loaded from a folder in the real layout."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from reelmint.engine.backends.base import (
    STANDARD_SIZES,
    BackendOptions,
    ModelSpeed,
    ProgressEvent,
    RenderParams,
    Size,
)
from reelmint.engine.backends.diffusion import apply_speed_options
from reelmint.engine.backends.ltx import LTX_NATIVE_SIZES, LtxBackend
from reelmint.engine.backends.registry import create_backend, get_backend
from reelmint.engine.errors import BackendUnavailable, InvalidRequest
from reelmint.engine.storyboard import Shot, Storyboard

pytest.importorskip("diffusers")
pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def ltx_folder(tmp_path_factory) -> Path:
    from tiny_models import build_ltx_folder

    return build_ltx_folder(tmp_path_factory.mktemp("ltx") / "LTX-tiny", settings={"steps": 2})


@pytest.fixture(scope="module")
def ltx(ltx_folder) -> LtxBackend:
    backend = create_backend("ltx", BackendOptions(model_path=ltx_folder))
    assert isinstance(backend, LtxBackend)
    return backend


@pytest.fixture
def never_load(monkeypatch):
    """Make loading a model fail the test: what is checked here must need no weights."""

    def refuse(self, device) -> None:
        pytest.fail("the model was loaded before the request was refused")

    monkeypatch.setattr(LtxBackend, "load", refuse)


def board(*shots: tuple[str, float, str]) -> Storyboard:
    return Storyboard(
        prompt=" then ".join(prompt for prompt, _, _ in shots),
        shots=tuple(
            Shot(prompt=prompt, duration=seconds, setting=setting)
            for prompt, seconds, setting in shots
        ),
    )


def test_metadata_is_readable_from_the_class():
    backend_class = get_backend("ltx")
    assert backend_class is LtxBackend
    assert backend_class.fps == 24
    assert backend_class.uses_model
    assert backend_class.source_type == "trained_algorithmic"
    assert set(backend_class.sizes) == set(STANDARD_SIZES) == set(LTX_NATIVE_SIZES)


def test_native_sizes_are_the_next_whole_32_pixel_blocks():
    for requested, native in LTX_NATIVE_SIZES.items():
        assert native.width % 32 == 0
        assert native.height % 32 == 0
        assert 0 <= native.width - requested.width < 32
        assert 0 <= native.height - requested.height < 32


def test_no_model_folder_names_the_variable_and_the_flag(monkeypatch):
    monkeypatch.delenv("REELMINT_LTX_PATH", raising=False)
    with pytest.raises(BackendUnavailable) as caught:
        create_backend("ltx", BackendOptions())
    assert caught.value.code == "model_not_found"
    assert "REELMINT_LTX_PATH" in str(caught.value)
    assert "--model-path" in str(caught.value)


def test_an_incomplete_folder_names_what_is_missing(tmp_path, ltx_folder):
    broken = shutil.copytree(ltx_folder, tmp_path / "broken")
    shutil.rmtree(broken / "vae")
    (broken / "tokenizer" / "tokenizer.json").unlink()
    with pytest.raises(BackendUnavailable) as caught:
        LtxBackend(BackendOptions(model_path=broken))
    assert caught.value.code == "model_incomplete"
    assert "vae/" in str(caught.value)
    assert "tokenizer/tokenizer.json" in str(caught.value)


def test_a_wan_folder_is_not_an_ltx_folder(tmp_path, ltx_folder):
    folder = shutil.copytree(ltx_folder, tmp_path / "other")
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "_class_name": "WanPipeline"}))
    with pytest.raises(BackendUnavailable) as caught:
        LtxBackend(BackendOptions(model_path=folder))
    assert caught.value.code == "model_unsupported"


@pytest.mark.parametrize("pipeline", ["LTXImageToVideoPipeline", "LTXConditionPipeline"])
def test_ltx_image_conditioned_folders_are_refused_up_front(tmp_path, ltx_folder, pipeline):
    """Refused when the backend is made, instead of being loaded as text-to-video."""
    folder = shutil.copytree(ltx_folder, tmp_path / pipeline)
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "_class_name": pipeline}))
    with pytest.raises(BackendUnavailable) as caught:
        LtxBackend(BackendOptions(model_path=folder))
    assert caught.value.code == "model_unsupported"
    assert pipeline in str(caught.value)
    assert "supports only LTXPipeline folders" in str(caught.value)


def test_the_size_grid_read_from_the_folder_is_the_loaded_pipelines(ltx):
    pipe = ltx.engine().pipe
    loaded = pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size
    assert ltx.spatial_unit() == loaded == 32


def test_a_first_block_cache_on_a_one_block_transformer_is_refused_before_loading(
    never_load, ltx_folder
):
    speed = ModelSpeed(first_block_cache=0.05)
    with pytest.raises(BackendUnavailable) as caught:
        LtxBackend(BackendOptions(model_path=ltx_folder, speed=speed))  # the tiny one has 1
    assert caught.value.code == "invalid_speed_option"
    assert "at least 2 blocks" in str(caught.value)


def test_a_first_block_cache_on_a_loaded_one_block_transformer_is_a_clear_error(ltx):
    """Not diffusers' IndexError, which would surface as an unexpected failure."""
    import torch

    pipe = ltx.engine().pipe
    with pytest.raises(BackendUnavailable) as caught:
        apply_speed_options(pipe, ModelSpeed(first_block_cache=0.05), torch.device("cpu"))
    assert caught.value.code == "invalid_speed_option"


def test_shots_become_frames_at_24_fps_with_ambience(ltx):
    events: list[ProgressEvent] = []
    clip = ltx.render(
        board(("a red car on a highway", 0.5, "highway"), ("a whale in the ocean", 0.5, "ocean")),
        RenderParams(size=Size(480, 480), fps=24, seed=5),
        events.append,
    )
    frames = list(clip.frames)
    assert clip.frame_count == 24 == len(frames)
    assert all(frame.shape == (480, 480, 3) and frame.dtype == np.uint8 for frame in frames)
    assert clip.audio.shape == (48_000, 2)
    assert np.abs(clip.audio).mean() > 1e-4
    assert [(e.stage, e.shot, e.done, e.total) for e in events] == [
        ("denoise", 0, 1, 2),
        ("denoise", 0, 2, 2),
        ("decode", 0, 1, 1),
        ("denoise", 1, 1, 2),
        ("denoise", 1, 2, 2),
        ("decode", 1, 1, 1),
    ]


def test_a_wide_size_is_generated_in_whole_blocks_and_cropped(ltx):
    clip = ltx.render(
        board(("a bus in the city", 0.25, "city")),
        RenderParams(size=Size(854, 480), fps=24, seed=5),
        lambda event: None,
    )
    frames = list(clip.frames)
    assert clip.facts["native_size"] == "864x480"
    assert len(frames) == 6
    assert all(frame.shape == (480, 854, 3) for frame in frames)


def test_the_loop_matches_diffusers_ltx_pipeline(ltx):
    import torch
    from diffusers import LTXPipeline

    video = ltx.engine().generate(
        prompt="a red car",
        frames=9,
        size=Size(64, 64),
        settings=ltx.settings,
        generator=torch.Generator().manual_seed(2),
    )
    stock = LTXPipeline.from_pretrained(ltx.model_path, local_files_only=True)
    stock.set_progress_bar_config(disable=True)
    reference = stock(
        prompt="a red car",
        negative_prompt=ltx.settings.negative_prompt,
        height=64,
        width=64,
        num_frames=9,
        frame_rate=24,
        num_inference_steps=ltx.settings.steps,
        guidance_scale=ltx.settings.guidance,
        generator=torch.Generator().manual_seed(2),
        output_type="pt",
    ).frames[0]
    assert torch.allclose(((video + 1) / 2).clamp(0, 1), reference, atol=1e-4)


@pytest.mark.parametrize(
    ("size", "fps", "image", "code"),
    [
        (Size(480, 480), 24, True, "reference_image_unsupported"),
        (Size(480, 480), 16, False, "invalid_fps"),
        (Size(640, 360), 24, False, "invalid_size"),
    ],
)
def test_a_request_is_refused_before_the_model_is_loaded(
    never_load, ltx_folder, tmp_path, size, fps, image, code
):
    from PIL import Image

    path = tmp_path / "first.png"
    Image.new("RGB", (64, 64), "red").save(path)
    backend = LtxBackend(BackendOptions(model_path=ltx_folder))
    with pytest.raises(InvalidRequest) as caught:
        backend.render(
            board(("a cat", 0.25, "room")),
            RenderParams(size=size, fps=fps, seed=1, reference_images=(path,) if image else ()),
            lambda event: None,
        )
    assert caught.value.code == code


def test_the_engine_itself_refuses_an_image(ltx):
    import torch
    from PIL import Image

    with pytest.raises(InvalidRequest) as caught:
        ltx.engine().generate(
            prompt="a cat",
            frames=9,
            size=Size(64, 64),
            settings=ltx.settings,
            generator=torch.Generator().manual_seed(0),
            image=Image.new("RGB", (64, 64), "red"),
        )
    assert caught.value.code == "reference_image_unsupported"


def test_reelmint_generate_makes_a_signed_clip_with_sound(
    ltx_folder, data_dir, tmp_path, probe, cli
):
    from reelmint.engine.postprocess.provenance import verify_file

    out = tmp_path / "ltx.mp4"
    argv = ["generate", "a red car drives on a highway", "--backend", "ltx"]
    argv += ["--model-path", str(ltx_folder), "--steps", "2", "--guidance", "2.5"]
    argv += ["--size", "480x480", "--seconds", "1", "--seed", "3", "-o", str(out), "--json"]
    run = cli(*argv)
    assert run.code == 0, run.err
    summary = json.loads(run.out)
    assert (summary["backend"], summary["frames"], summary["fps"]) == ("ltx", 24, 24)
    facts = probe(out)
    assert (facts.width, facts.height, facts.frames, facts.fps) == (480, 480, 24, 24)
    assert facts.audio_codec is not None
    assert facts.audio_duration == pytest.approx(1.0, abs=0.05)
    report = verify_file(out, keys_dir=data_dir / "keys" / "c2pa")
    assert report.status == "valid"
    assert report.facts["backend"] == "ltx"
