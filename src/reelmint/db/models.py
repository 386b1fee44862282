"""Every table module, imported once so that `Base.metadata` knows the whole schema.

Alembic's autogenerate, `create_all` in tests and the migrations check all go through here:
a new domain adds its models module to this list.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from reelmint.db.base import Base

MODEL_MODULES: tuple[str, ...] = (
    "reelmint.domains.accounts.models",
    "reelmint.domains.accounts.networks",
    "reelmint.domains.videos.models",
    "reelmint.domains.webhooks.models",
    "reelmint.api.idempotency",
    "reelmint.domains.notifications.models",
    "reelmint.domains.ledger.models",
    "reelmint.domains.quota.models",
    "reelmint.domains.payments.models",
    "reelmint.domains.rights.models",
    "reelmint.domains.accounts.follows",
    "reelmint.domains.accounts.blocks",
    "reelmint.domains.cameos.models",
    "reelmint.domains.feed.likes",
    "reelmint.domains.payouts.models",
    "reelmint.domains.wallet.models",
    "reelmint.platform_keys",
    "reelmint.plan_quotas",
)


def load_all_models() -> MetaData:
    """Import every models module; return the complete metadata."""
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata
