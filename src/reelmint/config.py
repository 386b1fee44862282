"""Settings: one place for every knob, each read from a `REELMINT_*` environment variable.

The engine never reads these itself: the CLI (and, later, the platform's composition root)
turns them into the plain arguments the engine takes, so the same engine runs anywhere.
"""

from __future__ import annotations

import json
import os
import re
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from reelmint.engine.backends.base import ModelSpeed
from reelmint.engine.postprocess.encode import EncodeSettings

X264Preset = Literal[
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
]


def _default_data_dir() -> Path:
    """The per-user data folder (XDG), so a video verifies the same from any directory."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "reelmint"


# The plans an account can be on (`admin set-plan`), with their free daily units by default.
DEFAULT_PLAN_DAILY_QUOTA: dict[str, int] = {"free": 30, "plus": 60, "pro": 150, "enterprise": 500}
MAX_QUOTA_NOTICE_DAYS = 365  # a year's notice is plenty; far more overflows the date arithmetic
POSTGRES_DRIVER = "postgresql+psycopg"
SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite")
_WRITE_INSTEAD = (
    "write postgresql+psycopg://user@host/db for PostgreSQL, or leave it unset for SQLite in "
    "the data folder (or sqlite:////path/to/reelmint.db)"
)


def usable_database_url(value: str) -> str:
    """`value` as a URL this platform can open: PostgreSQL through psycopg 3, or SQLite.

    `postgres://` (what many hosts hand out) and `postgresql://` (SQLAlchemy's default driver)
    name the same server with the same libpq parameters, so they are read as
    `postgresql+psycopg://`; any other driver or database is refused with what to write."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError(f"not a database URL; {_WRITE_INSTEAD}") from None
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername=POSTGRES_DRIVER)
    if url.drivername == POSTGRES_DRIVER:
        _require_psycopg()
        return url.render_as_string(hide_password=False)
    if url.drivername in SQLITE_DRIVERS:
        if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
            raise ValueError(
                "an in-memory SQLite database lasts as long as one process, and the server, "
                "workers and commands each need the same one: name a file "
                "(sqlite:////path/to/reelmint.db) or leave it unset"
            )
        return value
    raise ValueError(f"reelmint cannot use {url.drivername}:// URLs; {_WRITE_INSTEAD}")


def _require_psycopg() -> None:
    from importlib.util import find_spec

    if find_spec("psycopg") is None:
        raise ValueError(
            "PostgreSQL needs the psycopg driver, which is not installed: pip install "
            "'reelmint[postgres]' (or leave it unset for SQLite in the data folder)"
        )


class CreditPack(BaseModel):
    """A pack of purchased credits in the catalogue (`credit_packs`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_\-]{1,40}$", description="Stable id, e.g. pack_10.")
    name: str = Field(min_length=1, max_length=80, description="What buyers see.")
    # Bounds keep every pack storable (32-bit columns, dates before year 9999) and payable
    # (Stripe takes at most 99,999,999 of a currency's smallest unit at once).
    units: int = Field(gt=0, le=1_000_000, description="Generation units the pack adds.")
    price_cents: int = Field(
        gt=0,
        le=99_999_999,
        description="Price in the currency's smallest unit: cents for USD, yen for JPY "
        "(a zero-decimal currency), as Stripe takes it.",
    )
    currency: str = Field(default="usd", pattern=r"^[a-z]{3}$", description="ISO 4217, lower.")
    valid_days: int = Field(
        gt=0,
        le=36_500,
        description="Days the credits stay valid after purchase (at most 100 years).",
    )


def _default_credit_packs() -> list[CreditPack]:
    return [
        CreditPack(
            id="pack_10",
            name="10 generations",
            units=10,
            price_cents=400,
            currency="usd",
            valid_days=365,
        )
    ]


class Settings(BaseSettings):
    """The platform's configuration. Environment variables are `REELMINT_` + the field name."""

    model_config = SettingsConfigDict(env_prefix="REELMINT_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="The data folder: signing keys (keys/), generated videos (videos/). "
        "Default: $XDG_DATA_HOME/reelmint, else ~/.local/share/reelmint.",
    )
    default_backend: str = Field(
        default="preview", description="The backend used when a request names none."
    )
    default_seconds: float = Field(
        default=8.0,
        gt=0,
        description="Clip length when a request names none (clamped into the backend's range).",
    )
    default_size: str = Field(default="854x480", description="Frame size when none is named.")

    encode_preset: X264Preset = Field(
        default="veryfast",
        description="x264 preset: slower presets give smaller files for the same quality.",
    )
    encode_crf: int = Field(
        default=21, ge=0, le=51, description="x264 constant rate factor: lower is better quality."
    )

    wan_path: Path | None = Field(
        default=None, description="Folder of a diffusers-format Wan 2.1/2.2 model."
    )
    ltx_path: Path | None = Field(
        default=None, description="Folder of a diffusers-format LTX-Video model."
    )
    model_compile: bool = Field(
        default=False,
        description="torch.compile the transformer: lossless, faster after a slow first clip.",
    )
    model_batch_cfg: bool = Field(
        default=True,
        description="Run both halves of classifier-free guidance in one batch: lossless, "
        "faster, uses more memory.",
    )
    model_cache_prompt_embeddings: bool = Field(
        default=True,
        description="Reuse text-encoder outputs for repeated prompts: lossless, uses RAM.",
    )
    model_vae_tiling: bool = Field(
        default=False, description="Decode the VAE in tiles: less GPU memory, slower."
    )
    model_cpu_offload: bool = Field(
        default=False,
        description="Keep idle model parts on the CPU: fits small GPUs, much slower.",
    )
    model_first_block_cache: float | None = Field(
        default=None,
        gt=0,
        description="Opt-in LOSSY speed-up: skip transformer blocks when the first block's "
        "output changes less than this threshold (e.g. 0.05). Unset = off.",
    )
    model_attention: str = Field(
        default="auto",
        description="Attention kernel: auto (exact cuDNN attention on Hopper GPUs when it "
        "runs), default (PyTorch's choice), or a diffusers attention backend name.",
    )

    # --- the platform: database, storage, server, queue -------------------------------------

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL. Unset: SQLite at DATA_DIR/reelmint.db. PostgreSQL: "
        "postgresql+psycopg://user@host/db (the `postgres` extra).",
    )
    storage: Literal["local", "s3"] = Field(
        default="local", description="Where videos are kept: the data folder, or an S3 bucket."
    )
    s3_bucket: str | None = Field(default=None, description="S3 bucket (storage=s3).")
    s3_prefix: str = Field(default="", description="Key prefix inside the bucket.")
    s3_endpoint_url: str | None = Field(
        default=None, description="S3-compatible endpoint (MinIO, R2, ...); unset = AWS."
    )
    s3_region: str | None = Field(default=None, description="S3 region.")
    s3_connect_timeout_seconds: float = Field(
        default=3.0,
        gt=0,
        le=60,
        description="How long connecting to S3 may take before the try fails (storage=s3).",
    )
    s3_read_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long S3 may go without sending anything on a connection before the "
        "try fails (storage=s3).",
    )
    s3_max_attempts: int = Field(
        default=2,
        ge=1,
        le=10,
        description="Tries of one S3 request, the first included, before the storage counts "
        "as unreachable: requests that need it answer 503 storage_unavailable (storage=s3).",
    )
    file_sweep_hours: int = Field(
        default=24,
        ge=0,
        le=24 * 366,
        description="How often, in hours, each server process's housekeeping lists the file "
        "storage and removes the files no row refers to (a deleted video's, a revoked cameo's, "
        "a run never recorded; reelmint.file_sweep), each at least a day old; 0 turns the sweep "
        "off (`reelmint admin storage sweep` runs it by hand). Every process sweeps: with many, "
        "keep it on in a few.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The base URL users reach the server at (links in emails and webhooks).",
    )
    secure_cookies: bool = Field(
        default=False, description="Mark session cookies Secure (set when served over HTTPS)."
    )
    signup_open: bool = Field(default=True, description="Whether anyone may create an account.")
    login_max_failures: int = Field(
        default=5,
        ge=1,
        le=100,
        description="Wrong passwords in a row an account takes before signing in to it is "
        "refused (429 `too_many_attempts`) for 1 minute, then 2, 4... after each further "
        "wrong one, up to login_lockout_max_minutes. A sign-in or password reset clears it.",
    )
    signups_per_network_per_hour: int = Field(
        default=10,
        ge=0,
        le=1_000_000,
        description="Accounts one network (an IPv4 address, an IPv6 /64) may open in an hour; "
        "more are refused (429 `too_many_signups`) until the hour is over. 0: no limit.",
    )
    wrong_passwords_per_network_per_hour: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="Wrong passwords one network may type on the login page in an hour, over "
        "all addresses (a leaked password tried on many accounts); more are refused (429 "
        "`too_many_attempts`) until the hour is over, except in browsers that have signed in "
        "to the account before. 0: no limit.",
    )
    password_resets_per_network_per_hour: int = Field(
        default=20,
        ge=0,
        le=1_000_000,
        description="Password reset emails one network may ask for in an hour, whatever the "
        "addresses; more are refused (429 `too_many_reset_requests`). 0: no limit.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1",
        description="Comma-separated addresses or networks (10.0.0.0/8) of the proxies "
        "trusted to report the client's address (X-Forwarded-For, read from the right: the "
        "first address not in this list is the client's): the per-network limits count it. "
        "Anyone else's header is ignored. Not *: it would believe the leftmost address, which "
        "the client writes.",
    )
    login_lockout_max_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="The longest an account's sign-in is refused after too many wrong passwords.",
    )
    password_reset_minutes: int = Field(
        default=60,
        ge=5,
        le=24 * 60,
        description="How long a password reset link (emailed from the login page's 'Forgot "
        "your password?') works; it also stops working once used, when the password changes "
        "and when a newer link is sent. Needs email (smtp_host) to reach anyone.",
    )
    password_reset_resend_minutes: int = Field(
        default=5,
        ge=0,
        le=24 * 60,
        description="The least time between two password reset emails to one account, so the "
        "form cannot flood someone's inbox; asking sooner sends nothing (and says the same).",
    )
    email_confirmation_days: int = Field(
        default=7,
        ge=1,
        le=60,
        description="How long the link that confirms a new account's email address works; "
        "the account can send a new one from Settings.",
    )
    email_confirmation_resend_minutes: int = Field(
        default=5,
        ge=0,
        le=24 * 60,
        description="The least time between two email confirmation links to one account "
        "(asking sooner is 429 `confirmation_recently_sent`).",
    )
    model_aliases: dict[str, str] = Field(
        default_factory=lambda: {"sora-2": "default", "sora-2-pro": "best"},
        description="API model names mapped to backends; the targets `default` and `best` "
        'mean default_backend and best_backend. JSON, e.g. {"sora-2": "preview"}.',
    )
    best_backend: str | None = Field(
        default=None,
        description="The backend `sora-2-pro` (and other `best` aliases) run on; unset = default.",
    )
    lease_seconds: float = Field(
        default=60.0,
        gt=0,
        le=86400,
        description="How long a worker holds a job without a heartbeat before it goes back "
        "to the queue. At most a day (86400).",
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, description="How often a busy worker renews its lease."
    )
    max_attempts: int = Field(
        default=3, ge=1, description="Leases a job may lose (worker died) before it fails."
    )
    max_running_per_user: int = Field(
        default=2, ge=1, description="Jobs of one user that run at the same time; more wait."
    )
    paid_head_start_seconds: float = Field(
        default=600.0,
        ge=0,
        description="Priority of paid work: it queues as if submitted this much earlier, so "
        "free work waits at most this long behind it and is never starved.",
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = Field(
        default="info",
        description="The least level `up` and `worker` log (to stderr, one line a record: UTC "
        "time, level, logger, message): debug, info, warning, error or critical.",
    )
    worker_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often an idle worker looks for work."
    )

    webhook_allow_private_targets: bool = Field(
        default=False,
        description="Allow webhook URLs on private, loopback or link-local addresses (off: "
        "a user could otherwise make the server call into the operator's own network).",
    )
    webhook_max_attempts: int = Field(
        default=8, ge=1, description="Deliveries of one event before it is given up."
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long a webhook receiver has to answer."
    )
    webhook_keep_days: int = Field(
        default=30,
        ge=1,
        description="Days a finished webhook delivery (delivered, or given up) and its attempts "
        "stay in the delivery log before housekeeping removes them. Pending ones always stay.",
    )
    webhook_disable_after_hours: int = Field(
        default=72,
        ge=0,
        description="Turn off a webhook endpoint, and tell its owner, when none of its attempts "
        "has succeeded for this many hours and its last 3 events (at least) were given up after "
        "every retry; its owner turns it back on. 0: never turn endpoints off.",
    )

    # --- email: the notifications outbox, sent over SMTP --------------------------------------

    smtp_host: str = Field(
        default="",
        description="The SMTP server emails are sent through. Empty (the default): email is "
        "off; mails wait in the outbox and go out once a server is configured.",
    )
    smtp_port: int = Field(
        default=25, ge=1, le=65535, description="The SMTP server's port (587 STARTTLS, 465 SSL)."
    )
    smtp_username: str = Field(
        default="", description="The SMTP login; empty: no AUTH (a relay that trusts this host)."
    )
    smtp_password: SecretStr = Field(
        default=SecretStr(""), description="The SMTP password (never logged or shown)."
    )
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none",
        description="How the SMTP connection is protected: none, starttls (upgrade, refused "
        "if the server cannot) or ssl (TLS from the start). Certificates are verified.",
    )
    smtp_from: str = Field(
        default="reelmint <no-reply@localhost>",
        description="The From of every email, `Name <address>`; its address is the sender.",
    )
    operator_contact: str = Field(
        default="",
        max_length=200,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="How people reach you, the operator (an email address or a web page), "
        "named in the notice of a suspension; empty: they are told to write to the operator.",
    )
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, description="How long the SMTP server has to answer each step."
    )
    smtp_max_attempts: int = Field(
        default=10,
        ge=1,
        description="Tries of one email (30 s, 2 min, 10 min, 1 h, 3 h, then every 6 h apart) "
        "before it is marked failed.",
    )
    mail_keep_days: int = Field(
        default=90,
        ge=1,
        description="Days a sent email stays in the outbox (email_messages) before housekeeping "
        "removes it. Failed mail stays until it is retried (`reelmint admin mail retry`).",
    )
    mailer_poll_seconds: float = Field(
        default=5.0,
        gt=0,
        description="How often the mailer looks for due emails (new ones made in the same "
        "process go out at once).",
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_is_named(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            raise ValueError(
                "empty; give the data folder, or unset it for the default ($XDG_DATA_HOME/reelmint)"
            )
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url_is_usable(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None  # unset: SQLite in the data folder
        if isinstance(value, str):
            return usable_database_url(value)
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level_in_any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("plan_daily_quota", mode="before")
    @classmethod
    def _plan_quotas_are_whole_numbers(cls, value: object) -> object:
        """JSON integers only: `true` would be 1 unit a day and `"30"` a string read as one."""
        if isinstance(value, dict):
            for plan, units in value.items():
                if isinstance(units, bool) or not isinstance(units, int):
                    raise ValueError(
                        f"plan {str(plan)[:40]!r}: a daily quota is a whole number of units "
                        f'written as a JSON number (e.g. {{"free": 30}}), not '
                        f"{json.dumps(units, default=repr)[:40]}"
                    )
        return value

    @field_validator("plan_daily_quota")
    @classmethod
    def _plan_quotas_are_known_and_in_range(cls, value: dict[str, int]) -> dict[str, int]:
        from reelmint.domains.quota.service import MAX_DAILY_UNITS

        unknown = sorted(set(value) - set(DEFAULT_PLAN_DAILY_QUOTA))
        if unknown:
            raise ValueError(
                f"unknown plan {unknown[0][:40]!r}; the plans are "
                f"{', '.join(DEFAULT_PLAN_DAILY_QUOTA)} (one left out keeps its default)"
            )
        for plan, units in value.items():
            if not 0 <= units <= MAX_DAILY_UNITS:
                raise ValueError(
                    f"plan {plan!r}: a daily quota is 0 to {MAX_DAILY_UNITS:,} units, not {units:,}"
                )
        return {**DEFAULT_PLAN_DAILY_QUOTA, **value}

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_web_address(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        plain = value == value.strip() and not any(c.isspace() for c in value)
        if parts.scheme not in ("http", "https") or not parts.netloc or not plain:
            raise ValueError(
                "expected the http(s) address users reach the server at, such as "
                "https://video.example.com"
            )
        if parts.query or parts.fragment:
            raise ValueError("give the address without a query (?) or fragment (#)")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from_names_an_address(cls, value: str) -> str:
        from email.utils import parseaddr

        if "@" not in parseaddr(value)[1] or any(char in value for char in "\r\n"):
            raise ValueError("expected an address such as reelmint <no-reply@example.com>")
        return value

    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Largest reference image a request may carry."
    )

    # --- the economy: prices, plans and their daily quota, how admission pays ------------------
    price_units_per_10s: int = Field(
        default=1,
        gt=0,
        description="Generation units for 10 seconds of 480p preview video; other lengths "
        "scale with the seconds (rounded up, at least 1 unit).",
    )
    price_size_multipliers: dict[str, int] = Field(
        default_factory=lambda: {"480p": 1, "720p": 2},
        description="Price multiplier per size class: 480p (a size that fits an 854x480 "
        "frame, either way up) and 720p (any other, 720x720 too).",
    )
    price_backend_multipliers: dict[str, int] = Field(
        default_factory=lambda: {"preview": 1, "wan": 4, "ltx": 3},
        description="Price multiplier per backend (GPU models cost more than the preview); "
        "a backend not listed costs 1.",
    )
    plan_daily_quota: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_PLAN_DAILY_QUOTA),
        description="Free daily units per plan (free, plus, pro, enterprise), until an "
        "operator schedules a change (`reelmint admin quota schedule`); a plan left out keeps "
        "its default. Reset at each user's local midnight.",
    )
    quota_needs_confirmed_email: bool = Field(
        default=True,
        description="With email on (smtp_host set), an account's free daily quota starts "
        "once its address is confirmed, so sign-ups with made-up addresses get no GPU time. "
        "Granted and purchased credits are spent all the same. No effect without email, "
        "where nobody can confirm.",
    )
    spend_order: list[Literal["quota", "granted", "purchased"]] = Field(
        default_factory=lambda: ["quota", "granted", "purchased"],
        min_length=1,
        description="Which units admission spends first: today's free quota, granted credits "
        "(promotions, grants) and purchased credits. A source left out is never spent.",
    )
    hold_timeout_hours: float = Field(
        default=72.0,
        gt=0,
        le=8760,
        description="How long a job may wait before its reservation lapses; the job then "
        "fails with `queue_timeout` and its units go back. At most a year (8760).",
    )
    rights_hold_days: int = Field(
        default=14,
        ge=0,
        description="How long a rights holder's share of a licence fee, and a creator's tip, "
        "stays pending before it becomes available (and can be paid out); longer while the fan "
        "who paid it owes units for a refunded or disputed payment.",
    )
    holder_share_max_bps: int = Field(
        default=10_000,
        ge=0,
        le=10_000,
        description="The most a rights holder may set as its share of its characters' licence "
        "fees, in basis points (8000 = 80 %); the platform keeps the rest. Applies when a "
        "character is registered or changed; characters set higher before keep their share "
        "until changed.",
    )
    tip_creator_share_bps: int = Field(
        default=9000,
        ge=0,
        le=10_000,
        description="A tip's share that goes to the creator, in basis points (9000 = 90 %); "
        "the platform keeps the rest.",
    )
    claim_dispute_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description="How long a rights holder has to answer (uphold or release) a disputed "
        "claim on a video; an unanswered one then lapses and no longer has effect.",
    )
    partial_delivery: bool = Field(
        default=False,
        description="When a multi-shot video fails after its first shots were made, deliver "
        "those shots and charge only their share of the price (rounded up). Off: the video "
        "fails and is refunded in full.",
    )
    quota_min_notice_days: int = Field(
        default=14,
        ge=0,
        le=MAX_QUOTA_NOTICE_DAYS,
        description="Least notice for a change of a plan's daily quota; a change with less "
        "must be marked an emergency, with a reason.",
    )

    # --- payouts: creators and rights holders paid for their available units ------------------
    payout_cents_per_unit: int = Field(
        default=40,
        ge=0,
        le=100_000,
        description="What one available unit (a tip's or a licence fee's share) is paid out "
        "at, in the smallest unit of payout_currency; the default pack sells a unit for 40 "
        "cents. Copied into each payout when it is requested. 0: payouts are off.",
    )
    payout_currency: str = Field(
        default="usd",
        pattern=r"^[a-z]{3}$",
        description="The currency payouts are made in (ISO 4217, lower case).",
    )
    payout_minimum_units: int = Field(
        default=25,
        ge=1,
        le=1_000_000,
        description="The fewest units one payout may ask for (each one is a transfer the "
        "operator makes by hand).",
    )

    # --- operations: what GPU time costs, for the operator's economics view --------------------
    gpu_hour_cost_cents: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        description="What one hour of one GPU worker costs you, in the smallest unit of "
        "gpu_cost_currency (e.g. 250 for $2.50 an hour). 0: not set, so the economics view "
        "shows GPU time but no cost or margin.",
    )
    gpu_cost_currency: str = Field(
        default="usd",
        pattern=r"^[a-z]{3}$",
        description="The currency of gpu_hour_cost_cents (ISO 4217, lower case); the margin "
        "counts sales in this currency only.",
    )

    # --- payments: the credit-pack catalogue and the payment provider -------------------------
    payment_provider: Literal["sandbox", "stripe"] = Field(
        default="sandbox",
        description="Who takes payment for credit packs: `sandbox` (no money moves; a purchase "
        "completes at once and is marked test money everywhere) or `stripe` (Stripe Checkout, "
        "credited when the `checkout.session.completed` webhook arrives).",
    )
    credit_packs: list[CreditPack] = Field(
        default_factory=_default_credit_packs,
        min_length=1,
        description='The packs on sale, JSON: [{"id", "name", "units", "price_cents", '
        '"currency", "valid_days"}]. Default: pack_10, 10 units for 400 cents (usd), valid '
        "365 days.",
    )
    stripe_secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Stripe secret API key (sk_live_... or sk_test_...), for payment_provider="
        "stripe (never logged or shown).",
    )
    stripe_webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        description="The signing secret (whsec_...) of the Stripe webhook endpoint "
        "PUBLIC_URL/v1/payments/stripe/webhook; events it did not sign are refused.",
    )
    stripe_api_base: str | None = Field(
        default=None,
        description="Another base URL for Stripe's API (a proxy, or a test double); unset: "
        "https://api.stripe.com.",
    )

    # --- rights: character detection at admission (domains/rights/detection.py) ---------------
    rights_semantic_enabled: bool = Field(
        default=True,
        description="Also find characters a prompt describes without naming them, by "
        "comparing it with each character's description (MiniLM on the CPU, the `rights` "
        "extra). Off, or without the extra: names, aliases, @handles and misspellings only.",
    )
    rights_semantic_threshold: float = Field(
        default=0.65,
        ge=0,
        le=1,
        description="Least cosine similarity between a prompt (or a shot) and a character's "
        "description for a semantic match. Lower finds more descriptions and more "
        "look-alikes.",
    )
    rights_fuzzy_threshold: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Least similarity (1 - edits / length) for a misspelt name to count; "
        "edits are also capped at 1 for names of 5-9 letters and 2 from 10.",
    )
    rights_context_threshold: float = Field(
        default=0.42,
        ge=0,
        le=1,
        description="A name that is also an ordinary word (Bolt, Maple) and is not written "
        "with capitals counts only when the rest of the prompt is this similar to the "
        "character's description (e.g. 'bolt the robot dog', not 'a bolt of lightning').",
    )
    character_max_images: int = Field(
        default=8,
        ge=1,
        le=50,
        description="Most reference images a character may have (shown publicly in the "
        "catalogue, so fans and detectors know what it looks like).",
    )
    character_max_image_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        le=20 * 1024 * 1024,
        description="Largest character reference image, in bytes (JPEG, PNG or WebP).",
    )
    character_min_image_side: int = Field(
        default=64,
        ge=16,
        le=4096,
        description="Least width and height of a character reference image, in pixels (the "
        "most is 8192 a side and 40 megapixels, as for every image).",
    )

    # --- moderation: users' reports of videos (domains/videos/reports.py) -----------------------
    report_daily_limit: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Most videos one user may report in 24 hours; more is refused (429 "
        "report_limit_reached, saying when they can report again).",
    )

    # --- cameos: personal likeness (domains/cameos) ---------------------------------------------
    cameo_max_per_video: int = Field(
        default=2,
        ge=1,
        le=2,
        description="Most distinct cameos (@handle) one prompt may use, 1 or 2 (the engine "
        "draws at most two); more is refused (too_many_cameos).",
    )
    cameo_max_per_user: int = Field(
        default=3, ge=1, le=100, description="Most active cameos one user may have."
    )
    cameo_max_images: int = Field(
        default=5, ge=1, le=20, description="Most reference images a cameo may have."
    )
    cameo_max_image_bytes: int = Field(
        default=10 * 1024 * 1024,
        gt=0,
        le=20 * 1024 * 1024,
        description="Largest cameo reference image, in bytes (JPEG, PNG or WebP).",
    )
    cameo_min_image_side: int = Field(
        default=128,
        ge=16,
        le=4096,
        description="Least width and height of a cameo reference image, in pixels (the most is "
        "8192 a side and 40 megapixels, as for every image).",
    )
    cameo_consent_minutes: float = Field(
        default=30.0,
        gt=0,
        description="How long the verification phrase shown for a new cameo stays valid.",
    )

    @field_validator("credit_packs")
    @classmethod
    def _credit_pack_ids_are_unique(cls, value: list[CreditPack]) -> list[CreditPack]:
        ids = [pack.id for pack in value]
        if len(set(ids)) != len(ids):
            raise ValueError("every credit pack needs its own id")
        return value

    @property
    def sends_email(self) -> bool:
        """Whether email is on (an SMTP server is set)."""
        return bool(self.smtp_host.strip())

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys" / "c2pa"

    @property
    def videos_dir(self) -> Path:
        return self.data_dir / "videos"

    @property
    def storage_dir(self) -> Path:
        return self.data_dir / "storage"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'reelmint.db'}"

    def backend_for_model(self, model: str) -> str:
        """The backend an API `model` name runs on: an alias, or a backend's own name."""
        target = self.model_aliases.get(model, model)
        if target == "default":
            return self.default_backend
        if target == "best":
            return self.best_backend or self.default_backend
        return target

    @cached_property
    def model_speed(self) -> ModelSpeed:
        return ModelSpeed(
            compile=self.model_compile,
            batch_cfg=self.model_batch_cfg,
            cache_prompt_embeddings=self.model_cache_prompt_embeddings,
            vae_tiling=self.model_vae_tiling,
            cpu_offload=self.model_cpu_offload,
            first_block_cache=self.model_first_block_cache,
            attention=self.model_attention,
        )

    @cached_property
    def encode(self) -> EncodeSettings:
        return EncodeSettings(preset=self.encode_preset, crf=self.encode_crf)

    def model_path_for(self, backend: str) -> Path | None:
        return {"wan": self.wan_path, "ltx": self.ltx_path}.get(backend)


def load_settings() -> Settings:
    """Settings from the environment; a bad value is one clear error naming its variable."""
    from pydantic import ValidationError
    from pydantic_settings import SettingsError

    from reelmint.errors import BadRequest

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "REELMINT_" + str(first["loc"][0]).upper()
        raise BadRequest(f"configuration {name}: {first['msg']}", code="invalid_config") from exc
    except SettingsError as exc:  # a list or mapping setting that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = "REELMINT_" + field.group(1).upper() if field else "a REELMINT_ variable"
        raise BadRequest(
            f"configuration {name}: not valid JSON; write it as JSON, e.g. "
            f"{name}='[...]' for a list or '{{...}}' for a mapping",
            code="invalid_config",
        ) from exc
