"""Idempotency keys: a retried POST returns the first response instead of doing the work twice.

A client that sends `Idempotency-Key: K` with a POST may retry it safely (after a timeout or a
dropped connection): the first successful response is stored under (user, K) and every retry
with the same request gets it back, with `Idempotent-Replayed: true`. The same key with a
different request (method, path, body, uploaded file) is refused with 409
`idempotency_key_reused`, because answering it with the first response would be a lie.

Why it is safe under crashes and races:
- The record is written in the SAME transaction as the work (the job insert, the cancel), so
  no crash can leave a job without its record, or a record without its job.
- (user_id, key) is unique. Two concurrent requests with one key both do the work in their own
  transaction; the database lets only one record in (SQLite serialises writers; PostgreSQL
  makes the second insert wait for the first transaction and then fail), the loser's whole
  transaction rolls back (its job too), and it answers with the winner's stored response.
- Only successful responses are stored: a refused request changes nothing, so retrying it
  simply runs the checks again.

Keys are per user and records expire after `RECORD_TTL` (24 hours): an expired record is
ignored (and replaced) and `purge_expired_records` removes old ones; housekeeping calls it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from reelmint.bootstrap import Services
from reelmint.db.base import Base, CreatedAt, new_id, utcnow
from reelmint.errors import BadRequest, Conflict

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
RECORD_TTL = timedelta(hours=24)
MAX_KEY_CHARS = 255


class IdempotencyRecord(CreatedAt, Base):
    """The first response to a POST made with an Idempotency-Key, kept for RECORD_TTL."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),)

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("idem"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_CHARS))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(
        String(64), doc="SHA-256 of the method, path and body (uploaded files by their hash)."
    )
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text, doc="The JSON body that was sent.")
    expires_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True)
class StoredResponse:
    """A response worth replaying: its status and JSON body."""

    status_code: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """What an idempotent call answered, and whether it was a replay of an earlier one."""

    response: StoredResponse
    replayed: bool


Record = Callable[[Session, StoredResponse], None]
"""Called by the work, inside its write transaction, with the response it will give."""


def check_idempotency_key(raw: str | None) -> str | None:
    """The key from the header (None when absent); 400 `invalid_idempotency_key` if malformed."""
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_KEY_CHARS or not all(" " <= ch <= "~" for ch in raw):
        raise BadRequest(
            f"the {IDEMPOTENCY_HEADER} header must be 1 to {MAX_KEY_CHARS} printable ASCII "
            "characters, such as a UUID",
            code="invalid_idempotency_key",
            param=IDEMPOTENCY_HEADER,
        )
    return raw


def fingerprint(
    *, method: str, path: str, body: Mapping[str, Any], file_sha256: str | None = None
) -> str:
    """A stable hash of what a request asks for (key order and multipart boundaries aside)."""
    canonical = json.dumps(
        {"method": method.upper(), "path": path, "body": body, "file": file_sha256},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def find_replay(
    *, db: Session, user_id: str, key: str, fingerprint: str, now: datetime | None = None
) -> StoredResponse | None:
    """The stored response for this key, None if there is none (or it expired).

    Raises 409 `idempotency_key_reused` when the key was used for a different request.
    """
    record = db.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if record is None or record.expires_at <= (now or utcnow()):
        return None
    if record.fingerprint != fingerprint:
        raise Conflict(
            f"the {IDEMPOTENCY_HEADER} {key[:60]!r} was already used for a different request "
            f"({record.method} {record.path}); use a new key for a new request",
            code="idempotency_key_reused",
            param=IDEMPOTENCY_HEADER,
        )
    return StoredResponse(record.status_code, json.loads(record.response_body))


def save_response(
    *,
    db: Session,
    user_id: str,
    key: str,
    fingerprint: str,
    method: str,
    path: str,
    response: StoredResponse,
) -> None:
    """Store the response in the caller's transaction; IntegrityError if the key is taken."""
    now = utcnow()
    db.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at <= now,
        )
    )
    db.add(
        IdempotencyRecord(
            user_id=user_id,
            key=key,
            method=method.upper(),
            path=path[:300],
            fingerprint=fingerprint,
            status_code=response.status_code,
            response_body=json.dumps(response.body, separators=(",", ":")),
            created_at=now,
            expires_at=now + RECORD_TTL,
        )
    )
    db.flush()


def purge_expired_records(*, db: Session, now: datetime | None = None) -> int:
    """Delete records past their expiry; returns how many. Safe to call from any worker."""
    result = db.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= (now or utcnow()))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def run_idempotent(
    *,
    services: Services,
    user_id: str,
    key: str | None,
    method: str,
    path: str,
    request_fingerprint: str,
    work: Callable[[Record], StoredResponse],
) -> Outcome:
    """Do `work` at most once per (user, key, request); replay its response otherwise.

    `work` must call the `Record` it is given inside its write transaction, with the response
    it returns, so that the response is stored exactly when the work commits.
    """
    if key is None:
        return Outcome(work(_record_nothing), replayed=False)
    replay = _lookup(services, user_id, key, request_fingerprint)
    if replay is not None:
        return Outcome(replay, replayed=True)

    def record(db: Session, response: StoredResponse) -> None:
        save_response(
            db=db,
            user_id=user_id,
            key=key,
            fingerprint=request_fingerprint,
            method=method,
            path=path,
            response=response,
        )

    try:
        return Outcome(work(record), replayed=False)
    except IntegrityError:
        # A concurrent request with this key committed first; our transaction rolled back.
        replay = _lookup(services, user_id, key, request_fingerprint)
        if replay is None:
            raise
        return Outcome(replay, replayed=True)


def _lookup(
    services: Services, user_id: str, key: str, request_fingerprint: str
) -> StoredResponse | None:
    with services.db.read() as db:
        return find_replay(db=db, user_id=user_id, key=key, fingerprint=request_fingerprint)


def _record_nothing(db: Session, response: StoredResponse) -> None:
    """The `Record` of a request without a key."""
