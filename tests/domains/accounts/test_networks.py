"""Per-network limits: a network's hourly allowance of sign-ups, wrong passwords and reset
emails, counted exactly under concurrency and forgotten once the hour is over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reelmint.domains.accounts.networks import (
    HOUR_SECONDS,
    Claim,
    NetworkCount,
    claim,
    forget_old_counts,
    give_back,
    network_of,
)
from reelmint.errors import TooManyRequests
from support import at_once, make_services

# 40 minutes into an hour: 20 minutes left of it.
NOW = datetime(2026, 11, 24, 10, 40, tzinfo=UTC)


@pytest.fixture
def limited(tmp_path: Path, database_url: str):
    built = make_services(
        tmp_path,
        database_url,
        signups_per_network_per_hour=3,
        wrong_passwords_per_network_per_hour=2,
        password_resets_per_network_per_hour=0,
    )
    yield built
    built.close()


def take(services, scope="signup", network="198.51.100.7", now=NOW):
    with services.db.write() as db:
        return claim(db=db, settings=services.settings, scope=scope, network=network, now=now)


def rows(services) -> list[NetworkCount]:
    with services.db.read() as db:
        return list(db.scalars(select(NetworkCount)))


@pytest.mark.parametrize(
    ("host", "network"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("fe80::1%eth0", "fe80::/64"),
        ("testclient", "testclient"),
        ("", None),
        (None, None),
    ],
)
def test_a_network_is_an_ipv4_address_or_an_ipv6_64(host, network):
    assert network_of(host) == network


def test_a_network_has_its_allowance_then_is_told_when_it_comes_back(limited):
    for _ in range(3):
        assert take(limited) is not None
    with pytest.raises(TooManyRequests) as refused:
        take(limited)
    assert refused.value.code == "too_many_signups"
    assert "try again in 20 minutes" in str(refused.value)
    assert [row.count for row in rows(limited)] == [3]  # the refusal counted nothing


def test_other_networks_other_scopes_and_the_next_hour_are_counted_apart(limited):
    for _ in range(3):
        take(limited)
    assert take(limited, network="198.51.100.8") is not None
    assert take(limited, scope="wrong_password") is not None
    assert take(limited, now=NOW + timedelta(minutes=20)) is not None


def test_a_right_password_gives_its_attempt_back(limited):
    counted = [take(limited, scope="wrong_password") for _ in range(2)]
    with pytest.raises(TooManyRequests) as refused:
        take(limited, scope="wrong_password")
    assert refused.value.code == "too_many_attempts"
    assert "from your network" in str(refused.value)
    with limited.db.write() as db:
        give_back(db, counted[0])
    assert take(limited, scope="wrong_password") is not None


def test_an_unlimited_scope_or_no_address_writes_nothing(limited):
    assert take(limited, scope="password_reset") is None
    assert take(limited, network=None) is None
    assert rows(limited) == []


def test_the_address_is_kept_only_as_a_keyed_hash(limited):
    take(limited, network="198.51.100.7")
    [row] = rows(limited)
    assert "198.51.100" not in row.network_key
    assert row.hour == int(NOW.timestamp()) // HOUR_SECONDS


def test_housekeeping_forgets_hours_that_are_over(limited):
    take(limited, now=NOW - timedelta(hours=1))
    take(limited, now=NOW)
    with limited.db.write() as db:
        assert forget_old_counts(db=db, now=NOW) == 1
    assert [row.hour for row in rows(limited)] == [int(NOW.timestamp()) // HOUR_SECONDS]


def test_claims_at_once_never_pass_the_allowance(limited):
    outcomes = at_once([lambda: take(limited) for _ in range(12)], timeout=60)
    allowed = [outcome for outcome in outcomes if isinstance(outcome, Claim)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, TooManyRequests)]
    assert (len(allowed), len(refused)) == (3, 9)
    with limited.db.read() as db:
        assert db.scalar(select(func.sum(NetworkCount.count))) == 3
