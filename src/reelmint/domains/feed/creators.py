"""A creator's public profile: their name, when they joined, how many published videos and
followers they have, and their published videos, newest first; and finding creators by name.

What a visitor may see of anyone: the display name (never the email), the counts, and the
videos the feed would show (so a disabled account, or a video under a rights holder's block
claim, shows nowhere). Between a signed-in viewer and the creator it also says who follows
whom; the lists of followers stay private to their owner (accounts/follows.py). A creator
who blocked the viewer is no one to them: the profile and its videos are 404, and search does
not find them (accounts/blocks.py); the signed-out view is the same for everyone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

from sqlalchemy import case, false, func, select
from sqlalchemy.orm import Session

from reelmint.db.paging import check_limit
from reelmint.domains.accounts import blocks, follows
from reelmint.domains.accounts.models import User, name_key
from reelmint.domains.feed.service import (
    FeedPage,
    for_viewer,
    in_feed,
    public_feed,
    without_blocked_work,
)
from reelmint.domains.videos.models import Video
from reelmint.errors import BadRequest

MAX_SEARCH_RESULTS = 50
SEARCH_LENGTH = (2, 80)


@dataclass(frozen=True)
class CreatorProfile:
    """What anyone may know of `user`; `you_follow` and `follows_you` relate them to the
    viewer (None for a visitor, and on one's own profile)."""

    user: User
    videos: int
    followers: int
    following: int
    you_follow: bool | None = None
    follows_you: bool | None = None
    you_blocked: bool | None = None

    @property
    def mutual(self) -> bool:
        return bool(self.you_follow and self.follows_you)


def creator_profile(*, db: Session, viewer: User | None, user_id: str) -> CreatorProfile:
    """The profile of `user_id` (404 `user_not_found` if there is no such active user, or
    they blocked the viewer)."""
    user = follows.user_seen_by(db, user_id, viewer=viewer)
    following, followers = follows.follow_counts(db=db, user=user)
    published = select(func.count()).select_from(Video).join(User, User.id == Video.user_id)
    videos = db.scalar(published.where(Video.user_id == user.id, *in_feed())) or 0
    profile = CreatorProfile(user=user, videos=videos, followers=followers, following=following)
    if viewer is None or viewer.id == user.id:
        return profile
    return replace(
        profile,
        you_follow=follows.follows(db=db, follower_id=viewer.id, followee_id=user.id),
        follows_you=follows.follows(db=db, follower_id=user.id, followee_id=viewer.id),
        you_blocked=blocks.blocks(db, blocker_id=viewer.id, blocked_id=user.id),
    )


def creator_videos(
    *,
    db: Session,
    viewer: User | None,
    user_id: str,
    cursor: str | None = None,
    limit: int = 20,
) -> FeedPage:
    """`user_id`'s videos in the feed, newest first, paged like the feed (404
    `user_not_found` if there is no such active user, or they blocked the viewer), less those
    that play again the work of someone a block stands between the viewer and."""
    user = follows.user_seen_by(db, user_id, viewer=viewer)
    page = public_feed(db=db, cursor=cursor, limit=limit, creator_id=user.id)
    if viewer is not None:
        page = without_blocked_work(db=db, viewer_id=viewer.id, page=page)
    return for_viewer(db=db, viewer=viewer, page=page)


@dataclass(frozen=True)
class CreatorMatch:
    """A creator whose display name matches a search; `you_follow` as in CreatorProfile."""

    user: User
    you_follow: bool | None = None


@dataclass(frozen=True)
class CreatorSearch:
    matches: list[CreatorMatch]
    has_more: bool


def search_creators(
    *, db: Session, viewer: User | None, query: str, limit: int = 20
) -> CreatorSearch:
    """Creators (active users with a video in the feed) whose display name contains `query`,
    compared casefolded with spaces collapsed (`name_key`), names starting with it first.
    Nobody is found who has not published: a name alone is not offered to strangers (nor is
    any part of an email: an account given no name is "Creator" and a number). Emails are
    never searched. `you_follow` is None for oneself and for anyone the viewer blocked."""
    check_limit(limit, MAX_SEARCH_RESULTS)
    # Compatibility forms typed on a phone (fullwidth "ａｌｉｃｅ") look for the letters they are.
    wanted = name_key(unicodedata.normalize("NFKC", query))
    shortest, longest = SEARCH_LENGTH
    if not shortest <= len(wanted) <= longest:
        typed = len(" ".join(query.split()))  # name_key stops counting at its own cap
        raise BadRequest(
            f"search for {shortest} to {longest} characters of a name, got {typed}",
            code="invalid_query",
            param="q",
        )
    published = select(Video.id).where(Video.user_id == User.id, *in_feed()).exists()
    starts = case((User.name_key.startswith(wanted, autoescape=True), 0), else_=1)
    hidden = blocks.blocked(viewer.id, by=User.id) if viewer else false()
    found = db.scalars(
        select(User)
        .where(User.name_key.contains(wanted, autoescape=True), published, ~hidden)
        .order_by(starts, User.name_key, User.id)
        .limit(limit + 1)
    )
    users = list(found)
    more, users = len(users) > limit, users[:limit]
    others = [user.id for user in users if viewer is not None and user.id != viewer.id]
    followed = (
        follows.followed_among(db=db, follower_id=viewer.id, user_ids=others) if viewer else set()
    )
    # Whom the viewer blocked: no follow state (the web shows no Follow button: it is refused).
    blocked = blocks.blocked_among(db, blocker_id=viewer.id, user_ids=others) if viewer else set()
    related = set(others) - blocked
    matches = [
        CreatorMatch(user=user, you_follow=user.id in followed if user.id in related else None)
        for user in users
    ]
    return CreatorSearch(matches, more)
