"""Claims in the web app: the studio claims (from a video address or the top videos), answers
disputes and exports CSV; the uploader sees the claim on the video page and disputes it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_helpers import Browser, sign_in

from domains.rights.claim_helpers import CAR, make_holder, make_video, paid_video
from reelmint.api.app import create_app
from reelmint.domains.payments.service import start_purchase
from reelmint.domains.rights.models import Claim
from reelmint.domains.videos.models import Video
from reelmint.domains.wallet import tips
from support import Account, make_account


@pytest.fixture
def second_client(services) -> Iterator[TestClient]:
    with TestClient(create_app(services)) as other:
        yield other


@pytest.fixture
def holder(services):
    return make_holder(services)


@pytest.fixture
def studio(services, second_client, holder) -> Browser:
    """The holder's member, signed in with a browser of its own."""
    member = Account(user=holder.member, email="studio@example.com", password="", token="")
    return sign_in(services, second_client, member)


def only_claim(services) -> Claim:
    with services.db.read() as db:
        [claim] = db.scalars(select(Claim)).all()
        return claim


def test_block_dispute_and_release_through_the_pages(services, client, account, studio, holder):
    video = make_video(services, account.user)
    anonymous = TestClient(client.app)
    assert anonymous.get(f"/videos/{video.id}").status_code == 200

    # 1. The studio claims it by its address.
    made = studio.post(
        "/studio/claims",
        {
            "video_id": f"http://testserver/videos/{video.id}?from=feed#claims",
            "character_id": holder.character_id,
            "action": "block",
        },
    )
    assert made.status_code == 303, made.text
    claim = only_claim(services)
    assert made.headers["location"] == f"/studio#claim-{claim.id}"
    page = studio.get("/studio").text
    assert "Claimed: the uploader was told" in page
    assert f'id="claim-{claim.id}"' in page
    assert ">block</span>" in page
    assert ">active</span>" in page

    # 2. It is gone for others: off the feed, its page not found.
    assert anonymous.get(f"/videos/{video.id}").status_code == 404
    assert video.id not in anonymous.get("/").text

    # 3. The owner sees why, and disputes (a too-short reason is refused on the page).
    owner = sign_in(services, client, account)
    own_page = owner.get(f"/videos/{video.id}").text
    assert 'data-testid="claim-blocked"' in own_page
    assert "Wave Studios claimed this" in own_page
    dispute_path = f"/videos/{video.id}/claims/{claim.id}/dispute"
    assert f'action="{dispute_path}"' in own_page
    short = owner.post(dispute_path, {"reason": "no"})
    assert short.status_code == 400
    assert 'id="claim-error"' in short.text
    assert "at least 10" in short.text
    assert "required>no</textarea>" in short.text  # what was typed, to correct
    forged = owner.post(dispute_path, {"reason": "my own surfer entirely", "csrf_token": "x"})
    assert forged.status_code == 403
    disputed = owner.post(dispute_path, {"reason": "my own surfer entirely"})
    assert disputed.status_code == 303
    assert disputed.headers["location"] == f"/videos/{video.id}#claims"
    after = owner.get(f"/videos/{video.id}").text
    assert "Disputed: the rights holder was told" in after
    assert "my own surfer entirely" in after
    assert f'action="{dispute_path}"' not in after  # once only

    # 4. The studio sees the dispute and releases the claim; the video is back.
    page = studio.get("/studio").text
    assert "my own surfer entirely" in page
    assert f'action="/studio/claims/{claim.id}/answer"' in page
    answered = studio.post(
        f"/studio/claims/{claim.id}/answer", {"decision": "release", "note": "our mistake"}
    )
    assert answered.status_code == 303
    assert only_claim(services).status == "released"
    page = studio.get("/studio").text
    assert "Released: the claim no longer has effect" in page
    assert 'data-role="answer-note">“our mistake”' in page
    exported = studio.get(f"/studio/{holder.organisation_id}/claims.csv").text
    [row] = list(csv.DictReader(io.StringIO(exported)))
    assert (row["status"], row["answer_note"]) == ("released", "our mistake")
    assert anonymous.get(f"/videos/{video.id}").status_code == 200
    again = studio.post(f"/studio/claims/{claim.id}/answer", {"decision": "uphold"})
    assert again.status_code == 409
    assert 'id="claim-error"' in again.text


def test_a_monetize_claim_shows_on_the_public_page(services, client, account, studio, holder):
    video = make_video(services, account.user)
    made = studio.post(
        "/studio/claims",
        {"video_id": video.id, "character_id": holder.character_id, "action": "monetize"},
    )
    assert made.status_code == 303
    page = TestClient(client.app).get(f"/videos/{video.id}").text
    assert 'data-testid="claim-monetized"' in page
    assert "Monetized by Wave Studios" in page
    assert "Dispute the claim" not in page  # only the owner disputes
    assert 'data-role="claim-tips"' not in studio.get("/studio").text  # no tips yet
    fan = make_account(services, "fan@example.com", display_name="Fan").user
    start_purchase(services=services, user=fan, pack_id="pack_10")
    with services.db.write() as db:
        tips.tip(db=db, settings=services.settings, actor=fan, video_id=video.id, units=5, key="k")
    shown = studio.get("/studio").text
    assert "Tips taken under this claim: 5 units." in shown
    assert (
        "tip of 5 units from Fan to Wave Studios"
        in studio.get(f"/studio/{holder.organisation_id}/earnings.csv").text
    )


def test_a_refused_claim_says_why_on_the_studio_page(services, account, studio, holder):
    car = make_video(services, account.user, prompt=CAR)
    refused = studio.post(
        "/studio/claims",
        {"video_id": car.id, "character_id": holder.character_id, "action": "track"},
    )
    assert refused.status_code == 403
    assert 'id="claim-error"><strong>No claim was made.</strong>' in refused.text
    assert "does not use Captain Brightwave" in refused.text
    assert f'value="{car.id}"' in refused.text  # the form keeps what was typed


def test_a_claimed_video_unpublished_by_its_maker_keeps_its_words(
    services, account, studio, holder
):
    from reelmint.domains.videos.service import unpublish_video

    video = make_video(services, account.user)
    made = studio.post(
        "/studio/claims",
        {"video_id": video.id, "character_id": holder.character_id, "action": "track"},
    )
    assert made.status_code == 303
    assert video.prompt in studio.get("/studio").text
    with services.db.write() as db:
        unpublish_video(db=db, actor=account.user, video_id=video.id)
    page = studio.get("/studio").text
    assert video.prompt not in page
    assert 'data-role="claimed-video-hidden"' in page
    assert f'id="claim-{only_claim(services).id}"' in page  # the claim itself stays listed


def test_claim_from_top_videos_and_the_csv(services, account, studio, holder):
    video = paid_video(services, holder, account.user)
    page = studio.get("/studio").text
    assert f'<li data-video="{video.id}">' in page
    assert f'name="video_id" value="{video.id}"' in page
    made = studio.post(
        "/studio/claims",
        {"video_id": video.id, "character_id": holder.character_id, "action": "track"},
    )
    assert made.status_code == 303
    exported = studio.get(f"/studio/{holder.organisation_id}/claims.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["video_id"], r["action"], r["status"], r["basis"]) for r in rows] == [
        (video.id, "track", "active", "licence_fee")
    ]
    stranger = sign_in(
        services, TestClient(studio.client.app), make_account(services, "stranger@example.com")
    )
    assert stranger.get(f"/studio/{holder.organisation_id}/claims.csv").status_code == 404


def test_the_studio_counts_a_paid_use_and_exports_the_uses(services, account, studio, holder):
    video = paid_video(services, holder, account.user, fee=5)
    page = studio.get("/studio").text
    assert '<strong data-role="earned">3</strong>' in page  # 70% of 5, rounded down
    exported = studio.get(f"/studio/{holder.organisation_id}/uses.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [
        (r["character_id"], r["character"], r["video_id"], r["fee_units"], r["your_units"])
        for r in rows
    ] == [(holder.character_id, "Captain Brightwave", video.id, "5", "3")]
    stranger = sign_in(
        services, TestClient(studio.client.app), make_account(services, "stranger@example.com")
    )
    assert stranger.get(f"/studio/{holder.organisation_id}/uses.csv").status_code == 404


def test_top_videos_show_the_prompt_of_published_videos_only(services, account, studio, holder):
    """A draft that paid the character's fee is listed by id, but its prompt stays its
    maker's: only a published video's prompt is public."""
    video = paid_video(services, holder, account.user)
    assert "rides the surf" in studio.get("/studio").text  # published: anyone may read it
    with services.db.write() as db:
        db.get(Video, video.id).published_at = None
    page = studio.get("/studio").text
    assert f'<li data-video="{video.id}">' in page
    assert "rides the surf" not in page
