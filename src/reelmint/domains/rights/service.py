"""Licensed characters: registration by rights holders, approvals, and the check at admission.

At admission every character the detector finds in the prompt or a shot is checked: a
`blocked` one, or a `licensed` one the user may not use or whose rules the prompt breaks,
refuses the request (`character_not_licensed`, 403, naming the character and the reason)
before anything is written. A licensed character with a fee adds a `Fee`, which the wallet
reserves from purchased credits with the video and splits at settlement between the rights
holder (pending for `rights_hold_days`, then available) and the platform.
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import snowballstemmer
from sqlalchemy import Select, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import ID_SHAPE, utcnow
from reelmint.domains.accounts.models import Membership, Organisation, User
from reelmint.domains.handles import claim_handle
from reelmint.domains.rights.models import (
    AUDIENCES,
    POLICIES,
    REGISTRY_ROW,
    Character,
    CharacterApproval,
    CharacterImage,
    CharacterRegistry,
)
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from reelmint.terminal import JOINERS, hidden_character
from reelmint.wording import count_of

if TYPE_CHECKING:
    from reelmint.domains.accounts.service import Operator
    from reelmint.engine.storyboard import Shot, Storyboard

_HANDLE = re.compile(r"[a-z0-9_]{2,30}")
MAX_ALIASES = 20
MAX_THEMES = 50
MAX_FEE_UNITS = 10_000
# Zero-width (non-)joiners (JOINERS) are the format characters that some scripts' names and
# emoji need; every other control or format character (a right-to-left override...) is refused
# in what a character shows (names, aliases, themes, description).
_STEMMERS = threading.local()  # a Snowball stemmer keeps state while it works: one a thread


class CharacterNotLicensed(Forbidden):
    code = "character_not_licensed"


DEFAULT_SHARE_BPS = 7000  # a holder's share of a fee when it does not say (70 %)


@dataclass(frozen=True)
class CharacterRequest:
    """A character as a rights holder describes it (not yet checked)."""

    handle: str
    name: str
    description: str = ""
    aliases: Sequence[str] = ()
    policy: str = "licensed"
    audience: str = "everyone"
    banned_themes: Sequence[str] = ()
    fee_units: int = 0
    holder_share_bps: int | None = None  # None: DEFAULT_SHARE_BPS, or the platform's most


@dataclass(frozen=True)
class Fee:
    """A licence fee a video owes: reserved with it, split between holder and platform."""

    character_id: str
    organisation_id: str
    units: int
    holder_share_bps: int
    name: str


# --- registering ------------------------------------------------------------------------------


def register_character(
    *,
    db: Session,
    actor: User,
    organisation_id: str,
    request: CharacterRequest,
    max_share_bps: int = 10_000,
) -> Character:
    """Register a character for a rights-holder organisation the actor belongs to; its
    holder's share at most `max_share_bps` (the operator's `holder_share_max_bps`)."""
    organisation = holder_organisation(db=db, actor=actor, organisation_id=organisation_id)
    checked = _checked(request, max_share_bps)
    claim_handle(db, checked.handle)  # one @handle names one character or cameo
    _check_names_free(db, checked, organisation_id=organisation.id, character_id=None)
    character = Character(organisation_id=organisation.id, created_by_user_id=actor.id)
    _apply(character, checked)
    db.add(character)
    db.flush()
    return character


def update_character(
    *,
    db: Session,
    actor: User,
    character_id: str,
    request: CharacterRequest,
    max_share_bps: int = 10_000,
    organisation_id: str | None = None,
) -> Character:
    """Change a character; its handle and (when `organisation_id` is given, as the API's
    body names it) its organisation stay as registered."""
    character = get_character(db=db, character_id=character_id)
    holder_organisation(db=db, actor=actor, organisation_id=character.organisation_id)
    checked = _checked(request, max_share_bps)
    if checked.handle != character.handle:
        raise BadRequest("a character's handle cannot change", code="handle_fixed", param="handle")
    if organisation_id is not None and organisation_id != character.organisation_id:
        raise BadRequest(
            f"a character stays with the organisation that registered it "
            f"({character.organisation_id}); send that organisation_id",
            code="organisation_fixed",
            param="organisation_id",
        )
    _check_names_free(
        db, checked, organisation_id=character.organisation_id, character_id=character.id
    )
    now = utcnow()
    if character.policy == "open" and checked.policy != "open":
        character.open_until = now  # what was made until now may have used it free
    _apply(character, checked)
    character.updated_at = now
    db.flush()
    return character


@dataclass(frozen=True)
class Retired:
    """A character retired: how many claims that ended, and the storage keys of its reference
    images, to remove once the retirement has committed."""

    character: Character
    claims_ended: int
    image_keys: list[str]


MIN_RETIRE_REASON = 10
MAX_RETIRE_REASON = 2000


def retire_character(
    *,
    db: Session,
    actor: User | Operator,
    character_id: str,
    reason: str = "",
    now: datetime | None = None,
) -> Retired:
    """Retire a character for good: from the next request on it is not detected, listed or
    claimable, and its handle stays taken. Its claims in force are released (each uploader
    told) and its reference images removed; licence fees already reserved are split as usual.

    Its holder's members may retire it; so may an administrator, moderating (a character
    that names what is not its holder's, or describes ordinary things), who must say why
    (400 `invalid_reason`): the holder's members are told. The row is locked first, so a
    claim being made now either commits before (and is released) or sees it retired."""
    from reelmint.domains.rights import claims

    character = get_character(db=db, character_id=character_id)
    if isinstance(actor, User):
        holder_organisation(db=db, actor=actor, organisation_id=character.organisation_id)
    member = db.get(Membership, (character.organisation_id, actor.id)) is not None
    why = _retire_reason(reason, required=not member)
    db.refresh(character, with_for_update=True)
    if character.retired_at is not None:  # retired meanwhile
        raise NotFound(f"no character {character_id}", code="character_not_found")
    now = now or utcnow()
    character.retired_at = character.updated_at = now
    pictures = list(
        db.scalars(select(CharacterImage).where(CharacterImage.character_id == character.id))
    )
    for picture in pictures:
        db.delete(picture)
    ended = claims.end_claims_of_retired(
        db=db, character=character, actor=actor if isinstance(actor, User) else None, now=now
    )
    if not member:
        _tell_holder_of_retirement(db=db, character=character, reason=why)
    db.flush()
    return Retired(character, ended, [picture.storage_key for picture in pictures])


def _retire_reason(reason: str, *, required: bool) -> str:
    text = " ".join(reason.split())
    short = required and len(text) < MIN_RETIRE_REASON
    if short or len(text) > MAX_RETIRE_REASON or hidden_character(text):
        raise BadRequest(
            f"say why the character is retired in {MIN_RETIRE_REASON}-{MAX_RETIRE_REASON} "
            "printable characters: its rights holder's members are told"
            if required
            else f"keep the reason under {MAX_RETIRE_REASON} printable characters",
            code="invalid_reason",
            param="reason",
        )
    return text


def _tell_holder_of_retirement(*, db: Session, character: Character, reason: str) -> None:
    from reelmint.domains.accounts.service import organisation_members
    from reelmint.domains.notifications.service import notify

    for user in organisation_members(db=db, organisation_id=character.organisation_id):
        notify(
            db=db,
            user=user,
            kind="character.retired",
            title=f"{character.name} was retired by the platform's operator",
            body=f"The platform's operator retired {character.name} (@{character.handle}): it "
            f"is no longer detected in prompts, listed or claimable, and its claims were "
            f"withdrawn. The reason given: {reason}",
            link="/studio",
            key=f"character:{character.id}:retired:{user.id}",
        )


def get_character(*, db: Session, character_id: str) -> Character:
    character = db.get(Character, character_id) if ID_SHAPE.fullmatch(character_id) else None
    if character is None or character.retired_at is not None:
        raise NotFound(f"no character {character_id}", code="character_not_found")
    return character


def character_names(*, db: Session, organisation_id: str) -> dict[str, str]:
    """The names of every character the organisation registered, retired ones included (its
    uses and earnings go on naming them)."""
    query = select(Character.id, Character.name).where(Character.organisation_id == organisation_id)
    return {row.id: row.name for row in db.execute(query)}


def list_characters(*, db: Session, organisation_id: str | None = None) -> list[Character]:
    query = select(Character).where(Character.retired_at.is_(None)).order_by(Character.name)
    if organisation_id:
        query = query.where(Character.organisation_id == organisation_id)
    return list(db.scalars(query))


def approve_user(*, db: Session, actor: User, character_id: str, user_id: str) -> None:
    """Let `user_id` use a character whose audience is `approved` (idempotent)."""
    character = get_character(db=db, character_id=character_id)
    holder_organisation(db=db, actor=actor, organisation_id=character.organisation_id)
    if not ID_SHAPE.fullmatch(user_id) or db.get(User, user_id) is None:
        raise NotFound(f"no user {user_id[:64]}", code="user_not_found", param="user_id")
    if db.get(CharacterApproval, (character.id, user_id)) is None:
        try:  # two approvals at once (a double click): the primary key keeps one
            with db.begin_nested():
                db.add(CharacterApproval(character_id=character.id, user_id=user_id))
        except IntegrityError:
            pass  # approved meanwhile: what was asked for holds


def revoke_approval(*, db: Session, actor: User, character_id: str, user_id: str) -> None:
    character = get_character(db=db, character_id=character_id)
    holder_organisation(db=db, actor=actor, organisation_id=character.organisation_id)
    approval = db.get(CharacterApproval, (character.id, user_id))
    if approval is not None:
        db.delete(approval)
        db.flush()


def character_json(character: Character, images: Sequence[CharacterImage] = ()) -> dict[str, Any]:
    """The public view of a character, with its reference images (rights/images.py)."""
    from reelmint.domains.rights.images import image_json

    return {
        "id": character.id,
        "object": "character",
        "organisation_id": character.organisation_id,
        "handle": character.handle,
        "name": character.name,
        "aliases": json.loads(character.aliases_json),
        "description": character.description,
        "policy": character.policy,
        "audience": character.audience,
        "banned_themes": json.loads(character.banned_themes_json),
        "fee_units": character.fee_units,
        "holder_share_bps": character.holder_share_bps,
        "images": [image_json(image) for image in images],
        "created_at": int(character.created_at.timestamp()),
    }


def holder_organisation(*, db: Session, actor: User, organisation_id: str) -> Organisation:
    """The rights-holder organisation, if the actor may manage its characters (else 404)."""
    from reelmint.domains.accounts.service import organisation_of

    try:
        organisation = organisation_of(db=db, actor=actor, organisation_id=organisation_id)
    except NotFound:
        organisation = None
    if organisation is None or organisation.kind != "rights_holder":
        raise NotFound(
            f"no rights-holder organisation {organisation_id[:64]} of yours",
            code="organisation_not_found",
        )
    return organisation


def _checked(request: CharacterRequest, max_share_bps: int) -> CharacterRequest:
    handle = request.handle.strip().lstrip("@").lower()
    if not _HANDLE.fullmatch(handle):
        raise BadRequest(
            "a handle is 2-30 lower-case letters, digits or underscores",
            code="invalid_handle",
            param="handle",
        )
    name = " ".join(request.name.split())
    if not 1 <= len(name) <= 120 or hidden_character(name, allowed=JOINERS):
        raise BadRequest(
            "give the character a name of 1-120 printable characters", code="invalid_name"
        )
    aliases = _phrases(request.aliases, "aliases", MAX_ALIASES)
    themes = _phrases(request.banned_themes, "banned_themes", MAX_THEMES)
    if request.policy not in POLICIES:
        raise BadRequest(f"policy must be one of {', '.join(POLICIES)}", code="invalid_policy")
    if request.audience not in AUDIENCES:
        raise BadRequest(f"audience must be one of {', '.join(AUDIENCES)}", code="invalid_audience")
    if not 0 <= request.fee_units <= MAX_FEE_UNITS:
        raise BadRequest(
            f"the fee (fee_units) must be 0 to {MAX_FEE_UNITS} units, not {request.fee_units}",
            code="invalid_fee",
        )
    if request.policy != "licensed" and request.fee_units:
        raise BadRequest("only a licensed character has a fee", code="invalid_fee")
    share = request.holder_share_bps
    if share is None:
        share = min(DEFAULT_SHARE_BPS, max_share_bps)
    if not 0 <= share <= max_share_bps:
        raise BadRequest(
            f"the rights holder's share (holder_share_bps) must be 0 to {max_share_bps} basis "
            f"points (0 to {max_share_bps / 100:g}%) on this platform",
            code="invalid_share",
        )
    _check_share_pays(request.fee_units, share)
    if len(request.description) > 2000:
        raise BadRequest("keep the description under 2,000 characters", code="invalid_description")
    hidden = hidden_character(request.description, allowed="\r\n\t" + JOINERS)
    if hidden:
        raise BadRequest(
            f"the description holds an invisible or control character ({hidden}); remove it",
            code="invalid_description",
        )
    return CharacterRequest(
        handle=handle,
        name=name,
        description=request.description.strip(),
        aliases=aliases,
        policy=request.policy,
        audience=request.audience,
        banned_themes=themes,
        fee_units=request.fee_units,
        holder_share_bps=share,
    )


def _check_names_free(
    db: Session, request: CharacterRequest, *, organisation_id: str, character_id: str | None
) -> None:
    """409 `character_name_taken` when the name, an alias or the handle reads the same as one
    of another live character's (`detection.NameForms.same_as`), of this organisation or
    another: a prompt naming one would name both, and pay both fees. Against another
    organisation's characters, names one prompt would match both of are refused too
    (`NameForms.overlapping`: one a run of the other's words, or a small misspelling of it),
    as are identical descriptions. On PostgreSQL registrations and changes take turns (a
    transaction-scoped advisory lock), so two copies registered at once cannot both pass."""
    from reelmint.domains.rights.detection import NameForms, normalise

    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(hashtext('character-names'))"))
    mine = NameForms.of([request.name, *request.aliases, request.handle])
    description = normalise(request.description)
    others = select(Character).where(Character.retired_at.is_(None)).order_by(Character.id)
    if character_id is not None:
        others = others.where(Character.id != character_id)
    for other in db.scalars(others):
        theirs = NameForms.of([other.name, *json.loads(other.aliases_json), other.handle])
        if other.organisation_id == organisation_id:
            clash = mine.same_as(theirs)
        else:
            clash = mine.overlapping(theirs)
            if clash is None and description and normalise(other.description) == description:
                raise Conflict(
                    f"the description is the same as that of {other.name} (@{other.handle}), "
                    "a character another organisation registered; describe yours",
                    code="character_name_taken",
                    param="description",
                )
        if clash is not None:
            form, their_form = clash
            field = "name" if form == request.name else "aliases"
            raise Conflict(
                f"{form!r} would be read in the same prompts as {their_form!r}, which names "
                f"{other.name} (@{other.handle}), a character already registered: a prompt "
                "naming one would name both; choose another name or alias",
                code="character_name_taken",
                param="handle" if form == request.handle else field,
            )


def _check_share_pays(fee_units: int, share_bps: int) -> None:
    """400 `invalid_fee` for a fee whose holder's share rounds down to no unit at all (a fee
    of 1 at 70 %): every use would pay the holder nothing while the studio promised a share."""
    if fee_units and share_bps and fee_units * share_bps < 10_000:
        least = -(-10_000 // share_bps)
        raise BadRequest(
            f"at a share of {share_bps / 100:g}% a fee of {count_of(fee_units, 'unit')} pays "
            f"you nothing a video (shares are whole units, rounded down): make the fee "
            f"{least} units or more",
            code="invalid_fee",
        )


def _phrases(values: Sequence[str], what: str, most: int) -> tuple[str, ...]:
    cleaned = tuple(dict.fromkeys(" ".join(v.split()) for v in values if v.strip()))
    hidden = next((h for v in cleaned if (h := hidden_character(v, allowed=JOINERS))), None)
    if len(cleaned) > most or any(len(v) > 80 for v in cleaned) or hidden:
        also = f" (one holds the invisible or control character {hidden})" if hidden else ""
        raise BadRequest(
            f"{what}: at most {most}, each under 80 printable characters{also}",
            code=f"invalid_{what}",
        )
    return cleaned


def _apply(character: Character, request: CharacterRequest) -> None:
    character.handle = request.handle
    character.name = request.name
    character.description = request.description
    character.aliases_json = json.dumps(list(request.aliases))
    character.policy = request.policy
    character.audience = request.audience
    character.banned_themes_json = json.dumps(list(request.banned_themes))
    character.fee_units = request.fee_units
    assert request.holder_share_bps is not None  # _checked fills it in
    character.holder_share_bps = request.holder_share_bps


# --- admission --------------------------------------------------------------------------------


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    entries: dict[str, tuple[int | None, Any]] = field(default_factory=dict)


_CACHE = _Cache()


def _registry_version(db: Session) -> int | None:
    """The registry's version: it moves on every change to `characters` (see
    `CharacterRegistry`), read with one key lookup. None if the row is missing (a database
    not made by the migrations or `create_all`): then nothing is cached."""
    return db.scalar(select(CharacterRegistry.version).where(CharacterRegistry.id == REGISTRY_ROW))


def detector_for(*, db: Session, settings: Settings) -> Any:
    """The detector over every active character, rebuilt only when the registry changes."""
    from reelmint.domains.rights.detection import CharacterEntry, Detector, Thresholds
    from reelmint.domains.rights.embeddings import default_embedder

    version = _registry_version(db)
    key = str(db.get_bind().url)
    with _CACHE.lock:
        cached = _CACHE.entries.get(key)
        if cached is not None and version is not None and cached[0] == version:
            return cached[1]
    characters = list_characters(db=db)
    entries = [
        CharacterEntry(
            id=c.id,
            name=c.name,
            aliases=tuple(json.loads(c.aliases_json)),
            description=c.description,
            policy=c.policy,
            handle=c.handle,
        )
        for c in characters
    ]
    embedder = default_embedder() if settings.rights_semantic_enabled and entries else None
    detector = Detector(entries, thresholds=Thresholds.from_settings(settings), embedder=embedder)
    with _CACHE.lock:
        _CACHE.entries[key] = (version, detector)
    return detector


def characters_in(*, db: Session, settings: Settings, texts: Sequence[str]) -> list[Any]:
    """The characters detection finds in `texts` (`detection.Match`es), the @mentions of
    cameos taken out first: `@alice_cam` is that person's likeness, never a character whose
    alias reads "alice cam", so no holder can charge for or block someone's cameo by
    registering its handle as an alias."""
    from reelmint.domains.cameos.models import Cameo
    from reelmint.domains.cameos.service import mentioned_handles, without_mentions

    handles = mentioned_handles(texts)
    if handles:
        cameos = set(db.scalars(select(Cameo.handle).where(Cameo.handle.in_(handles))))
        texts = without_mentions(texts, cameos)
    # One key lookup on every admission while the registry is unchanged (see detector_for).
    return list(detector_for(db=db, settings=settings).detect(list(texts)))


def licences_for(*, db: Session, settings: Settings, user: User, texts: Sequence[str]) -> list[Fee]:
    """The fees a request owes for the characters in `texts`; refuses what may not be used.
    A member of a character's own rights holder pays it no fee (it would pay itself, less
    the platform's share, as it may not tip itself) and needs no approval to use it; its
    policy, audience `nobody` and banned themes hold for its members too."""
    matches = characters_in(db=db, settings=settings, texts=texts)
    fees: list[Fee] = []
    seen: set[str] = set()
    for match in matches:
        if match.character in seen:
            continue
        seen.add(match.character)
        character = db.get(Character, match.character)
        if character is None or character.retired_at is not None:
            continue
        own = db.get(Membership, (character.organisation_id, user.id)) is not None
        _check_use(db=db, user=user, character=character, texts=texts, own=own)
        if character.policy == "licensed" and character.fee_units > 0 and not own:
            fees.append(
                Fee(
                    character_id=character.id,
                    organisation_id=character.organisation_id,
                    units=character.fee_units,
                    holder_share_bps=character.holder_share_bps,
                    name=character.name,
                )
            )
    return fees


def characters_left_out(
    *, db: Session, settings: Settings, planned: Storyboard, delivered: Storyboard
) -> tuple[str, ...]:
    """The characters (ids, sorted) that the shots a partial delivery leaves out name and the
    shots it delivered do not: their licence fees are given back. Backends render the shots'
    prompts, so those are what is read (the whole prompt names every shot's characters).
    Both are read with today's detector: a character it no longer knows keeps its fee."""
    kept = len(delivered.shots)

    def named(shots: Sequence[Shot]) -> set[str]:
        texts = [shot.prompt for shot in shots]
        found = characters_in(db=db, settings=settings, texts=texts) if texts else []
        return {match.character for match in found}

    return tuple(sorted(named(planned.shots[kept:]) - named(delivered.shots)))


def _check_use(
    *, db: Session, user: User, character: Character, texts: Sequence[str], own: bool = False
) -> None:
    """Refuse a use the character's rules forbid (`own`: the user is a member of its rights
    holder, who needs no approval)."""
    who = f"{character.name} (@{character.handle})"
    if character.policy == "blocked":
        raise CharacterNotLicensed(
            f"{who} cannot be used: its rights holder does not allow it to be generated; "
            "remove it from the prompt"
        )
    if character.policy == "open":
        return
    if character.audience == "nobody":
        raise CharacterNotLicensed(f"{who} is not licensed to anyone at the moment")
    if (
        character.audience == "approved"
        and not own
        and db.get(CharacterApproval, (character.id, user.id)) is None
    ):
        raise CharacterNotLicensed(
            f"{who} is licensed only to users its rights holder approved; ask them for "
            "approval or remove it from the prompt"
        )
    theme = broken_rule(texts, json.loads(character.banned_themes_json))
    if theme is not None:
        raise CharacterNotLicensed(
            f"{who} may not be shown with {theme!r} (its rights holder's rules); change the prompt"
        )


def broken_rule(texts: Sequence[str], phrases: Sequence[str]) -> str | None:
    """The first of `phrases` that `texts` contain as whole words, in any of their forms
    (case, accents, punctuation and English endings aside: a restriction "kiss" also stops
    "kissing", "kisses", "kissed"): how characters' banned themes and cameos' restrictions
    are checked. Words only related in meaning ("violence", "violent") are not matched."""
    text = " " + " ".join(_stems(t) for t in texts) + " "
    return next((phrase for phrase in phrases if f" {_stems(phrase)} " in text), None)


# Three or more single letters, one separator between each, the same all along ("k-i-s-s").
_SPELLED_OUT = re.compile(r"(?<!\w)\w(?P<sep>[-._* ])\w(?:(?P=sep)\w)+(?!\w)")


def _stems(text: str) -> str:
    """`text` as its words' Snowball (English) stems, one space apart, read as detection reads
    names (`detection.normalise`: case, accents, leetspeak, look-alike letters and punctuation
    aside), invisible characters dropped and spelled-out letters joined ("k-i-s-s" is
    "kiss"), so a restriction cannot be stepped round by writing it differently."""
    from reelmint.domains.rights.detection import normalise

    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    joined = _SPELLED_OUT.sub(lambda m: m.group(0).replace(m.group("sep"), ""), visible)
    return " ".join(_stemmer().stemWords(normalise(joined).split()))


def _stemmer() -> Any:
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return stemmer


# --- the rights holder's dashboard -----------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One delivered video that used a character, and what the holder earned from it."""

    day: str
    character_id: str
    video_id: str | None
    fee_units: int
    holder_units: int


def holder_organisations(*, db: Session, actor: User) -> list[Organisation]:
    """The rights-holder organisations the actor belongs to."""
    return list(
        db.scalars(
            select(Organisation)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == actor.id, Organisation.kind == "rights_holder")
            .order_by(Organisation.name)
        )
    )


def holder_membership_query(actor: User) -> Select[tuple[str]]:
    """SELECT the actor's memberships of rights-holder organisations (ask `.exists()` of it:
    whether the actor has a studio)."""
    return (
        select(Membership.organisation_id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id == actor.id, Organisation.kind == "rights_holder")
    )


def uses(*, db: Session, actor: User, organisation_id: str, days: int = 30) -> list[Use]:
    """Every paid use of the organisation's characters in the last `days`, newest first."""
    from datetime import timedelta

    from reelmint.domains.ledger.models import (
        LedgerAccount,
        LedgerEntry,
        LedgerHold,
        LedgerPosting,
    )
    from reelmint.domains.wallet.service import fee_character

    holder_organisation(db=db, actor=actor, organisation_id=organisation_id)
    share = (
        select(func.coalesce(func.sum(LedgerPosting.amount), 0))
        .join(LedgerAccount, LedgerAccount.id == LedgerPosting.account_id)
        .where(
            LedgerPosting.entry_id == LedgerEntry.id,
            LedgerAccount.kind == "earnings_pending",
        )
        .scalar_subquery()
    )
    rows = db.execute(
        select(LedgerEntry, LedgerHold, share)
        .join(LedgerHold, LedgerHold.id == LedgerEntry.hold_id)
        .where(
            LedgerEntry.kind == "licence_split",
            LedgerEntry.reference == organisation_id,
            LedgerEntry.created_at >= utcnow() - timedelta(days=days),
        )
        .order_by(LedgerEntry.created_at.desc())
    ).all()
    return [
        Use(
            day=entry.created_at.date().isoformat(),
            character_id=fee_character(hold),
            video_id=entry.video_id,
            fee_units=hold.amount,
            holder_units=int(holder),
        )
        for entry, hold, holder in rows
    ]


def uses_csv(found: Sequence[Use], names: dict[str, str]) -> str:
    import csv
    import io

    from reelmint.domains.wallet.service import spreadsheet_safe

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["day", "character_id", "character", "video_id", "fee_units", "your_units"])
    for use in found:
        name = spreadsheet_safe(names.get(use.character_id, ""))
        writer.writerow(
            [use.day, use.character_id, name, use.video_id, use.fee_units, use.holder_units]
        )
    return out.getvalue()
