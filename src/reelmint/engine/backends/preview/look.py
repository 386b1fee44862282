"""Lighting (time of day + weather) and style folded into colour functions.

Everything the renderer draws asks a `Look` for its colour: `paint` for lit surfaces, `emit` for
light sources (windows at night, lava, stars) that darkness does not dim, `sky` for the sky
gradient. Light level, tint, haze, fog and style grade are thus applied once, when layers and
sprites are prepared, and cost nothing per frame.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from reelmint.engine.backends.preview.grading import grade
from reelmint.engine.vocabulary import TIMES_OF_DAY, WEATHERS

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Body:
    """The sun or the moon: where in the sky (fractions of the frame), how big, what colour."""

    x: float
    y: float
    radius: float
    colour: RGB


@dataclass(frozen=True)
class Lighting:
    """The light of one time of day, before weather."""

    sky_top: RGB
    sky_horizon: RGB
    light: float
    tint: tuple[float, float, float]
    sun: Body | None
    moon: Body | None
    stars: float


LIGHTING: dict[str, Lighting] = {
    "dawn": Lighting(
        sky_top=(64, 76, 138),
        sky_horizon=(248, 176, 146),
        light=0.72,
        tint=(1.06, 0.92, 0.92),
        sun=Body(0.2, 0.52, 0.05, (255, 214, 170)),
        moon=None,
        stars=0.15,
    ),
    "morning": Lighting(
        sky_top=(96, 152, 222),
        sky_horizon=(206, 226, 242),
        light=0.95,
        tint=(1.0, 0.99, 0.96),
        sun=Body(0.26, 0.24, 0.045, (255, 246, 216)),
        moon=None,
        stars=0.0,
    ),
    "noon": Lighting(
        sky_top=(56, 122, 216),
        sky_horizon=(168, 208, 246),
        light=1.0,
        tint=(1.0, 1.0, 1.0),
        sun=Body(0.62, 0.08, 0.04, (255, 252, 236)),
        moon=None,
        stars=0.0,
    ),
    "afternoon": Lighting(
        sky_top=(76, 136, 214),
        sky_horizon=(216, 216, 218),
        light=0.95,
        tint=(1.04, 1.0, 0.93),
        sun=Body(0.78, 0.2, 0.045, (255, 240, 200)),
        moon=None,
        stars=0.0,
    ),
    "sunset": Lighting(
        sky_top=(72, 60, 128),
        sky_horizon=(255, 150, 70),
        light=0.78,
        tint=(1.16, 0.88, 0.7),
        sun=Body(0.72, 0.62, 0.07, (255, 170, 80)),
        moon=None,
        stars=0.0,
    ),
    "dusk": Lighting(
        sky_top=(24, 30, 76),
        sky_horizon=(162, 100, 126),
        light=0.5,
        tint=(0.88, 0.86, 1.08),
        sun=None,
        moon=Body(0.8, 0.2, 0.03, (225, 225, 210)),
        stars=0.4,
    ),
    "night": Lighting(
        sky_top=(6, 10, 28),
        sky_horizon=(28, 38, 76),
        light=0.32,
        tint=(0.75, 0.85, 1.15),
        sun=None,
        moon=Body(0.78, 0.16, 0.035, (236, 236, 216)),
        stars=1.0,
    ),
}
assert set(LIGHTING) == set(TIMES_OF_DAY), "every time of day needs its light"


@dataclass(frozen=True)
class WeatherLight:
    """How weather changes the light: dimmer, a greyer sky, fog."""

    dim: float
    overcast: float = 0.0
    overcast_colour: RGB = (0, 0, 0)
    fog: float = 0.0
    clouds: int = 0
    cloud_shade: float = 1.0


WEATHER_LIGHT: dict[str, WeatherLight] = {
    "clear": WeatherLight(dim=1.0, clouds=2),
    "cloudy": WeatherLight(0.82, 0.42, (172, 176, 186), clouds=14, cloud_shade=0.92),
    "rain": WeatherLight(0.68, 0.66, (118, 124, 136), clouds=18, cloud_shade=0.7),
    "storm": WeatherLight(0.48, 0.82, (64, 66, 80), clouds=22, cloud_shade=0.5),
    "snow": WeatherLight(0.9, 0.6, (206, 210, 220), clouds=12, cloud_shade=0.95),
    "fog": WeatherLight(0.9, 0.55, (196, 200, 206), fog=0.75, clouds=4, cloud_shade=0.95),
}
assert set(WEATHER_LIGHT) == set(WEATHERS), "every weather needs its light"


def _mix(a: np.ndarray, b: np.ndarray, amount: float | np.ndarray) -> np.ndarray:
    return a + (b - a) * amount


@dataclass(frozen=True)
class Look:
    """The colour rules of one shot: time of day, weather and style."""

    time_of_day: str
    weather: str
    style: str
    fill: float = 0.0

    @property
    def lighting(self) -> Lighting:
        return LIGHTING[self.time_of_day]

    @property
    def weather_light(self) -> WeatherLight:
        return WEATHER_LIGHT[self.weather]

    @property
    def light(self) -> float:
        """Overall light level (1 = noon, clear); night and storms are darker.

        `fill` lifts it part of the way to full light: subjects get a little fill light, as on a
        film set, so that a dog at night is dark but still readable.
        """
        level = self.lighting.light * self.weather_light.dim
        return level + (1.0 - level) * self.fill

    def with_fill(self, fill: float) -> Look:
        """The same look with some fill light (for subjects)."""
        return replace(self, fill=fill)

    @property
    def is_dark(self) -> bool:
        """Dark enough that windows, lamps and stars are lit."""
        return self.lighting.light < 0.6

    def _overcast(self, rgb: np.ndarray) -> np.ndarray:
        weather = self.weather_light
        if weather.overcast == 0.0:
            return rgb
        grey = np.asarray(weather.overcast_colour, dtype=np.float32) * min(
            1.0, self.lighting.light * 1.1
        )
        return _mix(rgb, grey, weather.overcast)

    def _fog_colour(self) -> np.ndarray:
        """A pale grey a little darker than the overcast horizon: fog flattens, not whitens."""
        return self.sky_horizon_lit() * 0.82

    def sky_raw_array(self, fraction: np.ndarray) -> np.ndarray:
        """Sky colours before the style grade (float, (n, 3)), top (0) to horizon (1)."""
        top = np.asarray(self.lighting.sky_top, dtype=np.float32)
        horizon = np.asarray(self.lighting.sky_horizon, dtype=np.float32)
        f = np.clip(np.asarray(fraction, dtype=np.float32), 0.0, 1.0)[:, None] ** 0.8
        rgb = self._overcast(_mix(top, horizon, f))
        if self.weather_light.fog:
            rgb = _mix(rgb, self._fog_colour(), self.weather_light.fog)
        return rgb

    def sky_array(self, fraction: np.ndarray) -> np.ndarray:
        """Sky colours (uint8, (n, 3)) from top (fraction 0) to horizon (fraction 1)."""
        return grade(self.style, self.sky_raw_array(fraction)).astype(np.uint8)

    def paint_array(
        self, rgb: np.ndarray, depth: float = 0.0, *, emissive: bool = False
    ) -> np.ndarray:
        """Lit, hazed, fogged and graded colours (uint8) for surfaces at `depth` (0 near, 1 far).

        Emissive colours skip the light level and tint: a lamp is as bright at night as by day.
        """
        out = np.asarray(rgb, dtype=np.float32)
        lighting = self.lighting
        if not emissive:
            out = out * (np.asarray(lighting.tint, dtype=np.float32) * self.light)
            haze = 0.42 * depth * depth
            if haze:
                out = _mix(out, self.sky_horizon_lit(), haze)
        fog = self.weather_light.fog
        if fog:
            out = _mix(out, self._fog_colour(), fog * (0.75 + 0.25 * depth))
        return grade(self.style, out, emissive=emissive).astype(np.uint8)

    def sky_horizon_lit(self) -> np.ndarray:
        """The horizon colour under this weather, ungraded: what distance fades toward."""
        return self._overcast(np.asarray(self.lighting.sky_horizon, dtype=np.float32))

    def paint(self, rgb: tuple[int, ...], depth: float = 0.0) -> RGB:
        """One lit surface colour; see `paint_array`."""
        return _paint_one(self, tuple(rgb[:3]), round(depth, 3), False)

    def emit(self, rgb: tuple[int, ...]) -> RGB:
        """One light-source colour, graded but not dimmed."""
        return _paint_one(self, tuple(rgb[:3]), 0.0, True)

    def sky_raw(self, fraction: float) -> RGB:
        """One ungraded sky colour (to be drawn as a light source, e.g. seen through a window)."""
        r, g, b = np.clip(self.sky_raw_array(np.array([fraction], dtype=np.float32))[0], 0, 255)
        return (int(r), int(g), int(b))


@lru_cache(maxsize=8192)
def _paint_one(look: Look, rgb: tuple[int, ...], depth: float, emissive: bool) -> RGB:
    r, g, b = look.paint_array(np.array([rgb], dtype=np.float32), depth, emissive=emissive)[0]
    return (int(r), int(g), int(b))
