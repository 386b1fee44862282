"""The platform's keys, recorded in the database so that every host uses the same ones.

Every host of a fleet must use one data folder's `keys/` (docs/operations.md, Keys): the C2PA
signing identity that signs every video, and the platform key that seals webhook secrets and
keys emailed links. A host pointed at another data folder would silently make keys of its own,
then sign users' videos with a foreign authority and seal with a key nobody else has.

So the database records which keys are the platform's, by public fingerprints only: the
platform key's id (`crypto.key_id_of`) and the SHA-256 of the C2PA root CA certificate. The
first `up` or `worker` records its keys (making them if its data folder has none, as on a
first run), as does `migrate` on a host that already has keys; afterwards every `up` and
`worker` compares its own keys with the record before it starts, and refuses to start (one
line, exit 2) when they are missing or differ, without making any.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from reelmint.config import Settings
from reelmint.crypto import key_id_of, load_platform_key, read_platform_key
from reelmint.db.base import Base, utcnow
from reelmint.db.database import Database
from reelmint.errors import BadRequest

ROW_ID = 1  # the table has one row


class PlatformKeys(Base):
    """The keys every host must have: public fingerprints, never a key itself."""

    __tablename__ = "platform_keys"

    id: Mapped[int] = mapped_column(primary_key=True, doc="Always 1: there is one row.")
    platform_key_id: Mapped[str] = mapped_column(
        String(32), doc="crypto.key_id_of(keys/platform.key)."
    )
    c2pa_ca_sha256: Mapped[str] = mapped_column(
        String(64), doc="SHA-256 (hex) of the DER of keys/c2pa/root-ca.pem."
    )
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class KeyPrints:
    """A data folder's keys, by fingerprint; None where the folder lacks that key."""

    platform_key_id: str | None
    c2pa_ca_sha256: str | None

    @property
    def complete(self) -> bool:
        return self.platform_key_id is not None and self.c2pa_ca_sha256 is not None


def keys_on_disk(settings: Settings) -> KeyPrints:
    """The fingerprints of the keys in the data folder, making none."""
    key = read_platform_key(settings.data_dir)
    return KeyPrints(
        platform_key_id=key_id_of(key) if key is not None else None,
        c2pa_ca_sha256=c2pa_ca_fingerprint(settings.keys_dir),
    )


def make_keys(settings: Settings) -> KeyPrints:
    """The fingerprints of the data folder's keys, making those it lacks (a first run)."""
    from reelmint.engine.postprocess.provenance import ProvenanceSigner

    load_platform_key(settings.data_dir)
    ProvenanceSigner(settings.keys_dir).identity()
    return keys_on_disk(settings)


def c2pa_ca_fingerprint(keys_dir: Path) -> str | None:
    """SHA-256 of the C2PA root CA certificate, or None where there is no usable root
    (`provenance.root_ca_fingerprint`; imported here only when asked: it loads c2pa)."""
    from reelmint.engine.postprocess.provenance import root_ca_fingerprint

    return root_ca_fingerprint(keys_dir)


def recorded_keys(database: Database) -> KeyPrints | None:
    """The platform's keys as the database records them; None before the first record."""
    with database.read() as db:
        row = db.get(PlatformKeys, ROW_ID)
        if row is None:
            return None
        return KeyPrints(platform_key_id=row.platform_key_id, c2pa_ca_sha256=row.c2pa_ca_sha256)


def record_keys(database: Database, prints: KeyPrints) -> KeyPrints:
    """Record `prints` as the platform's keys unless a record is there already (another host
    may record at the same moment); the record that holds."""
    if prints.platform_key_id is None or prints.c2pa_ca_sha256 is None:
        raise ValueError("only a complete set of keys is recorded")
    try:
        with database.write() as db:
            if db.get(PlatformKeys, ROW_ID) is None:
                db.add(
                    PlatformKeys(
                        id=ROW_ID,
                        platform_key_id=prints.platform_key_id,
                        c2pa_ca_sha256=prints.c2pa_ca_sha256,
                    )
                )
    except IntegrityError:
        pass  # another host recorded first: its record holds
    recorded = recorded_keys(database)
    assert recorded is not None
    return recorded


def require_platform_keys(settings: Settings, database: Database) -> None:
    """Refuse to start a host whose keys are not the platform's (`up`, `worker`); the first
    host records its own, made if it has none."""
    recorded = recorded_keys(database)
    if recorded is None:
        recorded = record_keys(database, make_keys(settings))
    require_same_keys(settings, recorded, keys_on_disk(settings))


def require_same_keys(settings: Settings, recorded: KeyPrints, here: KeyPrints) -> None:
    """One line saying which key is missing or differs, and to copy keys/ from the first host."""
    where = f"{settings.data_dir / 'keys'} (REELMINT_DATA_DIR)"
    copy = "copy keys/ from the first host's data folder, or point REELMINT_DATA_DIR at it"
    problems = [
        _problem("keys/platform.key", recorded.platform_key_id, here.platform_key_id),
        _problem("keys/c2pa/root-ca", recorded.c2pa_ca_sha256, here.c2pa_ca_sha256),
    ]
    found = [problem for problem in problems if problem]
    if found:
        raise BadRequest(
            f"this host's keys are not the platform's: {'; '.join(found)} in {where}; {copy} "
            "(docs/operations.md, Keys)",
            code="keys_mismatch",
        )


def _problem(name: str, recorded: str | None, here: str | None) -> str | None:
    if here is None:
        return f"{name} is missing"
    if here != recorded:
        return f"{name} is {here[:12]}, the platform's is {(recorded or '')[:12]}"
    return None


def record_platform_keys_if_present(settings: Settings, database: Database) -> KeyPrints | None:
    """For `migrate`: record this host's keys if it has them all and nothing is recorded yet
    (never making keys: `migrate` may run on any host). The record, if there is one."""
    recorded = recorded_keys(database)
    if recorded is not None:
        return recorded
    here = keys_on_disk(settings)
    return record_keys(database, here) if here.complete else None
