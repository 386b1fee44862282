"""Numbers in the words users read: "1 unit", "5 units"."""

from __future__ import annotations


def count_of(number: int, noun: str) -> str:
    """`number` and `noun`, plural unless it is one: "1 unit", "0 units", "5 credits"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
