"""Administrators suspend an account, saying why, and reinstate it: it cannot sign in or use
its tokens, its videos are seen by no one else, and it keeps everything."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from domains.videos.video_helpers import complete, completed_video
from reelmint.domains.accounts.models import User, WebSession
from reelmint.domains.accounts.service import (
    OPERATOR,
    authenticate,
    find_api_token,
    find_web_session,
    start_web_session,
)
from reelmint.domains.accounts.suspension import reinstate_account, suspend_account
from reelmint.domains.feed.creators import creator_profile
from reelmint.domains.feed.service import public_feed
from reelmint.domains.notifications.models import Notification
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.reports import report_video
from reelmint.domains.videos.service import (
    create_derived_with,
    extension_request,
    get_visible_video,
    publish_video,
)
from reelmint.errors import ServiceError
from support import make_account

REASON = "spam: the same video published 400 times"


def publish(services, user: User, video_id: str) -> Video:
    with services.db.write() as db:
        return publish_video(db=db, actor=user, video_id=video_id)


def published(services, user: User) -> Video:
    return publish(services, user, completed_video(services, user).id)


def derived(services, user: User, source_id: str) -> Video:
    """A completed extension of `source_id` by `user`, unpublished."""
    with services.db.read() as db:
        source, request = extension_request(
            db=db, actor=user, video_id=source_id, prompt="a dog runs past", seconds=4
        )
    video = create_derived_with(
        services=services, user=user, source=source, request=request, within=lambda _db, v: v
    )
    complete(services, video.id)
    return video


def feed_ids(services) -> set[str]:
    with services.db.read() as db:
        return {item.video.id for item in public_feed(db=db).items}


def suspend(services, user_id: str, reason: str = REASON, actor=OPERATOR):
    with services.db.write() as db:
        return suspend_account(db=db, actor=actor, user_id=user_id, reason=reason)


def reinstate(services, user_id: str, actor=OPERATOR):
    with services.db.write() as db:
        return reinstate_account(db=db, actor=actor, user_id=user_id)


def refused(call, *args, **kwargs) -> ServiceError:
    with pytest.raises(ServiceError) as error:
        call(*args, **kwargs)
    return error.value


def told(services, user: User) -> list[Notification]:
    with services.db.read() as db:
        query = select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "account_suspension"
        )
        return list(db.scalars(query.order_by(Notification.created_at)))


@pytest.fixture
def people(services_on):
    return (
        make_account(services_on, "ann@example.com"),
        make_account(services_on, "bob@example.com", display_name="Bob"),
    )


def test_a_suspended_account_cannot_sign_in_or_use_its_tokens_until_reinstated(services_on, people):
    services, (ann, _bob) = services_on, people
    with services.db.write() as db:
        _session, secret = start_web_session(db=db, user=ann.user)

    done = suspend(services, ann.user.id)
    assert (done.changed, done.sessions_ended) == (True, 1)
    with services.db.write() as db:
        assert find_web_session(db=db, secret=secret) is None
        assert db.scalar(select(func.count()).select_from(WebSession)) == 0
        error = refused(authenticate, db=db, email=ann.email, password=ann.password)
        assert (error.code, error.status) == ("account_suspended", 403)
        assert REASON in error.message
        error = refused(find_api_token, db=db, secret=ann.token)
        assert error.code == "account_suspended"
        assert refused(start_web_session, db=db, user=db.get(User, ann.user.id)).status == 403
        # a wrong password says nothing of the suspension
        wrong = refused(authenticate, db=db, email=ann.email, password="not the password")
        assert wrong.code == "invalid_credentials"
    notices = told(services, ann.user)
    assert [n.title for n in notices] == ["Your account was suspended"]
    assert REASON in notices[0].body

    reinstate(services, ann.user.id)
    with services.db.write() as db:
        assert authenticate(db=db, email=ann.email, password=ann.password).id == ann.user.id
        assert find_api_token(db=db, secret=ann.token) is not None  # tokens were kept
        assert find_web_session(db=db, secret=secret) is None  # the old session stays ended
    assert [n.title for n in told(services, ann.user)][-1] == "Your account was reinstated"


def test_a_suspended_accounts_videos_and_profile_are_seen_by_no_one_else(services_on, people):
    services, (ann, bob) = services_on, people
    video = published(services, ann.user)
    suspend(services, ann.user.id)
    assert feed_ids(services) == set()
    with services.db.read() as db:
        for viewer in (None, bob.user):
            error = refused(get_visible_video, db=db, actor=viewer, video_id=video.id)
            assert error.code == "video_not_found"
        profile = refused(creator_profile, db=db, viewer=bob.user, user_id=ann.user.id)
        assert profile.code == "user_not_found"
        assert get_visible_video(db=db, actor=OPERATOR, video_id=video.id).id == video.id
    with services.db.write() as db:
        report = refused(
            report_video,
            db=db,
            settings=services.settings,
            actor=bob.user,
            video_id=video.id,
            category="spam",
        )
        assert report.code == "video_not_found"
    reinstate(services, ann.user.id)
    assert feed_ids(services) == {video.id}


def test_others_extensions_of_a_suspended_accounts_videos_leave_the_feed(services_on, people):
    services, (ann, bob) = services_on, people
    original = published(services, ann.user)
    extension = derived(services, bob.user, original.id)
    publish(services, bob.user, extension.id)

    done = suspend(services, ann.user.id)
    assert done.withdrawn == [extension.id]
    assert feed_ids(services) == set()
    with services.db.read() as db:
        notice = db.scalars(
            select(Notification).where(
                Notification.user_id == bob.user.id,
                Notification.kind == "video_source_withdrawn",
            )
        ).one()
    assert "which is no longer published" in notice.body  # as an unpublished one reads
    assert "suspend" not in notice.body  # the suspension is said only to the account
    assert "can be published again once that video is public again" in notice.body


def test_only_an_administrator_suspends_and_reinstates(services_on, people):
    services, (ann, bob) = services_on, people
    assert refused(suspend, services, ann.user.id, actor=bob.user).code == "admin_only"
    suspend(services, ann.user.id)
    assert refused(reinstate, services, ann.user.id, actor=bob.user).code == "admin_only"
    with services.db.read() as db:
        assert db.get(User, ann.user.id).suspended_at is not None


def test_refusals_change_nothing(services_on, people):
    services, (ann, _bob) = services_on, people
    admin = make_account(services, "root@example.com", role="admin")
    assert refused(suspend, services, admin.user.id).code == "cannot_suspend_admin"
    assert refused(suspend, services, "user_nobody").code == "user_not_found"
    assert refused(reinstate, services, ann.user.id).code == "not_suspended"
    for reason, code in (("   ", "invalid_reason"), ("x" * 501, "invalid_reason")):
        assert refused(suspend, services, ann.user.id, reason).code == code
    hidden = refused(suspend, services, ann.user.id, "spam\u202e")
    assert (hidden.code, hidden.param) == ("invalid_reason", "reason")
    with services.db.read() as db:
        assert db.get(User, ann.user.id).suspended_at is None
    assert told(services, ann.user) == []


def test_suspending_again_with_the_same_reason_changes_nothing(services_on, people):
    services, (ann, _bob) = services_on, people
    first = suspend(services, ann.user.id, "spam,\n  again")
    assert first.user.suspended_reason == "spam, again"
    again = suspend(services, ann.user.id, "spam, again")
    assert again.changed is False
    other = refused(suspend, services, ann.user.id, "harassment")
    assert other.code == "already_suspended"
    assert "spam, again" in other.message
    assert len(told(services, ann.user)) == 1


def test_follow_lists_and_counts_leave_a_suspended_account_out(services_on, people):
    from reelmint.domains.accounts import follows

    services, (ann, bob) = services_on, people
    with services.db.write() as db:
        follows.follow(db=db, actor=bob.user, user_id=ann.user.id)
        follows.follow(db=db, actor=ann.user, user_id=bob.user.id)
    suspend(services, ann.user.id)
    with services.db.read() as db:
        assert follows.following(db=db, user=bob.user).users == []
        assert follows.followers(db=db, user=bob.user).users == []
        assert follows.follow_counts(db=db, user=bob.user) == (0, 0)
    reinstate(services, ann.user.id)
    with services.db.read() as db:
        assert [u.id for u in follows.following(db=db, user=bob.user).users] == [ann.user.id]
        assert follows.follow_counts(db=db, user=bob.user) == (1, 1)


def test_a_request_authenticated_before_the_suspension_is_refused_at_admission(services_on, people):
    """The token was checked a moment before the suspension committed: admission reads the
    account again under the wallet's lock and refuses, charging nothing."""
    from reelmint.domains.videos.service import VideoRequest, create_video

    services, (ann, _bob) = services_on, people
    stale = ann.user  # as the request authenticated it, before the suspension
    suspend(services, ann.user.id)
    request = VideoRequest(prompt="a red car drives", seconds=4, size="480x480", seed=1)
    error = refused(create_video, services=services, user=stale, request=request)
    assert (error.code, error.status) == ("account_suspended", 403)
    with services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(Video)) == 0


def test_a_sign_in_checked_before_the_suspension_committed_opens_no_session(services_on, people):
    """The password was checked on the account as it was read before the suspension: the
    session is refused on the account as it is now, so none comes back with a reinstatement."""
    services, (ann, _bob) = services_on, people
    with services.db.read() as db:
        stale = db.get_one(User, ann.user.id)
    suspend(services, ann.user.id)
    with services.db.write() as db:
        error = refused(start_web_session, db=db, user=stale)
    assert error.code == "account_suspended"
    with services.db.read() as db:
        assert db.scalar(select(func.count()).select_from(WebSession)) == 0


def test_a_suspended_accounts_cameo_takes_no_new_use_until_reinstated(services_on, people):
    """Its owner cannot revoke it or look after its uses while suspended (a leaked password
    may be why), so nobody else starts or publishes a video with it meanwhile."""
    from domains.cameos.cameo_helpers import make_cameo, order
    from reelmint.domains.cameos.service import CameoPermissionDenied

    (ann, bob) = people
    make_cameo(services_on, ann.user, "annie")
    made = order(services_on, bob.user, "@annie waves from a boat")
    complete(services_on, made.id)
    suspend(services_on, ann.user.id)

    error = refused(order, services_on, bob.user, "@annie rides a bike")
    assert isinstance(error, CameoPermissionDenied)
    assert "(@annie) cannot be used now; remove it from the prompt" in error.message
    assert "suspend" not in error.message  # named to the account alone
    shown = refused(publish, services_on, bob.user, made.id)
    assert shown.code == "cameo_permission_denied"
    with services_on.db.read() as db:
        assert db.scalar(select(func.count(Video.id)).where(Video.user_id == bob.user.id)) == 1

    reinstate(services_on, ann.user.id)
    assert order(services_on, bob.user, "@annie rides a bike").status == "queued"
    assert publish(services_on, bob.user, made.id).published_at is not None


def test_the_suspended_accounts_come_a_page_at_a_time(services_on):
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.accounts.suspension import suspended_accounts

    people = [make_account(services_on, f"u{n}@example.com").user for n in range(3)]
    for person in people:
        with services_on.db.write() as db:
            suspend_account(db=db, actor=OPERATOR, user_id=person.id, reason="spam")
    newest_first = [person.id for person in reversed(people)]
    with services_on.db.read() as db:
        first = suspended_accounts(db=db, actor=OPERATOR, limit=2)
        assert [user.id for user in first.users] == newest_first[:2]
        assert first.has_more
        for after in (first.next_cursor, first.users[-1].id):
            rest = suspended_accounts(db=db, actor=OPERATOR, limit=2, after=after)
            assert [user.id for user in rest.users] == newest_first[2:]
            assert (rest.has_more, rest.next_cursor) == (False, None)
        free = make_account(services_on, "free@example.com").user
        for asked, code in (
            ({"limit": 0}, "invalid_limit"),
            ({"after": "12_nope"}, "invalid_cursor"),
            ({"after": free.id}, "user_not_found"),  # not suspended
        ):
            with pytest.raises(ServiceError) as refused:
                suspended_accounts(db=db, actor=OPERATOR, **asked)
            assert refused.value.code == code


def test_the_suspensions_endpoint_pages(client, services, account):
    from reelmint.domains.accounts.service import OPERATOR

    admin = make_account(services, "root@example.com", role="admin")
    others = [make_account(services, f"s{n}@example.com").user for n in range(2)]
    for person in others:
        with services.db.write() as db:
            suspend_account(db=db, actor=OPERATOR, user_id=person.id, reason="spam")
    first = client.get("/v1/admin/suspensions?limit=1", headers=admin.headers).json()
    assert ([item["user_id"] for item in first["data"]], first["has_more"]) == (
        [others[1].id],
        True,
    )
    params = {"limit": 1, "after": first["next_cursor"]}
    rest = client.get("/v1/admin/suspensions", params=params, headers=admin.headers).json()
    assert ([item["user_id"] for item in rest["data"]], rest["has_more"]) == ([others[0].id], False)
    bad = client.get("/v1/admin/suspensions?after=1_x", headers=admin.headers)
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")
