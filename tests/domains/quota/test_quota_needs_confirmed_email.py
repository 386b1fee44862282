"""With email on, the free daily quota waits for the account's address to be confirmed
(`quota_needs_confirmed_email`): a sign-up with a made-up address gets no GPU time, is charged
nothing when refused, and confirming starts the day's full quota. Credits are spent all the
same. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reelmint.domains.accounts.email_confirmation import mark_confirmed
from reelmint.domains.accounts.models import User
from reelmint.domains.ledger.models import LedgerEntry, LedgerHold
from reelmint.domains.ledger.service import check_ledger
from reelmint.domains.wallet import service as wallet
from reelmint.errors import Conflict, PaymentRequired
from support import make_account, make_services


@pytest.fixture
def unconfirmed(mailing_on):
    return make_account(mailing_on, "new@example.com", email_confirmed=False).user


def reserve(services, user, video_id: str, units: int = 1) -> list[tuple[str, int]]:
    with services.db.write() as db:
        holds = wallet.reserve_for_video(
            db=db, settings=services.settings, user=user, video_id=video_id, units=units
        )
        return [(hold.kind, hold.amount) for hold in holds]


def ledger_rows(services) -> tuple[int, int]:
    with services.db.read() as db:
        assert check_ledger(db=db) == []
        entries = db.scalar(select(func.count()).select_from(LedgerEntry))
        return entries, db.scalar(select(func.count()).select_from(LedgerHold))


def summary(services, user):
    with services.db.read() as db:
        return wallet.summary(db=db, settings=services.settings, user=user)


def confirm(services, user) -> User:
    with services.db.write() as db:
        mine = db.get_one(User, user.id)
        mark_confirmed(mine)
    with services.db.read() as db:
        return db.get_one(User, user.id)


def test_an_unconfirmed_account_gets_no_free_quota_and_a_refusal_charges_nothing(
    mailing_on, unconfirmed
):
    before = ledger_rows(mailing_on)
    with pytest.raises(Conflict) as refused:
        reserve(mailing_on, unconfirmed, "v1")
    assert refused.value.code == "email_unconfirmed"
    assert "free daily quota starts once you confirm your email address" in str(refused.value)
    assert "new@example.com" in str(refused.value)
    assert ledger_rows(mailing_on) == before  # no grant, no hold
    info = summary(mailing_on, unconfirmed)
    assert (info.quota_withheld, info.quota_left, info.quota_limit) == (True, 0, 30)


def test_confirming_starts_the_days_full_quota(mailing_on, unconfirmed):
    with pytest.raises(Conflict):
        reserve(mailing_on, unconfirmed, "v1")
    confirmed = confirm(mailing_on, unconfirmed)
    assert not summary(mailing_on, confirmed).quota_withheld
    assert reserve(mailing_on, confirmed, "v2", units=3) == [("spend_quota", 3)]
    info = summary(mailing_on, confirmed)
    assert (info.quota_left, info.quota_limit) == (27, 30)


def test_credits_are_spent_while_the_quota_waits(mailing_on, unconfirmed):
    with mailing_on.db.write() as db:
        wallet.grant_credits(db=db, user=unconfirmed, units=5, reason="welcome", key="g1")
    assert reserve(mailing_on, unconfirmed, "v1", units=2) == [("spend_granted", 2)]
    with pytest.raises(PaymentRequired) as short:
        reserve(mailing_on, unconfirmed, "v2", units=10)
    assert short.value.code == "insufficient_credits"
    assert "you have 3 credits" in str(short.value)
    assert "confirm your email address" in str(short.value)
    assert summary(mailing_on, unconfirmed).quota_left == 0


def test_without_email_or_with_the_setting_off_the_quota_is_not_withheld(tmp_path, services):
    no_email = make_account(services, "a@example.com", email_confirmed=False).user
    assert reserve(services, no_email, "v1") == [("spend_quota", 1)]
    off = make_services(
        tmp_path / "off",
        f"sqlite:///{tmp_path / 'off.db'}",
        smtp_host="127.0.0.1",
        quota_needs_confirmed_email=False,
    )
    try:
        user = make_account(off, "b@example.com", email_confirmed=False).user
        assert reserve(off, user, "v1") == [("spend_quota", 1)]
        assert not summary(off, user).quota_withheld
    finally:
        off.close()


def test_the_api_says_why_and_the_wallet_shows_the_wait(mailing, mailing_client):
    new = make_account(mailing, "new@example.com", email_confirmed=False)
    ask = {"prompt": "a dog runs in a park", "seconds": "4", "size": "480x480"}
    refused = mailing_client.post("/v1/videos", headers=new.headers, json=ask)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "email_unconfirmed"
    assert "confirm your email address" in error["message"]
    assert mailing_client.get("/v1/videos", headers=new.headers).json()["data"] == []
    quota = mailing_client.get("/v1/wallet", headers=new.headers).json()["quota"]
    assert (quota["needs_confirmed_email"], quota["remaining"], quota["daily_limit"]) == (
        True,
        0,
        30,
    )
    estimate = mailing_client.post("/v1/videos/estimate", headers=new.headers, json=ask).json()
    assert not estimate["affordable"]
    confirm(mailing, new.user)
    assert mailing_client.post("/v1/videos", headers=new.headers, json=ask).status_code == 200
    after = mailing_client.get("/v1/wallet", headers=new.headers).json()["quota"]
    assert (after["needs_confirmed_email"], after["remaining"]) == (False, 29)
