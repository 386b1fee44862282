"""C2PA Content Credentials: sign every MP4 the platform makes, and verify any MP4.

Why: a viewer (or a court, or another platform) must be able to tell that a video was made by
an AI on this platform, from what kind of request, and that it has not been altered since. A
C2PA manifest embedded in the MP4 records that, hashed over the file's boxes and signed.

The signing identity is the platform's own small PKI, made on first use in `keys_dir`:
a root CA (kept to renew, and published as the trust anchor) and an end-entity signing
certificate issued by it, renewed automatically before it expires. Each platform trusts its
own root; a verifier elsewhere sees our files as intact but "untrusted" until it adds our
root to its trust list.

c2pa-rs checks the end-entity certificate against the C2PA certificate profile
(c2pa-rs `check_end_entity_certificate_profile`, C2PA spec §14.5): X.509 v3, valid now (no
time stamp here), signed with ECDSA/RSA-SHA2 or Ed25519, EC keys on P-256/384/521, not a CA,
no unique ids, an AuthorityKeyIdentifier, a KeyUsage with digitalSignature (and without
keyCertSign), and an ExtendedKeyUsage from its allowed list that is not anyEKU. The bundled
c2pa-rs (0.91) rejects documentSigning (1.3.6.1.5.5.7.3.36) alone with its default EKU list,
so the certificate carries documentSigning and emailProtection. Its leaf subject needs an
organisation (O), which c2pa-rs reports as the issuer of the signature.

No network, ever: no time-stamp authority, no OCSP, no remote manifests, and an empty list
of allowed network hosts, all set per call on a c2pa `Context`, never in global settings.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from reelmint.engine.backends.base import SourceType
from reelmint.engine.errors import InvalidRequest, ProvenanceError
from reelmint.fileio import exclusive_lock, write_atomic

MP4_MIME = "video/mp4"
GENERATION_LABEL = "org.reelmint.generation"
DIGITAL_SOURCE_TYPES: dict[str, str] = {
    "algorithmic": "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia",
    "trained_algorithmic": "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
}
# The ISO BMFF `uuid` box type C2PA stores its manifest store in.
C2PA_BOX_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")

# There is no time-stamp authority offline, so validators judge a signature by today's date:
# a video reads "untrusted" once the leaf that signed it expires. Leaves therefore live long
# (new ones are issued 30 days before expiry; old videos stay valid until their own leaf ends).
_CA_LIFETIME = dt.timedelta(days=365 * 30)
_LEAF_LIFETIME = dt.timedelta(days=365 * 10)
_RENEW_BEFORE = dt.timedelta(days=30)
_CLOCK_SKEW = dt.timedelta(minutes=5)
_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
_ORGANISATION = "reelmint"

_CA_CERT = "root-ca.pem"
_CA_KEY = "root-ca.key"
_LEAF_CERT = "signer.pem"
_LEAF_KEY = "signer.key"
_TRUST_ANCHORS = "trust-anchors.pem"
_LOCK = ".lock"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_MAX_DETAIL = 200

VerificationStatus = Literal["valid", "untrusted", "tampered", "unsigned"]


def prompt_sha256(prompt: str) -> str:
    """The hex SHA-256 of a prompt's UTF-8 bytes: what manifests record instead of the prompt."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class GenerationFacts:
    """What a manifest records about how a video was made (never the prompt itself)."""

    backend: str
    source_type: SourceType
    prompt_sha256: str
    storyboard_sha256: str
    seed: int
    size: str
    seconds: float
    fps: int
    created_at: dt.datetime
    generator_version: str
    # What the backend reports of how it worked (model, steps, lossy options...): short strings.
    details: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.source_type not in DIGITAL_SOURCE_TYPES:
            _bad_facts(
                f"source_type {self.source_type!r} is not one of {list(DIGITAL_SOURCE_TYPES)}"
            )
        for name in ("prompt_sha256", "storyboard_sha256"):
            if not _HEX64.fullmatch(getattr(self, name)):
                _bad_facts(f"{name} must be 64 lowercase hex digits (a SHA-256)")
        if self.created_at.tzinfo is None:
            _bad_facts("created_at must be timezone-aware, e.g. datetime.now(UTC)")
        if self.seed < 0:
            _bad_facts(f"seed must not be negative, got {self.seed}")
        for key, value in self.details.items():
            if not (isinstance(key, str) and isinstance(value, str)):
                _bad_facts(f"details must map strings to strings, got {key!r}: {value!r}")
            if len(key) > _MAX_DETAIL or len(value) > _MAX_DETAIL:
                _bad_facts(f"detail {key[:40]!r} is longer than {_MAX_DETAIL} characters")

    @property
    def created_at_utc(self) -> str:
        """ISO 8601 in UTC with a `Z`, the form C2PA's `when` fields use."""
        utc = self.created_at.astimezone(dt.UTC)
        return utc.isoformat(timespec="seconds").replace("+00:00", "Z")


def _bad_facts(message: str) -> None:
    raise InvalidRequest(message, code="invalid_generation_facts")


@dataclass(frozen=True)
class SigningIdentity:
    """The platform's signing key and certificate chain (leaf first, then the root CA)."""

    private_key_pem: bytes = field(repr=False)
    chain_pem: bytes
    trust_anchors_pem: bytes
    not_after: dt.datetime


@dataclass(frozen=True)
class VerificationReport:
    """What `verify_file` found.

    status: "valid" = manifest intact and chained to a trust anchor of `keys_dir`;
    "untrusted" = intact but its signer is not trusted here (another platform, no keys_dir, an
    expired certificate); "tampered" = a manifest is present but the file or the manifest does
    not validate; "unsigned" = no manifest at all.
    """

    status: VerificationStatus
    facts: dict[str, object]
    problems: tuple[str, ...]


# --- signing ------------------------------------------------------------------------------


class ProvenanceSigner:
    """Signs MP4 files with the platform identity kept in `keys_dir` (made on first use)."""

    def __init__(self, keys_dir: Path) -> None:
        self.keys_dir = keys_dir
        self._identity: SigningIdentity | None = None

    def identity(self) -> SigningIdentity:
        """The current identity: loaded once, created or renewed under a file lock if needed."""
        cached = self._identity
        if cached is None or _needs_renewal(cached.not_after):
            cached = self._identity = _load_or_create_identity(self.keys_dir)
        return cached

    def sign_file(self, src: Path, dst: Path, facts: GenerationFacts) -> None:
        """Embed a signed manifest describing `facts` into a copy of `src` written to `dst`.

        `dst` appears atomically (a temp file in its folder, then os.replace): a reader never
        sees a half-signed video. `src` may equal `dst`.
        """
        _require_mp4(src)
        identity = self.identity()
        manifest = _manifest_definition(facts, title=dst.name)
        settings = _settings(trust_anchors=identity.trust_anchors_pem.decode())
        signer_info = c2pa.C2paSignerInfo(
            c2pa.C2paSigningAlg.ES256, identity.chain_pem, identity.private_key_pem, None
        )
        with _atomic_target(dst) as tmp:
            try:
                with (
                    c2pa.Context.from_dict(settings) as context,
                    c2pa.Builder(manifest, context=context) as builder,
                    c2pa.Signer.from_info(signer_info) as signer,
                    src.open("rb") as source,
                    tmp.open("w+b") as target,
                ):
                    builder.sign(signer, MP4_MIME, source, target)
                    target.flush()
                    os.fsync(target.fileno())
            except c2pa.C2paError as error:
                raise ProvenanceError(f"could not sign {dst}: {error}") from error


def _manifest_definition(facts: GenerationFacts, *, title: str) -> dict[str, object]:
    """The manifest: who made it (created action), how (our assertion), named after the file."""
    when = facts.created_at_utc
    software_agent = {
        "name": "reelmint",
        "version": facts.generator_version,
        "org.reelmint.backend": facts.backend,
    }
    created = {
        "action": "c2pa.created",
        "digitalSourceType": DIGITAL_SOURCE_TYPES[facts.source_type],
        "softwareAgent": software_agent,
        "when": when,
    }
    generation = {
        "backend": facts.backend,
        "source_type": facts.source_type,
        "prompt_sha256": facts.prompt_sha256,
        "storyboard_sha256": facts.storyboard_sha256,
        "seed": facts.seed,
        "size": facts.size,
        "seconds": facts.seconds,
        "fps": facts.fps,
        "created_at": when,
        "generator_version": facts.generator_version,
        "details": dict(facts.details),
    }
    return {
        "claim_generator_info": [{"name": "reelmint", "version": facts.generator_version}],
        "title": title,
        "format": MP4_MIME,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [created]}},
            {"label": GENERATION_LABEL, "data": generation},
        ],
    }


def _settings(*, trust_anchors: str | None) -> dict[str, object]:
    """Per-call c2pa settings: verify everything, trust only `trust_anchors`, never go online."""
    return {
        "version": 1,
        "verify": {
            "verify_after_reading": True,
            "verify_after_sign": True,
            "verify_trust": True,
            "ocsp_fetch": False,
            "remote_manifest_fetch": False,
        },
        "core": {"allowed_network_hosts": []},
        "trust": {"trust_anchors": trust_anchors, "user_anchors": None, "allowed_list": None},
        "builder": {"thumbnail": {"enabled": False}, "certificate_status_fetch": None},
    }


@contextlib.contextmanager
def _atomic_target(dst: Path) -> Iterator[Path]:
    """A temp path beside `dst`, moved over `dst` on success and removed on failure."""
    handle, name = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o644)
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)


# --- verification ---------------------------------------------------------------------------


def verify_file(path: Path, *, keys_dir: Path | None) -> VerificationReport:
    """Read and validate the C2PA manifest of the MP4 at `path`, trusting `keys_dir`'s root.

    With `keys_dir=None` nothing is trusted, so an intact file is at best "untrusted".
    """
    boxes = _require_mp4(path)
    manifest_box = next((box for box in boxes if box.is_c2pa), None)
    anchors = read_trust_anchors(keys_dir) if keys_dir is not None else None
    try:
        with (
            c2pa.Context.from_dict(_settings(trust_anchors=anchors)) as context,
            path.open("rb") as stream,
            c2pa.Reader(MP4_MIME, stream, context=context) as reader,
        ):
            results = reader.get_validation_results() or {}
            state = reader.get_validation_state()
            manifest = reader.get_active_manifest() or {}
    except c2pa.C2paError as error:
        return _unreadable(error, manifest_box)
    return _judge(state, results, manifest)


def read_trust_anchors(keys_dir: Path) -> str | None:
    """The PEM bundle of every root this platform has used, or None before the first one.

    A damaged bundle is a configuration fault, reported as such: it must never make genuine
    videos look tampered.
    """
    path = keys_dir / _TRUST_ANCHORS
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ProvenanceError(f"cannot read the trust anchors {path}: {exc.strerror}") from exc
    try:
        x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise ProvenanceError(
            f"the trust anchors {path} are damaged (not PEM certificates); restore the keys "
            "folder from a backup"
        ) from exc
    return pem.decode()


def _unreadable(error: c2pa.C2paError, manifest_box: _Box | None) -> VerificationReport:
    """No manifest could be read: either there is none, or the one there (its C2PA box's
    header, at least) is broken or cut off."""
    if manifest_box is not None and manifest_box.cut_short:
        problem = "the file ends inside its C2PA manifest: it was cut short"
        return VerificationReport("tampered", {}, (problem,))
    if manifest_box is not None:
        return VerificationReport("tampered", {}, (f"the manifest cannot be read: {error}",))
    if isinstance(error, c2pa.C2paError.ManifestNotFound):
        return VerificationReport("unsigned", {}, ("the file has no C2PA manifest",))
    return VerificationReport("unsigned", {}, (f"the file has no C2PA manifest ({error})",))


# Failures about who signed rather than what was signed: the content is intact, but we cannot
# vouch for the signer (unknown root, expired or revoked certificate, bad time stamp).
_CREDENTIAL_FAILURE_PREFIXES = ("signingCredential.", "timeStamp.")


def _judge(
    state: str | None, results: dict[str, object], manifest: dict[str, object]
) -> VerificationReport:
    facts = _facts(manifest)
    failures = _failures(results)
    integrity = [code for code, _ in failures if not code.startswith(_CREDENTIAL_FAILURE_PREFIXES)]
    problems = tuple(f"{code}: {explanation}" for code, explanation in failures)
    if integrity or (state == "Invalid" and not failures):
        return VerificationReport("tampered", facts, problems or (f"validation state {state}",))
    if failures:
        return VerificationReport("untrusted", facts, problems)
    if state == "Trusted":
        return VerificationReport("valid", facts, ())
    return VerificationReport(
        "untrusted", facts, ("the signing certificate does not chain to a trusted root",)
    )


def _failures(results: dict[str, object]) -> list[tuple[str, str]]:
    """Every failure status in the validation results, of the active manifest and the rest."""
    found: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "failure" and isinstance(value, list):
                    found.extend(
                        (str(item.get("code", "")), str(item.get("explanation", "")))
                        for item in value
                        if isinstance(item, dict)
                    )
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(results)
    return found


def _facts(manifest: dict[str, object]) -> dict[str, object]:
    """The manifest's claims in flat, stable keys for the CLI, the API and tests."""
    facts: dict[str, object] = {}
    if "title" in manifest:
        facts["title"] = manifest["title"]
    generators = manifest.get("claim_generator_info")
    if isinstance(generators, list) and generators and isinstance(generators[0], dict):
        first = generators[0]
        facts["generator"] = " ".join(str(first[k]) for k in ("name", "version") if k in first)
    signature = manifest.get("signature_info")
    if isinstance(signature, dict):
        facts["signer_common_name"] = signature.get("common_name")
        facts["signer_issuer"] = signature.get("issuer")
        facts["signature_algorithm"] = signature.get("alg")
    for assertion in _assertions(manifest):
        label, data = assertion.get("label"), assertion.get("data")
        if not isinstance(data, dict):
            continue
        if label in ("c2pa.actions", "c2pa.actions.v2"):
            facts.update(_created_action_facts(data))
        elif label == GENERATION_LABEL:
            facts.update(data)
    return facts


def _assertions(manifest: dict[str, object]) -> list[dict[str, object]]:
    assertions = manifest.get("assertions")
    if not isinstance(assertions, list):
        return []
    return [item for item in assertions if isinstance(item, dict)]


def _created_action_facts(data: dict[str, object]) -> dict[str, object]:
    actions = data.get("actions")
    if not isinstance(actions, list):
        return {}
    for action in actions:
        if isinstance(action, dict) and action.get("action") == "c2pa.created":
            url = action.get("digitalSourceType")
            by_url = {value: key for key, value in DIGITAL_SOURCE_TYPES.items()}
            return {
                "digital_source_type": url,
                "source_type": by_url.get(str(url), "other"),
                "software_agent": action.get("softwareAgent"),
                "when": action.get("when"),
            }
    return {}


# --- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """A top-level ISO BMFF box: its four-character type and, for `uuid` boxes, the uuid."""

    kind: bytes
    offset: int
    size: int
    user_type: bytes = b""
    cut_short: bool = False  # its header is whole, but the file ends inside it

    @property
    def is_c2pa(self) -> bool:
        return self.kind == b"uuid" and self.user_type == C2PA_BOX_UUID


def _require_mp4(path: Path) -> list[_Box]:
    """Top-level boxes of `path`; InvalidRequest if it is missing or is not ISO BMFF (MP4)."""
    if not path.is_file():
        raise InvalidRequest(f"{path} does not exist or is not a file", code="file_not_found")
    boxes = _top_level_boxes(path)
    if not boxes or boxes[0].kind != b"ftyp" or boxes[0].cut_short:
        raise InvalidRequest(
            f"{path} is not an MP4 video (it does not start with an ISO BMFF 'ftyp' "
            "box); reelmint signs and verifies MP4 files only",
            code="unsupported_file",
        )
    return boxes


def _top_level_boxes(path: Path) -> list[_Box]:
    """Walk the top-level boxes; stop quietly at the first that does not fit the file. One
    whose header is whole but whose end is past the file's is listed as `cut_short`: a C2PA
    box cut off is a manifest that was there (a truncated file), not a file never signed."""
    boxes: list[_Box] = []
    total = path.stat().st_size
    with path.open("rb") as stream:
        offset = 0
        while offset + 8 <= total:
            stream.seek(offset)
            header = stream.read(16)
            size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            header_size = 8
            if size == 1:
                size, header_size = int.from_bytes(stream.read(8), "big"), 16
            elif size == 0:
                size = total - offset
            if size < header_size or not kind.isascii():
                break
            user_type = b""
            if kind == b"uuid":
                stream.seek(offset + header_size)
                user_type = stream.read(16)
            cut_short = offset + size > total
            boxes.append(_Box(kind, offset, size, user_type, cut_short=cut_short))
            if cut_short:
                break
            offset += size
    return boxes


# --- the signing identity -------------------------------------------------------------------


def _load_or_create_identity(keys_dir: Path) -> SigningIdentity:
    """Under an exclusive file lock: reuse the identity on disk, renewing what is due.

    The lock makes concurrent first use by several processes (API, workers) produce one
    identity: the first creates it, the others wait and then load it.
    """
    try:
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ProvenanceError(
            f"cannot create the signing keys folder {keys_dir}: {exc.strerror}; check "
            "REELMINT_DATA_DIR"
        ) from exc
    with exclusive_lock(keys_dir / _LOCK):
        now = dt.datetime.now(dt.UTC)
        root = _load_pair(keys_dir / _CA_CERT, keys_dir / _CA_KEY)
        if root is None or _needs_renewal(root[0].not_valid_after_utc, now):
            root = _create_root(keys_dir, now)
        ca_cert, ca_key = root
        leaf = _load_pair(keys_dir / _LEAF_CERT, keys_dir / _LEAF_KEY)
        if leaf is None or not _is_current_leaf(leaf[0], ca_cert, now):
            leaf = _create_leaf(keys_dir, ca_cert, ca_key, now)
        leaf_cert, leaf_key = leaf
        return SigningIdentity(
            private_key_pem=_key_pem(leaf_key),
            chain_pem=_cert_pem(leaf_cert) + _cert_pem(ca_cert),
            trust_anchors_pem=(read_trust_anchors(keys_dir) or "").encode(),
            not_after=leaf_cert.not_valid_after_utc,
        )


def _needs_renewal(not_after: dt.datetime, now: dt.datetime | None = None) -> bool:
    return not_after - (now or dt.datetime.now(dt.UTC)) < _RENEW_BEFORE


def _is_current_leaf(leaf: x509.Certificate, ca: x509.Certificate, now: dt.datetime) -> bool:
    """Issued by the current root (not a leftover of a replaced one) and not due for renewal."""
    if leaf.issuer != ca.subject or _needs_renewal(leaf.not_valid_after_utc, now):
        return False
    try:
        leaf.verify_directly_issued_by(ca)
    except (ValueError, TypeError, x509.InvalidSignature):
        return False
    return True


def root_ca_fingerprint(keys_dir: Path) -> str | None:
    """SHA-256 of the root CA certificate in `keys_dir`, or None where there is no usable root
    (its certificate or key missing or not a pair: a signer there would make a new root)."""
    pair = _load_pair(keys_dir / _CA_CERT, keys_dir / _CA_KEY)
    if pair is None:
        return None
    return hashlib.sha256(pair[0].public_bytes(serialization.Encoding.DER)).hexdigest()


def _load_pair(
    cert_path: Path, key_path: Path
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    """A certificate and its key, or None if either is missing, unreadable or they differ."""
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        return None
    return cert, key


def _create_root(
    keys_dir: Path, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new root CA; its certificate joins the trust anchors (old roots stay trusted)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("reelmint platform root CA")
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(now + _CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
        .sign(key, hashes.SHA256())
    )
    previous = read_trust_anchors(keys_dir) or ""
    write_atomic(keys_dir / _CA_KEY, _key_pem(key), mode=0o600)
    write_atomic(keys_dir / _CA_CERT, _cert_pem(cert), mode=0o644)
    write_atomic(keys_dir / _TRUST_ANCHORS, _cert_pem(cert) + previous.encode(), mode=0o644)
    return cert, key


def _create_leaf(
    keys_dir: Path,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new end-entity signing certificate that satisfies the C2PA certificate profile."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("reelmint content signing"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _CLOCK_SKEW)
        .not_valid_after(min(now + _LEAF_LIFETIME, ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    write_atomic(keys_dir / _LEAF_KEY, _key_pem(key), mode=0o600)
    write_atomic(keys_dir / _LEAF_CERT, _cert_pem(cert), mode=0o644)
    return cert, key


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _ORGANISATION),
        ]
    )


def _key_usage(*, digital_signature: bool = False, key_cert_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=key_cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)
