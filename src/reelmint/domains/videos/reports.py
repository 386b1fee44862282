"""Reports: users flag a public video to the moderators, who dismiss the report or take the
video down.

- A signed-in user with an open account may report a public video of someone else (published,
  not deleted, taken down or blocked by a claim, its creator neither suspended nor blocking
  the reporter: otherwise 404 `video_not_found`, as the API says of every video it does not
  show them; their own: 403 `cannot_report_own_video`), in one of `REPORT_CATEGORIES` and
  with an optional note (one line of plain text). A video's first open report is announced
  to the administrators in the app (`_tell_moderators`).
- One open report per reporter and video (a partial unique index): reporting it again while
  theirs is open returns that report unchanged (`Filed.created` False, the API's 200 instead of
  201), so a retry or a second click files nothing twice. Once resolved, they may report it
  again.
- At most `report_daily_limit` new reports per reporter in any 24 hours (429
  `report_limit_reached`, saying when they can report again). The reporter's row is locked
  while a report is filed, so parallel requests neither pass the limit nor file twice.
- Administrators only (403 `admin_only`) list the open reports, grouped by video (most reported
  first, then the newest report), and dismiss one, or every open one of its video, with a
  reason its reporter reads. Taking the video down (`moderation.take_down_video`) marks its
  open reports `actioned`. Either way each reporter is told in the app; the video's owner is
  never told who reported it (nothing here writes to them).

- A creator who deletes a reported video before review closes its open reports as `deleted`
  (each reporter told), not as dismissed: deleting and posting again must not wipe the slate.
  Every video in the queue carries its creator's record (`CreatorRecord`: videos taken down,
  videos deleted while reported, reports dismissed, reports in all), and `reports_against`
  lists every report of a creator's videos, deleted ones included, newest first.

Lock order: the video row, then its reports (take-down and dismissal alike); filing takes the
reporter's row, then a KEY SHARE lock on the video, which a take-down (FOR UPDATE) waits for
and which waits for a take-down: a report is either filed before the take-down (and actioned
by it) or sees the video taken down. A deleted video's row stays (deletion is a mark), and so
do its reports. A closed reporter's reports stay, their notes blanked
(`forget_reporter_notes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import ID_SHAPE, unix_time, utcnow
from reelmint.db.paging import (
    after_cursor,
    check_limit,
    cursor_at,
    invalid_cursor,
    parse_cursor,
    position_after,
)
from reelmint.domains.accounts.blocks import blocks
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import Operator, require_admin, require_open
from reelmint.domains.rights.claims import is_blocked
from reelmint.domains.videos.models import REPORT_CATEGORIES, Video, VideoReport
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests
from reelmint.terminal import one_line

MAX_NOTE_CHARS = 500
MAX_REASON_CHARS = 500
MAX_QUEUE_PAGE = 100
REPORTS_SHOWN_PER_VIDEO = 20  # the newest open reports of a video the queue shows in full
LIMIT_WINDOW = timedelta(hours=24)

CATEGORY_WORDS: dict[str, str] = {
    "rights": "uses someone's copyrighted work or character",
    "likeness": "shows a real person without their consent",
    "sexual": "sexual content",
    "violence": "violence or gore",
    "harassment": "harassment or hate",
    "spam": "spam or misleading",
    "other": "something else",
}


@dataclass(frozen=True)
class Filed:
    """A report as filing left it: `created` False when the reporter's open report of the
    video was there already (returned unchanged)."""

    report: VideoReport
    created: bool


# --- filing -----------------------------------------------------------------------------------


def report_video(
    *,
    db: Session,
    settings: Settings,
    actor: User,
    video_id: str,
    category: str,
    note: str = "",
    now: datetime | None = None,
) -> Filed:
    """Report `video_id` to the moderators (see the module). 400 `invalid_category`,
    `invalid_note`; 404 `video_not_found`; 403 `cannot_report_own_video`; 409
    `account_closed`; 429 `report_limit_reached`."""
    category = checked_category(category)
    words = checked_note(note)
    now = now or utcnow()
    reporter = _lock_reporter(db, actor)
    video = _reportable_video(db, reporter, video_id)
    existing = open_report_of(db=db, video_id=video.id, reporter_id=reporter.id)
    if existing is not None:
        return Filed(report=existing, created=False)
    _check_daily_limit(db, settings, reporter, now)
    report = VideoReport(
        video_id=video.id, reporter_id=reporter.id, category=category, note=words, created_at=now
    )
    db.add(report)
    db.flush()
    _tell_moderators(db, report, video)
    return Filed(report=report, created=True)


def _tell_moderators(db: Session, report: VideoReport, video: Video) -> None:
    """The administrators hear, in the app, of a video's first open report (later ones
    join it in the queue unannounced, so a pile-on is one notice). Not the reporter's
    name: the queue shows it."""
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.videos.service import prompt_label

    others = select(func.count(VideoReport.id)).where(
        VideoReport.video_id == video.id, VideoReport.status == "open", VideoReport.id != report.id
    )
    if db.scalar(others):
        return
    admins = select(User).where(
        User.role == "admin", User.disabled_at.is_(None), User.suspended_at.is_(None)
    )
    for admin in db.scalars(admins.order_by(User.id)):
        if admin.id == report.reporter_id:
            continue  # they know
        notify(
            db=db,
            user=admin,
            kind="video_reported",
            title="A video was reported",
            body=f"“{prompt_label(video)}” was reported ({CATEGORY_WORDS[report.category]}). "
            "It waits in the Reports queue.",
            link="/operator/reports",
            email=False,
            key=f"video_reported:{report.id}:{admin.id}",
        )


def checked_category(category: str) -> str:
    """400 `invalid_category` unless `category` is one of `REPORT_CATEGORIES`."""
    if category not in REPORT_CATEGORIES:
        raise BadRequest(
            f"category {str(category)[:40]!r} is not one of {', '.join(REPORT_CATEGORIES)}; "
            "pick the one closest to what is wrong (other: anything else, said in the note)",
            code="invalid_category",
            param="category",
        )
    return category


def checked_note(note: str) -> str:
    """The note on one line (runs of blanks and line breaks become one space), at most
    `MAX_NOTE_CHARS`, empty allowed: 400 `invalid_note` when too long or with a control or
    invisible character (moderators read it, and a hidden character could disguise it)."""
    return _one_line(note, param="note", code="invalid_note", limit=MAX_NOTE_CHARS, least=0)


def checked_reason(reason: str) -> str:
    """A dismissal's reason: 1-`MAX_REASON_CHARS` characters of plain text on one line (its
    reporter reads it): 400 `invalid_reason`."""
    return _one_line(reason, param="reason", code="invalid_reason", limit=MAX_REASON_CHARS)


def _one_line(text: str, *, param: str, code: str, limit: int, least: int = 1) -> str:
    what = "say why the report is dismissed" if param == "reason" else "keep the note"
    length = f"{what} in {least}-{limit} characters of plain text"
    return one_line(text, most=limit, least=least, code=code, param=param, length=length)


def _lock_reporter(db: Session, actor: User) -> User:
    """The reporter's row, locked (FOR NO KEY UPDATE) so one reporter's reports are filed one
    at a time: the daily limit and the one open report per video hold under parallel
    requests. 409 `account_closed` for a closed or disabled account."""
    reporter = db.get(User, actor.id, with_for_update={"key_share": True}, populate_existing=True)
    if reporter is None:
        raise NotFound(f"no user {actor.id}", code="user_not_found")
    return require_open(reporter)


def _reportable_video(db: Session, reporter: User, video_id: str) -> Video:
    """The public video, read with a KEY SHARE lock (a take-down in progress is waited for
    and then seen): 404 `video_not_found` for one not shown to everyone, 403
    `cannot_report_own_video` for the reporter's own."""
    video = None
    if ID_SHAPE.fullmatch(video_id):
        video = db.get(
            Video,
            video_id,
            with_for_update={"read": True, "key_share": True},
            populate_existing=True,
        )
    if video is None or video.deleted_at is not None:
        raise NotFound(f"no video {video_id}", code="video_not_found", param="video_id")
    if video.user_id == reporter.id:
        raise Forbidden(
            f"video {video_id} is yours: unpublish or delete it instead of reporting it",
            code="cannot_report_own_video",
            param="video_id",
        )
    creator = db.get(User, video.user_id)
    hidden = creator is None or creator.suspended_at is not None  # seen by no one else
    hidden = hidden or blocks(db, blocker_id=video.user_id, blocked_id=reporter.id)
    if video.published_at is None or hidden or is_blocked(db=db, video_id=video.id):
        raise NotFound(f"no video {video_id}", code="video_not_found", param="video_id")
    return video


def open_report_of(*, db: Session, video_id: str, reporter_id: str) -> VideoReport | None:
    """`reporter_id`'s open report of `video_id`, if any."""
    query = select(VideoReport).where(
        VideoReport.video_id == video_id,
        VideoReport.reporter_id == reporter_id,
        VideoReport.status == "open",
    )
    return db.scalar(query)


def _check_daily_limit(db: Session, settings: Settings, reporter: User, now: datetime) -> None:
    """429 `report_limit_reached` when the reporter filed `report_daily_limit` reports in the
    last 24 hours, saying when the oldest of them leaves the window."""
    limit = settings.report_daily_limit
    recent = (
        select(VideoReport.created_at)
        .where(VideoReport.reporter_id == reporter.id, VideoReport.created_at > now - LIMIT_WINDOW)
        .order_by(VideoReport.created_at.desc())
        .limit(limit)
    )
    times = list(db.scalars(recent))
    if len(times) < limit:
        return
    again = times[-1] + LIMIT_WINDOW
    raise TooManyRequests(
        f"you reported {limit} videos in the last 24 hours, the most allowed; you can report "
        f"again after {again.strftime('%Y-%m-%d %H:%M')} UTC",
        code="report_limit_reached",
        retry_after=max(1, math.ceil((again - now).total_seconds())),
    )


# --- the moderators' queue --------------------------------------------------------------------


@dataclass(frozen=True)
class CreatorRecord:
    """What moderators have seen of a creator before, over all their videos (deleted ones
    included): videos taken down, videos the creator deleted while they had open reports,
    reports dismissed, and reports filed in all (open ones too)."""

    taken_down: int = 0
    deleted_while_reported: int = 0
    reports_dismissed: int = 0
    reports_filed: int = 0

    @property
    def flagged(self) -> bool:
        """The creator lost a video to a take-down or deleted one under report."""
        return self.taken_down > 0 or self.deleted_while_reported > 0


@dataclass(frozen=True)
class ReportedVideo:
    """A video with open reports: how many, of which categories, the newest report's time,
    and the newest `REPORTS_SHOWN_PER_VIDEO` of them."""

    video: Video
    open_reports: int
    categories: dict[str, int]
    newest_at: datetime
    reports: list[VideoReport]
    creator_suspended: bool = False
    creator_record: CreatorRecord = field(default_factory=CreatorRecord)


@dataclass(frozen=True)
class ReportQueue:
    videos: list[ReportedVideo]
    has_more: bool
    next_cursor: str | None = None


def report_queue(
    *, db: Session, actor: User | Operator, limit: int = 50, after: str | None = None
) -> ReportQueue:
    """The videos with open reports (deleted ones left out), most reported first, then the
    newest report first, then by id; `limit` (1-`MAX_QUEUE_PAGE`) of them from after `after`
    (the previous page's `next_cursor`: 400 `invalid_cursor` when it is damaged). A video
    that gains reports meanwhile moves up, and is not shown again further down.
    Administrators only (403 `admin_only`)."""
    require_admin(actor)
    limit = max(1, min(limit, MAX_QUEUE_PAGE))
    count = func.count(VideoReport.id)
    newest = func.max(VideoReport.created_at)
    query = (
        select(VideoReport.video_id, count, newest)
        .join(Video, Video.id == VideoReport.video_id)
        .where(VideoReport.status == "open", Video.deleted_at.is_(None))
        .group_by(VideoReport.video_id)
    )
    if after is not None:
        reports_then, at, video_id = _queue_position(after)
        query = query.having(
            or_(
                count < reports_then,
                and_(
                    count == reports_then,
                    after_cursor(newest, VideoReport.video_id, (at, video_id), descending=True),
                ),
            )
        )
    rows = db.execute(
        query.order_by(count.desc(), newest.desc(), VideoReport.video_id.desc()).limit(limit + 1)
    ).all()
    shown = rows[:limit]
    ids = [video_id for video_id, _, _ in shown]
    found = {v.id: v for v in db.scalars(select(Video).where(Video.id.in_(ids)))} if ids else {}
    reports = _open_reports_of(db, ids)
    categories = _open_categories_of(db, ids)
    creators = [video.user_id for video in found.values()]
    suspended = _suspended_creators(db, creators)
    records = creator_records(db=db, user_ids=creators)
    queue = [
        _reported(
            found[video_id],
            total,
            reports.get(video_id, []),
            categories.get(video_id, {}),
            suspended,
            records,
        )
        for video_id, total, _ in shown
    ]
    more = len(rows) > limit
    cursor = _queue_cursor(*shown[-1]) if more else None
    return ReportQueue(videos=queue, has_more=more, next_cursor=cursor)


def _queue_cursor(video_id: str, reports_then: int, newest: datetime) -> str:
    """Where the next page of the queue starts: `<open reports>_<cursor_at(newest, id)>`."""
    return f"{reports_then}_{cursor_at(newest, video_id)}"


def _queue_position(after: str) -> tuple[int, datetime, str]:
    """The (open reports, newest report, video id) a queue cursor names (400
    `invalid_cursor` when it is damaged)."""
    reports_then, _, rest = after.partition("_")
    if not (reports_then.isascii() and reports_then.isdigit()) or len(reports_then) > 9:
        raise invalid_cursor("report queue")
    at, video_id = parse_cursor(rest, "video", what="report queue")
    return int(reports_then), at, video_id


def creator_records(*, db: Session, user_ids: list[str]) -> dict[str, CreatorRecord]:
    """Each creator's record (`CreatorRecord`), in two grouped queries: their reports by
    status, and their videos taken down. Creators with nothing on record are left out."""
    if not user_ids:
        return {}
    wanted = set(user_ids)
    by_status = db.execute(
        select(
            Video.user_id,
            VideoReport.status,
            func.count(VideoReport.id),
            func.count(func.distinct(VideoReport.video_id)),
        )
        .join(Video, Video.id == VideoReport.video_id)
        .where(Video.user_id.in_(wanted))
        .group_by(Video.user_id, VideoReport.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for user_id, status, reports, videos in by_status:
        mine = counts.setdefault(user_id, {})
        mine["filed"] = mine.get("filed", 0) + reports
        mine[status] = videos if status == "deleted" else reports
    taken_down = db.execute(
        select(Video.user_id, func.count(Video.id))
        .where(Video.user_id.in_(wanted), Video.taken_down_at.is_not(None))
        .group_by(Video.user_id)
    )
    for user_id, videos in taken_down:
        counts.setdefault(user_id, {})["taken_down"] = videos
    return {user_id: _record(mine) for user_id, mine in counts.items()}


def record_words(record: CreatorRecord) -> str:
    """The record in words, as the command line and the Reports page show it."""
    from reelmint.wording import count_of

    return (
        f"{count_of(record.taken_down, 'video')} taken down, "
        f"{count_of(record.deleted_while_reported, 'video')} deleted while reported, "
        f"{count_of(record.reports_dismissed, 'report')} dismissed, "
        f"{count_of(record.reports_filed, 'report')} in all"
    )


def _record(counts: dict[str, int]) -> CreatorRecord:
    return CreatorRecord(
        taken_down=counts.get("taken_down", 0),
        deleted_while_reported=counts.get("deleted", 0),
        reports_dismissed=counts.get("dismissed", 0),
        reports_filed=counts.get("filed", 0),
    )


def _open_reports_of(db: Session, video_ids: list[str]) -> dict[str, list[VideoReport]]:
    """The newest `REPORTS_SHOWN_PER_VIDEO` open reports of each video, newest first (a video
    reported thousands of times loads only those)."""
    if not video_ids:
        return {}
    rank = (
        func.row_number()
        .over(
            partition_by=VideoReport.video_id,
            order_by=(VideoReport.created_at.desc(), VideoReport.id),
        )
        .label("rank")
    )
    ranked = (
        select(VideoReport.id, rank)
        .where(VideoReport.video_id.in_(video_ids), VideoReport.status == "open")
        .subquery()
    )
    query = (
        select(VideoReport)
        .join(ranked, ranked.c.id == VideoReport.id)
        .where(ranked.c.rank <= REPORTS_SHOWN_PER_VIDEO)
        .order_by(VideoReport.created_at.desc(), VideoReport.id)
    )
    grouped: dict[str, list[VideoReport]] = {}
    for report in db.scalars(query):
        grouped.setdefault(report.video_id, []).append(report)
    return grouped


def _open_categories_of(db: Session, video_ids: list[str]) -> dict[str, dict[str, int]]:
    """How many open reports of each category each video has, most first."""
    if not video_ids:
        return {}
    count = func.count(VideoReport.id)
    rows = db.execute(
        select(VideoReport.video_id, VideoReport.category, count)
        .where(VideoReport.video_id.in_(video_ids), VideoReport.status == "open")
        .group_by(VideoReport.video_id, VideoReport.category)
        .order_by(VideoReport.video_id, count.desc(), VideoReport.category)
    )
    counted: dict[str, dict[str, int]] = {}
    for video_id, category, number in rows:
        counted.setdefault(video_id, {})[category] = number
    return counted


def _suspended_creators(db: Session, user_ids: list[str]) -> set[str]:
    """Which of these creators are suspended (their videos are seen by no one else)."""
    if not user_ids:
        return set()
    query = select(User.id).where(User.id.in_(set(user_ids)), User.suspended_at.is_not(None))
    return set(db.scalars(query))


def _reported(
    video: Video,
    total: int,
    reports: list[VideoReport],
    categories: dict[str, int],
    suspended: set[str],
    records: dict[str, CreatorRecord],
) -> ReportedVideo:
    return ReportedVideo(
        video=video,
        open_reports=total,
        categories=categories,
        newest_at=reports[0].created_at if reports else video.created_at,
        reports=reports,
        creator_suspended=video.user_id in suspended,
        creator_record=records.get(video.user_id, CreatorRecord()),
    )


def get_report(*, db: Session, actor: User | Operator, report_id: str) -> VideoReport:
    """One report, for administrators (403 `admin_only`; 404 `report_not_found`)."""
    require_admin(actor)
    return _report(db, report_id)


def _report(db: Session, report_id: str, *, lock: bool = False) -> VideoReport:
    report = None
    if ID_SHAPE.fullmatch(report_id):
        report = db.get(VideoReport, report_id, with_for_update=lock, populate_existing=lock)
    if report is None:
        raise NotFound(f"no report {report_id}", code="report_not_found", param="report_id")
    return report


# --- a creator's record -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportAgainst:
    """A report of one of the creator's videos, with that video (deleted or not)."""

    report: VideoReport
    video: Video


@dataclass(frozen=True)
class CreatorReports:
    """One page of the reports of a creator's videos, newest first, and their record;
    `next_cursor` continues it when `has_more`."""

    creator: User
    record: CreatorRecord
    reports: list[ReportAgainst]
    has_more: bool
    next_cursor: str | None = None


def reports_against(
    *,
    db: Session,
    actor: User | Operator,
    user_id: str,
    limit: int = 50,
    after: str | None = None,
) -> CreatorReports:
    """Every report of `user_id`'s videos, whatever became of them (open, dismissed, acted on,
    or closed when the creator deleted the video), newest first, `limit` (1-`MAX_QUEUE_PAGE`)
    at a time after the cursor `after` (a page's `next_cursor`, or a report id). A creator who
    deletes and posts again shows here. Administrators only (403 `admin_only`); 404
    `user_not_found`; 400 `invalid_limit`, `invalid_cursor`; 404 `report_not_found` for an
    `after` that is none of theirs."""
    require_admin(actor)
    check_limit(limit, MAX_QUEUE_PAGE)
    creator = db.get(User, user_id) if ID_SHAPE.fullmatch(user_id) else None
    if creator is None:
        raise NotFound(f"no user {user_id[:64]!r}", code="user_not_found", param="user_id")
    query = (
        select(VideoReport, Video)
        .join(Video, Video.id == VideoReport.video_id)
        .where(Video.user_id == creator.id)
    )
    if after is not None:
        position = _position_against(db, creator, after)
        query = query.where(after_cursor(VideoReport.created_at, VideoReport.id, position))
    query = query.order_by(VideoReport.created_at.desc(), VideoReport.id.desc()).limit(limit + 1)
    rows = [ReportAgainst(report, video) for report, video in db.execute(query)]
    more = len(rows) > limit
    last = rows[limit - 1].report if more else None
    record = creator_records(db=db, user_ids=[creator.id]).get(creator.id, CreatorRecord())
    cursor = cursor_at(last.created_at, last.id) if last is not None else None
    return CreatorReports(creator, record, rows[:limit], more, cursor)


def _position_against(db: Session, creator: User, after: str) -> tuple[datetime, str]:
    def of_row(report_id: str) -> tuple[datetime, str] | None:
        at = db.scalar(
            select(VideoReport.created_at)
            .join(Video, Video.id == VideoReport.video_id)
            .where(VideoReport.id == report_id, Video.user_id == creator.id)
        )
        return None if at is None else (at, report_id)

    missing = NotFound(
        f"no report {after[:64]!r} of this creator's videos to list after; pass the previous "
        "page's next_cursor, or start from the newest",
        code="report_not_found",
        param="after",
    )
    return position_after(after, prefix="rpt", what="reports", of_row=of_row, missing=missing)


def video_state(video: Video) -> str:
    """What became of a reported video, for the moderators: deleted, taken_down, public or
    not_public."""
    if video.deleted_at is not None:
        return "deleted"
    if video.taken_down_at is not None:
        return "taken_down"
    return "public" if video.published_at is not None else "not_public"


# --- resolving --------------------------------------------------------------------------------


def dismiss_report(
    *,
    db: Session,
    actor: User | Operator,
    report_id: str,
    reason: str,
    whole_video: bool = False,
    now: datetime | None = None,
) -> list[VideoReport]:
    """Dismiss the report (with `whole_video`, every open report of its video) saying why; each
    reporter is told, with the reason. The reports dismissed, or the named one unchanged when
    it was dismissed already (a retry). Administrators only (403 `admin_only`); 400
    `invalid_reason`; 404 `report_not_found`; 409 `report_actioned` for a report whose video
    was taken down."""
    require_admin(actor)
    why = checked_reason(reason)
    video_id = _report(db, report_id).video_id
    db.get(Video, video_id, with_for_update={"key_share": True})  # the take-down's order
    named = _report(db, report_id, lock=True)
    if named.status == "actioned":
        raise Conflict(
            f"report {report_id} was acted on: its video was taken down "
            f"{_day(named.resolved_at)}; there is nothing to dismiss",
            code="report_actioned",
        )
    which = _lock_open_reports(db, video_id) if whole_video else [named]
    which = [report for report in which if report.status == "open"]
    if not which:
        return [named]  # dismissed already: as the first dismissal left it
    _resolve(db, which, status="dismissed", actor=actor, note=why, now=now or utcnow())
    return which


def action_reports(
    *, db: Session, video: Video, actor: User | Operator, now: datetime | None = None
) -> list[VideoReport]:
    """Mark the open reports of `video`, which `actor` has just taken down (holding its row),
    `actioned`, and tell their reporters. The reports it marked."""
    which = _lock_open_reports(db, video.id)
    _resolve(
        db, which, status="actioned", actor=actor, note=video.taken_down_reason, now=now or utcnow()
    )
    return which


DELETED_BY_CREATOR = "the video was deleted by its creator"


def close_reports_of_deleted(
    *, db: Session, video: Video, now: datetime | None = None
) -> list[VideoReport]:
    """`video` was just deleted (its row held by the caller): its open reports are
    `deleted`, there being nothing left to review (`DELETED_BY_CREATOR`, by no one; the
    creator's record counts them), and each reporter told in the app that the video is gone.
    The reports it closed."""
    which = _lock_open_reports(db, video.id)
    now = now or utcnow()
    for report in which:
        report.status, report.resolved_at = "deleted", now
        report.resolved_by, report.resolution_note = None, DELETED_BY_CREATOR
    db.flush()
    for report in which:
        _tell_reporter_of_deletion(db, report, video)
    return which


def _tell_reporter_of_deletion(db: Session, report: VideoReport, video: Video) -> None:
    """Without the video's words: its creator may be closing their account, whose words go."""
    from reelmint.domains.notifications.service import notify

    reporter = db.get(User, report.reporter_id)
    if reporter is None:
        return
    notify(
        db=db,
        user=reporter,
        kind="video_report_closed",
        title="A video you reported was deleted",
        body=f"Its creator deleted the video you reported on {report.created_at:%Y-%m-%d} "
        f"({report.category}), {video.id}: there is nothing left for the moderators to review.",
        email=False,
        key=f"video_report:{report.id}",
    )


def _lock_open_reports(db: Session, video_id: str) -> list[VideoReport]:
    query = (
        select(VideoReport)
        .where(VideoReport.video_id == video_id, VideoReport.status == "open")
        .order_by(VideoReport.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(db.scalars(query))


def _resolve(
    db: Session,
    reports: list[VideoReport],
    *,
    status: str,
    actor: User | Operator,
    note: str | None,
    now: datetime,
) -> None:
    for report in reports:
        report.status, report.resolved_at = status, now
        report.resolved_by, report.resolution_note = actor.id, note
    db.flush()
    for report in reports:
        _tell_reporter(db, report)


def _tell_reporter(db: Session, report: VideoReport) -> None:
    """The reporter hears how their report ended, in the app only. A dismissal gives the
    moderators' reason; a take-down's reason is written for the video's owner and is not
    repeated. Nothing names the reporter to anyone."""
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.videos.service import prompt_label

    reporter = db.get(User, report.reporter_id)
    video = db.get(Video, report.video_id)
    if reporter is None or video is None:
        return
    label = prompt_label(video)
    if report.status == "actioned":
        title = "A video you reported was taken down"
        body = (
            f"Thank you: the moderators took down “{label}”, which you reported "
            f"({report.category}). It is no longer public."
        )
        link = None
    else:
        title = "Your report was reviewed"
        body = (
            f"The moderators reviewed your report of “{label}” ({report.category}) and left "
            f"the video up: {(report.resolution_note or '').rstrip('.')}."
        )
        link = f"/videos/{video.id}"
    key = f"video_report:{report.id}"
    kind = f"video_report_{report.status}"
    notify(db=db, user=reporter, kind=kind, title=title, body=body, link=link, email=False, key=key)


def _day(moment: datetime | None) -> str:
    return f"on {moment.date().isoformat()}" if moment is not None else ""


# --- the reporter's own records ---------------------------------------------------------------


def reports_by(*, db: Session, user: User) -> list[VideoReport]:
    """`user`'s reports, oldest first (their data export)."""
    query = (
        select(VideoReport)
        .where(VideoReport.reporter_id == user.id)
        .order_by(VideoReport.created_at, VideoReport.id)
    )
    return list(db.scalars(query))


def forget_reporter_notes(db: Session, user: User) -> None:
    """A closed account's reports keep what the moderators need (the video, the category,
    the outcome), not the person's words."""
    db.execute(
        update(VideoReport)
        .where(VideoReport.reporter_id == user.id)
        .values(note="")
        .execution_options(synchronize_session="fetch")
    )


_NOTED = ("dismissed", "deleted")  # the reporter reads why; a take-down's reason is the owner's


def report_json(report: VideoReport, *, staff: bool = False) -> dict[str, Any]:
    """A report as the API shows it: `reporter_id` and `resolved_by` to administrators
    only (`staff`); the reporter sees their own report without them."""
    shown: dict[str, Any] = {
        "id": report.id,
        "object": "video.report",
        "video_id": report.video_id,
        "category": report.category,
        "note": report.note,
        "status": report.status,
        "created_at": unix_time(report.created_at),
        "resolved_at": unix_time(report.resolved_at),
        "resolution_note": report.resolution_note if report.status in _NOTED else None,
    }
    if staff:
        shown["reporter_id"] = report.reporter_id
        shown["resolved_by"] = report.resolved_by
        shown["resolution_note"] = report.resolution_note
    return shown
