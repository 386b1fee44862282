"""Videos that play another video again, and what becomes of them when it stops being public.

An extension plays its source's shots again, with the source's seed, before its own: whoever
publishes it shows the source's work. That must not outlive its creator's choice (nor the
moderators' or a rights holder's), as a copy of their reference image must not
(`reference_to_copy`). So:

- a video that `carries` another person's video (an extension of it, or of an extension of
  it...) is published only while that one is public: not deleted, unpublished, taken down or
  blocked by a claim, its creator's account active, and no block standing between the two
  creators (409 `source_not_public`);
- when a video stops being public (deleted, unpublished, taken down, blocked by a claim, or
  unpublished because a cameo it shows was revoked; closing an account deletes its videos),
  every published video that carries it and could no longer be published leaves the feed,
  and its owner is told why; so does, when one creator blocks another, each one's published
  video that plays the other's again (`withdraw_across_block`), and what plays those again.
  It stays theirs, and may be published again once the source is public again (unless it
  was deleted, taken down or shows a revoked cameo: `FOR_GOOD`);
- a published video that plays again the work of someone a block stands between a viewer
  and stays out of that viewer's feed, and one whose carried maker blocked the viewer is no
  video to them (404), as the carried maker's own video would be (`carried_makers`);
- a maker's own video that plays again another of theirs is theirs to publish or not,
  except where someone else decided: a source the moderators took down, that a rights
  holder's claim blocks, or that shows a revoked cameo of another person holds back the
  maker's own extensions of it too (`_held_back`), or a take-down would be undone by
  publishing an extension of the video taken down.

A remix plans a new prompt and keeps only the source's model, size, length and seed: none of
its shots or text, so it does not carry it and stays published whatever becomes of the
source. Only a remix given the source's own prompt, which renders the same shots with the
same seed, carries it; the rule reads the storyboards, not how a video was asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelmint.domains.accounts.blocks import between
from reelmint.domains.accounts.models import User
from reelmint.domains.rights.claims import is_blocked
from reelmint.domains.videos.models import Video
from reelmint.errors import Conflict

MAX_CHAIN = 64
"""How far back `carried_sources` follows a chain of extensions (each adds a shot, and a
video has at most a dozen or so: this only bounds a damaged chain)."""
MAX_DESCENDANTS = 10_000


def shot_prompts(video: Video) -> list[str] | None:
    """The prompts of `video`'s shots, in order; None when its storyboard cannot be read."""
    try:
        shots = json.loads(video.storyboard_json or "{}").get("shots")
    except (ValueError, AttributeError):
        return None
    if not isinstance(shots, list):
        return None
    prompts = [shot.get("prompt") if isinstance(shot, dict) else None for shot in shots]
    return prompts if all(isinstance(p, str) for p in prompts) else None


def carries(video: Video, source: Video) -> bool:
    """Whether `video` plays `source` again: made from it with its seed, its shots beginning
    with all of the source's (an extension always; a remix only with the source's own prompt)."""
    if video.remixed_from_video_id != source.id or video.seed != source.seed:
        return False
    mine, theirs = shot_prompts(video), shot_prompts(source)
    return bool(mine and theirs) and mine[: len(theirs)] == theirs


def is_extension(video: Video, source: Video) -> bool:
    """Whether `video` extends `source`: plays it again, then goes on with shots of its own."""
    theirs = shot_prompts(source) or []
    return carries(video, source) and len(shot_prompts(video) or []) > len(theirs)


def carried_sources(*, db: Session, video: Video) -> list[Video]:
    """The videos `video` plays again, nearest first: its source, that one's source, ... while
    each plays the one before it (an extension of an extension plays both)."""
    found: list[Video] = []
    current = video
    while current.remixed_from_video_id is not None and len(found) < MAX_CHAIN:
        source = db.get(Video, current.remixed_from_video_id)
        if source is None or not carries(current, source):
            break
        found.append(source)
        current = source
    return found


def carried_makers(*, db: Session, video: Video) -> set[str]:
    """Whose work `video` plays again, besides its own maker's (`carried_sources`): no query
    for a video that remixes nothing."""
    if video.remixed_from_video_id is None:
        return set()
    return {source.user_id for source in carried_sources(db=db, video=video)} - {video.user_id}


DELETED = "was deleted"
TAKEN_DOWN = "was taken down by the moderators"
CAMEO_REVOKED = "shows a cameo that was revoked"
CLAIM_BLOCKED = "is blocked by a rights holder's claim"
NOT_AVAILABLE = "can no longer be shown in it"
"""A block stands between the two creators (accounts/blocks.py; which way is not said)."""
FOR_GOOD = (DELETED, TAKEN_DOWN, CAMEO_REVOKED)
"""Reasons a video never becomes public again (the others may end)."""


def why_not_public(*, db: Session, video: Video) -> str | None:
    """Why `video` is not public now (to finish "… because it …"), or None when it is. Said
    to other creators: an account's suspension is not named ("is no longer public")."""
    if video.deleted_at is not None:
        return DELETED
    if video.taken_down_at is not None:
        return TAKEN_DOWN
    if video.published_at is None:
        return CAMEO_REVOKED if _shows_revoked_cameo(db, video) else "is no longer published"
    if is_blocked(db=db, video_id=video.id):
        return CLAIM_BLOCKED
    creator = db.get(User, video.user_id)
    if creator is None or creator.disabled_at is not None:
        return "belongs to an account that is closed or disabled"
    if creator.suspended_at is not None:
        return "is no longer published"  # the suspension is named to the account alone
    return None


def _held_back(db: Session, video: Video) -> str | None:
    """Why a video may not be shown even by its maker, in their other videos that play it
    again: the moderators took it down, a rights holder's claim blocks it, or it shows another
    person's cameo that was revoked. None when nothing holds it back."""
    if video.taken_down_at is not None:
        return TAKEN_DOWN
    if is_blocked(db=db, video_id=video.id):
        return CLAIM_BLOCKED
    if _shows_revoked_cameo(db, video):
        return CAMEO_REVOKED
    return None


def _shows_revoked_cameo(db: Session, video: Video) -> bool:
    """Whether `video` shows another person's cameo that was revoked (it can never be
    published again: cameos.service.require_publishable)."""
    from reelmint.domains.cameos.models import Cameo, CameoUse

    query = (
        select(Cameo.id)
        .join(CameoUse, CameoUse.cameo_id == Cameo.id)
        .where(
            CameoUse.video_id == video.id,
            Cameo.user_id != video.user_id,
            Cameo.status == "revoked",
        )
    )
    return db.scalar(query.limit(1)) is not None


def hidden_source(*, db: Session, video: Video) -> tuple[Video, str] | None:
    """The first video that `video` plays again and that may not be shown, with why; None
    when there is none. Another creator's must be public; the maker's own needs only not be
    held back by someone else's decision (`_held_back`): whether they publish it is theirs."""
    for source in carried_sources(db=db, video=video):
        if source.user_id == video.user_id:
            held = _held_back(db, source)
            if held is not None:
                return source, held
            continue
        why = why_not_public(db=db, video=source)
        if why is None and between(db, video.user_id, source.user_id):
            why = NOT_AVAILABLE
        if why is not None:
            return source, why
    return None


def require_sources_public(*, db: Session, video: Video) -> None:
    """Refuse to publish `video` while it plays another creator's video that is not public
    (409 `source_not_public`, saying which and why)."""
    hidden = hidden_source(db=db, video=video)
    if hidden is None:
        return
    source, why = hidden
    remix = "a remix with a prompt of your own carries none of it"
    if why in FOR_GOOD:
        after = remix[0].upper() + remix[1:]
    else:
        after = f"It can be published once that video is public again; {remix}"
    if source.user_id == video.user_id:
        played, because = f"your video {source.id}", ""
    else:
        played, because = f"video {source.id} by another creator", ": their work is theirs to show"
    raise Conflict(
        f"video {video.id} plays again {played}, which {why}, so it cannot be published"
        f"{because}. {after}",
        code="source_not_public",
        param="video_id",
    )


def withdraw_carriers(*, db: Session, source: Video) -> list[str]:
    """`source` stopped being public (in the caller's transaction, after the change is
    flushed): take every published video that plays it again, and may no longer be published,
    off the feed, telling each owner why. Their ids, nearest first."""
    withdrawn: list[str] = []
    for video in _carriers_of(db, source):
        if video.published_at is None:
            continue
        hidden = hidden_source(db=db, video=video)
        if hidden is None:
            continue  # e.g. the source's creator's own extension of it
        video.published_at = None
        db.flush()
        withdrawn.append(video.id)
        _tell_owner_of_withdrawal(db, video, *hidden)
    return withdrawn


def withdraw_across_block(*, db: Session, a_id: str, b_id: str) -> list[str]:
    """A block now stands between users `a_id` and `b_id`: take each one's published videos
    that play the other's work again (an extension of the other's video, at any depth) off
    the feed, then what plays those again (`withdraw_carriers`), telling each owner without
    naming the other. Their ids."""
    query = (
        select(Video)
        .where(
            Video.user_id.in_((a_id, b_id)),
            Video.published_at.is_not(None),
            Video.deleted_at.is_(None),
            Video.remixed_from_video_id.is_not(None),
        )
        .order_by(Video.created_at, Video.id)
        .with_for_update(key_share=True)  # no key changes: inserts pointing at them go on
    )
    withdrawn: list[str] = []
    for video in db.scalars(query).all():
        if video.published_at is None:
            continue  # withdrawn above, as a carrier of one withdrawn before it
        other = b_id if video.user_id == a_id else a_id
        if not any(source.user_id == other for source in carried_sources(db=db, video=video)):
            continue  # a remix of a prompt of its own: none of the other's work
        video.published_at = None
        db.flush()
        withdrawn.append(video.id)
        _tell_owner_across_block(db, video)
        withdrawn += withdraw_carriers(db=db, source=video)
    return withdrawn


def _tell_owner_across_block(db: Session, video: Video) -> None:
    """The owner hears that their video left the feed, not whose work is no longer theirs to
    show nor why: a block is not announced."""
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.videos.service import prompt_label

    owner = db.get(User, video.user_id)
    if owner is None:
        return
    notify(
        db=db,
        user=owner,
        kind="video_source_withdrawn",
        title="Your video left the feed: the video it plays again can no longer be shown in it",
        body=(
            f"Your video “{prompt_label(video)}” plays again another creator's video, which "
            "can no longer be shown in it, so yours is no longer public. It is still yours to "
            "watch or delete."
        ),
        link=f"/videos/{video.id}",
    )


def _carriers_of(db: Session, source: Video) -> Iterator[Video]:
    """Every video that plays `source` again, directly or through others, parents first."""
    queue, seen = [source], {source.id}
    while queue and len(seen) < MAX_DESCENDANTS:
        parent = queue.pop(0)
        children = db.scalars(
            select(Video)
            .where(Video.remixed_from_video_id == parent.id, Video.deleted_at.is_(None))
            .order_by(Video.created_at, Video.id)
            .with_for_update(key_share=True)  # only published_at changes: no key
        ).all()
        for child in children:
            if child.id in seen or not carries(child, parent):
                continue
            seen.add(child.id)
            queue.append(child)
            yield child


def _what_is_left(why: str) -> str:
    if why in FOR_GOOD:
        return "It is still yours to watch or delete; it cannot be published again."
    return (
        "It is still yours to watch or delete, and can be published again once that video "
        "is public again."
    )


def _tell_owner_of_withdrawal(db: Session, video: Video, source: Video, why: str) -> None:
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.videos.service import prompt_label

    if why == NOT_AVAILABLE:  # a block: neither whose work nor which is said
        _tell_owner_across_block(db, video)
        return

    owner = db.get(User, video.user_id)
    if owner is None:
        return
    if source.user_id == video.user_id:
        played, because = f"your video “{prompt_label(source)}”", ""
    else:
        played = f"another creator's video “{prompt_label(source)}”"
        because = ": their work is theirs to show"
    notify(
        db=db,
        user=owner,
        kind="video_source_withdrawn",
        title="Your video left the feed: the video it plays again is no longer public",
        body=(
            f"Your video “{prompt_label(video)}” plays again {played}, which {why}, so yours "
            f"is no longer public{because}. {_what_is_left(why)}"
        ),
        link=f"/videos/{video.id}",
    )
