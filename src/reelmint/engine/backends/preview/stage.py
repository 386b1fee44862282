"""Where the ground, the water and the sky are in each setting, and how big things are.

The background painters and the subject layout both read these numbers, so a boat sits on the
water that is painted and a dog's feet touch the painted ground. Fractions are of the frame
height with the camera at rest; world y grows downward from the top of that rest view.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelmint.engine.vocabulary import SETTINGS, SUBJECT_SIZES


@dataclass(frozen=True)
class SettingSpec:
    """Vertical landmarks of a setting, as fractions of the frame height.

    `horizon`: where sky meets land or sea (None: no sky is seen).
    `ground`: where the front-most feet stand.
    `water`: (surface, bottom) of the water band that boats float on and fish swim in;
    None where the setting has no water, and swimmers use the middle of the frame.
    `surface`: the line boats float on (the painted water's surface near the viewer).
    """

    horizon: float | None
    ground: float
    water: tuple[float, float] | None = None
    surface: float | None = None


SETTING_SPECS: dict[str, SettingSpec] = {
    "city": SettingSpec(horizon=0.62, ground=0.9),
    "street": SettingSpec(horizon=0.56, ground=0.9),
    "forest": SettingSpec(horizon=0.6, ground=0.9),
    "jungle": SettingSpec(horizon=0.6, ground=0.9),
    "beach": SettingSpec(horizon=0.48, ground=0.92, water=(0.48, 0.7), surface=0.66),
    "ocean": SettingSpec(horizon=0.46, ground=0.92, water=(0.46, 1.0), surface=0.72),
    "underwater": SettingSpec(horizon=None, ground=0.92, water=(0.0, 0.9), surface=0.1),
    "lake": SettingSpec(horizon=0.5, ground=0.93, water=(0.56, 0.8), surface=0.72),
    "river": SettingSpec(horizon=0.5, ground=0.94, water=(0.66, 0.82), surface=0.79),
    "desert": SettingSpec(horizon=0.6, ground=0.9),
    "mountains": SettingSpec(horizon=0.66, ground=0.9),
    "arctic": SettingSpec(horizon=0.58, ground=0.9, water=(0.58, 0.7), surface=0.68),
    "countryside": SettingSpec(horizon=0.6, ground=0.9),
    "park": SettingSpec(horizon=0.6, ground=0.9),
    "space": SettingSpec(horizon=0.72, ground=0.92),
    "cave": SettingSpec(horizon=None, ground=0.9),
    "room": SettingSpec(horizon=None, ground=0.92),
    "castle": SettingSpec(horizon=0.62, ground=0.9),
    "volcano": SettingSpec(horizon=0.64, ground=0.9),
    "highway": SettingSpec(horizon=0.54, ground=0.92),
}
assert set(SETTING_SPECS) == set(SETTINGS), "every setting needs its landmarks"

# Height of a "medium" subject of natural size 1.0, as a fraction of the frame's short side.
SIZE_FRACTION: dict[str, float] = {
    "tiny": 0.1,
    "small": 0.17,
    "medium": 0.26,
    "large": 0.38,
    "huge": 0.54,
}
assert set(SIZE_FRACTION) == set(SUBJECT_SIZES), "every size needs a scale"


@dataclass(frozen=True)
class Stage:
    """One shot's frame geometry in pixels: the frame and the setting's landmarks."""

    width: int
    height: int
    spec: SettingSpec

    @classmethod
    def of(cls, setting: str, width: int, height: int) -> Stage:
        return cls(width=width, height=height, spec=SETTING_SPECS[setting])

    @property
    def unit(self) -> int:
        """The frame's short side: subjects scale with it so portrait and landscape agree."""
        return min(self.width, self.height)

    def y(self, fraction: float) -> float:
        """World y of a fraction of the rest view's height."""
        return fraction * self.height

    @property
    def horizon_y(self) -> float:
        horizon = self.spec.horizon
        return self.y(horizon if horizon is not None else 0.55)

    @property
    def ground_y(self) -> float:
        return self.y(self.spec.ground)

    @property
    def air_y(self) -> float:
        """Centre line of the band where flying things travel."""
        return self.y(0.3)

    @property
    def swim_y(self) -> float:
        """Centre line of the band where swimmers travel."""
        water = self.spec.water
        if water is None:
            return self.y(0.58)
        surface, bottom = water
        return self.y(surface + (bottom - surface) * 0.55)

    @property
    def surface_y(self) -> float:
        """Where a floating boat's waterline is; on dry land, the ground."""
        surface = self.spec.surface
        return self.y(surface) if surface is not None else self.ground_y
