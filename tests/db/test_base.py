"""Ids: shape, uniqueness, and every character uniformly random."""

from __future__ import annotations

from collections import Counter

from reelmint.db.base import ID_SHAPE, new_id

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _chi_square(counts: Counter[str], total: int) -> float:
    expected = total / len(ALPHABET)
    return sum((counts[symbol] - expected) ** 2 / expected for symbol in ALPHABET)


def test_an_id_is_its_prefix_and_24_base36_characters():
    made = new_id("video")
    prefix, _, body = made.partition("_")
    assert prefix == "video"
    assert len(body) == 24
    assert set(body) <= set(ALPHABET)
    assert ID_SHAPE.fullmatch(made)


def test_ids_do_not_repeat():
    assert len({new_id("hold") for _ in range(10_000)}) == 10_000


def test_every_position_draws_every_character_evenly():
    bodies = [new_id("x")[2:] for _ in range(3_600)]  # 100 of each character per position
    for position in (0, 11, 23):
        counts = Counter(body[position] for body in bodies)
        # 35 degrees of freedom: a fair draw exceeds 100 with a chance below one in a million;
        # a character never drawn at a position alone adds 100.
        assert _chi_square(counts, len(bodies)) < 100, (position, counts)
