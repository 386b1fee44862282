"""Licensed characters at admission: every refusal charges nothing, fees are reserved with the
video and split at settlement (holder pending, then available; the platform the rest).
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from reelmint.db.base import utcnow
from reelmint.domains.accounts.models import Organisation
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.ledger.models import LedgerHold
from reelmint.domains.ledger.service import check_ledger, platform_account
from reelmint.domains.rights import service as rights
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, cancel_video, create_video
from reelmint.domains.wallet import service as wallet
from reelmint.domains.wallet.models import HeldShare
from reelmint.errors import BadRequest, NotFound, PaymentRequired, ServiceError
from reelmint.queue import Completed, finish, lease_next
from support import make_account, while_held_open

DONE = Completed(video_key="k.mp4", poster_key="k.jpg", video_bytes=1, frames=1)


@pytest.fixture
def studio(services_on):
    """A rights holder (an organisation of kind rights_holder) and its member."""
    member = make_account(services_on, "studio@example.com").user
    with services_on.db.write() as db:
        org = create_organisation(
            db=db, owner=member, name="Wave Studios", slug="wave", kind="rights_holder"
        )
    return member, org.id


def register(services, studio, **fields):
    member, org_id = studio
    request = rights.CharacterRequest(
        **{
            "handle": "brightwave",
            "name": "Captain Brightwave",
            "description": "a caped surfer hero who rides a glowing tidal wave",
            "policy": "licensed",
            "fee_units": 3,
            **fields,
        }
    )
    with services.db.write() as db:
        return rights.register_character(
            db=db, actor=member, organisation_id=org_id, request=request
        )


@pytest.mark.parametrize("name", ["", "Mickey\x1b]0;pwned\x07"])
def test_a_character_name_is_printable(services_on, studio, name):
    from reelmint.errors import BadRequest

    with pytest.raises(BadRequest) as refused:
        register(services_on, studio, name=name)
    assert refused.value.code == "invalid_name"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("aliases", ["Bright\u202ewave"], "invalid_aliases"),
        ("aliases", ["a\x00b"], "invalid_aliases"),
        ("banned_themes", ["war\u200b"], "invalid_banned_themes"),
        ("description", "a surfer \u202eoreh", "invalid_description"),
        ("name", "Captain \u202eBrightwave", "invalid_name"),
    ],
)
def test_what_a_character_shows_holds_no_hidden_characters(services_on, studio, field, value, code):
    with pytest.raises(BadRequest) as refused:
        register(services_on, studio, **{field: value})
    assert refused.value.code == code
    assert "U+" in refused.value.message or field == "name"


def test_joiners_that_names_and_emoji_need_are_kept(services_on, studio):
    character = register(
        services_on,
        studio,
        name="Mehr\u200cdad",
        aliases=["\U0001f468\u200d\U0001f680 Brightwave"],
        description="a caped surfer\r\nwho rides a wave",
    )
    assert character.name == "Mehr\u200cdad"


def rival(services, email="rival@example.com", slug="rival"):
    """Another rights-holder organisation and its member."""
    member = make_account(services, email).user
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=member, name=slug.title(), slug=slug, kind="rights_holder"
        )
    return member, org.id


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Captain Brightwave"},
        {"name": "Capt4in Bright-Wave"},
        {"name": "Someone Else", "aliases": ["captain brightwave"]},
        {"name": "Brightwave"},  # the first character's handle
        {"name": "Sea Spray", "aliases": ["@brightwave"]},
    ],
)
def test_a_name_another_character_answers_to_is_refused(services_on, studio, fields):
    """Wherever one was named both would be found, and a user would pay both fees."""
    first = register(services_on, studio)
    for who in (rival(services_on), studio):
        with pytest.raises(ServiceError) as caught:
            register(services_on, who, handle="copycat", **fields)
        assert (caught.value.code, caught.value.status) == ("character_name_taken", 409)
        assert "Captain Brightwave (@brightwave)" in caught.value.message
    with services_on.db.read() as db:
        assert [c.id for c in rights.list_characters(db=db)] == [first.id]


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Brightwave Junior"},  # the other's alias is a run of its words
        {"name": "Captain"},  # a run of the other's name (found wherever it is capitalised)
        {"name": "Sea Spray", "aliases": ["Captain Brightwaves"]},  # a small misspelling
        {"name": "Sea Spray", "description": "A caped surfer hero who rides a glowing wave!"},
    ],
)
def test_another_organisation_cannot_register_what_a_prompt_would_read_as_both(
    services_on, studio, fields
):
    register(services_on, studio, description="a caped surfer hero who rides a glowing wave")
    with pytest.raises(ServiceError) as caught:
        register(services_on, rival(services_on), handle="copycat", **fields)
    assert (caught.value.code, caught.value.status) == ("character_name_taken", 409)
    assert "Captain Brightwave (@brightwave)" in caught.value.message


def test_one_organisation_may_name_a_character_after_part_of_another_of_its_own(
    services_on, studio
):
    register(services_on, studio)
    assert register(services_on, studio, handle="junior", name="Brightwave Junior").id


def test_a_change_cannot_take_another_characters_name_but_keeps_its_own(services_on, studio):
    from reelmint.domains.rights.models import Character

    register(services_on, studio)
    member = studio[0]
    other = register(services_on, studio, handle="pebble", name="Professor Pebble")

    def change(**fields):
        request = rights.CharacterRequest(
            **{"handle": "pebble", "name": "Professor Pebble", "policy": "open", **fields}
        )
        with services_on.db.write() as db:
            return rights.update_character(
                db=db, actor=member, character_id=other.id, request=request
            )

    assert change(aliases=["Prof Pebble"]).policy == "open"
    with pytest.raises(ServiceError) as caught:
        change(aliases=["Prof Pebble", "Captain Bright Wave"])
    assert (caught.value.code, caught.value.param) == ("character_name_taken", "aliases")
    old = register(services_on, studio, handle="old", name="Old Salt")
    with services_on.db.write() as db:  # a retired character's names are free again
        db.get(Character, old.id).retired_at = utcnow()
    assert change(aliases=["Old Salt"]).name == "Professor Pebble"


def test_two_copies_registered_at_once_leave_one(services_on, studio):
    from support import at_once

    def attempt(who, handle):
        try:
            register(services_on, who, handle=handle)
            return "made"
        except ServiceError as error:
            return error.code

    other = rival(services_on)
    outcomes = at_once(
        [lambda: attempt(studio, "first"), lambda: attempt(other, "second")], timeout=30
    )
    assert sorted(outcomes) == ["character_name_taken", "made"]


@pytest.mark.parametrize(
    "terms", [{"policy": "licensed", "fee_units": 7}, {"policy": "blocked", "fee_units": 0}]
)
def test_a_cameo_handle_used_as_an_alias_neither_charges_nor_blocks_the_cameo(
    services_on, studio, terms
):
    from domains.cameos.cameo_helpers import make_cameo

    owner = buyer(services_on)
    make_cameo(services_on, owner, "alice_cam")
    register(
        services_on, studio, handle="squat", name="Zqxv Squatter", aliases=["alice cam"], **terms
    )
    video = order(services_on, owner, "@alice_cam waves at the camera on a beach")
    with services_on.db.read() as db:
        kinds = {h.kind for h in wallet.holds_for_video(db=db, video_id=video.id)}
    assert kinds == {"spend_quota"}  # no licence fee, no refusal
    # The alias still names the character where no cameo is meant.
    if terms["policy"] == "blocked":
        assert refused(services_on, owner, "@zqxv_squatter waves").code == "character_not_licensed"


def test_an_organisation_name_is_printable(services_on, studio):
    from reelmint.errors import BadRequest

    member, _ = studio
    with services_on.db.write() as db, pytest.raises(BadRequest) as refused:
        create_organisation(db=db, owner=member, name="Wave\x07", slug="wave2")
    assert refused.value.code == "invalid_name"


def buyer(services, units=10):
    user = make_account(services, "fan@example.com").user
    with services.db.write() as db:
        from reelmint.domains.ledger.service import Leg, transfer

        account = wallet.wallet_of(db=db, user_id=user.id).purchased
        transfer(
            db=db,
            key=f"buy-{user.id}",
            legs=[Leg(platform_account(db=db, name="sales"), -units), Leg(account, units)],
            kind="purchase",
            reason="test purchase",
            user_id=user.id,
        )
    return user


def order(services, user, prompt):
    request = VideoRequest(prompt=prompt, seconds="4", size="480x480", seed=3)
    return create_video(services=services, user=user, request=request)


def counts(services):
    with services.db.read() as db:
        return (
            db.scalar(select(func.count()).select_from(Video)),
            db.scalar(select(func.count()).select_from(LedgerHold)),
        )


def refused(services, user, prompt) -> ServiceError:
    before = counts(services)
    with pytest.raises(ServiceError) as caught:
        order(services, user, prompt)
    assert counts(services) == before  # nothing written, nothing charged
    return caught.value


def test_only_members_of_a_rights_holder_register_characters(services_on, studio):
    character = register(services_on, studio)
    assert (character.handle, character.holder_share_bps) == ("brightwave", 7000)
    stranger = make_account(services_on, "x@example.com").user
    with services_on.db.write() as db, pytest.raises(NotFound):
        rights.register_character(
            db=db,
            actor=stranger,
            organisation_id=studio[1],
            request=rights.CharacterRequest(handle="other", name="Other"),
        )


@pytest.mark.parametrize(("fee", "share", "least"), [(1, None, 2), (3, 3333, 4), (1, 9999, 2)])
def test_a_fee_whose_share_would_pay_the_holder_nothing_is_refused(
    services_on, studio, fee, share, least
):
    with pytest.raises(BadRequest) as refused:
        register(services_on, studio, fee_units=fee, holder_share_bps=share)
    assert refused.value.code == "invalid_fee"
    assert f"make the fee {least} units or more" in refused.value.message
    register(services_on, studio, fee_units=least, holder_share_bps=share)  # pays 1 unit
    register(services_on, studio, handle="freebie", name="Freebie", fee_units=1, holder_share_bps=0)


def test_a_licensed_use_reserves_the_fee_from_purchased_credits(services_on, studio):
    register(services_on, studio)
    fan = buyer(services_on)
    video = order(services_on, fan, "@brightwave surfs at sunset")
    with services_on.db.read() as db:
        held = {(h.kind, h.amount) for h in wallet.holds_for_video(db=db, video_id=video.id)}
    assert held == {("licence_fee", 3), ("spend_quota", 1)}


@pytest.mark.parametrize("who", ["owner", "member"])
def test_the_holders_own_members_pay_it_no_fee_and_need_no_approval(services_on, studio, who):
    """Wave Studios' owner, or a plain member, uses its licensed, approved-only character:
    no fee (they would pay their own organisation, as they may not tip it), no approval; an
    approved fan pays the fee."""
    from support import join_organisation

    owner, org_id = studio
    character = register(services_on, studio, audience="approved")
    user = owner
    if who == "member":
        user = make_account(services_on, "staff@example.com").user
        with services_on.db.write() as db:
            organisation = db.get_one(Organisation, org_id)
            join_organisation(db, owner=owner, organisation=organisation, user=user)
    video = order(services_on, user, "@brightwave surfs at sunset")
    with services_on.db.read() as db:
        held = {(h.kind, h.amount) for h in wallet.holds_for_video(db=db, video_id=video.id)}
    assert held == {("spend_quota", 1)}
    fan = buyer(services_on)
    with services_on.db.write() as db:
        rights.approve_user(db=db, actor=owner, character_id=character.id, user_id=fan.id)
    paid = order(services_on, fan, "@brightwave surfs at sunset")
    with services_on.db.read() as db:
        held = {(h.kind, h.amount) for h in wallet.holds_for_video(db=db, video_id=paid.id)}
    assert held == {("licence_fee", 3), ("spend_quota", 1)}


@pytest.mark.parametrize("policy", [{"policy": "blocked", "fee_units": 0}, {"audience": "nobody"}])
def test_a_blocked_or_unlicensed_character_is_refused_to_its_own_members_too(
    services_on, studio, policy
):
    member, _ = studio
    register(services_on, studio, **policy)
    with pytest.raises(rights.CharacterNotLicensed):
        order(services_on, member, "@brightwave surfs at sunset")


def delivered(services, video) -> None:
    """A worker leases the video and delivers it (its fees are split)."""
    with services.db.write() as db:
        lease_next(db=db, settings=services.settings, worker_id="w")
    with services.db.write() as db:
        finish(db=db, video_id=video.id, worker_id="w", outcome=DONE)


def test_delivery_splits_the_fee_and_the_share_becomes_available_later(services_on, studio):
    register(services_on, studio, fee_units=5)
    fan = buyer(services_on)
    delivered(services_on, order(services_on, fan, "Captain Brightwave rides a wave"))
    org_id = studio[1]
    with services_on.db.write() as db:
        pending = wallet.earnings_account(db=db, organisation_id=org_id)
        assert pending.balance == 3  # 70% of 5, rounded down
        assert platform_account(db=db, name="licence_revenue").balance == 2
        assert platform_account(db=db, name="licence_escrow").balance == 0
        assert wallet.read_wallet(db=db, user_id=fan.id).purchased.balance == 5
    later = utcnow() + timedelta(days=services_on.settings.rights_hold_days + 1)
    with services_on.db.write() as db:
        assert wallet.release_earnings(db=db, settings=services_on.settings, now=later) == 1
    with services_on.db.write() as db:
        assert wallet.release_earnings(db=db, settings=services_on.settings, now=later) == 0
        assert db.scalar(select(func.count()).select_from(HeldShare)) == 0
        pending = wallet.earnings_account(db=db, organisation_id=org_id)
        available = wallet.earnings_account(db=db, organisation_id=org_id, available=True)
        assert (pending.balance, available.balance) == (0, 3)
        assert check_ledger(db=db) == []


def test_a_share_of_a_fee_paid_by_a_fan_who_owes_stays_pending_until_the_debt_is_paid(
    services_on, studio
):
    """A fan's payment is disputed after they paid a licence fee: the holder's share waits
    (as a tip does) rather than becoming available, and payable, on money taken back."""
    from reelmint.domains.ledger.service import Leg, transfer

    register(services_on, studio, fee_units=5)
    fan = buyer(services_on)
    delivered(services_on, order(services_on, fan, "Captain Brightwave rides a wave"))
    with services_on.db.write() as db:  # then their payment is disputed: they owe 10
        owed = wallet.wallet_of(db=db, user_id=fan.id).owed
        legs = [Leg(owed, -10), Leg(platform_account(db=db, name="sales"), 10)]
        transfer(db=db, key="debt", legs=legs, kind="dispute", reason="test")
    later = utcnow() + timedelta(days=services_on.settings.rights_hold_days + 1)
    with services_on.db.write() as db:
        assert wallet.release_earnings(db=db, settings=services_on.settings, now=later) == 0
        assert wallet.earnings_account(db=db, organisation_id=studio[1]).balance == 3
    with services_on.db.write() as db:  # the debt is paid: the share is released
        owed = wallet.wallet_of(db=db, user_id=fan.id).owed
        legs = [Leg(platform_account(db=db, name="sales"), -10), Leg(owed, 10)]
        transfer(db=db, key="paid", legs=legs, kind="purchase", reason="test")
    with services_on.db.write() as db:
        assert wallet.release_earnings(db=db, settings=services_on.settings, now=later) == 1
        available = wallet.earnings_account(db=db, organisation_id=studio[1], available=True)
        assert available.balance == 3
        assert check_ledger(db=db) == []


def test_the_split_pays_the_share_agreed_when_the_fee_was_reserved(services_on, studio):
    character = register(services_on, studio, fee_units=10)  # 70 % to the holder
    fan = buyer(services_on)
    video = order(services_on, fan, "Captain Brightwave rides a wave")
    member, org_id = studio
    changed = rights.CharacterRequest(
        handle="brightwave",
        name="Captain Brightwave",
        description="a caped surfer hero who rides a glowing tidal wave",
        policy="licensed",
        fee_units=10,
        holder_share_bps=2000,  # lowered while the video waits in the queue
    )
    with services_on.db.write() as db:
        rights.update_character(db=db, actor=member, character_id=character.id, request=changed)
    with services_on.db.write() as db:
        lease_next(db=db, settings=services_on.settings, worker_id="w")
    with services_on.db.write() as db:
        finish(db=db, video_id=video.id, worker_id="w", outcome=DONE)
    with services_on.db.write() as db:
        assert wallet.earnings_account(db=db, organisation_id=org_id).balance == 7
        assert platform_account(db=db, name="licence_revenue").balance == 3
        assert check_ledger(db=db) == []


def test_a_cancelled_video_voids_the_fee_too(services_on, studio):
    register(services_on, studio)
    fan = buyer(services_on)
    video = order(services_on, fan, "@brightwave surfs")
    with services_on.db.write() as db:
        cancel_video(db=db, actor=fan, video_id=video.id)
        holds = wallet.holds_for_video(db=db, video_id=video.id)
        assert {h.status for h in holds} == {"voided"}
        assert wallet.read_wallet(db=db, user_id=fan.id).purchased.available == 10


def test_too_few_purchased_credits_for_the_fee_is_refused(services_on, studio):
    register(services_on, studio, fee_units=20)
    fan = buyer(services_on, units=5)
    error = refused(services_on, fan, "@brightwave surfs")
    assert isinstance(error, PaymentRequired)
    assert "Captain Brightwave (20 units)" in error.message


@pytest.mark.parametrize(
    ("fields", "prompt", "reason"),
    [
        ({"policy": "blocked", "fee_units": 0}, "@brightwave surfs", "does not allow"),
        ({"audience": "nobody"}, "Captain Brightwave surfs", "not licensed to anyone"),
        ({"audience": "approved"}, "@brightwave surfs", "approved"),
        ({"banned_themes": ["shark attack"]}, "@brightwave and a Shark-Attack", "shark attack"),
    ],
    ids=["blocked", "nobody", "not-approved", "banned-theme"],
)
def test_refusals_name_the_character_and_the_reason(services_on, studio, fields, prompt, reason):
    register(services_on, studio, **fields)
    fan = buyer(services_on)
    error = refused(services_on, fan, prompt)
    assert error.code == "character_not_licensed"
    assert error.status == 403
    assert "Captain Brightwave (@brightwave)" in error.message
    assert reason in error.message


def test_an_approved_user_may_use_a_restricted_character(services_on, studio):
    character = register(services_on, studio, audience="approved")
    fan = buyer(services_on)
    refused(services_on, fan, "@brightwave surfs")
    with services_on.db.write() as db:
        rights.approve_user(db=db, actor=studio[0], character_id=character.id, user_id=fan.id)
    assert order(services_on, fan, "@brightwave surfs").price_units == 1


def test_two_approvals_at_once_keep_one_and_neither_fails(services_on, studio):
    """A double click on "approve": the second waits for the first and finds it done."""
    from reelmint.domains.rights.models import CharacterApproval

    character = register(services_on, studio, audience="approved")
    fan = buyer(services_on)

    def approve(db) -> str:
        rights.approve_user(db=db, actor=studio[0], character_id=character.id, user_id=fan.id)
        return "approved"

    assert while_held_open(services_on, approve, approve) == ("approved", "approved")
    with services_on.db.read() as db:
        count = select(func.count()).select_from(CharacterApproval)
        assert db.scalar(count.where(CharacterApproval.user_id == fan.id)) == 1
    assert order(services_on, fan, "@brightwave surfs").price_units == 1


@pytest.mark.parametrize("user_id", ["user_nobody", "a\x00b", "x" * 300])
def test_approving_an_unknown_user_is_not_found(services_on, studio, user_id):
    character = register(services_on, studio, audience="approved")
    with services_on.db.write() as db, pytest.raises(NotFound) as caught:
        rights.approve_user(db=db, actor=studio[0], character_id=character.id, user_id=user_id)
    assert (caught.value.code, caught.value.param) == ("user_not_found", "user_id")


def test_an_open_character_is_free_and_prompts_without_characters_pay_no_fee(services_on, studio):
    register(services_on, studio, policy="open", fee_units=0)
    fan = buyer(services_on)
    for prompt in ("@brightwave surfs", "a dog runs in a park"):
        video = order(services_on, fan, prompt)
        with services_on.db.read() as db:
            kinds = {h.kind for h in wallet.holds_for_video(db=db, video_id=video.id)}
        assert kinds == {"spend_quota"}


def test_a_retired_character_is_no_longer_checked_and_a_change_is_seen_at_once(services_on, studio):
    """Admission reads the registry's version once: a change to a character, and its
    retirement (even of the only one), take effect at the next request."""
    from reelmint.domains.rights.models import Character

    character = register(services_on, studio, policy="open", fee_units=0)
    fan = buyer(services_on)
    order(services_on, fan, "@brightwave surfs")  # the detector is built and cached
    with services_on.db.write() as db:
        db.get(Character, character.id).policy = "blocked"
        db.get(Character, character.id).updated_at = utcnow()
    assert refused(services_on, fan, "@brightwave surfs").code == "character_not_licensed"
    with services_on.db.write() as db:
        db.get(Character, character.id).retired_at = utcnow()
    video = order(services_on, fan, "@brightwave surfs at sunset")
    with services_on.db.read() as db:
        kinds = {h.kind for h in wallet.holds_for_video(db=db, video_id=video.id)}
    assert kinds == {"spend_quota"}


def registry_version(services) -> int:
    with services.db.read() as db:
        version = rights._registry_version(db)
    assert version is not None
    return version


def test_every_change_to_characters_moves_the_registry_version(services_on, studio):
    """Triggers move it, so changes made in SQL or by a cascade count as much as the ORM's."""
    from sqlalchemy import text

    from reelmint.domains.accounts.models import Organisation

    start = registry_version(services_on)
    character = register(services_on, studio, policy="open", fee_units=0)
    created = registry_version(services_on)
    assert created > start
    with services_on.db.write() as db:
        db.execute(
            text("UPDATE characters SET policy = 'blocked' WHERE id = :id"), {"id": character.id}
        )
    assert registry_version(services_on) > created
    changed = registry_version(services_on)
    with services_on.db.write() as db:  # the organisation goes, its characters with it
        db.delete(db.get_one(Organisation, studio[1]))
    assert registry_version(services_on) > changed
    with services_on.db.read() as db:
        assert db.scalar(select(func.count()).select_from(rights.Character)) == 0


def test_a_change_made_in_sql_is_seen_by_the_next_admission(services_on, studio):
    from sqlalchemy import text

    character = register(services_on, studio, policy="open", fee_units=0)
    fan = buyer(services_on)
    order(services_on, fan, "@brightwave surfs")  # the detector is built and cached
    with services_on.db.write() as db:  # no updated_at: only the trigger tells
        db.execute(
            text("UPDATE characters SET policy = 'blocked' WHERE id = :id"), {"id": character.id}
        )
    assert refused(services_on, fan, "@brightwave surfs").code == "character_not_licensed"


def test_a_rolled_back_change_leaves_the_version_alone(services_on, studio):
    register(services_on, studio, policy="open", fee_units=0)
    before = registry_version(services_on)

    def rename_then_fail() -> None:
        with services_on.db.write() as db:
            db.get_one(rights.Character, db.scalar(select(rights.Character.id))).name = "Other"
            db.flush()  # the trigger has run inside the transaction
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        rename_then_fail()
    assert registry_version(services_on) == before


def test_the_catalogue_and_earnings_api(client, services, account):
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=account.user, name="Wave", slug="wave", kind="rights_holder"
        )
    body = {
        "organisation_id": org.id,
        "handle": "@Brightwave",
        "name": "Captain Brightwave",
        "fee_units": 2,
    }
    made = client.post("/v1/characters", headers=account.headers, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["handle"] == "brightwave"
    assert client.get("/v1/characters").json()["data"][0]["fee_units"] == 2
    taken = client.post("/v1/characters", headers=account.headers, json=body)
    assert (taken.status_code, taken.json()["error"]["code"]) == (409, "handle_taken")
    for field, code, words in (  # the web's form reaches the service unchecked: its words
        ("fee_units", "invalid_fee", "the fee (fee_units) must be 0 to 10000 units, not 10001"),
        ("holder_share_bps", "invalid_share", "share (holder_share_bps) must be 0 to 10000"),
    ):
        wrong = rights.CharacterRequest(handle="other", name="Other", **{field: 10_001})
        with services.db.write() as db, pytest.raises(BadRequest) as refused:
            rights.register_character(
                db=db, actor=account.user, organisation_id=org.id, request=wrong
            )
        assert (refused.value.code, words in refused.value.message) == (code, True)
    earnings = client.get(f"/v1/organisations/{org.id}/earnings", headers=account.headers)
    assert earnings.json() == {
        "object": "earnings",
        "organisation_id": org.id,
        "pending": 0,
        "available": 0,
        "in_payout": 0,
    }
    other = make_account(services, "bob@example.com")
    assert (
        client.get(f"/v1/organisations/{org.id}/earnings", headers=other.headers).status_code == 404
    )


@pytest.mark.parametrize("bad", ["chr_\x00", "x" * 65, "../chr", ""])
def test_an_id_that_new_id_cannot_make_is_not_found_on_every_database(services_on, studio, bad):
    member, _ = studio
    with services_on.db.read() as db:
        with pytest.raises(NotFound) as character:
            rights.get_character(db=db, character_id=bad)
        with pytest.raises(NotFound) as holder:
            rights.holder_organisation(db=db, actor=member, organisation_id=bad)
    assert character.value.code == "character_not_found"
    assert holder.value.code == "organisation_not_found"


def test_a_character_named_in_characters_pays_its_fee_though_the_prompt_never_names_it(
    services_on, studio
):
    character = register(services_on, studio)
    fan = buyer(services_on)
    prompt = "a red car drives through the city at night"  # nothing a detector could match
    for reference in (character.id, "@brightwave", "BrightWave"):
        request = VideoRequest(prompt=prompt, seconds="4", size="480x480", characters=(reference,))
        video = create_video(services=services_on, user=fan, request=request)
        with services_on.db.read() as db:
            held = {(h.kind, h.amount) for h in wallet.holds_for_video(db=db, video_id=video.id)}
        assert ("licence_fee", 3) in held, reference
    alone = order(services_on, fan, prompt)  # the same prompt without `characters` pays no fee
    with services_on.db.read() as db:
        kinds = {h.kind for h in wallet.holds_for_video(db=db, video_id=alone.id)}
    assert "licence_fee" not in kinds


def test_an_unknown_character_in_characters_is_refused_and_charges_nothing(services_on, studio):
    fan = buyer(services_on)
    before = counts(services_on)
    request = VideoRequest(prompt="a hero surfs", seconds="4", characters=("chr_nobody",))
    with pytest.raises(ServiceError) as caught:
        create_video(services=services_on, user=fan, request=request)
    assert (caught.value.code, caught.value.status) == ("unknown_character", 400)
    assert counts(services_on) == before


def test_the_earnings_statement_shows_each_share_and_its_release(services, client):
    holder = make_account(services, "studio@example.com")
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=holder.user, name="Wave", slug="wave", kind="rights_holder"
        )
    register(services, (holder.user, org.id), fee_units=5)
    video = order(services, buyer(services), "Captain Brightwave rides a wave")
    with services.db.write() as db:
        lease_next(db=db, settings=services.settings, worker_id="w")
    with services.db.write() as db:
        finish(db=db, video_id=video.id, worker_id="w", outcome=DONE)
    later = utcnow() + timedelta(days=services.settings.rights_hold_days + 1)
    with services.db.write() as db:
        assert wallet.release_earnings(db=db, settings=services.settings, now=later) == 1
    url = f"/v1/organisations/{org.id}/earnings/statement"
    lines = client.get(url, headers=holder.headers).json()["data"]
    assert sorted((line["kind"], line["wallet"], line["amount"]) for line in lines) == [
        ("earnings_release", "earnings_available", 3),
        ("earnings_release", "earnings_pending", -3),
        ("licence_split", "earnings_pending", 3),
    ]
    assert all(line["video_id"] == video.id for line in lines)
    csv = client.get(f"{url}?format=csv", headers=holder.headers)
    assert csv.headers["content-disposition"] == (
        f'attachment; filename="reelmint-earnings-{org.id}.csv"'
    )
    assert csv.text.count("\n") == 4  # the header and three lines
    assert client.get(url, headers=holder.headers).json()["has_more"] is False
    assert client.get(f"{url}?limit=2", headers=holder.headers).json()["has_more"] is True
    stranger = make_account(services, "x@example.com")
    hidden = client.get(url, headers=stranger.headers)
    assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "organisation_not_found")


def test_the_operator_caps_the_holders_share(tmp_path):
    from fastapi.testclient import TestClient

    from reelmint.api.app import create_app
    from support import make_services

    capped = make_services(tmp_path, f"sqlite:///{tmp_path / 'cap.db'}", holder_share_max_bps=5000)
    try:
        owner = make_account(capped, "owner@example.com")
        with capped.db.write() as db:
            org = create_organisation(
                db=db, owner=owner.user, name="Wave", slug="wave", kind="rights_holder"
            )
        with TestClient(create_app(capped)) as api:
            body = {"organisation_id": org.id, "handle": "wave", "name": "Wave", "fee_units": 4}
            over = api.post(
                "/v1/characters", headers=owner.headers, json={**body, "holder_share_bps": 8000}
            )
            assert (over.status_code, over.json()["error"]["code"]) == (400, "invalid_share")
            assert (
                "0 to 5000 basis points (0 to 50%) on this platform"
                in over.json()["error"]["message"]
            )
            made = api.post("/v1/characters", headers=owner.headers, json=body)  # no share given
            assert made.status_code == 201, made.text
            assert made.json()["holder_share_bps"] == 5000  # the default, lowered to the cap
            raised = api.put(
                f"/v1/characters/{made.json()['id']}",
                headers=owner.headers,
                json={**body, "holder_share_bps": 5001},
            )
            assert raised.status_code == 400
            with capped.db.write() as db:
                other = create_organisation(
                    db=db, owner=owner.user, name="Tide", slug="tide", kind="rights_holder"
                )
            moved = api.put(
                f"/v1/characters/{made.json()['id']}",
                headers=owner.headers,
                json={**body, "organisation_id": other.id, "fee_units": 9},
            )
            assert (moved.status_code, moved.json()["error"]["code"]) == (
                400,
                "organisation_fixed",
            )  # was 200, the organisation silently kept
            kept = api.get(f"/v1/characters/{made.json()['id']}", headers=owner.headers).json()
            assert (kept["organisation_id"], kept["fee_units"]) == (org.id, 4)  # nothing changed
    finally:
        capped.close()
