"""Ambient beds: every setting and weather sounds, each its own way; storms thunder."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from audio_helpers import SR, band_energy, centroid, frame_energy, mono, rms

from reelmint.engine.audio import ambient_bed
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.vocabulary import SETTINGS, TIMES_OF_DAY, WEATHERS

SILENCE_FLOOR = 0.003  # RMS; about -50 dBFS


def bed(setting="countryside", time_of_day="noon", weather="clear", seconds=2.0, seed=0):
    return ambient_bed(
        setting=setting, time_of_day=time_of_day, weather=weather, seconds=seconds, seed=seed
    )


@pytest.mark.parametrize("setting", SETTINGS)
def test_every_setting_has_an_audible_bed(setting):
    sound = bed(setting)
    assert sound.shape == (2 * SR, 2)
    assert sound.dtype == np.float32
    assert np.all(np.isfinite(sound))
    assert np.max(np.abs(sound)) <= 0.98
    assert rms(sound) > SILENCE_FLOOR


@pytest.mark.parametrize("weather", WEATHERS)
@pytest.mark.parametrize("setting", ["room", "space", "city"])
def test_every_weather_keeps_the_bed_audible(setting, weather):
    assert rms(bed(setting, weather=weather, seconds=1.0)) > SILENCE_FLOOR


@pytest.mark.parametrize("weather", [w for w in WEATHERS if w != "clear"])
def test_weather_changes_the_bed(weather):
    clear = bed(weather="clear", seed=5)
    other = bed(weather=weather, seed=5)
    assert rms(other - clear) > 0.2 * rms(clear)


@pytest.mark.parametrize("time_of_day", TIMES_OF_DAY)
def test_every_time_of_day_is_known(time_of_day):
    assert rms(bed("forest", time_of_day=time_of_day, seconds=1.0)) > SILENCE_FLOOR


def _band_profile(sound: np.ndarray) -> np.ndarray:
    """Share of energy in each octave from 31 Hz to 16 kHz, in dB."""
    edges = 31.25 * 2.0 ** np.arange(11)
    energies = np.array([band_energy(sound, lo, hi) for lo, hi in itertools.pairwise(edges)])
    return 10 * np.log10(energies / energies.sum() + 1e-12)


def test_settings_sound_different_from_each_other():
    profiles = {setting: _band_profile(bed(setting)) for setting in SETTINGS}
    for first, second in itertools.combinations(SETTINGS, 2):
        distance = np.sqrt(np.mean((profiles[first] - profiles[second]) ** 2))
        assert distance > 1.0, f"{first} and {second} have the same spectrum"


def test_city_rumbles_where_space_drones_and_shimmers():
    city, space = bed("city", seconds=3.0), bed("space", seconds=3.0)
    # Space: almost all its energy in a few low drones; the city spreads into the mids.
    assert band_energy(space, 30, 100) / band_energy(space, 0, SR / 2) > 0.6
    assert band_energy(city, 100, 2000) / band_energy(city, 0, SR / 2) > 0.2
    assert band_energy(space, 100, 2000) / band_energy(space, 0, SR / 2) < 0.1


def test_a_storm_has_thunder_and_rain_does_not():
    def spike(sound: np.ndarray) -> float:
        energy = frame_energy(sound, 0.05)
        return float(energy.max() / np.median(energy))

    for seed in (0, 1, 2):
        assert spike(bed(weather="storm", seconds=6.0, seed=seed)) > 8.0
        assert spike(bed(weather="rain", seconds=6.0, seed=seed)) < 3.0


def test_a_short_storm_still_thunders():
    storm = bed(weather="storm", seconds=1.0, seed=3)
    rain = bed(weather="rain", seconds=1.0, seed=3)
    assert band_energy(storm, 20, 300) > 3 * band_energy(rain, 20, 300)


def test_crickets_sing_at_night_not_at_noon():
    def tonal_peak(sound: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(mono(sound))) ** 2
        freqs = np.fft.rfftfreq(sound.shape[0], 1.0 / SR)
        band = spectrum[(freqs > 3800) & (freqs < 5300)]
        return float(band.max() / np.median(band))

    for setting in ("forest", "park", "countryside"):
        assert tonal_peak(bed(setting, "night", seconds=3.0)) > 50
        assert tonal_peak(bed(setting, "noon", seconds=3.0)) < 30


def test_fog_muffles_and_snow_hushes():
    clear = bed("forest", seconds=3.0, seed=2)
    assert centroid(bed("forest", weather="fog", seconds=3.0, seed=2)) < 0.5 * centroid(clear)
    assert rms(bed("forest", weather="snow", seconds=3.0, seed=2)) < rms(clear)


def test_waves_swell_and_ebb_on_the_beach():
    energy = frame_energy(bed("beach", seconds=12.0), 0.25)
    assert energy.max() > 4 * energy.min()


@pytest.mark.parametrize("seconds", [0.0, 0.001, 1.23456, 3.5])
def test_bed_length_is_rounded_seconds(seconds):
    assert bed(seconds=seconds).shape == (round(seconds * SR), 2)


def test_bed_at_another_sample_rate():
    sound = ambient_bed(
        setting="jungle",
        time_of_day="dusk",
        weather="rain",
        seconds=1.5,
        seed=1,
        sample_rate=16_000,
    )
    assert sound.shape == (24_000, 2)
    assert rms(sound) > SILENCE_FLOOR


def test_bed_is_deterministic_and_seeded():
    assert np.array_equal(bed("castle", seed=4), bed("castle", seed=4))
    assert not np.array_equal(bed("castle", seed=4), bed("castle", seed=5))


@pytest.mark.parametrize(
    "names",
    [
        {"setting": "moon"},
        {"time_of_day": "midnight"},
        {"weather": "hail"},
    ],
)
def test_unknown_names_are_refused_with_the_valid_ones(names):
    arguments = {"setting": "city", "time_of_day": "noon", "weather": "clear"} | names
    with pytest.raises(InvalidRequest) as caught:
        ambient_bed(**arguments, seconds=1.0, seed=0)
    assert caught.value.code == "invalid_audio"
    assert "use one of" in str(caught.value)


@pytest.mark.parametrize("seconds", [-1.0, float("nan"), float("inf")])
def test_bad_seconds_are_refused(seconds):
    with pytest.raises(InvalidRequest):
        bed(seconds=seconds)
