"""Tips: a viewer gives a creator units for a published video, from purchased credits only.

Only purchased credits can tip (they are money; free quota and granted credits are not), and
a tip is one ledger entry: the viewer's purchased credits go down by the tip, the creator's
pending tips go up by their share (`REELMINT_TIP_CREATOR_SHARE_BPS`, 90 % by default; the
platform's cut is rounded down, so a small tip goes to the creator whole), the platform keeps
the rest. A creator's tips stay pending `REELMINT_RIGHTS_HOLD_DAYS`, and longer while the
tipper owes units (a refund or dispute of their payment took back more than they had left),
then become available; what a creator does with available tips (a payout) is the operator's
to arrange, as for rights holders. Each tip carries an idempotency key: a retry with it tips once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session, aliased

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerAccount, LedgerEntry, LedgerPosting
from reelmint.domains.ledger.service import (
    InsufficientUnits,
    Leg,
    ensure_account,
    find_entry,
    platform_account,
    transfer,
)
from reelmint.domains.wallet.releases import due_shares, hold_share, payee_accounts, released
from reelmint.errors import BadRequest, Conflict, NotFound, PaymentRequired

if TYPE_CHECKING:
    from reelmint.domains.videos.models import Video

MAX_TIP_UNITS = 100
TIP = "tip"
TIP_RELEASE = "tip_release"
RELEASE_KEY = "tip-release:"
PENDING, AVAILABLE = "tips_pending", "tips_available"


@dataclass(frozen=True)
class TipResult:
    entry: LedgerEntry
    creator_id: str
    creator_share: int


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
    402 `insufficient_credits`."""
    from reelmint.domains.notifications.service import notify
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
        return _as_made(db, replay, video_id=video.id, units=units)
    share = creator_share(settings, units)
    legs = [Leg(wallet.purchased, -units)]
    if share:
        legs.append(Leg(tips_account(db=db, user_id=creator.id), share))
    if units - share:
        legs.append(Leg(platform_account(db=db, name="tip_revenue"), units - share))
    try:
        entry = transfer(
            db=db,
            key=ledger_key,
            legs=legs,
            kind=TIP,
            reason=tip_reason(units, actor.display_name, creator.display_name, video.id),
            user_id=actor.id,
            video_id=video.id,
            reference=creator.id,
        )
    except InsufficientUnits:
        raise PaymentRequired(
            f"a tip of {_count(units, 'unit')} needs as many purchased credits; you have "
            f"{max(wallet.purchased.available, 0)} (free quota and granted credits cannot tip)",
            code="insufficient_credits",
        ) from None
    if share:
        hold_share(db, entry)
    notify(
        db=db,
        user=creator,
        kind="tip_received",
        title="You were tipped",
        body=f"{actor.display_name} tipped you {_count(share, 'unit')} for your video. Tips become "
        f"available after {settings.rights_hold_days} days.",
        link=f"/videos/{video.id}",
        email=False,
        key=f"tip:{entry.id}",
    )
    return TipResult(entry=entry, creator_id=creator.id, creator_share=share)


def tip_reason(units: int, tipper: str, creator: str, video_id: str | None) -> str:
    """A tip's line on a statement."""
    return f"tip of {units} units from {tipper} to {creator} for video {video_id}"


def _as_made(db: Session, entry: LedgerEntry, *, video_id: str, units: int) -> TipResult:
    """The tip `entry` recorded, if it was this tip (the same video and units), else 409."""
    postings = db.execute(
        select(LedgerAccount.kind, LedgerPosting.amount)
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(LedgerPosting.entry_id == entry.id)
    ).all()
    paid = -sum(amount for kind, amount in postings if kind == "purchased")
    if entry.video_id != video_id or paid != units:
        raise Conflict(
            "this Idempotency-Key was already used for another tip; use a new key",
            code="idempotency_key_reused",
        )
    share = sum(amount for kind, amount in postings if kind == PENDING)
    return TipResult(entry=entry, creator_id=entry.reference or "", creator_share=share)


def creator_share(settings: Settings, units: int) -> int:
    """The creator's part of a tip: the platform's cut is rounded down, so a small tip goes
    to the creator whole."""
    return units - units * (10_000 - settings.tip_creator_share_bps) // 10_000


def _tippable(db: Session, actor: User, video_id: str) -> Video:
    from reelmint.domains.videos.service import get_visible_video

    video = get_visible_video(db=db, actor=actor, video_id=video_id)
    if video.user_id == actor.id:
        raise BadRequest("you cannot tip yourself", code="cannot_tip_self", param="video_id")
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


def release_tips(
    *, db: Session, settings: Settings, now: datetime | None = None, limit: int = 500
) -> int:
    """Move creators' tips older than `rights_hold_days` from pending to available, once
    each. A tip whose tipper owes units (a payment of theirs was refunded or disputed after
    the tip) stays pending until the debt is paid: the hold is what answers a refund."""
    cutoff = (now or utcnow()) - timedelta(days=settings.rights_hold_days)
    owed = aliased(LedgerAccount)
    tipper_owes = exists().where(owed.user_id == LedgerEntry.user_id, _in_debt(owed))
    due = due_shares(
        db, kind=TIP, pending_kind=PENDING, cutoff=cutoff, limit=limit, unless=tipper_owes
    )
    due = _of_tippers_owing_nothing(db, due)
    accounts = payee_accounts(
        db,
        due,
        lambda creator_id, available: tips_account(db=db, user_id=creator_id, available=available),
    )
    for entry, posting in due:
        creator_id = entry.reference or ""
        transfer(
            db=db,
            key=f"{RELEASE_KEY}{entry.id}",
            legs=[
                Leg(accounts[(creator_id, False)], -posting.amount),
                Leg(accounts[(creator_id, True)], posting.amount),
            ],
            kind=TIP_RELEASE,
            reason=f"tip held {settings.rights_hold_days} days: now available",
            video_id=entry.video_id,
            reference=entry.id,
        )
    released(db, (entry for entry, _ in due))
    return len(due)


def _of_tippers_owing_nothing(
    db: Session, due: list[tuple[LedgerEntry, LedgerPosting]]
) -> list[tuple[LedgerEntry, LedgerPosting]]:
    """`due` less the tips of tippers who owe, asked again with their wallets locked: a refund
    or dispute taking a tipper's wallet as this runs is waited for and seen."""
    from reelmint.domains.wallet.service import lock_wallets

    tippers = sorted({entry.user_id for entry, _ in due if entry.user_id})
    lock_wallets(db=db, user_ids=tippers)
    owing = set(
        db.scalars(
            select(LedgerAccount.user_id).where(
                LedgerAccount.user_id.in_(tippers), _in_debt(LedgerAccount)
            )
        )
    )
    return [(entry, posting) for entry, posting in due if entry.user_id not in owing]


def _in_debt(account: Any) -> ColumnElement[bool]:
    """`account` (the table or an alias of it) is a wallet's `owed` account with a debt."""
    return and_(account.kind == "owed", account.balance < 0)


def _count(number: int, noun: str) -> str:
    """`1 unit`, `5 units`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
