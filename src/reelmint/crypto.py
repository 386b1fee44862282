"""The platform's secret key, and encryption for secrets the platform must use again later.

Some secrets cannot be hashed like passwords and API tokens, because the platform itself needs
them back: a webhook signing secret signs every delivery. They are kept encrypted with
AES-256-GCM under one platform key in `DATA_DIR/keys/platform.key`, created on first use.

- The key file is made atomically (a temp file of mode 0600, then rename) under an exclusive
  file lock, so several processes starting at once (API, workers) agree on one key: the first
  creates it, the others wait and then read it. An unreadable or damaged key is an error of the
  installation, never silently replaced, since a new key would make every stored secret
  useless.
- A sealed secret is `v1.<key id>.<base64url(nonce + ciphertext)>`. The key id names the key
  that sealed it, so a host with a different key (a fleet whose hosts do not share the data
  folder) can tell "not mine" from "damaged". Each value is sealed for a `context` (e.g. the
  row it belongs to), authenticated with the ciphertext: a sealed value copied into another
  row does not open there.
- Emailed links (password reset, email confirmation) carry an HMAC-SHA256 (`link_mac`) under
  a key derived from the platform key for each purpose, over the facts that must still hold
  for the link to work; nothing about them is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from reelmint.fileio import exclusive_lock, write_atomic

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT_VERSION = "v1"
PLATFORM_KEY_NAME = "platform.key"
_LOCK_NAME = ".platform.key.lock"

_cache: dict[Path, bytes] = {}
_cache_lock = threading.Lock()


class CryptoError(Exception):
    """A sealed secret cannot be opened, or the platform key cannot be read or made."""


class SecretBox:
    """Seals and opens short secrets with one 256-bit key (AES-GCM, random 96-bit nonces)."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise CryptoError(f"a platform key has {KEY_BYTES} bytes, this one {len(key)}")
        self._aead = AESGCM(key)
        self.key_id = key_id_of(key)

    def seal(self, plaintext: str, *, context: str) -> str:
        """`plaintext` encrypted for `context`; only `open` with the same context reads it."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{FORMAT_VERSION}.{self.key_id}.{body}"

    def open(self, sealed: str, *, context: str) -> str:
        """The plaintext of a value `seal` made with this key for this context."""
        version, key_id, body = _split(sealed)
        if version != FORMAT_VERSION:
            raise CryptoError(f"sealed with an unknown format {version!r}")
        if key_id != self.key_id:
            raise CryptoError(
                f"sealed with platform key {key_id}, but this server's key is {self.key_id}; "
                "give every host the same keys/platform.key"
            )
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plaintext = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (binascii.Error, ValueError, InvalidTag) as exc:
            raise CryptoError("the sealed value is damaged or belongs to another record") from exc
        return plaintext.decode()


def sha256_hex(secret: str) -> str:
    """What is kept of a random secret a client holds (an API token, a session or device
    cookie): its SHA-256, so a copy of the database signs nobody in."""
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(key: bytes) -> str:
    """A short public name for a key (a hash prefix: it reveals nothing usable about the key)."""
    return hashlib.sha256(b"reelmint platform key id\x00" + key).hexdigest()[:12]


def sealed_key_id(sealed: str) -> str:
    """The id of the key a sealed value was made with."""
    return _split(sealed)[1]


def _split(sealed: str) -> tuple[str, str, str]:
    parts = sealed.split(".")
    if len(parts) != 3:
        raise CryptoError("not a sealed value (expected version.key_id.data)")
    return parts[0], parts[1], parts[2]


# --- the platform key -------------------------------------------------------------------------


def platform_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / PLATFORM_KEY_NAME


def platform_box(data_dir: Path) -> SecretBox:
    """A SecretBox over the platform key of `data_dir` (created on first use)."""
    return SecretBox(load_platform_key(data_dir))


def link_mac(data_dir: Path, purpose: bytes, parts: Sequence[str]) -> str:
    """An HMAC-SHA256 (base64url, unpadded) over `parts`, under a key for `purpose` alone
    derived from the platform key (which is never used as it is)."""
    key = hmac.new(load_platform_key(data_dir), purpose, hashlib.sha256).digest()
    digest = hmac.new(key, "\x00".join(parts).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def load_platform_key(data_dir: Path) -> bytes:
    """The platform key of `data_dir`: read once per process, created if there is none yet."""
    path = platform_key_path(data_dir).absolute()
    with _cache_lock:
        key = _cache.get(path)
        if key is None:
            key = _load_or_create(path)
            _cache[path] = key
        return key


def read_platform_key(data_dir: Path) -> bytes | None:
    """The platform key in `data_dir` now, or None if it has none (read from the file, never
    created: a host checks it has the platform's key before it starts, see
    `reelmint.platform_keys`)."""
    return _read_key(platform_key_path(data_dir).absolute())


def _load_or_create(path: Path) -> bytes:
    existing = _read_key(path)
    if existing is not None:
        return existing
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise CryptoError(
            f"cannot create the keys folder {path.parent}: {exc.strerror}; check REELMINT_DATA_DIR"
        ) from exc
    with exclusive_lock(path.parent / _LOCK_NAME):
        existing = _read_key(path)  # another process may have made it while we waited
        if existing is not None:
            return existing
        key = secrets.token_bytes(KEY_BYTES)
        write_atomic(path, base64.urlsafe_b64encode(key) + b"\n", mode=0o600)
        return key


def _read_key(path: Path) -> bytes | None:
    """The key in `path`, None if there is no file; an error if it is there but unusable."""
    try:
        text = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CryptoError(f"cannot read the platform key {path}: {exc.strerror}") from exc
    try:
        key = base64.urlsafe_b64decode(text)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise CryptoError(
            f"the platform key {path} is damaged (expected {KEY_BYTES} bytes in base64url); "
            "restore it from a backup: secrets sealed with it cannot be read without it"
        )
    return key
