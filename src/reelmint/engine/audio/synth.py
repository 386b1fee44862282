"""Signal primitives the soundtrack is built from: noise, oscillators, envelopes, placement.

Everything works on whole arrays (numpy), never sample by sample in Python: a 20 s track is a
million samples per channel. Mono signals are 1-D arrays, stereo ones (n, 2); float64, except
where float32 is exact enough and twice as fast (noise, steady tones, the finished track).
Noise is shaped in the frequency domain, which gives any band-pass for the price of one inverse
FFT and needs no filter library.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

TAU = 2.0 * np.pi

# A magnitude response: frequencies in Hz -> gain at each frequency.
Response = Callable[[np.ndarray], np.ndarray]


def rng_for(seed: int, *purpose: int | str) -> np.random.Generator:
    """A generator for one purpose of one render.

    Each sound draws from its own stream keyed by (seed, shot, purpose), so adding or removing
    one sound never shifts the randomness of another, and nothing touches global state.
    """
    words = [seed % 2**64]
    for part in purpose:
        words.append(zlib.crc32(part.encode()) if isinstance(part, str) else part % 2**32)
    return np.random.default_rng(np.random.SeedSequence(words))


def fast_length(n: int) -> int:
    """The smallest 5-smooth number >= n: FFTs of such lengths are fast, prime lengths are not."""
    if n <= 1:
        return 1
    best = 1 << (n - 1).bit_length()
    five = 1
    while five < best:
        three_five = five
        while three_five < best:
            quotient = -(-n // three_five)
            best = min(best, three_five * (1 << (quotient - 1).bit_length()))
            three_five *= 3
        five *= 5
    return best


def band(low: float = 0.0, high: float | None = None, order: int = 2) -> Response:
    """A Butterworth-like band-pass magnitude: gentle skirts sound natural on noise."""

    def response(freqs: np.ndarray) -> np.ndarray:
        power = np.ones_like(freqs)  # 1 / |H|^2, built from squares (fast integer powers)
        if low > 0:
            ratio = np.divide(low, freqs, out=np.full_like(freqs, np.inf), where=freqs > 0)
            power += _integer_power(np.square(ratio), order)
        if high is not None:
            lowpass_part = _integer_power(np.square(freqs * (1.0 / high)), order)
            power = power + lowpass_part if low <= 0 else power * (1.0 + lowpass_part)
        return 1.0 / np.sqrt(power)

    return response


def _integer_power(values: np.ndarray, exponent: int) -> np.ndarray:
    result = values
    for _ in range(exponent - 1):
        result = result * values
    return result


def lowpass(cutoff: float, order: int = 2) -> Response:
    """A low-pass magnitude, used to muffle (fog, distance, water)."""
    return band(0.0, cutoff, order)


def shaped_noise(
    n: int,
    sr: int,
    rng: np.random.Generator,
    low: float = 0.0,
    high: float | None = None,
    order: int = 2,
) -> np.ndarray:
    """Noise of unit RMS whose spectrum is the band [low, high], float32.

    Narrow low bands are synthesised at a lower rate and interpolated up: a rumble below
    200 Hz needs no 48 kHz FFT, and this keeps a 20 s bed cheap.
    """
    if n <= 0:
        return np.zeros(0, dtype=np.float32)
    factor = 1 if high is None else int(sr // (12.0 * high))
    factor = factor if factor >= 4 else 1  # below 4 the interpolation costs what it saves
    rate = sr / factor
    m = fast_length(-(-n // factor) + 2)
    freqs = np.fft.rfftfreq(m, 1.0 / rate)
    gain = band(low, high, order)(freqs).astype(np.float32)
    # Uniform (not Gaussian) random parts, single precision: four times cheaper, and a sum over
    # thousands of bins is Gaussian in time all the same.
    spectrum = rng.random((freqs.size, 2), dtype=np.float32).view(np.complex64)[:, 0]
    spectrum -= np.complex64(0.5 + 0.5j)
    spectrum *= gain
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, m)
    if factor > 1:
        noise = upsample(noise, factor, n)
    noise = noise[:n]
    rms = float(np.sqrt(np.dot(noise, noise) / n))
    return noise * np.float32(1.0 / rms) if rms > 0 else noise


def fft_filter(signal: np.ndarray, sr: int, response: Response) -> np.ndarray:
    """Filter a mono or stereo signal by a zero-phase magnitude response.

    Stereo goes through one complex FFT (left + i*right): a real, symmetric response keeps the
    channels apart. Zero padding keeps the tail of the signal from wrapping onto its head.
    """
    n = signal.shape[0]
    if n == 0:
        return signal.copy()
    m = fast_length(n + min(n, int(0.05 * sr)) + 1)
    if signal.ndim == 1:
        spectrum = np.fft.rfft(signal, m) * response(np.fft.rfftfreq(m, 1.0 / sr))
        return np.fft.irfft(spectrum, m)[:n]
    packed = signal[:, 0] + 1j * signal[:, 1]
    spectrum = np.fft.fft(packed, m) * response(np.abs(np.fft.fftfreq(m, 1.0 / sr)))
    unpacked = np.fft.ifft(spectrum)[:n]
    return np.stack([unpacked.real, unpacked.imag], axis=1)


def widen(mono: np.ndarray, width: float) -> np.ndarray:
    """Stereo from mono: mid plus a decorrelated side (the same noise, half its length later).

    width 0 is mono in the middle, 1 makes the two channels uncorrelated; the sum keeps its power.
    """
    norm = 1.0 / np.sqrt(1.0 + width * width)
    side = np.roll(mono, mono.shape[0] // 2 + 1)
    side *= width * norm
    out = np.empty((mono.shape[0], 2))
    np.multiply(mono, norm, out=out[:, 0])
    np.subtract(out[:, 0], side, out=out[:, 1])
    out[:, 0] += side
    return out


def scale(stereo: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """Multiply both channels by a per-sample gain, in place (channel by channel: numpy
    broadcasting over a last axis of 2 is several times slower)."""
    stereo[:, 0] *= gain
    stereo[:, 1] *= gain
    return stereo


def pan(mono: np.ndarray, position: float | np.ndarray) -> np.ndarray:
    """Equal-power pan: -1 hard left, 0 centre, +1 hard right (a scalar or one per sample)."""
    angle = (np.clip(position, -1.0, 1.0) + 1.0) * (np.pi / 4.0)
    out = np.empty((mono.shape[0], 2))
    if np.ndim(angle) == 0:
        np.multiply(mono, np.cos(angle), out=out[:, 0])
        np.multiply(mono, np.sin(angle), out=out[:, 1])
    else:
        np.multiply(mono, cosine(angle), out=out[:, 0])
        np.multiply(mono, sine(angle), out=out[:, 1])
    return out


def seconds_axis(n: int, sr: int) -> np.ndarray:
    """The time of each sample in seconds."""
    return np.arange(n) / sr


def phase(frequency: float | np.ndarray, n: int, sr: int) -> np.ndarray:
    """The running phase of an oscillator whose frequency may change every sample.

    Integrating the frequency (a cumulative sum) keeps the wave continuous through glides.
    """
    if np.isscalar(frequency):
        return TAU * float(frequency) * seconds_axis(n, sr)
    return TAU * np.cumsum(frequency) / sr


def wrap(theta: np.ndarray | float) -> np.ndarray:
    """A phase folded into [0, 2*pi) as float32.

    float64 sin/cos cost several times their float32 versions; folding first keeps float32
    exact enough (about 1e-6 rad) however long the tone has run.
    """
    return np.asarray(theta - TAU * np.floor(np.asarray(theta) * (1.0 / TAU)), dtype=np.float32)


def sine(theta: np.ndarray | float) -> np.ndarray:
    """sin(theta), fast (see `wrap`)."""
    return np.sin(wrap(theta))


def cosine(theta: np.ndarray | float) -> np.ndarray:
    """cos(theta), fast (see `wrap`)."""
    return np.cos(wrap(theta))


def steady_sine(frequency: float, n: int, sr: int, offset: float = 0.0) -> np.ndarray:
    """sin(2*pi*frequency*t + offset) for n samples, float32, without a sin per sample.

    sin(a + b) = sin a cos b + cos a sin b: the sines of 1024 in-block steps and of the block
    starts are taken once, and the rest is two broadcast products: drones, crickets and
    shimmer are long steady tones, and this makes them nearly free.
    """
    block = 1024
    blocks = -(-n // block)
    step = TAU * frequency / sr
    within = step * np.arange(block)
    starts = step * block * np.arange(blocks) + offset
    out = np.outer(np.sin(starts).astype(np.float32), np.cos(within).astype(np.float32))
    out += np.outer(np.cos(starts).astype(np.float32), np.sin(within).astype(np.float32))
    return out.ravel()[:n]


def partials(
    theta: np.ndarray,
    amplitudes: list[float] | tuple[float, ...],
    frequency: float | np.ndarray,
    sr: int,
) -> np.ndarray:
    """A sum of harmonics sin(k*theta), k = 1, 2, ...; harmonics near Nyquist are left out."""
    out = np.zeros(theta.shape)
    folded = wrap(theta)
    limit = 0.45 * sr
    for k, amplitude in enumerate(amplitudes, start=1):
        if amplitude == 0:
            continue
        if np.isscalar(frequency):
            if k * float(frequency) < limit:
                out += amplitude * np.sin(k * folded)
        else:
            out += amplitude * np.sin(k * folded) * (k * frequency < limit)
    return out


def attack_decay(n: int, sr: int, attack: float, decay: float) -> np.ndarray:
    """A percussive envelope: a smooth rise over `attack` s, then exponential decay (tau s).

    The last 3 ms taper to zero so a grain never ends on a step.
    """
    rise_n = min(n, max(1, int(attack * sr)))
    env = np.exp(np.minimum(0.0, (attack - seconds_axis(n, sr)) * (1.0 / max(decay, 1e-4))))
    env[:rise_n] *= np.sin(np.linspace(0.0, np.pi / 2, rise_n, endpoint=False)) ** 2
    taper = min(n, max(1, int(0.003 * sr)))
    env[n - taper :] *= 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, taper))
    return env


def tail_taper(n: int, sr: int, seconds: float = 0.003) -> np.ndarray:
    """Ones, falling to zero over the last few ms (a raised cosine)."""
    env = np.ones(n)
    k = min(n, max(1, int(seconds * sr)))
    env[n - k :] = 0.5 + 0.5 * np.cos(np.linspace(0.0, np.pi, k))
    return env


def bell_curve(n: int) -> np.ndarray:
    """A smooth 0 -> 1 -> 0 hump over n samples (a Hann window)."""
    if n <= 1:
        return np.ones(n)
    return 0.5 - 0.5 * np.cos(np.linspace(0.0, TAU, n))


def smooth_random(
    n: int, sr: int, rate: float, rng: np.random.Generator, low: float = 0.0, high: float = 1.0
) -> np.ndarray:
    """A slowly wandering curve in [low, high]: random knots `rate` per second, eased between.

    It gives gusts, swells and drifting pitch that never repeat yet never jump.
    """
    if n == 0:
        return np.zeros(0)
    # Eased between knots at a control rate of >= 32 points per knot, then linear in between:
    # the same curve to the ear, a fraction of the cost.
    step = max(1, min(64, int(sr / (rate * 32.0))))
    position = np.arange(n // step + 2) * (step * rate / sr)
    knots = rng.uniform(low, high, int(position[-1]) + 2)
    index = position.astype(np.int64)
    ease = 0.5 - 0.5 * np.cos(np.pi * (position - index))
    curve = knots[index] * (1.0 - ease) + knots[index + 1] * ease
    if step == 1:
        return curve[:n]
    # Linear between control points: an envelope needs no spline, and this is two passes.
    blocks = -(-n // step)
    fraction = np.arange(step) * (1.0 / step)
    slope = curve[1 : blocks + 1] - curve[:blocks]
    return (curve[:blocks, None] + slope[:, None] * fraction[None, :]).ravel()[:n]


def upsample(values: np.ndarray, factor: int, n: int) -> np.ndarray:
    """n samples drawn smoothly through `values` spaced `factor` samples apart.

    A cubic B-spline, written as four broadcast products over blocks (several times faster
    than np.interp). Linear interpolation would leave images of a rumble only 25-35 dB down,
    up where the ear is keenest (a faint hiss); the spline's are 40-65 dB down.
    """
    if factor == 1:
        return np.array(values[:n])
    blocks = -(-n // factor)
    padded = np.concatenate([values[:1], values, np.repeat(values[-1:], 3)])
    if padded.size < blocks + 3:
        padded = np.concatenate([padded, np.repeat(values[-1:], blocks + 3 - padded.size)])
    t = np.arange(factor) * (1.0 / factor)
    weights = [
        np.asarray(weight, dtype=values.dtype)
        for weight in (
            (1.0 - t) ** 3 / 6.0,
            (3.0 * t**3 - 6.0 * t**2 + 4.0) / 6.0,
            (-3.0 * t**3 + 3.0 * t**2 + 3.0 * t + 1.0) / 6.0,
            t**3 / 6.0,
        )
    ]
    out = padded[0:blocks, None] * weights[0]
    for tap in range(1, 4):
        out += padded[tap : blocks + tap, None] * weights[tap]
    return out.ravel()[:n]


def place(
    track: np.ndarray,
    grain: np.ndarray,
    start: int,
    gain: float = 1.0,
    position: float = 0.0,
) -> None:
    """Add a grain into a track at `start`: into a stereo track a mono grain is panned to
    `position` (a stereo grain goes as it is); into a mono track, a mono grain.

    Whatever falls outside the track is dropped.
    """
    sound = pan(grain, position) if grain.ndim < track.ndim else grain
    begin = max(start, 0)
    end = min(start + sound.shape[0], track.shape[0])
    if end <= begin:
        return
    track[begin:end] += gain * sound[begin - start : end - start]


def echo(
    mono: np.ndarray, sr: int, taps: list[tuple[float, float, float]], tail: float
) -> np.ndarray:
    """Stereo echoes of a mono grain: each tap is (delay s, gain, pan); the result is longer by
    `tail` seconds so the echoes are not cut off."""
    n = mono.shape[0] + int(tail * sr)
    out = np.zeros((n, 2))
    place(out, mono, 0)
    for delay, gain, position in taps:
        place(out, mono, int(delay * sr), gain, position)
    return out


def soft_limit(signal: np.ndarray, threshold: float = 0.6, ceiling: float = 0.98) -> np.ndarray:
    """Pass quiet samples unchanged; bend loud ones smoothly towards `ceiling` (tanh knee).

    Memoryless, so one loud moment changes nothing else in the track; the slope is 1 at the
    knee, so there is no kink, and the output never exceeds the ceiling.
    """
    out = np.nan_to_num(signal, nan=0.0, posinf=ceiling, neginf=-ceiling).ravel()
    loud = np.flatnonzero(np.abs(out) > threshold)
    room = ceiling - threshold
    values = out[loud]
    bent = threshold + room * np.tanh((np.abs(values) - threshold) / room)
    cap = out.dtype.type(ceiling)
    if cap > ceiling:  # float32 rounds 0.98 up: stay at the largest value not above it
        cap = np.nextafter(cap, out.dtype.type(0))
    out[loud] = np.sign(values) * np.minimum(bent, cap)
    return out.reshape(signal.shape)


def fade_edges(signal: np.ndarray, samples: int) -> np.ndarray:
    """Raised-cosine fade in and out over `samples` (less if the signal is short), in place:
    the caller owns the array, and copying a whole track to change its ends would be waste."""
    n = signal.shape[0]
    k = min(samples, n // 2)
    if k <= 0:
        return signal
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, k, endpoint=False))
    if signal.ndim == 2:
        ramp = ramp[:, None]
    signal[:k] *= ramp
    signal[n - k :] *= ramp[::-1]
    return signal


def normalise_peak(signal: np.ndarray, peak: float = 1.0) -> np.ndarray:
    """Scale so the largest magnitude is `peak` (silence stays silence)."""
    top = float(np.max(np.abs(signal))) if signal.size else 0.0
    return signal * (peak / top) if top > 0 else signal
