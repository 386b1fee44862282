"""The API's shapes of the feed: a page of published videos with their creators."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

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


class FeedPageOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[FeedItemOut]
    has_more: bool
    next_cursor: str | None = Field(
        default=None, description="Pass as `after` for the next, older page; null on the last."
    )
