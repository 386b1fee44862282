"""Helpers shared by the video API tests: videos in a given state without running a worker."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PIL import Image

from reelmint.db.base import utcnow
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, create_video

# Bytes that stand in for an MP4 where only storage and HTTP are under test.
FAKE_MP4 = bytes(range(256)) * 40
FAKE_JPEG = b"\xff\xd8\xff\xe0" + b"thumbnail" * 10


def queue_video(services, user, prompt: str = "a red car drives through a city") -> Video:
    """A queued 4 s job of `user`'s, made through the service (as the API would)."""
    return create_video(
        services=services,
        user=user,
        # An explicit seed below 2**31: videos.seed is a 32-bit INTEGER on PostgreSQL for now.
        request=VideoRequest(prompt=prompt, seconds="4", size="480x480", seed=1234),
    )


def set_state(services, video_id: str, **fields) -> None:
    """Change columns of a video directly (what a worker would write)."""
    with services.db.write() as db:
        video = db.get(Video, video_id)
        for name, value in fields.items():
            setattr(video, name, value)


def complete(
    services, video_id: str, *, video: bytes = FAKE_MP4, poster: bytes = FAKE_JPEG
) -> None:
    """Mark a video completed with the given files in storage, as a worker's finish would."""
    with tempfile.TemporaryDirectory() as scratch:
        for name, data in (("video.mp4", video), ("poster.jpg", poster)):
            path = Path(scratch) / name
            path.write_bytes(data)
            services.storage.put_file(f"videos/{video_id}/{name}", path, content_type="x/y")
    set_state(
        services,
        video_id,
        status="completed",
        progress=100,
        completed_at=utcnow(),
        video_key=f"videos/{video_id}/video.mp4",
        poster_key=f"videos/{video_id}/poster.jpg",
        video_bytes=len(video),
    )


def completed_video(services, user, prompt: str = "a cat sleeps on a sofa") -> Video:
    video = queue_video(services, user, prompt)
    complete(services, video.id)
    with services.db.read() as db:
        return db.get(Video, video.id)


def png_file(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    Image.new("RGB", size, (200, 30, 30)).save(path, format="PNG")
    return path


def noisy_png(path: Path, size: tuple[int, int] = (100, 100)) -> Path:
    """A PNG that does not compress: about 3 bytes a pixel."""
    import numpy as np

    pixels = np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, format="PNG")
    return path


def real_mp4(folder: Path, seconds: int = 3) -> bytes:
    """The bytes of a small real H.264 MP4 (flat grey, silent), for what must decode it."""
    import numpy as np

    from reelmint.engine.backends.base import Size
    from reelmint.engine.postprocess.encode import encode_mp4

    size, fps = Size(160, 120), 24
    frames = (np.full((120, 160, 3), 100 + i % 50, dtype=np.uint8) for i in range(fps * seconds))
    out = folder / "real.mp4"
    encode_mp4(
        frames,
        size=size,
        fps=fps,
        frame_count=fps * seconds,
        audio=np.zeros((48_000 * seconds, 2), dtype=np.float32),
        sample_rate=48_000,
        out=out,
    )
    return out.read_bytes()
