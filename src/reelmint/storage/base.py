"""The storage interface, and the key rules both implementations enforce.

Keys are made by the platform (`videos/<id>/video.mp4`), never taken from users; still, every
implementation checks them, so no path from a request can ever reach outside the store.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger("reelmint.storage")

_KEY = re.compile(r"[a-z0-9][a-z0-9_\-]*(/[a-z0-9][a-z0-9_\-.]*)*")
MAX_KEY_LENGTH = 300
CHUNK_BYTES = 256 * 1024


class StorageError(Exception):
    """A storage operation failed (missing object, bad key, backend unreachable)."""


class ObjectMissing(StorageError):
    """No object is stored under the key."""


@contextmanager
def reachable(failing: str) -> Iterator[None]:
    """Inside it, storage that cannot be reached (not a missing object: that passes through)
    becomes a 503 `storage_unavailable` that says what `failing` now; the cause is logged,
    never shown."""
    from reelmint.errors import Unavailable

    try:
        yield
    except ObjectMissing:
        raise
    except (StorageError, OSError) as error:
        log.warning("storage failed: %s", error)
        raise Unavailable(
            f"the file storage cannot be reached, so {failing}; try again shortly",
            code="storage_unavailable",
        ) from error


def check_key(key: str) -> str:
    """Refuse keys that are not plain, relative, lower-case paths (no `..`, no leading `/`)."""
    if len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key {key!r}")
    return key


def check_folder(prefix: str) -> str:
    """A folder of keys (`videos/`) as listings take it: a checked key ending in `/`."""
    return check_key(prefix.rstrip("/")) + "/"


@dataclass(frozen=True)
class StoredObject:
    """One object a listing found: its key and when it was last written (UTC)."""

    key: str
    modified: datetime


class Storage(ABC):
    """A flat store of immutable objects addressed by key."""

    @abstractmethod
    def put_file(self, key: str, source: Path, *, content_type: str) -> int:
        """Store the file at `source` under `key`; return its size in bytes."""

    @abstractmethod
    def download(self, key: str, target: Path) -> None:
        """Copy the object under `key` into the file `target`."""

    @abstractmethod
    def size(self, key: str) -> int:
        """The object's size in bytes; ObjectMissing if there is none."""

    @abstractmethod
    def iter_bytes(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The object's bytes [start, end] (inclusive end, as in HTTP ranges), in chunks."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; nothing happens if there is none."""

    @abstractmethod
    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        """Every object under the folder `prefix` (`videos/`), in no particular order; names
        that are not keys the platform makes (a write's temporary file) are left out."""

    @abstractmethod
    def check(self) -> None:
        """Raise StorageError saying, in one line, why this store cannot be used (a missing
        bucket, credentials refused, an endpoint that does not answer); `up` and `worker` call
        it once at start."""

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except ObjectMissing:
            return False
        return True
