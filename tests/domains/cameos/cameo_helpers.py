"""Helpers for the cameo tests: images (good, wrong, bombs), cameos made through the service,
and videos ordered with a prompt."""

from __future__ import annotations

import struct
import tempfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw

from reelmint.domains.cameos import service as cameos
from reelmint.domains.videos.service import VideoRequest, create_video


def face_png(path: Path, size: tuple[int, int] = (256, 256), colour=(230, 180, 150)) -> Path:
    """A simple face: good enough to be a cameo photo."""
    image = Image.new("RGB", size, (40, 90, 160))
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.ellipse((w * 0.2, h * 0.1, w * 0.8, h * 0.9), fill=colour)
    draw.ellipse((w * 0.35, h * 0.35, w * 0.42, h * 0.42), fill=(0, 0, 0))
    draw.ellipse((w * 0.58, h * 0.35, w * 0.65, h * 0.42), fill=(0, 0, 0))
    image.save(path, format="PNG")
    return path


def bomb_png(path: Path, width: int = 8000, height: int = 8000) -> Path:
    """A tiny PNG whose header declares width x height pixels (64 megapixels by default):
    decoding it would take ~200 MB, so it must be refused from the header alone."""
    small = path.with_suffix(".small.png")
    Image.new("RGB", (16, 16), (0, 0, 0)).save(small, format="PNG")
    data = bytearray(small.read_bytes())
    small.unlink()
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def upload(path: Path, name: str | None = None) -> cameos.ImageUpload:
    return cameos.ImageUpload(path=path, name=name or path.name)


def make_cameo(
    services,
    user,
    handle: str = "ada",
    *,
    permission: str = "everyone",
    restrictions: tuple[str, ...] = (),
    images: int = 1,
):
    """A cameo made through the service, consent phrase and all."""
    with services.db.write() as db:
        phrase = cameos.start_consent(db=db, settings=services.settings, user=user).phrase
    with tempfile.TemporaryDirectory() as scratch:
        files = [
            upload(face_png(Path(scratch) / f"me-{n}.png", colour=(230, 180 - 20 * n, 150)))
            for n in range(images)
        ]
        return cameos.create_cameo(
            services=services,
            user=user,
            request=cameos.CameoRequest(
                handle=handle,
                display_name=handle.title(),
                permission=permission,
                restrictions=restrictions,
            ),
            images=files,
            consent_phrase=phrase,
        )


def order(services, user, prompt: str):
    """A queued 4 s video asked for with `prompt`."""
    request = VideoRequest(prompt=prompt, seconds="4", size="480x480", seed=5)
    return create_video(services=services, user=user, request=request)
