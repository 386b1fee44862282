"""The preview's pure layout: where the camera and each sprite are, without looking at pixels."""

from __future__ import annotations

import itertools

import pytest

from reelmint.engine.backends.base import RenderParams, Size
from reelmint.engine.backends.preview import PlacedSprite, Scene, layout
from reelmint.engine.backends.preview.stage import Stage
from reelmint.engine.storyboard import Shot, Subject
from reelmint.engine.timing import JUMP_PERIOD
from reelmint.engine.vocabulary import CAMERA_MOVES, MOTIONS

PARAMS = RenderParams(size=Size(854, 480), fps=24, seed=4)


def _shot(*subjects: Subject, **fields: object) -> Shot:
    values: dict[str, object] = {"prompt": "a test shot", "duration": 4.0, "subjects": subjects}
    values.update(fields)
    return Shot.model_validate(values)


def _only(shot: Shot, t: float, params: RenderParams = PARAMS) -> PlacedSprite:
    (sprite,) = layout(shot, params, t).sprites
    return sprite


def _centre_x(sprite: PlacedSprite) -> float:
    return (sprite.bbox[0] + sprite.bbox[2]) / 2


def _height(sprite: PlacedSprite) -> int:
    return sprite.bbox[3] - sprite.bbox[1]


def test_layout_is_deterministic_and_seeded() -> None:
    shot = _shot(Subject(kind="sheep", count=5, motion="walk"))
    assert layout(shot, PARAMS, 1.5) == layout(shot, PARAMS, 1.5)
    other = RenderParams(size=PARAMS.size, fps=24, seed=5)
    assert layout(shot, PARAMS, 1.5).sprites != layout(shot, other, 1.5).sprites


def test_every_copy_is_placed_and_copies_are_spread_out() -> None:
    shot = _shot(Subject(kind="sheep", count=5))
    sprites = layout(shot, PARAMS, 0.0).sprites
    assert len(sprites) == 5
    assert {s.copy for s in sprites} == set(range(5))
    xs = sorted(_centre_x(s) for s in sprites)
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    assert min(gaps) > 15


def test_size_scales_the_sprite_with_the_frame() -> None:
    heights = {
        size: _height(_only(_shot(Subject(kind="dog", size=size)), 0.0))
        for size in ("tiny", "small", "medium", "large", "huge")
    }
    assert (
        heights["tiny"] < heights["small"] < heights["medium"] < heights["large"] < heights["huge"]
    )
    portrait = RenderParams(size=Size(480, 854), fps=24, seed=4)
    assert abs(_height(_only(_shot(Subject(kind="dog")), 0.0, portrait)) - heights["medium"]) <= 2


def test_the_subject_colour_and_kind_are_reported() -> None:
    sprite = _only(_shot(Subject(kind="car", colour="red")), 0.0)
    assert sprite.kind == "car"
    assert sprite.colour == (214, 40, 40)


def test_walking_right_moves_right_and_left_moves_left_mirrored() -> None:
    right = _shot(Subject(kind="dog", motion="walk"))
    left = _shot(Subject(kind="dog", motion="walk", direction="left"))
    assert _centre_x(_only(right, 2.5)) > _centre_x(_only(right, 1.5))
    assert _centre_x(_only(left, 2.5)) < _centre_x(_only(left, 1.5))
    assert not _only(right, 1.0).mirrored
    assert _only(left, 1.0).mirrored


def test_walkers_step_through_poses_and_idle_ones_do_not() -> None:
    walker = _shot(Subject(kind="person", motion="walk"))
    assert len({_only(walker, t / 24).pose for t in range(24)}) == 4
    idler = _shot(Subject(kind="person"))
    assert {_only(idler, t / 24).pose for t in range(24)} == {0}


def test_jumps_land_every_jump_period_and_rise_between() -> None:
    shot = _shot(Subject(kind="frog", motion="jump"))
    landed = [_only(shot, k * JUMP_PERIOD).bbox[3] for k in range(1, 4)]
    mid_air = _only(shot, 1.5 * JUMP_PERIOD).bbox[3]
    assert max(landed) - min(landed) <= 1
    assert mid_air < min(landed) - 10


def test_falling_starts_above_and_ends_on_the_ground() -> None:
    shot = _shot(Subject(kind="ball", motion="fall"))
    start, end = _only(shot, 0.0), _only(shot, 3.9)
    ground = Stage.of("countryside", 854, 480).ground_y
    assert start.bbox[3] < 0
    assert abs(end.bbox[3] - ground) < 0.1 * 480


def test_flyers_are_in_the_sky_and_swimmers_in_the_water() -> None:
    flyer = _only(_shot(Subject(kind="bird", motion="fly"), setting="beach"), 1.0)
    swimmer = _only(_shot(Subject(kind="fish", motion="swim"), setting="beach"), 1.0)
    boat = _only(_shot(Subject(kind="boat"), setting="beach"), 1.0)
    stage = Stage.of("beach", 854, 480)
    assert flyer.bbox[3] < stage.horizon_y
    assert stage.horizon_y < (swimmer.bbox[1] + swimmer.bbox[3]) / 2 < stage.ground_y
    assert abs(boat.bbox[3] - stage.surface_y) < 0.1 * 480


def test_approach_grows_and_retreat_shrinks() -> None:
    approach = _shot(Subject(kind="horse", motion="approach"))
    retreat = _shot(Subject(kind="horse", motion="retreat"))
    assert _height(_only(approach, 3.9)) > 1.8 * _height(_only(approach, 0.0))
    assert _height(_only(retreat, 3.9)) < 0.6 * _height(_only(retreat, 0.0))


def test_spinning_turns_through_rotations_in_a_square() -> None:
    shot = _shot(Subject(kind="dancer", motion="spin"))
    sprites = [_only(shot, t / 24) for t in range(24)]
    assert len({s.rotation for s in sprites}) >= 10
    assert all(s.size[0] == s.size[1] for s in sprites)


def test_circling_goes_round_and_turns_to_face_its_way() -> None:
    shot = _shot(Subject(kind="dog", motion="circle"))
    sprites = [_only(shot, t / 8) for t in range(32)]
    xs = [_centre_x(s) for s in sprites]
    assert max(xs) - min(xs) > 0.3 * 480
    assert {s.mirrored for s in sprites} == {True, False}


def test_dance_sways_in_place_and_idle_barely_moves() -> None:
    dancer = [_only(_shot(Subject(kind="dancer", motion="dance")), t / 12) for t in range(48)]
    idler = [_only(_shot(Subject(kind="cow")), t / 12) for t in range(48)]
    dance_xs = [_centre_x(s) for s in dancer]
    assert 10 < max(dance_xs) - min(dance_xs) < 0.2 * 854
    assert max(s.bbox[1] for s in idler) - min(s.bbox[1] for s in idler) <= 3
    assert len({_centre_x(s) for s in idler}) == 1


@pytest.mark.parametrize("motion", MOTIONS)
def test_every_motion_keeps_the_subject_on_screen_mid_shot(motion: str) -> None:
    sprite = _only(_shot(Subject(kind="robot", motion=motion)), 2.0)
    x0, y0, x1, y1 = sprite.bbox
    assert x1 > 0
    assert x0 < 854
    assert y1 > 0
    assert y0 < 480


def test_tracking_keeps_the_first_traveller_centred_while_the_camera_moves() -> None:
    shot = _shot(
        Subject(kind="tree"),
        Subject(kind="car", motion="drive"),
        camera="tracking",
        setting="street",
    )
    scene = Scene(shot, PARAMS)
    for t in (0.0, 1.3, 2.6, 3.9):
        car = next(s for s in scene.at(t).sprites if s.kind == "car")
        assert abs(_centre_x(car) - 854 / 2) < 0.05 * 854
    assert scene.camera(3.9).x - scene.camera(0.0).x > 0.3 * 854
    tree_xs = {
        _centre_x(next(s for s in scene.at(t).sprites if s.kind == "tree")) for t in (0.0, 1.0)
    }
    assert len(tree_xs) == 2, "what the camera passes scrolls by"


def test_pans_move_the_camera_in_their_direction_and_tilts_vertically() -> None:
    def travel(move: str) -> tuple[float, float]:
        scene = Scene(_shot(camera=move), PARAMS)
        a, b = scene.camera(0.0), scene.camera(4.0)
        return b.x - a.x, b.y - a.y

    assert travel("pan_right")[0] > 100
    assert travel("pan_left")[0] < -100
    assert travel("tilt_up")[1] < -50
    assert travel("tilt_down")[1] > 50
    assert travel("static") == (0.0, 0.0)


def test_zoom_in_enlarges_sprites_and_zoom_out_shrinks_them() -> None:
    zoom_in = _shot(Subject(kind="cat"), camera="zoom_in")
    zoom_out = _shot(Subject(kind="cat"), camera="zoom_out")
    assert _height(_only(zoom_in, 4.0)) > 1.2 * _height(_only(zoom_in, 0.0))
    assert _height(_only(zoom_out, 4.0)) < 0.85 * _height(_only(zoom_out, 0.0))


def test_handheld_shakes_a_little_and_smoothly() -> None:
    scene = Scene(_shot(camera="handheld"), PARAMS)
    xs = [scene.camera(t / 24).x for t in range(96)]
    assert 1.0 < max(xs) - min(xs) < 0.05 * 854
    assert max(abs(b - a) for a, b in itertools.pairwise(xs)) < 2.0


@pytest.mark.parametrize("move", CAMERA_MOVES)
def test_every_camera_move_has_a_zoom_of_at_least_one(move: str) -> None:
    scene = Scene(_shot(Subject(kind="bus", motion="drive"), camera=move), PARAMS)
    assert all(scene.camera(t / 4).zoom >= 1.0 for t in range(17))


def test_sprites_are_listed_back_to_front() -> None:
    shot = _shot(
        Subject(kind="dog", count=4), Subject(kind="bird", motion="fly"), Subject(kind="cow")
    )
    bottoms = [s.paste_at[1] + s.size[1] for s in layout(shot, PARAMS, 1.0).sprites]
    assert bottoms == sorted(bottoms)
