"""Where videos live: a local folder by default, an S3-compatible bucket at scale."""

from reelmint.storage.base import Storage, StorageError, check_key

__all__ = ["Storage", "StorageError", "check_key"]
