"""The time zone a user's day follows: set from the browser at sign-up, changed on the quota
page or through PATCH /v1/me; an unknown zone is refused with a clear message."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from reelmint.api.deps import SESSION_COOKIE
from reelmint.domains.accounts.service import find_user, start_web_session
from reelmint.domains.ledger.models import LedgerEntry
from reelmint.domains.wallet.service import grant_credits
from reelmint.web.templating import format_when


def _signed_in(client, services, account):
    with services.db.write() as db:
        session, secret = start_web_session(db=db, user=account.user)
    client.cookies.set(SESSION_COOKIE, secret)
    return session.csrf_token


def test_patch_me_sets_the_time_zone_and_refuses_unknown_ones(client, services, account):
    changed = client.patch("/v1/me", headers=account.headers, json={"timezone": "Asia/Tokyo"})
    assert (changed.status_code, changed.json()["timezone"]) == (200, "Asia/Tokyo")
    wrong = client.patch("/v1/me", headers=account.headers, json={"timezone": "Mars/Olympus"})
    assert wrong.status_code == 400
    assert (wrong.json()["error"]["code"], wrong.json()["error"]["param"]) == (
        "invalid_timezone",
        "timezone",
    )
    assert client.get("/v1/me", headers=account.headers).json()["timezone"] == "Asia/Tokyo"


def test_the_quota_page_changes_the_time_zone_with_csrf(client, services, account):
    token = _signed_in(client, services, account)
    page = client.get("/quota")
    assert '<option value="Europe/Paris">' in page.text
    refused = client.post("/quota/timezone", data={"timezone": "Europe/Paris"})
    assert refused.status_code == 403  # no CSRF token
    bad = client.post("/quota/timezone", data={"timezone": "Nowhere", "csrf_token": token})
    assert bad.status_code == 400
    assert "Unknown time zone" in bad.text
    saved = client.post(
        "/quota/timezone",
        data={"timezone": "Europe/Paris", "csrf_token": token},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "(Europe/Paris)" in client.get("/quota").text
    with services.db.read() as db:
        assert find_user(db=db, email=account.email).timezone == "Europe/Paris"


def test_sign_up_adopts_the_browsers_time_zone(client, services):
    page = client.get("/signup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert "data-browser-timezone" in page.text
    client.post(
        "/signup",
        data={
            "email": "tz@example.com",
            "password": "a long password",
            "csrf_token": token,
            "timezone": "America/Sao_Paulo",
        },
    )
    with services.db.read() as db:
        assert find_user(db=db, email="tz@example.com").timezone == "America/Sao_Paulo"


def test_pages_show_times_in_the_readers_time_zone(client, services, account):
    """The statement shows when each movement happened in the reader's own zone (named), and
    a visitor without a zone reads UTC."""
    client.patch("/v1/me", headers=account.headers, json={"timezone": "Asia/Tokyo"})
    with services.db.write() as db:
        grant_credits(db=db, user=account.user, units=5, reason="welcome", key="tz-grant")
    with services.db.read() as db:
        entry = db.scalar(select(LedgerEntry).where(LedgerEntry.kind == "grant"))
        at = entry.created_at
    _signed_in(client, services, account)
    page = client.get("/wallet").text
    assert format_when(at, "Asia/Tokyo") in page
    assert format_when(at, "Asia/Tokyo").endswith(" JST")
    assert format_when(at) not in page  # not in UTC


def test_times_are_written_in_the_zone_and_name_it():
    at = datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
    assert format_when(at) == "3 Mar 2026, 14:05 UTC"
    assert format_when(at, "Europe/Paris") == "3 Mar 2026, 15:05 CET"
    assert format_when(at.replace(month=7), "Europe/Paris") == "3 Jul 2026, 16:05 CEST"
    assert format_when(at, "Asia/Kathmandu") == "3 Mar 2026, 19:50 +0545"
    assert format_when(at, "Nowhere/Atlantis") == "3 Mar 2026, 14:05 UTC"


def test_the_quota_page_offers_only_zones_the_service_accepts(
    client, services, account, monkeypatch
):
    """A host whose zone database lists `posix/...` and `right/...` copies (and `localtime`):
    the form offers none of them, only names `is_place_zone` (what saving checks) accepts."""
    import zoneinfo

    from reelmint.domains.accounts.service import is_place_zone, place_zones
    from reelmint.web import wallet_pages

    host = {
        "Europe/Paris",
        "Asia/Tokyo",
        "posix/Europe/Paris",
        "right/Asia/Tokyo",
        "localtime",
        "posixrules",
        "Etc/GMT+1",
    }
    monkeypatch.setattr(zoneinfo, "available_timezones", lambda: set(host))
    place_zones.cache_clear()
    wallet_pages._zones.cache_clear()
    try:
        _signed_in(client, services, account)
        page = client.get("/quota").text
        offered = re.findall(r'<option value="([^"]+)"', page)
        assert set(offered) == {"Europe/Paris", "Asia/Tokyo"}
        assert all(is_place_zone(zone) for zone in offered)
        assert not is_place_zone("posix/Europe/Paris")
    finally:  # the next test reads this host's own list
        place_zones.cache_clear()
        wallet_pages._zones.cache_clear()


def test_the_feed_and_profiles_show_publishing_times_in_the_readers_zone(client, services, account):
    from web_helpers import make_video

    from reelmint.domains.accounts.models import User

    with services.db.write() as db:
        db.get_one(User, account.user.id).timezone = "Pacific/Kiritimati"
    video = make_video(services, account.user, published=True)
    _signed_in(client, services, account)
    local = format_when(video.published_at, "Pacific/Kiritimati")
    assert local.endswith(" +14")
    for page in ("/", f"/people/{account.user.id}"):
        html = client.get(page).text
        assert f">{local}</time>" in html, page
        assert format_when(video.published_at) not in html  # not UTC
