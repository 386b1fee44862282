"""The file sweep: stored files that no row refers to any more are removed.

Files are written before the transaction that records them commits, and removed only after
the transaction that lets go of them has committed, so that no row ever names a missing file.
The price is garbage when a process dies or the storage fails in between: a worker killed
after storing a run it never recorded, a refused request whose clean-up could not reach the
storage, a deleted video or revoked cameo whose files could not be removed then. A revoked
likeness or a deleted video must not stay stored, so the sweep lists the platform's folders
and removes what nothing refers to:

- `videos/<video>/<run>/...` and `inputs/<video>/...`: kept while they are the files of a
  video that is not deleted (its MP4, poster, spritesheet and reference image), or belong to
  a run that has not ended (a worker is writing them);
- `cameos/<cameo>/...`: kept while they are an active cameo's images;
- `characters/<character>/...`: kept while they are the images of a character not retired.

Files younger than `min_age` are always kept: they may belong to a transaction still under
way. Other folders (anything an operator keeps beside the platform's) are never listed.
Housekeeping runs the sweep every `REELMINT_FILE_SWEEP_HOURS`; `reelmint admin storage sweep`
runs it at once and can say what it would remove without removing it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.db.base import utcnow
from reelmint.domains.cameos.models import Cameo, CameoImage
from reelmint.domains.rights.models import Character, CharacterImage
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.videos.service import spritesheet_key
from reelmint.storage.base import StorageError

log = logging.getLogger("reelmint.file_sweep")

FOLDERS = ("videos/", "inputs/", "cameos/", "characters/")
MIN_AGE = timedelta(hours=24)
BATCH = 500
"""Keys looked up in the database at a time."""


@dataclass
class SweepReport:
    """What a sweep found: how many files it listed, which it removed (or, on a dry run,
    would remove), which it could not remove, and how many it kept for being young."""

    listed: int = 0
    young: int = 0
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def sweep_files(
    services: Services,
    *,
    now: datetime | None = None,
    min_age: timedelta = MIN_AGE,
    dry_run: bool = False,
) -> SweepReport:
    """List the platform's folders and remove the files no row refers to (see the module).
    StorageError if the storage cannot be listed; a file that cannot be removed is reported
    in `failed` and left for the next sweep."""
    report = SweepReport()
    for key in unreferenced_files(services, report, now=now or utcnow(), min_age=min_age):
        if dry_run:
            report.removed.append(key)
            continue
        try:
            services.storage.delete(key)
        except (StorageError, OSError) as error:
            log.warning("file sweep: %s could not be removed: %s", key, error)
            report.failed.append(key)
        else:
            report.removed.append(key)
    if report.removed and not dry_run:
        log.info("file sweep: removed %d files no row refers to", len(report.removed))
    return report


def unreferenced_files(
    services: Services, report: SweepReport, *, now: datetime, min_age: timedelta
) -> Iterator[str]:
    """The keys under FOLDERS older than `min_age` that no row refers to, a batch at a time;
    counts what it lists in `report`."""
    for folder in FOLDERS:
        batch: list[str] = []
        for stored in services.storage.list_objects(folder):
            report.listed += 1
            if now - stored.modified < min_age:
                report.young += 1
                continue
            batch.append(stored.key)
            if len(batch) >= BATCH:
                yield from _unreferenced(services, folder, batch)
                batch = []
        if batch:
            yield from _unreferenced(services, folder, batch)


def _unreferenced(services: Services, folder: str, keys: list[str]) -> list[str]:
    owners = {_owner(key) for key in keys}
    with services.db.read() as db:
        if folder == "cameos/":
            kept = _cameo_files(db, owners)
            return [key for key in keys if key not in kept]
        if folder == "characters/":
            kept = _character_files(db, owners)
            return [key for key in keys if key not in kept]
        kept, writing = _video_files(db, owners)
    return [key for key in keys if key not in kept and not key.startswith(writing)]


def _owner(key: str) -> str:
    """The id a key is filed under: `videos/<id>/...` -> `<id>`."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 else ""


def _video_files(db: Session, video_ids: Iterable[str]) -> tuple[set[str], tuple[str, ...]]:
    """The files of these videos that are in use, and the folders of their unended runs."""
    ids = list(video_ids)
    kept: set[str] = set()
    for video in db.scalars(select(Video).where(Video.id.in_(ids), Video.deleted_at.is_(None))):
        named = (video.video_key, video.poster_key, spritesheet_key(video))
        kept.update(key for key in (*named, video.input_reference_key) if key)
    runs = db.execute(
        select(VideoRun.video_id, VideoRun.id).where(
            VideoRun.video_id.in_(ids), VideoRun.ended_at.is_(None)
        )
    )
    writing = tuple(f"videos/{video_id}/{run_id}/" for video_id, run_id in runs)
    return kept, writing


def _cameo_files(db: Session, cameo_ids: Iterable[str]) -> set[str]:
    return set(
        db.scalars(
            select(CameoImage.storage_key)
            .join(Cameo, Cameo.id == CameoImage.cameo_id)
            .where(CameoImage.cameo_id.in_(list(cameo_ids)), Cameo.status == "active")
        )
    )


def _character_files(db: Session, character_ids: Iterable[str]) -> set[str]:
    return set(
        db.scalars(
            select(CharacterImage.storage_key)
            .join(Character, Character.id == CharacterImage.character_id)
            .where(
                CharacterImage.character_id.in_(list(character_ids)),
                Character.retired_at.is_(None),
            )
        )
    )
