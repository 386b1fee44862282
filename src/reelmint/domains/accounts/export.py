"""Your data, to take with you: one ZIP file with

- `account.json`: the account (email and when it was confirmed, name, plan, time zone), every
  video of yours that is not deleted (the API's Video object, prompt and storyboard included),
  your cameos (with whom you approved to use them and every video that used them), whom you
  follow and who follows you, whom you blocked, your notifications, your API tokens (names
  and hints, never secrets), the browsers you signed in with (when first and last, never their
  cookies), the sessions signed in now (each browser's User-Agent, never the cookie) and
  webhook endpoints (never their signing secrets);
- `statement.csv`: every movement on your wallet, as the statement page exports it;
- `videos/<id>.mp4` and `videos/<id>.jpg`: the files of your finished videos, and
  `videos/<id>-reference.<png|jpg|webp>`: the reference image you made one from;
- `cameos/<handle>/<n>.jpg`: the photos of your cameos.

`account.json` also lists the videos you like, your purchases of credits (every one, test
money marked), your payouts (and those you asked for on an organisation's behalf), the
organisations you belong to with your role, the rights holders' claims on your videos, and
your reports of others' videos to the moderators (category, note, status, dates).

It is written to a file in the data folder's `exports/` first (the caller sends it and removes
it; housekeeping removes any left behind after an hour), reading the database and then the
files from storage one at a time, so memory stays small however many videos there are. One
export per user runs at a time, and at most `MAX_EXPORTS_AT_ONCE`, across all the processes of
a host (file locks in `locks/exports/`; 429 `export_in_progress` / `exports_busy`). A file
missing from storage is listed in `missing_files`; storage that cannot be reached fails the
export (503 `storage_unavailable`).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.db.base import unix_time
from reelmint.domains.accounts.blocks import blocks_of
from reelmint.domains.accounts.devices import devices_of
from reelmint.domains.accounts.follows import Follow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import get_user, list_api_tokens, live_web_sessions
from reelmint.domains.feed.likes import likes_of
from reelmint.errors import TooManyRequests, Unavailable
from reelmint.storage.base import ObjectMissing, reachable

log = logging.getLogger("reelmint.export")

FORMAT = "reelmint-export/1"
STATEMENT_ROWS = 1_000_000  # the whole statement, for any account this platform will see
MAX_EXPORTS_AT_ONCE = 2
KEEP_SECONDS = 3600  # an export file older than this was not sent: housekeeping removes it


def exports_dir(services: Services) -> Path:
    folder = services.settings.data_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def export_slot(services: Services, user_id: str) -> Iterator[None]:
    """Hold an export slot for `user_id` (429 `export_in_progress` when they have an export
    running already, `exports_busy` when `MAX_EXPORTS_AT_ONCE` are running). The slots are
    locks on files in the data folder's `locks/exports/`, so they hold across every process
    of this host (`reelmint up --workers N`), not only this one; a process that dies lets go
    of its locks with it."""
    locks = services.settings.data_dir / "locks" / "exports"
    locks.mkdir(parents=True, exist_ok=True)
    mine = _try_lock(locks / f"user-{user_id}.lock")
    if mine is None:
        raise TooManyRequests(
            "your data is being exported already; wait for that download",
            code="export_in_progress",
        )
    try:
        slot = _free_slot(locks)
        if slot is None:
            raise TooManyRequests(
                "the server is exporting other accounts' data; try again in a minute",
                code="exports_busy",
                retry_after=60,
            )
        try:
            yield
        finally:
            os.close(slot)
    finally:
        os.close(mine)


def _free_slot(locks: Path) -> int | None:
    for n in range(MAX_EXPORTS_AT_ONCE):
        held = _try_lock(locks / f"slot-{n}.lock")
        if held is not None:
            return held
    return None


def _try_lock(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on `path`, or None if another holds it."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    return handle


def remove_old_exports(services: Services, now: float | None = None) -> int:
    """Remove export files older than `KEEP_SECONDS` (a download cut off before its cleanup);
    how many."""
    cutoff = (now if now is not None else time.time()) - KEEP_SECONDS
    removed = 0
    for path in exports_dir(services).glob("reelmint-export-*.zip"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


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
    further); False if storage no longer has it."""
    reads = _reads(services, key)
    try:
        first = next(reads, b"")
    except ObjectMissing:
        log.warning("export: %s is missing from storage", key)
        return False
    entry = zipfile.ZipInfo(name, _now_tuple())
    with archive.open(entry, "w", force_zip64=True) as out:
        out.write(first)
        for chunk in reads:
            out.write(chunk)
    return True


_UNREACHABLE = "your data cannot be exported now"


def _reads(services: Services, key: str) -> Iterator[bytes]:
    """The stored file's chunks, each read as `reachable`: storage failing mid-file is a 503
    too (the export fails whole), and so is a file that vanishes once its copy has begun. A
    file missing from the start raises `ObjectMissing` at the first chunk."""
    with reachable(_UNREACHABLE):  # S3's iter_bytes asks for the object at the call
        chunks = services.storage.iter_bytes(key)
        chunk: bytes | None = next(chunks, b"")
    while chunk is not None:
        yield chunk
        try:
            with reachable(_UNREACHABLE):
                chunk = next(chunks, None)
        except ObjectMissing:
            raise Unavailable(
                "a file changed while your data was being exported; try again",
                code="storage_unavailable",
            ) from None


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
            "email_confirmed_at": unix_time(user.email_confirmed_at),
            "pending_email": user.pending_email,
            "email_change_stopped_at": unix_time(user.email_change_stopped_at),
            "display_name": user.display_name,
            "plan": user.plan,
            "timezone": user.timezone,
            "notify_social": user.notify_social,
            "role": user.role,
            "created_at": unix_time(user.created_at),
        },
        "videos": videos,
        "cameos": cameos,
        "following": _people(db, Follow.followee_id, Follow.follower_id == user.id),
        "followers": _people(db, Follow.follower_id, Follow.followee_id == user.id),
        "blocked": [
            {"id": i, "display_name": n, "since": unix_time(at)}
            for i, n, at in blocks_of(db=db, user_id=user.id)
        ],
        "likes": [
            {"video_id": video_id, "since": unix_time(at)}
            for video_id, at in likes_of(db=db, user_id=user.id)
        ],
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
        "browsers": [
            {
                "signed_in_first": unix_time(device.created_at),
                "signed_in_last": unix_time(device.last_used_at),
                "wrong_passwords": device.failed_logins,
            }
            for device in devices_of(db=db, user_id=user.id)
        ],
        "sessions": [
            {
                "user_agent": session.user_agent,
                "signed_in_at": unix_time(session.created_at),
                "last_seen_at": unix_time(session.last_seen_at),
                "expires_at": unix_time(session.expires_at),
            }
            for session in live_web_sessions(db=db, user=user)
        ],
        "webhooks": list(_webhooks(db, user)),
        "purchases": list(_purchases(db, user)),
        "payouts": list(_payouts(db, user)),
        "memberships": list(_memberships(db, user)),
        "invitations": _invitations(db, user),
        "claims": _claims(db, user),
        "reports": _reports(db, user),
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
        videos.append(VideoOut.of(video).model_dump(mode="json"))
        if video.video_key:
            files.append((f"videos/{video.id}.mp4", video.video_key))
        if video.poster_key:
            files.append((f"videos/{video.id}.jpg", video.poster_key))
        if video.input_reference_key:  # inputs/<id>/reference.<ext>: the checked type's
            extension = video.input_reference_key.rsplit(".", 1)[-1]
            files.append((f"videos/{video.id}-reference.{extension}", video.input_reference_key))
    return videos, files


def _cameos(db: Session, user: User) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """Each cameo as the API shows it to its owner, with whom they approved to use it and
    every video that used it (the `/uses` list, whoever made them); and its photos."""
    from reelmint.domains.cameos.service import approved_of, cameo_json, images_of, list_own_cameos

    cameos: list[dict[str, Any]] = []
    files: list[tuple[str, str]] = []
    for cameo in list_own_cameos(db=db, user=user):
        images = images_of(db=db, cameo=cameo)
        entry = cameo_json(cameo=cameo, viewer=user, images=images)
        entry["approved_users"] = [
            {"id": person.id, "display_name": person.display_name}
            for person in approved_of(db=db, cameo=cameo)
        ]
        entry["uses"] = list(_uses(db, cameo))
        cameos.append(entry)
        if cameo.status != "active":
            continue  # a revoked cameo's photos were deleted with it
        for image in images:
            files.append((f"cameos/{cameo.handle}/{image.position}.jpg", image.storage_key))
    return cameos, files


def _uses(db: Session, cameo: Any) -> Iterator[dict[str, Any]]:
    from reelmint.domains.cameos.service import MAX_USES_PAGE, use_json, uses_of_cameo

    after = None
    while True:
        page = uses_of_cameo(db=db, cameo=cameo, after=after, limit=MAX_USES_PAGE)
        yield from (use_json(use) for use in page.uses)
        if not page.has_more or not page.uses:
            return
        after = page.uses[-1].video_id


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
    from reelmint.domains.notifications.schemas import NotificationOut

    for notification in _owned(db, Notification, user):
        yield NotificationOut.of(notification).model_dump(mode="json")


def _webhooks(db: Session, user: User) -> Iterator[dict[str, Any]]:
    from reelmint.domains.webhooks.schemas import WebhookEndpointOut
    from reelmint.domains.webhooks.service import list_endpoints

    for endpoint in list_endpoints(db=db, actor=user):  # never its signing secret
        yield WebhookEndpointOut.of(endpoint).model_dump(mode="json", exclude={"secret"})


def _owned(db: Session, model: Any, user: User) -> Iterator[Any]:
    """`user`'s rows of `model`, oldest first."""
    return iter(
        db.scalars(
            select(model).where(model.user_id == user.id).order_by(model.created_at, model.id)
        )
    )


def _purchases(db: Session, user: User) -> Iterator[dict[str, Any]]:
    from reelmint.domains.payments.models import Purchase
    from reelmint.domains.payments.schemas import PurchaseOut

    for purchase in _owned(db, Purchase, user):
        yield PurchaseOut.of(purchase).model_dump(mode="json")


def _payouts(db: Session, user: User) -> Iterator[dict[str, Any]]:
    from reelmint.domains.payouts.api import PayoutOut
    from reelmint.domains.payouts.models import Payout

    mine = (Payout.payee_kind == "creator") & (Payout.payee_id == user.id)
    found = db.scalars(
        select(Payout)
        .where(mine | (Payout.requested_by == user.id))
        .order_by(Payout.created_at, Payout.id)
    )
    for payout in found:
        yield PayoutOut.of(payout).model_dump(mode="json")


def _memberships(db: Session, user: User) -> Iterator[dict[str, Any]]:
    from reelmint.domains.accounts.models import Membership, Organisation

    rows = db.execute(
        select(Organisation, Membership.role, Membership.created_at)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.created_at, Organisation.id)
    )
    for organisation, role, since in rows:
        yield {
            "organisation_id": organisation.id,
            "name": organisation.name,
            "slug": organisation.slug,
            "kind": organisation.kind,
            "role": role,
            "since": unix_time(since),
        }


def _invitations(db: Session, user: User) -> list[dict[str, Any]]:
    """The open invitations to organisations, as `GET /v1/invitations` shows them."""
    from reelmint.domains.accounts.invitations import my_invitations
    from reelmint.domains.accounts.invitations_api import InvitationOut

    found = my_invitations(db=db, actor=user)
    return [InvitationOut.of(i).model_dump(mode="json") for i in found]


def _claims(db: Session, user: User) -> list[dict[str, Any]]:
    """Rights holders' claims on your videos (deleted ones included: a claim outlives them)."""
    from reelmint.domains.rights.claims import claims_json
    from reelmint.domains.rights.models import Claim
    from reelmint.domains.videos.models import Video

    found = db.scalars(
        select(Claim)
        .join(Video, Video.id == Claim.video_id)
        .where(Video.user_id == user.id)
        .order_by(Claim.created_at, Claim.id)
    )
    return claims_json(db=db, claims=list(found))


def _reports(db: Session, user: User) -> list[dict[str, Any]]:
    """Your reports of videos, as the API shows them to you (never who resolved them)."""
    from reelmint.domains.videos.reports import report_json, reports_by

    return [report_json(report) for report in reports_by(db=db, user=user)]


def _now_tuple() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)
