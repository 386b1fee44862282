"""The operator's economics view, from real records: runs, purchases, refunds, holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.ops.service import economics
from reelmint.domains.payments import service as payments
from reelmint.domains.payments.base import ProviderEvent
from reelmint.domains.payments.models import Purchase
from reelmint.domains.videos.models import Video, VideoRun
from reelmint.domains.videos.service import VideoRequest, create_video
from reelmint.errors import BadRequest, Forbidden
from reelmint.queue import Completed, finish, lease_next
from support import make_account, make_services

COST_PER_HOUR = 3600  # one cent a second: easy sums


@pytest.fixture
def ops(tmp_path, database_url):
    built = make_services(tmp_path, database_url, gpu_hour_cost_cents=COST_PER_HOUR)
    yield built
    built.close()


@pytest.fixture
def live_ops(tmp_path, database_url):
    """A platform taking real money (Stripe with a live key; the test asks nothing of Stripe)."""
    built = make_services(
        tmp_path,
        database_url,
        gpu_hour_cost_cents=COST_PER_HOUR,
        payment_provider="stripe",
        stripe_secret_key="sk_live_not_used",
        stripe_webhook_secret="whsec_not_used",
    )
    yield built
    built.close()


def made(services, user, backend: str, busy_seconds: int, *, worker: str) -> Video:
    """A 4 s video on `backend`, run by `worker` for `busy_seconds` and completed."""
    request = VideoRequest(prompt="a red car drives", seconds="4", size="480x480", backend=backend)
    video = create_video(services=services, user=user, request=request)
    with services.db.write() as db:
        leased = lease_next(db=db, settings=services.settings, worker_id=worker)
        assert leased is not None
        assert leased.id == video.id
    done = Completed(video_key="k.mp4", poster_key="k.jpg", video_bytes=1, frames=96)
    with services.db.write() as db:
        finish(db=db, video_id=video.id, worker_id=worker, outcome=done)
        run = db.scalar(select(VideoRun).where(VideoRun.video_id == video.id))
        run.created_at = run.ended_at - timedelta(seconds=busy_seconds)
    return video


def real_purchase(services, user) -> Purchase:
    """A Stripe purchase in live mode, paid (as the webhook credits it)."""
    with services.db.write() as db:
        purchase = Purchase(
            user_id=user.id,
            pack_id="pack_10",
            units=10,
            price_cents=400,
            currency="usd",
            valid_days=365,
            provider="stripe",
            test_mode=False,
        )
        db.add(purchase)
        db.flush()
        payments.complete_purchase(db=db, purchase=purchase, payment_id="pi_live_1")
    return purchase


def test_gpu_time_cost_sales_and_margin_add_up(ops):
    admin = make_account(ops, "root@example.com", role="admin").user
    maker = make_account(ops, "maker@example.com").user
    payments.start_purchase(services=ops, user=maker, pack_id="pack_10")  # sandbox: test money
    bought = real_purchase(ops, maker)
    refund = stripe_event("evt_refund", "refunded", bought, amount_refunded_cents=199)
    assert payments.handle_event(services=ops, event=refund) == "refunded"
    made(ops, maker, "wan", 600, worker="gpu-1")
    made(ops, maker, "preview", 30, worker="cpu-1")

    with ops.db.read() as db:
        view = economics(db=db, settings=ops.settings, actor=admin, days=30)
    usage = {b.backend: b for b in view.backends}
    assert (usage["wan"].gpu, usage["wan"].runs, usage["wan"].completed) == (True, 1, 1)
    assert usage["wan"].busy_seconds == pytest.approx(600)
    assert usage["wan"].cost_cents == 600
    assert usage["wan"].clip_seconds == 4
    assert (usage["preview"].gpu, usage["preview"].cost_cents) == (False, 0)
    assert usage["preview"].busy_seconds == pytest.approx(30)
    assert (view.gpu_workers, view.gpu_cost_cents, view.videos_completed) == (1, 600, 2)
    assert view.gpu_busy_seconds == pytest.approx(600)
    assert view.utilisation == pytest.approx(600 / (30 * 86400))
    assert view.cost_per_video_cents == 600  # over the GPU's videos: the preview's cost nothing
    [real] = view.sales
    assert (real.currency, real.purchases, real.gross_cents) == ("usd", 1, 400)
    assert (real.returned_cents, real.net_cents) == (199, 201)  # to the cent, not per unit
    [test] = view.test_sales
    assert (test.purchases, test.gross_cents, test.returned_cents) == (1, 400, 0)
    with ops.db.read() as db:
        prices = sum(v.price_units for v in db.scalars(select(Video)))
    assert view.units_spent == {"quota": prices, "granted": 0, "purchased": 0}
    assert view.margin_cents == 201 - 600
    assert view.notes == []
    assert (view.tip_units, view.tip_creator_units) == (0, 0)


def test_tips_and_the_creators_share_are_counted(ops):
    from reelmint.domains.wallet.tips import tip

    admin = make_account(ops, "root@example.com", role="admin").user
    fan = make_account(ops, "fan@example.com").user
    maker = make_account(ops, "maker@example.com").user
    payments.start_purchase(services=ops, user=fan, pack_id="pack_10")
    video = made(ops, maker, "preview", 10, worker="cpu-1")
    with ops.db.write() as db:
        db.get_one(Video, video.id).published_at = utcnow()
    with ops.db.write() as db:
        tip(db=db, settings=ops.settings, actor=fan, video_id=video.id, units=10, key="t1")
    with ops.db.read() as db:
        view = economics(db=db, settings=ops.settings, actor=admin, days=1)
    assert (view.tip_units, view.tip_creator_units) == (10, 9)
    assert view.owed_units == 9  # the creator's tips, pending: owed all the same


def test_a_tip_a_monetize_claim_takes_counts_as_the_payees_share(ops):
    from domains.rights.claim_helpers import claim, make_holder
    from domains.rights.claim_helpers import make_video as claimable_video
    from reelmint.domains.wallet.tips import tip

    admin = make_account(ops, "root@example.com", role="admin").user
    fan = make_account(ops, "fan@example.com").user
    payments.start_purchase(services=ops, user=fan, pack_id="pack_10")
    holder = make_holder(ops)
    video = claimable_video(ops, make_account(ops, "maker@example.com").user)
    claim(ops, holder, video, "monetize")
    with ops.db.write() as db:
        tip(db=db, settings=ops.settings, actor=fan, video_id=video.id, units=10, key="t1")
    with ops.db.read() as db:
        view = economics(db=db, settings=ops.settings, actor=admin, days=1)
    assert (view.tip_units, view.tip_creator_units, view.holder_share_units) == (10, 9, 0)
    assert view.owed_units == 9  # the holder's pending earnings


def paid_one_of_two_payouts(services, maker) -> list:
    """The maker earns 60 units of tips and asks for payouts of 25 and 35; the first is paid."""
    from reelmint.domains.accounts.service import OPERATOR
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.payouts.service import mark_paid, request_payout
    from reelmint.domains.wallet.tips import tips_account

    with services.db.write() as db:
        source = platform_account(db=db, name="tip_revenue")
        to = tips_account(db=db, user_id=maker.id, available=True)
        transfer(db=db, key="f", legs=[Leg(source, -60), Leg(to, 60)], kind="t", reason="t")
    with services.db.write() as db:
        asked = [
            request_payout(db=db, settings=services.settings, actor=maker, units=u, key=f"k{u}")
            for u in (25, 35)
        ]
        mark_paid(db=db, actor=OPERATOR, payout_id=asked[0].id, reference="wire 1")
    return asked


def test_payouts_paid_count_against_the_margin_and_waiting_ones_are_shown(live_ops):
    admin = make_account(live_ops, "root@example.com", role="admin").user
    maker = make_account(live_ops, "maker@example.com").user
    real_purchase(live_ops, maker)  # 400 cents
    asked = paid_one_of_two_payouts(live_ops, maker)
    assert not any(payout.test_mode for payout in asked)
    with live_ops.db.read() as db:
        view = economics(db=db, settings=live_ops.settings, actor=admin, days=1)
    assert [(p.currency, p.payouts, p.units, p.cents) for p in view.payouts_paid] == [
        ("usd", 1, 25, 1000)
    ]
    assert [(p.payouts, p.units, p.cents) for p in view.payouts_waiting] == [(1, 35, 1400)]
    assert (view.test_payouts_paid, view.test_payouts_waiting) == ([], [])
    assert view.margin_cents == 400 - 1000  # no GPU time: net sales less the payout
    assert (view.owed_units, view.owed_cents, view.payout_currency) == (35, 1400, "usd")


def test_payouts_asked_for_on_test_money_are_counted_apart(ops):
    """Under the sandbox every unit was bought with test money: a payout of them is no real
    cost, so it is kept out of payouts paid and the margin, and said apart."""
    admin = make_account(ops, "root@example.com", role="admin").user
    maker = make_account(ops, "maker@example.com").user
    asked = paid_one_of_two_payouts(ops, maker)
    assert all(payout.test_mode for payout in asked)
    with ops.db.read() as db:
        view = economics(db=db, settings=ops.settings, actor=admin, days=1)
    assert (view.payouts_paid, view.payouts_waiting) == ([], [])
    assert [(p.payouts, p.units, p.cents) for p in view.test_payouts_paid] == [(1, 25, 1000)]
    assert [(p.payouts, p.units, p.cents) for p in view.test_payouts_waiting] == [(1, 35, 1400)]
    assert view.margin_cents == 0  # no sales, no GPU time, and no real payout
    assert (
        "2 payouts were asked for while the payment provider took test money (the sandbox): "
        "counted apart as test-money payouts" in " ".join(view.notes)
    )


def test_a_closed_accounts_tips_are_not_owed_but_a_payout_it_asked_for_is(ops):
    from reelmint.domains.accounts.closure import close_account
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.payouts.service import request_payout
    from reelmint.domains.wallet.tips import tips_account

    admin = make_account(ops, "root@example.com", role="admin").user
    maker = make_account(ops, "maker@example.com").user
    with ops.db.write() as db:
        source = platform_account(db=db, name="tip_revenue")
        legs = [
            Leg(source, -87),
            Leg(tips_account(db=db, user_id=maker.id, available=True), 60),
            Leg(tips_account(db=db, user_id=maker.id, available=False), 27),
        ]
        transfer(db=db, key="f", legs=legs, kind="t", reason="t")
    with ops.db.write() as db:
        request_payout(db=db, settings=ops.settings, actor=maker, units=35, key="k")

    def owed() -> int:
        with ops.db.read() as db:
            return economics(db=db, settings=ops.settings, actor=admin, days=1).owed_units

    assert owed() == 87
    with ops.db.write() as db:
        close_account(db=db, user=db.get_one(type(maker), maker.id))
    assert owed() == 35  # the rest is forfeit


def test_a_dispute_takes_the_money_back_and_winning_it_returns_it(ops):
    admin = make_account(ops, "root@example.com", role="admin").user
    maker = make_account(ops, "maker@example.com").user
    bought = real_purchase(ops, maker)
    opened = stripe_event("evt_dispute", "dispute_opened", bought, amount_cents=400)
    assert payments.handle_event(services=ops, event=opened) == "disputed"
    assert sales(ops, admin) == (400, 400, 0)
    won = stripe_event("evt_won", "dispute_closed", bought, dispute_status="won")
    assert payments.handle_event(services=ops, event=won) == "dispute_won"
    assert sales(ops, admin) == (400, 0, 400)
    again = payments.handle_event(services=ops, event=won)
    assert (again, sales(ops, admin)) == ("duplicate", (400, 0, 400))


def test_a_run_counts_for_its_part_inside_the_period(ops):
    admin = make_account(ops, "root@example.com", role="admin").user
    maker = make_account(ops, "maker@example.com").user
    made(ops, maker, "wan", 3 * 3600, worker="gpu-1")  # began three hours ago, ended now
    with ops.db.read() as db:
        last_hour = economics(
            db=db, settings=ops.settings, actor=admin, days=1, now=utcnow() + timedelta(hours=23)
        )
    # The period is [now - 1 h, now + 23 h): only the last hour of the run is in it.
    assert last_hour.gpu_busy_seconds == pytest.approx(3600, abs=5)
    assert last_hour.utilisation == pytest.approx(1 / 24, rel=0.01)


def stripe_event(event_id: str, kind: str, purchase: Purchase, **fields) -> ProviderEvent:
    return ProviderEvent(
        provider="stripe",
        event_id=event_id,
        type=kind,
        kind=kind,
        purchase_id=purchase.id,
        payment_id="pi_live_1",
        amount_cents=fields.pop("amount_cents", 400),
        currency="usd",
        **fields,
    )


def sales(services, admin) -> tuple[int, int, int]:
    """(gross, returned, net) real money over the last day."""
    with services.db.read() as db:
        [money] = economics(db=db, settings=services.settings, actor=admin, days=1).sales
    return money.gross_cents, money.returned_cents, money.net_cents


def test_the_period_bounds_what_is_counted(ops):
    admin = make_account(ops, "root@example.com", role="admin").user
    maker = make_account(ops, "maker@example.com").user
    made(ops, maker, "wan", 60, worker="gpu-1")
    with ops.db.read() as db:
        later = economics(
            db=db, settings=ops.settings, actor=admin, days=1, now=utcnow() + timedelta(days=2)
        )
    assert (later.gpu_busy_seconds, later.videos_completed, later.utilisation) == (0, 0, None)
    assert later.units_spent == {"quota": 0, "granted": 0, "purchased": 0}


def test_without_a_gpu_price_time_is_shown_but_no_cost_or_margin(services_on):
    admin = make_account(services_on, "root@example.com", role="admin").user
    maker = make_account(services_on, "maker@example.com").user
    made(services_on, maker, "wan", 120, worker="gpu-1")
    with services_on.db.read() as db:
        view = economics(db=db, settings=services_on.settings, actor=admin, days=7)
    assert view.gpu_busy_seconds == pytest.approx(120)
    assert (view.gpu_cost_cents, view.margin_cents, view.cost_per_video_cents) == (0, None, None)
    assert "REELMINT_GPU_HOUR_COST_CENTS" in view.notes[0]


def test_only_administrators_see_it_and_the_days_are_checked(services_on):
    user = make_account(services_on, "someone@example.com").user
    admin = make_account(services_on, "root@example.com", role="admin").user
    with services_on.db.read() as db:
        with pytest.raises(Forbidden) as refused:
            economics(db=db, settings=services_on.settings, actor=user, days=30)
        assert refused.value.code == "admin_only"
        with pytest.raises(BadRequest) as bad:
            economics(db=db, settings=services_on.settings, actor=admin, days=0)
        assert bad.value.code == "invalid_days"


def test_the_api_serves_it_to_administrators_only(services, client):
    admin = make_account(services, "root@example.com", role="admin")
    user = make_account(services, "someone@example.com")
    response = client.get("/v1/admin/economics?days=7", headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "economics"
    assert body["end"] - body["start"] == 7 * 86400
    assert {b["backend"] for b in body["backends"]} >= {"preview", "wan", "ltx"}
    refused = client.get("/v1/admin/economics", headers=user.headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "admin_only")
    too_long = client.get("/v1/admin/economics?days=400", headers=admin.headers)
    assert too_long.status_code == 400


def test_the_api_answers_days_out_of_range_or_not_whole_with_invalid_days(services, client):
    """The code docs/api.md and the /operator page give, not FastAPI's `invalid_request`; and
    someone who is not an administrator is told that first."""
    admin = make_account(services, "root@example.com", role="admin")
    user = make_account(services, "someone@example.com")
    for days in ("367", "0", "-3", "1.5", "a week", ""):
        refused = client.get(f"/v1/admin/economics?days={days}", headers=admin.headers)
        assert refused.status_code == 400, days
        assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
            "invalid_days",
            "days",
        ), days
    assert client.get("/v1/admin/economics?days=366", headers=admin.headers).status_code == 200
    assert client.get("/v1/admin/economics?days=%2B2", headers=admin.headers).status_code == 200
    stranger = client.get("/v1/admin/economics?days=1.5", headers=user.headers)
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (403, "admin_only")
    document = client.get("/openapi.json").json()
    [days_param] = document["paths"]["/v1/admin/economics"]["get"]["parameters"]
    assert "1-366" in days_param["description"]
