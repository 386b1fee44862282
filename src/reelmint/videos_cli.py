"""`reelmint admin videos`: moderation from the command line. Take a published video down,
saying why: it leaves the feed for good, its owner is told (in the app and by email) and cannot
publish it again (domains/videos/moderation.py); its open reports are actioned.

`reelmint admin reports`: the users' reports of videos (domains/videos/reports.py), listed by
video, most reported first, each with its creator's record; dismiss one, or every open one of
its video, saying why (each reporter is told); every report of one creator's videos, deleted
ones included (`against`).

`reelmint admin jobs`: the job queue (domains/videos/job_queue.py): per backend what waits and
what runs, then the jobs; cancel one, or every unfinished job of a backend, saying why (each
owner is told; queued jobs' units go back at once). Bad input is one line on stderr and exit 2."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from reelmint.errors import BadRequest
from reelmint.platform_cli import open_services, user_by_email
from reelmint.terminal import printable
from reelmint.wording import count_of

if TYPE_CHECKING:
    from reelmint.domains.videos.job_queue import BackendLoad
    from reelmint.domains.videos.models import Video
    from reelmint.domains.videos.reports import ReportAgainst, ReportedVideo

videos = typer.Typer(
    help="Videos: moderation (take one down).", no_args_is_help=True, rich_markup_mode=None
)


def register(admin: typer.Typer) -> None:
    admin.add_typer(videos, name="videos")
    admin.add_typer(reports, name="reports")
    admin.add_typer(jobs, name="jobs")


@videos.command("take-down")
def take_down(
    video_id: Annotated[str, typer.Argument(help="The video (video_...).")],
    reason: Annotated[
        str, typer.Option(help="Why, on one line of 1-500 characters: its owner reads it.")
    ],
) -> None:
    """Take a published video down for good: off the feed, its page and its content (others'
    videos that play it again leave the feed too); its owner is told why. Again: no change."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.videos.moderation import take_down_video

    services = open_services()
    try:
        with services.db.write() as db:
            video = take_down_video(db=db, actor=OPERATOR, video_id=video_id, reason=reason)
            when = video.taken_down_at.date().isoformat() if video.taken_down_at else "?"
            told = f"taken down on {when}: {video.taken_down_reason}"
    finally:
        services.close()
    typer.echo(printable(f"{video_id} {told}"))


reports = typer.Typer(
    help="Reports: users' reports of videos, for the moderators.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@reports.command("list")
def list_reports(
    limit: Annotated[
        int, typer.Option(min=1, max=100, help="At most this many videos, most reported first.")
    ] = 50,
    after: Annotated[
        str | None,
        typer.Option(help="Continue after this point (the cursor the previous page ends with)."),
    ] = None,
) -> None:
    """The videos with open reports, most reported first (then the newest report): one line
    per video (its id, open reports, categories, newest report, whether public, its creator,
    the creator's record, the start of its prompt), then one indented line per report (its id
    for `dismiss`, when, category, reporter, note). Take a video down with `admin videos
    take-down`: its reports are actioned. `admin reports against` lists a creator's record."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.videos.reports import report_queue

    services = open_services()
    try:
        with services.db.read() as db:
            queue = report_queue(db=db, actor=OPERATOR, limit=limit, after=after)
            lines = [line for found in queue.videos for line in _queue_lines(found)]
    finally:
        services.close()
    if queue.next_cursor is not None:
        lines.append(f"(more videos have open reports: --after {queue.next_cursor})")
    for line in lines or ["no open reports"]:
        typer.echo(line)


def _queue_lines(found: ReportedVideo) -> list[str]:
    from reelmint.domains.videos.reports import record_words
    from reelmint.domains.videos.service import prompt_label

    video = found.video
    categories = ", ".join(f"{name} {count}" for name, count in found.categories.items())
    state = "public" if video.published_at is not None else "not public"
    if found.creator_suspended:
        state = "creator suspended"  # nobody else sees it while that lasts
    head = [
        video.id,
        f"{found.open_reports} open",
        categories,
        f"newest {_minute(found.newest_at)}",
        state,
        video.user_id,
        record_words(found.creator_record),
        prompt_label(video, 60),
    ]
    lines = ["\t".join(printable(field) for field in head)]
    for report in found.reports:
        fields = ["", report.id, _minute(report.created_at), report.category, report.reporter_id]
        lines.append("\t".join(printable(field) for field in [*fields, report.note or "-"]))
    return lines


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@reports.command("dismiss")
def dismiss(
    report_id: Annotated[str, typer.Argument(help="The report (rpt_..., from `list`).")],
    reason: Annotated[
        str, typer.Option(help="Why, on one line of 1-500 characters: the reporter reads it.")
    ],
    whole_video: Annotated[
        bool, typer.Option("--all", help="Dismiss every open report of the report's video.")
    ] = False,
) -> None:
    """Dismiss a report (or, with --all, every open report of its video): each reporter is
    told, with the reason. Again: no change."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.videos.reports import dismiss_report

    services = open_services()
    try:
        with services.db.write() as db:
            done = dismiss_report(
                db=db, actor=OPERATOR, report_id=report_id, reason=reason, whole_video=whole_video
            )
            lines = [f"{report.id} {report.status}: {report.resolution_note}" for report in done]
    finally:
        services.close()
    for line in lines:
        typer.echo(printable(line))


@reports.command("against")
def against(
    creator: Annotated[str, typer.Argument(help="The creator: their email or user id.")],
    limit: Annotated[int, typer.Option(min=1, max=100, help="At most this many reports.")] = 50,
    after: Annotated[
        str | None, typer.Option(help="Continue after this cursor (printed when there is more).")
    ] = None,
) -> None:
    """Every report of a creator's videos, newest first, whatever became of it (open,
    dismissed, actioned, or deleted: the creator deleted the video before review). First their
    record, then one line per report: its id, when, category, status, the video, what became of
    the video, the start of its prompt, the reporter's note."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.videos.reports import record_words, reports_against

    services = open_services()
    try:
        with services.db.read() as db:
            user_id = creator if "@" not in creator else user_by_email(db, creator).id
            page = reports_against(db=db, actor=OPERATOR, user_id=user_id, limit=limit, after=after)
            lines = [f"{page.creator.id}: {record_words(page.record)}"]
            lines += [_against_line(found) for found in page.reports]
    finally:
        services.close()
    if page.next_cursor is not None:
        lines.append(f"(more: --after {page.next_cursor})")
    for line in lines:
        typer.echo(line)


def _against_line(found: ReportAgainst) -> str:
    from reelmint.domains.videos.reports import video_state
    from reelmint.domains.videos.service import prompt_label

    report, video = found.report, found.video
    fields = [
        report.id,
        _minute(report.created_at),
        report.category,
        report.status,
        video.id,
        video_state(video),
        prompt_label(video, 60),
        report.note or "-",
    ]
    return "\t".join(printable(field) for field in fields)


jobs = typer.Typer(
    help="Jobs: the queue of videos waiting for and running on the GPUs; cancel them.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@jobs.command("list")
def list_jobs(
    backend: Annotated[str | None, typer.Option(help="Only this backend's jobs.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="At most this many jobs.")] = 50,
) -> None:
    """Per backend: jobs queued, running, and the oldest wait. Then one line per job, running
    ones first, then queued ones in the order the workers take them: its id, status, backend,
    owner, priority, units reserved, for how long (queued, or running since), and its worker."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.videos.job_queue import job_queue

    services = open_services()
    try:
        with services.db.read() as db:
            queue = job_queue(db=db, actor=OPERATOR, backend=backend, limit=limit)
            lines = [_load_line(load) for load in queue.backends]
            lines += [_job_line(video) for video in queue.jobs]
    finally:
        services.close()
    if queue.has_more:
        lines.append(f"(more jobs: --limit {min(limit * 2, 200)})")
    for line in lines or ["no jobs queued or running"]:
        typer.echo(line)


def _load_line(load: BackendLoad) -> str:
    oldest = f", oldest queued {_minute(load.oldest_queued_at)}" if load.oldest_queued_at else ""
    return printable(f"{load.backend}: {load.queued} queued, {load.running} running{oldest}")


def _job_line(video: Video) -> str:
    from reelmint.domains.videos.job_queue import job_age

    since = "running" if video.status == "in_progress" else "waiting"
    fields = [
        video.id,
        video.status + (" (stopping)" if video.cancel_requested else ""),
        video.backend,
        video.user_id,
        video.priority_class,
        count_of(video.price_units, "unit"),
        f"{since} {_duration(job_age(video))}",
        video.lease_owner or "-",
    ]
    return "\t".join(printable(field) for field in fields)


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


@jobs.command("cancel")
def cancel_jobs(
    video_id: Annotated[
        str | None, typer.Argument(help="The job (video_...); or give --backend.")
    ] = None,
    reason: Annotated[
        str, typer.Option(help="Why, on one line of 1-500 characters: each owner reads it.")
    ] = "",
    backend: Annotated[
        str | None, typer.Option(help="Cancel every unfinished job of this backend instead.")
    ] = None,
) -> None:
    """Cancel a job, or with --backend every unfinished job of a backend, saying why: queued
    jobs end at once and their units go back; running ones' workers are asked to stop. Each
    owner is told, in the app and by email. Again: no change."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.videos import job_queue

    if (video_id is None) == (backend is None):
        raise BadRequest(
            "give the job's id (video_...) or --backend NAME, not both", code="invalid_request"
        )
    services = open_services()
    try:
        with services.db.write() as db:
            if video_id is not None:
                done = [
                    job_queue.cancel_job(db=db, actor=OPERATOR, video_id=video_id, reason=reason)
                ]
            else:
                done = job_queue.cancel_backend_jobs(
                    db=db, actor=OPERATOR, backend=backend or "", reason=reason
                )
            lines = [_cancelled_line(video) for video in done]
    finally:
        services.close()
    for line in lines or [f"no unfinished jobs of {backend} to cancel"]:
        typer.echo(printable(line))


def _cancelled_line(video: Video) -> str:
    if video.status == "cancelled":
        return f"{video.id} cancelled: {count_of(video.price_units, 'unit')} back to its owner"
    return f"{video.id} stopping: its worker was asked to stop"
