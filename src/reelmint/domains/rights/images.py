"""Reference images of characters: added and deleted by the rights holder's members, read by
anyone (the catalogue is public: fans and detectors should see what a character looks like).

Images are checked and re-encoded as JPEG by domains/uploads.py (the same path as cameo
photos, with the `character_*` settings). Adding stores the files first, under keys made from
ids (`characters/<character id>/<image id>.jpg`, never from a file name), then records them
in one transaction that locks the character, so concurrent uploads cannot exceed
`character_max_images` or take the same position; if it fails, the files are removed again.
Deleting removes the row, then the file once the transaction has committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reelmint.config import Settings
from reelmint.db.base import new_id
from reelmint.domains import uploads
from reelmint.domains.accounts.models import Membership, Organisation, User
from reelmint.domains.rights.models import Character, CharacterImage
from reelmint.domains.rights.service import get_character
from reelmint.domains.uploads import CheckedImage, ImageRules, ImageUpload
from reelmint.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from reelmint.bootstrap import Services

IMAGE_CODE = "invalid_character_image"


class NotRightsHolder(Forbidden):
    code = "not_rights_holder"


def image_rules(settings: Settings) -> ImageRules:
    """What a character's reference image must be."""
    return ImageRules(
        what="character image",
        owner="a character",
        code=IMAGE_CODE,
        max_bytes=settings.character_max_image_bytes,
        min_side=settings.character_min_image_side,
        max_count=settings.character_max_images,
        required_code="character_images_required",
        required_message="add at least one reference image of the character (JPEG, PNG or WebP)",
        min_side_reason=", so the character can be made out",
    )


# --- who may change them ----------------------------------------------------------------------


def editable_character(
    *, db: Session, actor: User, character_id: str, lock: bool = False
) -> Character:
    """A character whose images the actor may change: a member of its rights-holder
    organisation, or an admin. Others get 403 (the character itself is public)."""
    character = get_character(db=db, character_id=character_id)
    if lock:
        character = db.scalars(
            select(Character).where(Character.id == character.id).with_for_update()
        ).one()
    member = actor.role == "admin" or (
        db.get(Membership, (character.organisation_id, actor.id)) is not None
    )
    if not member:
        organisation = db.get(Organisation, character.organisation_id)
        holder = organisation.name if organisation is not None else "its rights holder"
        raise NotRightsHolder(
            f"only members of {holder} may change the images of {character.name} "
            f"(@{character.handle})"
        )
    return character


# --- adding and deleting ----------------------------------------------------------------------


def add_images(
    *, services: Services, actor: User, character_id: str, images: Sequence[ImageUpload]
) -> list[CharacterImage]:
    """Check, store and record new reference images after the existing ones: all or nothing.

    1. Authorise (before any image is decoded), 2. check and re-encode every image,
    3. store the files, 4. in one transaction: authorise again, lock the character, check the
    total against `character_max_images`, insert the rows. A failure in 4 removes the files;
    storage that cannot be reached in 3 is a 503 `storage_unavailable`, leaving nothing.
    """
    rules = image_rules(services.settings)
    with services.db.read() as db:
        character = editable_character(db=db, actor=actor, character_id=character_id)
    checked = uploads.check_images(images, rules=rules)
    ids = [new_id("chimg") for _ in checked]
    keys = [storage_key(character.id, image_id) for image_id in ids]
    stored = zip(checked, keys, strict=True)
    with (
        uploads.stored_images(services.storage, stored, failing="the images cannot be added now"),
        services.db.write() as db,
    ):
        return insert_images(
            db=db,
            rules=rules,
            actor=actor,
            character_id=character.id,
            images=list(zip(checked, ids, strict=True)),
        )


def storage_key(character_id: str, image_id: str) -> str:
    """Where an image is stored: made from ids only, never from anything a client sent."""
    return f"characters/{character_id}/{image_id}.jpg"


def insert_images(
    *,
    db: Session,
    rules: ImageRules,
    actor: User,
    character_id: str,
    images: Sequence[tuple[CheckedImage, str]],
) -> list[CharacterImage]:
    """Record stored images (each with its image id) of a character, after its existing ones
    (in the caller's write transaction)."""
    character = editable_character(db=db, actor=actor, character_id=character_id, lock=True)
    existing = images_of(db=db, character=character)
    if len(existing) + len(images) > rules.max_count:
        raise uploads.too_many_images(
            rules, f"; it has {len(existing)} and you sent {len(images)}: delete some first"
        )
    start = max((image.position for image in existing), default=-1) + 1
    added = [
        CharacterImage(
            id=image_id,
            character_id=character.id,
            position=start + n,
            storage_key=storage_key(character.id, image_id),
            content_type=uploads.CONTENT_TYPE,
            width=image.width,
            height=image.height,
            bytes=image.bytes,
        )
        for n, (image, image_id) in enumerate(images)
    ]
    db.add_all(added)
    db.flush()
    return added


def delete_image(
    *, services: Services, actor: User, character_id: str, position: int
) -> CharacterImage:
    """Delete one reference image; its file is removed once the deletion has committed."""
    with services.db.write() as db:
        character = editable_character(db=db, actor=actor, character_id=character_id, lock=True)
        image = _image_at(db, character, position)
        db.delete(image)
    uploads.remove_files(services.storage, [image.storage_key])
    return image


# --- reading (public) -------------------------------------------------------------------------


def images_of(*, db: Session, character: Character) -> list[CharacterImage]:
    return list(
        db.scalars(
            select(CharacterImage)
            .where(CharacterImage.character_id == character.id)
            .order_by(CharacterImage.position)
        )
    )


def list_images(*, db: Session, character_id: str) -> list[CharacterImage]:
    """A character's reference images, in order (anyone may look)."""
    return images_of(db=db, character=get_character(db=db, character_id=character_id))


def get_image(*, db: Session, character_id: str, position: int) -> CharacterImage:
    """One reference image of a character (anyone may look)."""
    return _image_at(db, get_character(db=db, character_id=character_id), position)


def images_by_character(
    *, db: Session, characters: Sequence[Character]
) -> dict[str, list[CharacterImage]]:
    """The images of many characters in one query: character id -> images, in order."""
    found: dict[str, list[CharacterImage]] = {c.id: [] for c in characters}
    if not found:
        return found
    rows = db.scalars(
        select(CharacterImage)
        .where(CharacterImage.character_id.in_(list(found)))
        .order_by(CharacterImage.character_id, CharacterImage.position)
    )
    for image in rows:
        found[image.character_id].append(image)
    return found


def _image_at(db: Session, character: Character, position: int) -> CharacterImage:
    """The image at `position`; 404 for any other, one past what a database integer holds too
    (asked of the database it would be an error, not "no such image")."""
    image = None
    if 0 <= position < 2**31:
        image = db.scalar(
            select(CharacterImage).where(
                CharacterImage.character_id == character.id, CharacterImage.position == position
            )
        )
    if image is None:
        raise NotFound(
            f"{character.name} (@{character.handle}) has no image {str(position)[:20]}",
            code="image_not_found",
        )
    return image


def image_url(image: CharacterImage) -> str:
    return f"/v1/characters/{image.character_id}/images/{image.position}"


def image_json(image: CharacterImage) -> dict[str, Any]:
    return {
        "object": "character.image",
        "character_id": image.character_id,
        "position": image.position,
        "content_type": image.content_type,
        "width": image.width,
        "height": image.height,
        "bytes": image.bytes,
        "url": image_url(image),
        "created_at": int(image.created_at.timestamp()),
    }
