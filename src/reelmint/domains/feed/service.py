"""The chronological public feed: every published video, newest first (or only those of the
creators a user follows: the Following feed).

A video is in the feed while it is published, completed, not deleted, its creator's account
is active, and no rights holder's block claim is in force on it (rights/claims.py). Pages are
cut with a keyset cursor (the last item's publication time and id) rather than an offset or a
video id, so a page never repeats or skips a video when others are published meanwhile, and
an "older" link keeps working after its video is unpublished.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from reelmint.db import paging
from reelmint.db.paging import after_cursor, check_limit, cursor_at
from reelmint.domains.accounts.blocks import blocked_either_way, either_way
from reelmint.domains.accounts.follows import followed_among, followees_of
from reelmint.domains.accounts.models import User
from reelmint.domains.feed.likes import like_counts, liked_among
from reelmint.domains.rights.claims import blocked_by_claim
from reelmint.domains.videos.derivatives import carried_makers
from reelmint.domains.videos.models import Video
from reelmint.errors import BadRequest, Unauthorized

MAX_FEED_PAGE = 50
FEED_SCOPES = ("everyone", "following")


@dataclass(frozen=True)
class FeedItem:
    """A published video and the name its creator shows; `following`: whether the viewer
    follows the creator (None for a visitor, and on the viewer's own videos)."""

    video: Video
    creator_name: str
    following: bool | None = None
    likes: int = 0
    liked: bool | None = None  # whether the viewer likes it (None for a visitor)


@dataclass(frozen=True)
class FeedPage:
    """One page of the feed; `next_cursor` fetches the older videos (None on the last page)."""

    items: list[FeedItem]
    next_cursor: str | None


def in_feed() -> tuple[ColumnElement[bool], ...]:
    """What puts a video in the feed, for a query joining Video and its creator's User."""
    return (
        Video.published_at.is_not(None),
        Video.deleted_at.is_(None),
        Video.status == "completed",
        User.disabled_at.is_(None),
        User.suspended_at.is_(None),
        ~blocked_by_claim(),
    )


def public_feed(
    *,
    db: Session,
    cursor: str | None = None,
    limit: int = 20,
    followed_by: str | None = None,
    creator_id: str | None = None,
    viewer_id: str | None = None,
) -> FeedPage:
    """The newest published videos, or those older than `cursor` (from a previous page); with
    `followed_by` (a user id), only those of the creators that user follows; with
    `creator_id`, only that creator's; with `viewer_id`, none of a creator a block stands
    between the viewer and (blocks.py), nor any that plays again such a creator's work (a
    page may then hold fewer than `limit`)."""
    check_limit(limit, MAX_FEED_PAGE)
    query = select(Video, User.display_name).join(User, User.id == Video.user_id).where(*in_feed())
    if viewer_id is not None:
        query = query.where(~either_way(viewer_id, Video.user_id))
    if followed_by is not None:
        query = query.where(Video.user_id.in_(followees_of(followed_by)))
    if creator_id is not None:
        query = query.where(Video.user_id == creator_id)
    if cursor is not None:
        query = query.where(after_cursor(Video.published_at, Video.id, parse_cursor(cursor)))
    query = query.order_by(Video.published_at.desc(), Video.id.desc()).limit(limit + 1)
    rows: list[Any] = list(db.execute(query))
    items = [FeedItem(video=video, creator_name=name) for video, name in rows[:limit]]
    more = len(rows) > limit
    page = FeedPage(items=items, next_cursor=cursor_after(items[-1].video) if more else None)
    return without_blocked_work(db=db, viewer_id=viewer_id, page=page) if viewer_id else page


def without_blocked_work(*, db: Session, viewer_id: str, page: FeedPage) -> FeedPage:
    """`page` without the videos that play again the work of someone a block stands between
    the viewer and (videos/derivatives.py). It may then hold fewer than its limit; its
    `next_cursor` still goes on from the last video it looked at. One query when the viewer
    has no block, none when the page remixes nothing."""
    remixes = [item.video for item in page.items if item.video.remixed_from_video_id]
    others = blocked_either_way(db, viewer_id) if remixes else set()
    if not others:
        return page
    hidden = {video.id for video in remixes if carried_makers(db=db, video=video) & others}
    return replace(page, items=[item for item in page.items if item.video.id not in hidden])


def feed_for(
    *, db: Session, viewer: User | None, scope: str, cursor: str | None = None, limit: int = 20
) -> FeedPage:
    """The feed a viewer asked for: `everyone`'s, or (signed in only) `following`; each item
    says whether the viewer follows its creator. A signed-in viewer's feed leaves out the
    videos of anyone a block stands between them and."""
    if scope not in FEED_SCOPES:
        raise BadRequest(
            f"scope {scope[:40]!r} is not a feed; use everyone or following",
            code="invalid_scope",
            param="scope",
        )
    followed_by, viewer_id = None, viewer.id if viewer is not None else None
    if scope == "following":
        if viewer is None:
            raise Unauthorized(
                "the following feed is your own: send your API token (Authorization: Bearer ...)",
                code="unauthorized",
            )
        followed_by = viewer.id
    page = public_feed(
        db=db, cursor=cursor, limit=limit, followed_by=followed_by, viewer_id=viewer_id
    )
    return for_viewer(db=db, viewer=viewer, page=page)


def for_viewer(*, db: Session, viewer: User | None, page: FeedPage) -> FeedPage:
    """`page` as `viewer` sees it: whom they follow and what they like, and every item's
    like count (three queries for the page, whatever its length)."""
    return with_likes(db=db, viewer=viewer, page=with_following(db=db, viewer=viewer, page=page))


def with_likes(*, db: Session, viewer: User | None, page: FeedPage) -> FeedPage:
    """`page` with each item's like count, and whether `viewer` likes it."""
    ids = [item.video.id for item in page.items]
    counts = like_counts(db=db, video_ids=ids)
    mine = liked_among(db=db, user_id=viewer.id, video_ids=ids) if viewer else set()
    items = [
        replace(
            item,
            likes=counts.get(item.video.id, 0),
            liked=None if viewer is None else item.video.id in mine,
        )
        for item in page.items
    ]
    return FeedPage(items=items, next_cursor=page.next_cursor)


def with_following(*, db: Session, viewer: User | None, page: FeedPage) -> FeedPage:
    """`page` with each item saying whether `viewer` follows its creator (left None for a
    visitor and on the viewer's own videos), in one query."""
    if viewer is None:
        return page
    creators = {item.video.user_id for item in page.items} - {viewer.id}
    followed = followed_among(db=db, follower_id=viewer.id, user_ids=creators)
    items = [
        replace(item, following=item.video.user_id in followed)
        if item.video.user_id in creators
        else item
        for item in page.items
    ]
    return FeedPage(items=items, next_cursor=page.next_cursor)


def cursor_after(video: Video) -> str:
    """The cursor of the page after `video`: `<published microseconds>_<video id>`."""
    assert video.published_at is not None
    return cursor_at(video.published_at, video.id)


def parse_cursor(cursor: str) -> tuple[datetime, str]:
    return paging.parse_cursor(cursor, "video", what="feed")
