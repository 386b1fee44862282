"""Users report public videos to the moderators; administrators list the open reports by
video, dismiss them (each reporter told why) or take the video down (its reports actioned).
The video's owner never learns who reported it."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from video_helpers import completed_video

from reelmint.db.base import utcnow
from reelmint.domains.accounts.closure import close_account
from reelmint.domains.accounts.export import write_export
from reelmint.domains.accounts.service import OPERATOR
from reelmint.domains.notifications.models import Notification
from reelmint.domains.videos.models import Video, VideoReport
from reelmint.domains.videos.moderation import take_down_video
from reelmint.domains.videos.reports import (
    DELETED_BY_CREATOR,
    CreatorRecord,
    dismiss_report,
    report_json,
    report_queue,
    report_video,
    reports_against,
)
from reelmint.domains.videos.service import delete_video, publish_video, unpublish_video
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests
from support import make_account

NOTE = "It copies a studio's cartoon character"


def published(services, user, prompt: str = "a cat sleeps on a sofa") -> Video:
    video = completed_video(services, user, prompt)
    with services.db.write() as db:
        return publish_video(db=db, actor=user, video_id=video.id)


def file(services, user, video_id: str, category: str = "rights", note: str = NOTE, **kw):
    with services.db.write() as db:
        return report_video(
            db=db,
            settings=services.settings,
            actor=user,
            video_id=video_id,
            category=category,
            note=note,
            **kw,
        )


def notifications_of(services, account) -> list[Notification]:
    with services.db.read() as db:
        query = select(Notification).where(Notification.user_id == account.user.id)
        return list(db.scalars(query.order_by(Notification.created_at)))


@pytest.fixture
def people(services_on):
    owner = make_account(services_on, "ann@example.com", display_name="Ann")
    reporter = make_account(services_on, "bob@example.com", display_name="Bob")
    admin = make_account(services_on, "root@example.com", role="admin")
    return owner, reporter, admin


# --- filing -----------------------------------------------------------------------------------


def test_a_user_reports_a_public_video_once_while_it_is_open(services_on, people):
    owner, reporter, _ = people
    video = published(services_on, owner.user)
    first = file(services_on, reporter.user, video.id, note=f"  {NOTE}\n  again ")
    assert first.created
    report = first.report
    assert (report.video_id, report.reporter_id, report.category) == (
        video.id,
        reporter.user.id,
        "rights",
    )
    assert (report.note, report.status, report.resolved_at) == (f"{NOTE} again", "open", None)

    again = file(services_on, reporter.user, video.id, category="spam", note="other words")
    assert not again.created
    assert (again.report.id, again.report.category) == (report.id, "rights")
    with services_on.db.read() as db:
        assert len(db.scalars(select(VideoReport)).all()) == 1


def test_reports_sent_at_once_file_one_and_keep_to_the_limit(tmp_path, database_url):
    from support import at_once, make_services

    services = make_services(tmp_path, database_url, report_daily_limit=2)
    try:
        owner = make_account(services, "ann@example.com")
        reporter = make_account(services, "bob@example.com")
        same = published(services, owner.user)
        results = at_once([lambda: file(services, reporter.user, same.id)] * 4, timeout=30)
        assert [r.created for r in results].count(True) == 1, results
        assert len({r.report.id for r in results}) == 1
        others = [published(services, owner.user, f"a dog number {n}") for n in range(3)]
        works = [lambda v=v: file(services, reporter.user, v.id) for v in others]
        results = at_once(works, timeout=30)
        refused = [r for r in results if isinstance(r, TooManyRequests)]
        assert len(refused) == 2, results  # one more fits the limit of 2, beside the first
    finally:
        services.close()


def test_the_database_allows_one_open_report_per_reporter_and_video(services_on, people):
    owner, reporter, _ = people
    video = published(services_on, owner.user)
    file(services_on, reporter.user, video.id)
    with pytest.raises(IntegrityError), services_on.db.write() as db:
        db.add(VideoReport(video_id=video.id, reporter_id=reporter.user.id, category="spam"))
    # Resolved ones do not count.
    with services_on.db.write() as db:
        db.scalars(select(VideoReport)).one().status = "dismissed"
    assert file(services_on, reporter.user, video.id).created


def test_ones_own_video_cannot_be_reported(services_on, people):
    owner, _, _ = people
    video = published(services_on, owner.user)
    with pytest.raises(Forbidden) as refused:
        file(services_on, owner.user, video.id)
    assert (refused.value.code, refused.value.param) == ("cannot_report_own_video", "video_id")


def test_only_a_public_video_can_be_reported(services_on, people):
    owner, reporter, admin = people
    draft = completed_video(services_on, owner.user)
    unpublished = published(services_on, owner.user, "a dog runs")
    with services_on.db.write() as db:
        unpublish_video(db=db, actor=owner.user, video_id=unpublished.id)
    deleted = published(services_on, owner.user, "a bird sings")
    with services_on.db.write() as db:
        delete_video(db=db, actor=owner.user, video_id=deleted.id)
    taken = published(services_on, owner.user, "a fish swims")
    with services_on.db.write() as db:
        take_down_video(db=db, actor=admin.user, video_id=taken.id, reason="not allowed here")
    for video_id in (draft.id, unpublished.id, deleted.id, taken.id, "video_nope", "../x"):
        with pytest.raises(NotFound) as refused:
            file(services_on, reporter.user, video_id)
        assert refused.value.code == "video_not_found", video_id
    with services_on.db.read() as db:
        assert db.scalars(select(VideoReport)).all() == []


def test_a_video_blocked_by_a_claim_cannot_be_reported(services, account, monkeypatch):
    reporter = make_account(services, "bob@example.com")
    video = published(services, account.user)
    monkeypatch.setattr("reelmint.domains.videos.reports.is_blocked", lambda **_: True)
    with pytest.raises(NotFound):
        file(services, reporter.user, video.id)  # the claims module's rule, as on its page


@pytest.mark.parametrize(
    ("category", "note", "code", "param"),
    [
        ("nope", "", "invalid_category", "category"),
        ("", "", "invalid_category", "category"),
        ("rights", "x" * 501, "invalid_note", "note"),
        ("rights", "a \u202ehidden", "invalid_note", "note"),
        ("rights", "zero\u200bwidth", "invalid_note", "note"),
        ("rights", "bell\x07", "invalid_note", "note"),
    ],
)
def test_a_report_says_what_is_wrong_in_plain_text(services, account, category, note, code, param):
    reporter = make_account(services, "bob@example.com")
    video = published(services, account.user)
    with pytest.raises(BadRequest) as refused:
        file(services, reporter.user, video.id, category=category, note=note)
    assert (refused.value.code, refused.value.param) == (code, param)
    assert "plain text" in refused.value.message or "one of" in refused.value.message


def test_the_note_is_optional_and_may_be_500_characters(services, account):
    reporter = make_account(services, "bob@example.com")
    first = published(services, account.user)
    second = published(services, account.user, "a dog runs")
    assert file(services, reporter.user, first.id, category="other", note="").report.note == ""
    assert file(services, reporter.user, second.id, note="y" * 500).report.note == "y" * 500


def test_a_closed_account_cannot_report(services, account):
    reporter = make_account(services, "bob@example.com")
    video = published(services, account.user)
    with services.db.write() as db:
        close_account(db=db, user=db.get_one(type(reporter.user), reporter.user.id))
    with pytest.raises(Conflict) as refused:
        file(services, reporter.user, video.id)
    assert refused.value.code == "account_closed"


def test_reports_are_limited_per_day_saying_when_one_may_report_again(tmp_path):
    from support import make_services

    services = make_services(tmp_path, f"sqlite:///{tmp_path / 'cap.db'}", report_daily_limit=2)
    try:
        owner = make_account(services, "ann@example.com")
        reporter = make_account(services, "bob@example.com")
        videos = [published(services, owner.user, f"a cat number {n}") for n in range(4)]
        start = utcnow() - timedelta(hours=23)
        file(services, reporter.user, videos[0].id, now=start)
        file(services, reporter.user, videos[1].id, now=start + timedelta(hours=1))
        with pytest.raises(TooManyRequests) as refused:
            file(services, reporter.user, videos[2].id)
        assert refused.value.code == "report_limit_reached"
        again = (start + timedelta(hours=24)).strftime("%Y-%m-%d %H:%M")
        assert f"after {again} UTC" in refused.value.message
        assert 0 < refused.value.retry_after <= 3600
        # Reporting an open report again is no new report: not refused.
        assert not file(services, reporter.user, videos[0].id).created
        # Once the oldest is a day old, one more may be filed.
        assert file(services, reporter.user, videos[2].id, now=start + timedelta(hours=24)).created
        with pytest.raises(TooManyRequests):
            file(services, reporter.user, videos[3].id, now=start + timedelta(hours=24))
    finally:
        services.close()


# --- the moderators' queue --------------------------------------------------------------------


def test_administrators_see_open_reports_by_video_most_reported_first(services_on, people):
    owner, reporter, admin = people
    others = [make_account(services_on, f"p{n}@example.com") for n in range(2)]
    quiet = published(services_on, owner.user, "a quiet lake")
    loud = published(services_on, owner.user, "a loud party")
    file(services_on, reporter.user, quiet.id, category="spam", note="")
    file(services_on, reporter.user, loud.id, category="violence")
    file(services_on, others[0].user, loud.id, category="violence")
    file(services_on, others[1].user, loud.id, category="harassment", note="mean words")

    with services_on.db.read() as db:
        queue = report_queue(db=db, actor=admin.user)
    assert not queue.has_more
    assert [found.video.id for found in queue.videos] == [loud.id, quiet.id]
    top = queue.videos[0]
    assert top.open_reports == 3
    assert top.categories == {"violence": 2, "harassment": 1}
    assert next(r.note for r in top.reports) == "mean words"  # newest first
    assert top.newest_at == top.reports[0].created_at
    with services_on.db.read() as db:
        assert len(report_queue(db=db, actor=OPERATOR, limit=1).videos) == 1
        assert report_queue(db=db, actor=OPERATOR, limit=1).has_more


def test_the_queue_pages_on_from_a_cursor_without_skipping_or_repeating(services_on, people):
    """Five videos: two with two reports (one reported later), three with one, each page of
    two goes on where the last stopped; a video that gains reports meanwhile moves up and is
    not shown again further down; a damaged cursor is 400 `invalid_cursor`."""
    owner, reporter, admin = people
    second = make_account(services_on, "second@example.com")
    videos = [published(services_on, owner.user, f"a calm sea number {n}") for n in range(5)]
    for video in videos:
        file(services_on, reporter.user, video.id)
    for video in videos[:2]:
        file(services_on, second.user, video.id)

    def page(after=None):
        with services_on.db.read() as db:
            return report_queue(db=db, actor=admin.user, limit=2, after=after)

    first = page()
    assert first.has_more
    assert [found.open_reports for found in first.videos] == [2, 2]
    assert {found.video.id for found in first.videos} == {videos[0].id, videos[1].id}
    assert first.next_cursor is not None
    assert first.next_cursor.startswith("2_")
    middle = page(first.next_cursor)
    third = make_account(services_on, "third@example.com")
    file(services_on, third.user, middle.videos[0].video.id)  # it moves up, out of later pages
    last = page(middle.next_cursor)
    assert (last.has_more, last.next_cursor) == (False, None)
    seen = [found.video.id for p in (first, middle, last) for found in p.videos]
    assert sorted(seen) == sorted(v.id for v in videos)  # each once
    assert [found.open_reports for found in middle.videos + last.videos] == [1, 1, 1]
    for damaged in ("x", "2_", "2_123_user_abc", "1234567890_1_video_abc", "2_1_video_a b"):
        with services_on.db.read() as db, pytest.raises(BadRequest) as refused:
            report_queue(db=db, actor=admin.user, after=damaged)
        assert refused.value.code == "invalid_cursor"


def test_the_queue_shows_a_much_reported_videos_newest_reports_and_counts_them_all(
    services_on, people
):
    """25 open reports: the newest 20 are shown, all 25 are counted, by category."""
    from reelmint.domains.accounts.models import User
    from reelmint.domains.videos.reports import REPORTS_SHOWN_PER_VIDEO

    owner, _reporter, admin = people
    video = published(services_on, owner.user)
    start = utcnow()
    with services_on.db.write() as db:
        for n in range(25):
            person = User(email=f"r{n}@example.com", password_hash="!", display_name=f"R{n}")
            db.add(person)
            db.flush()
            category = "spam" if n % 5 else "violence"
            db.add(
                VideoReport(
                    video_id=video.id,
                    reporter_id=person.id,
                    category=category,
                    note=f"n{n}",
                    created_at=start + timedelta(seconds=n),
                )
            )
    with services_on.db.read() as db:
        [found] = report_queue(db=db, actor=admin.user).videos
    assert found.open_reports == 25
    assert found.categories == {"spam": 20, "violence": 5}
    assert len(found.reports) == REPORTS_SHOWN_PER_VIDEO
    assert [r.note for r in found.reports] == [f"n{n}" for n in range(24, 4, -1)]


def test_a_deleted_videos_reports_leave_the_queue(services, account):
    reporter = make_account(services, "bob@example.com")
    video = published(services, account.user)
    file(services, reporter.user, video.id)
    with services.db.write() as db:
        delete_video(db=db, actor=account.user, video_id=video.id)
        assert report_queue(db=db, actor=OPERATOR).videos == []
    with services.db.read() as db:  # closed, not open for ever, not dismissed; the reporter told
        [report] = db.scalars(select(VideoReport)).all()
        assert (report.status, report.resolution_note) == ("deleted", DELETED_BY_CREATOR)
        assert report.resolved_by is None
    [told] = [n for n in notifications_of(services, reporter) if n.kind == "video_report_closed"]
    assert "Its creator deleted the video you reported" in told.body
    assert notifications_of(services, account) == []  # the owner learns nothing of reports


def test_the_moderators_hear_of_a_videos_first_open_report(services_on, people):
    owner, reporter, admin = people
    other_admin = make_account(services_on, "root2@example.com", role="admin")
    carol = make_account(services_on, "carol@example.com")
    video = published(services_on, owner.user, "a loud parade")
    first = file(services_on, reporter.user, video.id, category="spam").report
    file(services_on, carol.user, video.id, category="violence")  # joins it, unannounced
    file(services_on, reporter.user, video.id)  # the same again: nothing new
    for moderator in (admin, other_admin):
        [told] = notifications_of(services_on, moderator)
        assert (told.kind, told.link) == ("video_reported", "/operator/reports")
        assert "“a loud parade” was reported (spam or misleading)" in told.body
        assert reporter.user.email not in told.body
    assert [n.kind for n in notifications_of(services_on, owner)] == []
    with services_on.db.write() as db:  # once dismissed, a new report is news again
        dismiss_report(db=db, actor=admin.user, report_id=first.id, reason="ok", whole_video=True)
    file(services_on, carol.user, video.id, category="harassment")
    kinds = [n.kind for n in notifications_of(services_on, admin)]
    assert kinds == ["video_reported", "video_reported"]
    own = published(services_on, admin.user, "an admin's own")  # an admin reporting is not told
    file(services_on, other_admin.user, own.id)
    assert len(notifications_of(services_on, other_admin)) == 2
    assert len(notifications_of(services_on, admin)) == 3


def test_a_creator_who_deletes_a_reported_video_and_posts_again_keeps_a_record(services_on, people):
    owner, reporter, admin = people
    carol = make_account(services_on, "carol@example.com")
    first = published(services_on, owner.user, "first try")
    file(services_on, reporter.user, first.id, category="harassment")
    file(services_on, carol.user, first.id, category="harassment")
    with services_on.db.write() as db:
        delete_video(db=db, actor=owner.user, video_id=first.id)
    second = published(services_on, owner.user, "second try")
    file(services_on, reporter.user, second.id, category="harassment")
    with services_on.db.write() as db:
        take_down_video(db=db, actor=admin.user, video_id=second.id, reason="harassment")
    third = published(services_on, owner.user, "third try")
    dismissed = file(services_on, reporter.user, third.id, category="spam").report
    with services_on.db.write() as db:
        dismiss_report(db=db, actor=admin.user, report_id=dismissed.id, reason="not spam")
    again = published(services_on, owner.user, "first try, again")
    newest = file(services_on, carol.user, again.id, category="harassment").report
    clean = published(services_on, reporter.user, "a clean one")
    file(services_on, carol.user, clean.id, category="spam")

    with services_on.db.read() as db:
        queue = {found.video.id: found for found in report_queue(db=db, actor=admin.user).videos}
    assert set(queue) == {again.id, clean.id}  # the deleted video's reports left the queue
    assert queue[again.id].creator_record == CreatorRecord(
        taken_down=1, deleted_while_reported=1, reports_dismissed=1, reports_filed=5
    )
    assert queue[again.id].creator_record.flagged
    assert queue[clean.id].creator_record == CreatorRecord(reports_filed=1)
    assert not queue[clean.id].creator_record.flagged

    with services_on.db.read() as db:
        page = reports_against(db=db, actor=admin.user, user_id=owner.user.id, limit=3)
        shown = [(f.report.video_id, f.report.status) for f in page.reports]
        rest = reports_against(
            db=db, actor=admin.user, user_id=owner.user.id, after=page.next_cursor
        )
        by_id = reports_against(
            db=db, actor=admin.user, user_id=owner.user.id, after=page.reports[-1].report.id
        )
    assert page.reports[0].report.id == newest.id
    assert shown[:3] == [(again.id, "open"), (third.id, "dismissed"), (second.id, "actioned")]
    assert page.has_more
    assert page.record == queue[again.id].creator_record
    assert [(f.report.video_id, f.report.status) for f in rest.reports] == [
        (first.id, "deleted")
    ] * 2
    assert rest.reports[0].video.prompt == "first try"  # a deleted video's prompt stays readable
    assert (rest.has_more, rest.next_cursor) == (False, None)
    assert [f.report.id for f in by_id.reports] == [f.report.id for f in rest.reports]
    assert report_json(rest.reports[0].report)["resolution_note"] == DELETED_BY_CREATOR


def test_a_creators_reports_are_for_administrators_and_refuse_bad_pages(services_on, people):
    owner, reporter, admin = people
    video = published(services_on, owner.user)
    theirs = published(services_on, reporter.user)
    file(services_on, reporter.user, video.id)
    other = file(services_on, owner.user, theirs.id).report
    with services_on.db.read() as db:
        for actor in (owner.user, reporter.user):
            with pytest.raises(Forbidden) as refused:
                reports_against(db=db, actor=actor, user_id=owner.user.id)
            assert refused.value.code == "admin_only"
        cases = (
            ({"user_id": "user_nope"}, NotFound, "user_not_found"),
            ({"user_id": "../etc"}, NotFound, "user_not_found"),
            ({"user_id": owner.user.id, "limit": 0}, BadRequest, "invalid_limit"),
            ({"user_id": owner.user.id, "after": "12_nope"}, BadRequest, "invalid_cursor"),
            ({"user_id": owner.user.id, "after": other.id}, NotFound, "report_not_found"),
        )
        for asked, error, code in cases:
            with pytest.raises(error) as refused:
                reports_against(db=db, actor=admin.user, **asked)
            assert refused.value.code == code
        nobody = reports_against(db=db, actor=OPERATOR, user_id=admin.user.id)
    assert (nobody.reports, nobody.record, nobody.has_more) == ([], CreatorRecord(), False)


def test_only_administrators_list_and_dismiss_reports(services_on, people):
    owner, reporter, _ = people
    video = published(services_on, owner.user)
    report = file(services_on, reporter.user, video.id).report
    for actor in (owner.user, reporter.user):
        with pytest.raises(Forbidden) as refused, services_on.db.write() as db:
            report_queue(db=db, actor=actor)
        assert refused.value.code == "admin_only"
        with pytest.raises(Forbidden) as refused, services_on.db.write() as db:
            dismiss_report(db=db, actor=actor, report_id=report.id, reason="fine")
        assert refused.value.code == "admin_only"
    with services_on.db.read() as db:
        assert db.get_one(VideoReport, report.id).status == "open"


# --- resolving --------------------------------------------------------------------------------


def test_dismissing_tells_the_reporter_why_and_the_owner_nothing(services_on, people):
    owner, reporter, admin = people
    video = published(services_on, owner.user)
    report = file(services_on, reporter.user, video.id).report
    with services_on.db.write() as db:
        done = dismiss_report(
            db=db, actor=admin.user, report_id=report.id, reason="  a parody, allowed  "
        )
    assert [(r.id, r.status, r.resolution_note) for r in done] == [
        (report.id, "dismissed", "a parody, allowed")
    ]
    assert done[0].resolved_by == admin.user.id
    assert done[0].resolved_at is not None
    told = notifications_of(services_on, reporter)
    assert [(n.kind, n.link) for n in told] == [("video_report_dismissed", f"/videos/{video.id}")]
    assert "a parody, allowed" in told[0].body
    assert notifications_of(services_on, owner) == []

    # Again: as the first dismissal left it, nothing more said.
    with services_on.db.write() as db:
        again = dismiss_report(db=db, actor=OPERATOR, report_id=report.id, reason="other")
    assert [(r.resolution_note, r.resolved_by) for r in again] == [
        ("a parody, allowed", admin.user.id)
    ]
    assert len(notifications_of(services_on, reporter)) == 1
    # The reporter may report it again now theirs is resolved.
    assert file(services_on, reporter.user, video.id).created


def test_dismissing_a_videos_reports_at_once(services_on, people):
    owner, reporter, admin = people
    other = make_account(services_on, "cy@example.com")
    video = published(services_on, owner.user)
    elsewhere = published(services_on, owner.user, "a dog runs")
    first = file(services_on, reporter.user, video.id).report
    file(services_on, other.user, video.id, category="spam")
    untouched = file(services_on, other.user, elsewhere.id).report
    with services_on.db.write() as db:
        done = dismiss_report(
            db=db, actor=admin.user, report_id=first.id, reason="fine", whole_video=True
        )
    assert len(done) == 2
    assert {r.status for r in done} == {"dismissed"}
    with services_on.db.read() as db:
        assert db.get_one(VideoReport, untouched.id).status == "open"
        assert [v.video.id for v in report_queue(db=db, actor=admin.user).videos] == [elsewhere.id]
    assert len(notifications_of(services_on, other)) == 1


@pytest.mark.parametrize("reason", ["", "  ", "x" * 501, "a\u202eb"])
def test_a_dismissal_says_why_in_one_line_of_plain_text(services, account, reason):
    reporter = make_account(services, "bob@example.com")
    report = file(services, reporter.user, published(services, account.user).id).report
    with pytest.raises(BadRequest) as refused, services.db.write() as db:
        dismiss_report(db=db, actor=OPERATOR, report_id=report.id, reason=reason)
    assert (refused.value.code, refused.value.param) == ("invalid_reason", "reason")


def test_dismissing_an_unknown_report(services):
    for missing in ("rpt_nope", "../x"):
        with pytest.raises(NotFound) as refused, services.db.write() as db:
            dismiss_report(db=db, actor=OPERATOR, report_id=missing, reason="fine")
        assert refused.value.code == "report_not_found"


def test_a_take_down_actions_the_videos_reports(services_on, people):
    owner, reporter, admin = people
    other = make_account(services_on, "cy@example.com")
    video = published(services_on, owner.user)
    mine = file(services_on, reporter.user, video.id).report
    theirs = file(services_on, other.user, video.id, category="likeness").report
    with services_on.db.write() as db:
        dismiss_report(db=db, actor=admin.user, report_id=theirs.id, reason="looks fine")
    theirs_again = file(services_on, other.user, video.id, category="likeness").report

    with services_on.db.write() as db:
        take_down_video(db=db, actor=admin.user, video_id=video.id, reason="a stranger's face")
    with services_on.db.read() as db:
        rows = {r.id: r for r in db.scalars(select(VideoReport))}
        assert report_queue(db=db, actor=admin.user).videos == []
    assert (rows[mine.id].status, rows[theirs_again.id].status) == ("actioned", "actioned")
    assert rows[mine.id].resolution_note == "a stranger's face"
    assert rows[theirs.id].status == "dismissed"  # resolved before: left as it was
    told = notifications_of(services_on, reporter)
    assert [(n.kind, n.link) for n in told] == [("video_report_actioned", None)]
    assert "a stranger's face" not in told[0].body  # the reason is written for the owner
    # The owner hears of the take-down only, and of no reporter.
    owner_told = notifications_of(services_on, owner)
    assert [n.kind for n in owner_told] == ["video_taken_down"]
    for words in ("Bob", "bob@example.com", reporter.user.id, "report"):
        assert words not in owner_told[0].title + owner_told[0].body

    with pytest.raises(Conflict) as refused, services_on.db.write() as db:
        dismiss_report(db=db, actor=admin.user, report_id=mine.id, reason="fine")
    assert refused.value.code == "report_actioned"


# --- closure and export -----------------------------------------------------------------------


def test_a_closed_reporters_reports_stay_without_their_words(services_on, people):
    owner, reporter, admin = people
    video = published(services_on, owner.user)
    report = file(services_on, reporter.user, video.id).report
    with services_on.db.write() as db:
        close_account(db=db, user=db.get_one(type(reporter.user), reporter.user.id))
    with services_on.db.read() as db:
        row = db.get_one(VideoReport, report.id)
        assert (row.status, row.note, row.category) == ("open", "", "rights")
    with services_on.db.write() as db:  # resolving it tells a closed account nothing
        dismiss_report(db=db, actor=admin.user, report_id=report.id, reason="fine")
    assert notifications_of(services_on, reporter) == []


def test_closing_the_owners_account_with_reported_videos(services_on, people):
    owner, reporter, admin = people
    video = published(services_on, owner.user)
    file(services_on, reporter.user, video.id)
    with services_on.db.write() as db:
        close_account(db=db, user=db.get_one(type(owner.user), owner.user.id))
    with services_on.db.read() as db:
        assert report_queue(db=db, actor=admin.user).videos == []


def test_a_deleted_video_row_takes_its_reports_with_it(services_on, people):
    owner, reporter, _ = people
    video = published(services_on, owner.user)
    file(services_on, reporter.user, video.id)
    with services_on.db.write() as db:
        db.delete(db.get_one(Video, video.id))
    with services_on.db.read() as db:
        assert db.scalars(select(VideoReport)).all() == []


def test_ones_reports_are_in_ones_export(services, account, tmp_path):
    reporter = make_account(services, "bob@example.com")
    video = published(services, account.user)
    report = file(services, reporter.user, video.id).report
    with services.db.write() as db:
        dismiss_report(db=db, actor=OPERATOR, report_id=report.id, reason="a parody")
    target = tmp_path / "export.zip"
    write_export(services=services, user_id=reporter.user.id, target=target)
    with zipfile.ZipFile(target) as archive:
        document = json.loads(archive.read("account.json"))
    [shown] = document["reports"]
    assert (shown["id"], shown["video_id"], shown["category"], shown["note"]) == (
        report.id,
        video.id,
        "rights",
        NOTE,
    )
    assert (shown["status"], shown["resolution_note"]) == ("dismissed", "a parody")
    assert isinstance(shown["created_at"], int)
    assert isinstance(shown["resolved_at"], int)
    assert "reporter_id" not in shown
    assert "resolved_by" not in shown
    # The owner's export names no reporter.
    write_export(services=services, user_id=account.user.id, target=target)
    with zipfile.ZipFile(target) as archive:
        owners = archive.read("account.json").decode()
    assert json.loads(owners)["reports"] == []
    assert reporter.user.id not in owners


# --- the API ----------------------------------------------------------------------------------


def test_the_report_endpoints(client, services, account):
    reporter = make_account(services, "bob@example.com")
    admin = make_account(services, "root@example.com", role="admin")
    video = published(services, account.user)
    path = f"/v1/videos/{video.id}/reports"
    body = {"category": "likeness", "note": "my face"}

    assert client.post(path, json=body).status_code == 401
    own = client.post(path, headers=account.headers, json=body)
    assert (own.status_code, own.json()["error"]["code"]) == (403, "cannot_report_own_video")
    for bad, code in (
        ({"category": "nope"}, "invalid_category"),
        ({"category": "x" * 300}, "invalid_category"),  # the documented code, however long
        ({"category": "spam", "note": "a\u200bb"}, "invalid_note"),
        ({"category": "spam", "extra": 1}, "unknown_parameter"),
    ):
        refused = client.post(path, headers=reporter.headers, json=bad)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == code
    missing = client.post("/v1/videos/video_nope/reports", headers=reporter.headers, json=body)
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "video_not_found")

    made = client.post(path, headers=reporter.headers, json=body)
    assert made.status_code == 201, made.text
    shown = made.json()
    assert (shown["object"], shown["category"], shown["note"], shown["status"]) == (
        "video.report",
        "likeness",
        "my face",
        "open",
    )
    assert "reporter_id" not in shown
    again = client.post(path, headers=reporter.headers, json={"category": "spam"})
    assert (again.status_code, again.json()) == (200, shown)

    # The owner's view of the video names no reporter.
    mine = client.get(f"/v1/videos/{video.id}", headers=account.headers).text
    assert reporter.user.id not in mine
    assert "report" not in mine

    queue_path = "/v1/admin/reports"
    for who in (reporter, account):
        refused = client.get(queue_path, headers=who.headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")
    queue = client.get(queue_path, headers=admin.headers).json()
    assert (queue["has_more"], queue["next_cursor"]) == (False, None)
    damaged = client.get(f"{queue_path}?after=2_x", headers=admin.headers)
    assert (damaged.status_code, damaged.json()["error"]["code"]) == (400, "invalid_cursor")
    [entry] = queue["data"]
    assert (entry["video_id"], entry["open_reports"], entry["categories"]) == (
        video.id,
        1,
        {"likeness": 1},
    )
    assert entry["reports"][0]["reporter_id"] == reporter.user.id
    assert entry["creator_record"] == {
        "taken_down": 0,
        "deleted_while_reported": 0,
        "reports_dismissed": 0,
        "reports_filed": 1,
    }

    against_path = f"/v1/admin/users/{account.user.id}/reports"
    refused = client.get(against_path, headers=reporter.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")
    for bad, status, code in (
        ("/v1/admin/users/user_nope/reports", 404, "user_not_found"),
        (f"{against_path}?after=1_x", 400, "invalid_cursor"),
        (f"{against_path}?limit=0", 400, "invalid_limit"),
    ):
        refused = client.get(bad, headers=admin.headers)
        assert (refused.status_code, refused.json()["error"]["code"]) == (status, code), bad
    against = client.get(against_path, headers=admin.headers).json()
    assert (against["user_id"], against["record"]) == (account.user.id, entry["creator_record"])
    [listed] = against["data"]
    assert (listed["id"], listed["status"], listed["reporter_id"]) == (
        shown["id"],
        "open",
        reporter.user.id,
    )
    assert (listed["video_state"], listed["video_prompt"]) == ("public", "a cat sleeps on a sofa")
    assert (against["has_more"], against["next_cursor"]) == (False, None)

    dismiss_path = f"/v1/admin/reports/{shown['id']}/dismiss"
    for who, payload in ((reporter, {"reason": "fine"}), (reporter, {"nope": 1})):
        refused = client.post(dismiss_path, headers=who.headers, json=payload)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")
    blank = client.post(dismiss_path, headers=admin.headers, json={"reason": " "})
    assert (blank.status_code, blank.json()["error"]["code"]) == (400, "invalid_reason")
    nowhere = client.post(
        "/v1/admin/reports/rpt_nope/dismiss", headers=admin.headers, json={"reason": "fine"}
    )
    assert (nowhere.status_code, nowhere.json()["error"]["code"]) == (404, "report_not_found")
    done = client.post(dismiss_path, headers=admin.headers, json={"reason": "not her face"})
    assert done.status_code == 200, done.text
    [dismissed] = done.json()["data"]
    assert (dismissed["status"], dismissed["resolution_note"]) == ("dismissed", "not her face")
    assert client.get(queue_path, headers=admin.headers).json()["data"] == []


def test_the_report_limit_over_the_api(tmp_path):
    from fastapi.testclient import TestClient

    from support import app_serving, make_services

    services = make_services(tmp_path, f"sqlite:///{tmp_path / 'cap.db'}", report_daily_limit=1)
    try:
        owner = make_account(services, "ann@example.com")
        reporter = make_account(services, "bob@example.com")
        first = published(services, owner.user)
        second = published(services, owner.user, "a dog runs")
        body = {"category": "spam"}
        with TestClient(app_serving(services)) as client:
            path = f"/v1/videos/{first.id}/reports"
            assert client.post(path, headers=reporter.headers, json=body).status_code == 201
            path = f"/v1/videos/{second.id}/reports"
            refused = client.post(path, headers=reporter.headers, json=body)
        error = refused.json()["error"]
        assert (refused.status_code, error["code"]) == (429, "report_limit_reached")
        assert int(refused.headers["Retry-After"]) > 0
        assert "you can report again after" in error["message"]
    finally:
        services.close()
