"""Closing an account, on SQLite and PostgreSQL: what goes, what the books keep, who may."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reelmint.domains.accounts import closure, follows, invitations
from reelmint.domains.accounts.devices import remember_device
from reelmint.domains.accounts.models import ApiToken, LoginDevice, Membership, User, WebSession
from reelmint.domains.accounts.service import (
    add_member,
    authenticate,
    create_organisation,
    create_user,
    find_api_token,
    remove_member,
    start_web_session,
)
from reelmint.domains.cameos.models import CameoConsent
from reelmint.domains.cameos.service import start_consent
from reelmint.domains.feed import likes
from reelmint.domains.feed.creators import creator_profile
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.notifications.models import EmailMessage, Notification
from reelmint.domains.notifications.service import notify, queue_email
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.domains.webhooks.models import WebhookEndpoint
from reelmint.domains.webhooks.service import EndpointRequest, create_endpoint
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from support import join_organisation, make_account


def count(db, model, *where) -> int:
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def queue_video(services, user) -> Video:
    request = VideoRequest(prompt="A red car drives", seconds="4", size="480x480", seed=1)
    return create_video(services=services, user=user, request=request)


def test_closing_removes_the_person_and_keeps_the_books(services_on):
    ada = make_account(services_on, "ada@example.com", display_name="Ada")
    bob = make_account(services_on, "bob@example.com", display_name="Bob")
    queued = queue_video(services_on, ada.user)
    with services_on.db.write() as db:
        done = db.get_one(Video, queue_video(services_on, ada.user).id)
        done.status, done.video_key = "completed", f"videos/{done.id}.mp4"
        start_web_session(db=db, user=ada.user)
        follows.follow(db=db, actor=ada.user, user_id=bob.user.id)
        follows.follow(db=db, actor=bob.user, user_id=ada.user.id)
        notify(db=db, user=ada.user, kind="test", title="Hello", body="Hi", email=False)
        queue_email(db=db, to_address=ada.email, subject="Hi", body_text="Hello")
        start_consent(db=db, settings=services_on.settings, user=ada.user)
        db.get_one(User, ada.user.id).pending_email = "ada@new.example"  # a change asked for
    theirs = queue_video(services_on, bob.user).id
    with services_on.db.write() as db:
        video = db.get_one(Video, theirs)
        video.status, video.published_at = "completed", video.created_at
    with services_on.db.write() as db:
        likes.like(db=db, actor=ada.user, video_id=theirs)
    hook = EndpointRequest(url="https://93.184.216.34/hooks", description="mine")
    create_endpoint(services=services_on, actor=ada.user, request=hook)
    with services_on.db.write() as db:
        remember_device(db=db, user=db.get_one(User, ada.user.id), secret=None)
    with services_on.db.write() as db:
        closed = closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    assert closed.videos_deleted == 2
    assert f"videos/{done.id}.mp4" in closed.storage_keys
    with services_on.db.write() as db:
        user = db.get_one(User, ada.user.id)
        assert (user.display_name, user.disabled_at is not None) == ("Closed account", True)
        assert user.email == f"closed-{ada.user.id}@closed.invalid"
        assert (user.pending_email, user.email_confirmed_at) == (None, None)
        assert closure.is_closed(user)
        mine = ada.user.id
        assert count(db, Video, Video.user_id == mine, Video.deleted_at.is_(None)) == 0
        assert db.get_one(Video, queued.id).status == "cancelled"
        assert db.scalar(select(LedgerHold.status).where(LedgerHold.video_id == queued.id)) == (
            "voided"
        )
        for model, where in (
            (WebSession, WebSession.user_id == mine),
            (LoginDevice, LoginDevice.user_id == mine),
            (ApiToken, ApiToken.user_id == mine),
            (follows.Follow, follows.Follow.followee_id == mine),
            (follows.Follow, follows.Follow.follower_id == mine),
            (Notification, Notification.user_id == mine),
            (EmailMessage, EmailMessage.to_address == ada.email),
            (likes.Like, likes.Like.user_id == mine),
            (WebhookEndpoint, WebhookEndpoint.user_id == mine),
            (CameoConsent, CameoConsent.user_id == mine),
        ):
            assert count(db, model, where) == 0, model.__name__
        assert find_api_token(db=db, secret=ada.token) is None
        assert check_ledger(db=db) == []  # every posting kept, every balance still adds up
        with pytest.raises(Unauthorized):
            authenticate(db=db, email=ada.email, password=ada.password)
        with pytest.raises(NotFound):
            creator_profile(db=db, viewer=None, user_id=mine)
        again = create_user(db=db, email=ada.email, password="a new start 123")  # email freed
        assert again.id != mine
    with services_on.db.read() as db:
        assert db.get_one(User, bob.user.id).disabled_at is None


def test_closing_twice_changes_nothing_more(services_on):
    ada = make_account(services_on)
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    with services_on.db.write() as db:
        user = db.get_one(User, ada.user.id)
        email, stamp = user.email, user.disabled_at
        assert closure.close_account(db=db, user=user) == closure.Closure()
        assert (user.email, user.disabled_at) == (email, stamp)


def test_nobody_can_take_a_closed_accounts_address_to_stop_it_closing(services_on):
    ada = make_account(services_on)
    squat = f"closed-{ada.user.id}@closed.invalid"
    for email in (squat, "someone@mail.invalid", f"{squat}."):
        with services_on.db.write() as db, pytest.raises(BadRequest) as refused:
            create_user(db=db, email=email, password="correct horse battery")
        assert refused.value.code == "invalid_email"
    with services_on.db.write() as db:  # an account made before such addresses were refused
        squatter = create_user(db=db, email="squatter@example.com", password="x" * 12)
        squatter.email = squat
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    with services_on.db.read() as db:
        closed, other = db.get_one(User, ada.user.id), db.get_one(User, squatter.id)
        assert closure.is_closed(closed)
        assert closed.email != squat
        assert not closure.is_closed(other)  # its address looks closed; it is not disabled


def test_ones_own_request_needs_the_password_and_the_words(services_on):
    ada = make_account(services_on)
    cases = (
        (ada.password, "close", BadRequest, "confirmation_required"),
        (ada.password, "close my account!", BadRequest, "confirmation_required"),
        (ada.password, "close my account..", BadRequest, "confirmation_required"),
        ("not my password", " Close  my ACCOUNT. ", Forbidden, "wrong_password"),
    )
    for password, words, refusal, code in cases:
        with services_on.db.write() as db:
            user = db.get_one(User, ada.user.id)
            with pytest.raises(refusal) as caught:
                closure.close_own_account(db=db, user=user, password=password, confirmation=words)
        assert caught.value.code == code
    with services_on.db.write() as db:
        assert not closure.is_closed(db.get_one(User, ada.user.id))
        closure.close_own_account(
            db=db,
            user=db.get_one(User, ada.user.id),
            password=ada.password,
            confirmation=" Close  my ACCOUNT ",
        )
    with services_on.db.read() as db:
        assert closure.is_closed(db.get_one(User, ada.user.id))


def test_an_owner_added_by_someone_who_left_may_leave_and_close(services_on):
    """Dave makes Erin an owner of his organisation and leaves: she is its only member, so
    she may leave it, and close her account, though she is its only owner."""
    dave = make_account(services_on, "dave@example.com")
    erin = make_account(services_on, "erin@example.com")
    with services_on.db.write() as db:
        trap = create_organisation(db=db, owner=dave.user, name="Dave Corp", slug="davecorp")
        join_organisation(db, owner=dave.user, organisation=trap, user=erin.user, role="owner")
    with services_on.db.write() as db:
        remove_member(db=db, actor=dave.user, organisation=trap, user=dave.user)
    # Demoting herself would leave it without an owner.
    with services_on.db.write() as db, pytest.raises(Conflict):
        add_member(db=db, actor=erin.user, organisation=trap, user=erin.user, role="member")
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, erin.user.id))
    with services_on.db.read() as db:
        assert closure.is_closed(db.get_one(User, erin.user.id))
        assert count(db, Membership, Membership.organisation_id == trap.id) == 0


def test_an_only_member_leaving_as_another_is_added_leaves_no_ownerless_organisation(
    services_on,
):
    """Bob accepts Ada's invitation while Ada, the only member and owner, leaves: the leaving
    waits for the joining (both lock the organisation), then sees Bob and is refused."""
    from support import while_held_open

    ada = make_account(services_on)
    bob = make_account(services_on, "bob@example.com")
    with services_on.db.write() as db:
        solo = create_organisation(db=db, owner=ada.user, name="Solo", slug="solo")
        invitations.invite(db=db, actor=ada.user, organisation=solo, user=bob.user)

    def add(db):
        invitations.accept(db=db, actor=db.get_one(User, bob.user.id), organisation_id=solo.id)
        return "added"

    def leave(db):
        org = db.get_one(type(solo), solo.id)
        remove_member(db=db, actor=ada.user, organisation=org, user=ada.user)
        return "left"

    assert while_held_open(services_on, add, leave) == ("added", "sole_owner")
    with services_on.db.read() as db:
        assert count(db, Membership, Membership.organisation_id == solo.id) == 2


def test_the_only_member_may_leave_an_organisation_it_owns(services_on):
    ada = make_account(services_on)
    with services_on.db.write() as db:
        solo = create_organisation(db=db, owner=ada.user, name="Solo", slug="solo")
    with services_on.db.write() as db:
        remove_member(db=db, actor=ada.user, organisation=solo, user=ada.user)
    with services_on.db.read() as db:
        assert count(db, Membership, Membership.organisation_id == solo.id) == 0


def test_the_only_owner_of_an_organisation_cannot_close_until_another_owns_it(services_on):
    ada = make_account(services_on)
    bob = make_account(services_on, "bob@example.com")
    with services_on.db.write() as db:
        studio = create_organisation(db=db, owner=ada.user, name="Studio A", slug="studio-a")
        join_organisation(db, owner=ada.user, organisation=studio, user=bob.user)
    with services_on.db.write() as db:
        user = db.get_one(User, ada.user.id)
        with pytest.raises(Conflict) as caught:
            closure.close_account(db=db, user=user)
    assert caught.value.code == "sole_owner"
    assert "Studio A" in caught.value.message
    with services_on.db.read() as db:
        assert not closure.is_closed(db.get_one(User, ada.user.id))
    with services_on.db.write() as db:
        membership = db.get_one(Membership, (studio.id, bob.user.id))
        membership.role = "owner"
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    with services_on.db.read() as db:
        owners = db.scalars(
            select(Membership.user_id).where(Membership.organisation_id == studio.id)
        )
        assert list(owners) == [bob.user.id]


def test_a_request_authenticated_before_the_closure_is_refused_and_charges_nothing(services_on):
    ada = make_account(services_on)
    before_closing = ada.user  # what a request authenticated a moment earlier holds
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    with pytest.raises(Forbidden) as caught:
        queue_video(services_on, before_closing)
    assert caught.value.code == "account_disabled"
    with services_on.db.read() as db:
        assert count(db, Video, Video.user_id == ada.user.id) == 0
        assert count(db, LedgerHold, LedgerHold.user_id == ada.user.id) == 0


def test_a_closed_account_keeps_no_words_and_is_told_nothing_more(services_on):
    ada = make_account(services_on)
    video = queue_video(services_on, ada.user)
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    with services_on.db.write() as db:
        stored = db.get_one(Video, video.id)
        assert (stored.prompt, stored.storyboard_json) == ("", "{}")
        closed = db.get_one(User, ada.user.id)
        assert notify(db=db, user=closed, kind="test", title="Hi", body="Hello") is None
    with services_on.db.read() as db:
        assert count(db, Notification, Notification.user_id == ada.user.id) == 0
        assert count(db, EmailMessage) == 0


def test_an_operator_makes_another_owner_so_the_sole_owner_can_close(cli, data_dir):
    assert cli("migrate").code == 0
    for email in ("ada@example.com", "bob@example.com"):
        assert cli("admin", "create-user", email, "--password", "x" * 12).code == 0
    made = cli(
        "admin", "create-org", "Studio A", "--slug", "studio-a", "--owner", "ada@example.com"
    )
    assert made.code == 0, made.err
    joined = cli("admin", "set-member", "studio-a", "bob@example.com", "--role", "member")
    assert joined.code == 0, joined.err
    refused = cli("admin", "close-account", "ada@example.com", "--yes")
    assert refused.code == 2
    assert "the only owner of the organisation 'Studio A'" in refused.err
    handed = cli("admin", "set-member", "studio-a", "bob@example.com", "--role", "owner")
    assert handed.code == 0, handed.err
    assert handed.out == "bob@example.com is now an owner of studio-a\n"
    assert cli("admin", "close-account", "ada@example.com", "--yes").code == 0
    stepped_down = cli("admin", "set-member", "studio-a", "bob@example.com", "--role", "member")
    assert stepped_down.code == 2
    assert "is the only owner of studio-a and cannot stop owning" in stepped_down.err
    assert cli("admin", "set-member", "nowhere", "bob@example.com").code == 2
    left = cli("admin", "remove-member", "studio-a", "bob@example.com")  # its only member
    assert left.code == 0, left.err


def test_a_running_video_is_asked_to_stop_and_loses_its_words_when_it_has(services_on):
    from reelmint.queue import lease_next
    from reelmint.queue.finish import release

    ada = make_account(services_on)
    video = queue_video(services_on, ada.user)
    with services_on.db.write() as db:
        assert lease_next(db=db, settings=services_on.settings, worker_id="w").id == video.id
    with services_on.db.write() as db:
        closed = closure.close_account(db=db, user=db.get_one(User, ada.user.id))
    assert closed.videos_deleted == 1
    with services_on.db.read() as db:
        running = db.get_one(Video, video.id)
        assert (running.status, running.cancel_requested) == ("in_progress", True)
        assert running.deleted_at is not None
        assert running.prompt  # its worker may still read it
    with services_on.db.write() as db:  # the worker stops it (as it ends any cancelled job)
        assert release(db=db, video_id=video.id, worker_id="w")
    with services_on.db.read() as db:
        ended = db.get_one(Video, video.id)
        assert (ended.status, ended.prompt, ended.storyboard_json) == ("cancelled", "", "{}")
        assert check_ledger(db=db) == []


def test_others_news_naming_the_closed_account_goes_too(services_on):
    """Bob follows Ada, remixes her video and tips her; Cy tips her too. Once Bob closes,
    Ada keeps only Cy's news: Bob's would name him, or open a profile or remix that is gone."""
    from domains.rights.claim_helpers import make_video
    from reelmint.domains.payments.service import start_purchase
    from reelmint.domains.videos.service import publish_video
    from reelmint.domains.wallet.tips import tip

    ada = make_account(services_on, "ada@example.com", display_name="Ada").user
    bob = make_account(services_on, "bob@example.com", display_name="Bob").user
    cy = make_account(services_on, "cy@example.com", display_name="Cy").user
    original = make_video(services_on, ada, prompt="A red car drives")
    remix = make_video(services_on, bob, prompt="A blue car drives", published=False)
    with services_on.db.write() as db:
        db.get_one(Video, remix.id).remixed_from_video_id = original.id
        follows.follow(db=db, actor=bob, user_id=ada.id)
        follows.follow(db=db, actor=ada, user_id=bob.id)
    with services_on.db.write() as db:
        publish_video(db=db, actor=bob, video_id=remix.id)
    for tipper in (bob, cy):
        start_purchase(services=services_on, user=tipper, pack_id="pack_10")
        with services_on.db.write() as db:
            tip(
                db=db,
                settings=services_on.settings,
                actor=tipper,
                video_id=original.id,
                units=2,
                key="thanks",
            )

    def adas_news() -> list[str]:
        with services_on.db.read() as db:
            found = db.scalars(select(Notification).where(Notification.user_id == ada.id))
            return sorted(f"{n.kind}: {n.title} {n.body}" for n in found)

    assert [line.split(":")[0] for line in adas_news()] == [
        "new_follower",
        "remix_published",
        "tip_received",
        "tip_received",
    ]
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, bob.id))
    [kept] = adas_news()
    assert kept.startswith("tip_received: You were tipped Cy tipped you")


def test_a_payout_asked_for_before_closing_stays_for_the_operator_to_pay(services_on):
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.payouts.models import Payout
    from reelmint.domains.payouts.service import mark_paid, request_payout
    from reelmint.domains.wallet.tips import tips_account

    maker = make_account(services_on, "maker@example.com").user
    with services_on.db.write() as db:
        source = platform_account(db=db, name="tip_revenue")
        to = tips_account(db=db, user_id=maker.id, available=True)
        transfer(db=db, key="f", legs=[Leg(source, -40), Leg(to, 40)], kind="t", reason="t")
        payout = request_payout(
            db=db, settings=services_on.settings, actor=maker, units=30, key="k", note="IBAN X"
        )
    with services_on.db.write() as db:
        closure.close_account(db=db, user=db.get_one(User, maker.id))
    with services_on.db.write() as db:
        assert db.get_one(Payout, payout.id).status == "requested"
        paid = mark_paid(db=db, actor=OPERATOR, payout_id=payout.id, reference="wire 1")
        assert (paid.status, paid.note) == ("paid", "IBAN X")
        assert count(db, Notification, Notification.user_id == maker.id) == 0
        assert check_ledger(db=db) == []


def test_closing_while_a_worker_finishes_one_of_the_videos_never_deadlocks(services_on):
    """A worker finishing a job locks the video, then the wallet; closing locks the videos
    before the wallet too, so it waits for the finish instead of holding the wallet the
    finish needs (on PostgreSQL, one of the two was aborted by deadlock detection)."""
    import threading

    from reelmint.queue import lease_next
    from reelmint.queue.finish import Completed, finish

    ada = make_account(services_on)
    video = queue_video(services_on, ada.user)
    with services_on.db.write() as db:
        assert lease_next(db=db, settings=services_on.settings, worker_id="w").id == video.id
    video_locked, done = threading.Event(), {}

    def close() -> None:
        video_locked.wait(timeout=30)
        try:
            with services_on.db.write() as db:
                done["closed"] = closure.close_account(db=db, user=db.get_one(User, ada.user.id))
        except Exception as error:  # reported below, not lost in the thread
            done["closed"] = error

    closing = threading.Thread(target=close)
    closing.start()
    outcome = Completed(video_key="v.mp4", poster_key="v.jpg", video_bytes=10, frames=4)
    with services_on.db.write() as db:
        db.get_one(Video, video.id, with_for_update=True)  # where the worker's finish begins
        video_locked.set()
        closing.join(timeout=0.5)  # not a time limit: a chance for closing to take its locks
        assert finish(db=db, video_id=video.id, worker_id="w", outcome=outcome) == "completed"
    closing.join(timeout=60)
    assert not isinstance(done["closed"], Exception), done["closed"]
    assert done["closed"].videos_deleted == 1
    with services_on.db.read() as db:
        assert db.get_one(Video, video.id).deleted_at is not None
        assert check_ledger(db=db) == []
