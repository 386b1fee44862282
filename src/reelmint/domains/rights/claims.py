"""Claims: a rights holder's say over published videos that use its characters (as Content ID).

- A member of the organisation that holds a character claims a published video that uses it:
  the character is found in the video's prompt or storyboard (the admission detector), or the
  video paid the character's licence fee. The claim says what happens to the video: `block`
  (off the feed; its page and files are for its owner and admins only), `monetize` (its
  creator earnings, its tips, go to the claimant: `earnings_payee`, read by `wallet.tips`;
  tips held while a dispute is open go to whoever it favours) or `track` (recorded, shown to
  the holder).
- A video that paid the character's licence fee is a licensed use: it may only be tracked
  (409 `licensed_use` for block or monetize: the holder was paid for it).
- Of the claims in force on one video the most restrictive wins: block > monetize > track
  (`effective_claim`). A claim is in force while `active`, `disputed` or `upheld`.
- The uploader may dispute a claim once, with a reason; the holder then has
  `claim_dispute_days` to uphold or release it. An unanswered dispute lapses
  (`lapse_unanswered_disputes`, a housekeeping chore). The holder may release any time.
- The uploader is notified of each claim and of each outcome; the holder's members of each
  dispute (and of a lapse). Notifications commit with the change they announce.

Authorisation is here: a claim is visible to the claimant's members, the video's owner and
admins (anyone else: not found). Only members claim and answer; only the owner disputes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import ID_SHAPE, utcnow
from reelmint.db.paging import after_cursor, check_limit, nothing_to_list_after
from reelmint.domains.accounts.models import Membership, Organisation, User
from reelmint.domains.accounts.service import organisation_members
from reelmint.domains.rights.models import CLAIM_ACTIONS, CLAIM_STATUSES, IN_FORCE, Character, Claim
from reelmint.domains.videos.models import Video
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from reelmint.terminal import JOINERS, hidden_character
from reelmint.wording import count_of

# Lower ranks win: the order of CLAIM_ACTIONS.
ACTION_RANK = {action: rank for rank, action in enumerate(CLAIM_ACTIONS)}
DECISIONS = ("uphold", "release")
MIN_REASON = 10
MAX_TEXT = 2000
MAX_PAGE = 100


class CharacterNotInVideo(Forbidden):
    code = "character_not_in_video"


@dataclass(frozen=True)
class ClaimPage:
    """Claims newest first, and whether older ones follow (page on with the last id)."""

    items: list[Claim]
    has_more: bool


@dataclass(frozen=True)
class Payee:
    """Who a video's creator earnings go to: its creator, or the claimant of a monetize claim."""

    user_id: str | None
    organisation_id: str | None
    claim_id: str | None

    @classmethod
    def of_claim(cls, claim: Claim) -> Payee:
        """The claimant of a monetize claim, as payee."""
        return cls(user_id=None, organisation_id=claim.organisation_id, claim_id=claim.id)


# --- claiming ---------------------------------------------------------------------------------


def create_claim(
    *,
    db: Session,
    settings: Settings,
    actor: User,
    video_id: str,
    character_id: str,
    action: str,
) -> Claim:
    """Claim a published video that uses one of the actor's organisation's characters."""
    # 1. What is claimed, by whom, and on which video.
    if action not in CLAIM_ACTIONS:
        raise BadRequest(
            f"action must be one of {', '.join(CLAIM_ACTIONS)}, got {action[:20]!r}",
            code="invalid_action",
            param="action",
        )
    character = _character(db=db, character_id=character_id)
    organisation = _claimant(db=db, actor=actor, character=character)
    video = _published_video(db=db, video_id=video_id)
    # 2. The video must use the character.
    basis, evidence = _use_of(db=db, settings=settings, video=video, character=character)
    _refuse_over_a_licence(basis=basis, action=action, video=video, character=character)
    # 3. One claim in force per (video, character); a dispute the uploader won stays won.
    _refuse_duplicate(db=db, video=video, character=character)
    claim = Claim(
        video_id=video.id,
        character_id=character.id,
        organisation_id=organisation.id,
        action=action,
        status="active",
        basis=basis,
        evidence=evidence[:MAX_TEXT],
        claimed_by_user_id=actor.id,
    )
    try:
        with db.begin_nested():  # a concurrent claim may win the partial unique index
            db.add(claim)
    except IntegrityError:
        raise _exists_error(character, video) from None
    if claim.action == "block":  # what plays it again leaves the feed with it
        from reelmint.domains.videos.derivatives import withdraw_carriers

        withdraw_carriers(db=db, source=video)
    # 4. Tell the uploader.
    _tell_uploader(
        db=db,
        claim=claim,
        video=video,
        event="created",
        title=f"{organisation.name} claimed your video",
        body=f"{organisation.name} claimed your video {video.id} for using {_who(character)}: "
        f"{_effect(claim.action)}. If you think the claim is wrong, dispute it once from the "
        "video's page, saying why.",
    )
    return claim


def _character(*, db: Session, character_id: str) -> Character:
    """The live character, read with a share lock: retiring one (which locks it for update,
    then releases its claims) either finishes first, and is seen, or waits for this claim."""
    character = (
        db.get(Character, character_id, with_for_update={"read": True})
        if ID_SHAPE.fullmatch(character_id)
        else None
    )
    if character is None or character.retired_at is not None:
        raise NotFound(
            f"no character {character_id[:80]}", code="character_not_found", param="character_id"
        )
    return character


def _claimant(*, db: Session, actor: User, character: Character) -> Organisation:
    organisation = db.get(Organisation, character.organisation_id)
    assert organisation is not None  # characters cascade with their organisation
    if db.get(Membership, (organisation.id, actor.id)) is None:
        raise Forbidden(
            f"only members of {organisation.name}, which holds {_who(character)}, can claim "
            "videos that use it",
            code="not_character_holder",
            param="character_id",
        )
    return organisation


def _published_video(*, db: Session, video_id: str) -> Video:
    video = db.get(Video, video_id) if ID_SHAPE.fullmatch(video_id) else None
    published = (
        video is not None
        and video.published_at is not None
        and video.deleted_at is None
        and video.status == "completed"
    )
    if not published:
        raise NotFound(
            f"no published video {video_id[:80]}; only videos in the public feed can be claimed",
            code="video_not_found",
            param="video_id",
        )
    assert video is not None
    return video


def _use_of(
    *, db: Session, settings: Settings, video: Video, character: Character
) -> tuple[str, str]:
    """How the video uses the character: (basis, evidence); refused if it does not."""
    from reelmint.domains.ledger.models import LedgerHold
    from reelmint.domains.rights.service import characters_in

    fee = db.scalar(
        select(LedgerHold).where(
            LedgerHold.idempotency_key == f"video:{video.id}:fee:{character.id}",
            LedgerHold.status == "posted",
        )
    )
    if fee is not None:
        return "licence_fee", f"paid the licence fee of {count_of(fee.amount, 'unit')}"
    texts = video.prompts()
    for match in characters_in(db=db, settings=settings, texts=texts):
        if match.character == character.id:
            return match.how, match.text
    raise CharacterNotInVideo(
        f"video {video.id} does not use {_who(character)}: it is not in the prompt or "
        "storyboard, and the video paid no licence fee for it; only videos that use your "
        "character can be claimed",
        param="video_id",
    )


def _refuse_over_a_licence(*, basis: str, action: str, video: Video, character: Character) -> None:
    """Only `track` where the holder gave its leave, or the claim would reach back on looks
    alone: a video that paid the character's licence fee (409 `licensed_use`: the holder was
    paid for that use); an `open` character, free to all, or a video made before the
    character last stopped being open (409 `open_character`: it may have used it free, and a
    policy changed afterwards cannot reach back); a video made
    before the character was registered or last changed that only its description resembles
    (409 `character_registered_later`): a claim on an earlier video needs the character's
    name, alias or handle in its prompt. Older videos are also the operator's to handle."""
    if action == "track":
        return
    verb = "blocked" if action == "block" else "monetized"
    if basis == "licence_fee":
        raise Conflict(
            f"video {video.id} paid the licence fee for {_who(character)}, so its use is "
            f"licensed: it can be tracked, not {verb}",
            code="licensed_use",
        )
    if character.policy == "open":
        raise Conflict(
            f"{_who(character)} is open: anyone may use it for free, so video {video.id} can "
            f"be tracked, not {verb}",
            code="open_character",
        )
    if character.open_until is not None and video.created_at < character.open_until:
        raise Conflict(
            f"{_who(character)} was open until {character.open_until.date().isoformat()}, and "
            f"video {video.id} was made before then, when anyone could use it for free: it can "
            f"be tracked, not {verb}",
            code="open_character",
        )
    changed = max(character.created_at, character.updated_at or character.created_at)
    if basis == "semantic" and video.created_at < changed:
        raise Conflict(
            f"video {video.id} was made before {_who(character)} was registered or last "
            f"changed here, and only its description resembles the video: it can be tracked, "
            f"not {verb}; a claim on an earlier video needs the character named in its prompt "
            "(or ask the platform's operator)",
            code="character_registered_later",
        )


def _refuse_duplicate(*, db: Session, video: Video, character: Character) -> None:
    """One claim in force per (video, character); and once the uploader has won a dispute
    with an organisation over a video (released, or lapsed unanswered), that organisation
    cannot claim the video again, for this character or any other of its own."""
    earlier = list(
        db.scalars(
            select(Claim).where(
                Claim.video_id == video.id, Claim.organisation_id == character.organisation_id
            )
        )
    )
    if any(c.in_force and c.character_id == character.id for c in earlier):
        raise _exists_error(character, video)
    settled = [c for c in earlier if c.disputed_at is not None and not c.in_force]
    if settled:
        same = settled[0].character_id == character.id
        raise Conflict(
            f"the uploader of video {video.id} disputed your organisation's earlier claim on "
            f"it{' for ' + _who(character) if same else ''} and it was released or lapsed; the "
            "video cannot be claimed again",
            code="claim_dispute_settled",
        )


def _exists_error(character: Character, video: Video) -> Conflict:
    return Conflict(
        f"video {video.id} already has a claim in force for {_who(character)}; release it "
        "first to claim with another action",
        code="claim_exists",
    )


# --- reading ----------------------------------------------------------------------------------


def get_claim(*, db: Session, actor: User, claim_id: str, lock: bool = False) -> Claim:
    """A claim the actor may see: their organisation's, on their video, or any (admins)."""
    claim = None
    if ID_SHAPE.fullmatch(claim_id):
        claim = db.get(Claim, claim_id, with_for_update=True if lock else None)
    if claim is None or not _may_see(db=db, actor=actor, claim=claim):
        raise NotFound(f"no claim {claim_id[:80]}", code="claim_not_found", param="claim_id")
    return claim


def list_claims(
    *,
    db: Session,
    actor: User,
    organisation_id: str | None = None,
    video_id: str | None = None,
    status: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> ClaimPage:
    """Claims the actor may see, newest first: by their organisations and on their videos.

    `organisation_id` narrows to one organisation of theirs (another's: not found);
    `video_id` to one video; `status` to one status; `after` is the previous page's last id.
    """
    check_limit(limit, MAX_PAGE)
    query = _visible_claims(db=db, actor=actor, organisation_id=organisation_id)
    if video_id is not None:
        if not ID_SHAPE.fullmatch(video_id):
            return ClaimPage(items=[], has_more=False)
        query = query.where(Claim.video_id == video_id)
    if status is not None:
        if status not in CLAIM_STATUSES:
            raise BadRequest(
                f"status must be one of {', '.join(CLAIM_STATUSES)}", code="invalid_status"
            )
        query = query.where(Claim.status == status)
    if after is not None:
        cursor = _list_cursor(db=db, actor=actor, after=after)
        query = query.where(
            after_cursor(Claim.created_at, Claim.id, (cursor.created_at, cursor.id))
        )
    query = query.order_by(Claim.created_at.desc(), Claim.id.desc()).limit(limit + 1)
    rows = list(db.scalars(query))
    return ClaimPage(items=rows[:limit], has_more=len(rows) > limit)


def _list_cursor(*, db: Session, actor: User, after: str) -> Claim:
    """The claim a page goes on after: one the actor may see (404 naming `after`)."""
    try:
        return get_claim(db=db, actor=actor, claim_id=after)
    except NotFound:
        raise nothing_to_list_after("claim", after, code="claim_not_found") from None


def _visible_claims(*, db: Session, actor: User, organisation_id: str | None) -> Any:
    query = select(Claim).join(Video, Video.id == Claim.video_id)
    if organisation_id is not None:
        _member_of(db=db, actor=actor, organisation_id=organisation_id)
        return query.where(Claim.organisation_id == organisation_id)
    if actor.role == "admin":
        return query
    return query.where(or_(Claim.organisation_id.in_(_orgs_of(actor)), Video.user_id == actor.id))


def claims_on_video(*, db: Session, video: Video) -> list[Claim]:
    """Every claim on a video, in force first, then newest first (for its owner's page)."""
    claims = db.scalars(
        select(Claim).where(Claim.video_id == video.id).order_by(Claim.created_at.desc())
    )
    return sorted(claims, key=lambda c: not c.in_force)


def effective_claim(*, db: Session, video: Video | str) -> Claim | None:
    """The claim that decides what happens to a video: the most restrictive in force."""
    video_id = video if isinstance(video, str) else video.id
    return effective_claims(db=db, video_ids=[video_id]).get(video_id)


def effective_claims(*, db: Session, video_ids: Iterable[str]) -> dict[str, Claim]:
    """`effective_claim` for many videos at once: video id -> claim (videos without none)."""
    wanted = list(dict.fromkeys(video_ids))
    if not wanted:
        return {}
    found: dict[str, Claim] = {}
    claims = db.scalars(
        select(Claim)
        .where(Claim.video_id.in_(wanted), Claim.status.in_(IN_FORCE))
        .order_by(Claim.created_at, Claim.id)
    )
    for claim in claims:
        best = found.get(claim.video_id)
        if best is None or ACTION_RANK[claim.action] < ACTION_RANK[best.action]:
            found[claim.video_id] = claim
    return found


def blocked_by_claim() -> ColumnElement[bool]:
    """SQL: the `Video` of the enclosing query has a block claim in force."""
    return exists().where(
        Claim.video_id == Video.id, Claim.action == "block", Claim.status.in_(IN_FORCE)
    )


def is_blocked(*, db: Session, video_id: str) -> bool:
    claim = effective_claim(db=db, video=video_id)
    return claim is not None and claim.action == "block"


def earnings_payee(*, db: Session, video: Video) -> Payee:
    """Who a video's creator earnings go to: the claimant of a winning monetize claim, else
    its creator. (A blocked video earns nothing: it cannot be watched.)"""
    claim = effective_claim(db=db, video=video)
    if claim is not None and claim.action == "monetize":
        return Payee.of_claim(claim)
    return Payee(user_id=video.user_id, organisation_id=None, claim_id=None)


# --- disputing and answering ------------------------------------------------------------------


def dispute_claim(
    *,
    db: Session,
    settings: Settings,
    actor: User,
    claim_id: str,
    reason: str,
    now: datetime | None = None,
) -> Claim:
    """The uploader disputes a claim, once, saying why; the holder then has
    `claim_dispute_days` to answer."""
    now = now or utcnow()
    claim = get_claim(db=db, actor=actor, claim_id=claim_id, lock=True)
    video = _video_of(db, claim)
    if video.user_id != actor.id:
        raise Forbidden(
            f"only the uploader of video {video.id} can dispute its claims", code="not_video_owner"
        )
    if claim.disputed_at is not None:
        raise Conflict(
            f"claim {claim.id} was already disputed on {claim.disputed_at:%Y-%m-%d}; a claim "
            "can be disputed once",
            code="claim_already_disputed",
        )
    if not claim.in_force:
        raise Conflict(
            f"claim {claim.id} is {claim.status} and no longer has effect; nothing to dispute",
            code="claim_ended",
        )
    claim.dispute_reason = _text(reason, what="reason", least=MIN_REASON)
    claim.status = "disputed"
    claim.disputed_at = now
    claim.disputed_by_user_id = actor.id
    claim.answer_due_at = now + timedelta(days=settings.claim_dispute_days)
    claim.updated_at = now
    db.flush()
    character = _character_of(db, claim)
    _notify_holder(
        db=db,
        claim=claim,
        event="disputed",
        title=f"A claim for {character.name} was disputed",
        body=f"The uploader of video {video.id} disputed your {claim.action} claim for "
        f"{_who(character)}: {claim.dispute_reason}\n\nUphold or release it by "
        f"{claim.answer_due_at:%Y-%m-%d %H:%M} UTC; unanswered, it lapses then.",
    )
    return claim


def answer_dispute(
    *,
    db: Session,
    actor: User,
    claim_id: str,
    decision: str,
    note: str = "",
    now: datetime | None = None,
) -> Claim:
    """The holder answers a dispute in time: `uphold` (the claim stays) or `release`."""
    now = now or utcnow()
    if decision not in DECISIONS:
        raise BadRequest(
            f"decision must be uphold or release, got {decision[:20]!r}",
            code="invalid_decision",
            param="decision",
        )
    claim = get_claim(db=db, actor=actor, claim_id=claim_id, lock=True)
    _require_holder(db=db, actor=actor, claim=claim, allow_admin=False)
    if claim.status != "disputed":
        after = "release it instead to end it" if claim.in_force else "it no longer has effect"
        raise Conflict(
            f"claim {claim.id} is {claim.status}, not disputed; only a disputed claim is "
            f"answered ({after})",
            code="claim_not_disputed",
        )
    assert claim.answer_due_at is not None
    if now >= claim.answer_due_at:
        raise Conflict(
            f"the time to answer the dispute of claim {claim.id} ended on "
            f"{claim.answer_due_at:%Y-%m-%d %H:%M} UTC; the claim has lapsed",
            code="dispute_lapsed",
        )
    claim.answer_note = _text(note, what="note", least=0) or None
    claim.answered_at = now
    claim.answered_by_user_id = actor.id
    if decision == "uphold":
        claim.status = "upheld"
        claim.updated_at = now
        db.flush()
        _tell_outcome(db=db, claim=claim, verb="upheld", after="It stays in force.")
        return claim
    return _end(db=db, claim=claim, actor=actor, now=now, status="released")


def release_claim(
    *, db: Session, actor: User, claim_id: str, note: str = "", now: datetime | None = None
) -> Claim:
    """The holder (or an admin, moderating) ends a claim in force at any time."""
    now = now or utcnow()
    claim = get_claim(db=db, actor=actor, claim_id=claim_id, lock=True)
    _require_holder(db=db, actor=actor, claim=claim, allow_admin=True)
    if not claim.in_force:
        raise Conflict(
            f"claim {claim.id} is already {claim.status}; it no longer has effect",
            code="claim_ended",
        )
    if note.strip():
        claim.answer_note = _text(note, what="note", least=0)
    return _end(db=db, claim=claim, actor=actor, now=now, status="released")


def lapse_unanswered_disputes(
    *, db: Session, now: datetime | None = None, limit: int = 500
) -> list[str]:
    """End disputed claims whose holder did not answer in time; the ids that lapsed."""
    now = now or utcnow()
    due = db.scalars(
        select(Claim)
        .where(Claim.status == "disputed", Claim.answer_due_at <= now)
        .order_by(Claim.answer_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for claim in due:
        _end(db=db, claim=claim, actor=None, now=now, status="lapsed")
        character = _character_of(db, claim)
        _notify_holder(
            db=db,
            claim=claim,
            event="lapsed",
            title=f"Your claim for {character.name} lapsed",
            body=f"The dispute of your {claim.action} claim on video {claim.video_id} was "
            "not answered in time, so the claim lapsed and no longer has effect.",
        )
    return [claim.id for claim in due]


def end_claims_of_retired(
    *, db: Session, character: Character, actor: User | None, now: datetime
) -> int:
    """Release every claim in force for `character`, which is being retired (its row locked
    by the caller): each uploader is told the claim no longer has effect. How many ended."""
    in_force = db.scalars(
        select(Claim)
        .where(Claim.character_id == character.id, Claim.status.in_(IN_FORCE))
        .order_by(Claim.id)
        .with_for_update()
    ).all()
    how = f"{_who(character)} was retired, so its claim was withdrawn."
    for claim in in_force:
        _end(db=db, claim=claim, actor=actor, now=now, status="released", how=how)
    return len(in_force)


def _end(
    *,
    db: Session,
    claim: Claim,
    actor: User | None,
    now: datetime,
    status: str,
    how: str | None = None,
) -> Claim:
    claim.status = status
    claim.ended_at = now
    claim.ended_by_user_id = actor.id if actor is not None else None
    claim.updated_at = now
    db.flush()
    if claim.action == "monetize":  # the tips it still holds are the creator's
        from reelmint.domains.wallet.tips import reroute_claim_tips

        reroute_claim_tips(db=db, claim=claim)
    after = "It no longer has effect on your video."
    _tell_outcome(db=db, claim=claim, verb=status, after=after, how=how)
    return claim


def _require_holder(*, db: Session, actor: User, claim: Claim, allow_admin: bool) -> None:
    member = db.get(Membership, (claim.organisation_id, actor.id)) is not None
    if not (member or (allow_admin and actor.role == "admin")):
        raise Forbidden(
            f"only members of the organisation that made claim {claim.id} can do this",
            code="not_claimant",
        )


def _text(value: str, *, what: str, least: int) -> str:
    """A dispute's reason or an answer's note: lines of plain text (the other side reads it
    in the app, by email and in claims.csv), with no control or invisible formatting
    character that could hide or reorder it (a right-to-left override); joiners (emoji, some
    scripts), line breaks and tabs are fine."""
    cleaned = value.strip()
    hidden = hidden_character(cleaned, allowed=JOINERS + "\n\r\t")
    if hidden is not None:
        raise BadRequest(
            f"the {what} holds a control or invisible character ({hidden}); remove it",
            code=f"invalid_{what}",
            param=what,
        )
    if not least <= len(cleaned) <= MAX_TEXT:
        raise BadRequest(
            f"the {what} must be {least}-{MAX_TEXT} characters"
            + (f"; say why the claim is wrong in at least {least}" if least else ""),
            code=f"invalid_{what}",
            param=what,
        )
    return cleaned


# --- telling ----------------------------------------------------------------------------------


def _tell_outcome(
    *, db: Session, claim: Claim, verb: str, after: str, how: str | None = None
) -> None:
    video = _video_of(db, claim)
    organisation = db.get(Organisation, claim.organisation_id)
    name = organisation.name if organisation else "the rights holder"
    how = (
        how
        or {
            "upheld": f"{name} upheld its claim after your dispute.",
            "released": f"{name} released its claim.",
            "lapsed": f"{name} did not answer your dispute in time, so the claim lapsed.",
        }[verb]
    )
    _tell_uploader(
        db=db,
        claim=claim,
        video=video,
        event=verb,
        title=f"The claim on your video was {verb}",
        body=f"{how} ({claim.action} claim on video {video.id}.) {after}",
    )


def _tell_uploader(
    *, db: Session, claim: Claim, video: Video, event: str, title: str, body: str
) -> None:
    owner = db.get(User, video.user_id)
    if owner is not None:
        _notify(
            db=db,
            user=owner,
            claim=claim,
            event=event,
            title=title,
            body=body,
            link=f"/videos/{video.id}#claims",
        )


def _notify(
    *, db: Session, user: User, claim: Claim, event: str, title: str, body: str, link: str
) -> None:
    from reelmint.domains.notifications.service import notify

    notify(
        db=db,
        user=user,
        kind=f"claim.{event}",
        title=title[:200],
        body=body[:10_000],
        link=link,
        key=f"claim:{claim.id}:{event}:{user.id}",
    )


def _notify_holder(*, db: Session, claim: Claim, event: str, title: str, body: str) -> None:
    """Tell every member of the claimant organisation, with a link to the claim."""
    for member in organisation_members(db=db, organisation_id=claim.organisation_id):
        _notify(
            db=db,
            user=member,
            claim=claim,
            event=event,
            title=title,
            body=body,
            link=f"/studio#claim-{claim.id}",
        )


# --- shared -----------------------------------------------------------------------------------


def _may_see(*, db: Session, actor: User, claim: Claim) -> bool:
    if actor.role == "admin" or db.get(Membership, (claim.organisation_id, actor.id)):
        return True
    video = db.get(Video, claim.video_id)
    return video is not None and video.user_id == actor.id


def _member_of(*, db: Session, actor: User, organisation_id: str) -> None:
    from reelmint.domains.rights.service import holder_organisation

    if not ID_SHAPE.fullmatch(organisation_id):
        raise NotFound(
            f"no rights-holder organisation {organisation_id[:80]!r} of yours",
            code="organisation_not_found",
        )
    holder_organisation(db=db, actor=actor, organisation_id=organisation_id)


def _orgs_of(actor: User) -> Any:
    return select(Membership.organisation_id).where(Membership.user_id == actor.id)


def claim_members(*, db: Session, claim: Claim) -> list[User]:
    """The claimant organisation's members with open accounts (whom its news goes to)."""
    return organisation_members(db=db, organisation_id=claim.organisation_id)


def _video_of(db: Session, claim: Claim) -> Video:
    video = db.get(Video, claim.video_id)
    assert video is not None  # claims cascade with their video
    return video


def _character_of(db: Session, claim: Claim) -> Character:
    character = db.get(Character, claim.character_id)
    assert character is not None  # claims cascade with their character
    return character


def _who(character: Character) -> str:
    return f"{character.name} (@{character.handle})"


def _effect(action: str) -> str:
    return {
        "block": "the video is blocked: it is off the public feed and only you can watch it",
        "monetize": "the video stays up and its earnings go to the rights holder",
        "track": "the video stays up; the rights holder sees its statistics",
    }[action]


# --- representation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    """A claim with the names pages show: the character, the claimant, whether it wins."""

    claim: Claim
    character_name: str
    character_handle: str
    organisation_name: str
    effective: bool


def describe(*, db: Session, claims: Sequence[Claim]) -> list[ClaimView]:
    winners = effective_claims(db=db, video_ids=[c.video_id for c in claims])
    views = []
    for claim in claims:
        character = _character_of(db, claim)
        organisation = db.get(Organisation, claim.organisation_id)
        views.append(
            ClaimView(
                claim=claim,
                character_name=character.name,
                character_handle=character.handle,
                organisation_name=organisation.name if organisation else "",
                effective=winners.get(claim.video_id) is claim,
            )
        )
    return views


def claim_json(*, db: Session, claim: Claim, effective: bool | None = None) -> dict[str, Any]:
    """The API's representation; `effective` (whether it decides what happens to the video)
    is looked up unless given."""
    character = _character_of(db, claim)
    organisation = db.get(Organisation, claim.organisation_id)
    if effective is None:
        winner = effective_claim(db=db, video=claim.video_id)
        effective = winner is not None and winner.id == claim.id
    return {
        "id": claim.id,
        "object": "claim",
        "video_id": claim.video_id,
        "character_id": claim.character_id,
        "character_handle": character.handle,
        "character_name": character.name,
        "organisation_id": claim.organisation_id,
        "organisation_name": organisation.name if organisation else "",
        "action": claim.action,
        "status": claim.status,
        "in_force": claim.in_force,
        "effective": effective,
        "basis": claim.basis,
        "evidence": claim.evidence,
        "created_at": _epoch(claim.created_at),
        "dispute_reason": claim.dispute_reason,
        "disputed_at": _epoch(claim.disputed_at),
        "answer_due_at": _epoch(claim.answer_due_at),
        "answer_note": claim.answer_note,
        "answered_at": _epoch(claim.answered_at),
        "ended_at": _epoch(claim.ended_at),
    }


def claims_json(*, db: Session, claims: Sequence[Claim]) -> list[dict[str, Any]]:
    winners = effective_claims(db=db, video_ids=[c.video_id for c in claims])
    return [claim_json(db=db, claim=c, effective=winners.get(c.video_id) is c) for c in claims]


def _epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


CSV_COLUMNS = (
    "claim_id",
    "created_at",
    "video_id",
    "character_id",
    "character",
    "action",
    "status",
    "basis",
    "disputed_at",
    "dispute_reason",
    "answer_due_at",
    "answered_at",
    "answer_note",
    "ended_at",
)


def claims_csv(*, db: Session, claims: Sequence[Claim]) -> str:
    """A holder's claims as CSV (cells made safe for spreadsheets)."""
    from reelmint.domains.wallet.service import spreadsheet_safe

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for claim in claims:
        writer.writerow(
            [
                claim.id,
                _iso(claim.created_at),
                claim.video_id,
                claim.character_id,
                spreadsheet_safe(_character_of(db, claim).name),
                claim.action,
                claim.status,
                claim.basis,
                _iso(claim.disputed_at),
                spreadsheet_safe(claim.dispute_reason or ""),
                _iso(claim.answer_due_at),
                _iso(claim.answered_at),
                spreadsheet_safe(claim.answer_note or ""),
                _iso(claim.ended_at),
            ]
        )
    return out.getvalue()


def _iso(value: datetime | None) -> str:
    return "" if value is None else value.isoformat(timespec="seconds")
