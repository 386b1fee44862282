"""Tone voices: heard while captions show, nowhere else; pitch and colour follow the speaker."""

from __future__ import annotations

import numpy as np
import pytest
from audio_helpers import SR, band_energy, board, frame_energy, rms, shot, walker

from reelmint.engine.audio import soundtrack
from reelmint.engine.audio.voice import (
    VOICES,
    layout,
    pitch_track,
    speak,
    speaker_of,
    style_of,
    syllables,
)
from reelmint.engine.storyboard import DialogueLine
from reelmint.engine.timing import caption_cues

LINE = "Hello there, my friend! How are you today?"


def _with_and_without_dialogue(**fields):
    spoken = shot(4.0, say=LINE, **fields)
    silent = shot(4.0, **fields)
    with_voice = soundtrack(board(spoken), fps=24, seed=7)
    without = soundtrack(board(silent), fps=24, seed=7)
    cue = caption_cues(spoken)[0]
    return with_voice, without, round(cue.start * SR), round(cue.end * SR)


@pytest.mark.parametrize("setting", ["countryside", "city", "beach", "highway", "volcano"])
def test_voice_band_is_louder_while_the_caption_shows(setting):
    with_voice, without, start, stop = _with_and_without_dialogue(
        setting=setting, subjects=(walker("man"),)
    )
    spoken = band_energy(with_voice[start:stop], 150, 3000)
    assert spoken > 3 * band_energy(without[start:stop], 150, 3000)


def test_voice_is_absent_outside_the_caption_window():
    with_voice, without, start, stop = _with_and_without_dialogue(setting="park")
    assert np.array_equal(with_voice[:start], without[:start])
    assert np.array_equal(with_voice[stop:], without[stop:])
    assert not np.array_equal(with_voice[start:stop], without[start:stop])


def test_each_dialogue_line_is_voiced_in_its_own_cue():
    spoken = shot(6.0, dialogue=(DialogueLine(text="First line."), DialogueLine(text="Second.")))
    silent = shot(6.0)
    difference = soundtrack(board(spoken), fps=24, seed=1) - soundtrack(
        board(silent), fps=24, seed=1
    )
    for cue in caption_cues(spoken):
        window = difference[round(cue.start * SR) : round(cue.end * SR)]
        assert rms(window) > 0.02
    first, second = caption_cues(spoken)
    gap = difference[round(first.end * SR) : round(second.start * SR)]
    assert np.all(gap == 0)


def _bursts(signal: np.ndarray) -> int:
    """Syllable bursts: runs of 10 ms frames above a tenth of the loudest frame."""
    energy = frame_energy(signal, 0.01)
    loud = energy > 0.1 * energy.max()
    return int(np.count_nonzero(loud[1:] & ~loud[:-1]) + loud[0])


def test_one_burst_per_syllable_with_gaps_between_words():
    sound = speak("ba ba ba ba ba", "person", 3 * SR, SR, np.random.default_rng(0))
    assert _bursts(sound) == 5
    longer = speak("ba ba ba ba ba ba ba ba", "person", 3 * SR, SR, np.random.default_rng(0))
    assert _bursts(longer) == 8


def test_syllables_follow_vowel_groups_and_punctuation():
    parts = syllables("Hello, wonderful world.")
    assert [part.vowel for part in parts] == ["e", "o", "o", "e", "u", "o"]
    assert parts[1].pause > parts[0].pause  # the comma after "Hello"
    assert parts[-1].pause > parts[2].pause  # the full stop beats a word gap
    assert len(syllables("こんにちは")) >= 1  # no Latin vowels, still voiced


def _fundamental(signal: np.ndarray) -> float:
    """The strongest spectral peak between 50 and 500 Hz (smoothed over 8 Hz): the
    fundamental of a line of open vowels, whose formant partials all lie higher."""
    spectrum = np.abs(np.fft.rfft(signal))
    freqs = np.fft.rfftfreq(signal.size, 1.0 / SR)
    width = int(8 / freqs[1])
    smooth = np.convolve(spectrum, np.ones(width) / width, mode="same")
    band = (freqs > 50) & (freqs < 500)
    return float(freqs[band][np.argmax(smooth[band])])


def test_speaker_pitch_follows_the_kind():
    pitch = {
        kind: _fundamental(speak("aaa aaa aaa aaa", kind, 2 * SR, SR, np.random.default_rng(3)))
        for kind in ("child", "woman", "man", "wizard")
    }
    assert pitch["child"] > pitch["woman"] > pitch["man"] > pitch["wizard"]
    for kind, heard in pitch.items():
        assert heard == pytest.approx(VOICES[kind].pitch, rel=0.1)


def test_robot_speaks_on_one_note_a_person_does_not():
    rng = np.random.default_rng(0)
    n = 3 * SR
    parts = syllables(LINE)
    for kind, flat in (("robot", True), ("person", False)):
        style = style_of(kind)
        timed = layout(parts, n, SR, style, LINE, rng)
        track = pitch_track(timed, n, SR, style)
        spread = track.max() / track.min()
        assert bool(spread < 1.01) is flat


def test_a_question_rises_at_the_end_a_statement_falls():
    rng = np.random.default_rng(0)
    style = style_of("woman")
    asked = layout(syllables("you are here?"), 2 * SR, SR, style, "you are here?", rng)
    told = layout(syllables("you are here."), 2 * SR, SR, style, "you are here.", rng)
    assert asked[-1].pitch > asked[0].pitch
    assert told[-1].pitch < told[0].pitch


def test_speech_fits_its_window_and_starts_and_ends_silent():
    for n in (int(0.05 * SR), int(0.4 * SR), 2 * SR):
        sound = speak(LINE, "child", n, SR, np.random.default_rng(1))
        assert sound.shape == (n,)
        assert np.all(np.isfinite(sound))
        assert np.max(np.abs(sound)) <= 0.5
        assert np.all(sound[: int(0.01 * SR)] == 0)
        assert np.all(sound[-int(0.005 * SR) :] == 0)


def test_the_speaker_is_named_or_found_among_the_subjects():
    named = DialogueLine(text="hi", speaker="knight")
    anonymous = DialogueLine(text="hi")
    crowd = shot(subjects=(walker("car", "drive"), walker("dog"), walker("wizard")))
    assert speaker_of(named, crowd) == "knight"
    assert speaker_of(anonymous, crowd) == "wizard"
    assert speaker_of(anonymous, shot(subjects=(walker("dog"),))) == "dog"
    assert speaker_of(DialogueLine(text="hi", speaker="Bob"), shot()) == "person"


@pytest.mark.parametrize("kind", ["ghost", "robot", "dragon", "alien", "cat", "tree"])
def test_every_kind_of_speaker_is_voiced(kind):
    sound = speak(LINE, kind, 2 * SR, SR, np.random.default_rng(2))
    assert rms(sound) > 0.02
