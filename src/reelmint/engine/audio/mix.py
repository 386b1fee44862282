"""The soundtrack of a storyboard: beds cross-faded at cuts, events per shot, voices on captions.

Steps of `soundtrack`:
1. Map each shot's frames onto samples (the same cumulative rounding as the picture).
2. Ambience: one bed per run of shots that share setting, time of day and weather, each
   cross-faded into the next over ~0.15 s so cuts never click.
3. Events: each shot's subjects, faded at the shot's edges.
4. Voices: each caption cue voiced inside its window; bed and events duck under it.
5. Sum, make-up gain, soft-limit (peak <= 0.98), fade the first and last 50 ms, float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from reelmint.engine.audio.ambient import OUTPUT_GAIN, check_rate, render_bed
from reelmint.engine.audio.events import shot_events
from reelmint.engine.audio.layers import Scene
from reelmint.engine.audio.synth import fade_edges, pan, rng_for, scale, soft_limit
from reelmint.engine.audio.voice import speak, speaker_of
from reelmint.engine.backends.base import AUDIO_SAMPLE_RATE
from reelmint.engine.errors import InvalidRequest
from reelmint.engine.storyboard import Shot, Storyboard
from reelmint.engine.timing import caption_cues, shot_spans

CROSSFADE_SECONDS = 0.15
CLIP_FADE_SECONDS = 0.05
DUCK_GAIN = 0.5  # bed and events under a voice: -6 dB
DUCK_RAMP_SECONDS = 0.06


@dataclass(frozen=True)
class Window:
    """Samples [start, stop) of the track that belong to one shot."""

    index: int
    shot: Shot
    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start


def soundtrack(
    storyboard: Storyboard, *, fps: int, seed: int, sample_rate: int = AUDIO_SAMPLE_RATE
) -> np.ndarray:
    """float32 (samples, 2) in [-1, 1]; samples == frames * sample_rate // fps where
    frames = shot_spans(storyboard, fps)[-1].stop (exactly as long as the video)."""
    windows, total = _windows(storyboard, fps, sample_rate)
    mixed = ambience(windows, total, sample_rate, seed)
    for window in windows:
        if window.length:
            mixed[window.start : window.stop] += shot_events(
                window.shot, n=window.length, sr=sample_rate, seed=seed, shot_index=window.index
            )
    voices, duck = _voices(windows, total, sample_rate, seed)
    scale(mixed, duck)
    mixed += voices
    return _master(mixed, sample_rate)


def ambient_track(
    storyboard: Storyboard, *, fps: int, seed: int, sample_rate: int = AUDIO_SAMPLE_RATE
) -> np.ndarray:
    """Only the ambience of a whole storyboard, cross-faded at cuts and exactly as long as the
    video (same shape as `soundtrack`): for backends whose model draws the picture but makes
    no sound, instead of laying `ambient_bed`s end to end."""
    windows, total = _windows(storyboard, fps, sample_rate)
    return _master(ambience(windows, total, sample_rate, seed), sample_rate)


def _master(mixed: np.ndarray, sr: int) -> np.ndarray:
    """Make-up gain, limit, fade the clip's ends, float32."""
    track = mixed.astype(np.float32)
    track *= np.float32(OUTPUT_GAIN)
    return fade_edges(soft_limit(track), int(CLIP_FADE_SECONDS * sr))


def _windows(storyboard: Storyboard, fps: int, sr: int) -> tuple[list[Window], int]:
    """Each shot's samples, and the track's length (frames * sr // fps)."""
    if isinstance(fps, bool) or not isinstance(fps, int | np.integer) or fps <= 0:
        raise InvalidRequest(f"fps must be a positive integer, got {fps!r}", code="invalid_audio")
    check_rate(sr)
    spans = shot_spans(storyboard, fps)
    windows = [
        Window(span.index, span.shot, span.start * sr // fps, span.stop * sr // fps)
        for span in spans
    ]
    return windows, spans[-1].stop * sr // fps


def ambience(windows: list[Window], total: int, sr: int, seed: int) -> np.ndarray:
    """Beds for runs of shots with the same place and weather, equal-power cross-faded at the
    cuts between runs (uncorrelated beds keep their loudness through the fade)."""
    runs = _runs(windows)
    out = np.zeros((total, 2))
    half = int(CROSSFADE_SECONDS * sr / 2)
    # The fade at each cut between runs spends at most half of either neighbour.
    fades = [
        min(half, (left[-1].stop - left[0].start) // 2, (right[-1].stop - right[0].start) // 2)
        for left, right in pairwise(runs)
    ]
    for number, run in enumerate(runs):
        head = fades[number - 1] if number > 0 else 0
        tail = fades[number] if number < len(fades) else 0
        start, stop = run[0].start - head, run[-1].stop + tail
        first = run[0].shot
        scene = Scene(
            n=stop - start,
            sr=sr,
            seed=seed,
            key=("bed", run[0].index),
            time_of_day=first.time_of_day,
        )
        bed = render_bed(first.setting, first.weather, scene)
        bed[: 2 * head] *= _ramp(2 * head)[:, None]
        if tail:
            bed[-2 * tail :] *= _ramp(2 * tail)[::-1, None]
        out[start:stop] += bed
    return out


def _runs(windows: list[Window]) -> list[list[Window]]:
    """Consecutive non-empty shots grouped while their setting, time and weather stay the same."""
    runs: list[list[Window]] = []
    for window in windows:
        if window.length == 0:
            continue
        if runs and _place_of(runs[-1][-1].shot) == _place_of(window.shot):
            runs[-1].append(window)
        else:
            runs.append([window])
    return runs


def _place_of(shot: Shot) -> tuple[str, str, str]:
    return (shot.setting, shot.time_of_day, shot.weather)


def _ramp(n: int) -> np.ndarray:
    """0 -> 1 along a quarter sine: with its mirror (a cosine) the powers sum to one."""
    return np.sin(np.linspace(0.0, np.pi / 2, n + 2)[1:-1])


def _voices(windows: list[Window], total: int, sr: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every caption voiced inside its own window, and the ducking gain for everything else.

    Both stay strictly inside each cue window, so outside the captions the track is exactly
    what it would be without dialogue.
    """
    voices = np.zeros((total, 2))
    duck = np.ones(total)
    for window in windows:
        for number, cue in enumerate(caption_cues(window.shot)):
            start = window.start + min(window.length, round(cue.start * sr))
            stop = window.start + min(window.length, round(cue.end * sr))
            if stop - start <= 0:
                continue
            rng = rng_for(seed, window.index, "voice", number)
            line = speak(cue.line.text, speaker_of(cue.line, window.shot), stop - start, sr, rng)
            voices[start:stop] += pan(line, 0.0)
            duck[start:stop] = np.minimum(duck[start:stop], _duck_shape(stop - start, sr))
    return voices, duck


def _duck_shape(n: int, sr: int) -> np.ndarray:
    """1 at the window's edges, DUCK_GAIN inside, with smooth ramps."""
    ramp = min(n // 2, int(DUCK_RAMP_SECONDS * sr))
    shape = np.full(n, DUCK_GAIN)
    if ramp > 0:
        fall = DUCK_GAIN + (1.0 - DUCK_GAIN) * (0.5 + 0.5 * np.cos(np.linspace(0, np.pi, ramp)))
        shape[:ramp] = fall
        shape[n - ramp :] = fall[::-1]
    return shape
