"""Tips: purchased credits to a video's creator, once per key, exact under concurrency."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.ledger.service import check_ledger, platform_account
from reelmint.domains.notifications.models import Notification
from reelmint.domains.payments.service import start_purchase
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.domains.wallet import tips
from reelmint.domains.wallet.models import HeldShare
from reelmint.domains.wallet.service import read_wallet
from reelmint.errors import BadRequest, Conflict, NotFound, PaymentRequired
from reelmint.queue import Completed, finish, lease_next
from support import at_once, make_account, make_services, while_held_open


def published(services, user) -> str:
    request = VideoRequest(prompt="a red car drives", seconds="4", size="480x480")
    video = create_video(services=services, user=user, request=request)
    with services.db.write() as db:
        lease_next(db=db, settings=services.settings, worker_id="w")
    done = Completed(video_key="k.mp4", poster_key="k.jpg", video_bytes=1, frames=96)
    with services.db.write() as db:
        finish(db=db, video_id=video.id, worker_id="w", outcome=done)
        db.get_one(Video, video.id).published_at = utcnow()
    return video.id


@pytest.fixture
def people(services_on):
    fan = make_account(services_on, "fan@example.com", display_name="Fan").user
    maker = make_account(services_on, "maker@example.com", display_name="Maker").user
    start_purchase(services=services_on, user=fan, pack_id="pack_10")  # 10 purchased units
    return fan, maker, published(services_on, maker)


def give(services, fan, video_id: str, units: int, key: str = "k1"):
    with services.db.write() as db:
        return tips.tip(
            db=db, settings=services.settings, actor=fan, video_id=video_id, units=units, key=key
        )


def test_a_tip_moves_purchased_credits_to_the_creator_once(services_on, people):
    fan, maker, video = people
    done = give(services_on, fan, video, 10)
    assert done.creator_share == 9  # 90 %; the platform keeps 1
    again = give(services_on, fan, video, 10)
    assert again.entry.id == done.entry.id  # the same key: one tip
    with services_on.db.read() as db:
        assert read_wallet(db=db, user_id=fan.id).purchased.balance == 0
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=9, available=0)
        assert platform_account(db=db, name="tip_revenue").balance == 1
        assert check_ledger(db=db) == []
        told = db.scalars(select(Notification).where(Notification.user_id == maker.id)).all()
    assert [(n.kind, n.link) for n in told] == [("tip_received", f"/videos/{video}")]  # once
    assert "Fan tipped you 9 units" in told[0].body
    with pytest.raises(Conflict) as reused:
        give(services_on, fan, video, 3)  # the same key for another tip
    assert reused.value.code == "idempotency_key_reused"


def test_a_small_tip_goes_to_the_creator_whole(services_on, people):
    fan, _maker, video = people
    assert give(services_on, fan, video, 1).creator_share == 1
    assert give(services_on, fan, video, 5, key="k2").creator_share == 5
    with services_on.db.read() as db:
        assert platform_account(db=db, name="tip_revenue").balance == 0
        assert check_ledger(db=db) == []


def test_tips_become_available_after_the_hold(services_on, people):
    fan, maker, video = people
    done = give(services_on, fan, video, 10)
    give(services_on, fan, video, 10)  # a retry: still one tip waiting
    later = utcnow() + timedelta(days=services_on.settings.rights_hold_days, minutes=1)
    with services_on.db.read() as db:
        assert db.scalars(select(HeldShare.entry_id)).all() == [done.entry.id]
    with services_on.db.write() as db:
        assert tips.release_tips(db=db, settings=services_on.settings, now=utcnow()) == 0
        assert tips.release_tips(db=db, settings=services_on.settings, now=later) == 1
    with services_on.db.write() as db:
        assert tips.release_tips(db=db, settings=services_on.settings, now=later) == 0  # once
        assert db.scalars(select(HeldShare)).all() == []  # nothing left to look at
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=0, available=9)
        assert check_ledger(db=db) == []


def test_refusals_change_nothing(services_on, people):
    fan, maker, video = people
    broke = make_account(services_on, "broke@example.com").user  # free quota only
    draft = published(services_on, maker)
    with services_on.db.write() as db:
        db.get_one(Video, draft).published_at = None
    cases = [
        (fan, video, 0, BadRequest, "invalid_units"),
        (fan, video, 101, BadRequest, "invalid_units"),
        (maker, video, 1, BadRequest, "cannot_tip_self"),
        (fan, draft, 1, NotFound, "video_not_found"),
        (fan, "video_nope", 1, NotFound, "video_not_found"),
        (fan, video, 11, PaymentRequired, "insufficient_credits"),
        (broke, video, 1, PaymentRequired, "insufficient_credits"),
    ]
    for actor, target, units, error, code in cases:
        with pytest.raises(error) as refused:
            give(services_on, actor, target, units, key=f"k-{code}-{units}")
        assert refused.value.code == code
    with services_on.db.read() as db:
        assert read_wallet(db=db, user_id=fan.id).purchased.balance == 10
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=0, available=0)


def test_tips_at_once_never_spend_more_than_there_is(services_on, people):
    fan, maker, video = people

    def tip_seven(n: int) -> str:
        try:
            give(services_on, fan, video, 7, key=f"race-{n}")
            return "tipped"
        except PaymentRequired:
            return "refused"

    outcomes = at_once([partial(tip_seven, n) for n in range(4)])
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert sorted(outcomes) == ["refused", "refused", "refused", "tipped"]
    with services_on.db.read() as db:
        assert read_wallet(db=db, user_id=fan.id).purchased.balance == 3
        assert tips.tips_of(db=db, user_id=maker.id).pending == 7
        assert check_ledger(db=db) == []


def test_the_api_tips_and_the_wallet_shows_tips(client, services, people_api):
    fan, maker, video = people_api
    headers = {**fan.headers, "Idempotency-Key": "tip-1"}
    response = client.post(f"/v1/videos/{video}/tips", headers=headers, json={"units": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["object"], body["units"], body["creator_share"]) == ("tip", 5, 5)
    assert "idempotent-replayed" not in response.headers
    replay = client.post(f"/v1/videos/{video}/tips", headers=headers, json={"units": 5})
    assert replay.json() == body
    assert replay.headers["idempotent-replayed"] == "true"
    wallet = client.get("/v1/wallet", headers=maker.headers).json()
    assert wallet["tips"] == {"pending": 5, "available": 0, "in_payout": 0}
    assert client.get("/v1/wallet", headers=fan.headers).json()["credits"]["purchased"] == 5
    bad = client.post(f"/v1/videos/{video}/tips", headers=fan.headers, json={"units": "5"})
    assert bad.status_code == 400
    broke = make_account(services, "broke@example.com")
    poor = client.post(f"/v1/videos/{video}/tips", headers=broke.headers, json={"units": 1})
    assert (poor.status_code, poor.json()["error"]["code"]) == (402, "insufficient_credits")


@pytest.fixture
def people_api(services):
    fan = make_account(services, "fan@example.com", display_name="Fan")
    maker = make_account(services, "maker@example.com", display_name="Maker")
    start_purchase(services=services, user=fan.user, pack_id="pack_10")
    return fan, maker, published(services, maker.user)


def test_a_key_used_for_another_video_is_refused(services_on, people):
    fan, maker, video = people
    other = published(services_on, maker)
    give(services_on, fan, video, 2, key="same")
    with pytest.raises(Conflict) as reused:
        give(services_on, fan, other, 2, key="same")
    assert reused.value.code == "idempotency_key_reused"
    long_key = "x" * 255  # the API's longest key fits the ledger's
    assert give(services_on, fan, other, 1, key=long_key).creator_share == 1


def test_a_retry_after_the_share_changed_returns_the_tip_as_it_was_made(
    services_on, people, tmp_path
):
    fan, maker, video = people
    made = give(services_on, fan, video, 10, key="once")
    assert made.creator_share == 9
    changed = make_services(
        tmp_path / "changed", services_on.settings.database_url, tip_creator_share_bps=5000
    )
    try:
        again = give(changed, fan, video, 10, key="once")
    finally:
        changed.close()
    assert (again.entry.id, again.creator_share, again.creator_id) == (made.entry.id, 9, maker.id)
    with services_on.db.read() as db:
        assert read_wallet(db=db, user_id=fan.id).purchased.balance == 0  # charged once
        assert check_ledger(db=db) == []


def test_a_blocked_or_closed_wallet_cannot_tip_nor_a_closed_creator_be_tipped(services_on, people):
    from reelmint.domains.accounts.models import User
    from reelmint.domains.ledger.service import Leg, transfer
    from reelmint.domains.wallet.service import wallet_of
    from reelmint.errors import Forbidden

    fan, maker, video = people
    with services_on.db.write() as db:  # a dispute left the fan owing 3 units
        owed = wallet_of(db=db, user_id=fan.id).owed
        legs = [Leg(owed, -3), Leg(platform_account(db=db, name="sales"), 3)]
        transfer(db=db, key="debt", legs=legs, kind="dispute", reason="test")
    with pytest.raises(Forbidden) as blocked:
        give(services_on, fan, video, 1)
    assert blocked.value.code == "wallet_blocked"
    with services_on.db.write() as db:
        db.get_one(User, maker.id).disabled_at = utcnow()
    other = make_account(services_on, "other@example.com").user
    start_purchase(services=services_on, user=other, pack_id="pack_10")
    with pytest.raises(NotFound):
        give(services_on, other, video, 1)
    with services_on.db.write() as db:
        db.get_one(User, other.id).disabled_at = utcnow()
        db.get_one(User, maker.id).disabled_at = None
    with pytest.raises(Forbidden) as closed:
        give(services_on, other, video, 1, key="k2")
    assert closed.value.code == "account_disabled"


def test_a_tip_as_its_creator_closes_the_account_is_refused(services_on, people):
    """Closing the creator's account while a fan tips: the tip waits for the closure and finds
    the video gone (it read the creator as open before the closure committed, and paid a
    closed account)."""
    from reelmint.domains.accounts.closure import close_account
    from reelmint.domains.accounts.models import User

    fan, maker, video = people

    def close(db) -> str:
        close_account(db=db, user=db.get_one(User, maker.id))
        return "closed"

    def tip_now(db) -> str:
        tips.tip(db=db, settings=services_on.settings, actor=fan, video_id=video, units=2, key="k")
        return "tipped"

    assert while_held_open(services_on, close, tip_now) == ("closed", "video_not_found")
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=0, available=0)
        assert check_ledger(db=db) == []


def test_tips_of_a_tipper_who_owes_stay_pending(services_on, people):
    from reelmint.domains.ledger.service import Leg, transfer
    from reelmint.domains.wallet.service import wallet_of

    fan, maker, video = people
    give(services_on, fan, video, 10)
    with services_on.db.write() as db:  # then their payment is disputed: they owe 10
        owed = wallet_of(db=db, user_id=fan.id).owed
        legs = [Leg(owed, -10), Leg(platform_account(db=db, name="sales"), 10)]
        transfer(db=db, key="debt", legs=legs, kind="dispute", reason="test")
    later = utcnow() + timedelta(days=services_on.settings.rights_hold_days, minutes=1)
    with services_on.db.write() as db:
        assert tips.release_tips(db=db, settings=services_on.settings, now=later) == 0
    with services_on.db.write() as db:  # the debt is paid: the tip is released
        owed = wallet_of(db=db, user_id=fan.id).owed
        legs = [Leg(platform_account(db=db, name="sales"), -10), Leg(owed, 10)]
        transfer(db=db, key="paid", legs=legs, kind="purchase", reason="test")
    with services_on.db.write() as db:
        assert tips.release_tips(db=db, settings=services_on.settings, now=later) == 1
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=0, available=9)
        assert check_ledger(db=db) == []


def test_a_debt_committing_as_tips_are_released_keeps_the_tip_held(services_on, people):
    """A dispute taking the tipper's wallet while housekeeping releases tips: the release
    waits for it and sees the debt (it read "owes nothing" before the dispute committed)."""
    from reelmint.domains.ledger.service import Leg, transfer
    from reelmint.domains.wallet.service import wallet_of

    fan, maker, video = people
    give(services_on, fan, video, 10)
    later = utcnow() + timedelta(days=services_on.settings.rights_hold_days, minutes=1)

    def dispute(db) -> str:
        owed = wallet_of(db=db, user_id=fan.id, lock=True).owed
        legs = [Leg(owed, -10), Leg(platform_account(db=db, name="sales"), 10)]
        transfer(db=db, key="debt", legs=legs, kind="dispute", reason="test")
        return "disputed"

    def release(db) -> int:
        return tips.release_tips(db=db, settings=services_on.settings, now=later)

    assert while_held_open(services_on, dispute, release) == ("disputed", 0)
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=maker.id) == tips.Tips(pending=9, available=0)
        assert check_ledger(db=db) == []


def test_statements_name_tippers_and_creators_as_they_are_now(services_on, people):
    """A tip's line names both sides; once one of them closes their account, the other's
    statement says "Closed account" rather than the name it had."""
    from reelmint.domains.accounts.closure import close_account
    from reelmint.domains.accounts.models import User
    from reelmint.domains.wallet.service import statement

    fan, maker, video = people
    give(services_on, fan, video, 10)

    def tip_line(user) -> str:
        with services_on.db.read() as db:
            lines = statement(db=db, user=db.get_one(User, user.id))
        [line] = [line.reason for line in lines if line.kind == "tip"]
        return line

    assert tip_line(maker) == f"tip of 10 units from Fan to Maker for video {video}"
    with services_on.db.write() as db:
        close_account(db=db, user=db.get_one(User, fan.id))
    assert tip_line(maker) == f"tip of 10 units from Closed account to Maker for video {video}"
