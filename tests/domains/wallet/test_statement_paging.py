"""The statement pages on with a cursor, on both databases: every line once, in order, however
small the pages, through holds and postings of the same moment; the web downloads it whole."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi.testclient import TestClient

from reelmint.domains.accounts.service import start_web_session
from reelmint.domains.videos.service import VideoRequest, cancel_video, create_video
from reelmint.domains.wallet import api as wallet_api
from reelmint.domains.wallet.service import grant_credits, statement
from reelmint.errors import BadRequest
from reelmint.web import wallet_pages
from support import app_serving, make_account


def busy_wallet(services, account) -> None:
    """Grants, and videos whose admission granted the day's quota and placed holds at the
    same moment; some cancelled (their holds given back later)."""
    for n in range(4):
        with services.db.write() as db:
            grant_credits(db=db, user=account.user, units=n + 1, reason=f"grant {n}")
    for n in range(3):
        video = create_video(
            services=services,
            user=account.user,
            request=VideoRequest(prompt=f"a cat number {n}", seconds="4", size="480x480", seed=n),
        )
        if n != 0:  # the first keeps its hold, placed at the moment of the quota grant
            with services.db.write() as db:
                cancel_video(db=db, actor=account.user, video_id=video.id)


def page_through(services, account, limit: int) -> list[tuple]:
    seen: list[tuple] = []
    after = None
    while True:
        with services.db.read() as db:
            lines = statement(db=db, user=account.user, limit=limit, after=after)
        seen += [(line.id, line.status, line.wallet, line.amount) for line in lines]
        if len(lines) < limit:
            return seen
        after = lines[-1].cursor


@pytest.mark.parametrize("limit", [1, 2, 3, 7])
def test_pages_of_any_size_give_every_line_once_in_order(services_on, limit):
    account = make_account(services_on)
    busy_wallet(services_on, account)
    with services_on.db.read() as db:
        whole = statement(db=db, user=account.user, limit=1000)
    assert len(whole) == 4 + 1 + 3  # grants, the day's quota, a hold per video
    expected = [(line.id, line.status, line.wallet, line.amount) for line in whole]
    assert page_through(services_on, account, limit) == expected


DAMAGED = [
    "x",
    "12_",
    "12_q5",
    "12_pfive",
    "12_hold_/x",
    "9" * 18 + "_p1",
    "1_p9999999999999999999",  # past a 64-bit id: refused, not an overflow
    "1_p" + "1" * 30,
]


@pytest.mark.parametrize("cursor", DAMAGED)
def test_a_damaged_cursor_is_refused(services, cursor):
    account = make_account(services)
    with pytest.raises(BadRequest) as refused, services.db.read() as db:
        statement(db=db, user=account.user, after=cursor)
    assert (refused.value.code, refused.value.param) == ("invalid_cursor", "after")


def test_the_api_pages_json_and_csv_with_next_cursor(client, services, account):
    busy_wallet(services, account)
    headers = account.headers
    first = client.get("/v1/wallet/statement?limit=5", headers=headers).json()
    assert (len(first["data"]), first["has_more"]) == (5, True)
    rest = client.get(
        "/v1/wallet/statement", params={"after": first["next_cursor"]}, headers=headers
    ).json()
    assert (len(rest["data"]), rest["has_more"], rest["next_cursor"]) == (3, False, None)
    whole = client.get("/v1/wallet/statement", headers=headers).json()["data"]
    assert first["data"] + rest["data"] == whole
    cut = client.get("/v1/wallet/statement?limit=5&format=csv", headers=headers)
    assert cut.headers["x-next-cursor"] == first["next_cursor"]
    bad = client.get("/v1/wallet/statement?after=nonsense", headers=headers)
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_cursor")


def browser_of(services, account) -> TestClient:
    client = TestClient(app_serving(services))
    with services.db.write() as db:
        _, secret = start_web_session(db=db, user=account.user)
    client.cookies.set("reelmint_session", secret)
    return client


def test_the_web_downloads_the_whole_statement_and_pages_it(services, account, monkeypatch):
    busy_wallet(services, account)
    monkeypatch.setattr(wallet_api, "MAX_STATEMENT", 3)  # the download reads 3 at a time
    monkeypatch.setattr(wallet_pages, "STATEMENT_LINES", 5)
    with browser_of(services, account) as page:
        download = page.get("/wallet/statement.csv")
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(download.text)))
        with services.db.read() as db:
            whole = statement(db=db, user=account.user, limit=1000)
        assert [row["id"] for row in rows] == [line.id for line in whole]
        newest = page.get("/wallet").text
        assert 'href="/wallet/statement.csv"' in newest
        assert "Older movements" in newest
        older = newest.split('rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        rest = page.get(older).text
        assert "Older movements" not in rest
        assert 'href="/wallet#statement">Newest' in rest
        assert rest.count('<tr class="line-') == 3


def test_a_damaged_older_link_starts_the_wallet_page_from_the_newest(services, account):
    with browser_of(services, account) as page:
        damaged = page.get("/wallet?older=garbage", follow_redirects=False)
        assert (damaged.status_code, damaged.headers["location"]) == (303, "/wallet#statement")
        assert "That link to older movements was damaged" in page.get("/wallet").text
