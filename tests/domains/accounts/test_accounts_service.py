"""Accounts: passwords (argon2id), tokens and sessions hashed at rest, roles, organisations."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from argon2 import Type, profiles
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.accounts import invitations, service
from reelmint.domains.accounts.models import ApiToken, User, WebSession
from reelmint.errors import BadRequest, Conflict, Forbidden, NotFound, Unauthorized
from support import PRODUCTION_HASHER, at_once, join_organisation


@pytest.fixture
def ada(services):
    with services.db.write() as db:
        return service.create_user(db=db, email=" Ada@Example.com ", password="correct horse 1")


def test_production_hashes_with_the_recommended_parameters():
    # The suite hashes at argon2's cheapest parameters (support.use_cheap_password_hashing).
    production = PRODUCTION_HASHER[0]
    recommended = profiles.RFC_9106_LOW_MEMORY
    assert production.type is Type.ID
    assert (production.time_cost, production.memory_cost, production.parallelism) == (
        recommended.time_cost,
        recommended.memory_cost,
        recommended.parallelism,
    )
    assert production.check_needs_rehash(service._hasher.hash("a test password"))


def test_passwords_are_stored_as_argon2id_and_checked(services, ada):
    assert ada.email == "ada@example.com"
    assert ada.password_hash.startswith("$argon2id$")
    assert "correct horse" not in ada.password_hash
    with services.db.write() as db:
        assert (
            service.authenticate(db=db, email="ADA@example.com", password="correct horse 1").id
            == ada.id
        )
        for email, password in [
            ("ada@example.com", "wrong password"),
            ("bob@example.com", "x" * 12),
        ]:
            with pytest.raises(Unauthorized) as caught:
                service.authenticate(db=db, email=email, password=password)
            assert caught.value.code == "invalid_credentials"
            assert caught.value.message == "wrong email or password"  # no hint which was wrong


@pytest.mark.parametrize(
    ("email", "password", "code"),
    [
        ("not-an-email", "long enough pw", "invalid_email"),
        ("bob@example.com", "short", "weak_password"),
        ("bob@example.com", "x" * 300, "invalid_password"),
    ],
)
def test_bad_sign_ups_are_refused(services, email, password, code):
    with services.db.write() as db, pytest.raises(BadRequest) as caught:
        service.create_user(db=db, email=email, password=password)
    assert caught.value.code == code


def test_an_email_is_taken_once(services, ada):
    with services.db.write() as db, pytest.raises(Conflict) as caught:
        service.create_user(db=db, email="ADA@example.com", password="another password")
    assert caught.value.code == "email_taken"


def test_api_tokens_are_shown_once_and_kept_only_as_hashes(services, ada):
    with services.db.write() as db:
        token, secret = service.create_api_token(db=db, user=ada, name="laptop")
    assert secret.startswith("rm_")
    assert len(secret) > 40
    with services.db.read() as db:
        stored = db.scalars(select(ApiToken)).all()
        assert [t.token_hash for t in stored] == [service.sha256_hex(secret)]
        assert secret not in {t.token_hash for t in stored}
        token_row, user = service.find_api_token(db=db, secret=secret)
        assert (token_row.id, user.id) == (token.id, ada.id)
        assert service.find_api_token(db=db, secret=secret + "x") is None
        assert service.find_api_token(db=db, secret="not a token") is None


def test_a_revoked_token_stops_working_and_only_its_owner_can_revoke_it(services, ada):
    with services.db.write() as db:
        token, secret = service.create_api_token(db=db, user=ada, name="ci")
        eve = service.create_user(db=db, email="eve@example.com", password="eve's password")
        with pytest.raises(NotFound):
            service.revoke_api_token(db=db, actor=eve, token_id=token.id)
        service.revoke_api_token(db=db, actor=ada, token_id=token.id)
    with services.db.read() as db:
        assert service.find_api_token(db=db, secret=secret) is None


def test_an_admin_may_revoke_anyones_token(services, ada):
    with services.db.write() as db:
        token, secret = service.create_api_token(db=db, user=ada, name="ci")
        root = service.create_user(
            db=db, email="root@example.com", password="admin password", role="admin"
        )
        service.revoke_api_token(db=db, actor=root, token_id=token.id)
    with services.db.read() as db:
        assert service.find_api_token(db=db, secret=secret) is None


@pytest.mark.parametrize("name", ["   ", "laptop\x07", "pay\u202egnp.exe", "lap\u200btop"])
def test_a_token_needs_a_name_of_plain_characters(services, ada, name):
    with services.db.write() as db, pytest.raises(BadRequest) as caught:
        service.create_api_token(db=db, user=ada, name=name)
    assert caught.value.code == "invalid_name"
    with services.db.write() as db:  # an accented or emoji name is plain text
        token, _ = service.create_api_token(db=db, user=ada, name="café 🎬")
    assert token.name == "café 🎬"


def test_sessions_expire_and_end(services, ada):
    with services.db.write() as db:
        session, secret = service.start_web_session(db=db, user=ada)
    with services.db.read() as db:
        found, user = service.find_web_session(db=db, secret=secret)
        assert (found.id, user.id) == (session.id, ada.id)
        assert db.scalar(select(WebSession.token_hash)) == service.sha256_hex(secret)
    with services.db.write() as db:
        db.get(WebSession, session.id).expires_at = utcnow() - timedelta(seconds=1)
    with services.db.read() as db:
        assert service.find_web_session(db=db, secret=secret) is None
    with services.db.write() as db:
        _, second = service.start_web_session(db=db, user=ada)
        service.end_web_session(db=db, secret=second)
    with services.db.read() as db:
        assert service.find_web_session(db=db, secret=second) is None


def test_the_live_sessions_are_listed_with_their_browser_newest_first(services, ada):
    agent = "Mozilla/5.0   (X11; Linux)\n" + "x" * 300
    with services.db.write() as db:
        old, _ = service.start_web_session(db=db, user=ada, user_agent="curl/8")
        new, _ = service.start_web_session(db=db, user=ada, user_agent=agent)
        gone, _ = service.start_web_session(db=db, user=ada)
        db.get_one(WebSession, old.id).last_seen_at = utcnow() - timedelta(hours=1)
        db.get_one(WebSession, new.id).last_seen_at = utcnow()
        db.get_one(WebSession, gone.id).expires_at = utcnow() - timedelta(seconds=1)
    with services.db.read() as db:
        live = service.live_web_sessions(db=db, user=ada)
    assert [session.id for session in live] == [new.id, old.id]
    assert live[0].user_agent == ("Mozilla/5.0 (X11; Linux) " + "x" * 300)[:200]
    assert live[1].user_agent == "curl/8"


def test_one_browser_or_all_the_others_are_signed_out(services, ada):
    with services.db.write() as db:
        bob = service.create_user(db=db, email="bob@example.com", password="correct horse 2")
        here, _ = service.start_web_session(db=db, user=ada)
        there, _ = service.start_web_session(db=db, user=ada)
        elsewhere, _ = service.start_web_session(db=db, user=ada)
        bobs, _ = service.start_web_session(db=db, user=bob)
    with services.db.write() as db, pytest.raises(NotFound) as caught:
        service.end_web_session_of(db=db, user=ada, session_id=bobs.id)  # not hers
    assert caught.value.code == "session_not_found"
    with services.db.write() as db:
        service.end_web_session_of(db=db, user=ada, session_id=there.id)
    with services.db.write() as db, pytest.raises(NotFound):
        service.end_web_session_of(db=db, user=ada, session_id=there.id)  # over already
    with services.db.write() as db:
        ended = service.end_other_web_sessions(db=db, user=ada, keep_session_id=here.id)
    assert ended == 1
    with services.db.read() as db:
        remaining = set(db.scalars(select(WebSession.id)))
    assert remaining == {here.id, bobs.id}
    assert elsewhere.id not in remaining


def test_disabled_users_cannot_use_tokens_or_sessions(services, ada):
    with services.db.write() as db:
        _, token = service.create_api_token(db=db, user=ada, name="x")
        _, cookie = service.start_web_session(db=db, user=ada)
        db.get(type(ada), ada.id).disabled_at = utcnow()
    with services.db.read() as db:
        assert service.find_api_token(db=db, secret=token) is None
        assert service.find_web_session(db=db, secret=cookie) is None


def test_roles_change_only_by_an_admin(services, ada):
    with services.db.write() as db:
        bob = service.create_user(db=db, email="bob@example.com", password="bob's password")
        with pytest.raises(Forbidden):
            service.set_role(db=db, actor=bob, user_id=ada.id, role="admin")
        root = service.create_user(
            db=db, email="r@example.com", password="admin password", role="admin"
        )
        service.set_role(db=db, actor=root, user_id=ada.id, role="rights_holder")
        with pytest.raises(BadRequest):
            service.set_role(db=db, actor=root, user_id=ada.id, role="emperor")
    with services.db.read() as db:
        assert service.get_user(db=db, user_id=ada.id).role == "rights_holder"


def test_organisations_have_owners_who_invite_members(services, ada):
    with services.db.write() as db:
        studio = service.create_organisation(db=db, owner=ada, name="Acme Studio", slug="acme")
        bob = service.create_user(db=db, email="bob@example.com", password="bob's password")
        eve = service.create_user(db=db, email="eve@example.com", password="eve's password")
        with pytest.raises(Forbidden):
            invitations.invite(db=db, actor=bob, organisation=studio, user=eve)
        with pytest.raises(Conflict) as direct:  # nobody is put in unasked
            service.add_member(db=db, actor=ada, organisation=studio, user=bob)
        assert direct.value.code == "invitation_required"
        invitations.invite(db=db, actor=ada, organisation=studio, user=bob)
        with pytest.raises(NotFound):  # invited is not yet a member
            service.members(db=db, actor=bob, organisation=studio)
        invitations.accept(db=db, actor=bob, organisation_id=studio.id)
        assert {m.user_id for m in service.members(db=db, actor=bob, organisation=studio)} == {
            ada.id,
            bob.id,
        }
        with pytest.raises(NotFound):
            service.members(db=db, actor=eve, organisation=studio)
        with pytest.raises(Conflict):
            service.create_organisation(db=db, owner=bob, name="Other", slug="acme")
        with pytest.raises(BadRequest):
            service.create_organisation(db=db, owner=bob, name="Bad", slug="Bad Slug!")


def test_the_last_owner_can_neither_step_down_nor_leave(services, ada):
    with services.db.write() as db:
        studio = service.create_organisation(db=db, owner=ada, name="Acme Studio", slug="acme")
        bob = service.create_user(db=db, email="bob@example.com", password="bob's password")
        join_organisation(db, owner=ada, organisation=studio, user=bob)
    for change in (
        lambda db: service.add_member(db=db, actor=ada, organisation=studio, user=ada),
        lambda db: service.remove_member(
            db=db, actor=service.OPERATOR, organisation=studio, user=ada
        ),
    ):
        with services.db.write() as db, pytest.raises(Conflict) as alone:
            change(db)
        assert alone.value.code == "sole_owner"
    with services.db.write() as db:
        service.add_member(db=db, actor=ada, organisation=studio, user=bob, role="owner")
        service.add_member(db=db, actor=ada, organisation=studio, user=ada)  # now she may
        with pytest.raises(Forbidden):
            service.remove_member(db=db, actor=ada, organisation=studio, user=bob)  # a member
        service.remove_member(db=db, actor=bob, organisation=studio, user=ada)
        with pytest.raises(NotFound) as gone:
            service.remove_member(db=db, actor=bob, organisation=studio, user=ada)
        assert gone.value.code == "member_not_found"
        roles = {m.user_id: m.role for m in service.members(db=db, actor=bob, organisation=studio)}
    assert roles == {bob.id: "owner"}


def test_a_name_is_tidied_kept_searchable_and_refused_when_empty_or_long(services, ada):
    with services.db.write() as db:
        user = db.get(type(ada), ada.id)
        service.rename(db=db, user=user, display_name="  Ada   Lovelace ")
    with services.db.read() as db:
        stored = db.get(type(ada), ada.id)
        assert (stored.display_name, stored.name_key) == ("Ada Lovelace", "ada lovelace")
    for bad in ("   ", "x" * 81, "Ada\x00Lovelace", "closed  ACCOUNT", "Ｃｌｏｓｅｄ account"):
        with services.db.write() as db, pytest.raises(BadRequest) as caught:
            service.rename(db=db, user=db.get(type(ada), ada.id), display_name=bad)
        assert (caught.value.code, caught.value.param) == ("invalid_display_name", "display_name")
    with services.db.read() as db:
        assert db.get(type(ada), ada.id).display_name == "Ada Lovelace"


def test_a_sign_up_without_a_name_is_called_creator_and_a_number_never_its_email(services):
    """Others see the name: nothing of the address may be in it (it was "jane.doe.1987")."""
    with services.db.write() as db:
        blank = service.create_user(db=db, email="jane.doe.1987@example.com", password="x" * 12)
        spaced = service.create_user(
            db=db, email="alan@example.com", password="x" * 12, display_name="  "
        )
        named = service.create_user(
            db=db, email="kat@example.com", password="x" * 12, display_name=" Kat  J "
        )
    for user in (blank, spaced):
        assert re.fullmatch(r"Creator \d{4}", user.display_name)
        assert user.display_name == service.default_display_name(user.id)
        assert user.name_key == user.display_name.casefold()
    assert "jane" not in blank.display_name.casefold()
    assert named.display_name == "Kat J"
    with services.db.write() as db:  # the owner renames it as any other
        service.rename(db=db, user=db.get(type(blank), blank.id), display_name="Jane")
        assert db.get(type(blank), blank.id).display_name == "Jane"


@pytest.mark.parametrize(
    "look_alike",
    [
        "Cl\u043esed account",  # a Cyrillic о
        "\u0421losed \u0430ccount",  # Cyrillic С and а
        "Clos\u0435d account",  # a Cyrillic е
        "Cl\u03bfsed account",  # a Greek ο
        "Clósed account",
        "\u1d04\u029f\u1d0fs\u1d07\u1d05 \u1d00\u1d04\u1d04\u1d0f\u1d1c\u0274\u1d1b",
    ],
)
def test_a_name_that_reads_as_closed_account_is_refused(services, ada, look_alike):
    with services.db.write() as db, pytest.raises(BadRequest) as caught:
        service.rename(db=db, user=db.get(type(ada), ada.id), display_name=look_alike)
    assert (caught.value.code, caught.value.param) == ("invalid_display_name", "display_name")
    with services.db.write() as db:  # a name that only starts like it is anyone's
        service.rename(db=db, user=db.get(type(ada), ada.id), display_name="Closed accounts")


def test_a_new_password_needs_the_current_one_and_signs_out_other_browsers(services, ada):
    with services.db.write() as db:
        here, _ = service.start_web_session(db=db, user=ada)
        service.start_web_session(db=db, user=ada)  # another browser
        _, token = service.create_api_token(db=db, user=ada, name="laptop")
    for current, new, refusal, code in (
        ("wrong", "a new password 2", Forbidden, "wrong_password"),
        ("correct horse 1", "short", BadRequest, "weak_password"),
    ):
        with services.db.write() as db:
            user = db.get(type(ada), ada.id)
            with pytest.raises(refusal) as caught:
                service.change_password(db=db, user=user, current=current, new=new)
        assert caught.value.code == code
    with services.db.read() as db:  # neither refusal changed anything
        assert len(db.scalars(select(WebSession)).all()) == 2
    with services.db.write() as db:
        user = db.get(type(ada), ada.id)
        ended = service.change_password(
            db=db,
            user=user,
            current="correct horse 1",
            new="a new password 2",
            keep_session_id=here.id,
        )
    assert ended == 1
    with services.db.write() as db:
        assert [s.id for s in db.scalars(select(WebSession))] == [here.id]
        assert service.authenticate(db=db, email=ada.email, password="a new password 2")
        with pytest.raises(Unauthorized):
            service.authenticate(db=db, email=ada.email, password="correct horse 1")
        assert service.find_api_token(db=db, secret=token) is not None  # tokens stay


def test_two_sign_ups_with_one_address_at_once_make_one_account(services_on):
    """The second is told the address is taken (not a server error), on both databases."""

    def sign_up(n: int):
        with services_on.db.write() as db:
            return service.create_user(
                db=db, email="same@example.com", password=f"a long password {n}"
            )

    results = at_once([lambda n=n: sign_up(n) for n in range(4)], timeout=60)
    assert sum(isinstance(r, User) for r in results) == 1, results
    assert all(r.code == "email_taken" for r in results if not isinstance(r, User))


def test_an_organisation_name_is_printable_and_not_cut_short(services, ada):
    with services.db.write() as db:
        spaced = service.create_organisation(
            db=db, owner=ada, name="Tab\tName \n Studio", slug="spaced"
        )
        assert spaced.name == "Tab Name Studio"  # whitespace runs become one space
        for name in ("", "\x01Studio", "abc\u202edef", "S" * 121):
            with pytest.raises(BadRequest) as refused:
                service.create_organisation(db=db, owner=ada, name=name, slug="refused")
            assert refused.value.code == "invalid_name"
        assert "keep it to 120" in refused.value.message  # the last: never silently cut
        exact = service.create_organisation(db=db, owner=ada, name="S" * 120, slug="exact")
        assert len(exact.name) == 120
