"""PATCH /v1/me: the name others see and whether social news is told, checked with the time
zone in one transaction."""

from __future__ import annotations

import io
import json
import zipfile


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
    for name in ("x" * 81, "x" * 300):  # one limit, one error, however long
        error = client.patch("/v1/me", headers=account.headers, json={"display_name": name})
        assert error.json()["error"]["code"] == "invalid_display_name"


def test_patch_me_refuses_closed_account_in_look_alike_letters(client, account):
    """A Cyrillic о makes a name that reads "Closed account": refused as the plain one is."""
    for name in ("Closed account", "Cl\u043esed account"):
        refused = client.patch("/v1/me", headers=account.headers, json={"display_name": name})
        assert refused.status_code == 400, name
        assert refused.json()["error"]["code"] == "invalid_display_name"
    me = client.get("/v1/me", headers=account.headers).json()
    assert me["display_name"] != "Cl\u043esed account"


def export_account(client, account) -> dict:
    archive = zipfile.ZipFile(
        io.BytesIO(client.get("/v1/me/export", headers=account.headers).content)
    )
    return json.loads(archive.read("account.json"))["account"]


def test_social_notifications_are_on_until_turned_off_and_the_export_says_which(client, account):
    assert client.get("/v1/me", headers=account.headers).json()["notify_social"] is True
    assert export_account(client, account)["notify_social"] is True
    off = client.patch("/v1/me", headers=account.headers, json={"notify_social": False})
    assert (off.status_code, off.json()["notify_social"]) == (200, False)
    assert client.get("/v1/me", headers=account.headers).json()["notify_social"] is False
    assert export_account(client, account)["notify_social"] is False
    refused = client.patch(  # one refused setting: the other does not change either
        "/v1/me", headers=account.headers, json={"notify_social": True, "timezone": "Mars/Base"}
    )
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_timezone")
    not_a_bool = client.patch("/v1/me", headers=account.headers, json={"notify_social": "yes"})
    assert (not_a_bool.status_code, not_a_bool.json()["error"]["param"]) == (400, "notify_social")
    assert client.get("/v1/me", headers=account.headers).json()["notify_social"] is False
