"""GET /v1/me/export and the Settings page's download: your data in one ZIP file, and nobody
else's, and no secret."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile

import pytest
from sqlalchemy import select

from reelmint.db.base import utcnow
from reelmint.domains.accounts import export, follows
from reelmint.domains.accounts.devices import remember_device
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import start_web_session
from reelmint.domains.videos.models import Video
from reelmint.domains.videos.service import VideoRequest, admit_video, check_video_request
from reelmint.domains.webhooks.service import EndpointRequest, create_endpoint
from reelmint.errors import TooManyRequests
from reelmint.storage.base import ObjectMissing, StorageError
from support import make_account


def stored_video(services, user, tmp_path, *, deleted: bool = False) -> Video:
    """A finished video of `user`'s whose MP4 and poster are in storage."""
    admission = check_video_request(
        settings=services.settings,
        request=VideoRequest(prompt="A red car drives", seconds=4, size="480x480", seed=1),
    )
    with services.db.write() as db:
        video = admit_video(db=db, settings=services.settings, user=user, admission=admission)
        video.status, video.progress, video.completed_at = "completed", 100, utcnow()
        video.video_key, video.poster_key = f"videos/{video.id}.mp4", f"videos/{video.id}.jpg"
        video.deleted_at = utcnow() if deleted else None
    for key, payload in (
        (video.video_key, b"mp4 " + video.id.encode()),
        (video.poster_key, b"jpg"),
    ):
        source = tmp_path / key.replace("/", "_")
        source.write_bytes(payload)
        services.storage.put_file(key, source, content_type="application/octet-stream")
    return video


def open_zip(response) -> zipfile.ZipFile:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    assert "reelmint-export-" in response.headers["content-disposition"]
    assert response.headers["cache-control"] == "no-store"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_export_holds_your_account_videos_files_and_statement(services, client, tmp_path):
    ada = make_account(services, "ada@example.com", display_name="Ada")
    bob = make_account(services, "bob@example.com", display_name="Bob")
    kept = stored_video(services, ada.user, tmp_path)
    gone = stored_video(services, ada.user, tmp_path, deleted=True)
    theirs = stored_video(services, bob.user, tmp_path)
    with services.db.write() as db:
        follows.follow(db=db, actor=ada.user, user_id=bob.user.id)
    hook = EndpointRequest(url="https://93.184.216.34/hooks", description="my server")
    endpoint, signing_secret = create_endpoint(services=services, actor=ada.user, request=hook)
    with services.db.write() as db:
        device_secret = remember_device(db=db, user=db.get_one(User, ada.user.id), secret=None)
        _, session_secret = start_web_session(db=db, user=ada.user, user_agent="curl/8.5.0")
    archive = open_zip(client.get("/v1/me/export", headers=ada.headers))
    names = set(archive.namelist())
    assert {"account.json", "statement.csv", f"videos/{kept.id}.mp4"} <= names
    assert not any(gone.id in name or theirs.id in name for name in names)
    assert archive.read(f"videos/{kept.id}.mp4") == b"mp4 " + kept.id.encode()
    document = json.loads(archive.read("account.json"))
    assert document["format"] == "reelmint-export/1"
    assert document["account"]["email"] == "ada@example.com"
    assert isinstance(document["account"]["email_confirmed_at"], int)  # a time, in seconds
    assert document["account"]["pending_email"] is None  # no change of address asked for
    assert [v["id"] for v in document["videos"]] == [kept.id]
    assert document["videos"][0]["prompt"] == "A red car drives"
    assert document["videos"][0]["storyboard"]["shots"]
    assert [p["display_name"] for p in document["following"]] == ["Bob"]
    assert [t["name"] for t in document["api_tokens"]] == ["tests"]
    [browser] = document["browsers"]
    assert browser["wrong_passwords"] == 0
    assert browser["signed_in_last"] >= browser["signed_in_first"] > 0
    [session] = document["sessions"]
    assert session["user_agent"] == "curl/8.5.0"
    assert session["expires_at"] > session["signed_in_at"] > 0
    assert archive.read("statement.csv").decode().startswith("created_at,wallet,kind,amount")
    everything = b"".join(archive.read(name) for name in names).decode(errors="replace")
    with services.db.read() as db:
        secret_hash = db.scalar(select(User.password_hash).where(User.id == ada.user.id))
    assert [w["url"] for w in document["webhooks"]] == ["https://93.184.216.34/hooks"]
    secrets = (
        ada.token,
        secret_hash,
        signing_secret,
        endpoint.secret_sealed,
        device_secret,
        session_secret,
        "bob@example.com",
    )
    for secret in secrets:
        assert secret not in everything


def test_the_export_needs_credentials(client):
    response = client.get("/v1/me/export")
    assert response.status_code == 401


def test_the_file_is_removed_once_sent_and_ranges_are_not_served(services, client, account):
    response = client.get("/v1/me/export", headers={**account.headers, "Range": "bytes=0-9"})
    archive = open_zip(response)  # the whole file, not a part of one
    assert "account.json" in archive.namelist()
    assert "accept-ranges" not in response.headers
    assert list(export.exports_dir(services).iterdir()) == []


def _fails_at_once(key, start=0, end=None):
    raise StorageError("connection refused")
    yield b""  # a generator, like the real one


def _fails_at_the_call(key, start=0, end=None):
    raise StorageError("connection refused")  # as S3's, which asks for the object at once


def _fails_mid_file(key, start=0, end=None):
    yield b"the first chunk"
    raise OSError("connection reset by peer")


def _vanishes_mid_file(key, start=0, end=None):
    yield b"the first chunk"
    raise ObjectMissing(key)  # deleted while being copied: half a file is no file


@pytest.mark.parametrize(
    "reads",
    [_fails_at_once, _fails_at_the_call, _fails_mid_file, _vanishes_mid_file],
    ids=["at-once", "at-the-call", "mid-file", "vanishes-mid-file"],
)
def test_unreachable_storage_fails_the_export_and_leaves_no_file(
    services, client, tmp_path, monkeypatch, reads
):
    ada = make_account(services)
    stored_video(services, ada.user, tmp_path)
    monkeypatch.setattr(services.storage, "iter_bytes", reads)
    response = client.get("/v1/me/export", headers=ada.headers)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert list(export.exports_dir(services).iterdir()) == []


def test_one_export_per_user_at_a_time_and_a_few_per_host(services):
    with export.export_slot(services, "user_a"):
        with pytest.raises(TooManyRequests) as caught, export.export_slot(services, "user_a"):
            pass
        assert caught.value.code == "export_in_progress"
        with export.export_slot(services, "user_b"):
            with pytest.raises(TooManyRequests) as caught, export.export_slot(services, "user_c"):
                pass
            assert caught.value.code == "exports_busy"
            assert caught.value.retry_after == 60  # the API's Retry-After
    with export.export_slot(services, "user_a"):  # released
        pass


def test_an_export_running_in_another_process_counts(services):
    """Another process of the same host (as `reelmint up --workers 2` runs) holds user_a's
    export lock: this one refuses a second export for user_a until that process lets go."""
    import subprocess
    import sys

    with export.export_slot(services, "user_a"):  # makes the lock files
        pass
    lock = services.settings.data_dir / "locks" / "exports" / "user-user_a.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX);"
            " print('held', flush=True); sys.stdin.read()",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(TooManyRequests) as caught, export.export_slot(services, "user_a"):
            pass
        assert caught.value.code == "export_in_progress"
    finally:
        holder.communicate(input="")  # it exits, and its lock goes with it
    with export.export_slot(services, "user_a"):
        pass


def test_housekeeping_removes_exports_left_behind(services):
    folder = export.exports_dir(services)
    old, new = folder / "reelmint-export-old.zip", folder / "reelmint-export-new.zip"
    for path in (old, new):
        path.write_bytes(b"PK")
    hour_ago = time.time() - export.KEEP_SECONDS - 1
    os.utime(old, (hour_ago, hour_ago))
    assert export.remove_old_exports(services) == 1
    assert [p.name for p in folder.iterdir()] == ["reelmint-export-new.zip"]


def test_a_file_lost_from_storage_is_named_and_the_rest_exported(services, client, tmp_path):
    ada = make_account(services)
    video = stored_video(services, ada.user, tmp_path)
    services.storage.delete(video.video_key)
    archive = open_zip(client.get("/v1/me/export", headers=ada.headers))
    assert f"videos/{video.id}.jpg" in archive.namelist()
    document = json.loads(archive.read("account.json"))
    assert document["missing_files"] == [f"videos/{video.id}.mp4"]


def test_the_export_holds_purchases_memberships_invitations_and_reference_images(
    services, client, account, tmp_path
):
    from reelmint.domains.accounts import invitations
    from reelmint.domains.accounts.service import create_organisation

    bought = client.post("/v1/checkout", json={"pack_id": "pack_10"}, headers=account.headers)
    assert bought.status_code == 201
    inviter = make_account(services, "bea@example.com", display_name="Bea")
    with services.db.write() as db:
        create_organisation(db=db, owner=account.user, name="Ada Films", slug="ada-films")
        bea_films = create_organisation(db=db, owner=inviter.user, name="Bea Films", slug="bea")
        invitations.invite(db=db, actor=inviter.user, organisation=bea_films, user=account.user)
    video = stored_video(services, account.user, tmp_path)
    reference = f"inputs/{video.id}/reference.png"
    image = tmp_path / "reference.png"
    image.write_bytes(b"\x89PNG my picture")
    services.storage.put_file(reference, image, content_type="image/png")
    with services.db.write() as db:
        db.get_one(Video, video.id).input_reference_key = reference
    archive = open_zip(client.get("/v1/me/export", headers=account.headers))
    assert archive.read(f"videos/{video.id}-reference.png") == b"\x89PNG my picture"
    document = json.loads(archive.read("account.json"))
    [purchase] = document["purchases"]
    assert purchase["id"] == bought.json()["purchase"]["id"]
    assert (purchase["units"], purchase["test_mode"], purchase["status"]) == (10, True, "completed")
    assert [(m["slug"], m["role"]) for m in document["memberships"]] == [("ada-films", "owner")]
    assert [
        (i["organisation_slug"], i["role"], i["invited_by"]) for i in document["invitations"]
    ] == [("bea", "member", inviter.user.id)]
    assert document["claims"] == []


def test_the_export_holds_your_payouts_and_those_you_asked_for(services, client, account):
    from reelmint.domains.accounts.service import create_organisation
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.wallet.service import earnings_account
    from reelmint.domains.wallet.tips import tips_account

    with services.db.write() as db:
        studio = create_organisation(
            db=db, owner=account.user, name="Ada Films", slug="ada-films", kind="rights_holder"
        )
        source = platform_account(db=db, name="tip_revenue")
        for n, to in enumerate(
            (
                tips_account(db=db, user_id=account.user.id, available=True),
                earnings_account(db=db, organisation_id=studio.id, available=True),
            )
        ):
            transfer(db=db, key=f"f{n}", legs=[Leg(source, -30), Leg(to, 30)], kind="t", reason="t")
    own = client.post("/v1/payouts", json={"units": 30, "note": "IBAN X"}, headers=account.headers)
    for_studio = client.post(
        "/v1/payouts", json={"units": 25, "organisation_id": studio.id}, headers=account.headers
    )
    archive = open_zip(client.get("/v1/me/export", headers=account.headers))
    document = json.loads(archive.read("account.json"))
    assert [(p["id"], p["payee_kind"], p["units"], p["note"]) for p in document["payouts"]] == [
        (own.json()["id"], "creator", 30, "IBAN X"),
        (for_studio.json()["id"], "rights_holder", 25, ""),
    ]
