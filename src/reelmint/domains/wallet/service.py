"""A user's wallet: today's free quota, granted credits and purchased credits, kept as three
ledger accounts, plus `owed` (what a lost payment dispute left unpaid).

- Admission (`reserve_for_video`) runs in the job's transaction: it locks the user's accounts,
  refreshes today's quota, and places one hold per source in the configured spend order
  (default: quota, then granted, then purchased). It refuses, charging nothing, when the
  sources cannot cover the price or the wallet is blocked by a debt.
- Settlement (`settle_video`) runs in the transaction that ends the job: a completed video
  posts its holds (spent quota and granted credits go to platform accounts that are not
  revenue; purchased credits go to `platform:revenue`), anything else voids them with the
  reason, which the statement shows as a refund.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from reelmint.config import Settings
from reelmint.db.base import ID_SHAPE, new_id, utcnow
from reelmint.db.paging import after_cursor, cursor_at, cursor_time, invalid_cursor
from reelmint.domains.accounts.closure import CLOSED_NAME
from reelmint.domains.accounts.models import Organisation, User
from reelmint.domains.accounts.service import require_open, suspended_error
from reelmint.domains.ledger.models import LedgerAccount, LedgerEntry, LedgerHold, LedgerPosting
from reelmint.domains.ledger.service import (
    Leg,
    ensure_account,
    expire_holds,
    find_entry,
    lock_accounts,
    lock_accounts_by_code,
    platform_account,
    platform_account_id,
    post_hold,
    reserve,
    transfer,
    void_hold,
)
from reelmint.domains.payouts.models import PAYOUT
from reelmint.domains.quota.service import (
    MAX_REASON_CHARS,
    check_plan,
    daily_limit,
    expire_unused,
    grant_key,
    held_until,
    local_day,
    next_reset,
    quota_withheld,
    refresh_daily_quota,
    tell_plan_change,
    user_zone,
)
from reelmint.domains.rights.models import Character
from reelmint.domains.rights.service import Fee
from reelmint.domains.wallet.models import LicenceTerms
from reelmint.domains.wallet.releases import (
    due_shares,
    hold_share,
    in_debt,
    of_payers_owing_nothing,
    payee_accounts,
    released,
)
from reelmint.domains.wallet.tips import tip_reason
from reelmint.errors import BadRequest, Conflict, Forbidden, PaymentRequired, TooManyRequests
from reelmint.terminal import hidden_character
from reelmint.wording import count_of

SOURCES = ("quota", "granted", "purchased")
LICENCE_FEE = "licence_fee"
MAX_BIGINT = 2**63 - 1  # the largest posting id a cursor can name (64-bit ids)
MAX_GRANT_UNITS = 1_000_000_000  # one grant; balances are 64-bit, far beyond any sum of them
WALLET_KINDS = (*SOURCES, "owed")
# Where spent units go: only purchased credits are revenue.
SPENT_TO = {"quota": "quota_spent", "granted": "grants_spent", "purchased": "revenue"}


@dataclass(frozen=True)
class Wallet:
    """A user's ledger accounts."""

    quota: LedgerAccount
    granted: LedgerAccount
    purchased: LedgerAccount
    owed: LedgerAccount

    def source(self, name: str) -> LedgerAccount:
        return {"quota": self.quota, "granted": self.granted, "purchased": self.purchased}[name]

    @property
    def credits(self) -> int:
        """Credits available beyond the quota (granted and purchased)."""
        return self.granted.available + self.purchased.available

    @property
    def debt(self) -> int:
        return max(0, -self.owed.balance)


def _code(user_id: str, kind: str) -> str:
    return f"user:{user_id}:{kind}"


def _wallet_codes(user_id: str) -> list[str]:
    """The ledger codes of the user's wallet accounts."""
    return [_code(user_id, kind) for kind in WALLET_KINDS]


def wallet_of(*, db: Session, user_id: str, lock: bool = False) -> Wallet:
    """The user's accounts, created on first use; locked (in the global order) if asked."""
    if lock:  # the usual case at admission: one query finds and locks all four
        found = lock_accounts_by_code(db=db, codes=_wallet_codes(user_id))
        if len(found) == len(WALLET_KINDS):
            return Wallet(**{account.kind: account for account in found})
    accounts: dict[str, LedgerAccount] = {
        kind: ensure_account(
            db=db,
            code=_code(user_id, kind),
            kind=kind,
            user_id=user_id,
            allow_negative=kind == "owed",
        )
        for kind in WALLET_KINDS
    }
    if lock:
        for account in lock_accounts(db=db, accounts=accounts.values()):
            accounts[account.kind] = account
    return Wallet(**accounts)


def lock_wallets(*, db: Session, user_ids: Iterable[str | None]) -> None:
    """Lock these users' wallets, all in one statement (id order). A transaction that settles
    the videos of several users takes this first: settling one takes a platform account, and
    it must not then wait for the next user's wallet while holding it (that user's admission
    may hold the wallet and want the platform account)."""
    users = sorted({user_id for user_id in user_ids if user_id})
    if users:
        lock_accounts_by_code(
            db=db, codes=[code for user_id in users for code in _wallet_codes(user_id)]
        )


def read_wallet(*, db: Session, user_id: str) -> Wallet:
    """The user's accounts for reading: ones not made yet read as empty (nothing is written)."""
    found = {
        account.kind: account
        for account in db.scalars(
            select(LedgerAccount).where(LedgerAccount.code.in_(_wallet_codes(user_id)))
        )
    }
    blank = {
        kind: LedgerAccount(code=_code(user_id, kind), kind=kind, balance=0, reserved=0)
        for kind in WALLET_KINDS
        if kind not in found
    }
    return Wallet(**found, **blank)


def spending_wallet(*, db: Session, user: User) -> Wallet:
    """The user's wallet, locked, to spend from; refused (nothing written) when the account
    is disabled or closed (read again under this lock, which closing takes too: a request
    authenticated a moment before is refused here) or a disputed payment left units owed."""
    wallet = wallet_of(db=db, user_id=user.id, lock=True)
    _read_again_under_lock(db, user)
    if wallet.debt:
        raise Forbidden(
            "your wallet is blocked: a payment of yours was refunded or disputed after its "
            f"credits were spent, and {count_of(wallet.debt, 'unit')} "
            f"{'is' if wallet.debt == 1 else 'are'} still owed; buy credits "
            "to settle it, or contact the operator",
            code="wallet_blocked",
        )
    return wallet


def _read_again_under_lock(db: Session, user: User) -> None:
    """Refuse a disabled or closed account, or one suspended since the request was
    authenticated (403 `account_suspended`), and take the user's plan, time zone and held
    quota day as they are now (one primary-key read): closing, changing the plan and changing
    the time zone take the wallet's lock too, so the quota day this admission grants and
    spends is the current one, from the current plan."""
    now = db.execute(
        select(
            User.disabled_at,
            User.suspended_at,
            User.suspended_reason,
            User.plan,
            User.timezone,
            User.held_quota_day,
            User.held_quota_day_ends,
        ).where(User.id == user.id)
    ).one()
    if now.disabled_at is not None:
        raise account_disabled()
    if now.suspended_at is not None:
        user.suspended_at, user.suspended_reason = now.suspended_at, now.suspended_reason
        raise suspended_error(user)
    for name in ("plan", "timezone", "held_quota_day", "held_quota_day_ends"):
        if getattr(user, name) != getattr(now, name):
            setattr(user, name, getattr(now, name))


def is_disabled(*, db: Session, user_id: str) -> bool:
    """Whether the account is disabled or closed, as the database says now."""
    return db.scalar(select(User.disabled_at).where(User.id == user_id)) is not None


def account_disabled() -> Forbidden:
    return Forbidden(
        "this account is disabled or closed; nothing was charged", code="account_disabled"
    )


# --- admission --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Charge:
    """How a price would be paid: units per source, in spend order."""

    units: int
    parts: tuple[tuple[str, int], ...]

    @property
    def covered(self) -> bool:
        return sum(units for _, units in self.parts) == self.units


def plan_charge(*, settings: Settings, available: Mapping[str, int], units: int) -> Charge:
    """Split `units` over the sources in spend order, taking what each has available."""
    parts: list[tuple[str, int]] = []
    left = units
    for source in settings.spend_order:
        take = min(left, max(0, available[source]))
        if take:
            parts.append((source, take))
            left -= take
    return Charge(units=units, parts=tuple(parts))


def reserve_for_video(
    *,
    db: Session,
    settings: Settings,
    user: User,
    video_id: str,
    units: int,
    fees: Sequence[Fee] = (),
    now: datetime | None = None,
) -> list[LedgerHold]:
    """Place the holds that pay for a video (and its licence fees), or refuse (raising)
    without changing anything. Fees are paid from purchased credits only: they become a
    rights holder's money, which free quota and granted credits are not."""
    now = now or utcnow()
    wallet = spending_wallet(db=db, user=user)
    withheld = quota_withheld(settings, user)
    if not withheld:
        refresh_daily_quota(db=db, settings=settings, user=user, account=wallet.quota, now=now)
    expires_at = now + timedelta(hours=settings.hold_timeout_hours)
    fee_holds = _reserve_fees(
        db=db,
        wallet=wallet,
        user=user,
        video_id=video_id,
        fees=fees,
        expires_at=expires_at,
        now=now,
    )
    available = {source: wallet.source(source).available for source in SOURCES}
    if withheld:
        available["quota"] = 0
    charge = plan_charge(settings=settings, available=available, units=units)
    if not charge.covered:
        _refuse(
            db=db,
            settings=settings,
            user=user,
            wallet=wallet,
            units=units,
            now=now,
            withheld=withheld,
        )
    return fee_holds + [
        reserve(
            db=db,
            key=f"video:{video_id}:{source}",
            debit=wallet.source(source),
            credit_id=platform_account_id(db=db, name=SPENT_TO[source]),
            amount=amount,
            kind=f"spend_{source}",
            reason=f"video {video_id}",
            expires_at=expires_at,
            user_id=user.id,
            video_id=video_id,
            now=now,
        )
        for source, amount in charge.parts
    ]


def _reserve_fees(
    *,
    db: Session,
    wallet: Wallet,
    user: User,
    video_id: str,
    fees: Sequence[Fee],
    expires_at: datetime,
    now: datetime,
) -> list[LedgerHold]:
    total = sum(fee.units for fee in fees)
    if total > wallet.purchased.available:
        names = ", ".join(f"{fee.name} ({count_of(fee.units, 'unit')})" for fee in fees)
        raise PaymentRequired(
            f"the licence fees of {names} are paid from purchased credits, and you have "
            f"{wallet.purchased.available}; buy credits or leave the character out",
            code="insufficient_credits",
        )
    holds = [
        reserve(
            db=db,
            key=f"video:{video_id}:fee:{fee.character_id}",
            debit=wallet.purchased,
            credit_id=platform_account_id(db=db, name="licence_escrow"),
            amount=fee.units,
            kind=LICENCE_FEE,
            reason=f"licence fee for {fee.name} in video {video_id}",
            expires_at=expires_at,
            user_id=user.id,
            video_id=video_id,
            now=now,
        )
        for fee in fees
    ]
    for hold, fee in zip(holds, fees, strict=True):  # the share agreed now is the one paid
        if db.get(LicenceTerms, hold.id) is None:
            db.add(LicenceTerms(hold_id=hold.id, holder_share_bps=fee.holder_share_bps))
    return holds


def _refuse(
    *,
    db: Session,
    settings: Settings,
    user: User,
    wallet: Wallet,
    units: int,
    now: datetime,
    withheld: bool,
) -> None:
    """Refuse what quota and credits cannot pay for; `withheld`: the quota waits for the
    address to be confirmed (`quota_withheld`), so the refusal says how to start it. A plan
    that gives no free quota today nor on the next quota day is refused without a
    Retry-After: waiting for the reset would not help."""
    price = f"this video costs {count_of(units, 'unit')}"
    if withheld and "quota" in settings.spend_order:
        _refuse_unconfirmed(user=user, wallet=wallet, price=price)
    quota_left = max(0, wallet.quota.available) if "quota" in settings.spend_order else 0
    resets_at = next_reset(user, now)
    reset = resets_at.astimezone(user_zone(user)).strftime("%H:%M")
    if wallet.credits == 0 and "quota" in settings.spend_order:
        days = (local_day(user, now), local_day(user, resets_at))  # today, the next quota day
        if all(daily_limit(db=db, settings=settings, plan=user.plan, day=day) == 0 for day in days):
            raise TooManyRequests(  # no retry_after: the reset gives nothing either
                f"your plan ({user.plan}) gives no free daily quota, so none comes back at the "
                f"reset ({price}; you have {quota_left} quota units and no credits); buy credits "
                "to make videos",
                code="quota_exhausted",
            )
    if wallet.credits == 0:
        raise TooManyRequests(
            f"today's free quota is used up ({quota_left} left, {price}); it resets at "
            f"{reset} your time ({user.timezone}), or buy credits to go on now",
            code="quota_exhausted",
            retry_after=math.ceil((resets_at - now).total_seconds()),
        )
    raise PaymentRequired(
        f"not enough units: {price}, you have {quota_left} left of today's free quota and "
        f"{count_of(wallet.credits, 'credit')}; make it shorter or smaller, or buy credits",
        code="insufficient_credits",
    )


def _refuse_unconfirmed(*, user: User, wallet: Wallet, price: str) -> None:
    start = (
        f"your free daily quota starts once you confirm your email address: open the link "
        f"we emailed to {user.email}, or send a new one from Settings"
    )
    if wallet.credits == 0:
        raise Conflict(f"{start}; or buy credits to go on now", code="email_unconfirmed")
    raise PaymentRequired(
        f"not enough units: {price} and you have {count_of(wallet.credits, 'credit')}; "
        f"{start}, make it shorter or smaller, or buy credits",
        code="insufficient_credits",
    )


# --- settlement -------------------------------------------------------------------------------


def holds_for_video(*, db: Session, video_id: str) -> list[LedgerHold]:
    """The video's holds as the database has them now."""
    query = select(LedgerHold).where(LedgerHold.video_id == video_id).order_by(LedgerHold.id)
    return list(db.scalars(query.execution_options(populate_existing=True)))


def _pending(holds: Sequence[LedgerHold]) -> list[LedgerHold]:
    return [hold for hold in holds if hold.status == "pending"]


def settle_video(
    *,
    db: Session,
    user_id: str,
    video_id: str,
    delivered: bool,
    reason: str,
    charge: int | None = None,
    fees_left_out: Collection[str] = (),
    now: datetime | None = None,
) -> None:
    """Post the video's pending holds if it was delivered, else void them with `reason`.

    `charge` posts only that many units (a partial delivery), taken from the sources in the
    default spend order; the rest of each hold is released, and so are the licence fees of
    the characters in `fees_left_out` (named only in the shots left out). Exactly once: holds
    already resolved are left alone. Quota units given back after the user's day has rolled
    over expire at once (yesterday's quota is not today's).
    """
    now = now or utcnow()
    if not _pending(holds_for_video(db=db, video_id=video_id)):
        return
    # The wallet first, as admission takes it: waiting for it, this holds nothing another
    # user's settlement needs, nor an account an admission of this user waits for. Then the
    # holds, read again: one may have been resolved before the lock was had.
    wallet = wallet_of(db=db, user_id=user_id, lock=True)
    user = db.get(User, user_id)
    left = charge
    for hold in sorted(_pending(holds_for_video(db=db, video_id=video_id)), key=_spend_rank):
        if delivered and hold.kind == LICENCE_FEE and fee_character(hold) in fees_left_out:
            void_hold(db=db, hold=hold, reason=f"{hold.reason}: not in the shots delivered")
        elif delivered and hold.kind == LICENCE_FEE:
            post_hold(db=db, hold=hold, reason=f"{hold.reason}: delivered")
            _split_fee(db=db, hold=hold)
        elif delivered:
            amount = hold.amount if left is None else min(left, hold.amount)
            post_hold(db=db, hold=hold, reason=reason, amount=amount)
            if left is not None:
                left -= amount
            if amount < hold.amount:  # the rest is given back
                _expire_returned_quota(
                    db=db, user=user, hold=hold, now=now, units=hold.amount - amount
                )
        else:
            void_hold(db=db, hold=hold, reason=reason)
            _expire_returned_quota(db=db, user=user, hold=hold, now=now, units=hold.amount)
    pay_debt_from_returned(db=db, wallet=wallet, key=f"debt-paid:video:{video_id}")


def pay_debt_from_returned(*, db: Session, wallet: Wallet, key: str) -> None:
    """Purchased credits a released hold gave back pay what a refunded or disputed payment
    left owed, first (as a purchase's units do, `payments.service._credit`): a wallet never
    stays blocked for a debt while it holds the units to pay it. Once per `key`; the caller
    holds the wallet's lock."""
    units = min(wallet.debt, max(0, wallet.purchased.available))
    if units <= 0:
        return
    transfer(
        db=db,
        key=key,
        legs=[Leg(wallet.purchased, -units), Leg(wallet.owed, units)],
        kind="debt_paid",
        reason=f"{count_of(units, 'purchased credit')} given back paid what was owed",
        user_id=wallet.owed.user_id,
    )


def fee_character(hold: LedgerHold) -> str:
    """The id of the character a licence-fee hold is for (the last part of its key)."""
    return hold.idempotency_key.rsplit(":", 1)[-1]


def _split_fee(*, db: Session, hold: LedgerHold) -> None:
    """Share a posted licence fee: the holder's part (rounded down, at the share in force
    when the fee was reserved) to their pending earnings, the rest to the platform."""
    character = db.get(Character, fee_character(hold))
    terms = db.get(LicenceTerms, hold.id)  # none for holds reserved before terms were kept
    share = terms.holder_share_bps if terms else character.holder_share_bps if character else 0
    # A character since deleted leaves no holder to pay: the platform keeps the fee.
    holder = hold.amount * share // 10_000 if character else 0
    legs = [Leg(platform_account(db=db, name="licence_escrow"), -hold.amount)]
    if holder and character is not None:
        legs.append(Leg(earnings_account(db=db, organisation_id=character.organisation_id), holder))
    if hold.amount - holder:
        legs.append(Leg(platform_account(db=db, name="licence_revenue"), hold.amount - holder))
    entry = transfer(
        db=db,
        key=f"fee-split:{hold.id}",
        legs=legs,
        kind="licence_split",
        reason=f"{hold.reason}: rights holder's share",
        video_id=hold.video_id,
        hold_id=hold.id,
        reference=character.organisation_id if character else None,
    )
    if holder:
        hold_share(db, entry)


def earnings_account(
    *, db: Session, organisation_id: str, available: bool = False
) -> LedgerAccount:
    """A rights holder's earnings: pending (still refundable) or available."""
    kind = "earnings_available" if available else "earnings_pending"
    return ensure_account(db=db, code=f"org:{organisation_id}:{kind}", kind=kind)


def release_earnings(
    *, db: Session, settings: Settings, now: datetime | None = None, limit: int = 500
) -> int:
    """Move holders' fee shares older than `rights_hold_days` from pending to available. A
    share whose fee was paid by a fan who owes units (a payment of theirs was refunded or
    disputed after the fee) stays pending until the debt is paid, as a tip does."""
    cutoff = (now or utcnow()) - timedelta(days=settings.rights_hold_days)
    owed = aliased(LedgerAccount)
    payer_owes = exists().where(
        LedgerHold.id == LedgerEntry.hold_id, owed.user_id == LedgerHold.user_id, in_debt(owed)
    )
    due = due_shares(
        db,
        kind="licence_split",
        pending_kinds=("earnings_pending",),
        cutoff=cutoff,
        limit=limit,
        unless=payer_owes,
    )
    payers = _fee_payers(db, due)
    due = of_payers_owing_nothing(db, due, lambda entry: payers.get(entry.hold_id or ""))
    accounts = payee_accounts(
        db,
        due,
        lambda holder, available: earnings_account(
            db=db, organisation_id=holder, available=available
        ),
    )
    for entry, posting in due:
        holder = entry.reference or ""
        transfer(
            db=db,
            key=f"fee-release:{entry.hold_id}",
            legs=[
                Leg(accounts[(holder, False)], -posting.amount),
                Leg(accounts[(holder, True)], posting.amount),
            ],
            kind="earnings_release",
            reason=f"held {settings.rights_hold_days} days: now available",
            video_id=entry.video_id,
            hold_id=entry.hold_id,
            reference=holder,
        )
    released(db, (entry for entry, _ in due))
    return len(due)


def _fee_payers(db: Session, due: list[tuple[LedgerEntry, LedgerPosting]]) -> dict[str, str]:
    """Who paid each licence fee in `due`: its hold's user, by hold id."""
    holds = [entry.hold_id for entry, _ in due if entry.hold_id]
    rows = db.execute(select(LedgerHold.id, LedgerHold.user_id).where(LedgerHold.id.in_(holds)))
    return {hold_id: user_id for hold_id, user_id in rows if user_id}


def _spend_rank(hold: LedgerHold) -> int:
    source = hold.kind.removeprefix("spend_")
    return SOURCES.index(source) if source in SOURCES else len(SOURCES)


def _expire_returned_quota(
    *, db: Session, user: User | None, hold: LedgerHold, now: datetime, units: int
) -> None:
    """Quota a void or a partial post gives back (`units` of the hold) belongs to the quota
    day that granted it: if today's grant came after the hold, that day is over and the units
    expire now. (Comparing with today's grant,
    not the hold's local date: across a change of time zone the quota day in progress is
    held, and a date computed for the hold's time would be the held day too.) Before today's
    grant, nothing is done: granting it expires whatever an earlier day left."""
    if user is None or hold.kind != "spend_quota":
        return
    wallet = wallet_of(db=db, user_id=user.id, lock=True)
    today = find_entry(db=db, key=grant_key(user.id, local_day(user, now)))
    if today is not None and today.created_at > hold.created_at:
        expire_unused(
            db=db,
            user=user,
            account=wallet.quota,
            key=f"quota-return:{hold.id}",
            at_most=units,
        )


def expire_lapsed_holds(
    *, db: Session, due: Select[tuple[LedgerHold]], now: datetime, limit: int = 500
) -> list[str]:
    """Expire up to `limit` of the `due` holds (pending, past their time) and return their ids.

    The order admission and settlement lock in: the holders' wallets first, all of them in
    one statement, then the holds (one another transaction is resolving is skipped). Quota
    they give back after its day is over expires at once, as when a job is refunded.
    """
    chosen = db.scalars(due.limit(limit)).all()
    lock_wallets(db=db, user_ids=[hold.user_id for hold in chosen])
    due = due.where(LedgerHold.id.in_([hold.id for hold in chosen]))
    expired = expire_holds(db=db, now=now, limit=limit, due=due)
    for hold_id in expired:
        hold = db.get_one(LedgerHold, hold_id)
        owner = db.get(User, hold.user_id) if hold.user_id else None
        _expire_returned_quota(db=db, user=owner, hold=hold, now=now, units=hold.amount)
        if owner is not None:
            owners = wallet_of(db=db, user_id=owner.id)
            pay_debt_from_returned(db=db, wallet=owners, key=f"debt-paid:hold:{hold.id}")
    return expired


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """`quota_limit` is what today's quota day gives (its grant and any top-up: a plan lowered
    today applies from the next day, `plan_limit`); `timezone_applies_at` when the profile's
    time zone starts to govern the quota after a change (None: it does); `quota_withheld`
    when the quota waits for the address to be confirmed (`quota_left` is then 0 and
    `quota_limit` what confirming gives)."""

    plan: str
    quota_limit: int
    quota_left: int
    quota_reserved: int
    resets_at: datetime
    plan_limit: int
    timezone_applies_at: datetime | None
    granted: int
    purchased: int
    reserved: int
    owed: int
    blocked: bool
    quota_withheld: bool = False
    from_next_day: int = 0  # what the plan gives on the next quota day (a change then counted)


def summary(*, db: Session, settings: Settings, user: User, now: datetime | None = None) -> Summary:
    """What the user has now. Reads only: today's quota is shown as it will be granted."""
    now = now or utcnow()
    wallet = read_wallet(db=db, user_id=user.id)
    day = local_day(user, now)
    limit = daily_limit(db=db, settings=settings, plan=user.plan, day=day)
    given = granted_on(db=db, settings=settings, user=user, account=wallet.quota, day=day)
    quota_left = limit if given is None else max(0, wallet.quota.available)
    withheld = quota_withheld(settings, user)
    held = held_until(user)
    resets = next_reset(user, now)
    return Summary(
        plan=user.plan,
        quota_limit=limit if given is None else given,
        quota_left=0 if withheld else quota_left,
        quota_reserved=wallet.quota.reserved,
        resets_at=resets,
        plan_limit=limit,
        timezone_applies_at=held if held is not None and now < held else None,
        granted=wallet.granted.available,
        purchased=wallet.purchased.available,
        reserved=sum(a.reserved for a in (wallet.quota, wallet.granted, wallet.purchased)),
        owed=wallet.debt,
        blocked=wallet.debt > 0,
        quota_withheld=withheld,
        from_next_day=daily_limit(
            db=db, settings=settings, plan=user.plan, day=local_day(user, resets)
        ),
    )


def granted_on(
    *, db: Session, settings: Settings, user: User, account: LedgerAccount, day: date
) -> int | None:
    """The units the user's quota day `day` gave: its grant plus any plan top-up; None if it
    has not been granted yet."""
    grant = grant_key(user.id, day)
    topups = [_topup_key(user.id, day, plan) for plan in settings.plan_daily_quota]
    # An outer join: a day of 0 units is a grant with no postings (`record_marker`).
    on_account = and_(
        LedgerPosting.entry_id == LedgerEntry.id, LedgerPosting.account_id == account.id
    )
    rows = db.execute(
        select(LedgerEntry.idempotency_key, LedgerPosting.amount)
        .outerjoin(LedgerPosting, on_account)
        .where(LedgerEntry.idempotency_key.in_([grant, *topups]))
    ).all()
    if not any(key == grant for key, _ in rows):
        return None
    return sum(amount or 0 for _, amount in rows)


def _topup_key(user_id: str, day: date, plan: str) -> str:
    return f"quota-topup:{user_id}:{day.isoformat()}:{plan}"


def preview_charge(
    *,
    db: Session,
    settings: Settings,
    user: User,
    units: int,
    fee_units: int = 0,
    now: datetime | None = None,
) -> tuple[Charge, Summary]:
    """How `units` would be paid now, without reserving anything, after `fee_units` of
    licence fees (paid first, from purchased credits, as `reserve_for_video` does)."""
    info = summary(db=db, settings=settings, user=user, now=now)
    purchased = max(0, info.purchased - fee_units)
    available = {"quota": info.quota_left, "granted": info.granted, "purchased": purchased}
    return plan_charge(settings=settings, available=available, units=units), info


# --- the statement ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One movement on a user's wallet, as the statement shows it."""

    id: str
    at: datetime
    wallet: str
    kind: str
    amount: int
    status: str
    reason: str
    balance_after: int | None
    video_id: str | None
    reference: str | None
    held: int | None = None  # a hold's units (reserved, refunded or returned); None: a posting
    # Where the line stands in the statement's order (`statement_cursor`): its time, 1 for a
    # hold (listed before a posting of the same moment) or 0, and the hold's or posting's id.
    order: tuple[datetime, int, str | int] | None = None

    @property
    def cursor(self) -> str:
        """The `after` that continues the statement with the lines older than this one."""
        assert self.order is not None
        at, rank, tie = self.order
        return cursor_at(at, str(tie) if rank else f"p{tie}")

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "created_at": int(self.at.timestamp()),
            "wallet": self.wallet,
            "kind": self.kind,
            "amount": self.amount,
            "status": self.status,
            "reason": self.reason,
            "balance_after": self.balance_after,
            "video_id": self.video_id,
            "reference": self.reference,
            "held": self.held,
        }


def statement(
    *, db: Session, user: User, limit: int = 100, after: str | None = None
) -> list[StatementLine]:
    """The user's movements, newest first: every posting on their accounts, and every hold
    that did not become a posting (pending, refunded or expired), with its reason. `after`
    (a line's `cursor`) continues with the lines older than that one."""
    mine = select(LedgerAccount).where(LedgerAccount.user_id == user.id)
    return _statement(db, {a.id: a.kind for a in db.scalars(mine)}, limit, after)


def organisation_statement(
    *, db: Session, organisation_id: str, limit: int = 100, after: str | None = None
) -> list[StatementLine]:
    """A rights holder's earnings movements, newest first, as `statement` gives a user's:
    fee shares, their release, payouts asked for, paid or given back (authorise first)."""
    theirs = select(LedgerAccount).where(
        LedgerAccount.code.in_(
            [f"org:{organisation_id}:{kind}" for kind in ("earnings_pending", "earnings_available")]
        )
    )
    return _statement(db, {a.id: a.kind for a in db.scalars(theirs)}, limit, after)


def _statement(
    db: Session, accounts: dict[str, str], limit: int, after: str | None = None
) -> list[StatementLine]:
    """The lines of `accounts`, ordered by time, then holds before postings of the same
    moment (admission's grant of the day, then its holds: the holds came after it), then id;
    newest first, from after the `after` cursor."""
    position = _statement_position(after) if after else None
    if not accounts:
        return []
    hold_at = func.coalesce(LedgerHold.resolved_at, LedgerHold.created_at)
    posting_query = (
        select(LedgerPosting, LedgerEntry)
        .join(LedgerEntry, LedgerEntry.id == LedgerPosting.entry_id)
        .where(LedgerPosting.account_id.in_(accounts))
        .order_by(LedgerPosting.created_at.desc(), LedgerPosting.id.desc())
        .limit(limit)
    )
    hold_query = (
        select(LedgerHold)
        .where(LedgerHold.debit_account_id.in_(accounts), LedgerHold.status != "posted")
        .order_by(hold_at.desc(), LedgerHold.id.desc())
        .limit(limit)
    )
    if position is not None:
        at, rank, tie = position
        if rank:  # after a hold: the postings of its moment, and the holds after it
            posting_query = posting_query.where(LedgerPosting.created_at <= at)
            hold_query = hold_query.where(after_cursor(hold_at, LedgerHold.id, (at, str(tie))))
        else:  # after a posting: the postings after it; holds of earlier moments
            posting_query = posting_query.where(
                after_cursor(LedgerPosting.created_at, LedgerPosting.id, (at, int(tie)))
            )
            hold_query = hold_query.where(hold_at < at)
    postings = db.execute(posting_query).all()
    holds = db.scalars(hold_query).all()
    tips = _tip_reasons(db, [entry for _, entry in postings if entry.kind == "tip"])
    lines = [_hold_line(h, accounts[h.debit_account_id]) for h in holds]
    lines += [_posting_line(p, e, accounts[p.account_id], tips.get(e.id)) for p, e in postings]
    lines.sort(key=lambda line: line.order or (line.at, 0, 0), reverse=True)
    return lines[:limit]


def _statement_position(after: str) -> tuple[datetime, int, str | int]:
    """The (time, rank, id) a statement cursor names (`StatementLine.cursor`: a hold's id, or
    p and a posting's); 400 `invalid_cursor` for one that is damaged."""
    micros, _, row = after.partition("_")
    at = cursor_time(micros)
    number = row[1:]
    if at is not None and row.startswith("hold_") and ID_SHAPE.fullmatch(row):
        return at, 1, row
    if at is not None and row[:1] == "p" and _bigint_text(number):
        return at, 0, int(number)
    raise invalid_cursor("statement")


def _bigint_text(text: str) -> bool:
    """Whether `text` is a posting id: ASCII digits, at most 2**63 - 1."""
    return text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_BIGINT


def _tip_reasons(db: Session, entries: list[LedgerEntry]) -> dict[str, str]:
    """Tips' reasons with the names as they are now (the tipper's, and the creator's or, for a
    tip a monetize claim took, the rights holder's): the entry's own text keeps the names of
    the moment, and a closed account's name is not shown on."""
    from reelmint.domains.rights.models import Claim

    if not entries:
        return {}
    people = {e.user_id for e in entries} | {e.reference for e in entries}
    names = dict(db.execute(select(User.id, User.display_name).where(User.id.in_(people))).all())
    holders = dict(
        db.execute(
            select(Claim.id, Organisation.name)
            .join(Organisation, Organisation.id == Claim.organisation_id)
            .where(Claim.id.in_(people))
        ).all()
    )
    units = dict(
        db.execute(
            select(LedgerPosting.entry_id, func.sum(LedgerPosting.amount))
            .where(LedgerPosting.entry_id.in_([e.id for e in entries]), LedgerPosting.amount > 0)
            .group_by(LedgerPosting.entry_id)
        ).all()
    )

    def reason(e: LedgerEntry) -> str:
        tipper = names.get(e.user_id or "", CLOSED_NAME)
        holder = holders.get(e.reference or "")
        payee = holder or names.get(e.reference or "", CLOSED_NAME)
        return tip_reason(units.get(e.id, 0), tipper, payee, e.video_id, claimed=holder is not None)

    return {e.id: reason(e) for e in entries}


def _posting_line(
    posting: LedgerPosting, entry: LedgerEntry, wallet: str, reason: str | None = None
) -> StatementLine:
    return StatementLine(
        id=entry.id,
        at=entry.created_at,
        wallet=wallet,
        kind=entry.kind,
        amount=posting.amount,
        status="posted",
        reason=reason or entry.reason,
        balance_after=posting.balance_after,
        video_id=entry.video_id,
        reference=entry.reference,
        order=(posting.created_at, 0, posting.id),
    )


def _hold_line(hold: LedgerHold, wallet: str) -> StatementLine:
    """A hold not posted: `reserved` while pending, else `refunded` (a spend given back) or,
    for a payout cancelled or rejected, `returned` (the units are available again)."""
    ended = "returned" if hold.kind == PAYOUT else "refunded"
    status = {"pending": "reserved", "voided": ended, "expired": ended}[hold.status]
    reason = hold.reason if hold.status == "pending" else (hold.resolution or hold.reason)
    return StatementLine(
        id=hold.id,
        at=hold.resolved_at or hold.created_at,
        wallet=wallet,
        kind=hold.kind,
        amount=-hold.amount if hold.status == "pending" else 0,
        status=status,
        reason=reason,
        balance_after=None,
        video_id=hold.video_id,
        reference=None,
        held=hold.amount,
        order=(hold.resolved_at or hold.created_at, 1, hold.id),
    )


STATEMENT_COLUMNS = (
    "created_at",
    "wallet",
    "kind",
    "amount",
    "status",
    "reason",
    "balance_after",
    "video_id",
    "reference",
    "id",
    "held",
)


def statement_csv(lines: list[StatementLine], *, header: bool = True) -> str:
    """The statement as CSV (UTC ISO times), safe to open in a spreadsheet; with its row of
    column names first unless `header` is false (a later part of one download)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(STATEMENT_COLUMNS)
    for line in lines:
        row = line.as_json()
        row["created_at"] = line.at.isoformat()
        writer.writerow([_cell(row[column]) for column in STATEMENT_COLUMNS])
    return out.getvalue()


def _cell(value: object) -> str:
    return spreadsheet_safe("" if value is None else str(value))


def spreadsheet_safe(text: str) -> str:
    """`text` for a CSV cell: one starting with = + - @ would run as a formula in a
    spreadsheet, so it is quoted; negative numbers stay numbers."""
    if text[:1] in ("=", "+", "-", "@") and not text.lstrip("-").isdigit():
        return "'" + text
    return text


# --- operator actions -------------------------------------------------------------------------


def grant_credits(
    *, db: Session, user: User, units: int, reason: str, key: str | None = None
) -> LedgerEntry:
    """Give a user granted credits (a promotion, an apology): they pay for generations only
    and are never revenue. `key` makes a retried grant happen once."""
    if not 0 < units <= MAX_GRANT_UNITS:
        raise BadRequest(f"grant 1 to {MAX_GRANT_UNITS:,} units at a time", code="invalid_amount")
    reason = reason.strip()
    if not reason:
        raise BadRequest("say why the credits are granted (--reason)", code="reason_required")
    _check_grant_reason(reason)
    if key is not None and not key.strip():  # an unset variable in a script: not "no key"
        raise BadRequest(
            "the idempotency key is empty; give one of 1 to 200 characters, or leave --key out",
            code="invalid_idempotency_key",
        )
    require_open(user)
    wallet = wallet_of(db=db, user_id=user.id)
    entry = transfer(
        db=db,
        key=key or new_id("grant"),
        legs=[
            Leg(platform_account(db=db, name="grants_issued"), -units),
            Leg(wallet.granted, units),
        ],
        kind="grant",
        reason=reason,
        user_id=user.id,
    )
    if entry.reason != reason:  # a replay: the ledger compares postings, the user reads this
        raise Conflict(
            f"idempotency key {key!r} already granted these units for {entry.reason!r}; "
            "give the same reason to retry it, or another key for another grant",
            code="idempotency_key_reused",
        )
    return entry


def _check_grant_reason(reason: str) -> None:
    """A grant's reason is one line the user reads on their statement: no longer than a quota
    change's (MAX_REASON_CHARS), with no control or invisible formatting characters."""
    if len(reason) > MAX_REASON_CHARS:
        raise BadRequest(
            f"the reason is {len(reason):,} characters; keep it under {MAX_REASON_CHARS:,}",
            code="invalid_reason",
        )
    hidden = hidden_character(reason)
    if hidden is not None:
        raise BadRequest(
            f"the reason has a control or invisible character ({hidden}); write it as one "
            "line of plain text",
            code="invalid_reason",
        )


def _plan_applies(given: int | None, limit: int) -> str:
    """When a new plan's daily quota applies, said as the notice says it."""
    if given is None or limit == given:
        return "from today"
    if limit > given:
        return f"from today: today's quota is raised from {given} to it"
    return f"from your next day: today keeps the {given} units it gave"


def change_plan(
    *, db: Session, settings: Settings, user: User, plan: str, now: datetime | None = None
) -> None:
    """Move a user to `plan`. A larger daily quota applies at once (today's grant is topped
    up to the new plan's limit); a smaller one from the next local day, so nobody loses units
    mid-day. The top-up is measured against what today already gave (grant and top-ups), so
    moving down and back up in one day gives nothing twice."""
    check_plan(settings, plan)
    require_open(user)
    now = now or utcnow()
    wallet = wallet_of(db=db, user_id=user.id, lock=True)  # admission's lock, taken first
    db.refresh(user)  # the plan as it is under the lock
    day = local_day(user, now)
    given = granted_on(db=db, settings=settings, user=user, account=wallet.quota, day=day)
    if user.plan != plan:
        user.plan = plan
        db.flush()
        limit = daily_limit(db=db, settings=settings, plan=plan, day=day)
        tell_plan_change(
            db=db, settings=settings, user=user, now=now, when=_plan_applies(given, limit)
        )
    if given is None:
        return  # today's quota is granted at the next admission, from the new plan
    extra = daily_limit(db=db, settings=settings, plan=plan, day=day) - given
    if extra > 0:
        transfer(
            db=db,
            key=_topup_key(user.id, day, plan),
            legs=[
                Leg(platform_account(db=db, name="quota_issued"), -extra),
                Leg(wallet.quota, extra),
            ],
            kind="quota_grant",
            reason=f"plan changed to {plan}: today's free quota raised by {extra}",
            user_id=user.id,
        )
