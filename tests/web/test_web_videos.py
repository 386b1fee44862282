"""My drafts, the video page with its provenance, and the buttons that change a video."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select
from web_helpers import make_signed_clip, make_video, sign_in

from reelmint.db.base import utcnow
from reelmint.domains.videos.models import Video
from reelmint.web import provenance
from support import make_account


@pytest.fixture(scope="module")
def signed_clip(tmp_path_factory, keys_dir) -> tuple[Path, Path]:
    return make_signed_clip(tmp_path_factory.mktemp("clip"), keys_dir)


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def reread(services, video: Video) -> Video:
    with services.db.read() as db:
        return db.get(Video, video.id)


# --- My drafts ------------------------------------------------------------------------------


def test_drafts_show_each_state_with_its_controls(services, browser, account):
    queued = make_video(services, account.user, prompt="A queued cat", status="queued")
    running = make_video(services, account.user, prompt="A running dog", status="in_progress")
    done = make_video(services, account.user, prompt="A finished bus")
    failed = make_video(services, account.user, prompt="A failed boat", status="failed")
    html = browser.get("/drafts").text
    cards = {
        video.id: re.search(
            rf'<li class="card draft" id="{video.id}">.*?</li>\s*(?=<li|</ul>)', html, re.S
        ).group(0)
        for video in (queued, running, done, failed)
    }
    for video in (queued, running):  # live progress, a refresh fallback, and Cancel
        card = cards[video.id]
        assert f'data-video-id="{video.id}"' in card
        assert re.search(r'<progress max="100" value="\d+"', card)
        assert 'aria-live="polite"' in card
        assert 'href="/drafts"' in card
        assert f'action="/videos/{video.id}/cancel"' in card
        assert "<video" not in card
    assert 'value="40"' in cards[running.id]
    assert "<video" in cards[done.id]
    assert f'action="/videos/{done.id}/publish"' in cards[done.id]
    assert "/cancel" not in cards[done.id]
    assert "The backend crashed; try again" in cards[failed.id]
    assert "/publish" not in cards[failed.id]
    for card in cards.values():
        assert "data-confirm=" in card  # Delete asks first
        assert "/delete" in card


def test_drafts_show_only_my_videos(services, browser, account):
    mine = make_video(services, account.user, prompt="My own red car")
    other = make_account(services, "grace@example.com")
    theirs = make_video(services, other.user, prompt="Someone else's green car", published=True)
    html = browser.get("/drafts").text
    assert mine.id in html
    assert theirs.id not in html


def test_drafts_page_to_older_videos(services, browser, account, monkeypatch):
    from reelmint.web import video_pages

    monkeypatch.setattr(video_pages, "DRAFTS_PAGE", 1)
    older = make_video(services, account.user, prompt="First")
    newer = make_video(services, account.user, prompt="Second")
    first = browser.get("/drafts").text
    assert newer.id in first
    assert older.id not in first
    link = re.search(r'href="(/drafts\?after=[^"]+)"', first).group(1)
    second = browser.get(link).text
    assert older.id in second
    assert newer.id not in second


# --- the video page -------------------------------------------------------------------------


def test_a_published_video_page_is_public_with_valid_provenance(
    services, client, account, signed_clip
):
    video = make_video(services, account.user, published=True, files=signed_clip)
    page = client.get(f"/videos/{video.id}")  # nobody is signed in
    assert page.status_code == 200
    html = page.text
    assert f'src="/v1/videos/{video.id}/content"' in html
    status = re.search(r'data-testid="provenance-status">(\w+)<', html)
    assert status.group(1) == "valid"
    for fact in ("Generator", "reelmint", "Signer", "Source type", "algorithmic", "Prompt SHA-256"):
        assert fact in html
    assert re.search(r'class="hash">[0-9a-f]{64}<', html)
    # Facts of the job and of its storyboard.
    for fact in ("preview", "480x480", "4 s", "<code>7</code>", "Shot 1", "Camera", "Setting"):
        assert fact in html
    assert "/publish" not in html  # only the owner gets the buttons
    assert "/delete" not in html


def test_a_changed_file_shows_as_tampered(services, browser, account, signed_clip, tmp_path):
    damaged = tmp_path / "damaged.mp4"
    shutil.copyfile(signed_clip[0], damaged)
    data = bytearray(damaged.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)  # inside the media data
    damaged.write_bytes(bytes(data))
    video = make_video(services, account.user, files=(damaged, signed_clip[1]))
    html = browser.get(f"/videos/{video.id}").text
    assert re.search(r'data-testid="provenance-status">(\w+)<', html).group(1) == "tampered"


def test_a_verdict_is_remembered_for_a_while_then_checked_again(
    services, browser, account, signed_clip, tmp_path, monkeypatch
):
    """A popular video is not downloaded and verified at every view; a file replaced in
    storage shows as such once the verdict is older than VERIFIED_FOR."""
    now = [1000.0]
    monkeypatch.setattr(provenance, "_verdicts", provenance._Verdicts(clock=lambda: now[0]))
    downloads: list[str] = []
    real_download = services.storage.download

    def counting(key, target):
        downloads.append(key)
        return real_download(key, target)

    monkeypatch.setattr(services.storage, "download", counting)
    video = make_video(services, account.user, files=signed_clip)

    def status() -> str:
        html = browser.get(f"/videos/{video.id}").text
        return re.search(r'data-testid="provenance-status">(\w+)<', html).group(1)

    assert [status(), status()] == ["valid", "valid"]
    assert downloads == [video.video_key]  # verified once
    damaged = tmp_path / "damaged.mp4"
    data = bytearray(signed_clip[0].read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    damaged.write_bytes(bytes(data))
    services.storage.put_file(video.video_key, damaged, content_type="video/mp4")
    now[0] += provenance.VERIFIED_FOR - 1
    assert status() == "valid"  # remembered
    now[0] += 1
    assert status() == "tampered"  # checked again
    assert len(downloads) == 2


def test_a_missing_file_is_said_plainly(services, browser, account):
    video = make_video(services, account.user)  # a completed row whose file is not stored
    html = browser.get(f"/videos/{video.id}").text
    assert re.search(r'data-testid="provenance-status">(\w+)<', html).group(1) == "missing"


def test_the_owner_sees_controls_and_live_progress(services, browser, account):
    video = make_video(services, account.user, status="in_progress", prompt='A dog says "hi!"')
    html = browser.get(f"/videos/{video.id}").text
    assert f'data-video-id="{video.id}"' in html
    assert f'action="/videos/{video.id}/cancel"' in html
    assert "Provenance" not in html  # nothing to verify yet


def test_another_users_draft_is_not_found(services, browser):
    other = make_account(services, "grace@example.com")
    draft = make_video(services, other.user, prompt="Grace's secret draft")
    for path in (f"/videos/{draft.id}", "/videos/video_doesnotexist"):
        response = browser.get(path)
        assert response.status_code == 404
        assert "Grace's secret draft" not in response.text
        assert "video_not_found" in response.text


def test_an_admin_sees_a_draft_without_like_remix_or_extend(services, client, account):
    admin = sign_in(services, client, make_account(services, "admin@example.com", role="admin"))
    draft = make_video(services, account.user, prompt="A private draft")
    html = admin.get(f"/videos/{draft.id}").text
    assert "A private draft" in html
    for control in (f"/videos/{draft.id}/like", f"/create?remix={draft.id}", "/extend"):
        assert control not in html
    assert admin.get(f"/create?remix={draft.id}").status_code == 404
    made = admin.post("/create", {"prompt": "A dog runs on a beach", "remix": draft.id})
    assert made.status_code == 404
    with services.db.read() as db:
        assert db.scalars(select(Video).where(Video.remixed_from_video_id == draft.id)).all() == []
    with services.db.write() as db:
        db.get(Video, draft.id).published_at = utcnow()
    html = admin.get(f"/videos/{draft.id}").text
    assert f"/videos/{draft.id}/like" in html
    assert f"/create?remix={draft.id}" in html


def test_an_unpublished_video_is_hidden_from_visitors(services, client, account):
    video = make_video(services, account.user)
    assert client.get(f"/videos/{video.id}").status_code == 404


# --- changing a video -----------------------------------------------------------------------


def test_publish_and_unpublish(services, browser, account, client):
    video = make_video(services, account.user, prompt="A purple train crosses a bridge")
    response = browser.post(f"/videos/{video.id}/publish", {"next": f"/videos/{video.id}"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/videos/{video.id}"
    assert reread(services, video).published_at is not None
    assert "Published: the video is now in the public feed" in browser.get("/drafts").text
    assert video.id in browser.get("/").text
    response = browser.post(f"/videos/{video.id}/unpublish", {"next": "https://evil.example"})
    assert response.headers["location"] == "/drafts"
    assert reread(services, video).published_at is None
    assert video.id not in browser.get("/").text


def test_an_unfinished_video_cannot_be_published(services, browser, account):
    video = make_video(services, account.user, status="queued")
    response = browser.post(f"/videos/{video.id}/publish")
    assert response.status_code == 409
    assert "only completed videos" in response.text
    assert reread(services, video).published_at is None


def test_cancel_a_queued_video(services, browser, account):
    video = make_video(services, account.user, status="queued")
    response = browser.post(f"/videos/{video.id}/cancel")
    assert response.status_code == 303
    assert reread(services, video).status == "cancelled"


def test_delete_asks_first_then_removes_the_video_and_its_files(
    services, browser, account, signed_clip
):
    video = make_video(services, account.user, published=True, files=signed_clip)
    ask = browser.post(f"/videos/{video.id}/delete")  # no script: the server asks
    assert ask.status_code == 200
    assert 'name="confirm" value="yes"' in ask.text
    assert "Delete this video?" in ask.text
    assert f'action="/videos/{video.id}/delete"' in ask.text
    assert html.escape(video.prompt, quote=False) in ask.text
    assert 'href="/drafts"' in ask.text
    assert reread(services, video).deleted_at is None
    response = browser.post(f"/videos/{video.id}/delete", {"confirm": "yes"})
    assert response.status_code == 303
    assert reread(services, video).deleted_at is not None
    assert not services.storage.exists(video.video_key)
    assert not services.storage.exists(video.poster_key)
    assert video.id not in browser.get("/").text
    assert browser.get(f"/videos/{video.id}").status_code == 404


def test_nobody_changes_another_users_video(services, browser):
    other = make_account(services, "grace@example.com")
    video = make_video(services, other.user, published=True)
    for action, data in (
        ("unpublish", {}),
        ("cancel", {}),
        ("delete", {"confirm": "yes"}),
    ):
        response = browser.post(f"/videos/{video.id}/{action}", data)
        assert response.status_code == 404, action
    after = reread(services, video)
    assert after.published_at is not None
    assert after.deleted_at is None
    assert after.status == "completed"


def test_an_admin_deletes_no_one_elses_video_but_takes_a_published_one_down(
    services, client, account
):
    admin = sign_in(services, client, make_account(services, "admin@example.com", role="admin"))
    video = make_video(services, account.user, prompt="A purple train", published=True)
    for data in ({}, {"confirm": "yes"}):  # neither the question nor the deed
        response = admin.post(f"/videos/{video.id}/delete", data)
        assert response.status_code == 403
        assert "take it down" in response.text
    assert reread(services, video).deleted_at is None

    page = admin.get(f"/videos/{video.id}").text
    assert 'data-testid="take-down-form"' in page
    assert 'data-testid="take-down-form"' not in client.get("/").text
    refused = admin.post(f"/videos/{video.id}/take-down", {"reason": " "})
    assert refused.status_code == 400
    assert "ay why the video is taken down" in refused.text
    done = admin.post(f"/videos/{video.id}/take-down", {"reason": "Shows a stranger's face"})
    assert (done.status_code, done.headers["location"]) == (303, f"/videos/{video.id}")
    after = reread(services, video)
    assert (after.published_at, after.taken_down_reason) == (None, "Shows a stranger's face")
    page = admin.get(f"/videos/{video.id}").text
    assert "Taken down by the moderators" in page
    assert 'data-testid="take-down-form"' not in page


def test_the_owner_reads_why_their_video_was_taken_down(services, browser, account):
    video = make_video(services, account.user, prompt="A purple train", published=True)
    with services.db.write() as db:
        from reelmint.domains.accounts.service import OPERATOR
        from reelmint.domains.videos.moderation import take_down_video

        take_down_video(db=db, actor=OPERATOR, video_id=video.id, reason="Shows a stranger")
    page = browser.get(f"/videos/{video.id}").text
    assert "Taken down by the moderators" in page
    assert "Shows a stranger" in page
    assert f'action="/videos/{video.id}/publish"' not in page
    assert 'data-testid="take-down-form"' not in page
    assert 'data-testid="taken-down"' in browser.get("/drafts").text
    refused = browser.post(f"/videos/{video.id}/publish")
    assert refused.status_code == 409
    assert "Shows a stranger" in refused.text


def test_a_storyboard_this_version_cannot_read_does_not_break_the_page(services, browser, account):
    video = make_video(services, account.user, prompt="An old video")
    with services.db.write() as db:
        db.get(Video, video.id).storyboard_json = '{"prompt": "x", "shots": [{"kind": "?"}]}'
    page = browser.get(f"/videos/{video.id}")
    assert page.status_code == 200
    assert "cannot be shown" in page.text
    assert "An old video" in page.text
