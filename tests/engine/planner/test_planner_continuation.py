"""`plan_after`: more shots after a storyboard's own, carrying on from its last shot."""

from __future__ import annotations

import pytest

from reelmint.engine.errors import InvalidRequest
from reelmint.engine.storyboard import MAX_SHOTS, Shot, Storyboard, plan, plan_after

BEFORE = "a red car drives through a city at night in the rain"


def test_the_shots_before_stay_as_they_were_and_the_new_ones_follow():
    before = plan(BEFORE, seconds=8)
    after = plan_after(before, "a dog runs past", seconds=4)
    assert after.shots[: len(before.shots)] == before.shots
    assert after.seconds == 12
    assert after.prompt == "a dog runs past"
    assert [s.duration for s in after.shots[len(before.shots) :]] == [4]


def test_place_light_weather_style_and_cast_carry_on_from_the_last_shot():
    before = plan(f"{BEFORE}. Neon style.", seconds=8)
    new = plan_after(before, "the car stops and a dog jumps out", seconds=4).shots[-1]
    alone = plan("the car stops and a dog jumps out", seconds=4).shots[-1]
    last = before.shots[-1]
    carried = (new.setting, new.time_of_day, new.weather, new.style)
    assert carried == (last.setting, last.time_of_day, last.weather, last.style)
    assert (alone.setting, alone.time_of_day, alone.weather) != carried[:3]
    car = next(s for s in new.subjects if s.kind == "car")
    assert car.colour == "red"  # the car referred back to is the red one
    assert "dog" in {s.kind for s in new.subjects}


def test_what_the_new_text_says_wins_over_what_carries_on():
    before = plan(BEFORE, seconds=8)
    new = plan_after(before, "a cat sleeps in a forest at dawn", seconds=4).shots[-1]
    assert (new.setting, new.time_of_day) == ("forest", "dawn")
    assert "car" not in {s.kind for s in new.subjects}


def test_the_new_text_may_be_several_shots_within_the_room_left():
    before = plan(BEFORE, seconds=4)
    after = plan_after(before, "A dog runs. Then a bird flies. Then a cat sleeps.", seconds=6)
    assert len(after.shots) == len(before.shots) + 3
    crowded = Storyboard(
        prompt="x", shots=tuple(Shot(prompt=f"shot {i}", duration=1) for i in range(MAX_SHOTS - 1))
    )
    squeezed = plan_after(crowded, "A dog runs. Then a bird flies. Then a cat sleeps.", seconds=3)
    assert len(squeezed.shots) == MAX_SHOTS  # the new text fits the one shot left


def test_a_full_storyboard_or_a_bad_prompt_is_refused():
    full = Storyboard(
        prompt="x", shots=tuple(Shot(prompt=f"shot {i}", duration=1) for i in range(MAX_SHOTS))
    )
    with pytest.raises(InvalidRequest, match="already has 12 shots") as refused:
        plan_after(full, "a dog runs", seconds=4)
    assert refused.value.code == "invalid_prompt"
    before = plan(BEFORE, seconds=4)
    for prompt, seconds, code in (("  ", 4, "invalid_prompt"), ("a dog", 0, "invalid_seconds")):
        with pytest.raises(InvalidRequest) as bad:
            plan_after(before, prompt, seconds=seconds)
        assert bad.value.code == code


@pytest.mark.parametrize("seconds", [0.02, 0.5, 0.999])
def test_an_extension_adds_at_least_a_shots_shortest(seconds):
    """A new shot lasts at least a second, as every planned shot and storyboard card does."""
    before = plan("a red car drives through a city", seconds=4)
    with pytest.raises(InvalidRequest) as caught:
        plan_after(before, "a dog runs past", seconds=seconds)
    assert caught.value.code == "invalid_seconds"
    assert "adds at least 1 s" in caught.value.message
    assert plan_after(before, "a dog runs past", seconds=1).seconds == 5
