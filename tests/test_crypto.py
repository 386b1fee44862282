"""The platform key and sealed secrets: private, stable, one key under concurrent first use."""

from __future__ import annotations

import base64
import stat
import subprocess
import sys

import pytest

from reelmint.crypto import (
    CryptoError,
    SecretBox,
    load_platform_key,
    platform_box,
    platform_key_path,
    sealed_key_id,
)

SECRET = "whsec_c2VjcmV0IHNpZ25pbmcga2V5IGJ5dGVzIGhlcmUh"
PRINT_KEY = (
    "import sys; from pathlib import Path; from reelmint.crypto import load_platform_key; "
    "print(load_platform_key(Path(sys.argv[1])).hex())"
)


def test_a_sealed_secret_opens_only_for_its_context():
    box = SecretBox(b"k" * 32)
    sealed = box.seal(SECRET, context="webhook_endpoint:wh_1:signing_secret")
    assert SECRET not in sealed
    assert sealed.startswith(f"v1.{box.key_id}.")
    assert sealed_key_id(sealed) == box.key_id
    assert box.open(sealed, context="webhook_endpoint:wh_1:signing_secret") == SECRET
    with pytest.raises(CryptoError, match="another record"):
        box.open(sealed, context="webhook_endpoint:wh_2:signing_secret")


def test_sealing_twice_gives_different_ciphertexts():
    box = SecretBox(b"k" * 32)
    assert box.seal(SECRET, context="c") != box.seal(SECRET, context="c")


def test_a_tampered_value_is_refused():
    box = SecretBox(b"k" * 32)
    version, key_id, body = box.seal(SECRET, context="c").split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for damaged in (f"{version}.{key_id}.{flipped}", f"{version}.{key_id}.", "garbage"):
        with pytest.raises(CryptoError):
            box.open(damaged, context="c")
    with pytest.raises(CryptoError, match="unknown format"):
        box.open(f"v9.{key_id}.{body}", context="c")


def test_another_key_says_which_key_sealed_it():
    sealed = SecretBox(b"a" * 32).seal(SECRET, context="c")
    other = SecretBox(b"b" * 32)
    with pytest.raises(CryptoError, match=r"same keys/platform\.key"):
        other.open(sealed, context="c")


def test_a_key_must_have_32_bytes():
    with pytest.raises(CryptoError):
        SecretBox(b"short")


def test_the_platform_key_is_made_once_private_and_kept(tmp_path):
    data = tmp_path / "data"
    key = load_platform_key(data)
    path = platform_key_path(data)
    assert path == data / "keys" / "platform.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert base64.urlsafe_b64decode(path.read_bytes().strip()) == key
    assert len(key) == 32
    assert load_platform_key(data) == key
    sealed = platform_box(data).seal(SECRET, context="c")
    assert _key_in_fresh_process(data) == key.hex(), "another process reads the same key"
    assert platform_box(data).open(sealed, context="c") == SECRET
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_concurrent_first_use_by_several_processes_makes_one_key(tmp_path):
    data = tmp_path / "data"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEY, str(data)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert len(keys) == 1
    assert keys == {base64.urlsafe_b64decode(platform_key_path(data).read_bytes()).hex()}


def test_a_damaged_key_is_an_error_and_is_not_replaced(tmp_path):
    data = tmp_path / "data"
    path = platform_key_path(data)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a key\n")
    with pytest.raises(CryptoError, match="damaged"):
        load_platform_key(data)
    assert path.read_bytes() == b"not a key\n"


def _key_in_fresh_process(data) -> str:
    result = subprocess.run(
        [sys.executable, "-c", PRINT_KEY, str(data)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_reading_the_platform_key_makes_none_and_reads_the_file_as_it_is(tmp_path):
    from reelmint.crypto import load_platform_key, read_platform_key

    assert read_platform_key(tmp_path) is None
    assert not (tmp_path / "keys").exists()
    assert read_platform_key(tmp_path) is None
    key = load_platform_key(tmp_path)
    assert read_platform_key(tmp_path) == key
