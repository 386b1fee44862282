"""Tips on a video a rights holder monetizes by a claim: the holder earns them; a dispute
holds them for its answer, and a claim that ends sends those still held to the creator."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from domains.rights.claim_helpers import CAR, claim, dispute, make_holder, make_video
from reelmint.db.base import utcnow
from reelmint.domains.ledger.service import check_ledger, platform_account
from reelmint.domains.notifications.models import Notification
from reelmint.domains.payments.service import start_purchase
from reelmint.domains.rights import claims
from reelmint.domains.wallet import tips
from reelmint.domains.wallet.service import (
    earnings_account,
    organisation_statement,
    read_wallet,
    statement,
)
from reelmint.errors import BadRequest, NotFound
from support import at_once, make_account


@pytest.fixture
def claimed(services_on):
    """A fan with 10 purchased units, an uploader, a holder and its monetize claim on the
    uploader's published video."""
    fan = make_account(services_on, "fan@example.com", display_name="Fan").user
    uploader = make_account(services_on, "up@example.com", display_name="Uploader").user
    start_purchase(services=services_on, user=fan, pack_id="pack_10")
    holder = make_holder(services_on)
    video = make_video(services_on, uploader)
    made = claim(services_on, holder, video, "monetize")
    return fan, uploader, holder, video, made


def give(services, fan, video_id: str, units: int, key: str = "k1") -> tips.TipResult:
    with services.db.write() as db:
        return tips.tip(
            db=db, settings=services.settings, actor=fan, video_id=video_id, units=units, key=key
        )


def release(services, *, days_later: int) -> int:
    later = utcnow() + timedelta(days=days_later, minutes=1)
    with services.db.write() as db:
        return tips.release_tips(db=db, settings=services.settings, now=later)


def earnings(services, organisation_id: str) -> tuple[int, int]:
    """(pending, available) of the holder's earnings."""
    with services.db.write() as db:
        return (
            earnings_account(db=db, organisation_id=organisation_id).balance,
            earnings_account(db=db, organisation_id=organisation_id, available=True).balance,
        )


def test_a_tip_on_a_monetized_video_goes_to_the_rights_holder(services_on, claimed):
    fan, uploader, holder, video, made = claimed
    done = give(services_on, fan, video.id, 10)
    assert (done.creator_id, done.creator_share, done.holder_share) == (uploader.id, 0, 9)
    assert (done.organisation_id, done.claim_id) == (holder.organisation_id, made.id)
    again = give(services_on, fan, video.id, 10)  # a retry: the same tip, as it was made
    assert (again.entry.id, again.holder_share, again.claim_id) == (done.entry.id, 9, made.id)
    assert earnings(services_on, holder.organisation_id) == (9, 0)
    with services_on.db.read() as db:
        assert read_wallet(db=db, user_id=fan.id).purchased.balance == 0
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(pending=0, available=0)
        assert platform_account(db=db, name="tip_revenue").balance == 1
        assert check_ledger(db=db) == []
        news = {
            n.user_id: n
            for n in db.scalars(select(Notification).where(Notification.kind.like("%tip%")))
        }
        fan_line = statement(db=db, user=fan)[0].reason
        holder_lines = organisation_statement(db=db, organisation_id=holder.organisation_id)
    assert set(news) == {uploader.id, holder.member.id}
    assert "so the tip goes to Wave Studios" in news[uploader.id].body
    assert news[uploader.id].link == f"/videos/{video.id}#claims"
    assert (news[holder.member.id].kind, news[holder.member.id].link) == (
        "claim.tip",
        f"/studio#claim-{made.id}",
    )
    assert "Wave Studios earns 9 units" in news[holder.member.id].body
    assert fan_line == (
        f"tip of 10 units from Fan to Wave Studios for video {video.id}, which it monetizes by "
        "a claim"
    )
    assert [(line.kind, line.amount, line.wallet) for line in holder_lines] == [
        ("tip", 9, "earnings_pending")
    ]


def test_a_claimed_tip_is_the_holders_after_the_hold(services_on, claimed):
    fan, uploader, holder, video, _made = claimed
    give(services_on, fan, video.id, 5)
    days = services_on.settings.rights_hold_days
    assert release(services_on, days_later=0) == 0
    assert release(services_on, days_later=days) == 1
    assert release(services_on, days_later=days) == 0  # once
    assert earnings(services_on, holder.organisation_id) == (0, 5)
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(pending=0, available=0)
        assert check_ledger(db=db) == []


@pytest.mark.parametrize(("decision", "to_holder"), [("uphold", True), ("release", False)])
def test_a_disputed_claims_tips_wait_for_the_answer_and_go_to_whom_it_favours(
    services_on, claimed, decision, to_holder
):
    fan, uploader, holder, video, made = claimed
    give(services_on, fan, video.id, 4)
    dispute(services_on, uploader, made.id)
    days = services_on.settings.rights_hold_days
    assert release(services_on, days_later=days) == 0  # held while the dispute is open
    assert earnings(services_on, holder.organisation_id) == (4, 0)
    with services_on.db.write() as db:
        claims.answer_dispute(db=db, actor=holder.member, claim_id=made.id, decision=decision)
    with services_on.db.read() as db:  # a release sends the held tip to the creator at once
        pending = tips.tips_of(db=db, user_id=uploader.id).pending
    assert (earnings(services_on, holder.organisation_id), pending) == (
        ((4, 0), 0) if to_holder else ((0, 0), 4)
    )
    assert release(services_on, days_later=days) == 1
    holder_gets, creator_gets = (4, 0) if to_holder else (0, 4)
    assert earnings(services_on, holder.organisation_id) == (0, holder_gets)
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(0, creator_gets)
        assert check_ledger(db=db) == []
        creator_lines = statement(db=db, user=uploader)
    if not to_holder:
        [rerouted] = [line for line in creator_lines if line.kind == "tip_reroute"]
        assert (rerouted.amount, rerouted.wallet) == (4, "tips_pending")
        assert "monetize claim that was released: it goes to" in rerouted.reason


def test_a_claim_that_ends_moves_its_held_tips_to_the_creator_and_tells_them(services_on, claimed):
    fan, uploader, holder, video, made = claimed
    give(services_on, fan, video.id, 2, key="early")
    days = services_on.settings.rights_hold_days
    assert release(services_on, days_later=days) == 1  # the claim stood: the holder's
    give(services_on, fan, video.id, 3, key="late")
    with services_on.db.write() as db:
        claims.release_claim(db=db, actor=holder.member, claim_id=made.id)
    assert earnings(services_on, holder.organisation_id) == (0, 2)  # what it had, it keeps
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(pending=3, available=0)
        told = db.scalars(
            select(Notification).where(
                Notification.user_id == uploader.id, Notification.dedupe_key.like("tip-reroute:%")
            )
        ).all()
        assert check_ledger(db=db) == []
    assert [n.body for n in told] == [
        "The monetize claim on your video was released, so the 3 units of tips it held come "
        "to you, pending like your other tips."
    ]
    assert release(services_on, days_later=days) == 1  # still held from when it was made
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(pending=0, available=3)


def test_a_claim_ending_as_tips_are_released_moves_each_once(services_on, claimed):
    fan, uploader, holder, video, made = claimed
    for n in range(4):
        give(services_on, fan, video.id, 2, key=f"t{n}")

    def end_claim() -> None:
        with services_on.db.write() as db:
            claims.release_claim(db=db, actor=holder.member, claim_id=made.id)

    days = services_on.settings.rights_hold_days
    outcomes = at_once([end_claim, partial(release, services_on, days_later=days)], timeout=60)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    release(services_on, days_later=days)  # whatever the race left held
    pending, available = earnings(services_on, holder.organisation_id)
    with services_on.db.read() as db:
        theirs = tips.tips_of(db=db, user_id=uploader.id)
        assert check_ledger(db=db) == []
    assert (pending, theirs.pending) == (0, 0)
    assert available + theirs.available == 8  # each tip once, to one of them


def test_a_lapsed_claims_held_tips_go_to_the_creator(services_on, claimed):
    fan, uploader, holder, video, made = claimed
    give(services_on, fan, video.id, 3)
    dispute(services_on, uploader, made.id)
    long_after = utcnow() + timedelta(days=services_on.settings.claim_dispute_days, minutes=1)
    with services_on.db.write() as db:
        assert claims.lapse_unanswered_disputes(db=db, now=long_after) == [made.id]
    assert release(services_on, days_later=services_on.settings.rights_hold_days) == 1
    assert earnings(services_on, holder.organisation_id) == (0, 0)
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(pending=0, available=3)


def test_tips_after_the_claim_ended_or_under_a_track_claim_go_to_the_creator(services_on, claimed):
    fan, uploader, holder, video, made = claimed
    with services_on.db.write() as db:
        claims.release_claim(db=db, actor=holder.member, claim_id=made.id)
    assert give(services_on, fan, video.id, 2).creator_share == 2
    tracked = make_video(services_on, uploader)
    claim(services_on, holder, tracked, "track")
    done = give(services_on, fan, tracked.id, 2, key="k2")
    assert (done.creator_share, done.holder_share, done.claim_id) == (2, 0, None)
    assert earnings(services_on, holder.organisation_id) == (0, 0)
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id).pending == 4


def test_the_api_says_who_a_claimed_tip_went_to(client, services):
    fan = make_account(services, "fan@example.com")
    uploader = make_account(services, "up@example.com")
    start_purchase(services=services, user=fan.user, pack_id="pack_10")
    holder = make_holder(services)
    video = make_video(services, uploader.user)
    made = claim(services, holder, video, "monetize")
    response = client.post(f"/v1/videos/{video.id}/tips", headers=fan.headers, json={"units": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["creator_id"], body["creator_share"], body["holder_share"]) == (
        uploader.user.id,
        0,
        5,
    )
    assert (body["organisation_id"], body["claim_id"]) == (holder.organisation_id, made.id)


def test_releases_at_once_move_each_claimed_and_unclaimed_tip_once(services_on, claimed):
    fan, uploader, holder, video, made = claimed
    plain = make_video(services_on, uploader, prompt=CAR)
    for n in range(3):
        give(services_on, fan, video.id, 1, key=f"claimed-{n}")
        give(services_on, fan, plain.id, 1, key=f"plain-{n}")
    with services_on.db.write() as db:  # a claim that ended sends its held tips to the creator
        claims.release_claim(db=db, actor=holder.member, claim_id=made.id)
    give(services_on, fan, plain.id, 1, key="plain-3")
    days = services_on.settings.rights_hold_days
    outcomes = at_once([partial(release, services_on, days_later=days)] * 4, timeout=60)
    assert [o for o in outcomes if isinstance(o, BaseException)] == []
    assert sum(outcomes) == 7
    assert earnings(services_on, holder.organisation_id) == (0, 0)
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(pending=0, available=7)
        assert check_ledger(db=db) == []


def test_a_member_of_the_claimant_cannot_tip_the_video_it_monetizes(services_on, claimed):
    _fan, _uploader, holder, video, _made = claimed
    start_purchase(services=services_on, user=holder.member, pack_id="pack_10")
    with pytest.raises(BadRequest) as refused:
        give(services_on, holder.member, video.id, 9)
    assert refused.value.code == "cannot_tip_self"
    assert "you cannot tip your own organisation" in refused.value.message
    assert earnings(services_on, holder.organisation_id) == (0, 0)
    with services_on.db.read() as db:
        assert read_wallet(db=db, user_id=holder.member.id).purchased.balance == 10


def test_a_blocked_video_takes_no_tip_from_anyone_administrators_included(services_on):
    uploader = make_account(services_on, "up@example.com", display_name="Uploader").user
    admin = make_account(services_on, "admin@example.com", role="admin").user
    fan = make_account(services_on, "fan@example.com").user
    for tipper in (admin, fan):
        start_purchase(services=services_on, user=tipper, pack_id="pack_10")
    holder = make_holder(services_on)
    video = make_video(services_on, uploader)
    claim(services_on, holder, video, "block")

    for tipper in (admin, fan):
        with pytest.raises(NotFound) as refused:
            give(services_on, tipper, video.id, 2)
        assert refused.value.code == "video_not_found"
    with services_on.db.read() as db:
        assert tips.tips_of(db=db, user_id=uploader.id) == tips.Tips(pending=0, available=0)
        assert read_wallet(db=db, user_id=admin.id).purchased.balance == 10
