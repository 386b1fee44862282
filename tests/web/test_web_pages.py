"""The layout, security headers, the public feed and the create form."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import select
from web_helpers import form_key, make_video, sign_in

from reelmint.db.base import utcnow
from reelmint.domains.videos.models import Video
from reelmint.domains.wallet.service import read_wallet
from reelmint.web import video_pages
from support import licensed_character, make_account


@pytest.fixture
def browser(services, client, account):
    return sign_in(services, client, account)


def all_videos(services) -> list[Video]:
    with services.db.read() as db:
        return list(db.scalars(select(Video).order_by(Video.created_at)))


# --- every page -----------------------------------------------------------------------------


def test_every_page_sends_the_security_headers(services, client, account):
    video = make_video(services, account.user, published=True)
    anonymous = ["/", "/login", "/signup", f"/videos/{video.id}", "/videos/video_nope"]
    pages = [(path, client.get(path)) for path in anonymous]
    sign_in(services, client, account)
    signed_in = ["/", "/create", "/drafts", "/settings/tokens", f"/videos/{video.id}"]
    pages += [(path, client.get(path)) for path in signed_in]
    for path, response in pages:
        assert response.headers["content-type"].startswith("text/html"), path
        policy = response.headers["content-security-policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'", path
        assert "unsafe-inline" not in policy, path
        assert directives["frame-ancestors"] == "'none'", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path
        assert response.headers["cache-control"] == "no-store", path


def test_pages_hold_no_inline_script_or_style(services, client, account):
    """The policy forbids inline code; a page that had some would silently break."""
    video = make_video(services, account.user, published=True)
    browser = sign_in(services, client, account)
    for path in ("/", "/create", "/drafts", "/settings/tokens", f"/videos/{video.id}"):
        html = browser.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), path
        assert re.search(r'<script src="/static/app\.js\?v=[^"]+" defer>', html), path


def test_the_layout_links_the_pages_of_a_visitor_and_a_member(services, client, account):
    anonymous = client.get("/").text
    assert 'href="/login"' in anonymous
    assert 'href="/signup"' in anonymous
    assert 'action="/logout"' not in anonymous
    browser = sign_in(services, client, account)
    member = browser.get("/").text
    for link in ('href="/create"', 'href="/drafts"', 'href="/settings/account"'):
        assert link in member
    assert 'action="/logout"' in member
    assert 'href="/login"' not in member


def test_static_files_are_served(client):
    css = client.get("/static/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    script = client.get("/static/app.js")
    assert script.status_code == 200
    assert "EventSource" in script.text


def test_user_text_is_escaped_everywhere(services, client):
    mallory = make_account(services, "mallory@example.com", display_name="<b>Mallory</b>")
    video = make_video(services, mallory.user, prompt='A cat says "<script>x()</script>"')
    with services.db.write() as db:
        db.get(Video, video.id).published_at = utcnow()
    for path in ("/", f"/videos/{video.id}"):
        html = client.get(path).text
        assert "<script>x()" not in html, path
        assert "&lt;script&gt;x()" in html, path
        assert "<b>Mallory</b>" not in html, path


# --- the feed -------------------------------------------------------------------------------


def test_the_feed_shows_published_videos_newest_first(services, client, account):
    old = make_video(
        services,
        account.user,
        prompt="An old red car",
        published=True,
        published_ago=timedelta(hours=2),
    )
    new = make_video(services, account.user, prompt="A new blue car", published=True)
    make_video(services, account.user, prompt="A private yellow bus")
    html = client.get("/").text
    assert html.index(new.id) < html.index(old.id)
    assert "A private yellow bus" not in html
    assert account.user.display_name in html
    player = re.search(rf'<video[^>]*src="/v1/videos/{new.id}/content"[^>]*>', html, re.S)
    assert player, "the feed item has no player"
    assert 'preload="none"' in player.group(0)
    assert f'poster="/v1/videos/{new.id}/content?variant=thumbnail"' in player.group(0)
    assert "controls" in player.group(0)
    assert "/create?remix=" not in html  # remixing needs an account


def test_signed_in_visitors_can_remix_from_the_feed(services, client, account):
    video = make_video(services, account.user, published=True)
    browser = sign_in(services, client, account)
    assert f'href="/create?remix={video.id}"' in browser.get("/").text


def test_the_feed_pages_to_older_videos(services, client, account, monkeypatch):
    monkeypatch.setattr(video_pages, "FEED_PAGE", 2)
    made = [
        make_video(services, account.user, published=True, published_ago=timedelta(minutes=m))
        for m in (3, 2, 1)
    ]
    first = client.get("/").text
    assert made[2].id in first
    assert made[1].id in first
    assert made[0].id not in first
    older = re.search(r'href="(/\?older=[^"]+)"', first)
    assert older, "no link to older videos"
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert made[0].id in second
    assert made[1].id not in second
    assert "?older=" not in second


def test_a_damaged_feed_cursor_is_an_error_page(client):
    response = client.get("/?older=nonsense")
    assert response.status_code == 400
    assert "invalid_cursor" in response.text
    assert response.headers["content-type"].startswith("text/html")


# --- creating -------------------------------------------------------------------------------


def test_the_create_form_offers_the_backend_sizes_by_name(browser):
    html = browser.get("/create").text
    assert '<option value="854x480" selected>Landscape 480p (854×480)</option>' in html
    assert "Portrait 720p (720×1280)" in html
    assert "Square 480p (480×480)" in html
    assert 'min="4" max="20"' in html
    assert 'maxlength="2000"' in html
    assert "<details" in html  # the storyboard box, with its example
    assert "&#34;shots&#34;" in html or "&quot;shots&quot;" in html


def test_creating_queues_the_video_and_goes_to_drafts(services, browser, account):
    response = browser.post(
        "/create", {"prompt": "A red car drives at sunset", "seconds": "4", "size": "480x480"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/drafts"
    (video,) = all_videos(services)
    assert (video.user_id, video.status, video.size, video.seconds) == (
        account.user.id,
        "queued",
        "480x480",
        4.0,
    )
    assert video.prompt == "A red car drives at sunset"
    drafts = browser.get("/drafts").text
    assert "Your video is queued" in drafts
    assert video.id in drafts


def test_the_same_create_form_posted_twice_makes_one_video(services, browser, account):
    """A second post of one page's form (a browser retry, the back button, a double click the
    script missed) makes no second video and charges nothing more; the same page posted with
    another prompt is another video, and so is the form on a new page."""
    key = form_key(browser.get("/create").text)
    form = {"prompt": "A red car drives at sunset", "seconds": "4", "size": "480x480"}
    for _ in range(2):
        response = browser.post("/create", {**form, "form_key": key})
        assert (response.status_code, response.headers["location"]) == (303, "/drafts")
    assert len(all_videos(services)) == 1
    browser.post("/create", {**form, "prompt": "A blue car", "form_key": key})
    browser.post("/create", {**form, "form_key": form_key(browser.get("/create").text)})
    assert len(all_videos(services)) == 3
    with services.db.read() as db:
        assert read_wallet(db=db, user_id=account.user.id).quota.reserved == 3


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"storyboard": '{"prompt": "x", "shots": ['}, "not valid JSON"),
        ({"storyboard": "[1, 2]"}, "must be a JSON object"),
        ({"storyboard": '{"prompt": "Farm", "shots": [{"duration": 2}]}'}, "prompt"),
        ({"seconds": "99"}, "99"),
        ({"seconds": "soon"}, "Seconds must be a number"),
        ({"size": "123x45"}, "123x45"),
        ({"prompt": ""}, "prompt"),
    ],
)
def test_a_refused_video_is_shown_on_the_form_with_the_input(services, browser, fields, message):
    form = {"prompt": "A dog runs in the park", "seconds": "6", "size": "480x854", **fields}
    response = browser.post("/create", form)
    assert response.status_code == 400
    alert = re.search(r'<div class="alert" role="alert".*?</div>', response.text, re.S)
    assert alert, "no error on the form"
    assert message in alert.group(0)
    for kept in ("prompt", "storyboard"):  # what was typed comes back, escaped
        assert f">{escape(form.get(kept, ''))}</textarea>" in response.text
    assert f'value="{escape(form["seconds"])}"' in response.text
    assert all_videos(services) == []


def test_the_create_page_names_the_licence_fees_a_prompt_owes(services, browser):
    licensed_character(services, fee=3)
    form = {"prompt": "Captain Brightwave surfs at dusk", "seconds": "4", "size": "480x480"}
    response = browser.post("/create", form)  # no purchased credits: refused, nothing made
    assert response.status_code == 402
    fees = re.search(r'<p class="help" data-role="fees">(.*?)</p>', response.text, re.S)
    assert fees, "the fees line is missing or hidden"
    assert fees.group(1) == (
        "Plus licence fees, paid from purchased credits: Captain Brightwave 3 units."
    )
    assert "You do not have enough units" in response.text
    assert all_videos(services) == []
    plain = browser.post("/create", {**form, "prompt": "A dog runs", "storyboard": "[1"})
    assert "Plus licence fees" not in plain.text  # nothing to price: a broken storyboard
    assert "not valid JSON" in plain.text


def test_a_refused_storyboard_is_priced_by_its_shots_on_the_page_again(services, browser):
    """Four 5 s shots at 720p cost 4 units (the duration left empty; the default 8 s would
    cost 2): the page shown again after a refusal prices what was sent."""
    licensed_character(services, fee=3)
    shots = [{"prompt": f"Captain Brightwave surfs, take {n}", "duration": 5} for n in range(4)]
    storyboard = json.dumps({"shots": shots})
    form = {"prompt": "", "seconds": "", "size": "1280x720", "storyboard": storyboard}
    response = browser.post("/create", form)  # the fee needs purchased credits: refused
    assert response.status_code == 402
    price = re.search(r'<strong data-role="price">(.*?)</strong>', response.text)
    assert price, "the page shows no price"
    assert price.group(1) == "4 units"
    assert all_videos(services) == []


def test_the_create_page_says_what_a_video_is_paid_from_in_words(services, browser):
    page = browser.get("/create").text
    said = escape("It will be paid from 1 unit of today's free quota;")
    assert said in page  # not "2 quota"


def test_a_refund_on_the_wallet_page_says_how_many_units_came_back(services, browser, account):
    from reelmint.domains.videos.service import VideoRequest, cancel_video, create_video

    request = VideoRequest(prompt="A dog runs", seconds="20", size="1280x720")
    video = create_video(services=services, user=account.user, request=request)
    with services.db.write() as db:
        cancel_video(db=db, actor=account.user, video_id=video.id)
    page = browser.get("/wallet").text
    assert 'data-role="given-back">(4 units given back)</span>' in page
    assert '<th scope="col" class="num">Pool balance</th>' in page  # whose balance: its pool's
    link = f'<a href="/videos/{video.id}" data-role="video-title">“A dog runs”</a>'
    assert link in page  # the video by its prompt, not its id
    assert f"video {video.id}" not in page


def test_statement_lines_cut_long_prompts_at_a_word_and_hide_deleted_videos_prompts(
    services, browser, account
):
    from reelmint.domains.videos.service import (
        VideoRequest,
        cancel_video,
        create_video,
        delete_video,
    )

    long = "A very long prompt about a dog that runs along a beach at dawn, then swims far out"
    video = create_video(services=services, user=account.user, request=VideoRequest(prompt=long))
    with services.db.write() as db:
        cancel_video(db=db, actor=account.user, video_id=video.id)
    page = browser.get("/wallet").text
    assert "“A very long prompt about a dog that runs along a beach at…”" in page
    with services.db.write() as db:
        delete_video(db=db, actor=account.user, video_id=video.id)
    page = browser.get("/wallet").text
    assert '<span data-role="video-title">a deleted video</span>' in page
    assert "dawn" not in page


def test_with_no_units_at_all_the_create_page_says_when_quota_comes_back(services, browser):
    """Shorter or smaller cannot help a user with nothing left: the page says when the free
    quota comes back, or to buy credits."""
    for n in range(30):  # the free plan's 30 one-unit videos: today's quota all reserved
        browser.post(
            "/create", {"prompt": f"A dog runs, take {n}", "seconds": "4", "size": "480x480"}
        )
    page = browser.get("/create").text
    assert "You have no units left: your free quota comes back" in page
    assert "make it shorter or smaller" not in page


def test_a_storyboard_replaces_the_prompt(services, browser):
    storyboard = {"prompt": "Morning on the farm", "shots": [{"prompt": "A cow grazes"}]}
    response = browser.post(
        "/create",
        {"prompt": "", "seconds": "4", "size": "480x480", "storyboard": json.dumps(storyboard)},
    )
    assert response.status_code == 303
    (video,) = all_videos(services)
    assert video.prompt == "Morning on the farm"
    assert json.loads(video.storyboard_json)["shots"][0]["prompt"].endswith("A cow grazes.")


def test_a_storyboard_with_a_key_twice_is_refused_as_the_api_refuses_it(services, browser):
    storyboard = '{"shots": [{"prompt": "A cat sits", "duration": 4, "duration": 20}]}'
    fields = {"prompt": "", "seconds": "", "size": "480x480", "storyboard": storyboard}
    response = browser.post("/create", fields)
    assert response.status_code == 400
    assert "the key &#39;duration&#39; appears twice in one object" in response.text
    assert all_videos(services) == []


def test_a_prompt_and_a_storyboard_both_filled_in_are_refused_with_the_form_kept(services, browser):
    """The storyboard would win and the prompt be lost unseen: the form says to give one, as
    the API and the command line do, and nothing is queued or charged."""
    storyboard = json.dumps({"shots": [{"prompt": "A cow grazes"}]})
    fields = {"prompt": "A dog runs", "seconds": "4", "size": "480x480", "storyboard": storyboard}
    response = browser.post("/create", fields)
    assert response.status_code == 400
    assert "The video was not created." in response.text
    assert "either a prompt or a storyboard, not both" in response.text
    assert ">A dog runs</textarea>" in response.text
    assert all_videos(services) == []


def test_a_prompt_with_a_hidden_formatting_character_is_refused(services, browser):
    fields = {"prompt": "A dog \u202eruns", "seconds": "4", "size": "480x480"}
    response = browser.post("/create", fields)
    assert response.status_code == 400
    assert "invisible formatting character" in response.text
    assert all_videos(services) == []


def test_remix_prefills_the_form_and_records_the_source(services, browser):
    author = make_account(services, "author@example.com")
    source = make_video(services, author.user, prompt="A yellow bus in the rain", published=True)
    html = browser.get(f"/create?remix={source.id}").text
    assert "A yellow bus in the rain</textarea>" in html
    assert f'name="remix" value="{source.id}"' in html
    response = browser.post(
        "/create",
        {"prompt": "A red bus in the snow", "seconds": "4", "size": "480x480", "remix": source.id},
    )
    assert response.status_code == 303
    remix = [v for v in all_videos(services) if v.id != source.id]
    assert [v.remixed_from_video_id for v in remix] == [source.id]


def test_a_private_video_cannot_be_remixed_by_others(services, browser):
    author = make_account(services, "author@example.com")
    private = make_video(services, author.user, prompt="A secret plan")
    response = browser.get(f"/create?remix={private.id}")
    assert response.status_code == 404
    assert "A secret plan" not in response.text
