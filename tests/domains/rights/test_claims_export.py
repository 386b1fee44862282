"""A rights holder's claim on your video is in your data export (and not in theirs)."""

from __future__ import annotations

import io
import json
import zipfile

from claim_helpers import claim, make_holder, make_video

from support import make_account


def exported(client, headers) -> dict:
    response = client.get("/v1/me/export", headers=headers)
    assert response.status_code == 200, response.text
    return json.loads(zipfile.ZipFile(io.BytesIO(response.content)).read("account.json"))


def test_claims_on_your_videos_are_exported_to_you(services, client):
    holder = make_holder(services)
    maker = make_account(services, "maker@example.com")
    video = make_video(services, maker.user)
    made = claim(services, holder, video, action="monetize")
    [found] = exported(client, maker.headers)["claims"]
    assert (found["id"], found["video_id"], found["action"]) == (made.id, video.id, "monetize")
    assert found["character_name"] == "Captain Brightwave"
    studio = make_account(services, "other@example.com")
    assert exported(client, studio.headers)["claims"] == []
    with services.db.write() as db:  # the rights holder's own export: not their claims made
        from reelmint.domains.accounts.service import create_api_token

        _, token = create_api_token(db=db, user=holder.member, name="export")
    holder_export = exported(client, {"Authorization": f"Bearer {token}"})
    assert holder_export["claims"] == []
    assert [m["slug"] for m in holder_export["memberships"]] == ["wave"]
