"""Builders and measurements shared by the audio tests (not a conftest: the lead owns those)."""

from __future__ import annotations

import numpy as np

from reelmint.engine.storyboard import DialogueLine, Shot, Storyboard, Subject

SR = 48_000


def shot(duration: float = 2.0, **fields) -> Shot:
    """A shot with sensible defaults; `say` adds one dialogue line."""
    say = fields.pop("say", None)
    if say is not None:
        fields["dialogue"] = (DialogueLine(text=say),)
    return Shot(prompt="a test shot", duration=duration, **fields)


def board(*shots: Shot) -> Storyboard:
    return Storyboard(prompt="a test storyboard", shots=shots)


def walker(kind: str = "person", motion: str = "walk", **fields) -> Subject:
    return Subject(kind=kind, motion=motion, **fields)


def rms(signal: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(signal, dtype=np.float64))))


def mono(signal: np.ndarray) -> np.ndarray:
    return signal.mean(axis=1) if signal.ndim == 2 else signal


def band_energy(signal: np.ndarray, low: float, high: float, sr: int = SR) -> float:
    """Energy of the mono mix between low and high Hz."""
    spectrum = np.abs(np.fft.rfft(mono(signal))) ** 2
    freqs = np.fft.rfftfreq(signal.shape[0], 1.0 / sr)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum())


def frame_energy(signal: np.ndarray, seconds: float, sr: int = SR) -> np.ndarray:
    """Mean square of the mono mix in consecutive frames of `seconds`."""
    x = mono(signal)
    k = max(1, int(seconds * sr))
    return np.mean(np.square(x[: x.size // k * k].reshape(-1, k)), axis=1)


def centroid(signal: np.ndarray, sr: int = SR) -> float:
    spectrum = np.abs(np.fft.rfft(mono(signal))) ** 2
    freqs = np.fft.rfftfreq(signal.shape[0], 1.0 / sr)
    return float((spectrum * freqs).sum() / spectrum.sum())


def autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of an envelope (mean removed), lags 0..n-1."""
    x = envelope - envelope.mean()
    size = 1 << (2 * x.size - 1).bit_length()
    spectrum = np.fft.rfft(x, size)
    corr = np.fft.irfft(spectrum * np.conj(spectrum), size)[: x.size]
    return corr / corr[0]
