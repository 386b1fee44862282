"""`reelmint up` restarts without losing work: killed outright, or stopped cleanly.

Jobs go in and come out through the HTTP API of a real server process with one in-process
worker, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import signal

import httpx
from process_fleet import free_port, owned_by, wait_for

from reelmint.domains.accounts.service import create_api_token


class Server:
    """A `reelmint up` process and an API client for it."""

    def __init__(self, fleet, port: int, token: str, name: str, **env: str) -> None:
        self.process = fleet.start(
            "up", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", name=name, **env
        )
        self.client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        wait_for(self._healthy, f"{name} to serve")

    def _healthy(self) -> bool:
        assert self.process.poll() is None, "the server exited"
        try:
            return self.client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    def create(self, prompt: str, seconds: int) -> str:
        body = {"prompt": prompt, "seconds": str(seconds), "size": "480x480", "seed": 9}
        response = self.client.post("/v1/videos", json=body)
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def status(self, video_id: str) -> str:
        return self.client.get(f"/v1/videos/{video_id}").json()["status"]


def _token(fleet) -> str:
    user = fleet.user("ada@example.com")
    with fleet.services.db.write() as db:
        return create_api_token(db=db, user=user, name="robustness")[1]


def test_a_killed_server_loses_no_job(fleet):
    token, port = _token(fleet), free_port()
    first = Server(fleet, port, token, "first")
    running = first.create("a horse gallops across a field", seconds=12)
    waiting = first.create("a whale swims in the ocean", seconds=4)
    wait_for(lambda: fleet.video(running).progress > 0, "the first job to be rendering")

    fleet.kill(first.process)
    assert fleet.video(running).status == "in_progress"  # its worker died with the server
    assert fleet.video(waiting).status == "queued"

    second = Server(fleet, port, token, "second")
    wait_for(
        lambda: {second.status(running), second.status(waiting)} == {"completed"},
        "both jobs to complete after the restart",
    )
    assert [run.outcome for run in fleet.runs(running)] == ["lost", "completed"]
    assert [run.outcome for run in fleet.runs(waiting)] == ["completed"]
    assert owned_by(second.process, fleet.runs(waiting)[0].worker_id)
    content = second.client.get(f"/v1/videos/{running}/content")
    assert content.status_code == 200
    assert content.content[4:8] == b"ftyp"  # an MP4


def test_a_cleanly_stopped_server_hands_its_job_back(fleet):
    """SIGTERM: the worker hands its job back at once, so nothing waits for a lease to expire
    (the lease here is a minute long) and the restarted server picks it up."""
    token, port = _token(fleet), free_port()
    first = Server(fleet, port, token, "first", REELMINT_LEASE_SECONDS="60")
    job = first.create("a train crosses a bridge", seconds=12)
    wait_for(lambda: fleet.video(job).progress > 0, "the job to be rendering")

    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(timeout=30) in {0, 143}  # 143: the CLI's exit code for SIGTERM

    video = fleet.video(job)
    runs = fleet.runs(job)
    assert (video.status, video.lease_owner) == ("queued", None)
    assert [run.outcome for run in runs] == ["released"]
    second = Server(fleet, port, token, "second", REELMINT_LEASE_SECONDS="60")
    wait_for(lambda: second.status(job) == "completed", "the job to complete after the restart")
    assert [run.outcome for run in fleet.runs(job)] == ["released", "completed"]
