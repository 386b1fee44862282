"""Encode RGB frames and a stereo track into a streamable H.264/AAC MP4 with PyAV.

Why two threads: the renderer's frame generator costs CPU, and so does the encoder. A
producer thread pulls each frame from the generator, checks it, hands it to `on_frame`, and
converts it to yuv420p (swscale releases the GIL), then puts the converted frame in a small
bounded queue. The calling thread only feeds libx264 (which releases the GIL and runs its own
frame threads), the AAC encoder and the muxer. So drawing frame N+1 overlaps with encoding
frame N. Because a frame is converted before the next one is asked for, a renderer may reuse
one output array for every frame.

Measured on the 2-core development machine (240 frames of 854x480, veryfast, crf 21): with a
renderer costing ~3 ms a frame, render + watermark + encode took ~1.2x the encode-only time
with the producer thread, against ~1.5x when everything ran in the calling thread. Converting
with one reused `VideoReformatter` from a zero-copy `VideoFrame.from_numpy_buffer` costs
~1 ms a frame, against 2-4 ms for `from_ndarray` + `frame.reformat` (a copy of the array and
a new swscale context for every frame); converting in numpy is slower still.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import ColorPrimaries, ColorRange, Colorspace, ColorTrc, Interpolation

from reelmint.engine.backends.base import Size
from reelmint.engine.errors import EngineError, InvalidRequest

VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"
_QUEUE_FRAMES = 8
_POLL_SECONDS = 0.1

FrameCallback = Callable[[int, np.ndarray], None]


@dataclass(frozen=True)
class EncodeSettings:
    """Encoder knobs: `preset` trades encode speed for file size, `crf` sets the quality."""

    preset: str = "veryfast"
    crf: int = 21
    audio_bitrate: int = 128_000


@dataclass(frozen=True)
class EncodeStats:
    """What was written, for logs, job records and benchmarks."""

    frames: int
    seconds: float
    bytes: int
    video_codec: str
    audio_codec: str
    elapsed: float


def encode_mp4(
    frames: Iterable[np.ndarray],
    *,
    size: Size,
    fps: int,
    frame_count: int,
    audio: np.ndarray,
    sample_rate: int,
    out: Path,
    settings: EncodeSettings = EncodeSettings(),
    on_frame: FrameCallback | None = None,
) -> EncodeStats:
    """Encode `frame_count` frames of `size` and a stereo track into the MP4 file `out`.

    `frames` is iterated exactly once, in a producer thread; `on_frame(index, frame)` is called
    there too, before the frame is converted, so it may change the frame in place (the
    watermark) and overlaps with the encoding of earlier frames. On any failure the partial
    file is removed and the error propagates (an `EngineError` for bad input).
    """
    started = time.perf_counter()
    _check_request(size=size, fps=fps, frame_count=frame_count)
    stereo = _checked_audio(audio, sample_rate)
    try:
        _write_mp4(
            frames,
            size=size,
            fps=fps,
            frame_count=frame_count,
            audio=stereo,
            sample_rate=sample_rate,
            out=out,
            settings=settings,
            on_frame=on_frame,
        )
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return EncodeStats(
        frames=frame_count,
        seconds=frame_count / fps,
        bytes=out.stat().st_size,
        video_codec="h264",
        audio_codec=AUDIO_CODEC,
        elapsed=time.perf_counter() - started,
    )


def _check_request(*, size: Size, fps: int, frame_count: int) -> None:
    """yuv420p halves the chroma planes, so H.264 needs even dimensions."""
    if size.width <= 0 or size.height <= 0 or size.width % 2 or size.height % 2:
        raise EngineError(
            f"frame size {size} cannot be encoded: width and height must be positive and even",
            code="bad_frame_size",
        )
    if fps <= 0:
        raise EngineError(f"fps must be positive, got {fps}", code="bad_fps")
    if frame_count <= 0:
        raise EngineError(
            f"frame_count must be positive, got {frame_count}", code="bad_frame_count"
        )


def _checked_audio(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Return the track as contiguous float32 (2, samples): the planar layout AAC wants."""
    if audio.ndim != 2 or audio.shape[1] != 2 or audio.dtype != np.float32:
        raise EngineError(
            f"audio must be float32 of shape (samples, 2), got {audio.dtype} {audio.shape}",
            code="bad_audio",
        )
    if sample_rate <= 0:
        raise EngineError(f"sample_rate must be positive, got {sample_rate}", code="bad_audio")
    return np.ascontiguousarray(audio.T)


def _write_mp4(
    frames: Iterable[np.ndarray],
    *,
    size: Size,
    fps: int,
    frame_count: int,
    audio: np.ndarray,
    sample_rate: int,
    out: Path,
    settings: EncodeSettings,
    on_frame: FrameCallback | None,
) -> None:
    # 1. Open the container; faststart moves the moov atom before mdat so that a browser can
    #    start playing before the whole file has arrived.
    try:
        out.touch()  # FFmpeg opens the file only at the first packet: fail here, clearly
        box = av.open(str(out), mode="w", format="mp4", options={"movflags": "+faststart"})
    except OSError as exc:
        raise InvalidRequest(
            f"cannot write a video into {str(out.parent)!r}: {exc.strerror or exc}",
            code="invalid_output",
        ) from exc
    with box:
        video = _add_video_stream(box, size=size, fps=fps, settings=settings)
        sound = _add_audio_stream(box, sample_rate=sample_rate, settings=settings)
        track = _AudioFeeder(audio, sample_rate=sample_rate, fps=fps)
        frame_time_base = Fraction(1, fps)
        # 2. Encode frames as the producer delivers them; after each frame, encode the audio
        #    up to the same instant so that the two streams interleave in the file.
        with _FrameProducer(frames, size=size, frame_count=frame_count, on_frame=on_frame) as src:
            for index, frame in enumerate(src):
                frame.pts = index
                frame.time_base = frame_time_base
                box.mux(video.encode(frame))
                box.mux(sound.encode_frames(track.until_video_frame(index + 1)))
        # 3. Flush: the rest of the track (if it runs past the pictures), then both encoders.
        box.mux(sound.encode_frames(track.rest()))
        box.mux(video.encode(None))
        box.mux(sound.encode(None))


def _add_video_stream(
    box: av.container.OutputContainer, *, size: Size, fps: int, settings: EncodeSettings
) -> av.VideoStream:
    stream = box.add_stream(
        VIDEO_CODEC, rate=fps, options={"preset": settings.preset, "crf": str(settings.crf)}
    )
    stream.width = size.width
    stream.height = size.height
    stream.pix_fmt = "yuv420p"
    stream.time_base = Fraction(1, fps)
    context = stream.codec_context
    context.time_base = Fraction(1, fps)
    context.colorspace = Colorspace.ITU709
    context.color_primaries = ColorPrimaries.BT709
    context.color_trc = ColorTrc.BT709
    context.color_range = ColorRange.MPEG
    return stream


def _add_audio_stream(
    box: av.container.OutputContainer, *, sample_rate: int, settings: EncodeSettings
) -> _SoundStream:
    # The "fast" coder halves the AAC encoder's CPU time against the default "twoloop" for
    # the same size at 128 kb/s; the audio is encoded in the same thread that feeds x264.
    stream = box.add_stream(AUDIO_CODEC, rate=sample_rate, options={"aac_coder": "fast"})
    stream.layout = "stereo"
    stream.format = "fltp"
    stream.bit_rate = settings.audio_bitrate
    stream.time_base = Fraction(1, sample_rate)
    return _SoundStream(stream)


class _SoundStream:
    """An audio stream that encodes a batch of frames at once."""

    def __init__(self, stream: av.AudioStream) -> None:
        self._stream = stream

    def encode_frames(self, frames: list[av.AudioFrame]) -> list[av.Packet]:
        return [packet for frame in frames for packet in self._stream.encode(frame)]

    def encode(self, frame: av.AudioFrame | None) -> list[av.Packet]:
        return self._stream.encode(frame)


class _AudioFeeder:
    """Cuts the track into frames that keep pace with the video, with sample-exact pts."""

    def __init__(self, planar: np.ndarray, *, sample_rate: int, fps: int) -> None:
        self._planar = planar
        self._rate = sample_rate
        self._fps = fps
        self._sent = 0

    def until_video_frame(self, video_frames: int) -> list[av.AudioFrame]:
        stop = min(self._planar.shape[1], video_frames * self._rate // self._fps)
        return self._cut(stop)

    def rest(self) -> list[av.AudioFrame]:
        return self._cut(self._planar.shape[1])

    def _cut(self, stop: int) -> list[av.AudioFrame]:
        if stop <= self._sent:
            return []
        chunk = np.ascontiguousarray(self._planar[:, self._sent : stop])
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate = self._rate
        frame.pts = self._sent
        frame.time_base = Fraction(1, self._rate)
        self._sent = stop
        return [frame]


class _Failure:
    """Carries an exception from the producer thread to the encoding thread."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


class _FrameProducer:
    """Pulls, checks, hands to `on_frame` and converts frames in a background thread.

    Used as a context manager: leaving it, normally or by an exception, stops the thread and
    joins it, so no thread outlives `encode_mp4`. The queue is bounded, and both sides wait
    with a timeout while watching a stop flag, so neither can block forever.
    """

    def __init__(
        self,
        frames: Iterable[np.ndarray],
        *,
        size: Size,
        frame_count: int,
        on_frame: FrameCallback | None,
    ) -> None:
        self._frames = frames
        self._shape = (size.height, size.width, 3)
        self._frame_count = frame_count
        self._on_frame = on_frame
        self._queue: queue.Queue[object] = queue.Queue(maxsize=_QUEUE_FRAMES)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="reelmint-encode-producer", daemon=True
        )

    def __enter__(self) -> Iterator[av.VideoFrame]:
        self._thread.start()
        return self._consume()

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _consume(self) -> Iterator[av.VideoFrame]:
        while True:
            item = self._next_item()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            assert isinstance(item, av.VideoFrame)
            yield item

    def _next_item(self) -> object:
        """Wait for the producer, and notice if it died without a word (it never should)."""
        while True:
            try:
                return self._queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    raise EngineError(
                        "the frame producer stopped without a result", code="encode_failed"
                    ) from None

    def _run(self) -> None:
        iterator = iter(self._frames)
        try:
            self._produce(iterator)
            self._put(_DONE)
        except BaseException as error:  # handed over and re-raised in the encoding thread
            self._put(_Failure(error))
        finally:
            _close_quietly(iterator)

    def _produce(self, iterator: Iterator[np.ndarray]) -> None:
        reformatter = av.video.reformatter.VideoReformatter()
        for index in range(self._frame_count):
            try:
                array = next(iterator)
            except StopIteration:
                raise EngineError(
                    f"the renderer yielded {index} frames, expected {self._frame_count}",
                    code="frame_count_mismatch",
                ) from None
            self._check_frame(index, array)
            if self._on_frame is not None:
                self._on_frame(index, array)
            if not self._put(_to_yuv420p(array, reformatter)):
                return
        if next(iterator, _DONE) is not _DONE:
            raise EngineError(
                f"the renderer yielded more than the expected {self._frame_count} frames",
                code="frame_count_mismatch",
            )

    def _check_frame(self, index: int, array: object) -> None:
        if not isinstance(array, np.ndarray):
            raise EngineError(
                f"frame {index} is a {type(array).__name__}, expected a numpy array",
                code="bad_frame",
            )
        if array.shape != self._shape or array.dtype != np.uint8:
            raise EngineError(
                f"frame {index} is {array.dtype} {array.shape}, expected uint8 {self._shape}",
                code="bad_frame",
            )

    def _put(self, item: object) -> bool:
        """Queue `item` unless the encoding side has stopped listening; say which."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False


def _to_yuv420p(
    array: np.ndarray, reformatter: av.video.reformatter.VideoReformatter
) -> av.VideoFrame:
    """Convert with BT.709 coefficients (matching the stream's colour tags) into a new frame.

    `from_numpy_buffer` wraps the array without copying; the reformat writes a fresh yuv420p
    frame, so the array is free for the renderer (or on_frame) again once this returns.
    """
    if array.strides[1:] != (3, 1):
        array = np.ascontiguousarray(array)
    rgb = av.VideoFrame.from_numpy_buffer(array, format="rgb24")
    return reformatter.reformat(
        rgb,
        format="yuv420p",
        src_colorspace=Colorspace.ITU709,
        dst_colorspace=Colorspace.ITU709,
        dst_color_range=ColorRange.MPEG,
        interpolation=Interpolation.BILINEAR,
    )


def _close_quietly(iterator: Iterator[np.ndarray]) -> None:
    """Close a generator so its `finally` blocks run in the thread that iterated it."""
    close = getattr(iterator, "close", None)
    if close is not None:
        with contextlib.suppress(Exception):
            close()
