"""Licensed characters: who holds the rights, the policy, the fee and who may use them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.db.base import Base, CreatedAt, new_id

Policy = Literal["blocked", "licensed", "open"]
POLICIES: tuple[Policy, ...] = ("blocked", "licensed", "open")
Audience = Literal["everyone", "approved", "nobody"]
AUDIENCES: tuple[Audience, ...] = ("everyone", "approved", "nobody")
ClaimAction = Literal["block", "monetize", "track"]
# Most restrictive first: the order in which claims on one video take precedence.
CLAIM_ACTIONS: tuple[ClaimAction, ...] = ("block", "monetize", "track")
ClaimStatus = Literal["active", "disputed", "upheld", "released", "lapsed"]
CLAIM_STATUSES: tuple[ClaimStatus, ...] = ("active", "disputed", "upheld", "released", "lapsed")
# A claim in one of these has effect (a disputed one keeps it until answered or lapsed).
IN_FORCE: tuple[ClaimStatus, ...] = ("active", "disputed", "upheld")
_IN_FORCE_SQL = "status IN ('active', 'disputed', 'upheld')"


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
    open_until: Mapped[datetime | None] = mapped_column(
        default=None,
        doc="When the character last stopped being open (its policy changed from open to "
        "another): a video made before it may have used it for free, so it can be tracked, "
        "never blocked or monetized.",
    )
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class CharacterRegistry(Base):
    """One row (id 1) whose `version` moves whenever any row of `characters` is inserted,
    changed or deleted. Database triggers move it, so changes made through the ORM, in SQL, or
    by a cascade (an organisation deleted) all count. Admission reads it with one key lookup,
    whatever the registry's size, to know whether the detector it built is still current.

    The version starts at a random number, so a database made again at the same address never
    repeats one a running process has seen. On SQLite a migration that rebuilds `characters`
    (Alembic's batch mode) drops its triggers: it must run `registry_trigger_ddl` again
    (tests/db/test_migrations.py checks the head has them).
    """

    __tablename__ = "character_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


REGISTRY_ROW = 1


def registry_trigger_ddl(dialect: str) -> list[str]:
    """The statements that seed the registry row and install the triggers on `characters`."""
    if dialect == "postgresql":
        return [
            "INSERT INTO character_registry (id, version) "
            "VALUES (1, floor(random() * 1e15)::bigint) ON CONFLICT (id) DO NOTHING",
            "CREATE OR REPLACE FUNCTION character_registry_bump() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "UPDATE character_registry SET version = version + 1 WHERE id = 1; "
            "RETURN NULL; END $$",
            "CREATE TRIGGER characters_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            "ON characters FOR EACH STATEMENT EXECUTE FUNCTION character_registry_bump()",
        ]
    bump = "UPDATE character_registry SET version = version + 1 WHERE id = 1"
    return [
        "INSERT OR IGNORE INTO character_registry (id, version) "
        "VALUES (1, abs(random()) % 1000000000000000)",
        *(
            f"CREATE TRIGGER characters_{name} AFTER {verb} ON characters BEGIN {bump}; END"
            for verb, name in (("INSERT", "inserted"), ("UPDATE", "updated"), ("DELETE", "deleted"))
        ),
    ]


# The triggers go on `characters`, so `create_all` must make that table first.
CharacterRegistry.__table__.add_is_dependent_on(Character.__table__)


@event.listens_for(CharacterRegistry.__table__, "after_create")
def _install_triggers(_table: object, connection: Connection, **_kw: object) -> None:
    """`create_all` (tests, benchmarks) gets what the migration installs."""
    for statement in registry_trigger_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)


class CharacterImage(CreatedAt, Base):
    """A reference image of a character: public, like the catalogue, so fans and detectors can
    see what the character looks like. Checked from its header and re-encoded as JPEG at
    upload (domains/uploads.py). Positions grow as images are added; a deleted one leaves a
    gap (URLs name the position)."""

    __tablename__ = "character_images"
    __table_args__ = (
        UniqueConstraint("character_id", "position"),
        CheckConstraint("position >= 0", name="position"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("chimg"))
    character_id: Mapped[str] = mapped_column(ForeignKey("characters.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(
        String(300), doc="characters/<character id>/<image id>.jpg: made from ids only."
    )
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)


class CharacterApproval(CreatedAt, Base):
    """A user the rights holder approved for a character whose audience is `approved`."""

    __tablename__ = "character_approvals"

    character_id: Mapped[str] = mapped_column(
        ForeignKey("characters.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Claim(CreatedAt, Base):
    """A rights holder's claim on a published video that uses one of its characters.

    Life: `active` -> (the uploader disputes, once) `disputed` -> (the holder answers within
    `claim_dispute_days`) `upheld` | `released`, or (unanswered) `lapsed`. The holder may
    release a claim at any time. `active`, `disputed` and `upheld` claims are in force; of
    those on one video the most restrictive action wins (block > monetize > track). At most
    one claim per (video, character) is in force (a partial unique index).
    """

    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint("action IN ('block', 'monetize', 'track')", name="action"),
        CheckConstraint(
            "status IN ('active', 'disputed', 'upheld', 'released', 'lapsed')", name="status"
        ),
        Index(
            "uq_claims_in_force",
            "video_id",
            "character_id",
            unique=True,
            sqlite_where=text(_IN_FORCE_SQL),
            postgresql_where=text(_IN_FORCE_SQL),
        ),
        Index("ix_claims_status_due", "status", "answer_due_at"),
    )

    id: Mapped[str] = mapped_column(primary_key=True, default=lambda: new_id("clm"))
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.id", ondelete="CASCADE"), index=True)
    character_id: Mapped[str] = mapped_column(
        ForeignKey("characters.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True, doc="The claimant."
    )
    action: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="active")
    basis: Mapped[str] = mapped_column(
        String(20),
        doc="How the video uses the character: mention, alias, fuzzy, semantic (found in its "
        "prompt or storyboard) or licence_fee (it paid the character's fee).",
    )
    evidence: Mapped[str] = mapped_column(
        Text, default="", doc="The text the character was found in (or the fee paid)."
    )
    claimed_by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # The uploader's one dispute.
    dispute_reason: Mapped[str | None] = mapped_column(Text, default=None)
    disputed_at: Mapped[datetime | None] = mapped_column(default=None)
    disputed_by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    answer_due_at: Mapped[datetime | None] = mapped_column(
        default=None, doc="When an unanswered dispute lapses (disputed_at + claim_dispute_days)."
    )
    # The holder's answer to the dispute, or a release at any time.
    answer_note: Mapped[str | None] = mapped_column(Text, default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    ended_at: Mapped[datetime | None] = mapped_column(
        default=None, doc="When it stopped having effect (released or lapsed)."
    )
    ended_by_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"),
        default=None,
        doc="Who released it (None when it lapsed).",
    )
    updated_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def in_force(self) -> bool:
        return self.status in IN_FORCE
