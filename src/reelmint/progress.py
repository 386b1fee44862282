"""Progress bars for long work: one bar per shot and stage, fed by engine ProgressEvents."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from reelmint.engine.backends.base import ProgressEvent

_STAGE_NAMES = {
    "render": "drawing frames",
    "denoise": "denoising",
    "decode": "decoding",
    "sign": "signing",
}


class RichProgress:
    """A ProgressCallback that draws bars on a console; a no-op when disabled."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[tuple[str, int], TaskID] = {}

    def __enter__(self) -> RichProgress:
        if self._enabled:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._enabled:
            self._progress.stop()

    def __call__(self, event: ProgressEvent) -> None:
        if not self._enabled:
            return
        key = (event.stage, event.shot)
        task = self._tasks.get(key)
        if task is None:
            label = _STAGE_NAMES.get(event.stage, event.stage)
            shot = f"shot {event.shot + 1}/{event.shots} " if event.shots > 1 else ""
            task = self._progress.add_task(f"{shot}{label}", total=event.total)
            self._tasks[key] = task
        self._progress.update(task, completed=event.done, total=event.total)
