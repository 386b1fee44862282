"""Cameos: a person's likeness, who may use it, and every video that did.

- `Cameo`: the likeness a user made of themselves, with the consent they gave (the phrase they
  typed and when), who may put it in a video (`permission`) and the restrictions on how.
- `CameoImage`: its reference images (the files live in storage; the row says what was
  checked: type, size, dimensions).
- `CameoApproval`: a user the owner approved (permission `approved`).
- `CameoUse`: one video that mentions the cameo, recorded at admission; what the owner sees.
- `CameoConsent`: the verification phrase a user was shown and must type back to create a
  cameo; one live phrase per user, expiring.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

Permission = Literal["only_me", "approved", "mutual", "everyone"]
PERMISSIONS: tuple[Permission, ...] = ("only_me", "approved", "mutual", "everyone")
CameoStatus = Literal["active", "revoked"]


class Cameo(CreatedAt, Base):
    """A user's likeness. `handle` is unique across cameos and characters (for @handle)."""

    __tablename__ = "cameos"
    __table_args__ = (
        CheckConstraint(
            "permission IN ('only_me', 'approved', 'mutual', 'everyone')", name="permission"
        ),
        CheckConstraint("status IN ('active', 'revoked')", name="status"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("cameo"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    handle: Mapped[str] = mapped_column(String(40), unique=True, doc="Lower case, for @handle.")
    display_name: Mapped[str] = mapped_column(String(80))
    permission: Mapped[str] = mapped_column(String(10), default="only_me")
    restrictions_json: Mapped[str] = mapped_column(
        Text, default="[]", doc="Words or phrases a prompt using the cameo may not contain."
    )
    status: Mapped[str] = mapped_column(String(10), default="active")
    consent_phrase: Mapped[str] = mapped_column(
        String(200), doc="The verification phrase the owner typed back when creating it."
    )
    consented_at: Mapped[datetime]
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class CameoImage(CreatedAt, Base):
    """One reference image of a cameo, checked from its header and decoded once at upload."""

    __tablename__ = "cameo_images"
    __table_args__ = (UniqueConstraint("cameo_id", "position"),)

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("cimg"))
    cameo_id: Mapped[str] = mapped_column(ForeignKey("cameos.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, doc="0 is the main image backends receive.")
    storage_key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)


class CameoApproval(CreatedAt, Base):
    """A user the owner approved to use a cameo whose permission is `approved`."""

    __tablename__ = "cameo_approvals"

    cameo_id: Mapped[str] = mapped_column(
        ForeignKey("cameos.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CameoUse(CreatedAt, Base):
    """A video that uses a cameo (recorded in the video's admission transaction)."""

    __tablename__ = "cameo_uses"
    __table_args__ = (
        UniqueConstraint("cameo_id", "video_id"),
        Index("ix_cameo_uses_video", "video_id", "position"),
        Index("ix_cameo_uses_cameo_created", "cameo_id", "created_at", "id"),  # pages of uses
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("cuse"))
    cameo_id: Mapped[str] = mapped_column(ForeignKey("cameos.id", ondelete="CASCADE"))
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), doc="Who made the video."
    )
    position: Mapped[int] = mapped_column(
        Integer, default=0, doc="The order of first mention in the prompt (0 first)."
    )


class CameoConsent(CreatedAt, Base):
    """The verification phrase a user was shown; typing it back creates the cameo.

    One per user (a new phrase replaces the old); it is deleted once used. The phrase is not
    a secret (it is shown to the user, and the API returns it): it makes consent a deliberate
    act, and the cameo keeps what was typed as the record of it.
    """

    __tablename__ = "cameo_consents"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    phrase: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime]
