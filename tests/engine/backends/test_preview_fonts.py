"""Captions pick a font that can draw the line's script."""

from __future__ import annotations

import pytest
from PIL import ImageFont

from reelmint.engine.backends.preview.fonts import CANDIDATE_FONTS, _installed, font_for

WIDE = _installed(CANDIDATE_FONTS)
needs_a_wide_font = pytest.mark.skipif(not WIDE, reason="no wide-coverage system font installed")


def _glyph(font, char: str) -> bytes:
    return bytes(font.getmask(char))


def test_plain_latin_uses_the_embedded_font_so_every_machine_draws_the_same():
    font = font_for("Hello, world!", 24)
    assert getattr(font, "path", None) not in WIDE


@needs_a_wide_font
@pytest.mark.parametrize("text", ["мир", "café", "γειά", "Zürich straße"])
def test_other_scripts_get_a_font_that_draws_each_letter(text):
    font = font_for(text, 24)
    missing = _glyph(font, "\U0010fffd")
    assert all(_glyph(font, ch) != missing for ch in text if not ch.isspace())


def test_with_no_font_installed_the_embedded_one_is_used():
    font = font_for("мир", 24, candidates=("/nonexistent/font.ttf",))
    assert isinstance(font, ImageFont.FreeTypeFont | ImageFont.ImageFont)
    assert getattr(font, "path", None) != "/nonexistent/font.ttf"


@needs_a_wide_font
def test_a_caption_in_cyrillic_is_drawn_not_boxed():
    """The rendered caption of "мир" differs from that of three missing-glyph boxes."""
    from reelmint.engine.backends.preview.captions import _caption_image
    from reelmint.engine.backends.preview.look import Look
    from reelmint.engine.storyboard import DialogueLine

    look = Look("noon", "clear", "cinematic")
    real = _caption_image(DialogueLine(text="мир"), 480, 480, look)
    boxes = _caption_image(DialogueLine(text="\U0010fffd" * 3), 480, 480, look)
    assert real.tobytes() != boxes.tobytes()
