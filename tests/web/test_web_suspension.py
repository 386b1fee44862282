"""Operator › Accounts: administrators suspend an account named by its address, or a reported
video's creator from the Reports page, and reinstate it; anyone else gets 403 and learns
nothing; every form needs the CSRF token."""

from __future__ import annotations

import html
import re

from web_helpers import sign_in

from reelmint.domains.accounts.models import User
from support import make_account


def suspended_at(services, user_id: str):
    with services.db.read() as db:
        return db.get(User, user_id).suspended_at


def test_an_administrator_suspends_by_address_and_reinstates(services, client, account):
    admin = sign_in(services, client, make_account(services, "root@example.com", role="admin"))
    page = admin.get("/operator/accounts")
    assert page.status_code == 200
    assert 'data-role="no-suspended"' in page.text

    done = admin.post(
        "/operator/accounts/suspend", {"email": account.email, "reason": "spam in the feed"}
    )
    assert (done.status_code, done.headers["location"]) == (303, "/operator/accounts")
    listed = admin.get("/operator/accounts").text
    assert "Suspended: the account cannot sign in" in listed
    assert f'data-user="{account.user.id}"' in listed
    assert "spam in the feed" in listed
    assert suspended_at(services, account.user.id) is not None

    back = admin.post(f"/operator/accounts/{account.user.id}/reinstate")
    assert back.status_code == 303
    assert "Reinstated" in admin.get("/operator/accounts").text
    assert suspended_at(services, account.user.id) is None


def test_refusals_keep_what_was_typed_and_change_nothing(services, client, account):
    admin = sign_in(services, client, make_account(services, "root@example.com", role="admin"))
    unknown = admin.post(
        "/operator/accounts/suspend", {"email": "nobody@example.com", "reason": "spam"}
    )
    assert unknown.status_code == 404
    assert "No account has the address nobody@example.com" in unknown.text
    assert 'value="spam"' in unknown.text
    blank = admin.post("/operator/accounts/suspend", {"email": account.email, "reason": "  "})
    assert blank.status_code == 400
    assert "say why the account is suspended" in blank.text.lower()
    assert f'value="{account.email}"' in blank.text
    not_suspended = admin.post(f"/operator/accounts/{account.user.id}/reinstate")
    assert not_suspended.status_code == 409
    assert suspended_at(services, account.user.id) is None


def test_only_administrators_see_or_use_it(services, client, account):
    other = make_account(services, "bob@example.com")
    browser = sign_in(services, client, account)
    assert browser.get("/operator/accounts").status_code == 403
    tried = browser.post("/operator/accounts/suspend", {"email": other.email, "reason": "spam"})
    assert tried.status_code == 403
    assert "account has" not in tried.text  # nothing said of which addresses exist
    tried = browser.post(f"/operator/accounts/{other.user.id}/suspend", {"reason": "spam"})
    assert tried.status_code == 403
    assert suspended_at(services, other.user.id) is None


def test_the_forms_need_the_csrf_token(services, client, account):
    admin = sign_in(services, client, make_account(services, "root@example.com", role="admin"))
    forged = client.post(
        "/operator/accounts/suspend",
        data={"email": account.email, "reason": "spam"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert suspended_at(services, account.user.id) is None
    assert admin.get("/operator/accounts").status_code == 200


def test_the_reports_page_suspends_a_reported_videos_creator(services, client, account):
    from web_helpers import make_video

    from reelmint.domains.videos.reports import report_video

    video = make_video(services, account.user, prompt="A green frog sings", published=True)
    reporter = make_account(services, "bob@example.com")
    with services.db.write() as db:
        report_video(
            db=db,
            settings=services.settings,
            actor=reporter.user,
            video_id=video.id,
            category="spam",
        )
    admin = sign_in(services, client, make_account(services, "root@example.com", role="admin"))
    action = f'action="/operator/accounts/{account.user.id}/suspend"'
    assert action in admin.get("/operator/reports").text

    refused = admin.post(f"/operator/accounts/{account.user.id}/suspend", {"reason": "a\u200bb"})
    assert refused.status_code == 400
    form = refused.text[refused.text.index('action="/operator/accounts/suspend"') :]
    assert f'value="{account.email}"' in form.split("</form>")[0]  # which creator, kept
    assert suspended_at(services, account.user.id) is None
    done = admin.post(f"/operator/accounts/{account.user.id}/suspend", {"reason": "spam bot"})
    assert (done.status_code, done.headers["location"]) == (303, "/operator/accounts")
    assert suspended_at(services, account.user.id) is not None
    queue = admin.get("/operator/reports").text
    assert 'data-role="creator-suspended"' in queue
    assert action not in queue  # no second suspension offered
    assert client.get(f"/videos/{video.id}").status_code == 200  # the administrator sees it
    client.cookies.clear()
    assert client.get(f"/videos/{video.id}").status_code == 404  # nobody else does


def test_the_suspended_accounts_page_goes_on_past_a_hundred(services, client, account, monkeypatch):
    from reelmint.domains.accounts import suspension
    from reelmint.domains.accounts.service import OPERATOR

    monkeypatch.setattr(suspension, "MAX_PAGE", 1)  # a page of one, to see the next
    others = [make_account(services, f"s{n}@example.com").user for n in range(2)]
    for person in others:
        with services.db.write() as db:
            suspension.suspend_account(db=db, actor=OPERATOR, user_id=person.id, reason="spam")
    admin = sign_in(services, client, make_account(services, "root@example.com", role="admin"))
    first = admin.get("/operator/accounts").text
    assert f'data-user="{others[1].id}"' in first
    assert f'data-user="{others[0].id}"' not in first
    [older] = re.findall(r'href="(/operator/accounts\?older=[^"]+)"', first)
    second = admin.get(html.unescape(older)).text
    assert f'data-user="{others[0].id}"' in second
    assert 'href="/operator/accounts">Most recent' in second
    for damaged in ("1_x", "zzz", "user_gone"):  # the newest page, as from the menu
        page = admin.get(f"/operator/accounts?older={damaged}")
        assert page.status_code == 200
        assert f'data-user="{others[1].id}"' in page.text
