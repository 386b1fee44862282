"""parse_range: the byte range a Range header asks for, and what it ignores; stored_file when
the storage does not answer."""

from __future__ import annotations

import socket
import threading

import pytest

from reelmint.api.files import parse_range, stored_file
from reelmint.bootstrap import build_storage
from reelmint.config import Settings
from reelmint.errors import Unavailable

SIZE = 1000


@pytest.mark.parametrize(
    ("header", "wanted"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=900-", (900, SIZE - 1)),
        ("bytes=-100", (SIZE - 100, SIZE - 1)),
        ("bytes=10-" + "9" * 18, (10, SIZE - 1)),  # the longest number read
        ("bytes=" + "9" * 18 + "-", "unsatisfiable"),
        ("bytes=1000-", "unsatisfiable"),
        (None, None),
        ("bytes=0-1,5-6", None),
        ("bytes=9-3", None),
    ],
)
def test_ranges_are_read(header, wanted):
    assert parse_range(header, SIZE) == wanted


@pytest.mark.parametrize(
    "header",
    [
        "bytes=" + "9" * 5000 + "-",
        "bytes=0-" + "9" * 5000,
        "bytes=-" + "1" * 5000,
        "bytes=" + "0" * 19 + "-5",
    ],
)
def test_a_number_too_long_is_a_malformed_header_and_gets_the_whole_file(header):
    assert parse_range(header, SIZE) is None


def test_a_file_from_storage_that_does_not_answer_is_a_503_soon(tmp_path, monkeypatch):
    """S3 taking connections and never answering: the file is refused with 503
    `storage_unavailable` once the client's timeouts run out, not a 500 after minutes."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    listener = socket.socket()  # listens, never accepts: requests wait for ever
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    storage = build_storage(
        Settings(
            data_dir=tmp_path,
            storage="s3",
            s3_bucket="videos",
            s3_endpoint_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
            s3_region="us-east-1",
            s3_read_timeout_seconds=0.5,
            s3_max_attempts=1,
        )
    )
    outcome: list[BaseException] = []

    def serve() -> None:
        try:
            stored_file(storage, "videos/v/video.mp4", "video/mp4", what="video")
        except BaseException as error:
            outcome.append(error)

    try:
        serving = threading.Thread(target=serve, daemon=True)
        serving.start()
        serving.join(timeout=60)  # generous: unbounded, it waited 6 x 60 s
        assert not serving.is_alive(), "the request never ended"
    finally:
        listener.close()
    [error] = outcome
    assert isinstance(error, Unavailable)
    assert (error.status, error.code) == (503, "storage_unavailable")
    assert "the video cannot be sent now" in error.message
