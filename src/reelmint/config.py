"""Settings: one place for every knob, each read from a `REELMINT_*` environment variable.

The engine never reads these itself: the CLI (and, later, the platform's composition root)
turns them into the plain arguments the engine takes, so the same engine runs anywhere.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
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
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The base URL users reach the server at (links in emails and webhooks).",
    )
    secure_cookies: bool = Field(
        default=False, description="Mark session cookies Secure (set when served over HTTPS)."
    )
    signup_open: bool = Field(default=True, description="Whether anyone may create an account.")
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
        description="How long a worker holds a job without a heartbeat before it goes back "
        "to the queue.",
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
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, gt=0, description="Largest reference image a request may carry."
    )

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

    from reelmint.errors import BadRequest

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "REELMINT_" + str(first["loc"][0]).upper()
        raise BadRequest(f"configuration {name}: {first['msg']}", code="invalid_config") from exc
