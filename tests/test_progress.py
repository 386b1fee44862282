"""Progress bars: one per shot and stage, created on first sight and kept up to date."""

from __future__ import annotations

import io

from rich.console import Console

from reelmint.engine.backends.base import ProgressEvent
from reelmint.progress import RichProgress


def _console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=100), buffer


def test_each_shot_and_stage_gets_its_own_bar():
    console, buffer = _console()
    with RichProgress(console) as progress:
        for shot in range(2):
            for done in (0, 12, 24):
                progress(ProgressEvent(stage="render", shot=shot, shots=2, done=done, total=24))
        progress(ProgressEvent(stage="sign", shot=0, shots=1, done=1, total=1))
        tasks = progress._progress.tasks
        assert [t.description for t in tasks] == [
            "shot 1/2 drawing frames",
            "shot 2/2 drawing frames",
            "signing",
        ]
        assert all(t.completed == t.total for t in tasks)
    assert "shot 2/2 drawing frames" in buffer.getvalue()


def test_a_disabled_progress_draws_nothing():
    console, buffer = _console()
    with RichProgress(console, enabled=False) as progress:
        progress(ProgressEvent(stage="render", shot=0, shots=1, done=5, total=10))
    assert buffer.getvalue() == ""
