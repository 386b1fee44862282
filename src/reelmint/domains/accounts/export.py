"""Your data, to take with you: one ZIP file with

- `account.json`: the account (email, name, plan, time zone), every video of yours that is not
  deleted (the API's Video object, prompt and storyboard included), your cameos, whom you
  follow and who follows you, your notifications, your API tokens (names and hints, never
  secrets) and webhook endpoints (never their signing secrets);
- `statement.csv`: every movement on your wallet, as the statement page exports it;
- `videos/<id>.mp4` and `videos/<id>.jpg`: the files of your finished videos;
- `cameos/<handle>/<n>.jpg`: the photos of your cameos.

It is written to a file first (the caller sends it and removes it), reading the database in one
transaction and then the files from storage one at a time, so memory stays small however many
videos there are.
"""

from __future__ import annotations

import json
import logging
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.db.base import unix_time
from reelmint.domains.accounts.follows import Follow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import get_user, list_api_tokens
from reelmint.storage.base import StorageError

log = logging.getLogger("reelmint.export")

FORMAT = "reelmint-export/1"
STATEMENT_ROWS = 1_000_000  # the whole statement, for any account this platform will see


def write_export(*, services: Services, user_id: str, target: Path) -> None:
    """Write `user_id`'s export to `target` (a ZIP file)."""
    with services.db.read() as db:
        user = get_user(db=db, user_id=user_id)
        document, statement, files = _gather(db, user)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("statement.csv", statement)
        missing = [name for name, key in files if not _copy(services, key, name, archive)]
        document["missing_files"] = missing  # lost from storage: the rest is still yours
        archive.writestr("account.json", json.dumps(document, indent=2, ensure_ascii=False))


def _copy(services: Services, key: str, name: str, archive: zipfile.ZipFile) -> bool:
    """Copy one stored file into the archive (stored as is: MP4 and JPEG do not compress
    further); False if storage cannot give it."""
    try:
        chunks = services.storage.iter_bytes(key)
        first = next(chunks, b"")
    except StorageError:
        log.warning("export: %s is missing from storage", key)
        return False
    with archive.open(zipfile.ZipInfo(name, _now_tuple()), "w") as out:
        out.write(first)
        for chunk in chunks:
            out.write(chunk)
    return True


def export_filename(now: datetime | None = None) -> str:
    return f"reelmint-export-{(now or datetime.now(UTC)).date().isoformat()}.zip"


def _gather(db: Session, user: User) -> tuple[dict[str, Any], str, list[tuple[str, str]]]:
    from reelmint.domains.wallet.service import statement, statement_csv

    videos, video_files = _videos(db, user)
    cameos, cameo_files = _cameos(db, user)
    document = {
        "format": FORMAT,
        "exported_at": unix_time(datetime.now(UTC)),
        "account": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "plan": user.plan,
            "timezone": user.timezone,
            "role": user.role,
            "created_at": unix_time(user.created_at),
        },
        "videos": videos,
        "cameos": cameos,
        "following": _people(db, Follow.followee_id, Follow.follower_id == user.id),
        "followers": _people(db, Follow.follower_id, Follow.followee_id == user.id),
        "notifications": list(_notifications(db, user)),
        "api_tokens": [
            {
                "name": token.name,
                "hint": token.hint,
                "created_at": unix_time(token.created_at),
                "last_used_at": unix_time(token.last_used_at),
                "revoked_at": unix_time(token.revoked_at),
            }
            for token in list_api_tokens(db=db, user=user)
        ],
        "webhooks": list(_webhooks(db, user)),
    }
    lines = statement(db=db, user=user, limit=STATEMENT_ROWS)
    return document, statement_csv(lines), video_files + cameo_files


def _videos(db: Session, user: User) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    from reelmint.domains.videos.models import Video
    from reelmint.domains.videos.schemas import VideoOut

    found = db.scalars(
        select(Video)
        .where(Video.user_id == user.id, Video.deleted_at.is_(None))
        .order_by(Video.created_at, Video.id)
    )
    videos: list[dict[str, Any]] = []
    files: list[tuple[str, str]] = []
    for video in found:
        item = VideoOut.of(video).model_dump(mode="json")
        item["storyboard"] = json.loads(video.storyboard_json or "{}")
        videos.append(item)
        if video.video_key:
            files.append((f"videos/{video.id}.mp4", video.video_key))
        if video.poster_key:
            files.append((f"videos/{video.id}.jpg", video.poster_key))
    return videos, files


def _cameos(db: Session, user: User) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    from reelmint.domains.cameos.service import cameo_json, images_of, list_own_cameos

    cameos: list[dict[str, Any]] = []
    files: list[tuple[str, str]] = []
    for cameo in list_own_cameos(db=db, user=user):
        images = images_of(db=db, cameo=cameo)
        cameos.append(cameo_json(cameo=cameo, viewer=user, images=images))
        for image in images:
            files.append((f"cameos/{cameo.handle}/{image.position}.jpg", image.storage_key))
    return cameos, files


def _people(db: Session, them: Any, mine: Any) -> list[dict[str, Any]]:
    rows = db.execute(
        select(User.id, User.display_name, Follow.created_at)
        .join(Follow, them == User.id)
        .where(mine, User.disabled_at.is_(None))
        .order_by(Follow.created_at, User.id)
    )
    return [{"id": i, "display_name": n, "since": unix_time(at)} for i, n, at in rows]


def _notifications(db: Session, user: User) -> Iterator[dict[str, Any]]:
    from reelmint.domains.notifications.models import Notification

    found = db.scalars(
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at, Notification.id)
    )
    for n in found:
        yield {
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "link": n.link,
            "created_at": unix_time(n.created_at),
            "read_at": unix_time(n.read_at),
        }


def _webhooks(db: Session, user: User) -> Iterator[dict[str, Any]]:
    from reelmint.domains.webhooks.service import list_endpoints

    for endpoint in list_endpoints(db=db, actor=user):
        yield {
            "id": endpoint.id,
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.event_list,
            "created_at": unix_time(endpoint.created_at),
        }


def _now_tuple() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)
