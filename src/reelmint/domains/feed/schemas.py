"""The API's shapes of the feed: a page of published videos with their creators, and a
creator's public profile."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from reelmint.db.base import unix_time
from reelmint.domains.feed.creators import CreatorProfile
from reelmint.domains.videos.schemas import VideoOut


class CreatorOut(BaseModel):
    """Who made a video, as the feed shows them."""

    id: str
    object: Literal["user"] = "user"
    display_name: str


class FeedItemOut(BaseModel):
    object: Literal["feed.item"] = "feed.item"
    video: VideoOut
    creator: CreatorOut
    following: bool | None = Field(
        default=None,
        description="Whether you follow the creator (null without credentials, and on your "
        "own videos).",
    )
    likes: int = Field(default=0, description="How many people like the video.")
    liked: bool | None = Field(
        default=None, description="Whether you like it (null without credentials)."
    )


class LikesOut(BaseModel):
    """A video's likes after you liked or unliked it."""

    object: Literal["video.likes"] = "video.likes"
    video_id: str
    likes: int
    liked: bool


class FeedPageOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[FeedItemOut]
    has_more: bool
    next_cursor: str | None = Field(
        default=None, description="Pass as `after` for the next, older page; null on the last."
    )


class CreatorProfileOut(BaseModel):
    """What anyone may see of a creator: never their email, nor whom they follow."""

    id: str
    object: Literal["user.profile"] = "user.profile"
    display_name: str
    joined_at: int = Field(description="When the account was made (Unix seconds).")
    videos: int = Field(description="Published videos in the feed.")
    followers: int
    following: int
    you_follow: bool | None = Field(
        default=None,
        description="Whether you follow them (null without credentials, and on your own profile).",
    )
    follows_you: bool | None = Field(
        default=None, description="Whether they follow you (null likewise)."
    )
    you_blocked: bool | None = Field(
        default=None,
        description="Whether you blocked them (null likewise); unblock with "
        "DELETE /v1/users/{id}/block.",
    )

    @classmethod
    def of(cls, profile: CreatorProfile) -> CreatorProfileOut:
        user = profile.user
        return cls(
            id=user.id,
            display_name=user.display_name,
            joined_at=unix_time(user.created_at),
            videos=profile.videos,
            followers=profile.followers,
            following=profile.following,
            you_follow=profile.you_follow,
            follows_you=profile.follows_you,
            you_blocked=profile.you_blocked,
        )


class CreatorMatchOut(CreatorOut):
    """A creator a name search found."""

    you_follow: bool | None = Field(
        default=None,
        description="Whether you follow them (null without credentials, and on yourself).",
    )


class CreatorSearchOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[CreatorMatchOut]
    has_more: bool = Field(description="More creators match: narrow the search.")
