"""The Wan backend, on tiny random Wan models loaded from folders in the real layout."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from reelmint.engine.audio import ambient_track
from reelmint.engine.backends.base import (
    STANDARD_SIZES,
    BackendOptions,
    Clip,
    ModelSpeed,
    ProgressEvent,
    RenderParams,
    Size,
)
from reelmint.engine.backends.diffusion import FACT_MAX_CHARS
from reelmint.engine.backends.registry import create_backend, get_backend
from reelmint.engine.backends.wan import WAN_NATIVE_SIZES, WanBackend
from reelmint.engine.errors import BackendUnavailable, InvalidRequest
from reelmint.engine.storyboard import Shot, Storyboard

pytest.importorskip("diffusers")
pytestmark = pytest.mark.models

FOLDER_SETTINGS = {"steps": 2}


@pytest.fixture(scope="module")
def wan_folder(tmp_path_factory) -> Path:
    from tiny_models import build_wan_folder

    return build_wan_folder(tmp_path_factory.mktemp("wan") / "Wan-tiny", settings=FOLDER_SETTINGS)


@pytest.fixture(scope="module")
def wan_i2v_folder(tmp_path_factory) -> Path:
    from tiny_models import build_wan_folder

    return build_wan_folder(
        tmp_path_factory.mktemp("wan") / "Wan-I2V-tiny", image_to_video=True, settings={"steps": 2}
    )


@pytest.fixture(scope="module")
def wan(wan_folder) -> WanBackend:
    backend = create_backend("wan", BackendOptions(model_path=wan_folder))
    assert isinstance(backend, WanBackend)
    return backend


@pytest.fixture(scope="module")
def wan_i2v(wan_i2v_folder) -> WanBackend:
    return WanBackend(BackendOptions(model_path=wan_i2v_folder))


@pytest.fixture
def never_load(monkeypatch):
    """Make loading a model fail the test: what is checked here must need no weights."""

    def refuse(self, device) -> None:
        pytest.fail("the model was loaded before the request was refused")

    monkeypatch.setattr(WanBackend, "load", refuse)


class ShortWan(WanBackend):
    """Wan with 5-frame generations, so that a short test shot needs two of them."""

    max_frames_per_generation: ClassVar[int] = 5


@dataclass
class Rendered:
    storyboard: Storyboard
    clip: Clip
    frames: list[np.ndarray]
    events: list[ProgressEvent]


def board(*shots: tuple[str, float, str]) -> Storyboard:
    return Storyboard(
        prompt=" then ".join(prompt for prompt, _, _ in shots),
        shots=tuple(
            Shot(prompt=prompt, duration=seconds, setting=setting)
            for prompt, seconds, setting in shots
        ),
    )


SQUARE = Size(480, 480)


def render(backend, storyboard: Storyboard, size: Size = SQUARE, **params) -> Rendered:
    events: list[ProgressEvent] = []
    clip = backend.render(
        storyboard, RenderParams(size=size, fps=backend.fps, seed=7, **params), events.append
    )
    return Rendered(storyboard=storyboard, clip=clip, frames=list(clip.frames), events=events)


@pytest.fixture(scope="module")
def two_shots(wan_folder) -> Rendered:
    """A 0.5 s shot (8 frames: two 5-frame generations) and a 0.25 s one (4 of 5 frames)."""
    storyboard = board(
        ("a red fox walks in a forest", 0.5, "forest"),
        ("a white sailboat on the ocean", 0.25, "ocean"),
    )
    return render(ShortWan(BackendOptions(model_path=wan_folder)), storyboard)


# --- metadata ---------------------------------------------------------------------------------


def test_metadata_is_readable_from_the_class():
    backend_class = get_backend("wan")
    assert backend_class is WanBackend
    assert backend_class.fps == 16
    assert backend_class.uses_model
    assert backend_class.needs_gpu
    assert backend_class.source_type == "trained_algorithmic"
    assert set(backend_class.sizes) == set(STANDARD_SIZES) == set(WAN_NATIVE_SIZES)
    assert 0 < backend_class.min_seconds < backend_class.max_seconds
    assert backend_class.gpu_seconds_per_clip_second > 0


def test_native_sizes_are_wans_training_sizes_in_whole_patches():
    for requested, native in WAN_NATIVE_SIZES.items():
        assert native.width % 16 == 0
        assert native.height % 16 == 0
        ratio = requested.width / requested.height
        assert abs(native.width / native.height - ratio) / ratio < 0.03, "little is cropped"
    assert WAN_NATIVE_SIZES[Size(854, 480)] == Size(832, 480)


# --- folders ----------------------------------------------------------------------------------


def test_no_model_folder_names_the_variable_and_the_flag(monkeypatch):
    monkeypatch.delenv("REELMINT_WAN_PATH", raising=False)
    with pytest.raises(BackendUnavailable) as caught:
        create_backend("wan", BackendOptions())
    assert caught.value.code == "model_not_found"
    assert "REELMINT_WAN_PATH" in str(caught.value)
    assert "--model-path" in str(caught.value)


def test_an_incomplete_folder_names_what_is_missing(tmp_path, wan_folder):
    broken = shutil.copytree(wan_folder, tmp_path / "broken")
    (broken / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    (broken / "text_encoder" / "config.json").unlink()
    with pytest.raises(BackendUnavailable) as caught:
        WanBackend(BackendOptions(model_path=broken))
    assert caught.value.code == "model_incomplete"
    assert "transformer weights" in str(caught.value)
    assert "text_encoder/config.json" in str(caught.value)


def test_a_wan_2_2_ti2v_folder_is_refused_clearly(tmp_path, wan_folder):
    folder = shutil.copytree(wan_folder, tmp_path / "ti2v")
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "expand_timesteps": True}))
    with pytest.raises(BackendUnavailable) as caught:
        WanBackend(BackendOptions(model_path=folder))
    assert caught.value.code == "model_unsupported"


def test_steps_and_guidance_default_to_the_folder_then_the_request(wan_folder):
    from_folder = WanBackend(BackendOptions(model_path=wan_folder))
    assert (from_folder.settings.steps, from_folder.settings.guidance) == (2, 5.0)
    asked = WanBackend(BackendOptions(model_path=wan_folder, steps=3, guidance=2.5))
    assert (asked.settings.steps, asked.settings.guidance) == (3, 2.5)


# --- rendering --------------------------------------------------------------------------------


def test_each_shot_becomes_frames_of_the_asked_size(two_shots):
    clip = two_shots.clip
    assert clip.frame_count == 12 == len(two_shots.frames)
    assert (clip.size, clip.fps) == (Size(480, 480), 16)
    assert all(frame.shape == (480, 480, 3) for frame in two_shots.frames)
    assert all(frame.dtype == np.uint8 for frame in two_shots.frames)
    assert clip.facts["model"] == "Wan-tiny"
    assert clip.facts["steps"] == "2"
    assert "lossy" not in clip.facts


def test_the_sound_is_the_settings_ambience_exactly_as_long(two_shots):
    audio = two_shots.clip.audio
    assert audio.shape == (12 * 48_000 // 16, 2)
    assert audio.dtype == np.float32
    assert np.abs(audio).mean() > 1e-4
    expected = ambient_track(two_shots.storyboard, fps=16, seed=7, sample_rate=48_000)
    assert np.array_equal(audio, expected)


def test_progress_is_reported_per_denoising_step_and_decode(two_shots):
    seen = [(e.stage, e.shot, e.done, e.total) for e in two_shots.events]
    # shot 0: two generations of 2 steps each, progress counted through the shot
    assert seen == [
        ("denoise", 0, 1, 4),
        ("denoise", 0, 2, 4),
        ("decode", 0, 1, 2),
        ("denoise", 0, 3, 4),
        ("denoise", 0, 4, 4),
        ("decode", 0, 2, 2),
        ("denoise", 1, 1, 2),
        ("denoise", 1, 2, 2),
        ("decode", 1, 1, 1),
    ]
    assert all(e.shots == 2 for e in two_shots.events)


def test_shots_differ_because_prompts_and_seeds_differ(two_shots):
    first, second = two_shots.frames[0], two_shots.frames[-1]
    assert np.abs(first.astype(int) - second.astype(int)).mean() > 1.0


def test_the_same_seed_gives_the_same_video_and_matches_diffusers(wan):
    import torch
    from diffusers import WanPipeline

    engine = wan.engine()

    def ours(seed: int):
        return engine.generate(
            prompt="a red fox walks",
            frames=9,
            size=Size(64, 64),
            settings=wan.settings,
            generator=torch.Generator().manual_seed(seed),
        )

    first, again, other = ours(3), ours(3), ours(4)
    assert torch.equal(first, again)
    assert not torch.allclose(first, other)
    stock = WanPipeline.from_pretrained(wan.model_path, local_files_only=True)
    stock.set_progress_bar_config(disable=True)
    reference = stock(
        prompt="a red fox walks",
        negative_prompt=wan.settings.negative_prompt,
        height=64,
        width=64,
        num_frames=9,
        num_inference_steps=wan.settings.steps,
        guidance_scale=wan.settings.guidance,
        generator=torch.Generator().manual_seed(3),
        output_type="pt",
    ).frames[0]
    assert torch.allclose(((first + 1) / 2).clamp(0, 1), reference, atol=1e-4)


def test_the_size_grid_read_from_the_folder_is_the_loaded_pipelines(wan):
    pipe = wan.engine().pipe
    loaded = pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size[1]
    assert wan.spatial_unit() == loaded == 16


def test_clip_facts_are_short_strings_without_the_operators_paths(wan_folder, monkeypatch):
    monkeypatch.chdir(wan_folder)  # "." has no name of its own: the fact must still say one
    speed = ModelSpeed(first_block_cache=0.05, attention="no_such_kernel")
    backend = WanBackend(BackendOptions(model_path=Path("."), speed=speed))
    clip = backend.render(
        board(("a cat", 0.25, "room")), RenderParams(size=SQUARE, fps=16, seed=1), lambda e: None
    )
    facts = clip.facts
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in facts.items())
    assert all(0 < len(value) <= FACT_MAX_CHARS for value in facts.values()), facts
    assert not any(str(wan_folder.parent) in value for value in facts.values())
    assert facts["model"] == "Wan-tiny"
    assert facts["model_class"] == "WanPipeline"
    assert facts["lossy"] == "first_block_cache=0.05"
    assert facts["attention"] == "default (no_such_kernel unavailable)"


# --- image to video ---------------------------------------------------------------------------


@pytest.fixture
def reference_image(tmp_path) -> Path:
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (120, 200, 3), dtype=np.uint8)
    path = tmp_path / "first.png"
    Image.fromarray(pixels).save(path)
    return path


def test_an_image_to_video_model_animates_the_reference_image(wan_i2v, reference_image):
    rendered = render(
        wan_i2v,
        board(("a cat sits", 0.25, "room"), ("the cat jumps", 0.25, "room")),
        reference_images=(reference_image,),
    )
    assert rendered.clip.facts["model_class"] == "WanImageToVideoPipeline"
    assert len(rendered.frames) == 8
    assert all(frame.shape == (480, 480, 3) for frame in rendered.frames)


def test_image_to_video_matches_diffusers_wan_image_to_video_pipeline(wan_i2v):
    import torch
    from diffusers import WanImageToVideoPipeline
    from PIL import Image

    picture = Image.fromarray(
        np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    )
    settings = wan_i2v.settings
    ours = wan_i2v.engine().generate(
        prompt="a cat sits",
        frames=9,
        size=Size(64, 64),
        settings=settings,
        generator=torch.Generator().manual_seed(3),
        image=picture,
    )
    stock = WanImageToVideoPipeline.from_pretrained(wan_i2v.model_path, local_files_only=True)
    stock.set_progress_bar_config(disable=True)
    reference = stock(
        image=picture,
        prompt="a cat sits",
        negative_prompt=settings.negative_prompt,
        height=64,
        width=64,
        num_frames=9,
        num_inference_steps=settings.steps,
        guidance_scale=settings.guidance,
        generator=torch.Generator().manual_seed(3),
        output_type="pt",
    ).frames[0]
    assert ours.shape == (9, 3, 64, 64)
    assert torch.allclose(((ours + 1) / 2).clamp(0, 1), reference, atol=1e-4)


def test_the_engine_itself_refuses_an_image_the_model_cannot_take(wan, wan_i2v):
    """Not an assert (gone under python -O): a clear refusal, whoever calls the engine."""
    import torch
    from PIL import Image

    def generate(backend: WanBackend, image: Image.Image | None) -> None:
        backend.engine().generate(
            prompt="a cat",
            frames=5,
            size=Size(64, 64),
            settings=backend.settings,
            generator=torch.Generator().manual_seed(0),
            image=image,
        )

    with pytest.raises(InvalidRequest) as caught:
        generate(wan_i2v, None)
    assert caught.value.code == "reference_image_required"
    with pytest.raises(InvalidRequest) as caught:
        generate(wan, Image.new("RGB", (64, 64), "red"))
    assert caught.value.code == "reference_image_unsupported"


# --- cameos -----------------------------------------------------------------------------------


@pytest.fixture
def cameos(tmp_path) -> tuple[Path, Path]:
    from PIL import Image

    paths = (tmp_path / "alice.png", tmp_path / "bob.jpg")
    Image.new("RGB", (90, 120), (230, 40, 210)).save(paths[0])
    Image.new("RGB", (120, 90), (40, 210, 60)).save(paths[1])
    return paths


@pytest.fixture
def first_frames(monkeypatch):
    """A spy at the engine's seam: the image each generation of a backend starts from."""

    def watch(backend: WanBackend) -> list[object]:
        engine = backend.engine()
        real = engine.generate
        seen: list[object] = []

        def spy(**kwargs):
            seen.append(kwargs["image"])
            return real(**kwargs)

        monkeypatch.setattr(engine, "generate", spy)
        return seen

    return watch


def _pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"))


def test_an_image_to_video_model_starts_from_the_first_cameo(wan_i2v, cameos, first_frames):
    from reelmint.engine.images import load_image

    seen = first_frames(wan_i2v)
    rendered = render(wan_i2v, board(("alice waves", 0.25, "room")), cameo_images=cameos)
    assert len(rendered.frames) == 4
    assert np.array_equal(_pixels(seen[0]), _pixels(load_image(cameos[0])))
    assert rendered.clip.facts["cameos"] == "the first cameo's photo is the first frame"
    other = render(wan_i2v, board(("alice waves", 0.25, "room")), cameo_images=cameos[::-1])
    assert np.array_equal(_pixels(seen[1]), _pixels(load_image(cameos[1])))
    assert not np.array_equal(rendered.frames[-1], other.frames[-1]), "the photo shapes the video"


def test_a_reference_image_comes_before_cameos(wan_i2v, cameos, reference_image, first_frames):
    from reelmint.engine.images import load_image

    seen = first_frames(wan_i2v)
    rendered = render(
        wan_i2v,
        board(("alice waves", 0.25, "room")),
        reference_images=(reference_image,),
        cameo_images=cameos,
    )
    assert np.array_equal(_pixels(seen[0]), _pixels(load_image(reference_image)))
    assert rendered.clip.facts["cameos"] == "ignored: the reference image is the first frame"


def test_a_text_to_video_model_ignores_cameos(wan, cameos, first_frames):
    seen = first_frames(wan)
    rendered = render(wan, board(("alice waves", 0.25, "room")), cameo_images=cameos)
    assert seen == [None]
    assert len(rendered.frames) == 4
    assert rendered.clip.facts["cameos"] == "ignored: a text-to-video model takes no image"


def test_a_cameo_photo_that_broke_is_refused_before_the_model_is_loaded(
    never_load, wan_i2v_folder, tmp_path
):
    broken = tmp_path / "alice.png"
    broken.write_bytes(b"not an image at all")
    with pytest.raises(InvalidRequest) as caught:
        WanBackend(BackendOptions(model_path=wan_i2v_folder)).render(
            board(("a cat", 0.25, "room")),
            RenderParams(size=SQUARE, fps=16, seed=1, cameo_images=(broken,)),
            lambda event: None,
        )
    assert caught.value.code == "invalid_cameo_image"


# --- refusals that need no weights ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "size", "fps", "images", "code", "says"),
    [
        ("t2v", SQUARE, 16, ("first.png",), "reference_image_unsupported", "text only"),
        ("i2v", SQUARE, 16, (), "reference_image_required", "give a reference image"),
        ("t2v", Size(1280, 720), 16, (), "invalid_size", "trained at 480p"),
        ("t2v", Size(640, 360), 16, (), "invalid_size", "choose one of"),
        ("t2v", SQUARE, 24, (), "invalid_fps", "16 fps"),
        ("i2v", SQUARE, 16, ("first.png", "first.png"), "invalid_reference_image", "one"),
        ("i2v", SQUARE, 16, ("missing.png",), "invalid_reference_image", "does not exist"),
    ],
)
def test_a_request_is_refused_before_the_model_is_loaded(
    never_load, wan_folder, wan_i2v_folder, reference_image, kind, size, fps, images, code, says
):
    folder = wan_folder if kind == "t2v" else wan_i2v_folder
    backend = WanBackend(BackendOptions(model_path=folder))
    files = tuple(reference_image.parent / name for name in images)
    with pytest.raises(InvalidRequest) as caught:
        backend.render(
            board(("a cat", 0.25, "room")),
            RenderParams(size=size, fps=fps, seed=1, reference_images=files),
            lambda event: None,
        )
    assert caught.value.code == code
    assert says in str(caught.value)
    assert str(folder.parent) not in str(caught.value), "users never see the operator's paths"


def test_720p_is_judged_by_the_folders_transformer_width(never_load, wan_folder, tmp_path):
    folder = shutil.copytree(wan_folder, tmp_path / "Wan-14B-like")
    config_path = folder / "transformer" / "config.json"
    config = json.loads(config_path.read_text())
    config.update(num_attention_heads=40, attention_head_dim=128)  # Wan 14B: 5120 wide
    config_path.write_text(json.dumps(config))
    params = RenderParams(size=Size(1280, 720), fps=16, seed=1)
    WanBackend(BackendOptions(model_path=folder)).check(params)
    with pytest.raises(InvalidRequest):
        WanBackend(BackendOptions(model_path=wan_folder)).check(params)


def test_a_first_block_cache_on_a_one_block_transformer_is_refused_before_loading(
    never_load, wan_folder, tmp_path
):
    folder = shutil.copytree(wan_folder, tmp_path / "Wan-one-block")
    config_path = folder / "transformer" / "config.json"
    config_path.write_text(json.dumps({**json.loads(config_path.read_text()), "num_layers": 1}))
    speed = ModelSpeed(first_block_cache=0.05)
    with pytest.raises(BackendUnavailable) as caught:
        WanBackend(BackendOptions(model_path=folder, speed=speed))
    assert caught.value.code == "invalid_speed_option"
    assert "at least 2 blocks" in str(caught.value)


# --- the command line -------------------------------------------------------------------------


def test_reelmint_generate_makes_a_signed_clip_with_sound(
    wan_folder, data_dir, tmp_path, probe, cli
):
    from reelmint.engine.postprocess.provenance import verify_file

    out = tmp_path / "wan.mp4"
    argv = ["generate", "a red fox walks in a forest at dawn", "--backend", "wan"]
    argv += ["--model-path", str(wan_folder), "--size", "480x480", "--seconds", "1"]
    argv += ["--seed", "3", "-o", str(out), "--json"]
    run = cli(*argv)
    assert run.code == 0, run.err
    summary = json.loads(run.out)
    assert (summary["backend"], summary["frames"], summary["fps"]) == ("wan", 16, 16)
    facts = probe(out)
    assert (facts.width, facts.height, facts.frames, facts.fps) == (480, 480, 16, 16)
    assert facts.audio_codec is not None
    assert facts.audio_duration == pytest.approx(1.0, abs=0.05)
    report = verify_file(out, keys_dir=data_dir / "keys" / "c2pa")
    assert report.status == "valid"
    assert report.facts["backend"] == "wan"


def test_reelmint_generate_image_animates_a_reference_image(
    wan_i2v_folder, reference_image, data_dir, tmp_path, probe, cli
):
    out = tmp_path / "i2v.mp4"
    argv = ["generate", "a cat sits in a room", "--backend", "wan", "--image", str(reference_image)]
    argv += ["--model-path", str(wan_i2v_folder), "--size", "480x480", "--seconds", "1"]
    argv += ["--seed", "3", "-o", str(out)]
    run = cli(*argv)
    assert run.code == 0, run.err
    assert probe(out).frames == 16


def test_reelmint_generate_cameo_starts_an_image_to_video_clip(
    wan_i2v_folder, cameos, data_dir, tmp_path, probe, cli
):
    from reelmint.engine.postprocess.provenance import verify_file

    out = tmp_path / "cameo.mp4"
    argv = ["generate", "@alice sits in a room", "--backend", "wan", "--cameo", str(cameos[0])]
    argv += ["--model-path", str(wan_i2v_folder), "--size", "480x480", "--seconds", "1"]
    argv += ["--seed", "3", "-o", str(out)]
    run = cli(*argv)
    assert run.code == 0, run.err
    assert probe(out).frames == 16
    report = verify_file(out, keys_dir=data_dir / "keys" / "c2pa")
    assert report.facts["details"]["cameos"] == "the first cameo's photo is the first frame"


def test_the_model_folder_can_come_from_reelmint_wan_path(data_dir, tmp_path, monkeypatch, cli):
    empty = tmp_path / "half-copied"
    empty.mkdir()
    monkeypatch.setenv("REELMINT_WAN_PATH", str(empty))
    run = cli("generate", "a cat", "--backend", "wan", "--seconds", "1")
    assert run.code == 2
    assert str(empty) in run.err
    assert "model_index.json" in run.err
