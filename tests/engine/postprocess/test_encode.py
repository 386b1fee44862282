"""encode_mp4: a real H.264/AAC MP4 read back with PyAV, and clean failure on bad input."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from reelmint.engine.backends.base import Size
from reelmint.engine.errors import EngineError
from reelmint.engine.postprocess.encode import EncodeStats, encode_mp4

SIZE = Size(320, 240)
FPS = 24
RATE = 48_000


def moving_frames(size: Size, count: int) -> Iterator[np.ndarray]:
    """A diagonal gradient sliding right with a white square crossing it: motion to encode."""
    rows, cols = np.mgrid[0 : size.height, 0 : size.width]
    for index in range(count):
        frame = np.empty((size.height, size.width, 3), dtype=np.uint8)
        frame[..., 0] = (cols * 255 // size.width + index * 3) % 256
        frame[..., 1] = rows * 255 // size.height
        frame[..., 2] = (cols + rows + index * 5) % 256
        left = (index * 4) % (size.width - 40)
        frame[100:140, left : left + 40] = 255
        yield frame


def sine(seconds: float, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return np.stack([tone, tone * 0.5], axis=1)


def encode(out: Path, frames, *, count: int, size: Size = SIZE, **kwargs) -> EncodeStats:
    return encode_mp4(
        frames,
        size=size,
        fps=FPS,
        frame_count=count,
        audio=kwargs.pop("audio", sine(count / FPS)),
        sample_rate=RATE,
        out=out,
        **kwargs,
    )


def top_level_atoms(path: Path) -> list[str]:
    data = path.read_bytes()
    atoms, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        elif size == 0:
            size = len(data) - offset
        assert size >= 8, f"bad atom size at {offset}"
        atoms.append(kind)
        offset += size
    return atoms


def producer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("reelmint-encode")]


@pytest.fixture(scope="module")
def two_seconds(tmp_path_factory) -> tuple[Path, EncodeStats]:
    out = tmp_path_factory.mktemp("encode") / "clip.mp4"
    return out, encode(out, moving_frames(SIZE, 48), count=48)


def test_reads_back_as_h264_and_aac_with_the_exact_frame_count(two_seconds, probe):
    out, _ = two_seconds
    facts = probe(out)
    assert (facts.video_codec, facts.audio_codec, facts.pix_fmt) == ("h264", "aac", "yuv420p")
    assert (facts.width, facts.height) == (SIZE.width, SIZE.height)
    assert facts.frames == 48
    assert facts.fps == pytest.approx(FPS)
    assert abs(facts.duration - 2.0) <= 1 / FPS
    assert facts.audio_rate == RATE
    assert facts.audio_duration == pytest.approx(2.0, abs=0.05)


def test_stats_describe_the_file(two_seconds):
    out, stats = two_seconds
    assert stats.frames == 48
    assert stats.seconds == pytest.approx(2.0)
    assert stats.bytes == out.stat().st_size > 0
    assert (stats.video_codec, stats.audio_codec) == ("h264", "aac")
    assert stats.elapsed > 0


def test_moov_comes_before_mdat_so_playback_starts_early(two_seconds):
    out, _ = two_seconds
    atoms = top_level_atoms(out)
    assert atoms[0] == "ftyp"
    assert atoms.index("moov") < atoms.index("mdat")


def test_video_is_tagged_bt709_and_pictures_survive(two_seconds):
    out, _ = two_seconds
    originals = list(moving_frames(SIZE, 48))
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.color_primaries == 1  # AVCOL_PRI_BT709
        assert stream.codec_context.colorspace == 1  # AVCOL_SPC_BT709
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    errors = [np.abs(d.astype(int) - o).mean() for d, o in zip(decoded, originals, strict=True)]
    assert max(errors) < 6.0


def test_audio_is_the_sine_that_went_in(two_seconds):
    out, _ = two_seconds
    with av.open(str(out)) as container:
        samples = np.concatenate(
            [f.to_ndarray() for f in container.decode(audio=0)], axis=1
        )  # fltp: (channels, samples)
    left = samples[0, RATE // 4 : RATE]  # past the encoder's priming
    spectrum = np.abs(np.fft.rfft(left))
    peak_hz = np.argmax(spectrum) * RATE / len(left)
    assert peak_hz == pytest.approx(440, abs=5)
    assert np.abs(samples[1]).max() < np.abs(samples[0]).max()  # right is the quieter side


def test_on_frame_sees_every_frame_in_order_before_encoding(tmp_path, probe):
    seen: list[int] = []

    def paint_tenth_white(index: int, frame: np.ndarray) -> None:
        seen.append(index)
        if index == 10:
            frame[:] = 255

    out = tmp_path / "painted.mp4"
    encode(out, moving_frames(SIZE, 24), count=24, on_frame=paint_tenth_white)
    assert seen == list(range(24))
    decoded = probe(out, keep_every=1).decoded
    assert decoded[10].mean() > 245
    assert decoded[9].mean() < 200


def test_a_renderer_may_reuse_one_array_for_every_frame(tmp_path, probe):
    """The queue must hold converted copies, not the renderer's (overwritten) array."""
    shared = np.zeros((SIZE.height, SIZE.width, 3), dtype=np.uint8)

    def reusing() -> Iterator[np.ndarray]:
        for index in range(24):
            shared[:] = index * 10
            yield shared

    out = tmp_path / "reused.mp4"
    encode(out, reusing(), count=24)
    means = [frame.mean() for frame in probe(out, keep_every=1).decoded]
    assert means == pytest.approx([i * 10 for i in range(24)], abs=3)


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((SIZE.height, SIZE.width, 4), dtype=np.uint8),
        np.zeros((SIZE.height, SIZE.width, 3), dtype=np.float32),
        np.zeros((SIZE.width, SIZE.height, 3), dtype=np.uint8),
        "not an array",
    ],
    ids=["rgba", "float", "transposed", "str"],
)
def test_a_wrong_frame_raises_and_leaves_no_file(tmp_path, bad):
    frames = [*moving_frames(SIZE, 5), bad, *moving_frames(SIZE, 4)]
    out = tmp_path / "bad.mp4"
    with pytest.raises(EngineError, match="frame 5") as caught:
        encode(out, iter(frames), count=10)
    assert caught.value.code == "bad_frame"
    assert not out.exists()
    assert producer_threads() == []


@pytest.mark.parametrize("yielded", [9, 11])
def test_a_wrong_number_of_frames_raises_and_leaves_no_file(tmp_path, yielded):
    out = tmp_path / "count.mp4"
    with pytest.raises(EngineError) as caught:
        encode(out, moving_frames(SIZE, yielded), count=10)
    assert caught.value.code == "frame_count_mismatch"
    assert not out.exists()
    assert producer_threads() == []


class RendererCrashedError(Exception):
    pass


def test_an_exception_in_the_generator_propagates_and_leaves_nothing(tmp_path):
    closed = []

    def crashing() -> Iterator[np.ndarray]:
        try:
            yield from moving_frames(SIZE, 12)
            raise RendererCrashedError("shot 2 failed")
        finally:
            closed.append(True)

    before = threading.active_count()
    out = tmp_path / "crash.mp4"
    with pytest.raises(RendererCrashedError, match="shot 2 failed"):
        encode(out, crashing(), count=48)
    assert not out.exists()
    assert producer_threads() == []
    assert threading.active_count() == before
    assert closed == [True]


def test_an_exception_in_on_frame_propagates_and_closes_the_generator(tmp_path):
    closed = []

    def watched() -> Iterator[np.ndarray]:
        try:
            yield from moving_frames(SIZE, 48)
        finally:
            closed.append(True)

    def fail_at_20(index: int, frame: np.ndarray) -> None:
        if index == 20:
            raise RendererCrashedError("watermark failed")

    out = tmp_path / "hook.mp4"
    with pytest.raises(RendererCrashedError, match="watermark failed"):
        encode(out, watched(), count=48, on_frame=fail_at_20)
    assert not out.exists()
    assert producer_threads() == []
    assert closed == [True]


def test_a_failing_encoder_stops_the_producer_without_deadlock(tmp_path, monkeypatch):
    """The producer may be blocked on a full queue when the encoding side fails."""
    import reelmint.engine.postprocess.encode as encode_module

    calls = {"n": 0}
    original = encode_module._AudioFeeder.until_video_frame

    def fail_late(self, video_frames):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RendererCrashedError("muxer failed")
        return original(self, video_frames)

    monkeypatch.setattr(encode_module._AudioFeeder, "until_video_frame", fail_late)
    out = tmp_path / "mux.mp4"
    with pytest.raises(RendererCrashedError, match="muxer failed"):
        encode(out, moving_frames(SIZE, 48), count=48)
    assert not out.exists()
    assert producer_threads() == []


@pytest.mark.parametrize(
    "audio",
    [np.zeros((RATE, 1), dtype=np.float32), np.zeros((RATE, 2), dtype=np.float64)],
    ids=["mono", "float64"],
)
def test_a_wrong_audio_track_is_refused(tmp_path, audio):
    out = tmp_path / "audio.mp4"
    with pytest.raises(EngineError) as caught:
        encode(out, moving_frames(SIZE, 24), count=24, audio=audio)
    assert caught.value.code == "bad_audio"
    assert not out.exists()


def test_an_odd_frame_size_is_refused(tmp_path):
    odd = Size(321, 240)
    with pytest.raises(EngineError) as caught:
        encode(tmp_path / "odd.mp4", moving_frames(odd, 3), count=3, size=odd)
    assert caught.value.code == "bad_frame_size"
