"""PATCH /v1/me: the name others see, checked with the time zone in one transaction."""

from __future__ import annotations


def test_patch_me_renames_and_a_refusal_changes_nothing(client, services, account):
    changed = client.patch("/v1/me", headers=account.headers, json={"display_name": " Ada  L "})
    assert (changed.status_code, changed.json()["display_name"]) == (200, "Ada L")
    both = {"timezone": "Asia/Tokyo", "display_name": "   "}
    refused = client.patch("/v1/me", headers=account.headers, json=both)
    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        "invalid_display_name",
        "display_name",
    )
    me = client.get("/v1/me", headers=account.headers).json()
    assert (me["display_name"], me["timezone"]) == ("Ada L", "UTC")  # the zone did not change
    profile = client.get(f"/v1/users/{account.user.id}").json()
    assert profile["display_name"] == "Ada L"
