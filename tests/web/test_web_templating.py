"""The templates' filters: a service's message read as a sentence of the page."""

from __future__ import annotations

import pytest

from reelmint.web.templating import as_sentence, format_seconds


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        ("the prompt is empty", "The prompt is empty."),
        ("you have 3 units; buy credits", "You have 3 units; buy credits."),
        ("done.", "Done."),
        ("really?", "Really?"),
        ("a trailing space ", "A trailing space."),
        ("  spaces around  ", "Spaces around."),
        ("", ""),
        (None, ""),
        ("it's gone", "It's gone."),
        # a first word that is not a plain word stays as it is
        ("admin@example.com is an administrator", "admin@example.com is an administrator."),
        ("webhook_target_forbidden: 10.0.0.7", "webhook_target_forbidden: 10.0.0.7."),
        ("rm_abc… was revoked", "rm_abc… was revoked."),
    ],
)
def test_a_message_reads_as_a_sentence(message, shown):
    assert as_sentence(message) == shown


@pytest.mark.parametrize(
    ("seconds", "shown"), [(8.0, "8 s"), (4.5, "4.5 s"), (4.833333333, "4.83 s")]
)
def test_seconds_show_at_most_two_decimals(seconds, shown):
    assert format_seconds(seconds) == shown
