"""Moderation: an administrator takes a published video down, saying why.

Administrators may look at any video (to moderate) but never change one as its owner does:
deleting, cancelling, publishing and unpublishing are the owner's alone (403
`not_video_owner`). Taking down is the administrators' one action, explicit and recorded, as
revoking a cameo is (cameos/service.py):

- the video leaves the feed, its page and its content for everyone but its owner and
  administrators; the others' videos that play it again leave the feed too (derivatives.py);
- who, when and why are kept on the video (`taken_down_*`), and its owner is told in the app
  and by email, with the reason;
- the users' open reports of it (reports.py) are marked `actioned`, each reporter told in the
  app (the owner is never told who reported it);
- its owner still sees it and may delete it, but cannot publish it again (409
  `video_taken_down`, with the reason).

Taking down again changes nothing and returns the video as the first take-down left it. A
stuck job needs no administrator: housekeeping reaps expired leases and fails jobs that were
interrupted too often or queued past their hold's time (housekeeping.py).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from reelmint.db.base import ID_SHAPE, utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import Operator, require_admin
from reelmint.domains.videos.derivatives import withdraw_carriers
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.reports import action_reports
from reelmint.errors import Conflict, NotFound
from reelmint.terminal import reason_line

MAX_REASON_CHARS = 500


def take_down_video(*, db: Session, actor: User | Operator, video_id: str, reason: str) -> Video:
    """Take a published video down for good, saying why (see the module). Administrators only
    (403 `admin_only`); 400 `invalid_reason`; 404 `video_not_found` (none, or deleted); 409
    `video_not_published` for a video never published (a draft is its owner's alone)."""
    require_admin(actor)
    why = checked_reason(reason)
    video = None
    if ID_SHAPE.fullmatch(video_id):
        video = db.get(Video, video_id, with_for_update=True, populate_existing=True)
    if video is None or video.deleted_at is not None:
        raise NotFound(f"no video {video_id}", code="video_not_found", param="video_id")
    if video.taken_down_at is not None:
        return video
    if video.published_at is None and video.first_published_at is None:
        raise Conflict(
            f"video {video_id} was never published: only what was shown publicly is taken "
            "down, a draft is its owner's alone",
            code="video_not_published",
        )
    video.published_at = None
    video.taken_down_at = utcnow()
    video.taken_down_by = actor.id
    video.taken_down_reason = why
    db.flush()
    withdraw_carriers(db=db, source=video)
    action_reports(db=db, video=video, actor=actor)
    _tell_owner(db, video)
    return video


def checked_reason(reason: str) -> str:
    """The reason, on one line of plain text (its owner reads it, mailed too): 400
    `invalid_reason` when blank, too long, or with a control or invisible character."""
    return reason_line(
        reason, saying="the video is taken down", reader="its owner", most=MAX_REASON_CHARS
    )


def require_not_taken_down(video: Video) -> None:
    """409 `video_taken_down` (saying when and why) for a video the moderators took down."""
    if video.taken_down_at is None:
        return
    raise Conflict(
        f"video {video.id} was taken down by the moderators on "
        f"{video.taken_down_at.date().isoformat()} ({video.taken_down_reason}), so it cannot "
        "be published again; it is still yours to watch or delete",
        code="video_taken_down",
    )


def _tell_owner(db: Session, video: Video) -> None:
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.videos.service import prompt_label

    owner = db.get(User, video.user_id)
    if owner is None:
        return
    notify(
        db=db,
        user=owner,
        kind="video_taken_down",
        title="Your video was taken down by the moderators",
        body=(
            f"The platform's moderators took down your video “{prompt_label(video)}”: "
            f"{video.taken_down_reason}. It is no longer public and cannot be published "
            "again; it is still yours to watch or delete."
        ),
        link=f"/videos/{video.id}",
        key=f"video_taken_down:{video.id}",
    )
