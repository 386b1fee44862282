"""Planning a Storyboard from a prompt, and loading one from storyboard cards."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reelmint.engine.errors import InvalidRequest
from reelmint.engine.planner import from_cards
from reelmint.engine.storyboard import (
    MAX_PROMPT_CHARS,
    MAX_SHOTS,
    Shot,
    Storyboard,
    load_storyboard,
    load_storyboard_file,
    plan,
)
from reelmint.engine.timing import shot_spans

EXAMPLES = Path(__file__).parents[1] / "data" / "storyboards"
TICK = 1 / 24


def durations(board: Storyboard) -> list[float]:
    return [shot.duration for shot in board.shots]


def kinds_per_shot(board: Storyboard) -> list[list[str]]:
    return [[subject.kind for subject in shot.subjects] for shot in board.shots]


# --- checking the request --------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["", "   ", "\n\t "])
def test_an_empty_prompt_is_refused(prompt):
    with pytest.raises(InvalidRequest) as caught:
        plan(prompt, seconds=8)
    assert caught.value.code == "invalid_prompt"
    assert caught.value.message == "the prompt is empty; describe the video you want"


def test_a_long_prompt_is_refused_with_its_length_and_the_limit():
    with pytest.raises(InvalidRequest) as caught:
        plan("a dog " * 400, seconds=8)
    assert caught.value.code == "invalid_prompt"
    assert "2399 characters" in caught.value.message
    assert str(MAX_PROMPT_CHARS) in caught.value.message


def test_a_prompt_of_exactly_the_limit_is_planned():
    board = plan(("a dog runs. " * 200)[:MAX_PROMPT_CHARS], seconds=20)
    assert len(board.prompt) == MAX_PROMPT_CHARS


@pytest.mark.parametrize("seconds", [0, -1.0, float("nan"), float("inf"), True, "8"])
def test_seconds_must_be_a_positive_number(seconds):
    with pytest.raises(InvalidRequest) as caught:
        plan("a dog", seconds=seconds)
    assert caught.value.code == "invalid_seconds"


def test_a_spoken_line_too_long_for_a_caption_is_refused():
    with pytest.raises(InvalidRequest, match="at most 200 characters") as caught:
        plan(f'A man says "{"blah " * 60}"', seconds=8)
    assert caught.value.code == "invalid_prompt"


@pytest.mark.parametrize(
    ("prompt", "escape", "position"),
    [
        ("A dog\x1b[31m runs", "\\x1b", 6),
        ("\x07A bell", "\\x07", 1),
        ("  A dog\x00", "\\x00", 8),
        ("A dog\x7f", "\\x7f", 6),
        ("A dog\x85 runs", "\\x85", 6),  # C1: NEL, which str.split() takes for a space
        ("\x1c", "\\x1c", 1),  # a control character that strip() would have made "empty"
        ("A dog\x0c runs", "\\x0c", 6),
    ],
)
def test_control_characters_are_refused_with_their_escape_and_position(prompt, escape, position):
    with pytest.raises(InvalidRequest) as caught:
        plan(prompt, seconds=8)
    assert caught.value.code == "invalid_prompt"
    assert caught.value.message == (
        f"the prompt contains {escape} at character {position}, a control character; "
        "remove it (only tabs and line breaks are allowed)"
    )


@pytest.mark.parametrize("prompt", ["\ue0003\ue001 a dog barks", 'A man says "\ue0000\ue001"'])
def test_the_planners_placeholder_marks_are_refused(prompt):
    with pytest.raises(InvalidRequest, match="private-use character the planner reserves") as c:
        plan(prompt, seconds=8)
    assert c.value.code == "invalid_prompt"


def test_tabs_line_breaks_and_any_script_or_emoji_are_kept():
    board = plan('Un chien court.\r\n\tUn homme dit "Ça va? 你好 👋🏽 👨‍👩‍👧"', seconds=8)
    lines = [line.text for shot in board.shots for line in shot.dialogue]
    assert lines == ["Ça va? 你好 👋🏽 👨‍👩‍👧"]
    assert "Ça va? 你好 👋🏽 👨‍👩‍👧" in board.shots[-1].prompt


@pytest.mark.parametrize("quote", ["\u200d", "\u200c\u200d", " \u200c ", "\ufe0f", "\u3164"])
def test_a_quote_with_nothing_visible_is_not_speech(quote):
    board = plan(f'A man walks in a park. He says "{quote}"', seconds=8)
    assert [shot.dialogue for shot in board.shots] == [()]
    spoken = plan(f'A man walks in a park. He says "hi{quote}"', seconds=8)
    assert [line.text for line in spoken.shots[0].dialogue] == [f"hi{quote}".strip()]


# --- shots -----------------------------------------------------------------------------------


def test_each_sentence_with_something_new_is_a_shot():
    board = plan("A dog runs in a park. A cat sleeps on a sofa. A bird sings.", seconds=9)
    assert kinds_per_shot(board) == [["dog"], ["cat"], ["bird"]]


@pytest.mark.parametrize(
    "prompt",
    [
        "A dog runs, then a cat jumps.",
        "A dog runs and then a cat jumps.",
        "A dog runs. Then, a cat jumps.",
        "A dog runs. After that, a cat jumps.",
        "A dog runs. Next, a cat jumps.",
        "A dog runs. Finally, a cat jumps.",
        "A dog runs then a cat jumps.",
    ],
)
def test_then_and_its_kin_start_a_shot(prompt):
    assert kinds_per_shot(plan(prompt, seconds=8)) == [["dog"], ["cat"]]


def test_then_starts_a_shot_even_without_a_new_subject():
    board = plan("A dog runs, then jumps, then spins.", seconds=6)
    assert [shot.subjects[0].motion for shot in board.shots] == ["run", "jump", "spin"]


@pytest.mark.parametrize(
    "prompt",
    [
        "Mr. Smith walks his dog down St. Mark's Street at 2.5 miles an hour.",
        'A man shouts "Stop! Go. Now?" at a dog.',
        "A man waits by then, under the clock.",
    ],
)
def test_abbreviations_decimals_and_quotes_do_not_cut_a_sentence(prompt):
    assert len(plan(prompt, seconds=8).shots) == 1


@pytest.mark.parametrize(
    ("prompt", "field", "value"),
    [
        ("A dog runs in a park. It is raining.", "weather", "rain"),
        ("A dog runs in a park. The camera zooms in.", "camera", "zoom_in"),
        ("A dog runs in a park. Night has come.", "time_of_day", "night"),
        ("A dog runs in a park. Pixar style.", "style", "cartoon"),
    ],
)
def test_a_sentence_with_nothing_new_to_see_joins_the_shot_before(prompt, field, value):
    board = plan(prompt, seconds=8)
    assert len(board.shots) == 1
    assert getattr(board.shots[0], field) == value


def test_dialogue_on_its_own_joins_the_shot_of_its_speaker():
    board = plan('A man walks in the park. "Lovely day," he says.', seconds=8)
    assert len(board.shots) == 1
    assert [(d.text, d.speaker) for d in board.shots[0].dialogue] == [("Lovely day", "man")]


def test_at_most_max_shots_and_the_rest_joins_the_last():
    animals = ["dog", "cat", "cow", "pig", "fox", "horse", "sheep", "duck", "owl", "frog"]
    animals += ["bee", "lion", "bear", "snake"]
    prompt = " ".join(f"A {a} sits." for a in animals)
    board = plan(prompt, seconds=20)
    assert len(board.shots) == MAX_SHOTS
    assert "A snake sits." in board.shots[-1].prompt
    assert kinds_per_shot(board)[-1] == ["lion", "bear", "snake"]


def test_shots_merge_until_each_gets_a_second():
    prompt = "A dog. A cat. A cow. A pig. A fox. A bee."
    board = plan(prompt, seconds=4)
    assert len(board.shots) == 4
    assert sum(len(kinds) for kinds in kinds_per_shot(board)) == 6
    assert min(durations(board)) >= 1.0


def test_a_clip_under_a_second_is_one_shot():
    board = plan("A dog. A cat.", seconds=0.5)
    assert durations(board) == [0.5]


# --- durations --------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [4, 5.5, 7.3, 12, 20])
def test_durations_add_up_exactly_on_whole_frames(seconds):
    prompt = "A dog runs in a park. Then a cat climbs a long tree in the rain. A bird sings."
    board = plan(prompt, seconds=seconds)
    assert abs(sum(durations(board)) - seconds) < 1e-9
    assert all(d >= 1.0 for d in durations(board))
    for duration in durations(board)[:-1]:
        assert duration / TICK == pytest.approx(round(duration / TICK), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(frames=st.integers(24, 480))
def test_a_planned_total_is_exact_in_whole_frames(frames):
    prompt = "A dog runs in a park. Then a cat climbs a long tree in the rain. A bird sings."
    board = plan(prompt, seconds=frames / 24)
    assert board.seconds == frames / 24
    assert shot_spans(board, 24)[-1].stop == frames


@pytest.mark.parametrize("seconds", [7.3, 10.1, 19.9, 20])
def test_a_planned_total_in_decimal_seconds_is_exact(seconds):
    board = plan("A dog. Then a cat. Then a cow. Then a pig. Then a fox.", seconds=seconds)
    assert board.seconds == seconds


@pytest.mark.parametrize(("given", "total"), [((0.3, 2.3, 1.4), 4.0), ((6.4, 9.8, 3.8), 20.0)])
def test_a_storyboards_seconds_carry_no_float_noise(given, total):
    assert sum(given) != total  # the durations as floats do not add up exactly...
    shots = tuple(Shot(prompt="a dog", duration=duration) for duration in given)
    assert Storyboard(prompt="a dog", shots=shots).seconds == total  # ...but the clip does


def test_wordier_shots_and_spoken_lines_last_longer():
    board = plan(
        "A dog. Then a very old grey dog walks slowly through a quiet garden full of flowers.",
        seconds=8,
    )
    short, long = durations(board)
    assert long > short
    spoken = plan('A cat sits. Then a man says "I have been waiting here all day long".', seconds=8)
    assert durations(spoken)[1] >= 0.35 * 9


# --- continuity --------------------------------------------------------------------------------


def test_setting_time_weather_and_style_carry_over_until_changed():
    board = plan(
        "A red car drives through a city at night in the rain, neon style. "
        "Then a dog runs. Then a cat sleeps on a beach at dawn.",
        seconds=9,
    )
    first, second, third = board.shots
    assert (first.setting, first.time_of_day, first.weather, first.style) == (
        "city",
        "night",
        "rain",
        "neon",
    )
    assert (second.setting, second.time_of_day, second.weather, second.style) == (
        "city",
        "night",
        "rain",
        "neon",
    )
    assert (third.setting, third.time_of_day, third.style) == ("beach", "dawn", "neon")


def test_a_style_named_late_holds_for_the_whole_clip():
    board = plan("A dog runs in a park. A cat sleeps. All in a cartoon style.", seconds=8)
    assert [shot.style for shot in board.shots] == ["cartoon", "cartoon"]


def test_subjects_carry_over_only_when_referred_back_to():
    referred = plan("A fox runs in a forest. Then it jumps over a log.", seconds=8)
    assert kinds_per_shot(referred) == [["fox"], ["fox"]]
    assert referred.shots[1].subjects[0].motion == "jump"
    replaced = plan("A fox runs in a forest. Then a bear walks by.", seconds=8)
    assert kinds_per_shot(replaced) == [["fox"], ["bear"]]
    scenery = plan("A fox runs in a forest. Then a view of the mountains.", seconds=8)
    assert kinds_per_shot(scenery) == [["fox"], []]


def test_a_later_mention_of_the_same_subjects_keeps_their_number_and_colour():
    board = plan(
        "Three white ducks swim on a lake. A fox watches. Then the ducks fly away.", seconds=9
    )
    ducks = board.shots[2].subjects[0]
    assert (ducks.kind, ducks.count, ducks.colour) == ("duck", 3, "white")


@pytest.mark.parametrize(
    ("prompt", "setting"),
    [
        ("A fish", "underwater"),
        ("An astronaut waves", "space"),
        ("A ufo hovers", "space"),
        ("A car drives", "street"),
        ("A boat", "lake"),
        ("A penguin waddles", "arctic"),
        ("A man waits", "countryside"),
    ],
)
def test_with_no_setting_named_the_subjects_choose_one(prompt, setting):
    assert plan(prompt, seconds=4).shots[0].setting == setting


# --- the shot's own prompt ----------------------------------------------------------------------


def test_shot_prompt_spells_out_the_facts_and_the_inherited_context():
    board = plan(
        "A red car drives to the left through a city at night in the rain, tracking shot. "
        "Then it stops.",
        seconds=8,
    )
    first, second = (shot.prompt for shot in board.shots)
    assert first.startswith(
        "A red car drives to the left in a city at night, in the rain. Cinematic, tracking shot."
    )
    assert "through a city" in first  # the user's own words follow
    assert "red car" in second
    assert "in a city at night, in the rain" in second


@pytest.mark.parametrize("setting_words", ["in outer space", "underwater", "in a cave"])
def test_shot_prompts_give_no_sky_to_places_without_one(setting_words):
    prompt = plan(f"a robot floats {setting_words} at night", seconds=4).shots[0].prompt
    assert "at night" not in prompt.split(".")[0]
    assert "sky" not in prompt


def test_shot_prompts_keep_dialogue_and_read_as_sentences():
    board = plan('Two dogs play in the snow. One barks "woof!"', seconds=6)
    prompt = board.shots[0].prompt
    assert prompt.startswith("Two dogs stand still in the countryside at midday, in falling snow.")
    assert '"woof!"' in prompt
    assert prompt[0].isupper()
    assert prompt.endswith((".", "!", '"'))


# --- determinism and robustness ---------------------------------------------------------------


def test_planning_is_deterministic():
    prompt = 'A girl and her corgi walk on a beach at sunset. Then she says "look!" and it runs.'
    first = plan(prompt, seconds=7)
    second = plan(prompt, seconds=7)
    assert first == second
    assert first.model_dump_json() == second.model_dump_json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(min_size=1, max_size=MAX_PROMPT_CHARS)
    | st.lists(
        st.sampled_from(
            ["a", "red", "dog", "runs", "then", ",", ".", '"hi"', "it", "no", "rain", "two",
             "cats", "at", "night", "camera", "pans", "left", "Mr.", "2.5", "\n", "“", "!"]
        ),
        max_size=300,
    ).map(" ".join),
    seconds=st.floats(4, 20),
)  # fmt: skip
def test_any_text_gives_a_valid_storyboard_or_an_invalid_request(text, seconds):
    try:
        board = plan(text, seconds=seconds)
    except InvalidRequest:
        return
    assert isinstance(board, Storyboard)
    assert abs(sum(durations(board)) - seconds) < 1e-9
    assert 1 <= len(board.shots) <= MAX_SHOTS


# --- storyboard cards ----------------------------------------------------------------------------


def test_example_with_every_duration_given():
    board = load_storyboard_file(EXAMPLES / "neon_chase.json", seconds=None)
    assert board.prompt == "A neon car chase through a rainy city at night"
    assert durations(board) == [4.0, 3.0, 3.0]
    assert [shot.camera for shot in board.shots] == ["tracking", "tracking", "zoom_in"]
    assert {shot.style for shot in board.shots} == {"neon"}
    assert [(d.text, d.speaker) for d in board.shots[2].dialogue] == [("Hold on!", "person")]
    assert load_storyboard_file(EXAMPLES / "neon_chase.json", seconds=10) == board


def test_example_without_durations_shares_the_seconds():
    board = load_storyboard_file(EXAMPLES / "coral_reef.json", seconds=9)
    assert abs(sum(durations(board)) - 9) < 1e-9
    assert board.prompt == (
        "A school of yellow fish swims past a coral reef Then "
        "A turtle glides toward the camera Then A shark circles in the distance"
    )
    assert [shot.setting for shot in board.shots] == ["underwater"] * 3
    assert board.shots[1].camera == "zoom_in"
    assert board.shots[2].time_of_day == "afternoon"


def test_example_with_some_durations_gives_the_rest_to_the_others():
    board = load_storyboard_file(EXAMPLES / "farm_morning.json", seconds=8)
    assert durations(board)[0] == 3.0
    assert abs(sum(durations(board)) - 8) < 1e-9
    assert board.shots[0].dialogue[0].text == "Cock-a-doodle-doo!"
    assert board.shots[2].style == "pastel"


def test_a_card_is_never_split_and_overrides_win():
    board = load_storyboard(
        {
            "shots": [
                {
                    "prompt": "A dog runs in a park at night. Then a cat sleeps.",
                    "setting": "beach",
                    "time_of_day": "dawn",
                    "weather": "snow",
                    "camera": "crane",
                    "style": "vintage",
                }
            ]
        },
        seconds=5,
    )
    (shot,) = board.shots
    assert (shot.setting, shot.time_of_day, shot.weather, shot.camera, shot.style) == (
        "beach",
        "dawn",
        "snow",
        "crane",
        "vintage",
    )
    assert [s.kind for s in shot.subjects] == ["dog", "cat"]


def test_cards_inherit_from_the_card_before():
    board = load_storyboard(
        {"shots": [{"prompt": "A fox in a snowy forest", "setting": "forest"},
                   {"prompt": "It runs away"}]},
        seconds=4,
    )  # fmt: skip
    second = board.shots[1]
    assert (second.setting, second.weather) == ("forest", "snow")
    assert [(s.kind, s.motion) for s in second.subjects] == [("fox", "retreat")]


@pytest.mark.parametrize(
    ("data", "seconds", "needle"),
    [
        ([], None, "storyboard: must be a JSON object"),
        ({"prompt": "x"}, 5, "shots: must be a non-empty list of at most 12 cards, got nothing"),
        ({"shots": []}, 5, "shots: must be a non-empty list of at most 12 cards"),
        ({"shots": [{"prompt": "a"}] * 13}, 20, "shots: must be a non-empty list of at most 12"),
        ({"shots": "a dog"}, 5, "shots: must be a non-empty list"),
        ({"shots": [{"prompt": "a dog"}], "title": "x"}, 5, "title: unknown field; allowed:"),
        ({"shots": [{"prompt": "a dog"}], "\x1b[2J": 1}, 5, "'\\x1b[2J': unknown field"),
        ({"shots": [{"prompt": "a", "\x07": 1}]}, 5, "shots[0].'\\x07': unknown field"),
        ({"shots": [{"prompt": "a dog"}], "prompt": 3}, 5, "prompt: must be a non-empty string"),
        ({"shots": [{"prompt": "a dog"}], "prompt": " "}, 5, "prompt: must be a non-empty"),
        ({"shots": [{"prompt": "a dog"}], "prompt": "x" * 2001}, 5, "prompt: is 2001 characters"),
        ({"shots": ["a dog"]}, 5, "shots[0]: must be a JSON object with a \"prompt\", got 'a dog'"),
        ({"shots": [{"duration": 2}]}, 5, "shots[0].prompt: required"),
        ({"shots": [{"prompt": ""}]}, 5, "shots[0].prompt: must be a non-empty string, got ''"),
        ({"shots": [{"prompt": 7}]}, 5, "shots[0].prompt: must be a non-empty string, got 7"),
        ({"shots": [{"prompt": "x" * 2001}]}, 5, "shots[0].prompt: is 2001 characters"),
        (
            {"shots": [{"prompt": "a"}, {"prompt": "b", "durration": 2}]},
            5,
            "shots[1].durration: unknown field; allowed: prompt, duration, setting, "
            "time_of_day, weather, camera, style",
        ),
        (
            {"shots": [{"prompt": "a"}, {"prompt": "b"}, {"prompt": "c", "duration": "ten"}]},
            5,
            "shots[2].duration: must be a number of seconds, got 'ten'",
        ),
        (
            {"shots": [{"prompt": "a"}, {"prompt": "b"}, {"prompt": "c", "duration": 0.001}]},
            None,
            "shots[2].duration: must be at least 1 second, got 0.001",
        ),
        ({"shots": [{"prompt": "a", "duration": 0.999}]}, None, "must be at least 1 second"),
        ({"shots": [{"prompt": "a", "duration": 0}]}, None, "shots[0].duration: must be at least"),
        ({"shots": [{"prompt": "a", "duration": -2}]}, None, "shots[0].duration: must be at least"),
        ({"shots": [{"prompt": "a", "duration": True}]}, None, "shots[0].duration: must be a"),
        ({"shots": [{"prompt": "a", "duration": float("nan")}]}, None, "shots[0].duration"),
        ({"shots": [{"prompt": "a", "duration": 10**400}]}, None, "must be a number of seconds"),
        (
            {"shots": [{"prompt": "a", "setting": "moon"}]},
            5,
            "shots[0].setting: unknown setting 'moon'; use one of city, street, forest",
        ),
        ({"shots": [{"prompt": "a", "time_of_day": "teatime"}]}, 5, "unknown time of day"),
        ({"shots": [{"prompt": "a", "weather": "hail"}]}, 5, "shots[0].weather: unknown weather"),
        ({"shots": [{"prompt": "a", "camera": "orbit"}]}, 5, "shots[0].camera: unknown camera"),
        (
            {"shots": [{"prompt": "a", "style": "anime"}]},
            5,
            "shots[0].style: unknown style 'anime'",
        ),
        ({"shots": [{"prompt": "a", "style": 3}]}, 5, "shots[0].style: unknown style 3"),
        (
            {"shots": [{"prompt": f'He says "{"la " * 80}"'}]},
            5,
            "shots[0].prompt quotes a line of",
        ),
        (
            {"shots": [{"prompt": "a", "duration": 6}, {"prompt": "b", "duration": 6}]},
            10,
            "storyboard shots add up to 12 s but the video is asked to last 10 s; ask for 12 s "
            "(or leave the length out) or change the durations",
        ),
        (
            {"shots": [{"prompt": "a", "duration": 2}, {"prompt": "b"}, {"prompt": "c"}]},
            None,
            "shots[1], shots[2]: no duration; give every card a duration, or give the video's "
            "length",
        ),
        (
            {"shots": [{"prompt": "a", "duration": 9}, {"prompt": "b"}, {"prompt": "c"}]},
            10,
            "shots[1], shots[2]: would get 0.50 s each",
        ),
        (
            {"shots": [{"prompt": "a", "duration": 12}, {"prompt": "b"}]},
            10,
            "shots[1]: would get 0.00 s each",
        ),
        (
            {"shots": [{"prompt": "dog " * 300}, {"prompt": "cat " * 300}]},
            5,
            "prompt: the cards' prompts joined are",
        ),
    ],
)
def test_every_storyboard_mistake_is_named_with_its_json_path(data, seconds, needle):
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard(data, seconds=seconds)
    assert caught.value.code == "invalid_storyboard"
    assert needle in caught.value.message


@pytest.mark.parametrize(
    ("durations", "total"),
    [((6.4, 9.8, 3.8), 20.0), ((1.1, 2.2, 3.3), 6.6), ((1, 1.5, 2.25), 4.75)],
)
def test_card_durations_are_kept_and_add_up_without_float_noise(durations, total):
    cards = [{"prompt": f"a dog {i}", "duration": d} for i, d in enumerate(durations)]
    for seconds in (None, total):
        board = load_storyboard({"shots": cards}, seconds=seconds)
        assert tuple(shot.duration for shot in board.shots) == durations
        assert board.seconds == total


@settings(max_examples=60, deadline=None)
@given(ticks=st.lists(st.integers(24, 240), min_size=1, max_size=MAX_SHOTS))
def test_cards_in_whole_frames_add_up_to_whole_frames(ticks):
    board = load_storyboard(
        {"shots": [{"prompt": "a dog", "duration": t / 24} for t in ticks]}, seconds=None
    )
    assert board.seconds == sum(ticks) / 24
    assert [span.frames for span in shot_spans(board, 24)] == ticks


def test_a_card_of_exactly_one_second_is_allowed():
    board = load_storyboard({"shots": [{"prompt": "a dog", "duration": 1}]}, seconds=None)
    assert shot_spans(board, 24)[0].frames == 24


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (
            {"shots": [{"prompt": "a dog"}, {"prompt": "a cat\x1b]0;owned\x07"}]},
            "shots[1].prompt: contains \\x1b at character 6, a control character",
        ),
        ({"shots": [{"prompt": "\x00"}]}, "shots[0].prompt: contains \\x00 at character 1"),
        (
            {"prompt": "Title\x9b2J", "shots": [{"prompt": "a dog"}]},
            "prompt: contains \\x9b at character 6, a control character",
        ),
        ({"shots": [{"prompt": "\ue0009\ue001"}]}, "shots[0].prompt: contains \\ue000 at"),
        (
            {"shots": [{"prompt": "a \u202edog"}]},
            "shots[0].prompt: contains \\u202e at character 3, an invisible formatting character",
        ),
        (
            {"prompt": "Farm\u200b", "shots": [{"prompt": "a dog"}]},
            "prompt: contains \\u200b at character 5, an invisible formatting character",
        ),
    ],
)
def test_control_characters_in_cards_are_refused(data, needle):
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard(data, seconds=5)
    assert caught.value.code == "invalid_storyboard"
    assert needle in caught.value.message


def test_a_card_quote_with_nothing_visible_is_not_speech():
    board = load_storyboard(
        {"shots": [{"prompt": 'A man says "\u200d"'}, {"prompt": 'A man says "\u200dhi"'}]},
        seconds=4,
    )
    assert [[line.text for line in shot.dialogue] for shot in board.shots] == [[], ["\u200dhi"]]


def test_a_control_character_escaped_in_a_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "board.json"
    path.write_text('{"shots": [{"prompt": "a dog\\u001b[2J"}]}', encoding="utf-8")
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard_file(path, seconds=4)
    assert caught.value.code == "invalid_storyboard"
    assert caught.value.message.startswith(
        f"storyboard file {path}: shots[0].prompt: contains \\x1b at character 6"
    )


def test_bad_seconds_for_a_storyboard_are_refused():
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard({"shots": [{"prompt": "a dog"}]}, seconds=-3)
    assert caught.value.code == "invalid_seconds"


def test_a_null_optional_field_counts_as_absent():
    board = load_storyboard(
        {"prompt": None, "shots": [{"prompt": "a dog", "duration": None, "setting": None}]},
        seconds=4,
    )
    assert (durations(board), board.prompt) == ([4.0], "a dog")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b'{"shots": [', "is not valid JSON: Expecting value at line 1 column 12"),
        (b'{\n  "shots": [\n    {"prompt": "a"},\n  ]\n}', "at line 4 column 3"),
        (b'{"shots": [{"prompt": "caf\xe9"}]}', "is not UTF-8 text"),
        (b'{"shots": [{"prompt": "a dog", "duration": "ten"}]}', "shots[0].duration"),
    ],
)
def test_file_errors_name_the_file(tmp_path, content, needle):
    path = tmp_path / "board.json"
    path.write_bytes(content)
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard_file(path, seconds=None)
    assert caught.value.code == "invalid_storyboard"
    assert str(path) in caught.value.message
    assert needle in caught.value.message


def test_a_missing_file_is_named(tmp_path):
    path = tmp_path / "missing.json"
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard_file(path, seconds=None)
    assert caught.value.code == "invalid_storyboard"
    assert f"cannot read storyboard file {path}: No such file or directory" in caught.value.message


def _special_file(kind: str, tmp_path: Path) -> Path:
    if kind == "directory":
        return tmp_path
    if kind == "named pipe":
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs here")
        os.mkfifo(tmp_path / "board.json")  # opening it to read would wait for a writer
        return tmp_path / "board.json"
    device = Path("/dev/null")  # reads like /dev/zero but ends; a regression must not OOM
    if not device.exists():
        pytest.skip("no /dev/null here")
    return device


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        ("directory", "a directory"),
        ("named pipe", "a named pipe"),
        ("device", "a character device"),
    ],
)
def test_anything_but_a_regular_file_is_refused_unread(tmp_path, kind, what):
    path = _special_file(kind, tmp_path)
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard_file(path, seconds=None)
    assert caught.value.code == "invalid_storyboard"
    assert caught.value.message == (
        f"storyboard file {path} is {what}; a storyboard must be a regular JSON file"
    )


def test_a_symlink_to_a_device_is_refused(tmp_path):
    """Like `--storyboard /dev/zero`; /dev/null stands in, so a regression fails, not OOMs."""
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null here")
    link = tmp_path / "board.json"
    link.symlink_to("/dev/null")
    with pytest.raises(InvalidRequest, match="is a character device; a storyboard must be"):
        load_storyboard_file(link, seconds=None)


def test_the_read_is_bounded_even_when_the_size_says_nothing(monkeypatch):
    """/proc files are regular but report a size of 0, like devices: only the read bounds them."""
    status = Path("/proc/self/status")
    if not status.is_file() or status.stat().st_size != 0:
        pytest.skip("no zero-sized /proc files here")
    monkeypatch.setattr(from_cards, "MAX_FILE_BYTES", 64)
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard_file(status, seconds=None)
    assert caught.value.message == (
        f"storyboard file {status} is more than 64 bytes; a storyboard is at most 64 bytes"
    )


def test_a_file_of_exactly_the_size_limit_loads_and_one_byte_more_does_not(tmp_path, monkeypatch):
    content = json.dumps({"shots": [{"prompt": "a cat"}]}).encode()
    monkeypatch.setattr(from_cards, "MAX_FILE_BYTES", len(content))
    path = tmp_path / "board.json"
    path.write_bytes(content)
    assert load_storyboard_file(path, seconds=3).seconds == 3
    path.write_bytes(content + b" ")
    with pytest.raises(InvalidRequest, match="is more than"):
        load_storyboard_file(path, seconds=3)


@pytest.mark.parametrize(
    ("content", "where", "key"),
    [
        ('{"shots": [{"prompt": "a"}], "shots": [{"prompt": "b"}]}', "storyboard", "shots"),
        ('{"shots": [{"prompt": "a", "duration": 2, "duration": 3}]}', "shots[0]", "duration"),
        ('{"shots": [{"prompt": "a"}, {"prompt": "b", "prompt": "c"}]}', "shots[1]", "prompt"),
        ('{"prompt": "x", "shots": [{"prompt": "a", "x": {"k": 1, "k": 2}}]}', "shots[0].x", "k"),
    ],
)
def test_a_key_given_twice_is_refused_with_its_path(tmp_path, content, where, key):
    path = tmp_path / "board.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidRequest) as caught:
        load_storyboard_file(path, seconds=None)
    assert caught.value.code == "invalid_storyboard"
    assert caught.value.message == (
        f'storyboard file {path}: {where}: duplicate key "{key}"; a key may appear only once '
        "in an object"
    )


def test_a_number_too_long_to_read_is_refused(tmp_path):
    path = tmp_path / "board.json"
    path.write_text('{"shots": [{"prompt": "a", "duration": 1' + "0" * 5000 + "}]}")
    with pytest.raises(InvalidRequest, match="it holds a number too long to read") as caught:
        load_storyboard_file(path, seconds=None)
    assert caught.value.code == "invalid_storyboard"


def test_a_file_with_a_byte_order_mark_loads(tmp_path):
    path = tmp_path / "board.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"shots": [{"prompt": "a cat"}]}).encode())
    assert load_storyboard_file(path, seconds=3).shots[0].subjects[0].kind == "cat"


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_CARD = st.fixed_dictionaries(
    {"prompt": st.text(min_size=1, max_size=200)},
    optional={"duration": st.floats(0.5, 6) | _JSON, "setting": st.sampled_from(["city", "x"])},
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.fixed_dictionaries({"shots": st.lists(_CARD, max_size=13)}) | _JSON,
    seconds=st.none() | st.floats(1, 30),
)
def test_any_json_gives_a_storyboard_or_an_invalid_request(data, seconds):
    outcome = _load_or_code(data, seconds)
    if isinstance(outcome, str):
        assert outcome in ("invalid_storyboard", "invalid_seconds")
    else:
        assert seconds is None or abs(outcome.seconds - seconds) < 1e-6
        assert all(shot.duration >= 1 for shot in outcome.shots)


def _load_or_code(data: object, seconds: float | None) -> Storyboard | str:
    try:
        return load_storyboard(data, seconds=seconds)
    except InvalidRequest as error:
        return error.code
