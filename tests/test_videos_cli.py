"""`reelmint admin videos take-down`: the operator takes a published video down, saying why;
`reelmint admin reports list / dismiss / against`: the users' reports of videos. Bad input is
one line on stderr and exit 2."""

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
        assert head.split("\t")[4:7] == [
            "public",
            owner.id,
            "0 videos taken down, 0 videos deleted while reported, 0 reports dismissed, "
            "1 report in all",
        ]
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

        damaged = cli("admin", "reports", "list", "--after", "1_nonsense")
        assert (damaged.code, damaged.out) == (2, "")
        assert "the report queue cursor is not valid" in damaged.err
        assert len(damaged.err.strip().splitlines()) == 1
        done = cli("admin", "reports", "dismiss", report_id, "--reason", "a fair sale", "--all")
        assert done.code == 0, done.err
        assert done.out == f"{report_id} dismissed: a fair sale\n"
        assert cli("admin", "reports", "list").out == "no open reports\n"
        with services.db.read() as db:
            query = select(Notification.kind).where(Notification.user_id == reporter_id)
            assert db.scalars(query).all() == ["video_report_dismissed"]

        against = cli("admin", "reports", "against", "ann@example.com")
        assert against.code == 0, against.err
        record, listed_line = against.out.splitlines()
        assert record == (
            f"{owner.id}: 0 videos taken down, 0 videos deleted while reported, "
            "1 report dismissed, 1 report in all"
        )
        assert listed_line.split("\t")[:1] + listed_line.split("\t")[2:] == [
            report_id,
            "spam",
            "dismissed",
            video_id,
            "public",
            "a cat sleeps",
            "sells something",
        ]
        assert cli("admin", "reports", "against", owner.id).out == against.out
        for args, words in (
            (("nobody@example.com",), "no account with email nobody@example.com"),
            (("user_nope",), "no user 'user_nope'"),
            ((owner.id, "--after", "1_x"), "the reports cursor is not valid"),
        ):
            refused = cli("admin", "reports", "against", *args)
            assert (refused.code, refused.out) == (2, ""), args
            assert len(refused.err.strip().splitlines()) == 1
            assert words in refused.err
    finally:
        services.close()


def test_the_job_queue_from_the_command_line(cli, data_dir):
    assert cli("migrate").code == 0
    made = cli("admin", "create-user", "ann@example.com", "--password", "a long password")
    assert made.code == 0
    assert cli("admin", "jobs", "list").out.strip() == "no jobs queued or running"
    services = build_services(Settings(data_dir=data_dir))
    try:
        with services.db.write() as db:
            owner = find_user(db=db, email="ann@example.com")
            ids = [_queued(services, db, owner, seed) for seed in (1, 2, 3)]

        listed = cli("admin", "jobs", "list")
        assert listed.code == 0, listed.err
        lines = listed.out.splitlines()
        assert lines[0].startswith("preview: 3 queued, 0 running, oldest queued ")
        assert [line.split("\t")[0] for line in lines[1:]] == ids
        assert lines[1].split("\t")[1:6] == ["queued", "preview", owner.id, "free", "1 unit"]
        assert "(more jobs: --limit 2)" in cli("admin", "jobs", "list", "--limit", "1").out

        done = cli("admin", "jobs", "cancel", ids[0], "--reason", REASON)
        assert done.code == 0, done.err
        assert done.out.strip() == f"{ids[0]} cancelled: 1 unit back to its owner"
        every = cli("admin", "jobs", "cancel", "--backend", "preview", "--reason", REASON)
        assert every.out.splitlines() == [
            f"{video_id} cancelled: 1 unit back to its owner" for video_id in ids[1:]
        ]
        none = cli("admin", "jobs", "cancel", "--backend", "preview", "--reason", REASON)
        assert none.out.strip() == "no unfinished jobs of preview to cancel"
        with services.db.read() as db:
            query = select(Notification.kind).where(Notification.user_id == owner.id)
            assert db.scalars(query).all() == ["video_cancelled_by_operators"] * 3

        for args, words in (
            (("--reason", REASON), "give the job's id (video_...) or --backend NAME"),
            ((ids[0], "--backend", "preview", "--reason", REASON), "not both"),
            ((ids[0], "--reason", REASON), "only queued or running jobs can be cancelled"),
            (("video_nope", "--reason", REASON), "no video video_nope"),
            ((ids[0],), "say why the job is cancelled"),
        ):
            refused = cli("admin", "jobs", "cancel", *args)
            assert (refused.code, refused.out) == (2, ""), args
            assert len(refused.err.strip().splitlines()) == 1
            assert words in refused.err
    finally:
        services.close()


def _queued(services, db, owner, seed: int) -> str:
    admission = check_video_request(
        settings=services.settings,
        request=VideoRequest(prompt="a cat sleeps", seconds=4, size="480x480", seed=seed),
    )
    video = admit_video(db=db, settings=services.settings, user=owner, admission=admission)
    video.queue_key = float(seed)  # the order the workers take them
    db.flush()
    return video.id
