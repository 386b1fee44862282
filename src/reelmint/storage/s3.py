"""Objects in an S3-compatible bucket (AWS, MinIO, R2, Ceph...), through boto3.

The same contract as LocalStorage: keys are checked the same way (and live under an optional
prefix), a missing object is ObjectMissing, byte ranges are ranged GETs streamed in chunks,
and large uploads go up in parts (boto3's managed transfer) without being read into memory.
Credentials come from boto3's usual chain (environment, shared config, instance roles), never
from reelmint's settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reelmint.errors import BadRequest
from reelmint.storage.base import CHUNK_BYTES, ObjectMissing, Storage, StorageError, check_key

if TYPE_CHECKING:
    from reelmint.config import Settings

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_INVALID_RANGE = "InvalidRange"


class S3Storage(Storage):
    """Objects under `prefix` in `bucket`, reached with a boto3 S3 client (thread-safe)."""

    def __init__(
        self,
        *,
        client: Any,
        bucket: str,
        prefix: str = "",
        transfer_config: TransferConfig | None = None,
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = _normal_prefix(prefix)
        self._transfer_config = transfer_config

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        """The bucket the settings name; refuses to start without one."""
        if not settings.s3_bucket:
            raise BadRequest(
                "configuration REELMINT_S3_BUCKET: storage=s3 needs a bucket name",
                code="invalid_config",
            )
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=settings.s3_endpoint_url,
            region_name=settings.s3_region,
            # Path-style addressing works with every S3-compatible server, not only AWS.
            config=Config(
                s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
                retries={"mode": "standard", "max_attempts": 5},
            ),
        )
        return cls(client=client, bucket=settings.s3_bucket, prefix=settings.s3_prefix)

    def object_key(self, key: str) -> str:
        """The bucket key of `key`: checked, then under the prefix."""
        return self.prefix + check_key(key)

    def put_file(self, key: str, source: Path, *, content_type: str) -> int:
        name = self.object_key(key)
        size = source.stat().st_size
        extra: dict[str, Any] = {"ExtraArgs": {"ContentType": content_type}}
        if self._transfer_config is not None:
            extra["Config"] = self._transfer_config
        with _errors(key):
            self.client.upload_file(str(source), self.bucket, name, **extra)
        return size

    def download(self, key: str, target: Path) -> None:
        name = self.object_key(key)
        with _errors(key):
            self.client.download_file(self.bucket, name, str(target))

    def size(self, key: str) -> int:
        name = self.object_key(key)
        with _errors(key):
            head = self.client.head_object(Bucket=self.bucket, Key=name)
        return int(head["ContentLength"])

    def iter_bytes(self, key: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        name = self.object_key(key)
        arguments: dict[str, Any] = {"Bucket": self.bucket, "Key": name}
        if start > 0 or end is not None:
            arguments["Range"] = f"bytes={start}-{'' if end is None else end}"
        try:
            with _errors(key):
                response = self.client.get_object(**arguments)
        except _RangeBeyondEnd:
            return iter(())  # like reading a file past its end: nothing
        return _stream(response["Body"], key)

    def delete(self, key: str) -> None:
        name = self.object_key(key)
        with _errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=name)


def _normal_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def _stream(body: Any, key: str) -> Iterator[bytes]:
    try:
        with _errors(key):
            yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


class _RangeBeyondEnd(StorageError):
    """A range starting past the object's end (S3 answers 416)."""


@contextmanager
def _errors(key: str) -> Iterator[None]:
    """Turn boto errors into StorageError (ObjectMissing for a missing object)."""
    try:
        yield
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code in _MISSING_CODES:
            raise ObjectMissing(f"no object under {key!r}") from None
        if code == _INVALID_RANGE:
            raise _RangeBeyondEnd(f"range beyond the end of {key!r}") from None
        raise StorageError(f"storage refused {key!r}: {code or error}") from error
    except BotoCoreError as error:
        raise StorageError(f"storage unreachable for {key!r}: {error}") from error
    except Boto3Error as error:  # managed transfers wrap the client's error (upload_file)
        raise StorageError(f"storage refused {key!r}: {error}") from error
