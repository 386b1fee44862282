"""Cameos in the service layer, on SQLite and PostgreSQL: consent, image checks, every refusal
at admission (which writes and charges nothing), notifications, the owner's view and
deletion, and revocation cancelling and refunding unfinished videos."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
from cameo_helpers import bomb_png, face_png, make_cameo, order, upload
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reelmint.db.base import utcnow
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.email_confirmation import mark_confirmed
from reelmint.domains.accounts.follows import follow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.cameos import service as cameos
from reelmint.domains.cameos.models import Cameo, CameoConsent, CameoImage, CameoUse
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.notifications.models import Notification
from reelmint.domains.rights import service as rights
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import (
    VideoRequest,
    create_video,
    publish_video,
    unpublish_video,
)
from reelmint.domains.wallet import service as wallet
from reelmint.engine.errors import InvalidRequest
from reelmint.errors import BadRequest, Conflict, NotFound, ServiceError
from reelmint.queue import Cancelled, finish, lease_next
from support import at_once, make_account, while_held_open


@pytest.fixture
def ada(services_on):
    return make_account(services_on, "ada@example.com").user


@pytest.fixture
def bob(services_on):
    return make_account(services_on, "bob@example.com", display_name="bob").user


def counts(services) -> tuple[int, int, int]:
    with services.db.read() as db:
        return tuple(
            db.scalar(select(func.count()).select_from(table))
            for table in (Video, LedgerHold, CameoUse)
        )


def refused(services, user, prompt: str) -> ServiceError:
    """Ordering `prompt` is refused, and nothing is written or charged."""
    before = counts(services)
    with pytest.raises(ServiceError) as caught:
        order(services, user, prompt)
    assert counts(services) == before
    return caught.value


def notifications_of(services, user) -> list[Notification]:
    with services.db.read() as db:
        return list(db.scalars(select(Notification).where(Notification.user_id == user.id)))


# --- creating: consent and images ---------------------------------------------------------------


def test_a_cameo_is_created_with_the_typed_phrase_and_its_checked_images(services_on, ada):
    cameo = make_cameo(
        services_on, ada, permission="approved", restrictions=("swimwear",), images=2
    )
    with services_on.db.read() as db:
        stored = db.get(Cameo, cameo.id)
        images = cameos.images_of(db=db, cameo=stored)
        assert db.get(CameoConsent, ada.id) is None  # the phrase is used up
    assert (stored.handle, stored.permission, stored.status) == ("ada", "approved", "active")
    assert cameos.restrictions_of(stored) == ["swimwear"]
    assert len(stored.consent_phrase.split()) == cameos.PHRASE_LENGTH
    assert stored.consented_at is not None
    assert [(i.position, i.width, i.height, i.content_type) for i in images] == [
        (0, 256, 256, "image/jpeg"),
        (1, 256, 256, "image/jpeg"),
    ]
    for image in images:
        assert services_on.storage.size(image.storage_key) == image.bytes


def test_the_phrase_must_be_typed_back_word_for_word(services_on, ada, tmp_path):
    with services_on.db.write() as db:
        phrase = cameos.start_consent(db=db, settings=services_on.settings, user=ada).phrase
    photo = upload(face_png(tmp_path / "me.png"))
    request = cameos.CameoRequest(handle="ada", display_name="Ada")

    def create(typed: str):
        return cameos.create_cameo(
            services=services_on, user=ada, request=request, images=[photo], consent_phrase=typed
        )

    wrong = " ".join(reversed(phrase.split()))
    with pytest.raises(BadRequest) as caught:
        create(wrong if wrong != phrase else phrase + " extra")
    assert caught.value.code == "consent_phrase_mismatch"
    assert phrase in caught.value.message
    with pytest.raises(BadRequest) as caught:
        create("")
    assert caught.value.code == "consent_phrase_mismatch"
    assert _stored_files(services_on) == []  # the images of a refused cameo are removed
    cameo = create("  " + phrase.upper().replace(" ", "   ") + " ")  # case and spacing: fine
    assert cameo.consent_phrase == phrase


def test_no_phrase_or_an_expired_one_is_refused(services_on, ada, tmp_path):
    photo = upload(face_png(tmp_path / "me.png"))
    request = cameos.CameoRequest(handle="ada", display_name="Ada")
    with pytest.raises(BadRequest) as caught:
        cameos.create_cameo(
            services=services_on, user=ada, request=request, images=[photo], consent_phrase="x"
        )
    assert caught.value.code == "consent_required"
    long_ago = utcnow() - timedelta(hours=2)
    with services_on.db.write() as db:
        phrase = cameos.start_consent(
            db=db, settings=services_on.settings, user=ada, now=long_ago
        ).phrase
    with pytest.raises(BadRequest) as caught:
        cameos.create_cameo(
            services=services_on, user=ada, request=request, images=[photo], consent_phrase=phrase
        )
    assert caught.value.code == "consent_expired"


def _stored_files(services) -> list[Path]:
    root = services.settings.storage_dir / "cameos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _bad_image(services, user, tmp_path, files) -> BadRequest:
    with services.db.write() as db:
        phrase = cameos.start_consent(db=db, settings=services.settings, user=user).phrase
    with pytest.raises(BadRequest) as caught:
        cameos.create_cameo(
            services=services,
            user=user,
            request=cameos.CameoRequest(handle="ada", display_name="Ada"),
            images=files,
            consent_phrase=phrase,
        )
    with services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Cameo)) == 0
        assert db.scalar(select(func.count()).select_from(CameoImage)) == 0
    assert _stored_files(services) == []
    return caught.value


def test_a_decompression_bomb_is_refused_from_its_header(services_on, ada, tmp_path):
    bomb = bomb_png(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 200  # a tiny file declaring 8000x8000 pixels
    error = _bad_image(services_on, ada, tmp_path, [upload(bomb, "holiday.png")])
    assert (error.code, error.param) == ("invalid_cameo_image", "images")
    assert "'holiday.png' is 8000x8000" in error.message
    assert str(tmp_path) not in error.message  # our paths never leak


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _gif(path: Path) -> Path:
    Image.new("RGB", (256, 256)).save(path, format="GIF")
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: _written(p, b"GIF89a" + b"\0" * 64), "not a JPEG, PNG or WebP"),
        (lambda p: _written(p, b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "not a JPEG"),
        (_gif, "GIF; use JPEG, PNG or WebP"),
        (lambda p: face_png(p, size=(100, 300)), "at least 128 pixels a side"),
        (lambda p: _written(p, face_png(p).read_bytes()[:200]), "damaged"),
    ],
    ids=["gif-bytes", "svg", "real-gif", "too-small", "truncated"],
)
def test_images_of_the_wrong_type_size_or_state_are_refused(
    services_on, ada, tmp_path, make, words
):
    bad = make(tmp_path / "upload-0")
    error = _bad_image(services_on, ada, tmp_path, [upload(bad, "me.png")])
    assert error.code == "invalid_cameo_image"
    assert words in error.message


def test_too_large_too_many_or_no_images_are_refused(services_on, ada, tmp_path):
    big = tmp_path / "big.png"
    face_png(big)
    with big.open("ab") as out:
        out.write(b"\0" * services_on.settings.cameo_max_image_bytes)
    assert (
        "MiB; the limit is 10.0 MiB an image"
        in _bad_image(services_on, ada, tmp_path, [upload(big)]).message
    )
    many = [upload(face_png(tmp_path / f"{n}.png")) for n in range(6)]
    assert _bad_image(services_on, ada, tmp_path, many).code == "too_many_images"
    assert _bad_image(services_on, ada, tmp_path, []).code == "cameo_images_required"


def test_handles_are_unique_across_cameos_and_characters(services_on, ada, bob):
    make_cameo(services_on, ada, "ada")
    with pytest.raises(Conflict) as caught:
        make_cameo(services_on, bob, "ADA")
    assert caught.value.code == "handle_taken"
    with services_on.db.write() as db:
        org = create_organisation(
            db=db, owner=bob, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        rights.register_character(
            db=db,
            actor=bob,
            organisation_id=org.id,
            request=rights.CharacterRequest(handle="brightwave", name="Captain Brightwave"),
        )
    with pytest.raises(Conflict) as caught:
        make_cameo(services_on, bob, "brightwave")
    assert caught.value.code == "handle_taken"
    with services_on.db.write() as db, pytest.raises(Conflict) as caught:
        rights.register_character(  # and the other way round
            db=db,
            actor=bob,
            organisation_id=org.id,
            request=rights.CharacterRequest(handle="ada", name="Ada"),
        )
    assert caught.value.code == "handle_taken"
    with pytest.raises(BadRequest) as caught:
        make_cameo(services_on, bob, "no spaces!")
    assert caught.value.code == "invalid_handle"


def register(services, owner, *, handle: str, name: str) -> str:
    """A licensed character of a new rights-holder organisation that `owner` runs; its id."""
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=owner, name=f"{name} Studios", slug=handle, kind="rights_holder"
        )
        request = rights.CharacterRequest(handle=handle, name=name, fee_units=3)
        return rights.register_character(
            db=db, actor=owner, organisation_id=org.id, request=request
        ).id


@pytest.mark.parametrize("handle", ["zorblax_the_wise", "Z0RBLAX_the_wise", "zorblaxthewise"])
def test_a_handle_that_reads_as_a_character_is_refused(services_on, ada, bob, handle):
    """The video model reads a cameo mention's words; detection leaves cameo mentions out,
    so `@zorblax_the_wise` would have named the character with no fee and past its block."""
    register(services_on, bob, handle="zorblax", name="Zorblax the Wise")
    with pytest.raises(Conflict) as caught:
        make_cameo(services_on, ada, handle)
    assert (caught.value.code, caught.value.param) == ("handle_names_character", "handle")
    assert "Zorblax the Wise (@zorblax)" in caught.value.message
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Cameo)) == 0
    assert make_cameo(services_on, ada, "ada_the_wise").status == "active"


def test_a_handle_reading_as_a_retired_character_is_free(services_on, ada, bob):
    character_id = register(services_on, bob, handle="zorblax", name="Zorblax the Wise")
    with services_on.db.write() as db:
        rights.retire_character(db=db, actor=bob, character_id=character_id)
    assert make_cameo(services_on, ada, "zorblax_the_wise").status == "active"


def test_a_user_has_a_limited_number_of_active_cameos(services_on, ada):
    for n in range(services_on.settings.cameo_max_per_user):
        make_cameo(services_on, ada, f"ada{n}")
    with pytest.raises(Conflict) as caught:
        make_cameo(services_on, ada, "ada_more")
    assert caught.value.code == "cameo_limit_reached"
    with services_on.db.write() as db:
        cameos.revoke_cameo(db=db, actor=ada, handle="ada0")
    assert make_cameo(services_on, ada, "ada_more").status == "active"


@pytest.mark.parametrize("name", ["Ada\x00Lovelace", "Dave \u202eadmin\u202c", "\x07bell"])
def test_a_display_name_with_a_hidden_character_is_refused_when_changed(services_on, ada, name):
    """PATCH and the page send the name as it came (the multipart reader refuses NUL, JSON
    does not): a 400, never a database error, and nothing that reorders or hides text in
    others' pages and refusals."""
    make_cameo(services_on, ada)
    with services_on.db.write() as db, pytest.raises(BadRequest) as caught:
        cameos.update_cameo(db=db, actor=ada, handle="ada", display_name=name)
    assert (caught.value.code, caught.value.param) == ("invalid_display_name", "display_name")
    with services_on.db.write() as db, pytest.raises(BadRequest) as caught:
        cameos.update_cameo(db=db, actor=ada, handle="ada", restrictions=[f"k{name}iss"])
    assert (caught.value.code, caught.value.param) == ("invalid_restrictions", "restrictions")
    with services_on.db.read() as db:
        assert cameos.get_cameo(db=db, handle="ada").display_name == "Ada"


def test_one_typed_phrase_makes_one_cameo_even_when_sent_twice_at_once(
    services_on, ada, tmp_path, monkeypatch
):
    """Both requests are inside their transactions before either takes the phrase (on
    PostgreSQL; SQLite serialises writers): one cameo is made, the other request is told to
    ask for a new phrase. Otherwise one consent would make two cameos (and two requests at
    once could pass the per-user limit)."""
    with services_on.db.write() as db:
        phrase = cameos.start_consent(db=db, settings=services_on.settings, user=ada).phrase
    barrier = threading.Barrier(2, timeout=2)
    check_handle = cameos.claim_handle

    def check_then_wait(db, handle):
        check_handle(db, handle)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    monkeypatch.setattr(cameos, "claim_handle", check_then_wait)

    def attempt(handle: str) -> str:
        image = upload(face_png(tmp_path / f"{handle}.png"))
        try:
            cameos.create_cameo(
                services=services_on,
                user=ada,
                request=cameos.CameoRequest(handle=handle, display_name="Ada"),
                images=[image],
                consent_phrase=phrase,
            )
            return "made"
        except ServiceError as error:
            return error.code

    outcomes = at_once([partial(attempt, h) for h in ("ada_one", "ada_two")], timeout=30)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert sorted(outcomes) == ["consent_required", "made"]
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Cameo)) == 1


# --- admission: every refusal ------------------------------------------------------------------


def test_more_than_two_cameos_in_one_prompt_is_refused(services_on, ada, bob):
    carol = make_account(services_on, "carol@example.com").user
    make_cameo(services_on, ada, "ada")
    make_cameo(services_on, bob, "bob")
    make_cameo(services_on, carol, "carol")
    error = refused(services_on, carol, "@ada and @bob dance, then @carol and @ada wave")
    assert (error.code, error.status) == ("too_many_cameos", 400)
    assert "at most 2 cameos" in error.message
    assert "@ada, @bob, @carol" in error.message
    video = order(services_on, carol, "@ADA and @carol dance; @ada waves at @nobody_here")
    with services_on.db.read() as db:
        uses = db.scalars(
            select(CameoUse).where(CameoUse.video_id == video.id).order_by(CameoUse.position)
        ).all()
        handles = [db.get(Cameo, use.cameo_id).handle for use in uses]
    assert handles == ["ada", "carol"]  # in order of first mention; unknown handles ignored


@pytest.mark.parametrize(
    ("permission", "words"),
    [
        ("only_me", "may be used only by its owner"),
        ("approved", "only by people its owner approved"),
        ("mutual", "only by people who follow its owner and whom its owner follows back"),
    ],
)
def test_use_without_permission_is_refused(services_on, ada, bob, permission, words):
    make_cameo(services_on, ada, permission=permission)
    error = refused(services_on, bob, "@ada rides a bike along the coast")
    assert (error.code, error.status) == ("cameo_permission_denied", 403)
    assert "Ada (@ada)" in error.message
    assert words in error.message


def test_the_owner_may_always_use_their_own_cameo(services_on, ada):
    make_cameo(services_on, ada, permission="only_me", restrictions=("bike",))
    video = order(services_on, ada, "@ada rides a bike")
    assert video.status == "queued"
    assert notifications_of(services_on, ada) == []  # no news of one's own use


def test_approved_users_may_use_it_until_the_approval_is_withdrawn(services_on, ada, bob):
    make_cameo(services_on, ada, permission="approved")
    with services_on.db.write() as db:
        assert cameos.approve_user(db=db, actor=ada, handle="ada", email=bob.email).id == bob.id
    assert order(services_on, bob, "@ada waves").status == "queued"
    with services_on.db.write() as db:
        cameos.withdraw_approval(db=db, actor=ada, handle="ada", user_id=bob.id)
    assert refused(services_on, bob, "@ada waves").code == "cameo_permission_denied"
    with services_on.db.write() as db, pytest.raises(NotFound):
        cameos.approve_user(db=db, actor=bob, handle="ada", user_id=bob.id)  # not bob's cameo


def test_two_approvals_at_once_keep_one_and_neither_fails(services_on, ada, bob):
    """A double click on "approve": the second waits for the first and finds it done."""
    from reelmint.domains.cameos.models import CameoApproval

    make_cameo(services_on, ada, permission="approved")

    def approve(db) -> str:
        return cameos.approve_user(db=db, actor=ada, handle="ada", user_id=bob.id).id

    assert while_held_open(services_on, approve, approve) == (bob.id, bob.id)
    with services_on.db.read() as db:
        count = select(func.count()).select_from(CameoApproval)
        assert db.scalar(count.where(CameoApproval.user_id == bob.id)) == 1
    assert order(services_on, bob, "@ada waves").status == "queued"


def test_by_email_only_an_account_that_confirmed_the_address_is_approved(services_on, ada):
    """Whoever signed up first with someone's address must not get the permission meant for
    them: by email only a confirmed address is approved; by account id the owner picked the
    account itself."""
    make_cameo(services_on, ada, permission="approved")
    new = make_account(services_on, "new@example.com", email_confirmed=False).user
    with services_on.db.write() as db, pytest.raises(Conflict) as caught:
        cameos.approve_user(db=db, actor=ada, handle="ada", email="New@Example.com")
    assert (caught.value.code, caught.value.param) == ("email_unconfirmed", "email")
    assert "new@example.com has not confirmed that address" in caught.value.message
    assert refused(services_on, new, "@ada waves").code == "cameo_permission_denied"
    with services_on.db.write() as db:
        mark_confirmed(db.get_one(User, new.id))
    with services_on.db.write() as db:
        assert cameos.approve_user(db=db, actor=ada, handle="ada", email=new.email).id == new.id
    assert order(services_on, new, "@ada waves").status == "queued"


def test_by_account_id_an_unconfirmed_address_may_be_approved(services_on, ada):
    make_cameo(services_on, ada, permission="approved")
    new = make_account(services_on, "new@example.com", email_confirmed=False).user
    with services_on.db.write() as db:
        assert cameos.approve_user(db=db, actor=ada, handle="ada", user_id=new.id).id == new.id
    assert order(services_on, new, "@ada waves").status == "queued"


def test_mutual_followers_need_to_follow_each_other(services_on, ada, bob):
    make_cameo(services_on, ada, permission="mutual")
    with services_on.db.write() as db:
        follow(db=db, actor=bob, user_id=ada.id)
    assert refused(services_on, bob, "@ada sings").code == "cameo_permission_denied"
    with services_on.db.write() as db:
        follow(db=db, actor=ada, user_id=bob.id)
    assert order(services_on, bob, "@ada sings").status == "queued"


def test_restrictions_are_checked_like_character_rules(services_on, ada, bob):
    make_cameo(services_on, ada, restrictions=("horror movie", "swimwear"))
    error = refused(services_on, bob, "@ada in a HORROR-Movie at night")
    assert error.code == "cameo_permission_denied"
    assert "may not be shown with 'horror movie'" in error.message
    explicit = {
        "shots": [
            {"prompt": "@ada walks in a park", "duration": 2},
            {"prompt": "she changes into swimwear", "duration": 2},
        ]
    }
    from reelmint.domains.videos.service import VideoRequest, create_video

    with pytest.raises(ServiceError) as caught:
        create_video(
            services=services_on,
            user=bob,
            request=VideoRequest(prompt=None, storyboard=explicit, size="480x480", seed=1),
        )
    assert caught.value.code == "cameo_permission_denied"
    assert "swimwear" in caught.value.message  # every shot is checked
    assert order(services_on, bob, "@ada watches a movie").status == "queued"


def test_a_restriction_stops_every_form_of_its_words(services_on, ada, bob):
    make_cameo(services_on, ada, restrictions=("kiss", "horror movie"))
    for prompt in (
        "@ada kissing a stranger",
        "@ada kisses her date",
        "@ada was kissed at the station",
        "@ada in two horror movies",
        "@ada k1sses a frog",  # leetspeak
        "@ada k\u0456sses a frog",  # a Cyrillic i
        "@ada k\u0131ss a frog",  # a dotless i
        "@ada ki\u200dsses a frog",  # a zero-width joiner (prompts keep joiners)
        "@ada k-i-s-s-e-s a frog",  # spelled out
        "@ada in two H0RR0R movies",
    ):
        error = refused(services_on, bob, prompt)
        assert error.code == "cameo_permission_denied", prompt
    assert order(services_on, bob, "@ada watches a movie of kites").status == "queued"
    with pytest.raises(InvalidRequest) as hidden:  # a zero-width space: no prompt holds one
        order(services_on, bob, "@ada ki\u200bsses a frog")
    assert hidden.value.code == "invalid_prompt"


def test_a_revoked_cameo_is_refused_to_everyone(services_on, ada, bob):
    make_cameo(services_on, ada)
    with services_on.db.write() as db:
        cameos.revoke_cameo(db=db, actor=ada, handle="ada")
    for user in (bob, ada):
        error = refused(services_on, user, "@ada jumps")
        assert error.code == "cameo_permission_denied"
        assert "revoked" in error.message


def test_the_permission_check_matches_admission(services_on, ada, bob):
    make_cameo(services_on, ada, permission="everyone", restrictions=("knife",))
    with services_on.db.read() as db:
        cameo = cameos.get_cameo(db=db, handle="@Ada")
        assert cameos.permission_for(db=db, user=bob, cameo=cameo).allowed
        denied = cameos.permission_for(db=db, user=bob, cameo=cameo, texts=["@ada with a knife"])
    assert (denied.allowed, denied.code) == (False, "cameo_permission_denied")
    assert "knife" in denied.reason


# --- uses, notifications, the owner's view ------------------------------------------------------


def test_each_use_is_recorded_and_the_owner_notified(services_on, ada, bob):
    make_cameo(services_on, ada)
    video = order(services_on, bob, "@ada plays chess in a garden")
    [news] = notifications_of(services_on, ada)
    assert (news.kind, news.link) == ("cameo_used", "/cameos")
    assert news.title == "bob used your cameo @ada"
    assert "plays chess" in news.body
    with services_on.db.read() as db:
        [use] = cameos.uses_of(db=db, actor=ada, handle="ada").uses
        with pytest.raises(NotFound):
            cameos.uses_of(db=db, actor=bob, handle="ada")  # only the owner sees them
    assert (use.video_id, use.user_id, use.status, use.published, use.deleted) == (
        video.id,
        bob.id,
        "queued",
        False,
        False,
    )


def test_the_owner_sees_drafts_and_posts_and_may_delete_any(services_on, ada, bob):
    make_cameo(services_on, ada)
    draft = order(services_on, bob, "@ada reads a book")
    post = order(services_on, bob, "@ada paints a wall")
    with services_on.db.write() as db:
        posted = db.get(Video, post.id)
        posted.status, posted.published_at, posted.completed_at = "completed", utcnow(), utcnow()
        posted.video_key = f"videos/{post.id}/video.mp4"
        wallet.settle_video(
            db=db, user_id=bob.id, video_id=post.id, delivered=True, reason="delivered"
        )
    with services_on.db.read() as db:
        seen = {
            u.video_id: (u.status, u.published)
            for u in cameos.uses_of(db=db, actor=ada, handle="ada").uses
        }
    assert seen == {draft.id: ("queued", False), post.id: ("completed", True)}

    with services_on.db.write() as db:
        keys = cameos.delete_use(db=db, actor=ada, handle="ada", video_id=post.id)
    assert keys == [f"videos/{post.id}/video.mp4", f"videos/{post.id}/spritesheet.jpg"]
    with services_on.db.write() as db:
        cameos.delete_use(db=db, actor=ada, handle="ada", video_id=draft.id)
    with services_on.db.read() as db:
        gone = {v.id: v for v in db.scalars(select(Video))}
        assert gone[post.id].deleted_at is not None
        assert gone[post.id].published_at is None
        assert (gone[draft.id].status, gone[draft.id].deleted_at is not None) == ("cancelled", True)
        assert {h.status for h in wallet.holds_for_video(db=db, video_id=draft.id)} == {"voided"}
        assert all(u.deleted for u in cameos.uses_of(db=db, actor=ada, handle="ada").uses)
        assert check_ledger(db=db) == []
    told = notifications_of(services_on, bob)
    assert sorted(n.kind for n in told) == ["cameo_video_deleted", "cameo_video_deleted"]
    bodies = [n.body for n in told]
    assert any(
        body.endswith("It had been delivered, so what it cost stays spent.") for body in bodies
    )
    assert any(body.endswith("the units it had reserved were given back.") for body in bodies)


def test_nobody_else_deletes_a_video_through_a_cameo(services_on, ada, bob):
    make_cameo(services_on, ada)
    make_cameo(services_on, bob, "bob")
    video = order(services_on, bob, "@ada surfs")
    other = order(services_on, bob, "a dog runs")
    with services_on.db.write() as db, pytest.raises(NotFound):
        cameos.delete_use(db=db, actor=bob, handle="ada", video_id=video.id)
    with services_on.db.write() as db, pytest.raises(NotFound):  # it does not use the cameo
        cameos.delete_use(db=db, actor=ada, handle="ada", video_id=other.id)
    with services_on.db.read() as db:
        assert db.get(Video, video.id).deleted_at is None


# --- revocation ----------------------------------------------------------------------------------


def test_revoking_cancels_and_refunds_queued_videos_and_stops_running_ones(services_on, ada, bob):
    make_cameo(services_on, ada)
    queued = order(services_on, bob, "@ada juggles in a circus")
    running = order(services_on, bob, "@ada rides a horse")
    mine = order(services_on, ada, "@ada smiles")
    with services_on.db.write() as db:  # the oldest job goes first
        assert lease_next(db=db, settings=services_on.settings, worker_id="w").id == queued.id
    with services_on.db.read() as db:
        before = wallet.read_wallet(db=db, user_id=bob.id).quota.available
        keys = [i.storage_key for i in db.scalars(select(CameoImage))]

    with services_on.db.write() as db:
        done = cameos.revoke_cameo(db=db, actor=ada, handle="ada")
    assert (done.cancelled, done.stopping) == ([running.id, mine.id], [queued.id])
    assert done.image_keys == keys

    with services_on.db.read() as db:
        videos = {v.id: v for v in db.scalars(select(Video))}
        assert videos[running.id].status == "cancelled"
        assert videos[running.id].error_message == "the cameo @ada was revoked by its owner"
        assert videos[queued.id].cancel_requested is True
        [hold] = wallet.holds_for_video(db=db, video_id=running.id)
        assert hold.status == "voided"
        assert wallet.read_wallet(db=db, user_id=bob.id).quota.available == before + 1
        lines = wallet.statement(db=db, user=bob)
        assert check_ledger(db=db) == []
    [refund] = [line for line in lines if line.video_id == running.id]
    assert refund.status == "refunded"
    assert refund.reason == "refund: the cameo @ada was revoked by its owner"
    assert "cameo_revoked" in {n.kind for n in notifications_of(services_on, bob)}

    with services_on.db.write() as db:  # the running one stops: it ends saying why
        finish(db=db, video_id=queued.id, worker_id="w", outcome=Cancelled())
    with services_on.db.read() as db:
        assert db.get(Video, queued.id).error_message == "the cameo @ada was revoked by its owner"
        lines = wallet.statement(db=db, user=bob)
    [refund] = [line for line in lines if line.video_id == queued.id]
    assert refund.reason == "refund: the cameo @ada was revoked by its owner"

    with services_on.db.write() as db:  # again: nothing more happens
        again = cameos.revoke_cameo(db=db, actor=ada, handle="ada")
    assert (again.cancelled, again.stopping, again.image_keys) == ([], [], [])
    with services_on.db.write() as db, pytest.raises(Conflict):
        cameos.update_cameo(db=db, actor=ada, handle="ada", permission="everyone")


def finished(services, video) -> str:
    """Mark an ordered video completed, as its worker would (no files: publishing needs none)."""
    with services.db.write() as db:
        db.get_one(Video, video.id).status = "completed"
    return video.id


def test_revoking_takes_others_published_videos_off_the_feed_and_none_can_be_published(
    services_on, ada, bob
):
    make_cameo(services_on, ada)
    draft = finished(services_on, order(services_on, bob, "@ada waves at the sea"))
    posted = finished(services_on, order(services_on, bob, "@ada dances in the rain"))
    own = finished(services_on, order(services_on, ada, "@ada smiles"))
    with services_on.db.write() as db:
        publish_video(db=db, actor=bob, video_id=posted)
        publish_video(db=db, actor=ada, video_id=own)

    with services_on.db.write() as db:
        done = cameos.revoke_cameo(db=db, actor=ada, handle="ada")
    assert (done.cancelled, done.stopping, done.unpublished) == ([], [], [posted])
    with services_on.db.read() as db:
        shown = {v.id: v.published_at is not None for v in db.scalars(select(Video))}
    assert shown == {draft: False, posted: False, own: True}  # the owner's own stay up
    left = [n for n in notifications_of(services_on, bob) if n.link == f"/videos/{posted}"]
    assert [n.title for n in left] == ["Your video with @ada left the feed"]
    for video_id in (draft, posted):
        with services_on.db.write() as db, pytest.raises(Conflict) as caught:
            publish_video(db=db, actor=bob, video_id=video_id)
        assert caught.value.code == "cameo_revoked"
        assert "cannot be published; you can still watch or delete it" in caught.value.message
    with services_on.db.write() as db:  # the owner may still publish their own
        unpublish_video(db=db, actor=ada, video_id=own)
        assert publish_video(db=db, actor=ada, video_id=own).published_at is not None


def test_a_video_with_a_cameo_its_maker_may_no_longer_use_cannot_be_published(
    services_on, ada, bob
):
    make_cameo(services_on, ada)
    video_id = finished(services_on, order(services_on, bob, "@ada waves at the sea"))
    with services_on.db.write() as db:
        cameos.update_cameo(db=db, actor=ada, handle="ada", permission="only_me")
    with services_on.db.write() as db, pytest.raises(ServiceError) as caught:
        publish_video(db=db, actor=bob, video_id=video_id)
    assert (caught.value.code, caught.value.status) == ("cameo_permission_denied", 403)
    with services_on.db.read() as db:
        assert db.get_one(Video, video_id).published_at is None
    with services_on.db.write() as db:
        cameos.update_cameo(db=db, actor=ada, handle="ada", permission="everyone")
    with services_on.db.write() as db:
        assert publish_video(db=db, actor=bob, video_id=video_id).published_at is not None


def test_a_video_breaking_a_restriction_set_since_cannot_be_published(services_on, ada, bob):
    make_cameo(services_on, ada)
    video_id = finished(services_on, order(services_on, bob, "@ada hugs a frog"))
    with services_on.db.write() as db:
        cameos.update_cameo(db=db, actor=ada, handle="ada", restrictions=["hug"])
    with services_on.db.write() as db, pytest.raises(ServiceError) as caught:
        publish_video(db=db, actor=bob, video_id=video_id)
    assert (caught.value.code, caught.value.status) == ("cameo_permission_denied", 403)
    assert "'hug'" in caught.value.message
    with services_on.db.write() as db:
        cameos.update_cameo(db=db, actor=ada, handle="ada", restrictions=[])
    with services_on.db.write() as db:
        assert publish_video(db=db, actor=bob, video_id=video_id).published_at is not None


def test_closing_the_owners_account_revokes_their_cameos_and_removes_the_photos(
    services_on, ada, bob
):
    make_cameo(services_on, ada, images=2)
    make_cameo(services_on, ada, "ada_old")
    with services_on.db.write() as db:
        cameos.revoke_cameo(db=db, actor=ada, handle="ada_old")  # revoked before, rows kept
    queued = order(services_on, bob, "@ada juggles in a circus")
    with services_on.db.read() as db:
        keys = {i.storage_key for i in db.scalars(select(CameoImage))}
    with services_on.db.write() as db:
        closed = close_account(db=db, user=db.get_one(type(ada), ada.id))
    assert closed.cameos_revoked == 1
    assert len(keys) == 3
    assert keys <= set(closed.storage_keys)
    with services_on.db.read() as db:
        left = db.scalars(select(Cameo).order_by(Cameo.handle)).all()
        assert [(c.handle, c.status, c.display_name) for c in left] == [
            ("ada", "revoked", "Closed account"),  # the handle stays reserved, nothing else
            ("ada_old", "revoked", "Closed account"),
        ]
        assert {(c.consent_phrase, c.restrictions_json) for c in left} == {("", "[]")}
        assert db.scalar(select(func.count()).select_from(CameoImage)) == 0
        assert db.get_one(Video, queued.id).status == "cancelled"  # bob's, refunded
        assert check_ledger(db=db) == []
    assert "cameo_revoked" in {n.kind for n in notifications_of(services_on, bob)}


def test_the_owners_export_holds_their_cameos_and_photos(services_on, ada, bob, tmp_path):
    import json
    import zipfile

    from reelmint.domains.accounts.export import write_export

    make_cameo(services_on, ada, images=2)
    with services_on.db.write() as db:
        cameos.approve_user(db=db, actor=ada, handle="ada", user_id=bob.id)
    used = order(services_on, bob, "@ada juggles in a circus")
    target = tmp_path / "export.zip"
    write_export(services=services_on, user_id=ada.id, target=target)
    with zipfile.ZipFile(target) as archive:
        assert {"cameos/ada/0.jpg", "cameos/ada/1.jpg"} <= set(archive.namelist())
        assert archive.read("cameos/ada/0.jpg")[:2] == b"\xff\xd8"  # a JPEG
        [cameo] = json.loads(archive.read("account.json"))["cameos"]
    assert cameo["handle"] == "ada"
    assert [person["id"] for person in cameo["approved_users"]] == [bob.id]
    [use] = cameo["uses"]  # whoever made it: what GET /v1/cameos/ada/uses shows
    assert (use["video_id"], use["prompt"], use["user"]["id"]) == (
        used.id,
        "@ada juggles in a circus",
        bob.id,
    )
    with services_on.db.write() as db:
        cameos.revoke_cameo(db=db, actor=ada, handle="ada")  # its photos go with it
    write_export(services=services_on, user_id=ada.id, target=target)
    with zipfile.ZipFile(target) as archive:
        assert not [name for name in archive.namelist() if name.startswith("cameos/")]
        assert json.loads(archive.read("account.json"))["missing_files"] == []


def test_a_closed_makers_video_that_used_a_cameo_keeps_its_words_for_the_cameos_owner(
    services_on, ada, bob
):
    make_cameo(services_on, ada)
    with_cameo = order(services_on, bob, "@ada juggles in a circus")
    without = order(services_on, bob, "A red car drives")
    with services_on.db.write() as db:
        close_account(db=db, user=db.get_one(type(bob), bob.id))
    with services_on.db.read() as db:
        kept = db.get_one(Video, with_cameo.id)
        blanked = db.get_one(Video, without.id)
        assert (kept.status, kept.prompt) == ("cancelled", "@ada juggles in a circus")
        assert (blanked.status, blanked.prompt, blanked.storyboard_json) == ("cancelled", "", "{}")


def test_only_the_owner_revokes(services_on, ada, bob):
    make_cameo(services_on, ada)
    with services_on.db.write() as db, pytest.raises(NotFound):
        cameos.revoke_cameo(db=db, actor=bob, handle="ada")
    with services_on.db.read() as db:
        assert cameos.get_cameo(db=db, handle="ada").status == "active"


def test_an_admin_may_moderate_a_cameo_but_never_widen_who_uses_it(services_on, ada, bob):
    make_cameo(services_on, ada, permission="only_me")
    admin = make_account(services_on, "admin@example.com", role="admin").user
    with services_on.db.write() as db, pytest.raises(NotFound):
        cameos.update_cameo(db=db, actor=admin, handle="ada", permission="everyone")
    with services_on.db.write() as db, pytest.raises(NotFound):
        cameos.approve_user(db=db, actor=admin, handle="ada", user_id=bob.id)
    with services_on.db.read() as db:
        assert cameos.get_cameo(db=db, handle="ada").permission == "only_me"
        assert cameos.approved_users(db=db, actor=admin, handle="ada") == []
        assert cameos.own_image(db=db, actor=admin, handle="ada", position=0).position == 0
        assert cameos.uses_of(db=db, actor=admin, handle="ada").uses == []


def test_an_admin_revoking_a_cameo_tells_its_owner_and_the_makers_who_did(services_on, ada, bob):
    make_cameo(services_on, ada)
    queued = order(services_on, bob, "@ada juggles in a circus")
    admin = make_account(services_on, "admin@example.com", role="admin").user
    with services_on.db.write() as db:
        assert cameos.revoke_cameo(db=db, actor=admin, handle="ada").cancelled == [queued.id]
    reason = "the cameo @ada was revoked by the platform's moderators"
    with services_on.db.read() as db:
        assert db.get_one(Video, queued.id).error_message == reason
    [told] = [n for n in notifications_of(services_on, ada) if n.kind == "cameo_revoked"]
    assert told.title == "Your cameo @ada was revoked by the moderators"
    [maker] = [n for n in notifications_of(services_on, bob) if n.kind == "cameo_revoked"]
    assert maker.body.startswith("The platform's moderators revoked the cameo @ada, so")


def test_the_worker_gets_each_cameos_main_image_in_order_of_mention(services_on, ada, bob):
    make_cameo(services_on, ada, images=2)
    make_cameo(services_on, bob, "bob")
    video = order(services_on, bob, "@bob and @ada play cards")
    with services_on.db.read() as db:
        keys = cameos.cameo_image_keys_for_video(db=db, video_id=video.id)
        main = {
            db.get(Cameo, i.cameo_id).handle: i.storage_key
            for i in db.scalars(select(CameoImage).where(CameoImage.position == 0))
        }
    assert keys == (main["bob"], main["ada"])


def test_a_cameo_named_in_characters_is_checked_as_if_the_prompt_mentioned_it(
    services_on, ada, bob
):
    cameo = make_cameo(services_on, ada, permission="only_me")
    before = counts(services_on)
    for reference in (cameo.id, "@ada", "ADA"):
        request = VideoRequest(prompt="someone rides a bike", seconds="4", characters=(reference,))
        with pytest.raises(ServiceError) as caught:
            create_video(services=services_on, user=bob, request=request)
        assert caught.value.code == "cameo_permission_denied", reference
    assert counts(services_on) == before  # nothing written, nothing charged
    own = create_video(
        services=services_on,
        user=ada,
        request=VideoRequest(prompt="someone rides a bike", seconds="4", characters=(cameo.id,)),
    )
    with services_on.db.read() as db:
        assert cameos.cameo_image_keys_for_video(db=db, video_id=own.id) != ()


def test_two_first_requests_for_a_phrase_at_once_both_get_one(services_on, ada, monkeypatch):
    """Without a lock both would find no phrase row and insert one: the second would fail
    (on PostgreSQL; SQLite serialises writers). Now the second waits and replaces it."""
    barrier = threading.Barrier(2, timeout=2)
    real_get = Session.get

    def get_then_wait(self, entity, ident, **options):
        found = real_get(self, entity, ident, **options)
        if entity is CameoConsent and found is None:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return found

    monkeypatch.setattr(Session, "get", get_then_wait)
    phrases: list[str] = []

    def ask() -> None:
        with services_on.db.write() as db:
            phrases.append(
                cameos.start_consent(db=db, settings=services_on.settings, user=ada).phrase
            )

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(phrases) == 2, "both requests got a phrase"
    with services_on.db.read() as db:
        assert db.get(CameoConsent, ada.id).phrase == phrases[-1]
