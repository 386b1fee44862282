"""The whole engine, end to end: request checks, then a real signed MP4 with sound."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from reelmint.engine.backends.base import Size
from reelmint.engine.errors import EngineError, InvalidRequest
from reelmint.engine.pipeline import GenerationRequest, check_request, generate
from reelmint.engine.postprocess.provenance import verify_file
from reelmint.engine.storyboard import Shot, Storyboard, plan

SMALL = Size(480, 480)


def _request(**overrides) -> GenerationRequest:
    fields = {"backend": "preview", "size": SMALL, "seconds": 4.0, "prompt": "a dog", "seed": 3}
    fields.update(overrides)
    return GenerationRequest(**fields)


@pytest.mark.parametrize(
    ("overrides", "code", "needle"),
    [
        ({"prompt": ""}, "invalid_prompt", "empty"),
        ({"prompt": "   \n"}, "invalid_prompt", "empty"),
        ({"prompt": "x" * 2001}, "invalid_prompt", "2001 characters"),
        ({"seconds": 3.0}, "invalid_seconds", "between 4 and 20"),
        ({"seconds": 21.0}, "invalid_seconds", "between 4 and 20"),
        ({"size": Size(640, 480)}, "invalid_size", "854x480"),
        ({"backend": "sorax"}, "unknown_backend", "preview"),
        ({"seed": -1}, "invalid_seed", "between 0"),
        ({"seed": 2**32}, "invalid_seed", "between 0"),
    ],
)
def test_bad_requests_are_refused_with_a_code_and_advice(overrides, code, needle):
    with pytest.raises(InvalidRequest) as caught:
        check_request(_request(**overrides))
    assert caught.value.code == code
    assert needle in caught.value.message


def test_a_storyboard_and_a_prompt_together_are_refused():
    board = Storyboard(prompt="x", shots=(Shot(prompt="a cat", duration=4.0),))
    with pytest.raises(InvalidRequest, match="not both"):
        check_request(_request(storyboard=board))


def test_a_storyboard_whose_length_disagrees_with_seconds_is_refused():
    board = Storyboard(prompt="x", shots=(Shot(prompt="a cat", duration=5.0),))
    with pytest.raises(InvalidRequest, match="lasts 5 s") as caught:
        check_request(_request(prompt=None, storyboard=board, seconds=6.0))
    assert caught.value.code == "invalid_seconds"


@pytest.mark.parametrize(
    ("backend", "seconds", "nearest"),
    [
        ("preview", 4.01, "use 4 or 4.041667"),  # 96.24 frames at 24 fps
        ("preview", 7.99, "use 7.958333 or 8"),
        ("wan", 1.53, "use 1.5 or 1.5625"),  # 24.48 frames at 16 fps
    ],
)
def test_a_length_that_is_not_whole_frames_is_refused_naming_the_nearest(backend, seconds, nearest):
    """The delivered video is whole frames: 4.01 s would be made as 96 frames (4 s) while the
    video said 4.01, so it is refused, naming the whole-frame lengths either side."""
    with pytest.raises(InvalidRequest) as caught:
        check_request(_request(backend=backend, seconds=seconds, size=_size(backend)))
    assert caught.value.code == "invalid_seconds"
    assert "whole number of frames" in caught.value.message
    assert nearest in caught.value.message


def _size(backend: str) -> Size:
    from reelmint.engine.backends.registry import get_backend

    return SMALL if backend == "preview" else get_backend(backend).sizes[0]


@pytest.mark.parametrize(("backend", "seconds"), [("preview", 4.041667), ("wan", 1.5625)])
def test_a_whole_frame_length_written_to_six_decimals_is_taken(backend, seconds):
    """What the refusal suggests is taken as sent: within a thousandth of a frame."""
    checked = check_request(_request(backend=backend, seconds=seconds, size=_size(backend)))
    assert checked.seconds == pytest.approx(seconds)


def test_a_storyboard_that_is_not_whole_frames_is_refused():
    shots = (Shot(prompt="a cat", duration=1.3), Shot(prompt="a dog", duration=3.0))
    board = Storyboard(prompt="x", shots=shots)
    with pytest.raises(InvalidRequest) as caught:
        check_request(_request(prompt=None, seconds=None, storyboard=board))
    assert caught.value.code == "invalid_storyboard"
    assert "add up to 4.291667 or 4.333333 s" in caught.value.message


def test_default_seconds_fit_the_backend_and_a_seed_is_chosen():
    checked = check_request(_request(seconds=None, seed=None), default_seconds=30.0)
    assert checked.seconds == pytest.approx(20.0)
    assert 0 <= checked.seed < 2**32


def test_output_must_be_an_mp4(tmp_path, keys_dir):
    checked = check_request(_request())
    with pytest.raises(InvalidRequest, match=r"must end in \.mp4"):
        generate(checked, out=tmp_path / "clip.avi", keys_dir=keys_dir)


@pytest.fixture(scope="module")
def made(tmp_path_factory, keys_dir):
    out = tmp_path_factory.mktemp("made") / "clip.mp4"
    events = []
    checked = check_request(
        _request(prompt='A red car drives through a city at night. Then a dog says "hi".')
    )
    result = generate(checked, out=out, keys_dir=keys_dir, progress=events.append)
    return result, events


def test_generate_writes_a_signed_h264_aac_mp4_of_the_asked_length(made, keys_dir, probe):
    result, _ = made
    facts = probe(result.path)
    assert (facts.video_codec, facts.audio_codec, facts.pix_fmt) == ("h264", "aac", "yuv420p")
    assert (facts.width, facts.height) == (480, 480)
    assert facts.frames == result.frame_count == 96
    assert abs(facts.duration - 4.0) <= 1 / 24
    assert facts.audio_rate == 48_000
    assert facts.audio_duration == pytest.approx(4.0, abs=0.05)
    report = verify_file(result.path, keys_dir=keys_dir)
    assert report.status == "valid", report.problems
    assert report.facts["backend"] == "preview"
    assert report.facts["prompt_sha256"] == result.prompt_sha256


def test_generate_writes_a_poster_and_reports_progress(made):
    result, events = made
    assert result.poster_path.read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG
    assert len(result.storyboard.shots) == 2
    rendered = {e.shot: e.done for e in events if e.stage == "render"}
    assert sorted(rendered) == [0, 1]
    assert sum(rendered.values()) == result.frame_count
    assert any(e.stage == "sign" and e.done == e.total for e in events)


def test_generate_leaves_nothing_behind_when_rendering_fails(tmp_path, keys_dir):
    class Broken(Exception):
        pass

    checked = check_request(_request())

    def explode(event):
        if event.stage == "render" and event.done > 0:
            raise Broken

    with pytest.raises(Broken):
        generate(checked, out=tmp_path / "x.mp4", keys_dir=keys_dir, progress=explode)
    assert list(tmp_path.iterdir()) == []


def _mean_luma(path: Path, probe) -> float:
    frames = probe(path, keep_every=12).decoded
    return float(np.mean([f.mean() for f in frames]))


def test_what_the_prompt_says_changes_the_video(tmp_path, keys_dir, probe):
    """Through the whole pipeline (encode included), "at night" is darker than "at noon"."""
    lumas = {}
    for when in ("noon", "night"):
        checked = check_request(_request(prompt=f"a lighthouse by the beach at {when}"))
        result = generate(checked, out=tmp_path / f"{when}.mp4", keys_dir=keys_dir)
        lumas[when] = _mean_luma(result.path, probe)
    assert lumas["night"] < lumas["noon"] * 0.6


def test_same_seed_gives_the_same_decoded_frames(tmp_path, keys_dir, probe):
    paths = []
    for name in ("a", "b"):
        checked = check_request(_request(prompt="two yellow ducks swim on a lake", seed=11))
        paths.append(generate(checked, out=tmp_path / f"{name}.mp4", keys_dir=keys_dir).path)
    first, second = (probe(p, keep_every=1).decoded for p in paths)
    assert len(first) == 96
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_engine_errors_share_one_base_class():
    with pytest.raises(EngineError):
        check_request(_request(backend="nope"))


def test_a_failed_generation_keeps_the_files_that_were_there(tmp_path, keys_dir):
    """Regenerating over an existing video, and failing, must not cost the user the old one."""
    out = tmp_path / "keep.mp4"
    first = generate(check_request(_request(prompt="a kite")), out=out, keys_dir=keys_dir)
    before = (out.read_bytes(), first.poster_path.read_bytes())

    def explode(event):
        if event.stage == "render" and event.done > 0:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(
            check_request(_request(prompt="a bus")), out=out, keys_dir=keys_dir, progress=explode
        )
    assert (out.read_bytes(), first.poster_path.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4", "keep.poster.jpg"]


def test_the_poster_has_its_own_name_and_never_overwrites_an_input(tmp_path, keys_dir):
    from PIL import Image

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (64, 64), "red").save(photo)
    result = generate(check_request(_request()), out=tmp_path / "photo.mp4", keys_dir=keys_dir)
    assert result.poster_path == tmp_path / "photo.poster.jpg"
    assert Image.open(photo).size == (64, 64)  # untouched

    clash = tmp_path / "clip.poster.jpg"
    Image.new("RGB", (64, 64), "blue").save(clash)
    checked = check_request(_request(backend="wan", seconds=1.0, reference_images=(clash,)))
    with pytest.raises(InvalidRequest, match="would overwrite an input") as caught:
        generate(checked, out=tmp_path / "clip.mp4", keys_dir=keys_dir)
    assert caught.value.code == "invalid_output"


def test_reference_images_are_refused_before_any_work_by_a_backend_without_them(tmp_path):
    from PIL import Image

    photo = tmp_path / "p.png"
    Image.new("RGB", (64, 64)).save(photo)
    with pytest.raises(InvalidRequest) as caught:
        check_request(_request(reference_images=(photo,)))
    assert caught.value.code == "reference_image_unsupported"


@pytest.mark.parametrize("durations", [(6.4, 9.8, 3.8), (0.3, 2.3, 1.4)])
def test_storyboards_lasting_exactly_the_limits_are_accepted(durations):
    shots = tuple(Shot(prompt="a cat", duration=d) for d in durations)
    board = Storyboard(prompt="x", shots=shots)
    checked = check_request(_request(prompt=None, seconds=None, storyboard=board))
    assert checked.seconds == pytest.approx(sum(durations))


def test_the_manifest_records_the_length_made_and_the_backends_own_facts(tmp_path, keys_dir):
    checked = check_request(_request(seconds=4.0))
    # A storyboard admission would refuse (4.01 s is not whole frames) still records what was
    # made: the engine never reports a length it did not deliver.
    checked = replace(checked, storyboard=plan("a dog", seconds=4.01))
    result = generate(checked, out=tmp_path / "x.mp4", keys_dir=keys_dir)
    report = verify_file(result.path, keys_dir=keys_dir)
    assert report.facts["seconds"] == result.seconds == 4.0  # 96 whole frames at 24 fps
    assert report.facts["details"]["backend"] == "preview"


# -- cameos ----------------------------------------------------------------------------------------


def _cameo(tmp_path: Path, name: str = "face.png", colour=(230, 40, 210), fmt="PNG") -> Path:
    from PIL import Image

    path = tmp_path / name
    Image.new("RGB", (90, 120), colour).save(path, format=fmt)
    return path


def test_cameos_are_accepted_by_every_backend_and_carried_through_the_check(tmp_path):
    faces = (_cameo(tmp_path, "a.png"), _cameo(tmp_path, "b.jpg", fmt="JPEG"))
    for backend, seconds in (("preview", 4.0), ("wan", 1.0), ("ltx", 1.0)):
        checked = check_request(_request(backend=backend, seconds=seconds, cameo_images=faces))
        assert checked.cameo_images == faces
        assert checked.input_images == faces


@pytest.mark.parametrize(
    ("make", "code", "needle"),
    [
        (lambda d: (_cameo(d),) * 3, "too_many_cameos", "at most 2 cameos, got 3"),
        (lambda d: (d / "missing.png",), "invalid_cameo_image", "does not exist"),
        (lambda d: (_cameo(d, "f.gif", fmt="GIF"),), "invalid_cameo_image", "use JPEG, PNG"),
        (lambda d: (_cameo(d), d), "invalid_cameo_image", "is not a file"),
    ],
)
def test_bad_cameos_are_refused_before_any_work(tmp_path, make, code, needle):
    with pytest.raises(InvalidRequest) as caught:
        check_request(_request(cameo_images=make(tmp_path)))
    assert caught.value.code == code
    assert needle in caught.value.message
    if code == "invalid_cameo_image":
        assert "cameo image" in caught.value.message


def test_a_decompression_bomb_is_refused_as_a_cameo(tmp_path):
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("1", (9000, 9000)).save(bomb)  # a few KiB that decode into 81 megapixels
    with pytest.raises(InvalidRequest) as caught:
        check_request(_request(cameo_images=(bomb,)))
    assert caught.value.code == "invalid_cameo_image"


def test_the_output_never_overwrites_a_cameo_photo(tmp_path, keys_dir):
    clash = _cameo(tmp_path, "clip.poster.jpg", fmt="JPEG")
    checked = check_request(_request(cameo_images=(clash,)))
    with pytest.raises(InvalidRequest, match="would overwrite an input") as caught:
        generate(checked, out=tmp_path / "clip.mp4", keys_dir=keys_dir)
    assert caught.value.code == "invalid_output"


def test_a_cameo_is_in_the_video_and_its_manifest(tmp_path, keys_dir, probe):
    face = _cameo(tmp_path)
    plain = generate(check_request(_request()), out=tmp_path / "plain.mp4", keys_dir=keys_dir)
    cast = generate(
        check_request(_request(cameo_images=(face,))), out=tmp_path / "cast.mp4", keys_dir=keys_dir
    )
    report = verify_file(cast.path, keys_dir=keys_dir)
    assert report.status == "valid", report.problems
    assert report.facts["details"]["cameos"] == "1"
    middle = cast.frame_count // 2
    with_face = probe(cast.path, keep_every=1).decoded[middle].astype(np.int16)
    without = probe(plain.path, keep_every=1).decoded[middle].astype(np.int16)
    changed = np.abs(with_face - without).max(axis=-1) > 60
    assert changed.mean() > 0.03, "a sizeable part of the picture is the cameo"
    magenta = (with_face[..., 0] > 150) & (with_face[..., 2] > 150) & (with_face[..., 1] < 110)
    assert (magenta & changed).sum() > 2000, "in the photo's own colour"


@pytest.mark.parametrize(
    "text", ["\u00b2x480", "480x\u0664\u0668\u0660", "9" * 5000 + "x480", "480", "x"]
)
def test_a_size_that_is_not_two_ascii_numbers_is_refused(text):
    with pytest.raises(InvalidRequest) as caught:
        Size.parse(text)
    assert caught.value.code == "invalid_size"
    assert len(caught.value.message) < 120


def test_a_size_is_read_from_widthxheight():
    assert Size.parse(" 854X480 ") == Size(854, 480)
