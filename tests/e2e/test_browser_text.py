"""The pages read as sentences: the templates trim whitespace around their tags, so a sentence
that ends with a tag and the next that starts with one could be shown glued together
("yet.Make a video"). Chromium reads each page's text, as a person sees it, in the states
where most optional sentences show: an empty feed, a new unconfirmed account with a change of
address pending, an administrator's pages."""

from __future__ import annotations

import re
from typing import Any

from test_browser import PASSWORD, chromium, log_in_as, new_page  # noqa: F401

from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user

# A lower-case letter, a sentence's or clause's end, then a letter: no space between.
GLUED = re.compile(r"[a-z][.!?;,][A-Za-z]")
# Where that is right: addresses, host names, file names, code and numbers.
ALLOWED = re.compile(
    r"[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*|\b[\w-]+\.(?:com|local|invalid|example|py|md|json|csv|mp4|zip)\b"
)


def glued_sentences(page: Any) -> list[str]:
    text = ALLOWED.sub(" ", page.locator("body").inner_text())
    found = []
    for match in GLUED.finditer(text):
        start = max(0, match.start() - 30)
        found.append(text[start : match.end() + 30].replace("\n", " "))
    return found


def test_no_page_glues_two_sentences_together(live_server, chromium):  # noqa: F811
    page = new_page(chromium, live_server.url)
    problems: dict[str, list[str]] = {}

    def read(path: str, who: str) -> None:
        response = page.goto(path)
        assert response.status < 500, path
        if found := glued_sentences(page):
            problems[f"{who} {path}"] = found

    for path in ("/", "/signup", "/login", "/forgot-password", "/nothing/here"):
        read(path, "visitor")
    email = "new@example.com"
    with live_server.services.db.write() as db:
        user = create_user(db=db, email=email, password=PASSWORD, role="admin")
        user_id = user.id
    with live_server.services.db.write() as db:
        user = db.get_one(User, user_id)
        user.pending_email, user.email_change_sent_at = "new@example.org", utcnow()
    log_in_as(page, email)
    page.goto("/settings/account")
    assert page.locator('[data-role="pending-email"]').count() == 1  # the state is read
    for path in (
        "/",
        "/following",
        "/create",
        "/drafts",
        "/notifications",
        "/wallet",
        "/credits",
        "/quota",
        "/people",
        "/people/search?q=nobody",
        f"/people/{user_id}",
        "/cameos",
        "/studio",
        "/operator",
        "/settings/account",
        "/settings/tokens",
    ):
        read(path, "new admin")
    assert problems == {}
    assert page.problems == []
