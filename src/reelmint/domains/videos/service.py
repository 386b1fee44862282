"""Videos: admission (a checked request becomes a queued job), reading, cancelling, deleting.

Admission runs the engine's `check_request` first, so a request the backend cannot serve is
refused before anything is written; the job row (the queue entry) is then inserted in one
transaction. Authorisation lives here, not in routes: a user sees and changes only their own
videos; anyone may see a published one. Administrators may see any (to moderate) but change
none: cancelling, deleting, publishing and unpublishing are the owner's alone, and moderation
is its own recorded action (moderation.py). A video that plays another creator's again (an
extension) is public only while theirs is (derivatives.py).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import ValidationError
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from reelmint.bootstrap import Services
from reelmint.config import Settings
from reelmint.db.base import ID_SHAPE, new_id, utcnow
from reelmint.db.paging import after_cursor, check_limit, nothing_to_list_after
from reelmint.domains.accounts.blocks import between, blocks, require_unblocked
from reelmint.domains.accounts.models import User
from reelmint.domains.cameos.models import Cameo, CameoUse
from reelmint.domains.cameos.service import cameos_for, record_uses
from reelmint.domains.pricing.service import Price, offered_backends, offered_models, price_of
from reelmint.domains.rights.claims import is_blocked
from reelmint.domains.rights.models import Character
from reelmint.domains.rights.service import Fee, licences_for
from reelmint.domains.uploads import remove_files
from reelmint.domains.videos.derivatives import (
    carried_makers,
    carried_sources,
    is_extension,
    require_sources_public,
    withdraw_carriers,
)
from reelmint.domains.videos.models import FINISHED, Video
from reelmint.domains.videos.moderation import require_not_taken_down
from reelmint.domains.videos.reports import close_reports_of_deleted
from reelmint.domains.videos.schemas import MAX_MODEL_CHARS, VideoOut
from reelmint.domains.wallet.service import (
    Charge,
    Summary,
    preview_charge,
    reserve_for_video,
    settle_video,
)
from reelmint.engine.backends.base import BackendOptions, Size
from reelmint.engine.backends.registry import backend_names, get_backend
from reelmint.engine.errors import EngineError, InvalidRequest
from reelmint.engine.pipeline import CheckedRequest, GenerationRequest, check_request
from reelmint.engine.planner.durations import MIN_SHOT_SECONDS
from reelmint.engine.postprocess.spritesheet import make_spritesheet
from reelmint.engine.storyboard import Storyboard, load_storyboard, plan_after
from reelmint.engine.timing import is_whole_frames, nearest_whole_frames, seconds_text
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound
from reelmint.scratch import scratch_folder
from reelmint.storage.base import ObjectMissing, reachable

MAX_PAGE = 100
MAX_DECLARED = 4
_SECONDS_TOLERANCE = 1e-6
T = TypeVar("T")


@dataclass(frozen=True)
class VideoRequest:
    """A request to make a video, as the API or a web form received it (not yet checked)."""

    prompt: str | None
    model: str | None = None
    seconds: str | float | None = None
    size: str | None = None
    seed: int | None = None
    storyboard: Mapping[str, Any] | None = None
    backend: str | None = None
    input_reference: Path | None = None
    characters: tuple[str, ...] = ()  # ids or @handles of characters and cameos it uses
    planned: Storyboard | None = None  # a storyboard already planned (an extension's), as is
    reference_from: str | None = None  # a stored image to start from again (an extension's)


@dataclass(frozen=True)
class Admission:
    """A checked request and where it runs: what `admit_video` inserts."""

    model: str
    backend: str
    checked: CheckedRequest
    characters: tuple[str, ...] = ()


# --- admission --------------------------------------------------------------------------------


def check_video_request(*, settings: Settings, request: VideoRequest) -> Admission:
    """Everything that can be decided without the database: model, seconds, size, storyboard.

    Raises BadRequest / the engine's InvalidRequest (both 400s with codes) on bad input.
    """
    model = (request.model or "sora-2").strip()
    if request.backend and request.backend not in backend_names():
        raise BadRequest(
            f"unknown backend {request.backend[:40]!r}; use one of {', '.join(backend_names())}",
            code="unknown_backend",
            param="backend",
        )
    backend = request.backend or settings.backend_for_model(model)
    if backend not in backend_names() or len(model) > MAX_MODEL_CHARS:
        raise BadRequest(
            f"unknown model {model[:MAX_MODEL_CHARS]!r}; use one of "
            f"{', '.join(offered_models(settings))}",
            code="invalid_model",
            param="model",
        )
    if backend not in offered_backends(settings):
        what = f"model {model!r}" if request.backend is None else f"backend {backend!r}"
        raise BadRequest(
            f"{what} is not offered on this platform (no worker has its model); use one of "
            f"{', '.join(offered_models(settings))}",
            code="model_unavailable",
            param="model" if request.backend is None else "backend",
        )
    _check_prompt_or_storyboard(request)
    seconds = parse_seconds(request.seconds)
    storyboard = request.planned or _explicit_storyboard(request.storyboard, seconds)
    checked = check_request(
        GenerationRequest(
            backend=backend,
            size=Size.parse(request.size or settings.default_size),
            seconds=seconds,
            prompt=None if storyboard is not None else (request.prompt or ""),
            storyboard=storyboard,
            seed=request.seed,
            options=BackendOptions(),
            reference_images=(request.input_reference,) if request.input_reference else (),
        ),
        default_seconds=settings.default_seconds,
    )
    return Admission(
        model=model, backend=backend, checked=checked, characters=_references(request.characters)
    )


def _check_prompt_or_storyboard(request: VideoRequest) -> None:
    """A prompt or a storyboard, never both (as the command line refuses): the storyboard would
    win and the prompt be dropped unseen. A blank prompt is none (a web form sends both boxes)."""
    if request.storyboard is not None and request.prompt is not None and request.prompt.strip():
        raise BadRequest(
            "give either a prompt or a storyboard, not both: a storyboard carries the prompt of "
            'each shot (and its own "prompt" for the feed); drop prompt, or put it in the '
            "storyboard",
            code="invalid_request",
            param="prompt",
        )


def _references(characters: tuple[str, ...]) -> tuple[str, ...]:
    """The request's `characters`, checked for shape: each an id or a handle (`@` optional)."""
    if len(characters) > MAX_DECLARED:
        raise BadRequest(
            f"characters lists at most {MAX_DECLARED} characters or cameos; you sent "
            f"{len(characters)}",
            code="invalid_characters",
            param="characters",
        )
    found: dict[str, None] = {}
    for item in characters:
        reference = item.strip().removeprefix("@")
        if not ID_SHAPE.fullmatch(reference):
            raise BadRequest(
                f"characters holds {item[:40]!r}; give each as a character id (chr_...), a "
                "cameo id (cameo_...) or a handle such as @name",
                code="invalid_characters",
                param="characters",
            )
        found.setdefault(reference, None)
    return tuple(found)


def declared_mentions(*, db: Session, references: Sequence[str]) -> list[str]:
    """The `@handle` of each character or cameo a request names in `characters` (by id or
    handle), so that admission checks them exactly as if the prompt mentioned them; an
    unknown one is refused."""
    if not references:
        return []
    handles = {c.id: c.handle for c in db.scalars(_named(Character, references))}
    handles |= {c.id: c.handle for c in db.scalars(_named(Cameo, references))}
    known = {*handles, *handles.values()}
    missing = [r for r in references if r not in known and r.lower() not in known]
    if missing:
        raise BadRequest(
            f"no character or cameo {missing[0]!r}; use an id or handle from GET "
            "/v1/characters or a cameo's handle",
            code="unknown_character",
            param="characters",
        )
    return [f"@{handle}" for handle in dict.fromkeys(handles.values())]


def _named(model: type[Character] | type[Cameo], references: Sequence[str]) -> Any:
    lowered = [r.lower() for r in references]
    return select(model).where(or_(model.id.in_(references), model.handle.in_(lowered)))


def request_texts(*, db: Session, admission: Admission) -> list[str]:
    """What licences and consent are checked against: the prompt, every shot's prompt and
    the @handle of each character or cameo the request names in `characters`."""
    storyboard = admission.checked.storyboard
    return [
        storyboard.prompt,
        *(shot.prompt for shot in storyboard.shots),
        *declared_mentions(db=db, references=admission.characters),
    ]


@dataclass(frozen=True)
class Estimate:
    """What a request would cost the user now: the price, the licence fees of the characters
    it names, how the price would be paid (after the fees) and their wallet."""

    price: Price
    fees: list[Fee]
    charge: Charge
    wallet: Summary

    @property
    def fee_units(self) -> int:
        return sum(fee.units for fee in self.fees)

    @property
    def affordable(self) -> bool:
        fees_covered = self.fee_units <= self.wallet.purchased
        return fees_covered and self.charge.covered and not self.wallet.blocked


def estimate_video(
    *, db: Session, settings: Settings, user: User, admission: Admission
) -> Estimate:
    """Price a checked request as admission would charge it, reserving nothing. What creating
    would refuse is refused here too: a character the user may not use (403
    `character_not_licensed`), a cameo they may not use (403 `cameo_permission_denied`) or
    too many cameos (400 `too_many_cameos`)."""
    checked = admission.checked
    price = price_of(
        settings=settings, backend=admission.backend, seconds=checked.seconds, size=checked.size
    )
    texts = request_texts(db=db, admission=admission)
    fees = licences_for(db=db, settings=settings, user=user, texts=texts)
    cameos_for(db=db, settings=settings, user=user, texts=texts, lock=False)
    fee_units = sum(fee.units for fee in fees)
    charge, info = preview_charge(
        db=db, settings=settings, user=user, units=price.units, fee_units=fee_units
    )
    return Estimate(price=price, fees=fees, charge=charge, wallet=info)


def admit_video(
    *,
    db: Session,
    settings: Settings,
    user: User,
    admission: Admission,
    input_reference_key: str | None = None,
    remixed_from: Video | None = None,
    video_id: str | None = None,
) -> Video:
    """Insert the queued job for a checked request (in the caller's write transaction)."""
    now = utcnow()
    priority = "free" if user.plan == "free" else "paid"
    head_start = settings.paid_head_start_seconds if priority == "paid" else 0.0
    checked = admission.checked
    video_id = video_id or new_id("video")
    price = price_of(
        settings=settings, backend=admission.backend, seconds=checked.seconds, size=checked.size
    )
    # Licences and paying come first: a refusal raises before anything is written, so it
    # charges nothing. A block made since the source was read refuses a remix too.
    if remixed_from is not None:  # and what it plays again: the web's remix comes here too
        for maker in dict.fromkeys(_makers_carried(db, remixed_from)):
            require_unblocked(db, user, maker, refusal=_not_by_you("remixed"))
    texts = request_texts(db=db, admission=admission)
    fees = licences_for(db=db, settings=settings, user=user, texts=texts)
    cameos = cameos_for(db=db, settings=settings, user=user, texts=texts)
    reserve_for_video(
        db=db,
        settings=settings,
        user=user,
        video_id=video_id,
        units=price.units,
        fees=fees,
        now=now,
    )
    video = Video(
        id=video_id,
        price_units=price.units,
        user_id=user.id,
        model=admission.model,
        backend=admission.backend,
        prompt=checked.storyboard.prompt,
        storyboard_json=checked.storyboard.model_dump_json(),
        seconds=checked.seconds,
        size=str(checked.size),
        seed=checked.seed,
        input_reference_key=input_reference_key,
        remixed_from_video_id=remixed_from.id if remixed_from else None,
        status="queued",
        progress=0,
        priority_class=priority,
        queue_key=now.timestamp() - head_start,
        created_at=now,
    )
    db.add(video)
    db.flush()
    record_uses(db=db, video=video, user=user, cameos=cameos)
    return video


def create_video(
    *,
    services: Services,
    user: User,
    request: VideoRequest,
    remixed_from: Video | None = None,
) -> Video:
    """Check, store the reference image (if any), and queue the job: all or nothing."""
    return create_video_with(
        services=services,
        user=user,
        request=request,
        remixed_from=remixed_from,
        within=lambda _db, video: video,
    )


def create_video_with(
    *,
    services: Services,
    user: User,
    request: VideoRequest,
    within: Callable[[Session, Video], T],
    remixed_from: Video | None = None,
) -> T:
    """`create_video`, then `within(db, video)` in the same write transaction; its result.

    This is how whatever must commit with the job commits with it (an idempotency record and
    the response it replays): both are written, or neither. The reference image is copied
    into storage before the transaction and removed again if the transaction fails, so a
    refused request leaves nothing behind.
    """
    admission = check_video_request(settings=services.settings, request=request)
    video_id = new_id("video")
    reference_key = None
    if request.input_reference is not None:
        reference_key = reference_key_for(video_id, request.input_reference)
        with reachable("the video cannot be created now"):
            services.storage.put_file(
                reference_key, request.input_reference, content_type="application/octet-stream"
            )
    try:
        with services.db.write() as db:
            video = admit_video(
                db=db,
                settings=services.settings,
                user=user,
                admission=admission,
                input_reference_key=reference_key,
                remixed_from=remixed_from,
                video_id=video_id,
            )
            return within(db, video)
    except BaseException:
        if reference_key is not None:
            services.storage.delete(reference_key)
        raise


def create_derived_with(
    *,
    services: Services,
    user: User,
    source: Video,
    request: VideoRequest,
    within: Callable[[Session, Video], T],
) -> T:
    """`create_video_with` for a video made from `source` (a remix, an edit, an extension),
    which it names in `remixed_from_video_id`. A request that names a stored image to start
    from (`reference_from`: an extension of a video made from one) gets its own copy."""
    reference = request.reference_from
    with scratch_folder("derive") as scratch:
        if reference is not None:
            path = Path(scratch) / Path(reference).name
            _download_reference(services, source, reference, path)
            request = replace(request, input_reference=path, reference_from=None)
        try:
            return create_video_with(
                services=services, user=user, request=request, remixed_from=source, within=within
            )
        except InvalidRequest as exc:  # never show our temporary path
            if request.input_reference is None:
                raise
            message = exc.message.replace(repr(str(request.input_reference)), "its image")
            raise InvalidRequest(message, code=exc.code) from None


def can_extend(source: Video, actor: User) -> bool:
    """Whether `actor` may extend `source` (it may watch it): a video made from a reference
    image extends only for its maker."""
    return source.input_reference_key is None or source.user_id == actor.id


def reference_to_copy(source: Video, actor: User) -> str | None:
    """The reference image an extension of `source` by `actor` starts from again, if any.

    Only the video's maker may: the image is their upload, and a copy would outlive their
    deleting it (administrators are not exempt)."""
    if source.input_reference_key is None:
        return None
    if not can_extend(source, actor):
        raise Forbidden(
            f"video {source.id} was made from its maker's own reference image, so only they "
            "can extend it; remix it instead",
            code="video_not_extendable",
            param="video",
        )
    return source.input_reference_key


def _download_reference(services: Services, source: Video, key: str, path: Path) -> None:
    try:
        with reachable("the video cannot be extended now"):
            services.storage.download(key, path)
    except ObjectMissing:
        raise Conflict(
            f"video {source.id}'s reference image is no longer stored, so it cannot be "
            "extended; remix it instead",
            code="video_not_extendable",
            param="video",
        ) from None


def reference_key_for(video_id: str, path: Path) -> str:
    """Where a job's reference image is kept; the extension comes from the checked content."""
    from reelmint.engine.images import check_image_file

    extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[check_image_file(path).format]
    return f"inputs/{video_id}/reference.{extension}"


PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_seconds(value: str | float | None) -> float | None:
    """Seconds as the OpenAI API sends them ("8") or as a number; None means the default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        # Typed digits only: float() would also read "1_2" as 12, "1e1" and other scripts' digits.
        plain = not isinstance(value, str) or PLAIN_NUMBER.fullmatch(value.strip())
        seconds = float(value) if plain else math.nan
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer past any float
        seconds = math.nan
    if not math.isfinite(seconds):
        raise BadRequest(
            f"seconds must be a number such as 8, got {_shown(value)}",
            code="invalid_seconds",
            param="seconds",
        )
    if seconds <= 0:
        raise BadRequest(
            f"seconds must be a positive number such as 8, got {_shown(value)}",
            code="invalid_seconds",
            param="seconds",
        )
    return seconds


def _shown(value: object) -> str:
    """A value a client sent, cut short for a message (one may send megabytes)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return "a number of more than 40 digits"
    text = repr(value)
    return text if len(text) <= 42 else text[:40] + "..."


def _explicit_storyboard(
    data: Mapping[str, Any] | None, seconds: float | None
) -> Storyboard | None:
    if data is None:
        return None
    return load_storyboard(dict(data), seconds=seconds)


# --- reading ----------------------------------------------------------------------------------


def get_own_video(*, db: Session, actor: User, video_id: str, lock: bool = False) -> Video:
    """A video the actor owns (or any, for an admin: to look at, never to change; see
    `own_video_to_change`); others' read as not found. `lock`: the row is locked and read
    afresh, as a change decided on its status must be (a worker may be leasing or finishing it
    at this moment: the change waits, then sees what it did)."""
    video = None
    if ID_SHAPE.fullmatch(video_id):
        video = db.get(Video, video_id, with_for_update=lock, populate_existing=lock)
    if video is None or video.deleted_at is not None or not _owns(actor, video):
        raise NotFound(f"no video {video_id}", code="video_not_found", param="video_id")
    return video


def get_visible_video(
    *,
    db: Session,
    actor: User | None,
    video_id: str,
    as_admin: bool = True,
    param: str = "video_id",
) -> Video:
    """A video the actor may watch: their own, or a published one that no rights holder's
    block claim has taken down (rights/claims.py). An administrator may watch any (to
    moderate), unless `as_admin` is False: to act on one as a user does (like, remix, extend)
    they see what everyone sees, so no one's draft becomes part of an administrator's video.
    `param` is the request's field that named it, for the 404 (`video` in an edit's body)."""
    video = db.get(Video, video_id) if ID_SHAPE.fullmatch(video_id) else None
    if video is None or not _visible(db, actor, video, as_admin=as_admin):
        raise NotFound(f"no video {video_id}", code="video_not_found", param=param)
    return video


def watchable_by(*, db: Session, actor: User | None, video: Video) -> bool:
    """Whether `actor` may open `video`'s page (`get_visible_video` would find it)."""
    return _visible(db, actor, video, as_admin=True)


def usable_by(*, db: Session, actor: User | None, video: Video, seen: bool = False) -> bool:
    """Whether a signed-in actor may like, remix or extend `video` (`completed_source`'s
    rule, whatever its status): an administrator's drafts of others do not count, nor the
    videos of someone a block stands between the actor and. `seen`: the caller had `video`
    from `get_visible_video` for this actor, which for anyone but an administrator is the
    same rule, so visibility is not asked again."""
    if actor is None:
        return False
    if not (seen and actor.role != "admin") and not _visible(db, actor, video, as_admin=False):
        return False
    return not between(db, actor.id, video.user_id)


def _visible(db: Session, actor: User | None, video: Video, *, as_admin: bool) -> bool:
    if video.deleted_at is not None:
        return False
    if actor is not None and _owns(actor, video, as_admin=as_admin):
        return True  # an owner's view asks no claims
    if actor is not None and blocks(db, blocker_id=video.user_id, blocked_id=actor.id):
        return False  # as the creator's profile reads to them (accounts/blocks.py)
    if actor is not None and _plays_again_a_blocker(db, actor, video):
        return False  # it shows the work of someone who blocked them
    if video.published_at is None or is_blocked(db=db, video_id=video.id):
        return False
    creator = db.get(User, video.user_id)  # a suspended account's videos are seen by no one
    return creator is not None and creator.suspended_at is None


def _plays_again_a_blocker(db: Session, actor: User, video: Video) -> bool:
    makers = carried_makers(db=db, video=video)
    return any(blocks(db, blocker_id=maker, blocked_id=actor.id) for maker in makers)


@dataclass(frozen=True)
class Page:
    """One page of a list, with OpenAI's cursor fields."""

    items: list[Video]
    has_more: bool


def list_own_videos(
    *,
    db: Session,
    actor: User,
    after: str | None = None,
    limit: int = 20,
    order: Literal["asc", "desc"] = "desc",
) -> Page:
    """The actor's videos, newest first by default; `after` is the last id of the last page."""
    check_limit(limit, MAX_PAGE)
    query = select(Video).where(Video.user_id == actor.id, Video.deleted_at.is_(None))
    if after is not None:
        cursor = _list_cursor(db=db, actor=actor, after=after)
        query = query.where(_beyond(cursor, order))
    keys = (Video.created_at, Video.id)
    query = query.order_by(*(k.desc() for k in keys) if order == "desc" else keys)
    rows = list(db.scalars(query.limit(limit + 1)))
    return Page(items=rows[:limit], has_more=len(rows) > limit)


def _list_cursor(*, db: Session, actor: User, after: str) -> Video:
    """The actor's video `after`, deleted or not: a page goes on after a video deleted since."""
    video = db.get(Video, after) if ID_SHAPE.fullmatch(after) else None
    if video is None or video.user_id != actor.id:
        raise nothing_to_list_after("video", after, code="video_not_found")
    return video


def _beyond(cursor: Video, order: str) -> Any:
    position = (cursor.created_at, cursor.id)
    return after_cursor(Video.created_at, Video.id, position, descending=order == "desc")


def storyboard_of(video: Video) -> dict[str, Any]:
    return json.loads(video.storyboard_json)


def _owns(actor: User, video: Video, *, as_admin: bool = True) -> bool:
    return video.user_id == actor.id or (as_admin and actor.role == "admin")


# --- changing ---------------------------------------------------------------------------------


def own_video_to_change(
    *, db: Session, actor: User, video_id: str, verb: str, lock: bool = True
) -> Video:
    """A video of the actor's to change (`verb`: cancelled, deleted, published...), locked as
    `get_own_video` locks it. The owner's alone: an administrator, who may see any video, is
    403 `not_video_owner` for another's, told that moderation is taking a video down (which
    records who and why, and tells its owner)."""
    video = get_own_video(db=db, actor=actor, video_id=video_id, lock=lock)
    if video.user_id != actor.id:
        action = "cancel" if verb == "cancelled" else "take-down"
        how = "cancel it" if verb == "cancelled" else "take it down"
        raise Forbidden(
            f"only the owner of video {video_id} can have it {verb}; to moderate it, {how} "
            f"with a reason its owner reads (POST /v1/admin/videos/{video_id}/{action})",
            code="not_video_owner",
        )
    return video


def cancel_video(*, db: Session, actor: User, video_id: str) -> Video:
    """Cancel a queued job at once; ask the worker of a running one to stop. The owner's
    alone: administrators cancel others' jobs saying why (`job_queue.cancel_job`)."""
    video = own_video_to_change(db=db, actor=actor, video_id=video_id, verb="cancelled")
    if video.status in FINISHED:
        raise Conflict(
            f"video {video_id} is already {video.status}; only queued or running videos can "
            "be cancelled",
            code="video_finished",
        )
    if video.status == "queued":
        mark_cancelled(db=db, video=video)
    else:
        request_cancel(video)
    db.flush()
    return video


def request_cancel(video: Video, *, reason: str | None = None) -> None:
    """Ask the worker of a running job to stop; with `reason`, the job ends cancelled with it
    (`Video.cancel_reason`: the refund on the owner's statement says it), else with the
    owner's own wording. The first reason given stays."""
    video.cancel_requested = True
    if reason is not None and video.cancel_reason is None:
        video.cancel_reason = reason


def mark_cancelled(*, db: Session, video: Video, reason: str | None = None) -> None:
    """End a job as cancelled and give back what it reserved (in the caller's transaction)."""
    video.status = "cancelled"
    video.completed_at = utcnow()
    video.error_code = "cancelled"
    video.error_message = reason or "the video was cancelled before it finished"
    video.lease_owner = None
    video.lease_expires_at = None
    db.flush()
    settle_video(
        db=db,
        user_id=video.user_id,
        video_id=video.id,
        delivered=False,
        reason=f"refund: {video.error_message}",
    )


def delete_video(*, db: Session, actor: User, video_id: str) -> list[str]:
    """Delete a video (cancelling it if unfinished); returns the storage keys to remove.

    The row stays, marked deleted, so history (and later the ledger) keeps its reference;
    the files go once the transaction has committed. The owner's alone; others' published
    videos that play it again leave the feed (`withdraw_carriers`); its open reports close,
    their reporters told (`reports.close_reports_of_deleted`).
    """
    video = own_video_to_change(db=db, actor=actor, video_id=video_id, verb="deleted")
    if video.status == "queued":
        mark_cancelled(db=db, video=video)
    elif video.status == "in_progress":
        video.cancel_requested = True
    video.deleted_at = utcnow()
    video.published_at = None
    db.flush()
    withdraw_carriers(db=db, source=video)
    close_reports_of_deleted(db=db, video=video)
    files = (video.video_key, video.poster_key, spritesheet_key(video), video.input_reference_key)
    return [k for k in files if k]


def remix_request(
    *,
    db: Session,
    actor: User,
    video_id: str,
    prompt: str,
    verb: str = "remixed",
    param: str = "video_id",
) -> tuple[Video, VideoRequest]:
    """The request that remixes a video: a new prompt, the source's model, size, length, seed.
    (OpenAI's edits of a video by id are remixes here: `verb` says which in refusals, and
    `param` which field named the video.)"""
    source = completed_source(db=db, actor=actor, video_id=video_id, verb=verb, param=param)
    for played in carried_sources(db=db, video=source):  # what it plays again goes on too
        require_unblocked(db, actor, played.user_id, refusal=_not_by_you(verb))
    return source, remix_of(source, prompt)


def _makers_carried(db: Session, source: Video) -> list[str]:
    """Who made `source` and each video it plays again, nearest first."""
    return [source.user_id, *(played.user_id for played in carried_sources(db=db, video=source))]


def remix_of(source: Video, prompt: str) -> VideoRequest:
    """The request that remixes `source` (a completed video, see `completed_source`): the new
    prompt with the source's model, size, length and seed. The API and the web both use it.
    The length is the one the source was delivered at, in whole frames: a video asked for
    before lengths had to be (4.1 s at 16 fps, delivered as 66 frames) remixes as 4.125 s."""
    return VideoRequest(
        prompt=prompt,
        model=source.model,
        backend=source.backend,
        seconds=delivered_seconds(source),
        size=source.size,
        seed=source.seed,
    )


def delivered_seconds(video: Video) -> float:
    """How long `video` was delivered: its length in whole frames of its backend (a length
    asked for before lengths had to be whole frames was rounded to them when rendered)."""
    fps = get_backend(video.backend).fps
    return round(video.seconds * fps) / fps


def _as_delivered(storyboard: Storyboard, video: Video) -> Storyboard:
    """`video`'s storyboard with its last shot lasting what was delivered of it, so that its
    shots add up to `delivered_seconds`; unchanged for a video of whole frames. 409
    `video_not_extendable` when that is not a rounding to whole frames (the shots add up to
    more than half a frame off) or would leave the last shot shorter than any shot may be."""
    off = delivered_seconds(video) - storyboard.seconds
    if abs(off) < 1e-9:
        return storyboard
    last = storyboard.shots[-1]
    duration = last.duration + off
    half_frame = 0.5 / get_backend(video.backend).fps
    if abs(off) > half_frame + 1e-9 or duration < MIN_SHOT_SECONDS - 1e-9:
        raise Conflict(
            f"video {video.id}'s shots do not add up to the {delivered_seconds(video):g} s it "
            "was delivered at, so it cannot be carried on; remix it instead",
            code="video_not_extendable",
            param="video",
        )
    shots = (*storyboard.shots[:-1], last.model_copy(update={"duration": duration}))
    return storyboard.model_copy(update={"shots": shots})


def extension_request(
    *,
    db: Session,
    actor: User,
    video_id: str,
    prompt: str,
    seconds: str | float | None,
    param: str = "video_id",
) -> tuple[Video, VideoRequest]:
    """The request that extends a video: its shots again (same model, size and seed, so they
    render as before), then `prompt` planned as `seconds` more that carry on from its last
    shot. The new video is priced and licensed whole, like any video of its length.

    A video made from a reference image extends only for its maker (`reference_to_copy`);
    the request names the image (`reference_from`) and `create_derived_with` copies it.
    The cameos the source showed are named in `characters`, so their consent is checked for
    the actor as for any video. `param` is the field that named the video, for its 404.
    """
    source, remix = remix_request(
        db=db, actor=actor, video_id=video_id, prompt=prompt, verb="extended", param=param
    )
    reference = reference_to_copy(source, actor)  # refused here, before any planning
    more = parse_seconds(seconds)
    if more is None:
        raise BadRequest(
            "seconds is required: how many seconds to add, such as 4 or 8",
            code="invalid_seconds",
            param="seconds",
        )
    _check_extended_length(source, more)
    try:
        # A video asked for off the frame grid (before lengths had to be whole frames) goes
        # on from the frames it was delivered with.
        before = _as_delivered(Storyboard.model_validate_json(source.storyboard_json), source)
    except ValidationError:  # planned by a version whose storyboards this one cannot read
        raise Conflict(
            f"video {video_id}'s storyboard was planned by an older version and cannot be "
            "carried on; remix it instead",
            code="video_not_extendable",
            param="video",
        ) from None
    request = replace(
        remix,
        seconds=None,
        planned=plan_after(before, prompt, seconds=more),
        reference_from=reference,
        # The cameos it showed are shown again: their consent is checked for this user.
        characters=tuple(
            db.scalars(
                select(CameoUse.cameo_id)
                .where(CameoUse.video_id == source.id)
                .order_by(CameoUse.position)
            )
        ),
    )
    return source, request


def extension_room(source: Video) -> float:
    """How many seconds `source` can still grow by: its backend's longest video, less it; 0
    when that is less than a shot's shortest (MIN_SHOT_SECONDS), the least one can add."""
    room = get_backend(source.backend).max_seconds - delivered_seconds(source)
    return room if room >= MIN_SHOT_SECONDS - _SECONDS_TOLERANCE else 0.0


def _check_extended_length(source: Video, more: float) -> None:
    """`more` adds at least one shot's shortest and at most the room left, and the extended
    video lasts whole frames (400 `invalid_seconds` saying what to add instead)."""
    backend = get_backend(source.backend)
    room = extension_room(source)
    length = delivered_seconds(source)
    if not MIN_SHOT_SECONDS - _SECONDS_TOLERANCE <= more <= room + _SECONDS_TOLERANCE:
        hint = (
            f"add between {MIN_SHOT_SECONDS:g} and {room:g} s (a new shot lasts at least "
            f"{MIN_SHOT_SECONDS:g} s)"
            if room > 0
            else "it cannot be made longer"
        )
        raise BadRequest(
            f"video {source.id} is {length:g} s and the {source.backend} backend makes "
            f"videos of up to {backend.max_seconds:g} s; {hint}, got {more:g}",
            code="invalid_seconds",
            param="seconds",
        )
    whole = length + more
    if not is_whole_frames(whole, backend.fps):
        below, above = (
            seconds_text(nearest - length) for nearest in nearest_whole_frames(whole, backend.fps)
        )
        raise BadRequest(
            f"the extended video must last a whole number of frames at {backend.fps} fps (the "
            f"{source.backend} backend's); adding {more:g} s does not: add {below} or {above}",
            code="invalid_seconds",
            param="seconds",
        )


def completed_source(
    *, db: Session, actor: User, video_id: str, verb: str, param: str = "video_id"
) -> Video:
    """A video the actor may watch as any user may (their own or a published one) that is
    complete, to make a new one from or to like (409 `video_not_completed` otherwise, saying
    it cannot be `verb`); `param` names the field that named it, for the 404. A block between
    the actor and its creator refuses it (403 `interaction_not_allowed`)."""
    video = get_visible_video(db=db, actor=actor, video_id=video_id, as_admin=False, param=param)
    require_unblocked(db, actor, video.user_id, refusal=_not_by_you(verb))
    return _require_completed(video, verb)


def _not_by_you(verb: str) -> str:
    return f"this video cannot be {verb} by you"


def _require_completed(video: Video, verb: str) -> Video:
    if video.status != "completed":
        raise Conflict(
            f"video {video.id} is {video.status}; only completed videos can be {verb}",
            code="video_not_completed",
        )
    return video


# --- sharing ----------------------------------------------------------------------------------


def publish_video(*, db: Session, actor: User, video_id: str) -> Video:
    """Put a completed video of the actor's on the public feed (again: no change), at the
    time it was first published if it was before.

    Only the owner may: publishing shows the work under their name, so not even an admin
    decides it for them. Nor may it show someone's cameo its maker may no longer use (revoked,
    or its audience changed): publishing is a new use of the likeness. Nor a video the
    moderators took down (409 `video_taken_down`), nor one that plays again another creator's
    video that is no longer public (409 `source_not_public`).
    """
    from reelmint.domains.cameos.service import require_publishable

    video = _own_completed(db=db, actor=actor, video_id=video_id, verb="published")
    require_not_taken_down(video)
    if video.published_at is None:
        require_sources_public(db=db, video=video)
        require_publishable(db=db, video=video, maker=actor)
        # Published again, it goes back to its first place in the feed: taking a video off
        # and putting it back does not bring it to the top.
        video.first_published_at = video.first_published_at or utcnow()
        video.published_at = video.first_published_at
        db.flush()
        _tell_remixed(db=db, remix=video, maker=actor)
    return video


def _tell_remixed(*, db: Session, remix: Video, maker: User) -> None:
    """Tell the creator of a published remix's original, in the app (social news: not for a
    user who turned it off), once per remix however often it is published again; not when
    they remixed their own video or the original is gone. An extension says it extended it."""
    from reelmint.domains.notifications.service import notify_social

    if remix.remixed_from_video_id is None:
        return
    original = db.get(Video, remix.remixed_from_video_id)
    if original is None or original.deleted_at is not None or original.user_id == maker.id:
        return
    if between(db, maker.id, original.user_id):  # no social news across a block
        return
    about = prompt_label(original)
    verb, noun = (
        ("extended", "an extension") if is_extension(remix, original) else ("remixed", "a remix")
    )
    notify_social(
        db=db,
        user=db.get_one(User, original.user_id),
        kind="remix_published",
        title=f"{maker.display_name} {verb} your video",
        body=f"{maker.display_name} published {noun} of your video “{about}”.",
        link=f"/videos/{remix.id}",
        key=f"remix:{remix.id}:{original.user_id}",
    )


def prompt_label(video: Video, limit: int = 80) -> str:
    """The start of the video's prompt, on one line: how its creator knows it in a notice."""
    return clipped(video.prompt, limit)


def clipped(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters: cut at a word where one ends near the
    limit, with "…"."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    word_end = cut.rfind(" ")
    return (cut[:word_end] if word_end > limit // 2 else cut).rstrip() + "…"


def unpublish_video(*, db: Session, actor: User, video_id: str) -> Video:
    """Take a video off the public feed (already off: no change); it stays the owner's. Others'
    published videos that play it again leave the feed with it (`withdraw_carriers`)."""
    video = _own_completed(db=db, actor=actor, video_id=video_id, verb="unpublished")
    if video.published_at is not None:
        video.published_at = None
        db.flush()
        withdraw_carriers(db=db, source=video)
    return video


def _own_completed(*, db: Session, actor: User, video_id: str, verb: str) -> Video:
    video = own_video_to_change(db=db, actor=actor, video_id=video_id, verb=verb)
    return _require_completed(video, verb)


# --- representation ---------------------------------------------------------------------------


def queue_position(*, db: Session, video: Video) -> int | None:
    """1 + the queued jobs ahead of this one (by queue order); None unless it is queued.

    Approximate by nature: a per-user limit on running jobs can hold a job back.
    """
    if video.status != "queued":
        return None
    ahead = db.scalar(
        select(func.count())
        .select_from(Video)
        .where(
            Video.status == "queued",
            Video.deleted_at.is_(None),
            or_(
                Video.queue_key < video.queue_key,
                and_(Video.queue_key == video.queue_key, Video.id < video.id),
            ),
        )
    )
    return int(ahead or 0) + 1


def video_json(*, db: Session, video: Video) -> dict[str, Any]:
    """The API's representation of a video (the OpenAI Video object plus extensions)."""
    position = queue_position(db=db, video=video)
    return VideoOut.of(video, queue_position=position).model_dump(mode="json")


MISSING_ADVICE = (
    "ask the operator to check the file storage; the video can be deleted, or made again"
)
"""What a 404 `content_missing` says to do: the row says the file exists, the storage lost it."""

ContentVariant = Literal["video", "thumbnail", "spritesheet"]
CONTENT_TYPES = {"video": "video/mp4", "thumbnail": "image/jpeg", "spritesheet": "image/jpeg"}


def content_of(
    video: Video, variant: str, *, offered: Sequence[str] = tuple(CONTENT_TYPES)
) -> tuple[str, str]:
    """The storage key and media type of a video's file (`video`, `thumbnail` or
    `spritesheet`, which `make_spritesheet_for` makes on first request); 400
    `variant_unsupported` for a variant not among those `offered` where it is asked for."""
    if variant not in offered or variant not in CONTENT_TYPES:
        names = ", ".join(offered[:-1]) + f" or {offered[-1]}" if len(offered) > 1 else offered[0]
        raise BadRequest(
            f"variant {variant[:40]!r} is not offered; use {names}",
            code="variant_unsupported",
            param="variant",
        )
    if video.status != "completed":
        raise Conflict(
            f"video {video.id} is {video.status}; its content exists once it is completed",
            code="video_not_ready",
        )
    keys = {
        "video": video.video_key,
        "thumbnail": video.poster_key,
        "spritesheet": spritesheet_key(video),
    }
    key = keys[variant]
    if key is None:
        raise NotFound(
            f"video {video.id} has no {variant} file; {MISSING_ADVICE}", code="content_missing"
        )
    return key, CONTENT_TYPES[variant]


def spritesheet_key(video: Video) -> str | None:
    """Where a finished video's spritesheet is kept: beside its MP4."""
    if video.video_key is None:
        return None
    return f"{video.video_key.rsplit('/', 1)[0]}/spritesheet.jpg"


def make_spritesheet_for(*, services: Services, video: Video) -> None:
    """Make a completed video's spritesheet from its MP4 and store it beside it (asked for
    when it is not stored yet: videos from before spritesheets get one too). Two requests at
    once may both make it; the second stores the same picture. A video deleted meanwhile
    keeps no sheet (404)."""
    key = spritesheet_key(video)
    if key is None or video.video_key is None:
        raise NotFound(
            f"video {video.id} has no spritesheet file; {MISSING_ADVICE}", code="content_missing"
        )
    with reachable("the spritesheet cannot be made now"):
        _make_and_store_sheet(services, video, video.video_key, key)
    with services.db.read() as db:
        now = db.get(Video, video.id)
        if now is None or now.deleted_at is not None or now.video_key != video.video_key:
            # Deleted while the sheet was made: its files were removed without this one.
            remove_files(services.storage, [key])
            raise NotFound(f"no video {video.id}", code="video_not_found", param="video_id")


def _make_and_store_sheet(services: Services, video: Video, source: str, key: str) -> None:
    with scratch_folder("sprites") as scratch:
        mp4, sheet = Path(scratch) / "video.mp4", Path(scratch) / "spritesheet.jpg"
        try:
            services.storage.download(source, mp4)
        except ObjectMissing:
            raise NotFound(
                f"the file of video {video.id} is missing from the file storage (lost or "
                f"removed there), so its spritesheet cannot be made; {MISSING_ADVICE}",
                code="content_missing",
            ) from None
        try:
            make_spritesheet(mp4, sheet)
        except EngineError as exc:
            raise Conflict(
                f"video {video.id}'s file cannot be read to make its spritesheet: {exc.message}",
                code="content_unreadable",
            ) from None
        services.storage.put_file(key, sheet, content_type="image/jpeg")
