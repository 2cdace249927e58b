"""Settings from the environment (FASTLINE_*), with defaults that work on one dev machine."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"FASTLINE_{name}", default)


def _rpc_sockets() -> tuple[str, ...]:
    run_dir = Path(_env("KAMAILIO_RUN_DIR", str(ROOT / "var" / "kamailio")))
    raw = _env("KAMAILIO_RPC_SOCKETS", str(run_dir / "kamailio_rpc.sock"))
    return tuple(part.strip() for part in raw.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    # The app connects as a role that owns no tables and cannot bypass row-level security.
    database_url: str = field(
        default_factory=lambda: _env(
            "DATABASE_URL", "postgresql+asyncpg://fastline_app:fastline_app@127.0.0.1:5432/fastline"
        )
    )
    # Migrations run as the owner of the tables.
    database_owner_url: str = field(
        default_factory=lambda: _env(
            "DATABASE_OWNER_URL",
            "postgresql+asyncpg://fastline_owner:fastline_owner@127.0.0.1:5432/fastline",
        )
    )
    # Only `fastline db bootstrap` uses this: it creates the roles and the database.
    database_superuser_url: str = field(
        default_factory=lambda: _env(
            "DATABASE_SUPERUSER_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
    )
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", "redis://127.0.0.1:6379/0"))
    # Separate Dramatiq queues per deployment (and per test run).
    queue_namespace: str = field(default_factory=lambda: _env("QUEUE_NAMESPACE", "fastline"))
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", "dev-only-change-me"))
    session_ttl_seconds: int = field(
        default_factory=lambda: int(_env("SESSION_TTL_SECONDS", str(12 * 3600)))
    )
    # TEN-3 lockout: this many failures in a row lock the account for lockout_minutes.
    lockout_threshold: int = field(default_factory=lambda: int(_env("LOCKOUT_THRESHOLD", "5")))
    lockout_minutes: int = field(default_factory=lambda: int(_env("LOCKOUT_MINUTES", "15")))
    storage_dir: Path = field(
        default_factory=lambda: Path(_env("STORAGE_DIR", str(ROOT / "var" / "storage")))
    )
    # Object storage (app/lib/storage.py): empty = the folder above; s3://bucket[/prefix] = S3.
    storage_url: str = field(default_factory=lambda: _env("STORAGE_URL", ""))
    s3_endpoint_url: str = field(default_factory=lambda: _env("S3_ENDPOINT_URL", ""))
    s3_region: str = field(default_factory=lambda: _env("S3_REGION", "us-east-1"))
    s3_kms_key_id: str = field(default_factory=lambda: _env("S3_KMS_KEY_ID", ""))
    cookie_secure: bool = field(default_factory=lambda: _env("COOKIE_SECURE", "0") == "1")
    log_json: bool = field(default_factory=lambda: _env("LOG_JSON", "1") == "1")
    # A tenant's seats register as <ext>@<slug>.<sip_domain_suffix>.
    sip_domain_suffix: str = field(
        default_factory=lambda: _env("SIP_DOMAIN_SUFFIX", "sip.fastline.local")
    )
    # EDGE-3: Kamailio JSON-RPC datagram sockets told to reload trunk addresses after a trunk
    # change (comma-separated); default: the socket of `make run`'s edge (scripts/kamailio.sh).
    kamailio_rpc_sockets: tuple[str, ...] = field(default_factory=lambda: _rpc_sockets())
    host: str = field(default_factory=lambda: _env("HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: int(_env("PORT", "8000")))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
