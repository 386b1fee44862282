"""Cameos: consent-gated likenesses. Creating one, who may use it, the check at admission,
the owner's view of every use, and revocation.

- Creating starts with a verification phrase the server makes (`start_consent`); the user
  types it back with the images, and only then is the cameo made. The images are checked
  from their headers (type, size, dimensions, decompression bombs), decoded once, and stored
  re-encoded as JPEG, so what a backend later reads is what was checked (and the photo's
  metadata, GPS position included, is not kept).
- At admission `cameos_for` finds the @handles of cameos in the prompt and every shot,
  refuses more than `cameo_max_per_video` of them, and refuses a use the owner did not
  permit (`cameo_permission_denied`, 403, naming the cameo and why); nothing is written
  then. The owner may always use their own cameo. `record_uses` then records each use with
  the video and notifies the owner (not of their own uses).
- The owner sees every draft and post that uses the cameo, may delete any of them, and may
  revoke the cameo: new uses are refused at once, and unfinished videos using it are
  cancelled (queued ones refunded in the same transaction, running ones stopped by their
  worker and refunded when it ends). Revocation locks the cameo row, and admission reads it
  with a share lock, so on PostgreSQL no video can slip in between.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import ID_SHAPE, new_id, utcnow
from reelmint.db.paging import after_cursor, check_limit
from reelmint.domains import uploads
from reelmint.domains.accounts.blocks import between, blocks
from reelmint.domains.accounts.follows import are_mutual
from reelmint.domains.accounts.models import User
from reelmint.domains.cameos.models import (
    PERMISSIONS,
    Cameo,
    CameoApproval,
    CameoConsent,
    CameoImage,
    CameoUse,
)
from reelmint.domains.handles import claim_handle
from reelmint.domains.notifications.service import notify
from reelmint.domains.rights.models import Character
from reelmint.domains.rights.service import JOINERS, broken_rule, detector_for
from reelmint.domains.uploads import CheckedImage, ImageRules, ImageUpload
from reelmint.domains.videos.derivatives import withdraw_carriers
from reelmint.domains.videos.models import Video
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from reelmint.terminal import hidden_character

if TYPE_CHECKING:
    from reelmint.bootstrap import Services

HANDLE_RULE = "a handle is 2-30 lower-case letters, digits or underscores"
MAX_RESTRICTIONS = 50
USES_PAGE = 20  # uses per page, on the cameos page and by default in the API
MAX_USES_PAGE = 100
MAX_RESTRICTION_CHARS = 80
MAX_DISPLAY_NAME = 80
IMAGE_CODE = "invalid_cameo_image"
_HANDLE = re.compile(r"[a-z0-9_]{2,30}")
# `@ada` but not `me@ada.com` or `@@ada`; the handle ends where a word would.
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{2,30})(?!\w)")
# Short, common, unambiguous words: the phrase is read on a screen and typed back.
_PHRASE_TEXT = (
    "amber apple arrow autumn basket beacon birch blue bridge bright canyon cedar chalk "
    "cherry cloud coast copper coral cotton crystal daisy dawn delta desert ember fable "
    "falcon feather fern field flint forest fossil garden glacier golden granite harbor "
    "hazel honey island ivory jasmine juniper lagoon lantern lemon linen maple marble "
    "meadow mint moon mosaic nectar north ocean olive orbit orchid pebble pepper pine "
    "planet plum prairie quartz quiet rain raven reef river robin saffron sail silver "
    "sky slate spruce stone summer sunset thistle thunder tide timber topaz tulip valley "
    "velvet violet walnut willow winter"
)
_PHRASE_WORDS = tuple(_PHRASE_TEXT.split())
PHRASE_LENGTH = 4


class CameoPermissionDenied(Forbidden):
    code = "cameo_permission_denied"


@dataclass(frozen=True)
class CameoRequest:
    """A cameo as its owner describes it (not yet checked)."""

    handle: str
    display_name: str
    permission: str = "only_me"
    restrictions: Sequence[str] = ()


@dataclass(frozen=True)
class Decision:
    """Whether a user may use a cameo, and if not, why (the refusal's message)."""

    allowed: bool
    reason: str | None = None

    @property
    def code(self) -> str | None:
        return None if self.allowed else CameoPermissionDenied.code


@dataclass(frozen=True)
class UseView:
    """One video that uses a cameo, as its owner sees it."""

    video_id: str
    status: str
    published: bool
    deleted: bool
    user_id: str
    user_display_name: str
    prompt: str
    created_at: datetime


@dataclass(frozen=True)
class Revocation:
    """What revoking did: the cameo, the queued videos cancelled (and refunded), the running
    ones asked to stop, other people's published videos taken off the feed, and the image
    files to remove once the transaction commits."""

    cameo: Cameo
    cancelled: list[str]
    stopping: list[str]
    image_keys: list[str]
    unpublished: list[str] = field(default_factory=list)


# --- consent ----------------------------------------------------------------------------------


def start_consent(
    *, db: Session, settings: Settings, user: User, now: datetime | None = None
) -> CameoConsent:
    """A new verification phrase for `user` (replacing any earlier one), valid for
    `cameo_consent_minutes`."""
    now = now or utcnow()
    phrase = " ".join(secrets.choice(_PHRASE_WORDS) for _ in range(PHRASE_LENGTH))
    expires_at = now + timedelta(minutes=settings.cameo_consent_minutes)
    # The user's row is the lock: two first requests at once would both insert the phrase.
    db.execute(select(User.id).where(User.id == user.id).with_for_update())
    consent = db.get(CameoConsent, user.id)
    if consent is None:
        consent = CameoConsent(user_id=user.id, phrase=phrase, expires_at=expires_at)
        db.add(consent)
    else:
        consent.phrase, consent.expires_at, consent.created_at = phrase, expires_at, now
    db.flush()
    return consent


def live_consent(
    *, db: Session, settings: Settings, user: User, now: datetime | None = None
) -> CameoConsent:
    """The user's phrase if it is still valid for a while, else a new one (for a form)."""
    now = now or utcnow()
    consent = db.get(CameoConsent, user.id)
    if consent is not None and consent.expires_at > now + timedelta(minutes=5):
        return consent
    return start_consent(db=db, settings=settings, user=user, now=now)


def consent_statement(handle: str | None = None) -> str:
    """What typing the phrase means (shown beside it)."""
    cameo = f"@{handle}" if handle else "this cameo"
    return (
        f"By typing the phrase you confirm that the photos show you, and that you consent to "
        f"videos of your likeness being made as {cameo} by the people you allow. You can "
        "change who may use it, delete any video that uses it, or revoke it at any time."
    )


def _take_consent(*, db: Session, user: User, typed: str, now: datetime) -> str:
    """Check the typed phrase against the user's live one and use it up; the phrase."""
    consent = db.get(CameoConsent, user.id)
    if consent is None:
        raise BadRequest(
            "ask for a verification phrase first (the cameos page shows one; the API gives "
            "one at POST /v1/cameos/consent), then type it back",
            code="consent_required",
            param="consent_phrase",
        )
    if consent.expires_at <= now:
        raise BadRequest(
            "the verification phrase has expired; ask for a new one and type it back",
            code="consent_expired",
            param="consent_phrase",
        )
    if _phrase(typed) != _phrase(consent.phrase):
        raise BadRequest(
            f"the phrase you typed does not match the one shown; type {consent.phrase!r} "
            "exactly to give your consent",
            code="consent_phrase_mismatch",
            param="consent_phrase",
        )
    db.delete(consent)
    return consent.phrase


def _phrase(text: str) -> str:
    """Word for word: case and the spaces between words do not count (phones capitalise)."""
    return " ".join(text.split()).casefold()


# --- creating ---------------------------------------------------------------------------------


def check_request(request: CameoRequest) -> CameoRequest:
    """The request normalised, or a 400 naming the field to fix."""
    handle = request.handle.strip().lstrip("@").lower()
    if not _HANDLE.fullmatch(handle):
        raise BadRequest(HANDLE_RULE, code="invalid_handle", param="handle")
    name = " ".join(request.display_name.split())
    # No control or invisible characters (a NUL PostgreSQL refuses, a right-to-left override
    # that would reorder the name in others' pages and refusals); joiners names need are kept.
    if not 1 <= len(name) <= MAX_DISPLAY_NAME or hidden_character(name, allowed=JOINERS):
        raise BadRequest(
            f"give the cameo a display name of 1-{MAX_DISPLAY_NAME} printable characters (no "
            "control or invisible characters)",
            code="invalid_display_name",
            param="display_name",
        )
    return CameoRequest(
        handle=handle,
        display_name=name,
        permission=_permission(request.permission),
        restrictions=_restrictions(request.restrictions),
    )


def _permission(value: str) -> str:
    if value not in PERMISSIONS:
        raise BadRequest(
            f"permission must be one of {', '.join(PERMISSIONS)}",
            code="invalid_permission",
            param="permission",
        )
    return value


def _restrictions(values: Sequence[str]) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(" ".join(v.split()) for v in values if v.strip()))
    too_long = any(len(v) > MAX_RESTRICTION_CHARS for v in cleaned)
    hidden = any(hidden_character(v, allowed=JOINERS) for v in cleaned)
    if len(cleaned) > MAX_RESTRICTIONS or too_long or hidden:
        raise BadRequest(
            f"restrictions: at most {MAX_RESTRICTIONS} words or phrases, each at most "
            f"{MAX_RESTRICTION_CHARS} printable characters (no control or invisible ones)",
            code="invalid_restrictions",
            param="restrictions",
        )
    return cleaned


def image_rules(settings: Settings) -> ImageRules:
    """What a cameo photo must be (domains/uploads.py checks and re-encodes it)."""
    return ImageRules(
        what="cameo image",
        owner="a cameo",
        code=IMAGE_CODE,
        max_bytes=settings.cameo_max_image_bytes,
        min_side=settings.cameo_min_image_side,
        max_count=settings.cameo_max_images,
        required_code="cameo_images_required",
        required_message="add at least one reference image of yourself (JPEG, PNG or WebP)",
        min_side_reason=", so your face can be seen",
    )


def check_images(*, settings: Settings, images: Sequence[ImageUpload]) -> list[CheckedImage]:
    """Check every upload (header first, then one decode) and re-encode it as a JPEG.

    Refusals are 400 `invalid_cameo_image` naming the file as the client named it.
    """
    return uploads.check_images(images, rules=image_rules(settings))


def create_cameo(
    *,
    services: Services,
    user: User,
    request: CameoRequest,
    images: Sequence[ImageUpload],
    consent_phrase: str,
) -> Cameo:
    """Check, store the images, and create the cameo with the consent: all or nothing.

    The images are stored before the transaction and removed again if it fails, so a refused
    request leaves nothing behind; storage that cannot be reached is a 503
    `storage_unavailable`.
    """
    checked_request = check_request(request)
    checked = check_images(settings=services.settings, images=images)
    cameo_id = new_id("cameo")
    keys = [f"cameos/{cameo_id}/{position}.jpg" for position in range(len(checked))]
    stored = zip(checked, keys, strict=True)
    with (
        uploads.stored_images(services.storage, stored, failing="the cameo cannot be created now"),
        services.db.write() as db,
    ):
        return insert_cameo(
            db=db,
            settings=services.settings,
            user=user,
            request=checked_request,
            images=list(zip(checked, keys, strict=True)),
            consent_phrase=consent_phrase,
            cameo_id=cameo_id,
        )


def insert_cameo(
    *,
    db: Session,
    settings: Settings,
    user: User,
    request: CameoRequest,
    images: Sequence[tuple[CheckedImage, str]],
    consent_phrase: str,
    cameo_id: str | None = None,
    now: datetime | None = None,
) -> Cameo:
    """Insert a checked cameo and its stored images (in the caller's write transaction)."""
    now = now or utcnow()
    # The user's consent row is their lock: two requests typing one phrase make one cameo, and
    # the count below cannot be passed by two at once (PostgreSQL; SQLite serialises writers).
    db.get(CameoConsent, user.id, with_for_update=True)
    claim_handle(db, request.handle)
    _refuse_character_names(db=db, settings=settings, handle=request.handle)
    active = db.scalar(
        select(func.count())
        .select_from(Cameo)
        .where(Cameo.user_id == user.id, Cameo.status == "active")
    )
    if (active or 0) >= settings.cameo_max_per_user:
        raise Conflict(
            f"you have {active} cameos, the most allowed; revoke one to make another",
            code="cameo_limit_reached",
        )
    phrase = _take_consent(db=db, user=user, typed=consent_phrase, now=now)
    cameo = Cameo(
        id=cameo_id or new_id("cameo"),
        user_id=user.id,
        handle=request.handle,
        display_name=request.display_name,
        permission=request.permission,
        restrictions_json=json.dumps(list(request.restrictions)),
        status="active",
        consent_phrase=phrase,
        consented_at=now,
        created_at=now,
    )
    try:
        with db.begin_nested():  # two people may ask for one handle at the same moment
            db.add(cameo)
    except IntegrityError:
        raise _handle_taken(request.handle) from None
    for position, (image, key) in enumerate(images):
        db.add(
            CameoImage(
                cameo_id=cameo.id,
                position=position,
                storage_key=key,
                content_type="image/jpeg",
                width=image.width,
                height=image.height,
                bytes=image.bytes,
            )
        )
    db.flush()
    return cameo


def _refuse_character_names(*, db: Session, settings: Settings, handle: str) -> None:
    """409 `handle_names_character` for a handle that reads as a registered character's name,
    alias or handle: detection leaves cameo mentions out of prompts (so no holder can block
    someone's likeness by registering its handle), but the video model still reads the
    mention's words, so `@zorblax_the_wise` would name Zorblax the Wise unpaid and unblocked."""
    texts = [f"@{handle}", handle.replace("_", " ")]
    for match in detector_for(db=db, settings=settings).detect(texts):
        character = db.get(Character, match.character)
        if match.how == "semantic" or character is None or character.retired_at is not None:
            continue
        raise Conflict(
            f"the handle @{handle} reads as {character.name} (@{character.handle}), a "
            "registered character, and the video model reads a cameo's handle as words; "
            "choose a handle that names no character",
            code="handle_names_character",
            param="handle",
        )


def _handle_taken(handle: str) -> Conflict:
    return Conflict(
        f"the handle @{handle} is taken; choose another", code="handle_taken", param="handle"
    )


# --- reading and changing ---------------------------------------------------------------------


def get_cameo(*, db: Session, handle: str, lock: bool = False) -> Cameo:
    """The cameo with this handle (active or revoked); 404 if there is none."""
    name = handle.strip().lstrip("@").lower()
    query = select(Cameo).where(Cameo.handle == name)
    if lock:
        query = query.with_for_update()
    cameo = db.scalars(query).first() if _HANDLE.fullmatch(name) else None
    if cameo is None:
        raise NotFound(f"no cameo @{name[:30]}", code="cameo_not_found", param="handle")
    return cameo


def cameo_seen_by(*, db: Session, handle: str, viewer: User) -> Cameo:
    """The cameo with this handle as `viewer` may look it up: 404 `cameo_not_found`, as for
    no cameo, when its owner blocked them (as the owner's profile is to them;
    accounts/blocks.py). Its owner and administrators always find it."""
    cameo = get_cameo(db=db, handle=handle)
    hidden = viewer.id != cameo.user_id and viewer.role != "admin"
    if hidden and blocks(db, blocker_id=cameo.user_id, blocked_id=viewer.id):
        raise NotFound(f"no cameo @{cameo.handle}", code="cameo_not_found", param="handle")
    return cameo


def own_cameo(
    *, db: Session, actor: User, handle: str, lock: bool = False, moderating: bool = False
) -> Cameo:
    """A cameo the actor owns; others' read as not found. With `moderating` (looking at it,
    its uses, deleting a use, revoking it) an admin may act on anyone's; who may use a
    likeness is its owner's to decide alone, so widening it never is an admin's."""
    cameo = get_cameo(db=db, handle=handle, lock=lock)
    moderator = moderating and actor.role == "admin"
    if cameo.user_id != actor.id and not moderator:
        raise NotFound(f"no cameo @{cameo.handle} of yours", code="cameo_not_found")
    return cameo


def list_own_cameos(*, db: Session, user: User) -> list[Cameo]:
    """The user's cameos, active ones first, newest first."""
    return list(
        db.scalars(
            select(Cameo)
            .where(Cameo.user_id == user.id)
            .order_by(Cameo.status, Cameo.created_at.desc(), Cameo.id)
        )
    )


def images_of(*, db: Session, cameo: Cameo) -> list[CameoImage]:
    return list(
        db.scalars(
            select(CameoImage).where(CameoImage.cameo_id == cameo.id).order_by(CameoImage.position)
        )
    )


def own_image(*, db: Session, actor: User, handle: str, position: int) -> CameoImage:
    """One reference image, for its owner's eyes only, while the cameo is active."""
    cameo = own_cameo(db=db, actor=actor, handle=handle, moderating=True)
    image = db.scalar(
        select(CameoImage).where(CameoImage.cameo_id == cameo.id, CameoImage.position == position)
    )
    if image is None or cameo.status != "active":
        raise NotFound(f"@{cameo.handle} has no image {position}", code="image_not_found")
    return image


def restrictions_of(cameo: Cameo) -> list[str]:
    return list(json.loads(cameo.restrictions_json))


def update_cameo(
    *,
    db: Session,
    actor: User,
    handle: str,
    display_name: str | None = None,
    permission: str | None = None,
    restrictions: Sequence[str] | None = None,
) -> Cameo:
    """Change who may use a cameo, its restrictions or its display name (not its handle)."""
    cameo = own_cameo(db=db, actor=actor, handle=handle, lock=True)
    _require_active(cameo)
    if display_name is not None:
        cameo.display_name = check_request(
            CameoRequest(handle=cameo.handle, display_name=display_name)
        ).display_name
    if permission is not None:
        cameo.permission = _permission(permission)
    if restrictions is not None:
        cameo.restrictions_json = json.dumps(list(_restrictions(restrictions)))
    cameo.updated_at = utcnow()
    db.flush()
    return cameo


def _require_active(cameo: Cameo) -> None:
    if cameo.status != "active":
        raise Conflict(
            f"@{cameo.handle} was revoked; a revoked cameo cannot change", code="cameo_revoked"
        )


def approve_user(
    *,
    db: Session,
    actor: User,
    handle: str,
    user_id: str | None = None,
    email: str | None = None,
) -> User:
    """Let a user (by id or email) use a cameo whose permission is `approved` (idempotent).
    By email only an account that confirmed that address (409 `email_unconfirmed`): whoever
    signed up with someone else's address must not get the permission meant for them."""
    cameo = own_cameo(db=db, actor=actor, handle=handle)
    _require_active(cameo)
    user = _find_user(db, user_id=user_id, email=email)
    if user.id == cameo.user_id:
        raise BadRequest("the owner may always use their own cameo", code="cannot_approve_owner")
    approved = db.get(CameoApproval, (cameo.id, user.id)) is not None
    if email is not None and user.email_confirmed_at is None and not approved:
        raise Conflict(
            f"the account with {user.email} has not confirmed that address yet, so it may not "
            "be its owner's; ask them to open the confirmation link we emailed them (they can "
            "send a new one from Settings), then approve them again",
            code="email_unconfirmed",
            param="email",
        )
    if not approved:
        try:  # two approvals at once (a double click): the primary key keeps one
            with db.begin_nested():
                db.add(CameoApproval(cameo_id=cameo.id, user_id=user.id))
        except IntegrityError:
            pass  # approved meanwhile: what was asked for holds
    return user


def withdraw_approval(*, db: Session, actor: User, handle: str, user_id: str) -> None:
    """Withdraw an approval (none: no change); the user's new uses are refused at once."""
    cameo = own_cameo(db=db, actor=actor, handle=handle)
    approval = db.get(CameoApproval, (cameo.id, user_id)) if ID_SHAPE.fullmatch(user_id) else None
    if approval is not None:
        db.delete(approval)
        db.flush()


def approved_users(*, db: Session, actor: User, handle: str) -> list[User]:
    return approved_of(db=db, cameo=own_cameo(db=db, actor=actor, handle=handle, moderating=True))


def approved_of(*, db: Session, cameo: Cameo) -> list[User]:
    """The people approved to use `cameo` (one the caller has authorised: its owner's)."""
    return list(
        db.scalars(
            select(User)
            .join(CameoApproval, CameoApproval.user_id == User.id)
            .where(CameoApproval.cameo_id == cameo.id)
            .order_by(CameoApproval.created_at, User.id)
        )
    )


def _find_user(db: Session, *, user_id: str | None, email: str | None) -> User:
    from reelmint.domains.accounts.service import find_user, normalise_email

    if (user_id is None) == (email is None):
        raise BadRequest("name the user by user_id or by email (one of them)", code="invalid_user")
    user = db.get(User, user_id) if user_id and ID_SHAPE.fullmatch(user_id) else None
    if email is not None:
        user = find_user(db=db, email=normalise_email(email))
    if user is None or user.disabled_at is not None:
        raise NotFound(f"no user {(user_id or email or '')[:80]}", code="user_not_found")
    return user


# --- permission and admission -----------------------------------------------------------------


def mentioned_handles(texts: Sequence[str]) -> list[str]:
    """The @handles in `texts`, lower-cased, in order of first mention."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _MENTION.finditer(text or ""):
            found.setdefault(match.group(1).lower(), None)
    return list(found)


def without_mentions(texts: Sequence[str], handles: set[str]) -> list[str]:
    """`texts` with each @mention of one of `handles` (lower case) taken out."""

    def blank(match: re.Match[str]) -> str:
        return "" if match.group(1).lower() in handles else match.group(0)

    return [_MENTION.sub(blank, text or "") for text in texts]


def permission_for(*, db: Session, user: User, cameo: Cameo, texts: Sequence[str] = ()) -> Decision:
    """Whether `user` may put `cameo` in a video described by `texts`, and if not, why."""
    who = f"{cameo.display_name} (@{cameo.handle})"
    if cameo.status != "active":
        return Decision(
            False, f"{who} was revoked by its owner and can no longer be used; remove it"
        )
    if cameo.user_id == user.id:
        return Decision(True)
    refusal = _audience_refusal(db, user, cameo)
    if refusal is not None:
        advice = "remove it" if refusal in (BLOCKED, PAUSED) else "ask its owner or remove it"
        return Decision(False, f"{who} {refusal}; {advice} from the prompt")
    phrase = broken_rule(texts, restrictions_of(cameo))
    if phrase is not None:
        return Decision(
            False,
            f"{who} may not be shown with {phrase!r} (its owner's restrictions); change the prompt",
        )
    return Decision(True)


BLOCKED = "cannot be used by you"
"""Why a cameo is refused across a block (blocks.py), which way not said and no advice given."""


PAUSED = "cannot be used now"
"""Why a cameo is refused while its owner's account is suspended: they cannot revoke it or
look after its uses meanwhile (a leaked password may be why), so no new use starts and none
is published. The suspension is named to its owner alone."""


def _audience_refusal(db: Session, user: User, cameo: Cameo) -> str | None:
    if between(db, user.id, cameo.user_id):  # either way; which way is not said
        return BLOCKED
    owner = db.get(User, cameo.user_id)
    if user.id != cameo.user_id and (owner is None or owner.suspended_at is not None):
        return PAUSED
    if cameo.permission == "everyone":
        return None
    if cameo.permission == "approved":
        if db.get(CameoApproval, (cameo.id, user.id)) is not None:
            return None
        return "may be used only by people its owner approved"
    if cameo.permission == "mutual":
        if are_mutual(db=db, a=user.id, b=cameo.user_id):
            return None
        return "may be used only by people who follow its owner and whom its owner follows back"
    return "may be used only by its owner"


def cameos_for(
    *, db: Session, settings: Settings, user: User, texts: Sequence[str], lock: bool = True
) -> list[Cameo]:
    """The cameos a request uses (by @handle, in order of mention); refuses what may not be
    used, before anything is written. To admit, `lock` reads the cameos with a share lock, so
    a revocation running now either finishes first (and is seen) or waits for this admission
    to commit (and then cancels its video); an estimate, which admits nothing, does not."""
    handles = mentioned_handles(texts)
    if not handles:
        return []
    query = select(Cameo).where(Cameo.handle.in_(handles))
    if lock:
        query = query.with_for_update(read=True)
    by_handle = {cameo.handle: cameo for cameo in db.scalars(query)}
    cameos = [by_handle[h] for h in handles if h in by_handle]
    most = settings.cameo_max_per_video
    if len(cameos) > most:
        named = ", ".join(f"@{c.handle}" for c in cameos)
        raise BadRequest(
            f"a video may use at most {most} cameos and this one mentions {len(cameos)} "
            f"({named}); remove some",
            code="too_many_cameos",
            param="prompt",
        )
    for cameo in cameos:
        decision = permission_for(db=db, user=user, cameo=cameo, texts=texts)
        if not decision.allowed:
            raise CameoPermissionDenied(decision.reason or f"@{cameo.handle} may not be used")
    return cameos


def require_publishable(*, db: Session, video: Video, maker: User) -> None:
    """Refuse to publish a video showing someone else's cameo its maker may no longer use:
    409 `cameo_revoked` (revoked by its owner) or 403 `cameo_permission_denied` (its
    audience no longer includes the maker, or its prompt breaks a restriction the owner has
    set since). The cameos are read with a share lock, as at
    admission, so a revocation running now either is seen or waits and then takes the
    video off the feed. The maker's own cameos are theirs to publish."""
    used = db.scalars(
        select(Cameo)
        .join(CameoUse, CameoUse.cameo_id == Cameo.id)
        .where(CameoUse.video_id == video.id, Cameo.user_id != maker.id)
        .order_by(CameoUse.position)
        .with_for_update(read=True, of=Cameo)
    ).all()
    for cameo in used:
        who = f"{cameo.display_name} (@{cameo.handle})"
        if cameo.status != "active":
            raise Conflict(
                f"{who} was revoked by its owner, so a video showing it cannot be published; "
                "you can still watch or delete it",
                code="cameo_revoked",
            )
        refusal = _audience_refusal(db, maker, cameo)
        if refusal is not None:
            advice = "" if refusal in (BLOCKED, PAUSED) else "; ask its owner"
            raise CameoPermissionDenied(
                f"{who} {refusal}, so this video cannot be published{advice}"
            )
        phrase = broken_rule(video.prompts(), restrictions_of(cameo))
        if phrase is not None:
            raise CameoPermissionDenied(
                f"{who} may no longer be shown with {phrase!r} (its owner's restrictions), so "
                "this video cannot be published; you can still watch or delete it"
            )


def record_uses(*, db: Session, video: Video, user: User, cameos: Sequence[Cameo]) -> None:
    """Record the video's cameos and tell each owner (not of their own use), in the
    admission transaction."""
    for position, cameo in enumerate(cameos):
        db.add(CameoUse(cameo_id=cameo.id, video_id=video.id, user_id=user.id, position=position))
        owner = db.get(User, cameo.user_id)
        if owner is None or owner.id == user.id:
            continue
        notify(
            db=db,
            user=owner,
            kind="cameo_used",
            title=f"{user.display_name} used your cameo @{cameo.handle}",
            body=(
                f"{user.display_name} asked for a video with your cameo @{cameo.handle}: "
                f"{video.prompt[:300]}\n\nYou can see every video that uses it, delete any of "
                "them, change who may use it or revoke it."
            ),
            link="/cameos",
            key=f"cameo_used:{video.id}:{cameo.id}",
        )
    db.flush()


def cameo_image_keys_for_video(*, db: Session, video_id: str) -> tuple[str, ...]:
    """The main reference image of each active cameo the video uses, in order of mention
    (what the worker hands the backend)."""
    rows = db.scalars(
        select(CameoImage.storage_key)
        .join(CameoUse, CameoUse.cameo_id == CameoImage.cameo_id)
        .join(Cameo, Cameo.id == CameoImage.cameo_id)
        .where(CameoUse.video_id == video_id, CameoImage.position == 0, Cameo.status == "active")
        .order_by(CameoUse.position)
    )
    return tuple(rows)


# --- the owner's view: uses, deleting them, revoking ------------------------------------------


@dataclass(frozen=True)
class UsePage:
    """One page of a cameo's uses, newest first; `has_more`: older ones follow."""

    uses: list[UseView]
    has_more: bool


def uses_of(
    *, db: Session, actor: User, handle: str, after: str | None = None, limit: int = USES_PAGE
) -> UsePage:
    """The videos that used the actor's cameo (drafts, posts, deleted ones too), newest
    first; `after` is the video id of the last use of the previous page."""
    cameo = own_cameo(db=db, actor=actor, handle=handle, moderating=True)
    return uses_of_cameo(db=db, cameo=cameo, after=after, limit=limit)


def uses_of_cameo(
    *, db: Session, cameo: Cameo, after: str | None = None, limit: int = USES_PAGE
) -> UsePage:
    """`uses_of` for a cameo the caller has authorised (its owner's own)."""
    check_limit(limit, MAX_USES_PAGE)
    query = (
        select(CameoUse, Video, User)
        .join(Video, Video.id == CameoUse.video_id)
        .join(User, User.id == Video.user_id)
        .where(CameoUse.cameo_id == cameo.id)
    )
    if after is not None:
        cursor = _use_cursor(db, cameo, after)
        position = (cursor.created_at, cursor.id)
        query = query.where(after_cursor(CameoUse.created_at, CameoUse.id, position))
    order = (CameoUse.created_at.desc(), CameoUse.id.desc())
    rows = db.execute(query.order_by(*order).limit(limit + 1)).all()
    uses = [
        UseView(
            video_id=video.id,
            status=video.status,
            published=video.published_at is not None,
            deleted=video.deleted_at is not None,
            user_id=maker.id,
            user_display_name=maker.display_name,
            prompt=video.prompt,
            created_at=use.created_at,
        )
        for use, video, maker in rows[:limit]
    ]
    return UsePage(uses=uses, has_more=len(rows) > limit)


def _use_cursor(db: Session, cameo: Cameo, after: str) -> CameoUse:
    cursor = None
    if ID_SHAPE.fullmatch(after):
        cursor = db.scalar(
            select(CameoUse).where(CameoUse.cameo_id == cameo.id, CameoUse.video_id == after)
        )
    if cursor is None:
        raise NotFound(
            f"no video {after[:80]!r} uses @{cameo.handle} to list after; pass the last_id of "
            "the previous page",
            code="video_not_found",
            param="after",
        )
    return cursor


def used_video(*, db: Session, actor: User, handle: str, video_id: str) -> Video:
    """A video that uses the actor's cameo (for its owner to watch or delete)."""
    return _used_video(db, own_cameo(db=db, actor=actor, handle=handle, moderating=True), video_id)


def _used_video(db: Session, cameo: Cameo, video_id: str) -> Video:
    use = None
    if ID_SHAPE.fullmatch(video_id):
        use = db.scalar(
            select(CameoUse).where(CameoUse.cameo_id == cameo.id, CameoUse.video_id == video_id)
        )
    video = db.get(Video, video_id) if use is not None else None
    if video is None or video.deleted_at is not None:
        raise NotFound(f"no video {video_id[:64]} uses @{cameo.handle}", code="video_not_found")
    return video


def delete_use(*, db: Session, actor: User, handle: str, video_id: str) -> list[str]:
    """Delete a video that uses the actor's cameo, whoever made it (cancelled and refunded if
    unfinished); returns the storage keys to remove once the transaction commits."""
    from reelmint.domains.videos.service import delete_video

    cameo = own_cameo(db=db, actor=actor, handle=handle)
    video = _used_video(db, cameo, video_id)
    maker = db.get(User, video.user_id)
    assert maker is not None  # a video's user is deleted with it (ON DELETE CASCADE)
    unfinished = video.status in ("queued", "in_progress")
    # Authorised above as the cameo's owner; the videos service deletes as the video's maker.
    keys = delete_video(db=db, actor=maker, video_id=video.id)
    if maker.id != actor.id:
        money = (
            "It was not finished: it is cancelled and the units it had reserved were given back."
            if unfinished
            else "It had been delivered, so what it cost stays spent."
        )
        notify(
            db=db,
            user=maker,
            kind="cameo_video_deleted",
            title=f"Your video with @{cameo.handle} was deleted",
            body=(
                f"The person in the cameo @{cameo.handle} deleted your video "
                f"{video.id} ({video.prompt[:200]}). {money}"
            ),
            link="/drafts",
            key=f"cameo_video_deleted:{video.id}",
        )
    return keys


def revoke_cameo(
    *, db: Session, actor: User, handle: str, now: datetime | None = None
) -> Revocation:
    """Revoke a cameo: new uses are refused from the commit on; queued videos using it are
    cancelled and refunded now, running ones asked to stop (their worker ends them as
    cancelled, refunded); other people's published videos with it leave the public feed (they
    stay their makers', who cannot publish them again). Revoking again changes nothing. An
    admin may revoke anyone's (moderation): the owner is told, and the makers read who did."""
    from reelmint.domains.videos.service import mark_cancelled, request_cancel
    from reelmint.domains.wallet.service import lock_wallets

    now = now or utcnow()
    cameo = own_cameo(db=db, actor=actor, handle=handle, moderating=True, lock=True)
    if cameo.status == "revoked":
        return Revocation(cameo=cameo, cancelled=[], stopping=[], image_keys=[])
    cameo.status, cameo.revoked_at, cameo.updated_at = "revoked", now, now
    db.flush()
    unfinished = db.scalars(
        select(Video)
        .join(CameoUse, CameoUse.video_id == Video.id)
        .where(CameoUse.cameo_id == cameo.id, Video.status.in_(("queued", "in_progress")))
        .order_by(Video.created_at, Video.id)
        .with_for_update(of=Video)
    ).all()
    lock_wallets(
        db=db, user_ids=[video.user_id for video in unfinished if video.status == "queued"]
    )
    cancelled: list[str] = []
    stopping: list[str] = []
    by_owner = actor.id == cameo.user_id
    who = "its owner" if by_owner else "the platform's moderators"
    reason = f"the cameo @{cameo.handle} was revoked by {who}"
    for video in unfinished:
        if video.status == "queued":
            mark_cancelled(db=db, video=video, reason=reason)
            cancelled.append(video.id)
        else:
            request_cancel(video, reason=reason)
            stopping.append(video.id)
        _tell_maker_of_revocation(db, cameo, video, by_owner=by_owner)
    unpublished = _unpublish_uses(db, cameo, by_owner=by_owner)
    if not by_owner:
        _tell_owner_of_moderation(db, cameo)
    db.flush()
    keys = [image.storage_key for image in images_of(db=db, cameo=cameo)]
    return Revocation(
        cameo=cameo,
        cancelled=cancelled,
        stopping=stopping,
        image_keys=keys,
        unpublished=unpublished,
    )


def end_uses_across_block(
    *, db: Session, a_id: str, b_id: str, now: datetime | None = None
) -> list[str]:
    """A block now stands between users `a_id` and `b_id`: neither may show the other's
    likeness any more. Each one's videos using the other's cameo stop as a revocation stops
    them (queued: cancelled and refunded; running: asked to stop; published: off the feed,
    with what plays them again), each maker told without naming the block. The ids of the
    videos changed."""
    from reelmint.domains.videos.service import mark_cancelled, request_cancel
    from reelmint.domains.wallet.service import lock_wallets

    crossing = or_(
        and_(Video.user_id == a_id, Cameo.user_id == b_id),
        and_(Video.user_id == b_id, Cameo.user_id == a_id),
    )
    rows = db.execute(
        select(Video, Cameo)
        .join(CameoUse, CameoUse.video_id == Video.id)
        .join(Cameo, Cameo.id == CameoUse.cameo_id)
        .where(crossing, Video.deleted_at.is_(None))
        .order_by(Video.created_at, Video.id)
        .with_for_update(of=Video, key_share=True)  # no key changes
    ).all()
    lock_wallets(db=db, user_ids=[video.user_id for video, _ in rows if video.status == "queued"])
    changed: list[str] = []
    for video, cameo in rows:
        if video.id in changed:
            continue  # it showed more than one of their cameos
        if video.status == "queued":
            mark_cancelled(db=db, video=video, reason=f"the cameo @{cameo.handle} {BLOCKED}")
        elif video.status == "in_progress":
            request_cancel(video, reason=f"the cameo @{cameo.handle} {BLOCKED}")
        elif video.published_at is not None:
            video.published_at = None
            db.flush()
            withdraw_carriers(db=db, source=video)
        else:
            continue  # a draft: it cannot be published now (require_publishable)
        changed.append(video.id)
        _tell_maker_across_block(db, cameo, video, now=now or utcnow())
    return changed


def _tell_maker_across_block(db: Session, cameo: Cameo, video: Video, *, now: datetime) -> None:
    maker = db.get(User, video.user_id)
    if maker is None:
        return
    notify(
        db=db,
        user=maker,
        kind="cameo_unavailable",
        title=f"Your video with @{cameo.handle} was stopped",
        body=(
            f"The cameo @{cameo.handle} {BLOCKED} any more, so your video "
            f"({video.prompt[:200]}) is no longer public, or was cancelled and refunded if it "
            "was not finished. It is still yours to watch or delete."
        ),
        link=f"/videos/{video.id}",
        key=f"cameo_unavailable:{video.id}:{now.isoformat()}",
    )


def _revoked_by(cameo: Cameo, *, by_owner: bool) -> str:
    """Who revoked `cameo`, as the start of a sentence to the makers of videos using it."""
    if by_owner:
        return f"The person in the cameo @{cameo.handle} revoked it"
    return f"The platform's moderators revoked the cameo @{cameo.handle}"


def _tell_owner_of_moderation(db: Session, cameo: Cameo) -> None:
    owner = db.get(User, cameo.user_id)
    if owner is None:
        return
    notify(
        db=db,
        user=owner,
        kind="cameo_revoked",
        title=f"Your cameo @{cameo.handle} was revoked by the moderators",
        body=(
            f"The platform's moderators revoked your cameo @{cameo.handle}: nobody can use it "
            "any more, unfinished videos using it were cancelled and refunded, and its photos "
            "were deleted. Ask the operator why if you were not told."
        ),
        link="/cameos",
        key=f"cameo_moderated:{cameo.id}",
    )


def _unpublish_uses(db: Session, cameo: Cameo, *, by_owner: bool) -> list[str]:
    """Take other people's published videos showing the cameo off the feed; tell each maker."""
    published = db.scalars(
        select(Video)
        .join(CameoUse, CameoUse.video_id == Video.id)
        .where(
            CameoUse.cameo_id == cameo.id,
            Video.published_at.is_not(None),
            Video.user_id != cameo.user_id,
        )
        .order_by(Video.created_at, Video.id)
        .with_for_update(of=Video)
    ).all()
    for video in published:
        video.published_at = None
        maker = db.get(User, video.user_id)
        if maker is None:
            continue
        notify(
            db=db,
            user=maker,
            kind="cameo_revoked",
            title=f"Your video with @{cameo.handle} left the feed",
            body=(
                f"{_revoked_by(cameo, by_owner=by_owner)}, so your published video "
                f"({video.prompt[:200]}) is no longer public. It is still yours to watch or "
                "delete; it cannot be published again."
            ),
            link=f"/videos/{video.id}",
            key=f"cameo_unpublished:{video.id}:{cameo.id}",
        )
    for video in published:  # and what plays them again, that shows it too, with them
        withdraw_carriers(db=db, source=video)
    return [video.id for video in published]


def _tell_maker_of_revocation(db: Session, cameo: Cameo, video: Video, *, by_owner: bool) -> None:
    maker = db.get(User, video.user_id)
    if maker is None or maker.id == cameo.user_id:
        return
    notify(
        db=db,
        user=maker,
        kind="cameo_revoked",
        title=f"Your video with @{cameo.handle} was cancelled",
        body=(
            f"{_revoked_by(cameo, by_owner=by_owner)}, so your video {video.id} "
            f"({video.prompt[:200]}) was cancelled. Anything it had reserved was refunded."
        ),
        link="/drafts",
        key=f"cameo_revoked:{video.id}:{cameo.id}",
    )


# --- representation ---------------------------------------------------------------------------


def cameo_json(
    *, cameo: Cameo, viewer: User | None, images: Sequence[CameoImage] = ()
) -> dict[str, Any]:
    """The API's view of a cameo: its owner (or an admin) sees everything, others what they
    need to use it (handle, name, who may use it, the restrictions, the status)."""
    public: dict[str, Any] = {
        "id": cameo.id,
        "object": "cameo",
        "handle": cameo.handle,
        "display_name": cameo.display_name,
        "permission": cameo.permission,
        "restrictions": restrictions_of(cameo),
        "status": cameo.status,
    }
    if viewer is None or (viewer.id != cameo.user_id and viewer.role != "admin"):
        return public
    return {
        **public,
        "user_id": cameo.user_id,
        "consented_at": int(cameo.consented_at.timestamp()),
        "created_at": int(cameo.created_at.timestamp()),
        "revoked_at": int(cameo.revoked_at.timestamp()) if cameo.revoked_at else None,
        "images": [
            {
                "position": image.position,
                "content_type": image.content_type,
                "width": image.width,
                "height": image.height,
                "bytes": image.bytes,
                "url": f"/v1/cameos/{cameo.handle}/images/{image.position}"
                if cameo.status == "active"
                else None,
            }
            for image in images
        ],
    }


def use_json(use: UseView) -> dict[str, Any]:
    return {
        "object": "cameo.use",
        "video_id": use.video_id,
        "status": use.status,
        "published": use.published,
        "deleted": use.deleted,
        "user": {"id": use.user_id, "display_name": use.user_display_name},
        "prompt": use.prompt,
        "created_at": int(use.created_at.timestamp()),
    }
