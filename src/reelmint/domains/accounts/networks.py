"""Limits per network: what one network may do to accounts it does not own, per hour.

The per-account limits (`throttle`: wrong passwords lock an account; `password_reset`: one
email per account every few minutes) stop a guesser who works on one account. They do not stop
one machine that works on many: trying a leaked password on thousands of addresses (one
guess each, never reaching an account's lock), opening hundreds of accounts (each with its
free daily quota and a confirmation email to whatever address was typed), or asking reset
emails for every address it knows. So each network also has an hourly allowance for

- `signup`: accounts opened (`signups_per_network_per_hour`); one that fails to open (address
  taken, weak password) is not counted, as the count is written in the sign-up's transaction;
- `wrong_password`: wrong passwords typed on the login page, over all addresses, existing or
  not (`wrong_passwords_per_network_per_hour`); each attempt is counted before its password is
  checked, as an account's are, and a right one takes its count back. An attempt from a browser
  that has signed in to the account before is counted on that browser instead (`devices`), so
  a guesser sharing an office's address does not keep its people out;
- `password_reset`: reset emails asked for, whatever the address
  (`password_resets_per_network_per_hour`); every request counts, so the refusal tells nothing
  about which addresses have accounts.

A network is the client's IPv4 address, or the /64 an IPv6 address is in (one household or
host gets a whole /64). The address is the TCP peer's, or the one a trusted proxy reports
(`forwarded_allow_ips`). It is kept only as an HMAC under a key derived from the platform key,
in the hour's row, and housekeeping removes rows once their hour is over
(`forget_old_counts`). Hours are fixed (whole hours since the epoch): a network can reach its
allowance at the end of one hour and again at the start of the next. A setting of 0 turns a
limit off; requests with no client address (the command line) are never counted.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Integer, String, delete, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from starlette.requests import HTTPConnection

from reelmint.config import Settings
from reelmint.crypto import link_mac
from reelmint.db.base import Base, utcnow
from reelmint.domains.accounts.links import minutes_in_words
from reelmint.errors import TooManyRequests

Scope = Literal["signup", "wrong_password", "password_reset"]
HOUR_SECONDS = 3600
_KEY_PURPOSE = b"reelmint network counts v1"


class NetworkCount(Base):
    """How many times one network did one limited thing in one hour (see the module)."""

    __tablename__ = "network_counts"

    scope: Mapped[str] = mapped_column(String(20), primary_key=True)
    network_key: Mapped[str] = mapped_column(
        String(64), primary_key=True, doc="An HMAC of the network, never the address itself."
    )
    hour: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, doc="Whole hours since the epoch (UTC)."
    )
    count: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Claim:
    """One counted attempt, to take back (`give_back`) when it turns out to be allowed."""

    scope: Scope
    network_key: str
    hour: int


def network_of(host: str | None) -> str | None:
    """The network a client address belongs to (see the module); None for no address. A
    host that is not an IP address (a Unix socket's, a test client's) is its own network."""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host[:200]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def request_network(request: HTTPConnection) -> str | None:
    """The network of the client that sent `request` (`network_of`)."""
    return network_of(request.client.host if request.client is not None else None)


def claim(
    *,
    db: Session,
    settings: Settings,
    scope: Scope,
    network: str | None,
    now: datetime | None = None,
) -> Claim | None:
    """Count one `scope` attempt from `network` in this transaction; 429 (see `_refusal`) when
    the network has had its hour's allowance (nothing is counted then). None when nothing is
    counted: no network, or the limit is off."""
    limit = _limit(settings, scope)
    if network is None or limit == 0:
        return None
    now = now or utcnow()
    key = link_mac(settings.data_dir, _KEY_PURPOSE, [scope, network])
    hour = int(now.timestamp()) // HOUR_SECONDS
    table = NetworkCount.__table__
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(scope=scope, network_key=key, hour=hour, count=1)
    counted = db.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.scope, table.c.network_key, table.c.hour],
            set_={"count": table.c.count + 1},
            where=table.c.count < limit,
        ).returning(table.c.count)
    ).one_or_none()
    if counted is None:
        raise _refusal(scope, wait=_hour_end(hour) - now.timestamp())
    return Claim(scope=scope, network_key=key, hour=hour)


def give_back(db: Session, counted: Claim | None) -> None:
    """Take back an attempt `claim` counted (a right password). Nothing for None."""
    if counted is None:
        return
    db.execute(
        update(NetworkCount)
        .where(
            NetworkCount.scope == counted.scope,
            NetworkCount.network_key == counted.network_key,
            NetworkCount.hour == counted.hour,
            NetworkCount.count > 0,
        )
        .values(count=NetworkCount.count - 1)
        .execution_options(synchronize_session=False)
    )


def forget_old_counts(*, db: Session, now: datetime) -> int:
    """Housekeeping: remove the counts of hours that are over; how many rows."""
    current = int(now.timestamp()) // HOUR_SECONDS
    return int(db.execute(delete(NetworkCount).where(NetworkCount.hour < current)).rowcount or 0)


def _limit(settings: Settings, scope: Scope) -> int:
    if scope == "signup":
        return settings.signups_per_network_per_hour
    if scope == "wrong_password":
        return settings.wrong_passwords_per_network_per_hour
    return settings.password_resets_per_network_per_hour


def _hour_end(hour: int) -> float:
    return float((hour + 1) * HOUR_SECONDS)


def _refusal(scope: Scope, *, wait: float) -> TooManyRequests:
    """429 for a network past its allowance, saying when it comes back."""
    after = f"try again in {minutes_in_words(timedelta(seconds=max(wait, 1)))}"
    seconds = math.ceil(max(wait, 1))
    if scope == "signup":
        return TooManyRequests(
            f"too many accounts were opened from your network in the last hour: {after}",
            code="too_many_signups",
            retry_after=seconds,
        )
    if scope == "wrong_password":
        return TooManyRequests(
            f"too many wrong passwords from your network: {after}, or sign in from a browser "
            "that has signed in to the account before, or reset the password with 'Forgot "
            "your password?'",
            code="too_many_attempts",
            retry_after=seconds,
        )
    return TooManyRequests(
        f"too many password reset emails were asked for from your network: {after}",
        code="too_many_reset_requests",
        retry_after=seconds,
    )
