"""Real `reelmint worker` and `reelmint up` processes over one shared database and data folder.

The processes get short leases and heartbeats through the environment, as an operator would
set them; the test reads the shared database to see what they did.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from reelmint.bootstrap import Services
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.videos.service import VideoRequest, create_video

QUEUE_ENV = {
    "REELMINT_LEASE_SECONDS": "2",
    "REELMINT_HEARTBEAT_SECONDS": "0.3",
    "REELMINT_WORKER_POLL_SECONDS": "0.1",
    "REELMINT_ENCODE_PRESET": "ultrafast",
}


def _reelmint() -> str:
    beside = Path(sys.executable).with_name("reelmint")
    found = str(beside) if beside.exists() else shutil.which("reelmint")
    assert found, "the reelmint command is not installed"
    return found


@dataclass
class Fleet:
    """Processes started for one test, over `services`' database and data folder."""

    services: Services
    env: dict[str, str]
    logs: Path
    processes: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, *argv: str, name: str, **env: str) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [_reelmint(), *argv],
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.processes.append((name, process))
        return process

    def worker(self, name: str, **env: str) -> subprocess.Popen:
        return self.start("worker", name=name, **env)

    def kill(self, process: subprocess.Popen) -> None:
        """kill -9: no clean-up, no hand-back; the lease is left to expire."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def close(self) -> None:
        for _, process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=30)

    def log_text(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )

    # --- the shared database, read from the test ---------------------------------------------

    def user(self, email: str) -> User:
        with self.services.db.write() as db:
            return create_user(db=db, email=email, password="a long password")

    def queue(
        self, user: User, *, seconds: float = 4, prompt: str = "a dog runs on a beach"
    ) -> str:
        request = VideoRequest(prompt=prompt, seconds=seconds, size="480x480", seed=5)
        return create_video(services=self.services, user=user, request=request).id

    def video(self, video_id: str) -> Video:
        with self.services.db.read() as db:
            found = db.get(Video, video_id)
            assert found is not None
            return found

    def runs(self, video_id: str) -> list[VideoRun]:
        with self.services.db.read() as db:
            query = select(VideoRun).where(VideoRun.video_id == video_id)
            return list(db.scalars(query.order_by(VideoRun.attempt)))


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def owned_by(process: subprocess.Popen, worker_id: str | None) -> bool:
    """Whether a worker id (host:pid:thread:random) is one of `process`'s workers."""
    return worker_id is not None and worker_id.split(":")[1] == str(process.pid)
