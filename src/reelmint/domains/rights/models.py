"""Licensed characters: who holds the rights, the policy, the fee and who may use them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

Policy = Literal["blocked", "licensed", "open"]
POLICIES: tuple[Policy, ...] = ("blocked", "licensed", "open")
Audience = Literal["everyone", "approved", "nobody"]
AUDIENCES: tuple[Audience, ...] = ("everyone", "approved", "nobody")


class Character(CreatedAt, Base):
    """A character a rights holder registered.

    - `blocked`: never generated; `licensed`: allowed to `audience` for `fee_units` a video
      (the holder's share in basis points goes to the holder); `open`: free, attribution only.
    - `banned_themes`: words or phrases a prompt using the character may not contain.
    """

    __tablename__ = "characters"
    __table_args__ = (
        CheckConstraint("policy IN ('blocked', 'licensed', 'open')", name="policy"),
        CheckConstraint("audience IN ('everyone', 'approved', 'nobody')", name="audience"),
        CheckConstraint("fee_units >= 0", name="fee_units"),
        CheckConstraint("holder_share_bps >= 0 AND holder_share_bps <= 10000", name="share"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("chr"))
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    handle: Mapped[str] = mapped_column(String(40), unique=True, doc="Lower case, for @handle.")
    name: Mapped[str] = mapped_column(String(120))
    aliases_json: Mapped[str] = mapped_column(Text, default="[]")
    description: Mapped[str] = mapped_column(Text, default="")
    policy: Mapped[str] = mapped_column(String(10), default="licensed")
    audience: Mapped[str] = mapped_column(String(10), default="everyone")
    banned_themes_json: Mapped[str] = mapped_column(Text, default="[]")
    fee_units: Mapped[int] = mapped_column(Integer, default=0)
    holder_share_bps: Mapped[int] = mapped_column(
        Integer, default=7000, doc="The rights holder's share of the fee (7000 = 70%)."
    )
    created_by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class CharacterApproval(CreatedAt, Base):
    """A user the rights holder approved for a character whose audience is `approved`."""

    __tablename__ = "character_approvals"

    character_id: Mapped[str] = mapped_column(
        ForeignKey("characters.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
