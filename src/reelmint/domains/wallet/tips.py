"""Tips: a viewer gives a creator units for a published video, from purchased credits only.

Only purchased credits can tip (they are money; free quota and granted credits are not), and
a tip is one ledger entry: the viewer's purchased credits go down by the tip, the creator's
pending tips go up by their share (`REELMINT_TIP_CREATOR_SHARE_BPS`, 90 % by default; the
platform's cut is rounded down, so a small tip goes to the creator whole), the platform keeps
the rest. A creator's tips stay pending `REELMINT_RIGHTS_HOLD_DAYS`, and longer while the
tipper owes units (a refund or dispute of their payment took back more than they had left),
then become available; what a creator does with available tips (a payout) is the operator's
to arrange, as for rights holders. Each tip carries an idempotency key: a retry with it tips once.

A video with a `monetize` claim in force (`claims.earnings_payee`) earns for the claimant: its
tips' share goes to the rights holder's pending earnings instead, and the entry's `reference`
is the claim (the creator's id otherwise). Such a tip is released as a creator's is, with two
differences that follow Content ID: while the claim is disputed the tip waits for the answer,
and when the claim ends (released, or lapsed unanswered) the tips it still holds move to the
creator's pending tips at once (`reroute_claim_tips`, from the claim's ending; a tip that
commits as the claim ends is sent to the creator when released). A tip released while the
claim stood is the holder's; a later dispute does not take it back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, delete, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.blocks import require_unblocked
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting
from reelmint.domains.ledger.service import (
    InsufficientUnits,
    Leg,
    ensure_account,
    find_entry,
    lock_accounts,
    platform_account,
    transfer,
)
from reelmint.domains.wallet.models import HeldShare
from reelmint.domains.wallet.releases import (
    due_shares,
    hold_share,
    in_debt,
    of_payers_owing_nothing,
    released,
)
from reelmint.errors import BadRequest, Conflict, NotFound, PaymentRequired
from reelmint.wording import count_of

if TYPE_CHECKING:
    from reelmint.domains.rights.claims import Payee
    from reelmint.domains.rights.models import Claim
    from reelmint.domains.videos.models import Video

MAX_TIP_UNITS = 100
TIP = "tip"
TIP_RELEASE = "tip_release"
TIP_REROUTE = "tip_reroute"  # a tip held under a claim that ended, moved to the creator
RELEASE_KEY = "tip-release:"
PENDING, AVAILABLE = "tips_pending", "tips_available"
HOLDER_PENDING = "earnings_pending"  # a rights holder's, for a tip its monetize claim takes
CLAIM_ENDED = ("released", "lapsed")  # the creator won: held tips go to them


@dataclass(frozen=True)
class TipResult:
    """A tip: its entry, the video's creator, and who got what (the creator, or the rights
    holder whose monetize claim `claim_id` was in force on the video)."""

    entry: LedgerEntry
    creator_id: str
    creator_share: int
    holder_share: int = 0
    organisation_id: str | None = None
    claim_id: str | None = None
    replayed: bool = False
    """The tip was made before, by an earlier call with the same key: nothing moved now."""


def tip(
    *,
    db: Session,
    settings: Settings,
    actor: User,
    video_id: str,
    units: int,
    key: str,
) -> TipResult:
    """The actor tips the maker of a published video `units` of their purchased credits,
    once per `key`. Refusals change nothing: 400 `invalid_units` / `cannot_tip_self`, 404
    `video_not_found` (not published, or not there), 403 `account_disabled` / a blocked wallet,
    403 `interaction_not_allowed` (a block stands between them), 402 `insufficient_credits`."""
    from reelmint.domains.rights.claims import earnings_payee
    from reelmint.domains.wallet.service import spending_wallet

    video = _tippable(db, actor, video_id)
    _check_units(units)
    wallet = spending_wallet(db=db, user=actor)
    creator = db.get_one(User, video.user_id)
    if creator.disabled_at is not None:  # closed a moment ago
        raise NotFound(f"no video {video_id}", code="video_not_found", param="video_id")
    ledger_key = f"tip:{actor.id}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"
    replay = find_entry(db=db, key=ledger_key)
    if replay is not None:  # a retry: the tip as it was made, whatever the settings are now
        return replace(_as_made(db, replay, video=video, units=units), replayed=True)
    payee = earnings_payee(db=db, video=video)
    _not_to_own_organisation(db, actor, payee)
    share = creator_share(settings, units)
    legs = [Leg(wallet.purchased, -units)]
    if share:
        legs.append(Leg(_pending_account(db, payee), share))
    if units - share:
        legs.append(Leg(platform_account(db=db, name="tip_revenue"), units - share))
    holder = _holder_name(db, payee)
    try:
        entry = transfer(
            db=db,
            key=ledger_key,
            legs=legs,
            kind=TIP,
            reason=tip_reason(
                units,
                actor.display_name,
                holder or creator.display_name,
                video.id,
                claimed=holder is not None,
            ),
            user_id=actor.id,
            video_id=video.id,
            reference=payee.claim_id or creator.id,
        )
    except InsufficientUnits:
        raise PaymentRequired(
            f"a tip of {count_of(units, 'unit')} needs as many purchased credits; you have "
            f"{max(wallet.purchased.available, 0)} (free quota and granted credits cannot tip)",
            code="insufficient_credits",
        ) from None
    if share:
        hold_share(db, entry)
    if holder is None:
        _tell_creator(db, settings, entry, tipper=actor, creator=creator, share=share)
        return TipResult(entry=entry, creator_id=creator.id, creator_share=share)
    _tell_of_claimed_tip(db, settings, entry, tipper=actor, creator=creator, holder=(holder, share))
    return _claimed_result(entry, creator.id, share, payee)


def _not_to_own_organisation(db: Session, actor: User, payee: Payee) -> None:
    """A member of the rights holder a monetize claim pays cannot tip the video: the tip would
    go to their own organisation (as `cannot_tip_self` for a creator)."""
    from reelmint.domains.accounts.models import Membership

    if payee.organisation_id is None:
        return
    if db.get(Membership, (payee.organisation_id, actor.id)) is not None:
        raise BadRequest(
            f"this video's tips go to {_holder_name(db, payee)}, which you are a member of, "
            "by its monetize claim; you cannot tip your own organisation",
            code="cannot_tip_self",
            param="video_id",
        )


def _pending_account(db: Session, payee: Payee) -> LedgerAccount:
    """Where a tip's share waits: the creator's pending tips, or the claimant's earnings."""
    from reelmint.domains.wallet.service import earnings_account

    if payee.organisation_id is not None:
        return earnings_account(db=db, organisation_id=payee.organisation_id)
    return tips_account(db=db, user_id=payee.user_id or "")


def _holder_name(db: Session, payee: Payee) -> str | None:
    """The name of the organisation a monetize claim makes the payee; None: the creator is."""
    from reelmint.domains.accounts.models import Organisation

    if payee.organisation_id is None:
        return None
    return db.get_one(Organisation, payee.organisation_id).name


def _claimed_result(entry: LedgerEntry, creator_id: str, share: int, payee: Payee) -> TipResult:
    return TipResult(
        entry=entry,
        creator_id=creator_id,
        creator_share=0,
        holder_share=share,
        organisation_id=payee.organisation_id,
        claim_id=payee.claim_id,
    )


def _tell_creator(
    db: Session, settings: Settings, entry: LedgerEntry, *, tipper: User, creator: User, share: int
) -> None:
    from reelmint.domains.notifications.service import notify

    notify(
        db=db,
        user=creator,
        kind="tip_received",
        title="You were tipped",
        body=f"{tipper.display_name} tipped you {count_of(share, 'unit')} for your video. Tips "
        f"become available after {settings.rights_hold_days} days.",
        link=f"/videos/{entry.video_id}",
        email=False,
        key=f"tip:{entry.id}",
    )


def _tell_of_claimed_tip(
    db: Session,
    settings: Settings,
    entry: LedgerEntry,
    *,
    tipper: User,
    creator: User,
    holder: tuple[str, int],
) -> None:
    """The creator learns where the tip went and why; the holder's members (`holder`: its
    name and share), what they earn."""
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.rights.claims import claim_members
    from reelmint.domains.rights.models import Claim

    claim = db.get_one(Claim, entry.reference)
    name, share = holder
    notify(
        db=db,
        user=creator,
        kind="tip_received",
        title="Your video was tipped",
        body=f"{tipper.display_name} tipped your video. {name} has a "
        f"monetize claim in force on it, so the tip goes to {name}. Tips wait "
        f"{settings.rights_hold_days} days; while the claim is disputed they wait for its "
        "answer, and if the claim ends, those still waiting come to you.",
        link=f"/videos/{entry.video_id}#claims",
        email=False,
        key=f"tip:{entry.id}",
    )
    for member in claim_members(db=db, claim=claim):
        notify(
            db=db,
            user=member,
            kind="claim.tip",
            title="A video you monetize was tipped",
            body=f"Video {entry.video_id} was tipped: under your monetize claim {name} earns "
            f"{count_of(share, 'unit')}, pending now and available after "
            f"{settings.rights_hold_days} days (while the claim is disputed, they wait for your "
            "answer).",
            link=f"/studio#claim-{claim.id}",
            email=False,
            key=f"tip:{entry.id}:{member.id}",
        )


def tip_reason(
    units: int, tipper: str, payee: str, video_id: str | None, *, claimed: bool = False
) -> str:
    """A tip's line on a statement; `claimed`: the payee is a rights holder by its claim."""
    line = f"tip of {count_of(units, 'unit')} from {tipper} to {payee} for video {video_id}"
    return f"{line}, which it monetizes by a claim" if claimed else line


def _as_made(db: Session, entry: LedgerEntry, *, video: Video, units: int) -> TipResult:
    """The tip `entry` recorded, if it was this tip (the same video and units), else 409."""
    from reelmint.domains.rights.models import Claim

    shares = _shares(db, entry)
    if entry.video_id != video.id or -shares.get("purchased", 0) != units:
        raise Conflict(
            "this Idempotency-Key was already used for another tip; use a new key",
            code="idempotency_key_reused",
        )
    if HOLDER_PENDING not in shares:
        share = shares.get(PENDING, 0)
        return TipResult(entry=entry, creator_id=video.user_id, creator_share=share)
    from reelmint.domains.rights.claims import Payee

    payee = Payee.of_claim(db.get_one(Claim, entry.reference))
    return _claimed_result(entry, video.user_id, shares[HOLDER_PENDING], payee)


def _shares(db: Session, entry: LedgerEntry) -> dict[str, int]:
    """What `entry` moved, by kind of account."""
    rows = db.execute(
        select(LedgerAccount.kind, LedgerPosting.amount)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.entry_id == entry.id)
    ).all()
    found: dict[str, int] = {}
    for kind, amount in rows:
        found[kind] = found.get(kind, 0) + int(amount)
    return found


def creator_share(settings: Settings, units: int) -> int:
    """The creator's part of a tip: the platform's cut is rounded down, so a small tip goes
    to the creator whole."""
    return units - units * (10_000 - settings.tip_creator_share_bps) // 10_000


def _tippable(db: Session, actor: User, video_id: str) -> Video:
    from reelmint.domains.videos.service import get_visible_video

    # As a user sees it, administrators too: a video a rights holder blocked earns nothing.
    video = get_visible_video(db=db, actor=actor, video_id=video_id, as_admin=False)
    if video.user_id == actor.id:
        raise BadRequest("you cannot tip yourself", code="cannot_tip_self", param="video_id")
    require_unblocked(db, actor, video.user_id, refusal="you cannot tip this user")
    # Read again FOR SHARE: closing its maker's account (which locks their videos) waits for
    # the tip, or the tip waits for it and finds the video gone; never a tip to a closed one.
    db.refresh(video, with_for_update={"read": True})
    if video.deleted_at is not None or video.published_at is None or video.status != "completed":
        raise NotFound(f"no video {video_id}", code="video_not_found", param="video_id")
    return video


def _check_units(units: int) -> None:
    if not 1 <= units <= MAX_TIP_UNITS:
        raise BadRequest(
            f"a tip is 1 to {MAX_TIP_UNITS} units, got {units}", code="invalid_units", param="units"
        )


def tips_account(*, db: Session, user_id: str, available: bool = False) -> LedgerAccount:
    """A creator's tips: pending (the money behind them may still be refunded) or available."""
    kind = AVAILABLE if available else PENDING
    return ensure_account(db=db, code=f"user:{user_id}:{kind}", kind=kind, user_id=user_id)


@dataclass(frozen=True)
class Tips:
    pending: int
    available: int
    in_payout: int = 0  # asked for in a payout not yet paid (not available meanwhile)


def tips_of(*, db: Session, user_id: str) -> Tips:
    """A creator's tips, pending, available and waiting in a payout (nothing written)."""
    found = {
        kind: (int(balance), int(reserved))
        for kind, balance, reserved in db.execute(
            select(LedgerAccount.kind, LedgerAccount.balance, LedgerAccount.reserved).where(
                LedgerAccount.code.in_([f"user:{user_id}:{PENDING}", f"user:{user_id}:{AVAILABLE}"])
            )
        ).all()
    }
    balance, reserved = found.get(AVAILABLE, (0, 0))
    return Tips(
        pending=found.get(PENDING, (0, 0))[0], available=balance - reserved, in_payout=reserved
    )


def reroute_claim_tips(*, db: Session, claim: Claim) -> int:
    """A monetize claim ended (released, or lapsed unanswered): the tips it took that are
    still held move now from the holder's pending earnings to the creator's pending tips, held
    as long as they would have been (from when they were made), and the creator is told. Each
    moves once (`tip-reroute:<tip>`); the units moved. Locks: the held rows, then the two
    accounts, as releasing does."""
    from reelmint.domains.notifications.service import notify
    from reelmint.domains.videos.models import Video
    from reelmint.domains.wallet.service import earnings_account

    held = db.execute(
        select(LedgerEntry, LedgerPosting)
        .join(HeldShare, HeldShare.entry_id == LedgerEntry.id)
        .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            HeldShare.kind == TIP,
            LedgerEntry.reference == claim.id,
            LedgerAccount.kind == HOLDER_PENDING,
        )
        .order_by(HeldShare.created_at, HeldShare.entry_id)
        .with_for_update(of=HeldShare)
    ).all()
    if not held:
        return 0
    creator = db.get_one(User, db.get_one(Video, claim.video_id).user_id)
    source = earnings_account(db=db, organisation_id=claim.organisation_id)
    target = tips_account(db=db, user_id=creator.id)
    lock_accounts(db=db, accounts=[source, target])
    for entry, posting in held:
        moved = transfer(
            db=db,
            key=f"tip-reroute:{entry.id}",
            legs=[Leg(source, -posting.amount), Leg(target, posting.amount)],
            kind=TIP_REROUTE,
            reason=f"tip held under a monetize claim that was {claim.status}: it goes to the "
            "video's creator",
            user_id=entry.user_id,  # the tipper: a debt of theirs still holds the tip
            video_id=entry.video_id,
            reference=creator.id,
        )
        db.execute(delete(HeldShare).where(HeldShare.entry_id == entry.id))
        db.add(HeldShare(entry_id=moved.id, kind=TIP, created_at=entry.created_at))
    units = sum(posting.amount for _, posting in held)
    notify(
        db=db,
        user=creator,
        kind="tip_received",
        title="Tips on your video come to you",
        body=f"The monetize claim on your video was {claim.status}, so the "
        f"{count_of(units, 'unit')} of tips it held come to you, pending like your other tips.",
        link=f"/videos/{claim.video_id}",
        email=False,
        key=f"tip-reroute:{claim.id}",
    )
    return units


def claim_tips(*, db: Session, claim_ids: list[str]) -> dict[str, int]:
    """The units each monetize claim (by id) has taken in tips for its holder, pending or not
    (a tip a claim that ended sent on to the creator counts: it was taken, then given back);
    claims without tips are left out."""
    if not claim_ids:
        return {}
    rows = db.execute(
        select(LedgerEntry.reference, func.sum(LedgerPosting.amount))
        .join(LedgerPosting, LedgerPosting.entry_id == LedgerEntry.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            LedgerEntry.kind == TIP,
            LedgerEntry.reference.in_(claim_ids),
            LedgerAccount.kind == HOLDER_PENDING,
        )
        .group_by(LedgerEntry.reference)
    )
    return {str(claim_id): int(units) for claim_id, units in rows}


def release_tips(
    *, db: Session, settings: Settings, now: datetime | None = None, limit: int = 500
) -> int:
    """Move tips older than `rights_hold_days` from pending to available, once each: a
    creator's to their available tips; a monetize claim's to the holder's available earnings,
    or, if the claim has ended, to the video's creator. A tip whose tipper owes units (a payment
    of theirs was refunded or disputed after the tip) stays pending until the debt is paid: the
    hold is what answers a refund. A claimed tip also stays while its claim is disputed."""
    cutoff = (now or utcnow()) - timedelta(days=settings.rights_hold_days)
    owed = aliased(LedgerAccount)
    tipper_owes = exists().where(owed.user_id == LedgerEntry.user_id, in_debt(owed))
    due = due_shares(
        db,
        kind=TIP,
        pending_kinds=(PENDING, HOLDER_PENDING),
        cutoff=cutoff,
        limit=limit,
        unless=or_(tipper_owes, _claim_disputed()),
    )
    due = of_payers_owing_nothing(db, due, lambda entry: entry.user_id)
    moves = [_release_of(db, settings, entry, posting) for entry, posting in due]
    lock_accounts(db=db, accounts=[account for move in moves for account in move[:2]])
    for (source, target, reason), (entry, posting) in zip(moves, due, strict=True):
        transfer(
            db=db,
            key=f"{RELEASE_KEY}{entry.id}",
            legs=[Leg(source, -posting.amount), Leg(target, posting.amount)],
            kind=TIP_RELEASE,
            reason=reason,
            video_id=entry.video_id,
            reference=entry.id,
        )
    released(db, (entry for entry, _ in due))
    return len(due)


def _claim_disputed() -> ColumnElement[bool]:
    """SQL: the tip entry of the enclosing query names a claim that is disputed now."""
    from reelmint.domains.rights.models import Claim

    return exists().where(Claim.id == LedgerEntry.reference, Claim.status == "disputed")


def _release_of(
    db: Session, settings: Settings, entry: LedgerEntry, posting: LedgerPosting
) -> tuple[LedgerAccount, LedgerAccount, str]:
    """Where a due tip moves: (its pending account, the account it becomes available in, why)."""
    from reelmint.domains.rights.models import Claim
    from reelmint.domains.videos.models import Video
    from reelmint.domains.wallet.service import earnings_account

    held = f"tip held {settings.rights_hold_days} days"
    source = db.get_one(LedgerAccount, posting.account_id)
    if source.kind == PENDING:
        target = tips_account(db=db, user_id=entry.reference or "", available=True)
        return source, target, f"{held}: now available"
    claim = db.get_one(Claim, entry.reference)
    if claim.status in CLAIM_ENDED:
        creator = db.get_one(Video, entry.video_id).user_id
        why = f"{held}; the monetize claim on the video was {claim.status}: it goes to the creator"
        return source, tips_account(db=db, user_id=creator, available=True), why
    target = earnings_account(db=db, organisation_id=claim.organisation_id, available=True)
    return source, target, f"{held} under a monetize claim: now available"
