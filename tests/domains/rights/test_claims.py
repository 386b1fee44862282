"""Claims on published videos: who may claim what, the precedence of actions, one dispute,
answers, lapsing after `claim_dispute_days`, and what a block hides. SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from claim_helpers import CAR, SURFER, claim, dispute, make_holder, make_video, paid_video
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from reelmint.db.base import utcnow
from reelmint.domains.feed.service import public_feed
from reelmint.domains.notifications.models import Notification
from reelmint.domains.rights import claims
from reelmint.domains.rights.models import Claim
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import get_visible_video
from reelmint.errors import Conflict, ServiceError
from reelmint.housekeeping import run_once
from support import at_once, make_account


@pytest.fixture
def holder(services_on):
    return make_holder(services_on)


@pytest.fixture
def uploader(services_on):
    return make_account(services_on, "uploader@example.com").user


def notifications(services, user, kind):
    with services.db.read() as db:
        return list(
            db.scalars(
                select(Notification).where(
                    Notification.user_id == user.id, Notification.kind == kind
                )
            )
        )


def refused(call) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value


def reload(services, claim_id) -> Claim:
    with services.db.read() as db:
        return db.get(Claim, claim_id)


# --- claiming ---------------------------------------------------------------------------------


def test_a_member_claims_a_published_video_that_names_the_character(services_on, holder, uploader):
    video = make_video(services_on, uploader)
    made = claim(services_on, holder, video, "track")
    assert (made.status, made.action, made.organisation_id) == (
        "active",
        "track",
        holder.organisation_id,
    )
    assert made.basis in ("alias", "mention")
    assert "Brightwave" in made.evidence
    assert made.claimed_by_user_id == holder.member.id
    [told] = notifications(services_on, uploader, "claim.created")
    assert "Wave Studios claimed your video" in told.title
    assert told.link == f"/videos/{video.id}#claims"


def test_a_character_in_a_storyboard_shot_counts(services_on, holder, uploader):
    video = make_video(services_on, uploader, prompt=f"A quiet beach at dawn. Then {SURFER}")
    assert claim(services_on, holder, video).status == "active"


def test_a_video_that_paid_the_licence_fee_is_claimed_on_that_basis(services_on, holder, uploader):
    video = paid_video(services_on, holder, uploader, fee=2)
    made = claim(services_on, holder, video, "track")
    assert (made.basis, made.evidence) == ("licence_fee", "paid the licence fee of 2 units")


@pytest.mark.parametrize("action", ["block", "monetize"])
def test_a_licensed_use_can_be_tracked_not_blocked_or_monetized(
    services_on, holder, uploader, action
):
    video = paid_video(services_on, holder, uploader, fee=2)
    with pytest.raises(Conflict) as refused:
        claim(services_on, holder, video, action)
    assert refused.value.code == "licensed_use"
    assert "paid the licence fee for Captain Brightwave" in refused.value.message
    with services_on.db.read() as db:
        assert claims.effective_claim(db=db, video=video) is None  # nothing was claimed


@pytest.mark.parametrize(
    ("case", "code", "status"),
    [
        ("bad action", "invalid_action", 400),
        ("unknown character", "character_not_found", 404),
        ("retired character", "character_not_found", 404),
        ("not a member", "not_character_holder", 403),
        ("draft", "video_not_found", 404),
        ("deleted", "video_not_found", 404),
        ("no such video", "video_not_found", 404),
        ("not in the video", "character_not_in_video", 403),
    ],
)
def test_claims_are_refused_with_a_code(services_on, holder, uploader, case, code, status):
    video = make_video(services_on, uploader, prompt=CAR if case == "not in the video" else SURFER)
    actor, video_id, character_id, action = holder.member, video.id, holder.character_id, "block"
    with services_on.db.write() as db:
        if case == "bad action":
            action = "delete"
        elif case == "unknown character":
            character_id = "chr_nope"
        elif case == "retired character":
            from reelmint.domains.rights.models import Character

            db.get(Character, character_id).retired_at = utcnow()
        elif case == "not a member":
            actor = make_account(services_on, "other@example.com", role="admin").user
        elif case == "draft":
            db.get(Video, video.id).published_at = None
        elif case == "deleted":
            db.get(Video, video.id).deleted_at = utcnow()
        elif case == "no such video":
            video_id = "video_nope"

    def call():
        with services_on.db.write() as db:
            claims.create_claim(
                db=db,
                settings=services_on.settings,
                actor=actor,
                video_id=video_id,
                character_id=character_id,
                action=action,
            )

    error = refused(call)
    assert (error.code, error.status) == (code, status)
    with services_on.db.read() as db:
        assert db.scalars(select(Claim)).all() == []
    assert notifications(services_on, uploader, "claim.created") == []


def test_one_claim_in_force_per_video_and_character(services_on, holder, uploader):
    video = make_video(services_on, uploader)
    first = claim(services_on, holder, video, "track")
    error = refused(lambda: claim(services_on, holder, video, "block"))
    assert (error.code, error.status) == ("claim_exists", 409)
    # Released without a dispute, it may be claimed again (say, with another action).
    with services_on.db.write() as db:
        claims.release_claim(db=db, actor=holder.member, claim_id=first.id)
    assert claim(services_on, holder, video, "block").action == "block"


def test_the_database_allows_one_claim_in_force_per_pair(services_on, holder, uploader):
    video = make_video(services_on, uploader)
    first = claim(services_on, holder, video)
    twin = {
        "video_id": video.id,
        "character_id": holder.character_id,
        "organisation_id": holder.organisation_id,
        "action": "track",
        "basis": "alias",
    }
    with pytest.raises(IntegrityError), services_on.db.write() as db:
        db.add(Claim(status="active", **twin))
    with services_on.db.write() as db:
        db.get(Claim, first.id).status = "released"
        db.add(Claim(status="active", **twin))  # fine once the first no longer has effect


def test_two_claims_at_once_make_one(services_on, holder, uploader, monkeypatch):
    """Both pass the duplicate check before either inserts (on PostgreSQL; SQLite serialises
    writers): the partial unique index lets one in and the other gets `claim_exists`."""
    video = make_video(services_on, uploader)
    barrier = threading.Barrier(2, timeout=2)
    checked = claims._refuse_duplicate

    def check_then_wait(**kwargs):
        checked(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()

    monkeypatch.setattr(claims, "_refuse_duplicate", check_then_wait)

    def attempt() -> str:
        try:
            claim(services_on, holder, video, "track")
            return "made"
        except ServiceError as error:
            return error.code

    outcomes = at_once([attempt] * 2, timeout=30)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert sorted(outcomes) == ["claim_exists", "made"]
    with services_on.db.read() as db:
        assert len(db.scalars(select(Claim)).all()) == 1
    assert len(notifications(services_on, uploader, "claim.created")) == 1


def test_a_dispute_the_uploader_won_cannot_be_reset_by_claiming_again(
    services_on, holder, uploader
):
    video = make_video(services_on, uploader)
    first = claim(services_on, holder, video)
    dispute(services_on, uploader, first.id)
    with services_on.db.write() as db:
        claims.answer_dispute(db=db, actor=holder.member, claim_id=first.id, decision="release")
    error = refused(lambda: claim(services_on, holder, video, "track"))
    assert (error.code, error.status) == ("claim_dispute_settled", 409)


def second_character(services, holder, *, handle="twinwave", name="Twin Tide", **fields):
    """Another character of the holder's organisation."""
    from reelmint.domains.rights import service as rights

    request = rights.CharacterRequest(handle=handle, name=name, **fields)
    with services.db.write() as db:
        return rights.register_character(
            db=db, actor=holder.member, organisation_id=holder.organisation_id, request=request
        )


def test_a_won_dispute_protects_the_video_from_the_organisations_other_characters_too(
    services_on, holder, uploader
):
    video = make_video(services_on, uploader, prompt=f"{SURFER} beside Twin Tide")
    first = claim(services_on, holder, video)
    dispute(services_on, uploader, first.id)
    with services_on.db.write() as db:
        claims.answer_dispute(db=db, actor=holder.member, claim_id=first.id, decision="release")
    # A copy registered afterwards, found in the video by its description, changes nothing.
    twin = second_character(
        services_on, holder, description="a caped surfer hero who rides a glowing tidal wave"
    )
    error = refused(lambda: claim(services_on, holder, video, "track", character_id=twin.id))
    assert (error.code, error.status) == ("claim_dispute_settled", 409)
    assert reload(services_on, first.id).status == "released"
    # Another organisation's claim is its own business.
    other = make_holder(
        services_on, email="rocks@example.com", slug="rock", handle="pebble", name="Twin Moon"
    )
    pebble_video = make_video(services_on, uploader, prompt="Twin Moon rises over the sea")
    assert claim(services_on, other, pebble_video).status == "active"


def test_an_open_character_can_only_be_tracked(services_on, holder, uploader):
    with services_on.db.write() as db:
        from reelmint.domains.rights.models import Character

        db.get(Character, holder.character_id).policy = "open"
    video = make_video(services_on, uploader)
    for action in ("block", "monetize"):
        error = refused(lambda action=action: claim(services_on, holder, video, action))
        assert (error.code, error.status) == ("open_character", 409)
        assert "tracked" in error.message
    assert claim(services_on, holder, video, "track").action == "track"


def test_a_video_made_while_the_character_was_open_stays_only_trackable(
    services_on, holder, uploader
):
    """Switching an open character to blocked or licensed cannot reach back to the videos
    made for free meanwhile (it could then block them, or take their tips), whatever the
    policy is later; videos made after the switch are claimable as usual."""
    from reelmint.domains.rights import service as rights

    def set_policy(policy: str) -> None:
        request = rights.CharacterRequest(
            handle="brightwave",
            name="Captain Brightwave",
            description="Captain Brightwave, a caped surfer hero who rides a glowing tidal wave",
            policy=policy,
        )
        with services_on.db.write() as db:
            rights.update_character(
                db=db, actor=holder.member, character_id=holder.character_id, request=request
            )

    set_policy("open")
    free = make_video(services_on, uploader)
    set_policy("blocked")
    for policy in ("blocked", "open", "licensed"):  # and back to open, and licensed after
        if policy != "blocked":
            set_policy(policy)
        for action in ("block", "monetize"):
            error = refused(lambda action=action: claim(services_on, holder, free, action))
            assert (error.code, error.status) == ("open_character", 409)
    assert "was open until" in error.message
    assert claim(services_on, holder, free, "track").action == "track"
    later = make_video(services_on, uploader)  # made while licensed (fee 0)
    assert claim(services_on, holder, later, "monetize").action == "monetize"


def test_an_earlier_video_only_the_description_resembles_can_only_be_tracked(
    services_on, holder, uploader
):
    video = make_video(services_on, uploader, prompt="a windmill on a hill at sunset")
    named = make_video(services_on, uploader, prompt="Mill One spins in the evening wind")
    mill = second_character(
        services_on, holder, handle="mill", name="Mill One", description="a windmill on a hill"
    )
    for action in ("block", "monetize"):
        error = refused(
            lambda action=action: claim(services_on, holder, video, action, character_id=mill.id)
        )
        assert (error.code, error.status) == ("character_registered_later", 409)
    assert claim(services_on, holder, video, "track", character_id=mill.id).action == "track"
    assert notifications(services_on, uploader, "claim.created")  # told of the track alone
    # Named in the prompt, an earlier video can be claimed (its uploader may dispute).
    assert claim(services_on, holder, named, character_id=mill.id).action == "block"


# --- precedence and effect --------------------------------------------------------------------


def test_the_most_restrictive_claim_in_force_wins(services_on, holder, uploader):
    pebble = make_holder(
        services_on,
        email="rocks@example.com",
        slug="rock",
        handle="pebble",
        name="Professor Pebble",
    )
    third = make_holder(
        services_on, email="third@example.com", slug="moon", handle="moonjet", name="Moonjet Max"
    )
    video = make_video(
        services_on, uploader, prompt="Captain Brightwave, Professor Pebble and Moonjet Max surf"
    )
    with services_on.db.read() as db:
        assert claims.effective_claim(db=db, video=video) is None
        assert claims.earnings_payee(db=db, video=db.get(Video, video.id)).user_id == uploader.id
    tracked = claim(services_on, holder, video, "track")
    with services_on.db.read() as db:
        assert claims.effective_claim(db=db, video=video).id == tracked.id
    monetized = claim(services_on, pebble, video, "monetize")
    with services_on.db.read() as db:
        assert claims.effective_claim(db=db, video=video).id == monetized.id
        payee = claims.earnings_payee(db=db, video=db.get(Video, video.id))
        assert (payee.user_id, payee.organisation_id) == (None, pebble.organisation_id)
    blocked = claim(services_on, third, video, "block")
    with services_on.db.read() as db:
        assert claims.effective_claim(db=db, video=video).id == blocked.id
        assert claims.is_blocked(db=db, video_id=video.id)
    with services_on.db.write() as db:
        claims.release_claim(db=db, actor=third.member, claim_id=blocked.id)
    with services_on.db.read() as db:
        assert claims.effective_claim(db=db, video=video).id == monetized.id
        assert not claims.is_blocked(db=db, video_id=video.id)


def test_a_block_hides_the_video_from_everyone_but_its_owner_and_admins(
    services_on, holder, uploader
):
    video = make_video(services_on, uploader)
    other = make_video(services_on, uploader, prompt=CAR)
    viewer = make_account(services_on, "viewer@example.com").user
    admin = make_account(services_on, "admin@example.com", role="admin").user

    def feed():
        with services_on.db.read() as db:
            return {item.video.id for item in public_feed(db=db).items}

    def sees(actor):
        with services_on.db.read() as db:
            try:
                get_visible_video(db=db, actor=actor, video_id=video.id)
            except ServiceError as error:
                return error.code
            return True

    assert feed() == {video.id, other.id}
    made = claim(services_on, holder, video, "block")
    assert feed() == {other.id}
    hidden = "video_not_found"
    assert (sees(None), sees(viewer), sees(holder.member)) == (hidden, hidden, hidden)
    assert (sees(uploader), sees(admin)) == (True, True)
    dispute(services_on, uploader, made.id)  # a disputed claim keeps its effect
    assert feed() == {other.id}
    with services_on.db.write() as db:
        claims.release_claim(db=db, actor=holder.member, claim_id=made.id)
    assert feed() == {video.id, other.id}
    assert sees(viewer)


@pytest.mark.parametrize("action", ["monetize", "track"])
def test_monetize_and_track_leave_the_video_up(services_on, holder, uploader, action):
    video = make_video(services_on, uploader)
    claim(services_on, holder, video, action)
    with services_on.db.read() as db:
        assert [item.video.id for item in public_feed(db=db).items] == [video.id]
        assert get_visible_video(db=db, actor=None, video_id=video.id).id == video.id


# --- disputes and answers ---------------------------------------------------------------------


def test_the_uploader_disputes_once_and_the_holder_is_told(services_on, holder, uploader):
    video = make_video(services_on, uploader)
    made = claim(services_on, holder, video)
    before = utcnow()
    disputed = dispute(services_on, uploader, made.id, reason="  my own surfer, drawn by me  ")
    assert (disputed.status, disputed.dispute_reason) == ("disputed", "my own surfer, drawn by me")
    assert disputed.disputed_by_user_id == uploader.id
    due = disputed.answer_due_at - disputed.disputed_at
    assert due == timedelta(days=30)
    assert disputed.disputed_at >= before
    [told] = notifications(services_on, holder.member, "claim.disputed")
    assert "my own surfer" in told.body
    assert told.link == f"/studio#claim-{made.id}"
    again = refused(lambda: dispute(services_on, uploader, made.id))
    assert (again.code, again.status) == ("claim_already_disputed", 409)
    with services_on.db.write() as db:
        claims.answer_dispute(db=db, actor=holder.member, claim_id=made.id, decision="uphold")
    upheld_again = refused(lambda: dispute(services_on, uploader, made.id))
    assert upheld_again.code == "claim_already_disputed"


@pytest.mark.parametrize(
    ("who", "reason", "code", "status"),
    [
        ("holder", "not my video, but I try", "not_video_owner", 403),
        ("stranger", "I just do not like it", "claim_not_found", 404),
        ("uploader", "no", "invalid_reason", 400),
        ("uploader", "my own surfer\x00, drawn by me", "invalid_reason", 400),
        ("uploader", "\u202emy own surfer, drawn by me", "invalid_reason", 400),
        ("uploader", "my own surfer\u200b, drawn by me", "invalid_reason", 400),
    ],
)
def test_dispute_refusals(services_on, holder, uploader, who, reason, code, status):
    made = claim(services_on, holder, make_video(services_on, uploader))
    actor = {
        "holder": holder.member,
        "stranger": make_account(services_on, "x@example.com").user,
        "uploader": uploader,
    }[who]
    error = refused(lambda: dispute(services_on, actor, made.id, reason=reason))
    assert (error.code, error.status) == (code, status)
    assert reload(services_on, made.id).status == "active"


def test_a_reason_may_have_lines_but_a_note_no_hidden_characters(services_on, holder, uploader):
    made = claim(services_on, holder, make_video(services_on, uploader))
    disputed = dispute(services_on, uploader, made.id, reason="my own surfer.\nI drew it myself.")
    assert disputed.dispute_reason == "my own surfer.\nI drew it myself."

    def release_with_a_hidden_note():
        with services_on.db.write() as db:
            claims.release_claim(
                db=db, actor=holder.member, claim_id=made.id, note="our \u202emistake"
            )

    error = refused(release_with_a_hidden_note)
    assert (error.code, error.status) == ("invalid_note", 400)
    assert "U+202E" in str(error)
    assert reload(services_on, made.id).status == "disputed"


def test_a_released_claim_cannot_be_disputed_or_released_again(services_on, holder, uploader):
    made = claim(services_on, holder, make_video(services_on, uploader))
    with services_on.db.write() as db:
        released = claims.release_claim(
            db=db, actor=holder.member, claim_id=made.id, note="our mistake"
        )
        assert (released.status, released.ended_by_user_id) == ("released", holder.member.id)
    assert refused(lambda: dispute(services_on, uploader, made.id)).code == "claim_ended"

    def release_again():
        with services_on.db.write() as db:
            claims.release_claim(db=db, actor=holder.member, claim_id=made.id)

    assert refused(release_again).code == "claim_ended"
    [told] = notifications(services_on, uploader, "claim.released")
    assert "released its claim" in told.body


@pytest.mark.parametrize("decision", ["uphold", "release"])
def test_the_holder_answers_a_dispute(services_on, holder, uploader, decision):
    video = make_video(services_on, uploader)
    made = claim(services_on, holder, video)
    dispute(services_on, uploader, made.id)
    with services_on.db.write() as db:
        answered = claims.answer_dispute(
            db=db, actor=holder.member, claim_id=made.id, decision=decision, note="checked it"
        )
        assert answered.answered_by_user_id == holder.member.id
        assert answered.answer_note == "checked it"
    status = {"uphold": "upheld", "release": "released"}[decision]
    assert reload(services_on, made.id).status == status
    with services_on.db.read() as db:
        assert claims.is_blocked(db=db, video_id=video.id) == (decision == "uphold")
    assert len(notifications(services_on, uploader, f"claim.{status}")) == 1


def test_answer_refusals(services_on, holder, uploader):
    made = claim(services_on, holder, make_video(services_on, uploader))

    def answer(actor, decision="uphold", now=None):
        with services_on.db.write() as db:
            claims.answer_dispute(db=db, actor=actor, claim_id=made.id, decision=decision, now=now)

    assert refused(lambda: answer(holder.member)).code == "claim_not_disputed"
    dispute(services_on, uploader, made.id)
    assert refused(lambda: answer(holder.member, "ignore")).code == "invalid_decision"
    error = refused(lambda: answer(uploader))
    assert (error.code, error.status) == ("not_claimant", 403)
    late = utcnow() + timedelta(days=30, seconds=1)
    assert refused(lambda: answer(holder.member, now=late)).code == "dispute_lapsed"
    assert reload(services_on, made.id).status == "disputed"


# --- lapsing ----------------------------------------------------------------------------------


def test_an_unanswered_dispute_lapses_after_30_days(services_on, holder, uploader):
    video = make_video(services_on, uploader)
    made = claim(services_on, holder, video)
    disputed = dispute(services_on, uploader, made.id)
    start = disputed.disputed_at
    with services_on.db.write() as db:
        assert claims.lapse_unanswered_disputes(db=db, now=start + timedelta(days=29)) == []
    assert reload(services_on, made.id).status == "disputed"
    # The housekeeping chore does it once the 30 days are over.
    outcome = run_once(services_on, now=start + timedelta(days=30, minutes=1))
    assert outcome["claim disputes"] is True
    lapsed = reload(services_on, made.id)
    assert (lapsed.status, lapsed.ended_by_user_id) == ("lapsed", None)
    with services_on.db.read() as db:
        assert claims.effective_claim(db=db, video=video) is None
        assert get_visible_video(db=db, actor=None, video_id=video.id).id == video.id
    assert len(notifications(services_on, uploader, "claim.lapsed")) == 1
    assert len(notifications(services_on, holder.member, "claim.lapsed")) == 1
    with services_on.db.write() as db:  # nothing left to do
        assert claims.lapse_unanswered_disputes(db=db, now=start + timedelta(days=60)) == []


def test_the_time_to_answer_is_a_setting(services_on, holder, uploader):
    made = claim(services_on, holder, make_video(services_on, uploader))
    settings = services_on.settings.model_copy(update={"claim_dispute_days": 7})
    with services_on.db.write() as db:
        disputed = claims.dispute_claim(
            db=db, settings=settings, actor=uploader, claim_id=made.id, reason="a" * 12
        )
        assert disputed.answer_due_at - disputed.disputed_at == timedelta(days=7)
    with services_on.db.write() as db:
        late = disputed.disputed_at + timedelta(days=7)
        assert claims.lapse_unanswered_disputes(db=db, now=late) == [made.id]


def test_upheld_claims_never_lapse(services_on, holder, uploader):
    made = claim(services_on, holder, make_video(services_on, uploader))
    dispute(services_on, uploader, made.id)
    with services_on.db.write() as db:
        claims.answer_dispute(db=db, actor=holder.member, claim_id=made.id, decision="uphold")
    with services_on.db.write() as db:
        later = utcnow() + timedelta(days=400)
        assert claims.lapse_unanswered_disputes(db=db, now=later) == []
    assert reload(services_on, made.id).status == "upheld"


# --- reading ----------------------------------------------------------------------------------


def test_who_sees_which_claims(services_on, holder, uploader):
    mine = claim(services_on, holder, make_video(services_on, uploader))
    someone = make_account(services_on, "someone@example.com").user
    theirs = claim(services_on, holder, make_video(services_on, someone))
    stranger = make_account(services_on, "stranger@example.com").user
    with services_on.db.read() as db:

        def ids(actor, **kwargs):
            return [c.id for c in claims.list_claims(db=db, actor=actor, **kwargs).items]

        assert ids(holder.member) == [theirs.id, mine.id]
        assert ids(holder.member, organisation_id=holder.organisation_id, limit=1) == [theirs.id]
        assert ids(holder.member, after=theirs.id) == [mine.id]
        with pytest.raises(ServiceError) as caught:
            ids(holder.member, after="zzz")
        assert (caught.value.code, caught.value.param) == ("claim_not_found", "after")
        assert "pass the last_id of the previous page" in caught.value.message
        assert ids(uploader) == [mine.id]
        assert ids(stranger) == []
        assert ids(holder.member, status="disputed") == []
        with pytest.raises(ServiceError) as caught:
            ids(stranger, organisation_id=holder.organisation_id)
        assert caught.value.code == "organisation_not_found"
        with pytest.raises(ServiceError) as caught:
            claims.get_claim(db=db, actor=stranger, claim_id=mine.id)
        assert caught.value.code == "claim_not_found"
        assert claims.get_claim(db=db, actor=uploader, claim_id=mine.id).id == mine.id
        # Ids that name nothing never reach the database (PostgreSQL refuses NUL characters).
        assert ids(holder.member, video_id="video_\x00") == []
        for bad in ("clm_\x00", "x" * 65):
            with pytest.raises(ServiceError) as caught:
                claims.get_claim(db=db, actor=holder.member, claim_id=bad)
            assert caught.value.code == "claim_not_found"
