"""The planner's small parts: cutting text, inflecting words, the lexicon, sharing seconds."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reelmint.engine.planner import lexicon
from reelmint.engine.planner.durations import (
    MIN_SHOT_SECONDS,
    TICKS_PER_SECOND,
    allocate,
    max_shots,
)
from reelmint.engine.planner.inflect import plural, verb_forms
from reelmint.engine.planner.text import (
    QUOTE_CLOSE,
    QUOTE_OPEN,
    forbidden_character,
    is_visible,
    protect_quotes,
    restore_quotes,
    split_sentences,
    split_transitions,
    tokenize,
)
from reelmint.terminal import TEXT_MARKS

# --- sentences and clauses -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("A dog runs. A cat sleeps.", ["A dog runs.", "A cat sleeps."]),
        ("A dog runs! A cat sleeps? A cow.", ["A dog runs!", "A cat sleeps?", "A cow."]),
        ("Mr. Smith walks. Dr. Who runs.", ["Mr. Smith walks.", "Dr. Who runs."]),
        ("He lives on St. Mark's Street.", ["He lives on St. Mark's Street."]),
        ("It moves at 2.5 metres a second.", ["It moves at 2.5 metres a second."]),
        ("A T. rex roars.", ["A T. rex roars."]),
        ("A dog runs\nA cat sleeps", ["A dog runs", "A cat sleeps"]),
        ("Wait... a dog appears.", ["Wait...", "a dog appears."]),
    ],
)
def test_sentences(text, sentences):
    assert split_sentences(text) == sentences


@pytest.mark.parametrize(
    ("sentence", "segments"),
    [
        ("A dog runs, then a cat jumps", [("A dog runs", False), ("a cat jumps", True)]),
        ("A dog runs and then jumps", [("A dog runs", False), ("jumps", True)]),
        ("A dog runs then jumps", [("A dog runs", False), ("jumps", True)]),
        ("Then a cat jumps", [("a cat jumps", True)]),
        ("After that, a cat jumps", [("a cat jumps", True)]),
        ("Next, a cat jumps", [("a cat jumps", True)]),
        ("Finally, a cat jumps", [("a cat jumps", True)]),
        ("A dog runs, finally a cat jumps", [("A dog runs", False), ("a cat jumps", True)]),
        ("Moments later a cat jumps", [("a cat jumps", True)]),
        ("First, a dog runs", [("a dog runs", False)]),
        ("By then a cat sleeps", [("By then a cat sleeps", False)]),
        ("A dog sits next to a cat", [("A dog sits next to a cat", False)]),
        ("A dog finally sleeps", [("A dog finally sleeps", False)]),
        ("A dog runs, then", [("A dog runs", False)]),
    ],
)
def test_transitions(sentence, segments):
    assert [(s.text, s.explicit) for s in split_transitions(sentence)] == segments


def test_quotes_are_lifted_out_and_put_back():
    protected = protect_quotes('He says "Stop. Now!" and “then run”. A dog barks.')
    assert protected.quotes == ("Stop. Now!", "then run")
    assert "Stop" not in protected.text
    assert split_sentences(protected.text)[1] == "A dog barks."
    assert restore_quotes(protected.text, protected.quotes) == (
        'He says "Stop. Now!" and "then run". A dog barks.'
    )


def test_a_quote_ending_a_sentence_ends_it():
    protected = protect_quotes('He shouts "Run!" Then a dog runs.')
    assert len(split_sentences(protected.text)) == 2


def test_stray_quote_marks_are_dropped():
    protected = protect_quotes('A dog says "hi. A cat')
    assert protected.quotes == ()
    assert '"' not in protected.text


def test_tokens_are_lower_case_words_without_hyphens_or_possessives():
    words = [t.text for t in tokenize("The Dog's close-up — T-rex, 2.5 3d")]
    assert words == ["the", "dog", "close", "up", ",", "t", "rex", ",", "2.5", "3d"]


# --- characters ------------------------------------------------------------------------------


def test_the_forbidden_characters_are_controls_and_format_characters_and_the_marks():
    """Controls but tab and line breaks; format characters (Cf: a right-to-left override, a
    zero-width space) but the joiners and the marks of right-to-left scripts and pasted text,
    which real text needs (a tag character alone is refused too: see the flags' test); lone
    surrogates (Cs), which no database or page can hold."""
    kept = "\t\n\r\u200c\u200d" + TEXT_MARKS
    expected = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if unicodedata.category(chr(code)) in ("Cc", "Cf", "Cs") and chr(code) not in kept
    } | {QUOTE_OPEN, QUOTE_CLOSE}
    found = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if forbidden_character(f"ok {chr(code)}") == (3, chr(code))
    }
    assert found == expected
    assert {"\x1b", "\x9b", "\u202e", "\u2066", "\u200b", "\u2061", "\U000e0001"} <= found
    assert not {"\u200c", "\u200d", "\u200f", "\ufe0f"} & found


def tags(text: str) -> str:
    return "".join(chr(0xE0000 + ord(char)) for char in text)


def test_tag_characters_pass_only_in_a_flag():
    """Tags spell England's flag after U+1F3F4; anywhere else they are hidden text."""
    england = "\U0001f3f4" + tags("gbeng") + "\U000e007f"
    assert forbidden_character(f"a flag {england} waves") is None
    hidden = "a dog runs" + tags("ignore the dog")
    assert forbidden_character(hidden) == (10, hidden[10])
    unended = "\U0001f3f4" + tags("gbeng") + " waves"
    assert forbidden_character(unended) is not None
    trailing = england + tags("more")
    assert forbidden_character(trailing) is not None
    assert forbidden_character("\U000e007f alone") == (0, "\U000e007f")


@pytest.mark.parametrize(
    "prompt",
    [
        "\u200fגשם יורד על העיר\u200f",  # Hebrew with right-to-left marks (an RTL keyboard's)
        "\u0628\u0627\u0631\u0627\u0646 \u0645\u06cc\u200c\u0628\u0627\u0631\u062f\u061c",
        "ein Hunde\u00adwelpen\u00adrudel rennt",  # soft hyphens, pasted from a web page
        "\ufeffa dog runs",  # a byte order mark at the start of a pasted file
        "\u0600\u0661\u0662 cats",  # an Arabic number sign
        "a family \U0001f468\u200d\U0001f469\u200d\U0001f467 waves",
    ],
)
def test_prompts_in_real_languages_with_their_marks_are_taken(prompt):
    assert forbidden_character(prompt) is None


def test_the_first_forbidden_character_is_reported():
    assert forbidden_character("a\x07b\x1bc") == (1, "\x07")
    assert forbidden_character("tab\tline\nreturn\r\n café 你好 👋🏽") is None
    assert forbidden_character("a\u202eb\x07") == (1, "\u202e")  # whichever comes first


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("hi", True),
        ("你好", True),
        ("👋🏽", True),
        ("!", True),
        ("7", True),
        ("\u200b\u200c\u200d\u2060\ufeff", False),  # zero-width characters
        ("\u00ad", False),  # a soft hyphen
        ("\u0301\ufe0f", False),  # a combining accent and a variation selector on nothing
        ("\u3164\u115f", False),  # Hangul fillers
        ("", False),
        (" \t ", False),
    ],
)
def test_visible_text_has_a_letter_digit_mark_or_symbol(text, visible):
    assert is_visible(text) is visible


def test_a_quote_with_nothing_visible_is_kept_as_an_empty_line():
    protected = protect_quotes('He says "\u200b" and "\u200bhi"')
    assert protected.quotes == ("", "\u200bhi")


# --- words -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("noun", "plural_form"),
    [
        ("dog", "dogs"),
        ("bus", "buses"),
        ("fox", "foxes"),
        ("butterfly", "butterflies"),
        ("person", "people"),
        ("woman", "women"),
        ("gentleman", "gentlemen"),
        ("human", "humans"),
        ("sheep", "sheep"),
        ("wolf", "wolves"),
        ("hot air balloon", "hot air balloons"),
        ("day", "days"),
    ],
)
def test_plural(noun, plural_form):
    assert plural(noun) == plural_form


@pytest.mark.parametrize(
    ("verb", "participle", "forms"),
    [
        ("run", "running", {"run", "runs", "ran"}),
        ("dance", "dancing", {"dance", "dances", "danced"}),
        ("fly", "flying", {"fly", "flies", "flew", "flown"}),
        ("hop", "hopping", {"hop", "hops", "hopped"}),
        ("approach", "approaching", {"approach", "approaches", "approached"}),
        ("lie", "lying", {"lie", "lies", "lay", "lain"}),
        ("take off", "taking off", {"take off", "takes off", "took off", "taken off"}),
    ],
)
def test_verb_forms(verb, participle, forms):
    participles, others = verb_forms(verb)
    assert participle in participles
    assert set(others) == forms


def test_the_word_tables_list_no_phrase_twice_with_two_meanings():
    assert lexicon.GENERAL.conflicts == []
    assert lexicon.CAMERA_CONTEXT.conflicts == []


def test_longest_phrase_wins():
    words = ["golden", "hour", "hot", "air", "balloon"]
    assert lexicon.GENERAL.match(words, 0).entry.role == "time"
    found = lexicon.GENERAL.match(words, 2)
    assert (found.entry.value, found.end) == ("hot_air_balloon", 5)


# --- durations ---------------------------------------------------------------------------------


def test_seconds_are_shared_by_weight_and_sum_exactly():
    durations = allocate(10.0, [1.0, 3.0], [0.0, 0.0])
    assert durations[0] < durations[1]
    assert sum(durations) == pytest.approx(10.0, abs=1e-12)
    assert (durations[0] * TICKS_PER_SECOND).is_integer()


def test_dialogue_gets_its_reading_time():
    durations = allocate(8.0, [5.0, 1.0], [0.0, 4.0])
    assert durations[1] >= 4.0


def test_when_needs_exceed_the_clip_each_shot_still_gets_a_second():
    durations = allocate(3.0, [1.0, 1.0, 1.0], [5.0, 0.0, 0.0])
    assert all(d >= MIN_SHOT_SECONDS - 1e-9 for d in durations)
    assert sum(durations) == pytest.approx(3.0, abs=1e-12)


@pytest.mark.parametrize(("seconds", "shots"), [(0.5, 1), (1.0, 1), (3.99, 3), (4.0, 4), (20, 20)])
def test_max_shots(seconds, shots):
    assert max_shots(seconds) == shots


@given(
    st.floats(1.0, 60.0),
    st.lists(st.floats(1.0, 20.0), min_size=1, max_size=12),
    st.lists(st.floats(0.0, 10.0), min_size=12, max_size=12),
)
def test_allocation_always_adds_up_with_every_shot_at_least_a_second(seconds, weights, needs):
    weights = weights[: max_shots(seconds)]
    durations = allocate(seconds, weights, needs[: len(weights)])
    assert len(durations) == len(weights)
    assert abs(sum(durations) - seconds) < 1e-9
    assert all(d >= MIN_SHOT_SECONDS - 1e-9 for d in durations)
    assert all((d * TICKS_PER_SECOND).is_integer() for d in durations[:-1])
