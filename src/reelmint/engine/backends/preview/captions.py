"""Dialogue captions: a translucent rounded box near the bottom with the line, wrapped.

Each line is rendered once per shot, in the best installed font for its script (fonts.py),
into colour and alpha arrays; a frame blends only the box's pixels, fading in and out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from reelmint.engine.backends.preview.fonts import font_for
from reelmint.engine.backends.preview.look import Look
from reelmint.engine.storyboard import DialogueLine, Shot
from reelmint.engine.timing import CaptionCue, caption_cues

FADE_SECONDS = 0.15
MAX_LINES = 3
TEXT = (255, 255, 255)
SPEAKER = (255, 214, 110)
BOX = (8, 8, 12, 165)


@dataclass(frozen=True)
class RenderedCaption:
    """A caption ready to blend: colour and 0..256 weights, and where it goes."""

    cue: CaptionCue
    colour: np.ndarray
    weight: np.ndarray
    x: int
    y: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        h, w = self.weight.shape[:2]
        return (self.x, self.y, self.x + w, self.y + h)


def wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: float
) -> list[str]:
    """Greedy word wrap to `max_width` pixels; a word longer than a line is cut to fit."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        while font.getlength(word) > max_width and len(word) > 1:
            cut = len(word)
            while cut > 1 and font.getlength(word[:cut]) > max_width:
                cut -= 1
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= max_width:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES]
        lines[-1] = lines[-1].rstrip(".,;: ") + "…"
    return lines or [""]


def _caption_image(line: DialogueLine, width: int, height: int, look: Look) -> Image.Image:
    unit = min(width, height)
    size = max(12, round(0.05 * unit))
    font = font_for(line.text, size)
    label_font = ImageFont.load_default(size=max(10, round(size * 0.72)))
    pad = round(size * 0.55)
    lines = wrap(line.text, font, width * 0.84 - 2 * pad)
    label = line.speaker.replace("_", " ").upper() if line.speaker else None
    line_height = round(size * 1.25)
    label_height = round(size * 0.95) if label else 0
    text_width = max(font.getlength(t) for t in lines)
    if label:
        text_width = max(text_width, label_font.getlength(label))
    box_w = round(text_width) + 2 * pad
    box_h = label_height + line_height * len(lines) + 2 * pad - round(size * 0.2)
    scale = 2
    box = Image.new("RGBA", (box_w * scale, box_h * scale), (0, 0, 0, 0))
    ImageDraw.Draw(box).rounded_rectangle(
        (0, 0, box_w * scale - 1, box_h * scale - 1),
        radius=round(size * 0.45 * scale),
        fill=(*look.emit(BOX[:3]), BOX[3]),
    )
    image = box.reduce(scale)
    draw = ImageDraw.Draw(image)
    y = pad
    if label:
        draw.text((pad, y), label, font=label_font, fill=(*look.emit(SPEAKER), 255))
        y += label_height
    for text in lines:
        x = (box_w - font.getlength(text)) / 2
        draw.text((x, y), text, font=font, fill=(*look.emit(TEXT), 255))
        y += line_height
    return image


def _render(cue: CaptionCue, width: int, height: int, look: Look) -> RenderedCaption:
    image = _caption_image(cue.line, width, height, look)
    w, h = min(image.width, width), min(image.height, height)
    pixels = np.asarray(image.crop((0, 0, w, h)))
    alpha = pixels[..., 3:4].astype(np.uint16)
    weight = alpha + (alpha >> 7)
    x = (width - w) // 2
    y = max(0, height - h - round(0.06 * height))
    return RenderedCaption(cue, pixels[..., :3].astype(np.uint16), weight, x, y)


class Captions:
    """The captions of one shot, drawn over frames while their cues are active."""

    def __init__(self, shot: Shot, width: int, height: int, look: Look) -> None:
        self.rendered = [_render(cue, width, height, look) for cue in caption_cues(shot)]

    def box(self, index: int) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) of caption `index` in the frame."""
        return self.rendered[index].box

    def draw(self, frame: np.ndarray, t: float) -> None:
        for caption in self.rendered:
            start, end = caption.cue.start, caption.cue.end
            if not start <= t < end:
                continue
            level = min(1.0, (t - start) / FADE_SECONDS, (end - t) / FADE_SECONDS)
            weight = caption.weight if level >= 1.0 else (caption.weight * round(256 * level)) >> 8
            x0, y0, x1, y1 = caption.box
            region = frame[y0:y1, x0:x1]
            blended = (region.astype(np.uint16) * (256 - weight) + caption.colour * weight) >> 8
            region[...] = blended.astype(np.uint8)
