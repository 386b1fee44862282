"""Tone voices for dialogue: speech-like melody and rhythm, no words.

A line becomes syllable-sized bursts (one per vowel group of the text), with pauses between
words and longer ones at commas and full stops. Each burst is a harmonic carrier whose energy
sits at two or three vowel formants, following a pitch contour that falls over the line,
lifts on stressed syllables and rises at a question. Who speaks decides the pitch and colour:
children and women higher, men, knights and wizards lower, a robot monotone and ring-modulated,
a ghost mostly breath. It is a tone voice, not speech synthesis.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from reelmint.engine.audio.synth import (
    normalise_peak,
    phase,
    shaped_noise,
    sine,
    smooth_random,
    steady_sine,
    wrap,
)
from reelmint.engine.storyboard import DialogueLine, Shot
from reelmint.engine.vocabulary import SUBJECT_CATEGORIES

VOICE_PEAK = 0.45


@dataclass(frozen=True)
class VoiceStyle:
    """How one kind of speaker sounds.

    pitch: speaking fundamental (Hz). formants: scale of the vowel formants (small heads
    resonate higher). intonation: how far the pitch moves, as a fraction. ring: ring-modulator
    frequency (Hz; 0 = none). breath: share of breath noise. growl: share of a subharmonic.
    """

    pitch: float
    formants: float = 1.0
    intonation: float = 0.12
    monotone: bool = False
    ring: float = 0.0
    breath: float = 0.04
    growl: float = 0.0
    vibrato: tuple[float, float] = (5.0, 0.008)


VOICES: dict[str, VoiceStyle] = {
    "person": VoiceStyle(165.0, 1.05),
    "man": VoiceStyle(112.0, 0.95),
    "woman": VoiceStyle(212.0, 1.12),
    "child": VoiceStyle(290.0, 1.25, intonation=0.18),
    "astronaut": VoiceStyle(140.0, 1.0),
    "knight": VoiceStyle(102.0, 0.93),
    "wizard": VoiceStyle(92.0, 0.92, vibrato=(5.5, 0.025)),
    "chef": VoiceStyle(130.0, 0.98, intonation=0.16),
    "dancer": VoiceStyle(205.0, 1.1),
    "robot": VoiceStyle(125.0, 1.0, monotone=True, ring=55.0, breath=0.0, vibrato=(0.0, 0.0)),
    "ghost": VoiceStyle(190.0, 1.05, breath=0.75, vibrato=(4.5, 0.05)),
    "alien": VoiceStyle(260.0, 1.2, vibrato=(11.0, 0.06)),
    "dragon": VoiceStyle(70.0, 0.8, growl=0.4, breath=0.2),
    "dinosaur": VoiceStyle(65.0, 0.8, growl=0.4, breath=0.2),
    "unicorn": VoiceStyle(245.0, 1.18),
}
ANIMAL_VOICE = VoiceStyle(230.0, 1.15, intonation=0.2)

# (F1, F2, F3) in Hz of an adult's vowels; children's and women's are scaled up.
VOWEL_FORMANTS: dict[str, tuple[float, float, float]] = {
    "a": (750.0, 1200.0, 2600.0),
    "e": (500.0, 1800.0, 2550.0),
    "i": (300.0, 2250.0, 3000.0),
    "o": (520.0, 900.0, 2500.0),
    "u": (330.0, 850.0, 2400.0),
}
_VOWEL_GROUP = re.compile(r"[aeiouy]+")
_CONSONANT_START = re.compile(r"^[bcdfghjklmnpqrstvwxz]")


@dataclass(frozen=True)
class Syllable:
    """A burst of the voice: its vowel, whether it is stressed, whether a consonant starts it,
    and the pause after it (in syllable lengths: a word gap, a comma, a full stop)."""

    vowel: str
    stressed: bool
    onset: bool
    pause: float


def speaker_of(line: DialogueLine, shot: Shot) -> str:
    """The kind that speaks a line: the line's speaker if it names a kind, else the first
    person or creature in the shot, else the first animal, else a generic person."""
    if line.speaker in SUBJECT_CATEGORIES:
        return line.speaker
    for wanted in ("person", "creature", "animal"):
        for subject in shot.subjects:
            if SUBJECT_CATEGORIES[subject.kind] == wanted:
                return subject.kind
    return "person"


def style_of(kind: str) -> VoiceStyle:
    """The voice of a kind (animals share a light, sing-song one)."""
    if kind in VOICES:
        return VOICES[kind]
    return ANIMAL_VOICE if SUBJECT_CATEGORIES.get(kind) == "animal" else VOICES["person"]


def syllables(text: str) -> list[Syllable]:
    """Syllable-ish chunks of a line: one per vowel group of each word (accents folded);
    scripts without Latin vowels get one chunk per character or two."""
    out: list[Syllable] = []
    for word in text.split():
        folded = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().lower()
        groups = [group.replace("y", "i")[0] for group in _VOWEL_GROUP.findall(folded)]
        if not groups:
            letters = [ch for ch in word if ch.isalnum()]
            groups = ["aeiou"[ord(ch) % 5] for ch in letters[: max(1, min(6, len(letters)))]]
            groups = groups or ["e"]
        pause = 1.3 if word[-1] in ".!?" else 0.9 if word[-1] in ",;:" else 0.35
        starts_hard = bool(_CONSONANT_START.match(folded))
        lead_stress = len(groups) > 1 or len(word) > 3
        for index, vowel in enumerate(groups):
            out.append(
                Syllable(
                    vowel=vowel,
                    stressed=index == 0 and lead_stress,
                    onset=starts_hard if index == 0 else True,
                    pause=pause if index == len(groups) - 1 else 0.0,
                )
            )
    return out


@dataclass(frozen=True)
class Timed:
    """A syllable placed in time (samples from the start of the line)."""

    syllable: Syllable
    start: int
    stop: int
    pitch: float
    amplitude: float


def layout(
    parts: list[Syllable], n: int, sr: int, style: VoiceStyle, text: str, rng: np.random.Generator
) -> list[Timed]:
    """Fit the syllables into n samples: an even pace, clamped to a natural speed, so long lines
    speak faster and short ones do not drawl; whatever does not fit is left unsaid."""
    seconds = n / sr
    units = sum(1.0 + 0.15 * part.stressed + part.pause for part in parts) - parts[-1].pause
    pace = float(np.clip((seconds - 0.06) / max(units, 1e-9), 0.07, 0.24))
    question = text.rstrip().endswith("?")
    shout = 1.5 if text.rstrip().endswith("!") else 1.0
    swing = 0.0 if style.monotone else style.intonation * shout
    timed: list[Timed] = []
    t = 0.03
    for index, part in enumerate(parts):
        length = pace * (1.15 if part.stressed else 1.0) * rng.uniform(0.88, 1.12)
        if t >= seconds - 0.04:
            break
        where = index / max(1, len(parts) - 1)
        contour = 1.0 + swing * (0.6 - 1.2 * where)  # declination over the line
        if part.stressed:
            contour += swing * 0.8
        if question and index >= len(parts) - 2:
            contour += swing * 2.5 * (1.0 if index == len(parts) - 1 else 0.5)
        contour *= 1.0 + swing * 0.3 * rng.uniform(-1.0, 1.0)
        timed.append(
            Timed(
                syllable=part,
                start=int(t * sr),
                stop=min(n, int(min(t + length, seconds - 0.01) * sr)),
                pitch=style.pitch * (shout ** (1 / 3)) * contour,
                amplitude=1.0 if part.stressed else 0.75,
            )
        )
        t += length + part.pause * pace
    return timed


def speak(text: str, kind: str, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """A line of dialogue in `kind`'s tone voice, mono, exactly n samples, silent at both ends."""
    out = np.zeros(n)
    parts = syllables(text)
    if n < int(0.1 * sr) or not parts:
        return out
    style = style_of(kind)
    timed = layout(parts, n, sr, style, text, rng)
    if not timed:
        return out
    envelope, onsets = _envelopes(timed, n, sr)
    frequency = pitch_track(timed, n, sr, style)
    carrier = _carrier(timed, frequency, n, sr, style, rng)
    hiss = shaped_noise(n, sr, rng, 2500.0, 7000.0)
    return normalise_peak(envelope * carrier + 0.12 * onsets * hiss, VOICE_PEAK)


def _envelopes(timed: list[Timed], n: int, sr: int) -> tuple[np.ndarray, np.ndarray]:
    """The burst envelope of each syllable (quick rise, longer fall) and consonant puffs."""
    envelope = np.zeros(n)
    onsets = np.zeros(n)
    for item in timed:
        length = item.stop - item.start
        if length < 4:
            continue
        x = np.linspace(0.0, 1.0, length)
        rise = np.sin(np.pi / 2 * np.clip(x / 0.12, 0.0, 1.0)) ** 2
        fall = np.cos(np.pi / 2 * np.clip((x - 0.12) / 0.88, 0.0, 1.0)) ** 1.5
        envelope[item.start : item.stop] = item.amplitude * rise * fall
        if item.syllable.onset:
            puff = np.arange(min(length, int(0.03 * sr)))
            rise = 1.0 - np.exp(-puff / (0.0015 * sr))  # sharp, but not a click
            onsets[item.start : item.start + puff.size] = rise * np.exp(-puff / (0.008 * sr))
    return envelope, onsets


def pitch_track(timed: list[Timed], n: int, sr: int, style: VoiceStyle) -> np.ndarray:
    """The fundamental per sample: each syllable glides down slightly, gaps join smoothly."""
    knots_t = np.array([[item.start, item.stop] for item in timed], dtype=float).ravel()
    knots_f = np.array([[item.pitch * 1.02, item.pitch * 0.97] for item in timed]).ravel()
    if style.monotone:
        knots_f[:] = style.pitch
    frequency = np.interp(np.arange(n), knots_t, knots_f)
    rate, depth = style.vibrato
    return frequency * (1.0 + depth * steady_sine(rate, n, sr))


def _carrier(
    timed: list[Timed],
    frequency: np.ndarray,
    n: int,
    sr: int,
    style: VoiceStyle,
    rng: np.random.Generator,
) -> np.ndarray:
    """The voiced sound: fundamental and second harmonic for body, plus the harmonics nearest
    each formant, cross-faded by how close they sit, so the vowel colour glides without clicks."""
    centres = np.array([(item.start + item.stop) / 2 for item in timed])
    formants = np.array([VOWEL_FORMANTS[item.syllable.vowel] for item in timed]) * style.formants
    theta = phase(frequency, n, sr)
    folded = wrap(theta)
    voiced = 0.45 * np.sin(folded) + 0.2 * np.sin(2 * folded)
    limit = 0.45 * sr
    for column, gain in enumerate((1.0, 0.55, 0.22)):
        formant = np.interp(np.arange(n), centres, formants[:, column])
        ratio = formant / frequency
        lower = np.maximum(np.floor(ratio), 1.0).astype(np.float32)
        upper_share = np.clip(ratio - lower, 0.0, 1.0)
        upper = lower + np.float32(1.0)
        voiced += gain * (1.0 - upper_share) * np.sin(lower * folded) * (lower * frequency < limit)
        voiced += gain * upper_share * np.sin(upper * folded) * (upper * frequency < limit)
    if style.growl:
        rough = 0.7 + 0.3 * steady_sine(28.0, n, sr)
        voiced = voiced * rough + style.growl * sine(theta / 2.0)
    if style.ring:
        voiced = 0.25 * voiced + 0.75 * voiced * steady_sine(style.ring, n, sr)
    voiced /= max(float(np.max(np.abs(voiced))), 1e-9)
    if style.breath:
        breath = shaped_noise(n, sr, rng, 400.0, 3500.0) * 0.35
        breath *= smooth_random(n, sr, 4.0, rng, 0.6, 1.0)
        voiced = (1.0 - style.breath) * voiced + style.breath * breath
    return voiced
