"""Scratch folders: the temporary folders a process makes while it works (a job's frames, an
uploaded image being checked, a derived clip), and their removal after a kill.

Each is named `reelmint-<kind>-<pid>-<random>` in the temporary folder. A process removes its
own when the work ends; one killed outright (SIGKILL, the out-of-memory killer, a lost host)
cannot, so the next to start removes those whose pid no running process has
(`remove_stale_scratch_folders`, run before the workers start). A kind must be in
SCRATCH_KINDS, so every folder made here is one the sweep knows.

No web framework or database here: the engine, the API and the worker may all use it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

log = logging.getLogger("reelmint.scratch")

PREFIX = "reelmint-"
SCRATCH_KINDS = (
    "job",  # the worker's run of one video
    "upload",  # a video request's uploaded files, while they are checked
    "fields",  # a request body read for its fields only
    "estimate",  # a video request being priced, its files included
    "derive",  # a stored image copied for a video made from another
    "sprites",  # a video copied out to draw its scrubbing thumbnails
    "cameo",  # a cameo's uploaded photos
    "character",  # a character's uploaded reference images
    "verify",  # a video copied out to read its provenance
)
_NAME = re.compile(rf"{re.escape(PREFIX)}({'|'.join(SCRATCH_KINDS)})-([0-9]{{1,10}})-[^/]+")


def scratch_prefix(kind: str) -> str:
    """How this process's scratch folders of `kind` are named (`reelmint-<kind>-<pid>-`): the
    pid says whose a folder is, so one a killed process left is known to be nobody's."""
    if kind not in SCRATCH_KINDS:
        raise ValueError(f"unknown scratch kind {kind!r}; add it to SCRATCH_KINDS")
    return f"{PREFIX}{kind}-{os.getpid()}-"


def scratch_folder(kind: str) -> tempfile.TemporaryDirectory[str]:
    """A new scratch folder of `kind` in the temporary folder, removed when the `with` ends."""
    return tempfile.TemporaryDirectory(prefix=scratch_prefix(kind))


def remove_stale_scratch_folders(root: Path | None = None) -> list[Path]:
    """Remove the scratch folders under `root` (the temporary folder) that a process killed
    outright left: ours (same user), named with a pid that no running process has. Never a
    folder of a live process, nor one whose name gives no pid or a kind not ours (made by
    another version or program: its owner cannot be known). Returns what it removed."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        owner = _NAME.fullmatch(folder.name)
        if owner is None or not _is_own_folder(folder) or _is_running(int(owner.group(2))):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
            log.info("removed %s, left by process %s", folder, owner.group(2))
    return removed


def _is_own_folder(folder: Path) -> bool:
    try:
        info = folder.lstat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()


def _is_running(pid: int) -> bool:
    """Whether a process `pid` exists (a reused pid counts: its folder is kept, never lost)."""
    if pid <= 0:
        return True  # not a process of its own: 0 and negatives name groups to os.kill
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process, or not a pid at all
        return True
    return True
