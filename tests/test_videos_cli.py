"""`reelmint admin videos take-down`: the operator takes a published video down, saying why;
`reelmint admin reports list / dismiss`: the users' reports of videos. Bad input is one line on
stderr and exit 2."""

from __future__ import annotations

from sqlalchemy import select

from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.domains.accounts.service import find_user
from reelmint.domains.notifications.models import Notification
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, admit_video, check_video_request

REASON = "It shows a real person's face without their consent"


def test_take_down_from_the_command_line(cli, data_dir):
    assert cli("migrate").code == 0
    made = cli("admin", "create-user", "ann@example.com", "--password", "a long password")
    assert made.code == 0
    services = build_services(Settings(data_dir=data_dir))
    try:
        with services.db.write() as db:
            owner = find_user(db=db, email="ann@example.com")
            admission = check_video_request(
                settings=services.settings,
                request=VideoRequest(prompt="a cat sleeps", seconds=4, size="480x480", seed=3),
            )
            video = admit_video(db=db, settings=services.settings, user=owner, admission=admission)
            video.status, video.published_at = "completed", video.created_at
            video_id, owner_id = video.id, owner.id

        done = cli("admin", "videos", "take-down", video_id, "--reason", REASON)
        assert done.code == 0, done.err
        assert done.out.startswith(f"{video_id} taken down on ")
        assert REASON in done.out
        again = cli("admin", "videos", "take-down", video_id, "--reason", "another")
        assert (again.code, again.out) == (0, done.out)
        with services.db.read() as db:
            row = db.get(Video, video_id)
            assert (row.published_at, row.taken_down_by, row.taken_down_reason) == (
                None,
                "operator",
                REASON,
            )
            query = select(Notification.kind).where(Notification.user_id == owner_id)
            assert db.scalars(query).all() == ["video_taken_down"]

        for args, words in (
            (("video_nope", "--reason", REASON), "no video video_nope"),
            ((video_id, "--reason", " "), "say why the video is taken down"),
        ):
            refused = cli("admin", "videos", "take-down", *args)
            assert (refused.code, refused.out) == (2, "")
            assert len(refused.err.strip().splitlines()) == 1
            assert words in refused.err
    finally:
        services.close()


def test_reports_from_the_command_line(cli, data_dir):
    from reelmint.domains.videos.reports import report_video

    assert cli("migrate").code == 0
    for email in ("ann@example.com", "bob@example.com"):
        assert cli("admin", "create-user", email, "--password", "a long password").code == 0
    services = build_services(Settings(data_dir=data_dir))
    try:
        with services.db.write() as db:
            owner = find_user(db=db, email="ann@example.com")
            reporter = find_user(db=db, email="bob@example.com")
            admission = check_video_request(
                settings=services.settings,
                request=VideoRequest(prompt="a cat sleeps", seconds=4, size="480x480", seed=3),
            )
            video = admit_video(db=db, settings=services.settings, user=owner, admission=admission)
            video.status, video.published_at = "completed", video.created_at
            db.flush()
            filed = report_video(
                db=db,
                settings=services.settings,
                actor=reporter,
                video_id=video.id,
                category="spam",
                note="sells something",
            )
            video_id, report_id, reporter_id = video.id, filed.report.id, reporter.id

        listed = cli("admin", "reports", "list")
        assert listed.code == 0, listed.err
        head, line = listed.out.splitlines()
        assert head.split("\t")[:3] == [video_id, "1 open", "spam 1"]
        assert head.split("\t")[4] == "public"
        assert "a cat sleeps" in head
        assert cli("admin", "suspend", "ann@example.com", "--reason", "spam").code == 0
        head = cli("admin", "reports", "list").out.splitlines()[0]
        assert head.split("\t")[4] == "creator suspended"  # nobody else sees it now
        assert cli("admin", "reinstate", "ann@example.com").code == 0
        assert line.split("\t")[1:] == [
            report_id,
            line.split("\t")[2],
            "spam",
            reporter_id,
            "sells something",
        ]

        for args, words in (
            (("rpt_nope", "--reason", "fine"), "no report rpt_nope"),
            ((report_id, "--reason", " "), "say why the report is dismissed"),
            ((report_id, "--reason", "a\u202eb"), "control or invisible character"),
        ):
            refused = cli("admin", "reports", "dismiss", *args)
            assert (refused.code, refused.out) == (2, "")
            assert len(refused.err.strip().splitlines()) == 1
            assert words in refused.err

        done = cli("admin", "reports", "dismiss", report_id, "--reason", "a fair sale", "--all")
        assert done.code == 0, done.err
        assert done.out == f"{report_id} dismissed: a fair sale\n"
        assert cli("admin", "reports", "list").out == "no open reports\n"
        with services.db.read() as db:
            query = select(Notification.kind).where(Notification.user_id == reporter_id)
            assert db.scalars(query).all() == ["video_report_dismissed"]
    finally:
        services.close()
