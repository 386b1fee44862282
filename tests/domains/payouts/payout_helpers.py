"""Helpers for the payout tests: a creator with available tips, a rights holder with
available earnings, an administrator."""

from __future__ import annotations

from typing import Any

from reelmint.bootstrap import Services
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.ledger.service import Leg, platform_account, transfer
from reelmint.domains.wallet.service import earnings_account
from reelmint.domains.wallet.tips import tips_account
from support import make_account


def fund(services: Services, account_of: Any, units: int, key: str) -> None:
    """Put `units` on an available account (`account_of(db)`), as released tips or fees."""
    with services.db.write() as db:
        transfer(
            db=db,
            key=key,
            legs=[
                Leg(platform_account(db=db, name="tip_revenue"), -units),
                Leg(account_of(db), units),
            ],
            kind="tip_release",
            reason="released for the test",
        )


def creator_with_tips(services: Services, units: int = 100, email: str = "maker@example.com"):
    maker = make_account(services, email, display_name="Maker")
    fund(
        services,
        lambda db: tips_account(db=db, user_id=maker.user.id, available=True),
        units,
        key=f"fund:{email}",
    )
    return maker


def holder_with_earnings(services: Services, units: int = 100, slug: str = "wave"):
    """An organisation's owner and its id, with `units` of available earnings."""
    owner = make_account(services, f"owner@{slug}.example.com", display_name="Owner")
    with services.db.write() as db:
        organisation = create_organisation(
            db=db, owner=owner.user, name=f"{slug.title()} Studios", slug=slug, kind="rights_holder"
        )
    fund(
        services,
        lambda db: earnings_account(db=db, organisation_id=organisation.id, available=True),
        units,
        key=f"fund:{slug}",
    )
    return owner, organisation.id


def admin(services: Services, email: str = "root@example.com"):
    return make_account(services, email, display_name="Root", role="admin")
