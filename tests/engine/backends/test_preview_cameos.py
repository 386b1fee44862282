"""Cameos in the preview: a person's photo drawn as a character beside the main subject."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from reelmint.engine.backends.base import RenderParams, Size
from reelmint.engine.backends.preview import PreviewBackend
from reelmint.engine.backends.preview.cameos import (
    MASTER_HEIGHT,
    CameoBank,
    CameoPortraits,
    portrait_crop,
)
from reelmint.engine.backends.preview.compositor import ShotRenderer
from reelmint.engine.backends.preview.look import Look
from reelmint.engine.backends.preview.scene import CAMEO_ASPECT, Scene
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.storyboard import Shot, Storyboard, Subject
from reelmint.engine.timing import shot_spans
from reelmint.engine.vocabulary import STYLES

SMALL = Size(480, 480)
WIDE = Size(854, 480)
MAGENTA = (230, 40, 210)
GREEN = (40, 210, 60)


def _photo(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (90, 120)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cameos")
    return _photo(folder / "magenta.png", MAGENTA), _photo(folder / "green.jpg", GREEN)


@pytest.fixture(scope="module")
def textured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pixels = np.random.default_rng(3).integers(0, 256, (160, 120, 3), dtype=np.uint8)
    path = tmp_path_factory.mktemp("cameos") / "textured.png"
    Image.fromarray(pixels).save(path)
    return path


def _shot(*subjects: Subject, **fields: object) -> Shot:
    values: dict[str, object] = {"prompt": "a test shot", "duration": 4.0, "subjects": subjects}
    values.update(fields)
    return Shot.model_validate(values)


def _params(*cameos: Path, size: Size = SMALL, seed: int = 1) -> RenderParams:
    return RenderParams(size=size, fps=24, seed=seed, cameo_images=cameos)


def _renderer(shot: Shot, params: RenderParams) -> ShotRenderer:
    span = shot_spans(Storyboard(prompt="test", shots=(shot,)), params.fps)[0]
    return ShotRenderer(span, params)


def _centre(frame: np.ndarray, box: tuple[int, int, int, int], keep: float = 0.4) -> np.ndarray:
    """The middle `keep` of a box (well inside the oval), as (n, 3) float pixels."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * (1 - keep) / 2, (y1 - y0) * (1 - keep) / 2
    part = frame[round(y0 + dy) : round(y1 - dy), round(x0 + dx) : round(x1 - dx)]
    return part.reshape(-1, 3).astype(np.float64)


def _in_frame(box: tuple[int, int, int, int], size: Size) -> bool:
    x0, y0, x1, y1 = box
    return 0 <= x0 < x1 <= size.width and 0 <= y0 < y1 <= size.height


WALKING_DOG = _shot(Subject(kind="dog", motion="walk"), setting="park")
EMPTY_BEACH = _shot(setting="beach")


# -- the picture -------------------------------------------------------------------------------


def test_a_cameo_is_drawn_where_the_layout_says_in_the_photos_colour(photos) -> None:
    with_cameo = _renderer(WALKING_DOG, _params(photos[0]))
    without = _renderer(WALKING_DOG, _params())
    for index in (36, 60):  # around mid-shot, where the walk keeps both in frame
        (cameo,) = with_cameo.layout(index).cameos
        assert _in_frame(cameo.portrait, SMALL)
        drawn = _centre(with_cameo.frame(index), cameo.portrait)
        before = _centre(without.frame(index), cameo.portrait)
        red, green, blue = drawn.mean(axis=0)
        assert min(red, blue) > green + 100, (red, green, blue)
        assert np.abs(drawn - before).mean() > 60


def test_two_cameos_stand_side_by_side_each_in_its_own_colour(photos) -> None:
    renderer = _renderer(EMPTY_BEACH, _params(*photos, size=WIDE))
    layout = renderer.layout(48)
    first, second = sorted(layout.cameos, key=lambda c: c.cameo)
    assert first.portrait[2] <= second.portrait[0], "side by side, the first on the left"
    assert abs(first.portrait[3] - second.portrait[3]) <= 2, "standing on the same ground"
    frame = renderer.frame(48)
    magenta = _centre(frame, first.portrait).mean(axis=0)
    green = _centre(frame, second.portrait).mean(axis=0)
    assert min(magenta[0], magenta[2]) > magenta[1] + 100, magenta
    assert green[1] > max(green[0], green[2]) + 100, green
    assert all(_in_frame(c.portrait, WIDE) for c in layout.cameos)


def test_the_sprite_is_an_oval_with_a_soft_edge_and_a_shadow_at_its_feet(photos) -> None:
    portraits = CameoPortraits.load([photos[0]])
    bank = CameoBank(portraits, Look("noon", "clear", "cinematic"))
    (cameo,) = _renderer(EMPTY_BEACH, _params(photos[0])).layout(0).cameos
    image = np.asarray(bank.image(cameo))
    assert image.shape == (cameo.size[1], cameo.size[0], 4)
    alpha = image[..., 3]
    height, width = alpha.shape
    pad = (cameo.size[1] - cameo.portrait_size[1]) // 2
    assert alpha[height // 2, width // 2] == 255
    assert alpha[0, 0] == alpha[0, -1] == 0, "the corners are transparent: an oval, not a card"
    assert ((alpha > 20) & (alpha < 235)).sum() > width, "a feathered, antialiased edge"
    feet = image[height - pad // 2, width // 2]
    assert 0 < feet[3] < 200, "a soft contact shadow"
    assert feet[:3].max() < 60, "a dark one"


def test_the_cameo_is_lit_like_the_scene(photos) -> None:
    lumas = {}
    for when in ("noon", "night"):
        renderer = _renderer(_shot(setting="park", time_of_day=when), _params(photos[1]))
        (cameo,) = renderer.layout(48).cameos
        lumas[when] = _centre(renderer.frame(48), cameo.portrait).mean()
    assert lumas["night"] < 0.75 * lumas["noon"]


@pytest.mark.parametrize("style", STYLES)
def test_every_style_draws_a_cameo(photos, style: str) -> None:
    renderer = _renderer(_shot(setting="room", style=style), _params(photos[0]))
    (cameo,) = renderer.layout(30).cameos
    assert (
        np.abs(
            _centre(renderer.frame(30), cameo.portrait)
            - _centre(
                _renderer(_shot(setting="room", style=style), _params()).frame(30), cameo.portrait
            )
        ).mean()
        > 10
    )


# -- where the cameos stand ----------------------------------------------------------------------


def test_cameos_walk_with_the_main_subject_one_behind_and_one_ahead(photos) -> None:
    scene = Scene(WALKING_DOG, _params(*photos, size=WIDE))
    early, late = scene.at(0.5), scene.at(3.5)
    dog_moved = _centre_x(early.sprites[0].bbox) - _centre_x(late.sprites[0].bbox)
    assert dog_moved < -50, "the dog walks right"
    for before, after in zip(early.cameos, late.cameos, strict=True):
        moved = _centre_x(before.bbox) - _centre_x(after.bbox)
        assert moved == pytest.approx(dog_moved, abs=3)
    middle = scene.at(2.0)
    dog_x = _centre_x(middle.sprites[0].bbox)
    behind, ahead = sorted(middle.cameos, key=lambda c: c.cameo)
    assert _centre_x(behind.bbox) < dog_x < _centre_x(ahead.bbox)
    assert all(_in_frame(c.portrait, WIDE) for c in middle.cameos)


def test_the_travelling_lead_is_followed_rather_than_an_idle_subject(photos) -> None:
    shot = _shot(Subject(kind="person"), Subject(kind="car", motion="drive"), setting="city")
    scene = Scene(shot, _params(photos[0], size=WIDE))
    assert scene.cameo_plans[0].anchor == (1, 0)
    person_only = Scene(_shot(Subject(kind="tree"), Subject(kind="woman")), _params(photos[0]))
    assert person_only.cameo_plans[0].anchor == (1, 0), "else the first person"


def test_with_no_subject_cameos_stay_put_and_only_breathe(photos) -> None:
    scene = Scene(EMPTY_BEACH, _params(*photos))
    boxes = [scene.at(t / 4).cameos for t in range(16)]
    for k in range(2):
        xs = {frame[k].bbox[0] for frame in boxes}
        ys = [frame[k].bbox[3] for frame in boxes]
        assert len(xs) == 1
        assert 0 < max(ys) - min(ys) <= 6


def test_an_approaching_subject_brings_its_cameo_closer_too(photos) -> None:
    shot = _shot(Subject(kind="person", motion="approach"), setting="street")
    scene = Scene(shot, _params(photos[0]))
    far, near = scene.at(0.2).cameos[0], scene.at(3.8).cameos[0]
    assert near.portrait_size[1] > 1.5 * far.portrait_size[1]


def test_flyers_leave_their_cameo_standing_on_the_ground(photos) -> None:
    shot = _shot(Subject(kind="bird", motion="fly"), setting="countryside")
    scene = Scene(shot, _params(photos[0], size=WIDE))
    layout = scene.at(2.0)
    (cameo,) = layout.cameos
    assert cameo.bbox[1] > layout.sprites[0].bbox[3], "below the bird, on the ground"


def test_cameos_move_no_subject_and_the_camera(photos) -> None:
    shot = _shot(
        Subject(kind="cat", count=3), Subject(kind="bus", motion="drive"), camera="pan_left"
    )
    plain, cast = Scene(shot, _params()), Scene(shot, _params(*photos))
    for t in (0.0, 1.3, 3.9):
        assert plain.at(t).sprites == cast.at(t).sprites
        assert plain.at(t).camera == cast.at(t).camera
    assert plain.at(1.0).cameos == ()


# -- the render ----------------------------------------------------------------------------------


def test_without_cameos_the_renderer_makes_nothing_for_them() -> None:
    renderer = _renderer(WALKING_DOG, _params())
    assert renderer.cameos is None
    assert renderer.layout(10).cameos == ()


def test_the_same_seed_gives_the_same_frames_with_cameos(textured, photos) -> None:
    shot = _shot(Subject(kind="horse", motion="run"), camera="handheld", setting="desert")
    runs = [[_renderer(shot, _params(textured, photos[1], seed=9)).frame(i) for i in (0, 40, 95)]]
    runs.append(
        [_renderer(shot, _params(textured, photos[1], seed=9)).frame(i) for i in (0, 40, 95)]
    )
    assert all(np.array_equal(a, b) for a, b in zip(*runs, strict=True))


def test_every_shot_of_a_clip_has_its_cameos(photos) -> None:
    board = Storyboard(
        prompt="test",
        shots=(
            _shot(setting="beach", duration=2.0),
            WALKING_DOG.model_copy(update={"duration": 2.0}),
        ),
    )
    params = _params(*photos)
    clip = PreviewBackend().render(board, params, lambda event: None)
    plain = PreviewBackend().render(board, _params(), lambda event: None)
    assert clip.facts["cameos"] == "2"
    frames, plain_frames = list(clip.frames), list(plain.frames)
    spans = shot_spans(board, 24)
    for span in spans:
        index = span.start + span.frames // 2
        layout = Scene(span.shot, params, span.index).at((index - span.start) / 24)
        for cameo in layout.cameos:
            drawn = _centre(frames[index], cameo.portrait)
            assert np.abs(drawn - _centre(plain_frames[index], cameo.portrait)).mean() > 40


def test_a_photo_that_broke_after_the_check_is_refused_before_any_frame(tmp_path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with pytest.raises(InvalidRequest) as caught:
        PreviewBackend().render(
            Storyboard(prompt="x", shots=(EMPTY_BEACH,)), _params(broken), lambda event: None
        )
    assert caught.value.code == "invalid_cameo_image"
    assert "cameo image" in caught.value.message


# -- the photo -----------------------------------------------------------------------------------


def test_a_wide_photo_keeps_its_middle_and_a_tall_one_its_top() -> None:
    wide = Image.new("RGB", (400, 100), "blue")
    wide.paste((255, 0, 0), (150, 0, 250, 100))
    crop = portrait_crop(wide)
    assert crop.width / crop.height == pytest.approx(CAMEO_ASPECT, abs=0.02)
    assert np.asarray(crop)[:, :, 0].mean() > 200, "the red middle is kept"

    tall = Image.new("RGB", (100, 400), "blue")
    tall.paste((255, 0, 0), (0, 0, 100, 140))  # the head, near the top
    crop = portrait_crop(tall)
    assert crop.width / crop.height == pytest.approx(CAMEO_ASPECT, abs=0.02)
    top = np.asarray(crop)[: crop.height // 4]
    assert top[:, :, 0].mean() > 200, "the top of a tall photo is kept"


def test_a_big_photo_is_kept_small(tmp_path) -> None:
    path = _photo(tmp_path / "big.png", MAGENTA, size=(2400, 3200))
    (photo,) = CameoPortraits.load([path]).photos
    assert photo.height == MASTER_HEIGHT


def _centre_x(box: tuple[int, int, int, int]) -> float:
    return (box[0] + box[2]) / 2
