"""Extending a video in a real browser: from a finished video's page to the Extend form, whose
price follows the seconds added (the whole video is priced), to the new job rendering on My
drafts, longer than its source. Chromium against a real server with a worker."""

from __future__ import annotations

from test_browser import (  # noqa: F401
    PASSWORD,
    RENDER_TIMEOUT_MS,
    chromium,
    finished_published_video,
    new_page,
    shot,
)
from test_browser_rights import log_in

from reelmint.domains.accounts.service import create_api_token, create_user
from reelmint.domains.videos.models import Video


def test_extend_a_video_from_its_page(live_server, chromium):  # noqa: F811
    from playwright.sync_api import expect

    with live_server.services.db.write() as db:
        maker = create_user(db=db, email="maker@example.com", password=PASSWORD, display_name="M")
        _, token = create_api_token(db=db, user=maker, name="e2e")
    video_id = finished_published_video(live_server, token)

    page = new_page(chromium, live_server.url)
    log_in(page, "maker@example.com")
    page.goto(f"/videos/{video_id}")
    page.get_by_role("link", name="Extend").click()
    page.wait_for_url(f"**/videos/{video_id}/extend")
    assert "you can add up to 16 s" in page.locator(".note").inner_text()
    price = page.locator('#estimate [data-role="price"]')
    expect(price).to_have_text("1 unit")  # 4 s + 4 s
    page.get_by_label("Seconds to add").fill("16")
    expect(price).to_have_text("2 units")  # 4 s + 16 s: a 20 s video
    page.get_by_label("Seconds to add").fill("30")  # past the room: said in the page's terms
    verdict = page.locator('#estimate [data-role="verdict"]')
    expect(verdict).to_have_text("Add at most 16 s, got 30.")
    expect(price).to_have_text("—")  # no old price beside the refusal
    page.get_by_label("Seconds to add").fill("0.5")
    expect(verdict).to_have_text("Add at least 1 s, got 0.5.")
    page.get_by_label("Seconds to add").fill("1.03")  # the server's lengths, as seconds to add
    expect(verdict).to_have_text("Adding 1.03 s does not end on a whole frame: add 1 or 1.041667.")
    page.get_by_label("Seconds to add").fill("4")
    expect(price).to_have_text("1 unit")
    expect(verdict).to_have_text(  # the script says what the page said: where it is paid from
        "It will be paid from 1 unit of today's free quota; you are charged only if it is "
        "delivered."
    )
    page.get_by_label("What happens next").fill("The dog sits down and wags its tail")
    shot(page, "extend")
    page.get_by_role("button", name="Extend video").click()
    page.wait_for_url("**/drafts")
    card = page.locator("li.draft").first
    new_id = card.get_attribute("id")
    assert new_id not in (None, video_id)
    player = page.locator(f'li#{new_id} video[src="/v1/videos/{new_id}/content"]')
    player.wait_for(state="visible", timeout=RENDER_TIMEOUT_MS)
    with live_server.services.db.read() as db:
        extended = db.get_one(Video, new_id)
        assert (extended.remixed_from_video_id, extended.seconds) == (video_id, 8)
    assert page.problems == []
