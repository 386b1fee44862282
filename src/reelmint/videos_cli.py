"""`reelmint admin videos`: moderation from the command line. Take a published video down,
saying why: it leaves the feed for good, its owner is told (in the app and by email) and cannot
publish it again (domains/videos/moderation.py); its open reports are actioned.

`reelmint admin reports`: the users' reports of videos (domains/videos/reports.py), listed by
video, most reported first; dismiss one, or every open one of its video, saying why (each
reporter is told). Bad input is one line on stderr and exit 2."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from reelmint.platform_cli import open_services
from reelmint.terminal import printable

if TYPE_CHECKING:
    from reelmint.domains.videos.reports import ReportedVideo

videos = typer.Typer(
    help="Videos: moderation (take one down).", no_args_is_help=True, rich_markup_mode=None
)


def register(admin: typer.Typer) -> None:
    admin.add_typer(videos, name="videos")
    admin.add_typer(reports, name="reports")


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
) -> None:
    """The videos with open reports, most reported first (then the newest report): one line
    per video (its id, open reports, categories, newest report, whether public, the start of
    its prompt), then one indented line per report (its id for `dismiss`, when, category,
    reporter, note). Take a video down with `admin videos take-down`: its reports are actioned."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.videos.reports import report_queue

    services = open_services()
    try:
        with services.db.read() as db:
            queue = report_queue(db=db, actor=OPERATOR, limit=limit)
            lines = [line for found in queue.videos for line in _queue_lines(found)]
    finally:
        services.close()
    if queue.has_more:
        lines.append(f"(more videos have open reports: --limit {min(limit * 2, 100)})")
    for line in lines or ["no open reports"]:
        typer.echo(line)


def _queue_lines(found: ReportedVideo) -> list[str]:
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
