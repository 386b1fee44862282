"""`reelmint admin videos`: moderation from the command line. Take a published video down,
saying why: it leaves the feed for good, its owner is told (in the app and by email) and cannot
publish it again (domains/videos/moderation.py). Bad input is one line on stderr and exit 2."""

from __future__ import annotations

from typing import Annotated

import typer

from reelmint.platform_cli import open_services
from reelmint.terminal import printable

videos = typer.Typer(
    help="Videos: moderation (take one down).", no_args_is_help=True, rich_markup_mode=None
)


def register(admin: typer.Typer) -> None:
    admin.add_typer(videos, name="videos")


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
