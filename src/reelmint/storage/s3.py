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
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from reelmint.errors import BadRequest
from reelmint.storage.base import (
    CHUNK_BYTES,
    ObjectMissing,
    Storage,
    StorageError,
    StoredObject,
    check_folder,
    check_key,
)

if TYPE_CHECKING:
    from reelmint.config import Settings

_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
_NO_BUCKET_CODES = frozenset({"404", "NoSuchBucket", "NotFound"})
_DENIED_CODES = frozenset({"403", "AccessDenied", "Forbidden"})
PROBE_KEY = "reelmint-start-check"
"""Written and removed again under the prefix at start when HeadBucket is denied (below)."""
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
                # Bounded, so storage that does not answer is a StorageError (a 503) within
                # seconds, not after 60 s a read (botocore's default) times 6 tries.
                connect_timeout=settings.s3_connect_timeout_seconds,
                read_timeout=settings.s3_read_timeout_seconds,
                retries={"mode": "standard", "total_max_attempts": settings.s3_max_attempts},
            ),
        )
        return cls(client=client, bucket=settings.s3_bucket, prefix=settings.s3_prefix)

    def check(self) -> None:
        """Refuse, in one line, a bucket this store cannot use: one that does not exist,
        credentials S3 refuses or that are missing, an endpoint that does not answer.

        HeadBucket first. A 403 there may only mean the credentials may not list the bucket
        (a policy for one prefix), so then a probe object is written and removed under the
        prefix, which is what the platform needs to do; its refusal is final.
        """
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as error:
            code = _error_code(error)
            if code in _NO_BUCKET_CODES:
                raise StorageError(
                    f"S3 bucket {self.bucket!r} does not exist{self._at()}; create it, or set "
                    "REELMINT_S3_BUCKET to one that does"
                ) from None
            if code not in _DENIED_CODES:
                raise self._refused(code) from None
        except (NoCredentialsError, PartialCredentialsError):
            raise StorageError(
                "no S3 credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                "(or AWS_PROFILE, or give the host an instance role)"
            ) from None
        except BotoCoreError as error:
            raise self._unreachable(error) from None
        self._probe_write()

    def _probe_write(self) -> None:
        """Write and remove PROBE_KEY: StorageError if S3 refuses either."""
        name = self.object_key(PROBE_KEY)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=b"")
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            code = _error_code(error)
            if code in _DENIED_CODES or code in _CREDENTIAL_CODES:
                where = f" under {self.prefix!r}" if self.prefix else ""
                raise StorageError(
                    f"access denied to S3 bucket {self.bucket!r}{self._at()} ({code}): check "
                    f"the credentials, and that they may read, write and delete objects{where}"
                ) from None
            raise self._refused(code) from None
        except BotoCoreError as error:
            raise self._unreachable(error) from None

    def _at(self) -> str:
        endpoint = getattr(self.client.meta, "endpoint_url", None)
        return f" at {endpoint}" if endpoint else ""

    def _refused(self, code: str) -> StorageError:
        return StorageError(
            f"S3 refused bucket {self.bucket!r}{self._at()} ({code}): check REELMINT_S3_BUCKET, "
            "REELMINT_S3_REGION and the credentials"
        )

    def _unreachable(self, error: BotoCoreError) -> StorageError:
        reason = " ".join(str(error).split())  # one line
        return StorageError(
            f"the S3 endpoint{self._at()} cannot be reached ({reason}); check "
            "REELMINT_S3_ENDPOINT_URL and that the service is up"
        )

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

    def list_objects(self, prefix: str) -> Iterator[StoredObject]:
        """ListObjectsV2 under the prefix, a page (1,000 keys) at a time."""
        folder = check_folder(prefix)
        pages = self.client.get_paginator("list_objects_v2")
        with _errors(folder):
            for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix + folder):
                for item in page.get("Contents", []):
                    key = str(item["Key"])[len(self.prefix) :]
                    if _is_key(key):
                        yield StoredObject(key, item["LastModified"])


def _is_key(name: str) -> bool:
    try:
        check_key(name)
    except StorageError:
        return False
    return True


def _normal_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def _stream(body: Any, key: str) -> Iterator[bytes]:
    try:
        with _errors(key):
            yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()


_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken"}
)


def _error_code(error: ClientError) -> str:
    """S3's error code (a bare HTTP status for HEAD requests, which have no body)."""
    return str(error.response.get("Error", {}).get("Code", "")) or "no code"


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
