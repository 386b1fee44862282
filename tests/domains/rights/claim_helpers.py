"""Helpers for the claims tests: a rights holder with a character, and published videos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelmint.bootstrap import Services
from reelmint.db.base import utcnow
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.rights import claims
from reelmint.domains.rights import service as rights
from reelmint.domains.rights.models import Claim
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, admit_video, check_video_request
from support import make_account

SURFER = "Captain Brightwave surfs a glowing wave at sunset"
CAR = "A red car drives along a city street"


@dataclass(frozen=True)
class Holder:
    """A rights-holder organisation, a member of it, and one of its characters."""

    member: Any
    organisation_id: str
    character_id: str


def make_holder(
    services: Services,
    *,
    email: str = "studio@example.com",
    slug: str = "wave",
    handle: str = "brightwave",
    name: str = "Captain Brightwave",
) -> Holder:
    member = make_account(services, email).user
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=member, name=f"{slug.title()} Studios", slug=slug, kind="rights_holder"
        )
        character = rights.register_character(
            db=db,
            actor=member,
            organisation_id=org.id,
            request=rights.CharacterRequest(
                handle=handle,
                name=name,
                description=f"{name}, a caped surfer hero who rides a glowing tidal wave",
                policy="licensed",  # fee 0: anyone may use it, and it can be claimed
            ),
        )
    return Holder(member=member, organisation_id=org.id, character_id=character.id)


def make_video(
    services: Services, user: Any, *, prompt: str = SURFER, published: bool = True
) -> Video:
    """A completed video as admission makes it (published unless told otherwise)."""
    admission = check_video_request(
        settings=services.settings,
        request=VideoRequest(prompt=prompt, seconds=4, size="480x480", seed=5),
    )
    with services.db.write() as db:
        video = admit_video(db=db, settings=services.settings, user=user, admission=admission)
        video.status = "completed"
        video.progress = 100
        video.completed_at = utcnow()
        video.video_key = f"videos/{video.id}/video.mp4"
        video.poster_key = f"videos/{video.id}/poster.jpg"
        video.published_at = utcnow() if published else None
    return video


def paid_video(services: Services, holder: Holder, user: Any, *, fee: int = 2) -> Video:
    """A published video that paid the holder's character its licence fee (made licensed)."""
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.rights.models import Character
    from reelmint.domains.videos.service import create_video
    from reelmint.domains.wallet.service import wallet_of
    from reelmint.queue import Completed, finish, lease_next

    with services.db.write() as db:
        character = db.get(Character, holder.character_id)
        character.policy, character.fee_units = "licensed", fee
        character.updated_at = utcnow()
        purchased = wallet_of(db=db, user_id=user.id).purchased
        transfer(
            db=db,
            key=f"buy-{user.id}-{utcnow().timestamp()}",
            legs=[Leg(platform_account(db=db, name="sales"), -fee), Leg(purchased, fee)],
            kind="purchase",
            reason="test purchase",
            user_id=user.id,
        )
    request = VideoRequest(prompt=f"@{character.handle} rides the surf", seconds=4, size="480x480")
    video = create_video(services=services, user=user, request=request)
    with services.db.write() as db:
        lease_next(db=db, settings=services.settings, worker_id="w")
    done = Completed(video_key="k.mp4", poster_key="k.jpg", video_bytes=1, frames=1)
    with services.db.write() as db:
        finish(db=db, video_id=video.id, worker_id="w", outcome=done)
        db.get(Video, video.id).published_at = utcnow()
    return video


def claim(
    services: Services,
    holder: Holder,
    video: Video,
    action: str = "block",
    *,
    character_id: str | None = None,
) -> Claim:
    """The holder's member claims the video for the holder's character (or `character_id`)."""
    with services.db.write() as db:
        return claims.create_claim(
            db=db,
            settings=services.settings,
            actor=holder.member,
            video_id=video.id,
            character_id=character_id or holder.character_id,
            action=action,
        )


def dispute(services: Services, uploader: Any, claim_id: str, **kwargs: Any) -> Claim:
    reason = kwargs.pop("reason", "this is my own original surfer, not yours")
    with services.db.write() as db:
        return claims.dispute_claim(
            db=db,
            settings=services.settings,
            actor=uploader,
            claim_id=claim_id,
            reason=reason,
            **kwargs,
        )
