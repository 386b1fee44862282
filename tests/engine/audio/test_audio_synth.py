"""Signal primitives: they do what the sounds built on them rely on."""

from __future__ import annotations

import numpy as np
import pytest
from audio_helpers import SR, band_energy, rms
from hypothesis import given
from hypothesis import strategies as st

from reelmint.engine.audio.synth import (
    attack_decay,
    fade_edges,
    fast_length,
    fft_filter,
    lowpass,
    pan,
    partials,
    phase,
    rng_for,
    shaped_noise,
    sine,
    smooth_random,
    soft_limit,
    upsample,
    widen,
)


def _is_five_smooth(n: int) -> bool:
    for prime in (2, 3, 5):
        while n % prime == 0:
            n //= prime
    return n == 1


@given(st.integers(min_value=1, max_value=5000))
def test_fast_length_is_the_next_five_smooth_number(n):
    length = fast_length(n)
    assert length >= n
    assert _is_five_smooth(length)
    assert not any(_is_five_smooth(m) for m in range(n, length))


def test_random_streams_are_keyed_by_seed_and_purpose():
    def draw(*key):
        return rng_for(*key).random(4)

    assert np.array_equal(draw(1, 0, "wind"), draw(1, 0, "wind"))
    assert not np.array_equal(draw(1, 0, "wind"), draw(1, 0, "rain"))
    assert not np.array_equal(draw(1, 0, "wind"), draw(1, 1, "wind"))
    assert not np.array_equal(draw(1, 0, "wind"), draw(2, 0, "wind"))
    assert draw(-5, "x").shape == (4,)  # negative seeds are fine


@pytest.mark.parametrize(("low", "high"), [(30.0, 200.0), (300.0, 2000.0), (2000.0, 9000.0)])
def test_shaped_noise_lies_in_its_band_at_unit_rms(low, high):
    noise = shaped_noise(2 * SR + 17, SR, np.random.default_rng(0), low, high, order=4)
    assert noise.shape == (2 * SR + 17,)
    assert rms(noise) == pytest.approx(1.0, rel=1e-6)
    inside = band_energy(noise, low / 1.5, high * 1.5)
    assert inside > 0.97 * band_energy(noise, 0, SR / 2)


def test_low_noise_made_at_a_low_rate_has_no_audible_images():
    rumble = shaped_noise(2 * SR, SR, np.random.default_rng(1), 30.0, 250.0)
    assert band_energy(rumble, 2000, SR / 2) < 1e-4 * band_energy(rumble, 0, SR / 2)


def test_upsample_passes_through_straight_lines():
    line = np.arange(20, dtype=float)
    smooth = upsample(line, 8, 120)
    interior = np.arange(8, 120)
    assert np.allclose(smooth[interior], interior / 8.0)


def test_smooth_random_stays_in_range_and_moves_slowly():
    curve = smooth_random(3 * SR, SR, 2.0, np.random.default_rng(3), 0.2, 0.9)
    assert curve.min() >= 0.2 - 1e-9
    assert curve.max() <= 0.9 + 1e-9
    assert np.abs(np.diff(curve)).max() < 1e-3  # no steps: gusts never click
    assert curve.max() - curve.min() > 0.2


def test_soft_limit_is_transparent_when_quiet_and_bounded_when_loud():
    quiet = np.linspace(-0.6, 0.6, 1001)
    assert np.array_equal(soft_limit(quiet), quiet)
    loud = np.linspace(-50.0, 50.0, 100_001)
    limited = soft_limit(loud)
    assert np.all(np.abs(limited) <= 0.98)
    assert np.all(np.abs(soft_limit(np.linspace(-3.0, 3.0, 1001))) < 0.98)
    assert np.all(np.diff(limited) >= 0)  # never folds back
    broken = soft_limit(np.array([np.nan, np.inf, -np.inf, 0.3]))
    assert np.all(np.isfinite(broken))
    assert broken[0] == 0.0


def test_pan_keeps_power_and_places_the_sound():
    mono = np.ones(5)
    for position in (-1.0, -0.3, 0.0, 0.7, 1.0):
        stereo = pan(mono, position)
        assert np.allclose(stereo[:, 0] ** 2 + stereo[:, 1] ** 2, 1.0)
    assert pan(mono, 1.0)[0, 0] == pytest.approx(0.0, abs=1e-12)
    moving = pan(mono, np.linspace(-1.0, 1.0, 5))
    assert moving[0, 0] > moving[0, 1]
    assert moving[-1, 1] > moving[-1, 0]


def test_widen_decorrelates_without_changing_power():
    noise = shaped_noise(SR, SR, np.random.default_rng(0), 100.0, 5000.0)
    wide = widen(noise, 1.0)
    narrow = widen(noise, 0.0)
    assert np.array_equal(narrow[:, 0], narrow[:, 1])
    assert abs(np.corrcoef(wide[:, 0], wide[:, 1])[0, 1]) < 0.05
    assert rms(wide) == pytest.approx(rms(noise), rel=0.02)


def test_long_running_tones_stay_in_tune():
    n = 30 * SR  # phase in the millions of radians: the float32 fold must keep it exact
    theta = phase(1000.0, n, SR)
    tail = sine(theta[-SR:])
    exact = np.sin(2 * np.pi * 1000.0 * np.arange(n - SR, n) / SR)
    assert np.max(np.abs(tail - exact)) < 1e-4


def test_partials_skip_harmonics_above_nyquist():
    theta = phase(3000.0, 1200, 12_000)
    tone = partials(theta, (1.0, 1.0, 1.0), 3000.0, 12_000)  # 6 and 9 kHz are too high
    assert np.allclose(tone, np.sin(theta), atol=1e-5)


def test_attack_decay_starts_and_ends_at_zero():
    envelope = attack_decay(4800, SR, 0.01, 0.02)
    assert envelope[0] == 0.0
    assert envelope[-1] == pytest.approx(0.0, abs=1e-9)
    assert np.argmax(envelope) == pytest.approx(480, abs=2)


def test_fft_filter_low_passes_stereo_channels_separately():
    rng = np.random.default_rng(5)
    stereo = np.stack([shaped_noise(SR, SR, rng, 20.0, None), np.zeros(SR)], axis=1)
    muffled = fft_filter(stereo, SR, lowpass(500.0, 4))
    assert np.all(np.abs(muffled[:, 1]) < 1e-9)  # nothing leaks into the silent channel
    assert band_energy(muffled[:, 0], 2000, SR / 2) < 1e-3 * band_energy(stereo[:, 0], 2000, SR / 2)


def test_fade_edges_reaches_zero_at_both_ends():
    faded = fade_edges(np.ones((1000, 2)), 100)
    assert np.all(faded[0] == 0)
    assert np.all(faded[-1] < 0.001)
    assert np.all(faded[100:900] == 1)
