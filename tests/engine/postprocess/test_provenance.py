"""C2PA signing and verification, with the platform identity made on first use."""

from __future__ import annotations

import datetime as dt
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509

import reelmint.engine.postprocess.provenance as provenance
from reelmint.engine.backends.base import Size
from reelmint.engine.errors import InvalidRequest, ProvenanceError
from reelmint.engine.postprocess.encode import encode_mp4
from reelmint.engine.postprocess.provenance import (
    GenerationFacts,
    ProvenanceSigner,
    prompt_sha256,
    verify_file,
)

PROMPT = "a red fox jumps over a sleeping dog at dawn"
CREATED = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
C2PA_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")


def facts(**overrides) -> GenerationFacts:
    fields = {
        "backend": "preview",
        "source_type": "algorithmic",
        "prompt_sha256": prompt_sha256(PROMPT),
        "storyboard_sha256": "ab" * 32,
        "seed": 42,
        "size": "160x120",
        "seconds": 1.0,
        "fps": 24,
        "created_at": CREATED,
        "generator_version": "0.1.0",
    }
    fields.update(overrides)
    return GenerationFacts(**fields)


def boxes(data: bytes) -> dict[str, tuple[int, int]]:
    """Top-level box type -> (offset, size); a C2PA uuid box is reported as 'c2pa'."""
    found, offset = {}, 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8].decode("latin-1")
        if kind == "uuid" and data[offset + 8 : offset + 24] == C2PA_UUID:
            kind = "c2pa"
        found[kind] = (offset, size)
        offset += size
    return found


@pytest.fixture(scope="module")
def plain_mp4(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plain") / "plain.mp4"
    rng = np.random.default_rng(5)
    frames = (rng.integers(0, 256, (120, 160, 3), dtype=np.uint8) for _ in range(24))
    audio = np.zeros((48_000, 2), dtype=np.float32)
    encode_mp4(
        frames,
        size=Size(160, 120),
        fps=24,
        frame_count=24,
        audio=audio,
        sample_rate=48_000,
        out=out,
    )
    return out


@pytest.fixture(scope="module")
def platform_keys(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("platform") / "keys" / "c2pa"


@pytest.fixture(scope="module")
def signed(tmp_path_factory, plain_mp4, platform_keys) -> Path:
    out = tmp_path_factory.mktemp("signed") / "fox.mp4"
    ProvenanceSigner(platform_keys).sign_file(plain_mp4, out, facts())
    return out


def test_a_signed_video_verifies_as_valid_with_its_facts(signed, platform_keys):
    report = verify_file(signed, keys_dir=platform_keys)
    assert report.status == "valid", report.problems
    assert report.problems == ()
    assert report.facts["backend"] == "preview"
    assert report.facts["prompt_sha256"] == prompt_sha256(PROMPT)
    assert report.facts["storyboard_sha256"] == "ab" * 32
    assert report.facts["seed"] == 42
    assert report.facts["source_type"] == "algorithmic"
    assert report.facts["digital_source_type"] == (
        "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
    )
    assert report.facts["created_at"] == report.facts["when"] == "2025-03-04T05:06:07Z"
    assert report.facts["title"] == "fox.mp4"
    assert report.facts["generator"] == "reelmint 0.1.0"
    assert report.facts["signer_common_name"] == "reelmint content signing"
    assert report.facts["signer_issuer"] == "reelmint"
    agent = report.facts["software_agent"]
    assert isinstance(agent, dict)
    assert agent["name"] == "reelmint"
    assert agent["org.reelmint.backend"] == "preview"


def test_a_trained_model_is_recorded_as_trained_algorithmic_media(
    tmp_path, plain_mp4, platform_keys
):
    out = tmp_path / "wan.mp4"
    made_by_model = facts(backend="wan", source_type="trained_algorithmic")
    ProvenanceSigner(platform_keys).sign_file(plain_mp4, out, made_by_model)
    report = verify_file(out, keys_dir=platform_keys)
    assert report.status == "valid", report.problems
    assert report.facts["source_type"] == "trained_algorithmic"
    assert report.facts["digital_source_type"].endswith("/trainedAlgorithmicMedia")
    assert report.facts["backend"] == "wan"


def test_the_prompt_itself_is_never_written(signed):
    data = signed.read_bytes()
    assert PROMPT.encode() not in data
    assert b"sleeping dog" not in data
    assert prompt_sha256(PROMPT).encode() in data


def test_signing_keeps_the_video_streamable_and_intact(signed, plain_mp4, probe):
    layout = boxes(signed.read_bytes())
    assert layout["c2pa"][0] < layout["moov"][0] < layout["mdat"][0]
    before = probe(plain_mp4, keep_every=6).decoded
    after = probe(signed, keep_every=6).decoded
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_one_flipped_byte_in_the_media_is_tampering(tmp_path, signed, platform_keys):
    data = bytearray(signed.read_bytes())
    offset, size = boxes(bytes(data))["mdat"]
    data[offset + size // 2] ^= 0x01
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(bytes(data))
    report = verify_file(tampered, keys_dir=platform_keys)
    assert report.status == "tampered"
    assert any("mismatch" in problem for problem in report.problems), report.problems


def test_a_corrupt_manifest_is_tampering(tmp_path, signed, platform_keys):
    data = bytearray(signed.read_bytes())
    offset, size = boxes(bytes(data))["c2pa"]
    for position in range(offset + 60, offset + size - 8, 97):
        data[position] ^= 0xFF
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(bytes(data))
    report = verify_file(broken, keys_dir=platform_keys)
    assert report.status == "tampered"
    assert report.problems


@pytest.mark.parametrize("kept", ["header", "half", "all but one byte"])
def test_a_signed_video_cut_off_inside_its_manifest_is_tampering(
    tmp_path, signed, platform_keys, kept
):
    """`head -c N signed.mp4` that ends inside the C2PA box: the manifest was there, so the
    file was changed, not never signed."""
    data = signed.read_bytes()
    offset, size = boxes(data)["c2pa"]
    end = {"header": offset + 24, "half": offset + size // 2, "all but one byte": offset + size - 1}
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: end[kept]])
    report = verify_file(cut, keys_dir=platform_keys)
    assert report.status == "tampered"
    assert report.problems == ("the file ends inside its C2PA manifest: it was cut short",)


def test_a_plain_mp4_is_unsigned(plain_mp4, platform_keys):
    report = verify_file(plain_mp4, keys_dir=platform_keys)
    assert report.status == "unsigned"
    assert report.facts == {}


def test_another_platforms_root_does_not_trust_our_videos(tmp_path, signed):
    other = tmp_path / "other-platform"
    ProvenanceSigner(other).identity()
    report = verify_file(signed, keys_dir=other)
    assert report.status == "untrusted"
    assert any("signingCredential.untrusted" in p for p in report.problems)
    assert report.facts["prompt_sha256"] == prompt_sha256(PROMPT)  # still readable


def test_without_trust_anchors_an_intact_video_is_untrusted(signed):
    assert verify_file(signed, keys_dir=None).status == "untrusted"


def test_a_keys_dir_without_an_identity_trusts_nothing(tmp_path, signed):
    assert verify_file(signed, keys_dir=tmp_path / "empty").status == "untrusted"


def test_the_identity_is_created_once_and_reused(tmp_path, plain_mp4):
    keys = tmp_path / "keys"
    first = ProvenanceSigner(keys)
    first.sign_file(plain_mp4, tmp_path / "a.mp4", facts())
    on_disk = {p.name: p.read_bytes() for p in keys.iterdir()}
    second = ProvenanceSigner(keys)
    second.sign_file(plain_mp4, tmp_path / "b.mp4", facts())
    assert second.identity().chain_pem == first.identity().chain_pem
    assert {p.name: p.read_bytes() for p in keys.iterdir()} == on_disk
    assert verify_file(tmp_path / "b.mp4", keys_dir=keys).status == "valid"


def test_private_keys_are_readable_by_the_owner_only(platform_keys, signed):
    assert "PRIVATE KEY" not in repr(ProvenanceSigner(platform_keys).identity())
    keys = sorted(platform_keys.glob("*.key"))
    assert len(keys) == 2  # the root CA's and the signer's
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key.name
    assert stat.S_IMODE(platform_keys.stat().st_mode) & 0o077 == 0


def test_the_certificates_meet_the_c2pa_profile(platform_keys, signed):
    chain = x509.load_pem_x509_certificates(ProvenanceSigner(platform_keys).identity().chain_pem)
    leaf, root = chain
    assert leaf.issuer == root.subject
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    assert leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    # Long-lived: with no time-stamp authority a video turns "untrusted" when its leaf expires.
    assert dt.timedelta(days=9 * 365) < lifetime < dt.timedelta(days=11 * 365)
    root_life = root.not_valid_after_utc - root.not_valid_before_utc
    assert root_life > lifetime + dt.timedelta(days=365)


def test_a_signing_certificate_close_to_expiry_is_renewed(tmp_path, plain_mp4, monkeypatch):
    keys = tmp_path / "keys"
    monkeypatch.setattr(provenance, "_LEAF_LIFETIME", dt.timedelta(days=20))
    short_lived = ProvenanceSigner(keys).identity()
    monkeypatch.undo()
    renewed = ProvenanceSigner(keys)
    renewed.sign_file(plain_mp4, tmp_path / "renewed.mp4", facts())
    old_leaf, old_root = x509.load_pem_x509_certificates(short_lived.chain_pem)
    new_leaf, new_root = x509.load_pem_x509_certificates(renewed.identity().chain_pem)
    assert new_leaf.serial_number != old_leaf.serial_number
    assert new_root == old_root  # renewing the leaf keeps the trust anchor
    assert new_leaf.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=300)
    assert verify_file(tmp_path / "renewed.mp4", keys_dir=keys).status == "valid"


_FIRST_USE = """
import sys, time
from pathlib import Path
from reelmint.engine.postprocess.provenance import ProvenanceSigner
keys, go = Path(sys.argv[1]), Path(sys.argv[2])
while not go.exists():
    time.sleep(0.001)
sys.stdout.write(ProvenanceSigner(keys).identity().chain_pem.decode())
"""


def test_concurrent_first_use_by_two_processes_makes_one_identity(tmp_path):
    """Two fresh processes (not forks of this threaded one) race to create the identity."""
    keys, go = tmp_path / "keys", tmp_path / "go"
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _FIRST_USE, str(keys), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    time.sleep(0.5)  # both are importing; the file below releases them together
    go.touch()
    chains = [racer.communicate(timeout=120)[0] for racer in racers]
    assert all(racer.returncode == 0 for racer in racers)
    assert chains[0] == chains[1]
    assert chains[0].startswith("-----BEGIN CERTIFICATE-----")
    anchors = x509.load_pem_x509_certificates((keys / "trust-anchors.pem").read_bytes())
    assert len(anchors) == 1
    assert ProvenanceSigner(keys).identity().chain_pem.decode() == chains[0]


def test_signing_in_place_and_leaving_no_temporary_files(tmp_path, plain_mp4, platform_keys):
    video = tmp_path / "clip.mp4"
    video.write_bytes(plain_mp4.read_bytes())
    ProvenanceSigner(platform_keys).sign_file(video, video, facts())
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]
    assert verify_file(video, keys_dir=platform_keys).status == "valid"


def test_a_failed_signing_leaves_no_output_and_no_temporary_file(
    tmp_path, plain_mp4, platform_keys
):
    truncated = tmp_path / "source" / "cut.mp4"
    truncated.parent.mkdir()
    data = plain_mp4.read_bytes()
    truncated.write_bytes(data[: boxes(data)["moov"][0] + 100])  # the moov box is cut short
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(ProvenanceError, match=r"could not sign .*out/cut\.mp4"):
        ProvenanceSigner(platform_keys).sign_file(truncated, out_dir / "cut.mp4", facts())
    assert list(out_dir.iterdir()) == []


def test_a_file_that_is_not_a_video_is_refused(tmp_path, platform_keys):
    text = tmp_path / "notes.mp4"
    text.write_text("these are not the frames you are looking for\n" * 20)
    with pytest.raises(InvalidRequest, match=r"notes\.mp4 is not an MP4 video") as caught:
        verify_file(text, keys_dir=platform_keys)
    assert caught.value.code == "unsupported_file"
    with pytest.raises(InvalidRequest) as caught:
        ProvenanceSigner(platform_keys).sign_file(text, tmp_path / "out.mp4", facts())
    assert caught.value.code == "unsupported_file"
    assert not (tmp_path / "out.mp4").exists()


def test_a_missing_file_is_reported(tmp_path, platform_keys):
    with pytest.raises(InvalidRequest) as caught:
        verify_file(tmp_path / "nowhere.mp4", keys_dir=platform_keys)
    assert caught.value.code == "file_not_found"


@pytest.mark.parametrize(
    "overrides",
    [
        {"prompt_sha256": PROMPT},
        {"storyboard_sha256": "AB" * 32},
        {"created_at": dt.datetime(2025, 1, 1)},
        {"source_type": "camera"},
        {"seed": -1},
    ],
    ids=["prompt-not-hashed", "uppercase-hash", "naive-time", "unknown-source", "negative-seed"],
)
def test_bad_generation_facts_are_refused(overrides):
    with pytest.raises(InvalidRequest) as caught:
        facts(**overrides)
    assert caught.value.code == "invalid_generation_facts"


def test_prompt_sha256_is_the_hex_digest_of_utf8():
    assert prompt_sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert prompt_sha256("café") != prompt_sha256("cafe")
