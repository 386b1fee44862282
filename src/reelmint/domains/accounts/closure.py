"""Closing an account: the user's own request (with their password) or an operator's.

In one transaction, holding the locks on the user's videos and then on their wallet (which
admission takes too, so no video is admitted for a closed account): every video of theirs is
deleted (queued ones cancelled and refunded, running ones asked to stop) and its prompt and
storyboard blanked (a running one's when its job ends: `forget_ended_video`), unless it used
someone's cameo (that owner keeps the record of how their likeness was used); every cameo is
revoked (videos others queued with it cancelled, their makers told) and keeps only its handle,
reserved so nobody else can take it; their tokens, sessions, webhooks, follows and blocks
both ways, likes, approvals, consents, notifications, email and recent API responses are
removed (their reports of videos stay for the moderators, their notes blanked); and the
account row keeps only what the books need: its id, with the email, name and password replaced,
marked disabled. The ledger is append-only and keeps every posting (a closed wallet's units are
forfeit, never paid out, but a payout already requested stays for the operator to pay or
reject, with the payee's note on where to send it); payments, claims, payouts and rights
records keep pointing at the id.
Unpaid purchases are marked failed. After the commit, `after_closing` removes the files
(videos, posters, reference images, cameo photos) and asks the payment provider to end those
purchases' checkouts.

An account that is the only owner of an organisation cannot close until another member owns
it: the organisation's characters and earnings would be left with nobody to manage them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, literal, or_, select, update
from sqlalchemy.orm import Session

from reelmint.db.base import utcnow
from reelmint.domains.accounts.blocks import forget_blocks
from reelmint.domains.accounts.follows import Follow
from reelmint.domains.accounts.invitations import forget_invitations
from reelmint.domains.accounts.models import (
    ApiToken,
    LoginDevice,
    Membership,
    Organisation,
    User,
    WebSession,
)
from reelmint.domains.accounts.service import (
    CLOSED_NAME,
    hash_password,
    lock_organisations,
    require_password,
)
from reelmint.errors import BadRequest, Conflict

if TYPE_CHECKING:
    from reelmint.bootstrap import Services
    from reelmint.domains.payments.models import Purchase
    from reelmint.domains.videos.models import Video

CONFIRMATION = "close my account"


@dataclass
class Closure:
    """What closing did: the files to remove once committed, and the videos it ended."""

    storage_keys: list[str] = field(default_factory=list)
    videos_deleted: int = 0
    cameos_revoked: int = 0
    open_checkouts: list[str] = field(default_factory=list)  # purchases whose checkout to end


def close_own_account(
    *, db: Session, user: User, password: str, confirmation: str, now: datetime | None = None
) -> Closure:
    """Close `user`'s account at their request: their password and the typed words
    "close my account" are both needed (403 `wrong_password`, 400 `confirmation_required`);
    the words are compared ignoring case, spacing and a full stop at the end."""
    if not confirms(confirmation):
        raise BadRequest(
            f'type "{CONFIRMATION}" to confirm; nothing was changed',
            code="confirmation_required",
            param="confirmation",
        )
    require_password(user, password, param="password")
    return close_account(db=db, user=user, now=now)


def confirms(typed: str) -> bool:
    """Whether `typed` is the confirmation phrase: "Close my account." counts."""
    words = " ".join(typed.casefold().split())
    return words.removesuffix(".").rstrip() == CONFIRMATION


def close_account(*, db: Session, user: User, now: datetime | None = None) -> Closure:
    """Close `user`'s account (an operator's command, or the checked request above)."""
    from reelmint.domains.wallet.service import wallet_of

    now = now or utcnow()
    # Locks in the payments' order: purchases, then the wallet (which admission and a
    # checkout's last step take too: they wait, then see the closure). The user's videos
    # before the wallet, as a worker's finish and a cancel lock a video, then the wallet:
    # closing waits for them instead of holding what they need (a deadlock on PostgreSQL).
    # So are the user's cameos, which an admission naming one reads (FOR SHARE) before it
    # takes the wallet.
    pending = _lock_pending_purchases(db, user)
    _lock_videos(db, user)
    _lock_cameos(db, user)
    wallet_of(db=db, user_id=user.id, lock=True)
    if is_closed(user):
        return Closure()  # closed already: nothing more to do
    _refuse_sole_ownership(db, user)
    closure = Closure()
    _end_videos(db, user, closure)
    _revoke_cameos(db, user, closure, now)
    _forget_connections(db, user)
    closure.open_checkouts = _fail(pending)
    _scrub(db, user, now)
    db.flush()
    return closure


def after_closing(services: Services, closure: Closure) -> None:
    """What closing does once committed, outside the transaction: its files leave storage,
    and the payment provider is told to end the checkouts it left open, so a checkout page
    still open in a browser can no longer take money."""
    from reelmint.domains.payments.service import cancel_checkouts
    from reelmint.domains.uploads import remove_files

    remove_files(services.storage, closure.storage_keys)
    cancel_checkouts(services=services, purchase_ids=closure.open_checkouts)


def _lock_pending_purchases(db: Session, user: User) -> list[Purchase]:
    from reelmint.domains.payments.models import Purchase

    return list(
        db.scalars(
            select(Purchase)
            .where(Purchase.user_id == user.id, Purchase.status == "pending")
            .order_by(Purchase.id)
            .with_for_update()
        )
    )


def _fail(pending: list[Purchase]) -> list[str]:
    """Mark the account's unpaid purchases failed (their checkouts end after the commit)."""
    from reelmint.domains.payments.service import CLOSED_BEFORE_PAID

    for purchase in pending:
        purchase.status, purchase.failure_reason = "failed", CLOSED_BEFORE_PAID
    return [purchase.id for purchase in pending]


def _refuse_sole_ownership(db: Session, user: User) -> None:
    """409 `sole_owner` when the user is the only owner of an organisation. The owners' rows
    of every organisation the user owns are locked first, as stepping down locks them, so an
    owner stepping down while this one closes cannot leave the organisation with none."""
    owned = select(Membership.organisation_id).where(
        Membership.user_id == user.id, Membership.role == "owner"
    )
    lock_organisations(db, db.scalars(owned).all())  # first, as adding and removing members do
    owners = db.execute(
        select(Membership.organisation_id, Membership.user_id)
        .where(Membership.organisation_id.in_(owned), Membership.role == "owner")
        .order_by(Membership.organisation_id, Membership.user_id)
        .with_for_update()
    ).all()
    others = {organisation_id for organisation_id, owner in owners if owner != user.id}
    alone = sorted({organisation_id for organisation_id, _ in owners} - others)
    # An organisation with nobody else in it does not keep its only member (they may leave
    # it too): whoever added them as an owner and left cannot keep them from closing.
    shared = select(Membership.organisation_id).where(
        Membership.organisation_id.in_(alone), Membership.user_id != user.id
    )
    alone = sorted(set(db.scalars(shared)))
    if not alone:
        return
    names = db.scalars(
        select(Organisation.name).where(Organisation.id.in_(alone)).order_by(Organisation.name)
    ).all()
    raise Conflict(
        f"the account is the only owner of the organisation {names[0]!r}, which has other "
        "members: make one of them an owner first (on its Studio page, or an operator: "
        "reelmint admin set-member); nothing was changed",
        code="sole_owner",
    )


def _lock_videos(db: Session, user: User) -> list[Video]:
    """Lock the user's videos (by id), as a worker locks a job it leases or finishes: the two
    never overwrite each other. FOR NO KEY UPDATE (closing changes no key): an admission
    holding the wallet may insert a remix of one of them, whose foreign key to it takes a
    KEY SHARE lock; FOR UPDATE would make it wait while closing waits for the wallet."""
    from reelmint.domains.videos.models import Video

    query = select(Video).where(Video.user_id == user.id).order_by(Video.id)
    return list(db.scalars(query.with_for_update(key_share=True)))


def _lock_cameos(db: Session, user: User) -> None:
    """Lock the user's cameos (by id) before the wallet, as admission reads them before it
    (revoking them takes the same lock again)."""
    from reelmint.domains.cameos.models import Cameo

    query = select(Cameo.id).where(Cameo.user_id == user.id).order_by(Cameo.id)
    db.scalars(query.with_for_update()).all()


def _end_videos(db: Session, user: User, closure: Closure) -> None:
    from reelmint.domains.videos.models import Video
    from reelmint.domains.videos.service import delete_video

    # Again, now that the wallet is held: a video admitted after the first lock is here too.
    for video in _lock_videos(db, user):
        if video.deleted_at is None:
            closure.storage_keys += delete_video(db=db, actor=user, video_id=video.id)
            closure.videos_deleted += 1
    # A running video keeps its words until its worker has stopped it (it may still read
    # them): `forget_ended_video` blanks them then.
    _blank_words(db, Video.user_id == user.id)


def _revoke_cameos(db: Session, user: User, closure: Closure, now: datetime) -> None:
    from reelmint.domains.cameos.models import CameoApproval, CameoImage
    from reelmint.domains.cameos.service import images_of, list_own_cameos, revoke_cameo

    for cameo in list_own_cameos(db=db, user=user):
        if cameo.status != "revoked":
            revoke_cameo(db=db, actor=user, handle=cameo.handle, now=now)
            closure.cameos_revoked += 1
        closure.storage_keys += [image.storage_key for image in images_of(db=db, cameo=cameo)]
        db.execute(delete(CameoImage).where(CameoImage.cameo_id == cameo.id))
        db.execute(delete(CameoApproval).where(CameoApproval.cameo_id == cameo.id))
        cameo.display_name, cameo.restrictions_json, cameo.consent_phrase = CLOSED_NAME, "[]", ""


def _forget_connections(db: Session, user: User) -> None:
    from reelmint.api.idempotency import IdempotencyRecord
    from reelmint.domains.cameos.models import CameoApproval, CameoConsent
    from reelmint.domains.feed.likes import Like
    from reelmint.domains.notifications.models import EmailMessage, Notification
    from reelmint.domains.rights.models import CharacterApproval
    from reelmint.domains.videos.reports import forget_reporter_notes
    from reelmint.domains.webhooks.models import WebhookEndpoint

    mine = user.id
    db.execute(delete(WebSession).where(WebSession.user_id == mine))
    db.execute(delete(LoginDevice).where(LoginDevice.user_id == mine))
    db.execute(delete(ApiToken).where(ApiToken.user_id == mine))
    db.execute(delete(WebhookEndpoint).where(WebhookEndpoint.user_id == mine))
    db.execute(delete(Follow).where(or_(Follow.follower_id == mine, Follow.followee_id == mine)))
    forget_blocks(db, mine)
    db.execute(delete(Like).where(Like.user_id == mine))
    db.execute(delete(CameoApproval).where(CameoApproval.user_id == mine))
    db.execute(delete(CameoConsent).where(CameoConsent.user_id == mine))
    db.execute(delete(CharacterApproval).where(CharacterApproval.user_id == mine))
    db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.user_id == mine))
    db.execute(delete(Notification).where(Notification.user_id == mine))
    _forget_news_of(db, mine)
    db.execute(
        delete(EmailMessage).where(
            or_(EmailMessage.user_id == mine, EmailMessage.to_address == user.email)
        )
    )
    db.execute(delete(Membership).where(Membership.user_id == mine))
    forget_invitations(db, mine)
    forget_reporter_notes(db, user)  # the reports stay (the moderators' record), not the words


def _forget_news_of(db: Session, mine: str) -> None:
    """Remove others' news that names the user: "new follower" (a profile that is gone), "X
    remixed your video" (a remix that is gone) and "X tipped you" (the tip stays in the
    creator's wallet). News of a use of someone's cameo stays: its owner keeps that record."""
    from reelmint.domains.ledger.models import LedgerEntry
    from reelmint.domains.notifications.models import Notification
    from reelmint.domains.videos.models import Video
    from reelmint.domains.wallet.tips import TIP

    their_videos = select(literal("/videos/").concat(Video.id)).where(Video.user_id == mine)
    their_tips = select(literal("tip:").concat(LedgerEntry.id)).where(
        LedgerEntry.kind == TIP, LedgerEntry.user_id == mine
    )
    about_them = or_(
        and_(Notification.kind == "new_follower", Notification.link == f"/people/{mine}"),
        and_(Notification.kind == "remix_published", Notification.link.in_(their_videos)),
        and_(Notification.kind == "tip_received", Notification.dedupe_key.in_(their_tips)),
    )
    db.execute(delete(Notification).where(about_them))


def forget_ended_video(db: Session, video: Video) -> None:
    """A deleted video's job has ended (queue/finish.py): if its account is closed, blank its
    words as closing does for finished ones."""
    from reelmint.domains.videos.models import Video

    owner = db.get(User, video.user_id)
    if owner is not None and is_closed(owner):
        _blank_words(db, Video.id == video.id)


def _blank_words(db: Session, *which: Any) -> None:
    """Blank the prompt, storyboard and error of the finished videos `which` selects, except
    those that used someone's cameo: that cameo's owner keeps the record of how their likeness
    was used. The one place this rule lives, for closing and for jobs that end after it."""
    from reelmint.domains.cameos.models import CameoUse
    from reelmint.domains.videos.models import FINISHED, Video

    used_a_cameo = select(CameoUse.video_id).where(CameoUse.video_id == Video.id).exists()
    db.execute(
        update(Video)
        .where(*which, Video.status.in_(FINISHED), ~used_a_cameo)
        .values(prompt="", storyboard_json="{}", error_message=None, cancel_reason=None)
        .execution_options(synchronize_session="fetch")
    )


@dataclass(frozen=True)
class Forfeit:
    """What closing an account gives up: its credits (a queued video's reserved units come
    back to them when it is cancelled) and its tips not asked for in a payout."""

    purchased: int
    granted: int
    tips_available: int
    tips_pending: int

    @property
    def anything(self) -> bool:
        return any((self.purchased, self.granted, self.tips_available, self.tips_pending))


def forfeit_of(*, db: Session, user_id: str) -> Forfeit:
    """What closing the account `user_id` now would give up (the close form and the
    operator's `admin close-account` both say it)."""
    from reelmint.domains.wallet.service import read_wallet
    from reelmint.domains.wallet.tips import tips_of

    wallet = read_wallet(db=db, user_id=user_id)
    tips = tips_of(db=db, user_id=user_id)
    return Forfeit(
        purchased=max(wallet.purchased.balance, 0),
        granted=max(wallet.granted.balance, 0),
        tips_available=tips.available,
        tips_pending=tips.pending,
    )


def is_closed(user: User) -> bool:
    """Closed (by its owner or an operator): disabled, with a closed account's address, which
    nobody can take (`usable_email` refuses the .invalid domain)."""
    return (
        user.disabled_at is not None
        and user.email.startswith(f"closed-{user.id}")
        and user.email.endswith(CLOSED_DOMAIN)
    )


CLOSED_DOMAIN = "@closed.invalid"


def _closed_email(db: Session, user: User) -> str:
    """Unique, and not an address anyone can sign up with (it names the user's id, in the
    .invalid domain); should an account made before .invalid addresses were refused have
    taken it, a random part keeps it unique."""
    email = f"closed-{user.id}{CLOSED_DOMAIN}"
    taken = db.scalar(select(User.id).where(User.email == email, User.id != user.id))
    return email if taken is None else f"closed-{user.id}-{secrets.token_hex(6)}{CLOSED_DOMAIN}"


def _scrub(db: Session, user: User, now: datetime) -> None:
    user.email = _closed_email(db, user)
    user.email_confirmed_at = user.email_confirmation_sent_at = None
    user.pending_email = user.email_change_sent_at = user.email_change_stopped_at = None
    user.display_name = CLOSED_NAME
    user.password_hash = hash_password(secrets.token_urlsafe(32))  # nobody knows it
    user.role = "user"
    user.disabled_at = now
