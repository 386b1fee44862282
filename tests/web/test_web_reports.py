"""The Report form on a public video's page, and the operator's Reports page: administrators
see the reported videos, link to each one's take-down form, and dismiss its reports."""

from __future__ import annotations

import html

from sqlalchemy import select
from web_helpers import make_video, sign_in

from reelmint.domains.notifications.models import Notification
from reelmint.domains.videos.models import VideoReport
from support import make_account


def reports_of(services) -> list[VideoReport]:
    with services.db.read() as db:
        return list(db.scalars(select(VideoReport).order_by(VideoReport.created_at)))


def test_a_signed_in_viewer_reports_a_video_from_its_page(services, client, account):
    video = make_video(services, account.user, prompt="A green frog sings", published=True)
    page = f"/videos/{video.id}"
    assert 'data-testid="report-form"' not in client.get(page).text  # signed out
    owner = sign_in(services, client, account)
    assert 'data-testid="report-form"' not in owner.get(page).text  # their own

    viewer = sign_in(services, client, make_account(services, "bob@example.com"))
    assert 'data-testid="report-form"' in viewer.get(page).text
    without_token = viewer.post(f"{page}/report", {"csrf_token": "", "category": "spam"})
    assert without_token.status_code == 403
    refused = viewer.post(f"{page}/report", {"category": "spam", "note": "hidden\u200bword"})
    assert refused.status_code == 400
    text = html.unescape(refused.text)
    assert "The video was not reported." in text
    assert "control or invisible character" in text
    assert 'value="spam" selected' in refused.text
    assert reports_of(services) == []

    done = viewer.post(f"{page}/report", {"category": "likeness", "note": "  my  face "})
    assert (done.status_code, done.headers["location"]) == (303, page)
    [report] = reports_of(services)
    assert (report.category, report.note, report.status) == ("likeness", "my face", "open")
    after = viewer.get(page).text
    assert 'data-testid="reported"' in after
    assert 'data-testid="report-form"' not in after
    again = viewer.post(f"{page}/report", {"category": "spam"})
    assert again.status_code == 303
    assert len(reports_of(services)) == 1

    owner = sign_in(services, client, account)  # the owner's page names no reporter
    assert "bob@example.com" not in owner.get(page).text
    assert "You reported" not in owner.get(page).text


def test_administrators_work_through_the_reports_page(services, client, account):
    admin = make_account(services, "root@example.com", role="admin")
    bob = make_account(services, "bob@example.com", display_name="Bob Reporter")
    video = make_video(services, account.user, prompt="A blue whale dives", published=True)
    viewer = sign_in(services, client, bob)
    assert viewer.get("/operator/reports").status_code == 403
    viewer.post(f"/videos/{video.id}/report", {"category": "violence", "note": "gore at 0:02"})
    [report] = reports_of(services)

    moderator = sign_in(services, client, admin)
    page = moderator.get("/operator/reports")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'href="/operator/reports" aria-current="page">Reports' in page.text
    assert f'data-video="{video.id}"' in page.text
    assert "1 open report" in text
    assert "gore at 0:02" in text
    assert "Bob Reporter" in text
    assert f'href="/videos/{video.id}#take-down-reason"' in page.text
    assert 'id="take-down-reason"' in moderator.get(f"/videos/{video.id}").text

    refused = moderator.post(f"/operator/reports/{report.id}/dismiss", {"reason": " ", "all": "1"})
    assert refused.status_code == 400
    assert "Nothing was dismissed." in refused.text
    done = moderator.post(
        f"/operator/reports/{report.id}/dismiss", {"reason": "it is a film prop", "all": "1"}
    )
    assert (done.status_code, done.headers["location"]) == (303, "/operator/reports")
    assert reports_of(services)[0].status == "dismissed"
    assert 'data-role="no-reports"' in moderator.get("/operator/reports").text
    with services.db.read() as db:
        told = db.scalars(select(Notification).where(Notification.user_id == bob.user.id)).all()
    assert [n.kind for n in told] == ["video_report_dismissed"]
    assert "it is a film prop" in told[0].body


def test_the_reports_page_pages_on_through_the_queue(services, client, account, monkeypatch):
    from reelmint.web import report_pages

    monkeypatch.setattr(report_pages, "VIDEOS_SHOWN", 1)
    admin = make_account(services, "root@example.com", role="admin")
    bob = make_account(services, "bob@example.com")
    cat = make_video(services, account.user, prompt="A cat naps", published=True)
    dog = make_video(services, account.user, prompt="A dog runs", published=True)
    viewer = sign_in(services, client, bob)
    for video in (cat, dog):
        viewer.post(f"/videos/{video.id}/report", {"category": "spam", "note": ""})
    moderator = sign_in(services, client, admin)
    first = moderator.get("/operator/reports").text
    assert 'data-role="reports-first"' not in first
    more = first.index('data-role="reports-more"')
    link = html.unescape(first[first.rindex('href="', 0, more) + 6 : more - 2])
    assert link.startswith("/operator/reports?after=")
    shown_first = cat.id if f'data-video="{cat.id}"' in first else dog.id
    second = moderator.get(link).text
    other = dog.id if shown_first == cat.id else cat.id
    assert f'data-video="{other}"' in second
    assert f'data-video="{shown_first}"' not in second
    assert 'data-role="reports-more"' not in second
    assert 'href="/operator/reports" data-role="reports-first"' in second
    page = link.split("after=", 1)[1]
    assert f'name="page" value="{page}"' in html.unescape(second)
    [reported] = [r for r in reports_of(services) if r.video_id == other]
    refused = moderator.post(
        f"/operator/reports/{reported.id}/dismiss", {"reason": " ", "all": "1", "page": page}
    )
    assert refused.status_code == 400
    assert f'data-video="{other}"' in refused.text  # still the second page
    assert f'data-video="{shown_first}"' not in refused.text
    done = moderator.post(
        f"/operator/reports/{reported.id}/dismiss", {"reason": "fine", "all": "1", "page": page}
    )
    assert done.headers["location"] == link
    damaged = moderator.get("/operator/reports?after=nonsense")
    assert damaged.status_code == 200
    assert f'data-video="{shown_first}"' in damaged.text  # the top of the queue


def test_a_take_down_from_the_video_page_actions_its_reports(services, client, account):
    admin = make_account(services, "root@example.com", role="admin")
    video = make_video(services, account.user, prompt="A red kite flies", published=True)
    viewer = sign_in(services, client, make_account(services, "bob@example.com"))
    viewer.post(f"/videos/{video.id}/report", {"category": "rights"})
    moderator = sign_in(services, client, admin)
    done = moderator.post(f"/videos/{video.id}/take-down", {"reason": "a studio's character"})
    assert done.status_code == 303
    assert [r.status for r in reports_of(services)] == ["actioned"]
    assert 'data-role="no-reports"' in moderator.get("/operator/reports").text


def test_all_set_to_no_dismisses_only_the_one_report(services, client, account):
    """`all` is a yes/no field: "0" (or "false") dismisses the one report, not its video's."""
    admin = make_account(services, "root@example.com", role="admin")
    video = make_video(services, account.user, prompt="A blue whale dives", published=True)
    for email in ("bob@example.com", "cy@example.com"):
        reporter = sign_in(services, client, make_account(services, email))
        reporter.post(f"/videos/{video.id}/report", {"category": "violence"})
    first = reports_of(services)[0]
    moderator = sign_in(services, client, admin)
    done = moderator.post(f"/operator/reports/{first.id}/dismiss", {"reason": "ok", "all": "0"})
    assert done.status_code == 303
    assert sorted(r.status for r in reports_of(services)) == ["dismissed", "open"]


def test_a_creator_who_deleted_a_reported_video_shows_their_record(services, client, account):
    """Deleting a reported video and posting again leaves a trace the moderators see."""
    admin = make_account(services, "root@example.com", role="admin")
    first = make_video(services, account.user, prompt="A rude first try", published=True)
    again = make_video(services, account.user, prompt="A rude second try", published=True)
    reporter = sign_in(services, client, make_account(services, "bob@example.com"))
    reporter.post(f"/videos/{first.id}/report", {"category": "harassment", "note": "mean"})
    owner = sign_in(services, client, account)
    assert owner.post(f"/videos/{first.id}/delete", {"confirm": "yes"}).status_code == 303
    reporter = sign_in(services, client, make_account(services, "cy@example.com"))
    reporter.post(f"/videos/{again.id}/report", {"category": "harassment"})
    assert reporter.get(f"/operator/reports/creators/{account.user.id}").status_code == 403

    moderator = sign_in(services, client, admin)
    text = html.unescape(moderator.get("/operator/reports").text)
    assert f'data-video="{first.id}"' not in text
    assert "1 video deleted while reported" in text
    creator_page = f"/operator/reports/creators/{account.user.id}"
    assert f'href="{creator_page}"' in text
    page = moderator.get(creator_page)
    assert page.status_code == 200
    shown = html.unescape(page.text)
    assert "2 reports in all" in shown
    assert shown.index("A rude second try") < shown.index("A rude first try")  # newest first
    assert "deleted by its creator" in shown
    assert "mean" in shown
    assert 'data-status="deleted"' in page.text
    assert f'href="/videos/{first.id}"' not in page.text  # nothing left to watch
    assert moderator.get("/operator/reports/creators/user_nope").status_code == 404
    for damaged in ("1_x", "zzz", "rpt_gone"):  # the newest page, as from the queue
        again = moderator.get(f"{creator_page}?older={damaged}")
        assert again.status_code == 200
        assert "A rude second try" in html.unescape(again.text)
