"""The composition root: one place that builds what the API, the workers and the CLI share.

Everything configurable is decided here from `Settings`, once; the rest of the code receives
plain objects (a Database, a Storage, Settings) and never reads the environment itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelmint.config import Settings
from reelmint.db.database import Database
from reelmint.db.models import load_all_models
from reelmint.storage.base import Storage


@dataclass
class Services:
    """What every part of the platform is given."""

    settings: Settings
    db: Database
    storage: Storage

    def close(self) -> None:
        self.db.dispose()


def build_storage(settings: Settings) -> Storage:
    if settings.storage == "s3":
        from reelmint.storage.s3 import S3Storage

        return S3Storage.from_settings(settings)
    from reelmint.storage.local import LocalStorage

    return LocalStorage(settings.storage_dir)


def build_services(settings: Settings | None = None) -> Services:
    settings = settings or Settings()
    load_all_models()
    return Services(
        settings=settings,
        db=Database(settings.resolved_database_url),
        storage=build_storage(settings),
    )
