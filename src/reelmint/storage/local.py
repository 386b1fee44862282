"""Objects as files under one folder (the default: `$REELMINT_DATA_DIR/storage`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from reelmint.storage.base import (
    CHUNK_BYTES,
    ObjectMissing,
    Storage,
    StorageError,
    StoredObject,
    check_folder,
    check_key,
)


class LocalStorage(Storage):
    """Files under `root`; writes are atomic (a temp file, then a rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        """The file of `key`, guaranteed to be inside the root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise ObjectMissing(f"key {key!r} leaves the storage folder")
        return path

    def check(self) -> None:
        """Nothing to check: the folder is made as files are written into it."""
        return None

    def put_file(self, key: str, source: Path, *, content_type: str) -> int:
        target = self.path(key)
        handle, name = self._temporary_beside(target)
        os.close(handle)
        try:
            shutil.copyfile(source, name)
            os.replace(name, target)
        finally:
            Path(name).unlink(missing_ok=True)
        return target.stat().st_size

    def download(self, key: str, target: Path) -> None:
        shutil.copyfile(self._existing(key), target)

    def size(self, key: str) -> int:
        return self._existing(key).stat().st_size

    def iter_bytes(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        path = self._existing(key)
        last = path.stat().st_size - 1 if end is None else end
        with path.open("rb") as handle:
            handle.seek(start)
            remaining = last - start + 1
            while remaining > 0:
                chunk = handle.read(min(CHUNK_BYTES, remaining))
                if not chunk:
                    return
                remaining -= len(chunk)
                yield chunk

    def delete(self, key: str) -> None:
        """Remove the file, then its folders that are left empty (up to the root), so deleted
        videos and closed accounts leave no empty folders behind."""
        path = self.path(key)
        path.unlink(missing_ok=True)
        folder = path.parent
        while folder != self.root and folder.is_relative_to(self.root):
            try:
                folder.rmdir()
            except OSError:  # not empty (or gone): what is above is not empty either
                return
            folder = folder.parent

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        """Walks the folder; a folder removed while it is walked is passed over, and so are
        files whose names are not keys (`.upload-...`, a write in progress)."""
        folder = self.root / check_folder(prefix)
        for parent, _folders, names in os.walk(folder):
            for name in names:
                path = Path(parent) / name
                key = path.relative_to(self.root).as_posix()
                try:
                    check_key(key)
                    modified = path.stat().st_mtime
                except (StorageError, FileNotFoundError):
                    continue
                yield StoredObject(key, datetime.fromtimestamp(modified, UTC))

    @staticmethod
    def _temporary_beside(target: Path) -> tuple[int, str]:
        """A temporary file in the target's folder, made if need be; a delete emptying that
        folder at the same moment removes it, so the folder is made again once."""
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            return tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            return tempfile.mkstemp(dir=target.parent, prefix=".upload-")

    def _existing(self, key: str) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise ObjectMissing(f"no object under {key!r}")
        return path
