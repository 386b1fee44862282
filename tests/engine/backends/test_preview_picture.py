"""What the preview draws: colours where the layout says, light, weather, camera, captions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reelmint.engine.backends.base import RenderParams, Size
from reelmint.engine.backends.preview.captions import Captions
from reelmint.engine.backends.preview.compositor import STREAM_LIGHTNING, ShotRenderer
from reelmint.engine.backends.preview.look import Look
from reelmint.engine.backends.preview.particles import Lightning
from reelmint.engine.backends.preview.scene import STREAM_SUBJECTS, shot_rng
from reelmint.engine.backends.preview.sprites import KIND_SPECS, Pose, draw_sprite
from reelmint.engine.storyboard import (
    MAX_SUBJECTS_PER_SHOT,
    DialogueLine,
    Shot,
    Storyboard,
    Subject,
)
from reelmint.engine.timing import caption_cues, shot_spans
from reelmint.engine.vocabulary import (
    CAMERA_MOVES,
    COLOURS,
    MOTIONS,
    SETTINGS,
    STYLES,
    SUBJECT_KINDS,
    TIMES_OF_DAY,
    WEATHERS,
)

SMALL = Size(480, 480)
WIDE = Size(854, 480)


def _shot(*subjects: Subject, **fields: object) -> Shot:
    values: dict[str, object] = {"prompt": "a test shot", "duration": 4.0, "subjects": subjects}
    values.update(fields)
    return Shot.model_validate(values)


def _renderer(shot: Shot, size: Size = SMALL, seed: int = 1) -> ShotRenderer:
    span = shot_spans(Storyboard(prompt="test", shots=(shot,)), 24)[0]
    return ShotRenderer(span, RenderParams(size=size, fps=24, seed=seed))


def _frame(shot: Shot, index: int = 48, size: Size = SMALL, seed: int = 1) -> np.ndarray:
    return _renderer(shot, size, seed).frame(index)


def _luma(frame: np.ndarray) -> np.ndarray:
    return frame[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def _inside(frame: np.ndarray, bbox: tuple[int, int, int, int], shrink: float = 0.2) -> np.ndarray:
    """The central part of a bbox (away from transparent corners), as (n, 3) pixels."""
    x0, y0, x1, y1 = bbox
    dx, dy = (x1 - x0) * shrink, (y1 - y0) * shrink
    return frame[round(y0 + dy) : round(y1 - dy), round(x0 + dx) : round(x1 - dx)].reshape(-1, 3)


# -- subjects ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("colour", "channel"), [("red", 0), ("blue", 2), ("green", 1)])
def test_a_coloured_car_is_that_colour_where_the_layout_puts_it(colour: str, channel: int) -> None:
    shot = _shot(Subject(kind="car", colour=colour, size="large", motion="drive"), setting="desert")
    renderer = _renderer(shot, WIDE)
    for index in (20, 60):
        (car,) = renderer.layout(index).sprites
        mean = _inside(renderer.frame(index), car.bbox).astype(np.float64).mean(axis=0)
        others = [mean[c] for c in range(3) if c != channel]
        assert mean[channel] > max(others) + 40, (colour, mean)


def test_no_colour_gives_the_kinds_own_colour() -> None:
    renderer = _renderer(_shot(Subject(kind="frog", size="huge")), WIDE)
    (frog,) = renderer.layout(48).sprites
    r, g, b = _inside(renderer.frame(48), frog.bbox).astype(np.float64).mean(axis=0)
    assert g > r + 20
    assert g > b + 20


def test_every_kind_has_its_own_drawing() -> None:
    look = Look("noon", "clear", "cinematic")
    images = {
        kind: np.asarray(draw_sprite(kind, KIND_SPECS[kind].colour, 48, Pose(0.1, "walk"), look))
        for kind in SUBJECT_KINDS
    }
    for a, b in itertools.combinations(SUBJECT_KINDS, 2):
        same = images[a].shape == images[b].shape and np.array_equal(images[a], images[b])
        assert not same, f"{a} and {b} look identical"
    for kind, image in images.items():
        assert (image[..., 3] > 0).mean() > 0.05, f"{kind} is (nearly) invisible"


def test_the_body_colour_paints_every_kind() -> None:
    look = Look("noon", "clear", "cinematic")
    red, blue = COLOURS["red"], COLOURS["blue"]
    for kind in SUBJECT_KINDS:
        as_red = np.asarray(draw_sprite(kind, red, 40, Pose(), look)).astype(np.int64)
        as_blue = np.asarray(draw_sprite(kind, blue, 40, Pose(), look)).astype(np.int64)
        warmth_red = ((as_red[..., 0] - as_red[..., 2]) * as_red[..., 3]).sum()
        warmth_blue = ((as_blue[..., 0] - as_blue[..., 2]) * as_blue[..., 3]).sum()
        assert warmth_red > warmth_blue, kind


def test_poses_animate_a_walker() -> None:
    look = Look("noon", "clear", "cinematic")
    poses = [
        np.asarray(draw_sprite("horse", (140, 90, 50), 60, Pose(p, "walk"), look))
        for p in (0.0, 0.25)
    ]
    assert not np.array_equal(*poses)


def _kind_groups() -> list[tuple[str, ...]]:
    kinds = list(SUBJECT_KINDS)
    return [
        tuple(kinds[i : i + MAX_SUBJECTS_PER_SHOT])
        for i in range(0, len(kinds), MAX_SUBJECTS_PER_SHOT)
    ]


@pytest.mark.parametrize("kinds", _kind_groups())
def test_every_kind_renders_in_a_scene_with_every_motion(kinds: tuple[str, ...]) -> None:
    offset = SUBJECT_KINDS.index(kinds[0])
    subjects = tuple(
        Subject(kind=kind, motion=MOTIONS[(offset + k) % len(MOTIONS)], count=1 + k % 3)
        for k, kind in enumerate(kinds)
    )
    renderer = _renderer(_shot(*subjects, setting=SETTINGS[offset % len(SETTINGS)]))
    for index in (0, 50, 95):
        frame = renderer.frame(index)
        assert frame.shape == (480, 480, 3)
        assert frame.std() > 5


# -- every name of the vocabulary renders -------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"setting": s} for s in SETTINGS]
    + [{"camera": c} for c in CAMERA_MOVES]
    + [{"weather": w} for w in WEATHERS]
    + [{"time_of_day": t} for t in TIMES_OF_DAY]
    + [{"style": s} for s in STYLES],
    ids=lambda fields: "-".join(str(v) for v in fields.values()),
)
def test_every_setting_camera_weather_time_and_style_renders(fields: dict[str, str]) -> None:
    shot = _shot(
        Subject(kind="dog", motion="walk"), Subject(kind="bird", motion="fly", count=2), **fields
    )
    renderer = _renderer(shot)
    frames = [renderer.frame(i) for i in (0, 47, 95)]
    for frame in frames:
        assert frame.shape == (480, 480, 3)
        assert frame.dtype == np.uint8
        assert frame.std() > 3, "a picture, not a flat fill"


def test_settings_look_different_from_each_other() -> None:
    means = {
        s: _frame(_shot(setting=s), size=Size(240, 240)).reshape(-1, 3).mean(axis=0)
        for s in SETTINGS
    }
    for a, b in itertools.combinations(SETTINGS, 2):
        assert np.abs(means[a] - means[b]).sum() > 3, f"{a} and {b} look alike"


# -- light -------------------------------------------------------------------------------------


def test_night_is_much_darker_than_noon() -> None:
    subjects = (Subject(kind="house"), Subject(kind="person", motion="walk"))
    for setting in ("countryside", "city", "beach"):
        noon = _luma(_frame(_shot(*subjects, setting=setting, time_of_day="noon"))).mean()
        night = _luma(_frame(_shot(*subjects, setting=setting, time_of_day="night"))).mean()
        assert night < 0.55 * noon, setting


def test_sunset_is_warm_and_noon_is_not() -> None:
    def warmth(time_of_day: str) -> float:
        frame = _frame(_shot(time_of_day=time_of_day)).astype(np.float64)
        return float(frame[..., 0].mean() - frame[..., 2].mean())

    assert warmth("sunset") > warmth("noon") + 40


def test_lights_come_on_after_dark() -> None:
    def bright_warm_pixels(time_of_day: str) -> int:
        frame = _frame(_shot(setting="city", time_of_day=time_of_day)).astype(np.int64)
        r, g, b = frame[..., 0], frame[..., 1], frame[..., 2]
        return int(((r > 230) & (g > 170) & (r - b > 90)).sum())

    assert bright_warm_pixels("night") > 500
    assert bright_warm_pixels("night") > 5 * bright_warm_pixels("noon")


# -- weather -----------------------------------------------------------------------------------


def _moving_pixels(shot: Shot) -> tuple[np.ndarray, np.ndarray]:
    """Pixels that change between two frames of a shot with nothing but weather moving."""
    renderer = _renderer(shot)
    a, b = renderer.frame(30), renderer.frame(31)
    return np.any(a != b, axis=-1), b


def test_snow_adds_white_flakes() -> None:
    def white(weather: str) -> int:
        frame = _frame(_shot(setting="forest", weather=weather)).astype(np.int64)
        low = frame[240:]
        return int((low.min(axis=-1) > 190).sum())

    assert white("snow") > 500
    assert white("snow") > 5 * max(1, white("clear"))


def test_rain_and_snow_fall_and_clear_weather_is_still() -> None:
    clear, _ = _moving_pixels(_shot(setting="countryside"))
    rain, _ = _moving_pixels(_shot(setting="countryside", weather="rain"))
    snow, _ = _moving_pixels(_shot(setting="countryside", weather="snow"))
    assert clear.sum() == 0
    assert rain.sum() > 1500
    assert snow.sum() > 500


def test_rain_is_streaks_slanting_down() -> None:
    moving, frame = _moving_pixels(_shot(setting="city", weather="rain", time_of_day="night"))
    ys, xs = np.nonzero(moving)
    below = moving[np.clip(ys + 1, 0, 479), xs]
    assert below.mean() > 0.5, "a moving pixel is mostly part of a vertical streak"
    assert frame[moving].mean() > frame[~moving].mean()


def test_indoors_it_does_not_rain() -> None:
    moving, _ = _moving_pixels(_shot(setting="room", weather="storm"))
    assert moving.sum() == 0


def test_fog_lowers_contrast() -> None:
    for setting in ("forest", "city"):
        clear = _luma(_frame(_shot(setting=setting))).std()
        fog = _luma(_frame(_shot(setting=setting, weather="fog"))).std()
        assert fog < 0.65 * clear, setting


def test_cloudy_and_storm_are_dimmer_than_clear() -> None:
    means = {w: _luma(_frame(_shot(weather=w))).mean() for w in ("clear", "cloudy", "storm")}
    assert means["storm"] < means["cloudy"] < means["clear"]


def test_storms_flash_with_lightning() -> None:
    shot = _shot(setting="countryside", weather="storm")
    renderer = _renderer(shot)
    flashes = Lightning.seeded(shot.duration, shot_rng(1, 0, STREAM_LIGHTNING)).times
    assert flashes, "a four-second storm has lightning"
    at = round(flashes[0] * 24 + 0.5)
    lit, before = _luma(renderer.frame(at)).mean(), _luma(renderer.frame(at - 3)).mean()
    assert lit > before + 40


# -- camera ------------------------------------------------------------------------------------


def _shift(a: np.ndarray, b: np.ndarray, limit: int = 60) -> int:
    """The horizontal shift s that best maps a onto b (b[x] ~ a[x - s]) by mean abs difference."""
    la, lb = _luma(a), _luma(b)
    width = la.shape[1]
    best, best_error = 0, float("inf")
    for s in range(-limit, limit + 1):
        if s >= 0:
            error = np.abs(lb[:, s:] - la[:, : width - s]).mean()
        else:
            error = np.abs(lb[:, :s] - la[:, -s:]).mean()
        if error < best_error:
            best, best_error = s, float(error)
    return best


@pytest.mark.parametrize(("move", "sign"), [("pan_right", -1), ("pan_left", 1)])
def test_pans_slide_the_ground_against_the_move(move: str, sign: int) -> None:
    renderer = _renderer(_shot(camera=move, setting="countryside"), WIDE)
    a, b = renderer.frame(44), renderer.frame(50)
    ground = slice(400, 480)
    shift = _shift(a[ground], b[ground])
    expected = (
        renderer.scene.camera(renderer.time(44)).x - renderer.scene.camera(renderer.time(50)).x
    )
    assert np.sign(shift) == sign
    assert abs(shift - expected) <= 2


def test_pans_have_parallax_far_moves_less_than_near() -> None:
    renderer = _renderer(_shot(camera="pan_right", setting="countryside"), WIDE)
    a, b = renderer.frame(40), renderer.frame(52)
    near = abs(_shift(a[400:480], b[400:480]))
    far = abs(_shift(a[260:300], b[260:300]))
    assert near > 1.5 * far > 0


def test_a_static_shot_without_subjects_is_a_still() -> None:
    renderer = _renderer(_shot(setting="park"))
    assert np.array_equal(renderer.frame(10), renderer.frame(70))


def test_zoom_in_enlarges_what_is_seen() -> None:
    shot = _shot(
        Subject(kind="car", colour="red", size="small"), camera="zoom_in", setting="desert"
    )
    renderer = _renderer(shot, WIDE)
    first, last = renderer.frame(0), renderer.frame(95)

    def red_area(frame: np.ndarray) -> int:
        f = frame.astype(np.int64)
        return int(((f[..., 0] > f[..., 1] + 60) & (f[..., 0] > f[..., 2] + 60)).sum())

    assert red_area(last) > 1.4 * red_area(first) > 0


def test_tilt_up_shows_more_sky() -> None:
    renderer = _renderer(_shot(camera="tilt_up", setting="countryside"))
    start, end = renderer.frame(0), renderer.frame(95)
    assert _luma(end[380:]).mean() != pytest.approx(_luma(start[380:]).mean(), abs=2)
    sky_blue = lambda f: int((f[..., 2].astype(int) > f[..., 1].astype(int) + 20).sum())  # noqa: E731
    assert sky_blue(end) > sky_blue(start)


# -- captions ----------------------------------------------------------------------------------


def test_a_caption_shows_in_its_box_while_its_cue_is_on_and_not_before() -> None:
    line = DialogueLine(text="Hello there, how are you today?", speaker="dog")
    quiet = _shot(Subject(kind="dog"), setting="park")
    talking = _shot(Subject(kind="dog"), setting="park", dialogue=(line,))
    (cue,) = caption_cues(talking)
    box = Captions(talking, 480, 480, Look("noon", "clear", "cinematic")).box(0)
    x0, y0, x1, y1 = box
    assert y1 > 480 * 0.6, "near the bottom"
    silent, speaking = _renderer(quiet), _renderer(talking)
    before = int(cue.start * 24) - 1
    during = int((cue.start + cue.end) / 2 * 24)
    assert np.array_equal(silent.frame(before), speaking.frame(before))
    a, b = silent.frame(during), speaking.frame(during)
    changed = np.any(a != b, axis=-1)
    assert changed[y0:y1, x0:x1].mean() > 0.5
    changed[y0:y1, x0:x1] = False
    assert not changed.any(), "nothing outside the caption box changes"


def test_long_lines_wrap_inside_the_frame() -> None:
    text = "This is a rather long line of dialogue that cannot possibly fit on one line of a frame"
    shot = _shot(dialogue=(DialogueLine(text=text),))
    captions = Captions(shot, 480, 480, Look("noon", "clear", "cinematic"))
    x0, y0, x1, y1 = captions.box(0)
    assert 0 <= x0 < x1 <= 480
    assert 0 <= y0 < y1 <= 480
    assert y1 - y0 > 2 * 0.05 * 480, "more than one line tall"


# -- styles ------------------------------------------------------------------------------------


def test_noir_is_greyscale_everywhere() -> None:
    shot = _shot(
        Subject(kind="car", colour="red", motion="drive"),
        Subject(kind="bird", colour="yellow", motion="fly"),
        setting="city",
        time_of_day="sunset",
        weather="rain",
        style="noir",
        dialogue=(DialogueLine(text="It was a dark and stormy night.", speaker="man"),),
    )
    renderer = _renderer(shot)
    for index in (10, 50):
        frame = renderer.frame(index).astype(np.int64)
        assert np.abs(frame[..., 0] - frame[..., 1]).max() <= 2
        assert np.abs(frame[..., 1] - frame[..., 2]).max() <= 2
    colour = _frame(_shot(setting="city", time_of_day="sunset")).astype(np.int64)
    assert np.abs(colour[..., 0] - colour[..., 2]).max() > 30


def test_styles_change_the_picture_as_named() -> None:
    def frame(style: str) -> np.ndarray:
        shot = _shot(Subject(kind="elephant", size="large"), setting="jungle", style=style)
        return _frame(shot).astype(np.float64)

    def saturation(f: np.ndarray) -> float:
        return float((f.max(axis=-1) - f.min(axis=-1)).mean())

    cinematic, cartoon, pastel, neon = (
        frame(s) for s in ("cinematic", "cartoon", "pastel", "neon")
    )
    assert saturation(cartoon) > saturation(cinematic)
    assert saturation(pastel) < saturation(cinematic)
    assert _luma(pastel).mean() > _luma(cinematic).mean()
    assert _luma(neon).mean() < _luma(cinematic).mean()
    vintage = frame("vintage")
    assert vintage[..., 0].mean() > vintage[..., 2].mean() + 15, "sepia"


def test_vintage_grain_changes_from_frame_to_frame() -> None:
    renderer = _renderer(_shot(setting="park", style="vintage"))
    a, b = renderer.frame(10), renderer.frame(11)
    assert 0.005 < np.any(a != b, axis=-1).mean() < 0.1


def test_cartoon_sprites_are_outlined() -> None:
    look = Look("noon", "clear", "cartoon")
    from reelmint.engine.backends.preview.sprites.bank import style_sprite

    plain = draw_sprite("ball", (220, 50, 50), 60, Pose(), look)
    styled = np.asarray(style_sprite(plain, look, (220, 50, 50)))
    grown = (styled[..., 3] > 0).sum() - (np.asarray(plain)[..., 3] > 0).sum()
    assert grown > 0
    edge = styled[(styled[..., 3] > 200) & (np.asarray(plain)[..., 3] == 0)]
    assert edge[..., :3].max() < 40, "the new border is dark"


def test_rng_streams_are_independent() -> None:
    assert not np.array_equal(
        shot_rng(1, 0, STREAM_SUBJECTS).random(4), shot_rng(1, 1, STREAM_SUBJECTS).random(4)
    )
