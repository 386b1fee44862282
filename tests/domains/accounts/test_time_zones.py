"""The time zone a user's day follows is a place's: names in the zone database that are the
host's own zone, a placeholder or a copy of the database are refused like unknown ones."""

from __future__ import annotations

import pytest

from reelmint.domains.accounts.service import is_place_zone

NOT_PLACES = ["localtime", "Factory", "posixrules", "posix/Europe/Paris", "right/Europe/Paris"]


@pytest.mark.parametrize("name", NOT_PLACES)
def test_a_zone_that_is_no_place_is_refused_like_an_unknown_one(client, account, name):
    refused = client.patch("/v1/me", headers=account.headers, json={"timezone": name})
    assert refused.status_code == 400
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == (
        "invalid_timezone",
        "timezone",
    )
    assert client.get("/v1/me", headers=account.headers).json()["timezone"] == "UTC"


@pytest.mark.parametrize("name", ["Europe/Paris", "America/Argentina/Buenos_Aires", "UTC"])
def test_places_are_time_zones_a_user_may_choose(client, account, name):
    changed = client.patch("/v1/me", headers=account.headers, json={"timezone": name})
    assert (changed.status_code, changed.json()["timezone"]) == (200, name)
    assert is_place_zone(name)
