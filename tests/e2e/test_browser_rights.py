"""A rights holder registers a character in the studio, a creator buys credits and pays to
use it, and the holder's studio shows the earning: Chromium against a real server with a worker.
Screenshots go to test-artifacts/screenshots/."""

from __future__ import annotations

import re

from test_browser import PASSWORD, RENDER_TIMEOUT_MS, chromium, new_page, shot  # noqa: F401

from reelmint.domains.accounts.service import create_organisation, create_user


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))


def test_register_a_character_pay_to_use_it_and_see_the_earning(live_server, chromium):  # noqa: F811
    from playwright.sync_api import expect

    services = live_server.services
    with services.db.write() as db:
        holder = create_user(
            db=db, email="studio@example.com", password=PASSWORD, role="rights_holder"
        )
        create_organisation(
            db=db, owner=holder, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        create_user(db=db, email="fan@example.com", password=PASSWORD)

    # 1. The holder registers a licensed character with a fee of 5 units.
    studio = new_page(chromium, live_server.url)
    log_in(studio, "studio@example.com")
    studio.get_by_role("link", name="Studio").click()
    studio.get_by_label("Name").fill("Captain Brightwave")
    studio.get_by_label("Handle").fill("brightwave")
    studio.get_by_label("Description").fill("a caped surfer hero who rides a glowing tidal wave")
    studio.get_by_label("Fee (units a video)").fill("5")
    studio.get_by_role("button", name="Register").click()
    studio.wait_for_url("**/studio#character-*")
    expect(studio.locator(".flash")).to_contain_text("Registered")
    character = studio.locator('[data-character="brightwave"]')
    expect(character).to_contain_text("5 units a video, your share 70%")
    shot(studio, "studio-registered")

    # 2. A creator buys a credit pack (sandbox: test money, completed at once) ...
    fan = new_page(chromium, live_server.url)
    log_in(fan, "fan@example.com")
    fan.goto("/credits")
    fan.get_by_role("button", name=re.compile(r"^Buy ")).first.click()
    fan.wait_for_url("**/credits/return**")
    # ... and makes a video with the character: the fee comes from purchased credits.
    fan.goto("/create")
    fan.get_by_label("Prompt").fill("@brightwave surfs a huge wave at sunset")
    fan.get_by_label("Duration (seconds)").fill("4")
    fan.get_by_label("Size").select_option("480x480")
    # The price box names the fee as the prompt names the character, before anything is made.
    expect(fan.locator('#estimate [data-role="fees"]')).to_have_text(
        "Plus licence fees, paid from purchased credits: Captain Brightwave 5 units."
    )
    expect(fan.locator('#estimate [data-role="verdict"]')).to_contain_text(
        "; you are charged only if it is delivered."
    )
    expect(fan.locator('#estimate [data-role="verdict"]')).to_contain_text("It will be paid from")
    fan.get_by_role("button", name="Create video").click()
    fan.wait_for_url("**/drafts")
    card = fan.locator("li.draft").first
    video_id = card.get_attribute("id")
    # The page reloads itself once the video is done: wait for the reloaded page's player,
    # not the live badge, or the reload's timer can overtake the next navigation.
    player = fan.locator(f'li#{video_id} video[src="/v1/videos/{video_id}/content"]')
    player.wait_for(state="visible", timeout=RENDER_TIMEOUT_MS)
    fan.goto("/wallet")
    expect(fan.locator("table.statement")).to_contain_text("licence fee for Captain Brightwave")
    shot(fan, "wallet-licence-fee")

    # 3. The holder's studio shows the use and 70% of the fee, pending.
    studio.reload()
    section = studio.locator("section.studio")
    expect(section.locator('[data-role="pending"]')).to_have_text("3")
    expect(character.locator('[data-role="earned"]')).to_have_text("3")
    assert character.locator("table.chart meter").count() == 1
    shot(studio, "studio-earning")
    assert studio.problems == []
    assert fan.problems == []


def test_the_price_box_says_why_a_prompt_would_be_refused(live_server, chromium):  # noqa: F811
    """A blocked character in the prompt: the price box gives the API's refusal as a
    sentence of the page (capitalised, with a full stop) before anything is submitted."""
    from playwright.sync_api import expect

    from reelmint.domains.rights import service as rights

    services = live_server.services
    with services.db.write() as db:
        holder = create_user(
            db=db, email="studio@example.com", password=PASSWORD, role="rights_holder"
        )
        org = create_organisation(
            db=db, owner=holder, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        request = rights.CharacterRequest(
            handle="brightwave",
            name="Captain Brightwave",
            description="a caped surfer hero who rides a glowing tidal wave",
            policy="blocked",
        )
        rights.register_character(db=db, actor=holder, organisation_id=org.id, request=request)
        create_user(db=db, email="fan@example.com", password=PASSWORD)

    fan = new_page(chromium, live_server.url)
    log_in(fan, "fan@example.com")
    fan.goto("/create")
    fan.get_by_label("Prompt").fill("@brightwave surfs a huge wave at sunset")
    expect(fan.locator('#estimate [data-role="verdict"]')).to_have_text(
        "Captain Brightwave (@brightwave) cannot be used: its rights holder does not allow it "
        "to be generated; remove it from the prompt."
    )
    expect(fan.locator("#estimate")).to_have_class(re.compile(r"\bshort\b"))
    assert fan.problems == []
