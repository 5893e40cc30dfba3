"""Settings of the installation, read from the environment (and an optional `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting of the service; the README's configuration table lists them all."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = ""
    # Connections per app process (PostgreSQL); processes × (size + overflow) must stay below
    # the server's max_connections. Requests beyond them wait (up to 30 s) for a connection.
    database_pool_size: int = 10
    database_max_overflow: int = 20
    # Requests holding a database session at once per process (the others queue without holding
    # a thread or a connection); 0 = 6 (app.web.deps.DEFAULT_REQUEST_SLOTS). Never more than the
    # pool's size + overflow less 5, kept for uploads and jobs.
    database_request_slots: int = Field(default=0, ge=0)
    # Move everything a process holds once it has started (modules, routes, templates' loader,
    # clients) out of the garbage collector's full passes (gc.freeze()): a full pass over that
    # start-up heap took ~150 ms, stalling every request of the process each time it ran.
    gc_freeze: bool = True
    redis_url: str = ""
    var_dir: Path = PROJECT_ROOT / "var"
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = Field(default="dev-only-change-me", min_length=16)
    session_idle_minutes: int = 60
    session_absolute_hours: int = 12
    cookie_secure: bool = False
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 20
    login_window_minutes: int = 15
    password_reset_minutes: int = 60
    demo_password: str = "monev-demo-2025"  # noqa: S105 (demo only; refused in production)
    huey_immediate: bool = False
    log_level: str = "INFO"
    mail_from: str = "Monev KIP <no-reply@monevkip.local>"
    # Outgoing mail: without SMTP_HOST, development and tests write e-mail to the log; production
    # keeps it in the outbox (status "gagal", retried) until an SMTP server is configured.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_max_attempts: int = Field(default=5, ge=1)
    mail_retry_backoff_seconds: int = Field(default=60, ge=1)
    invitation_reminder_days: int = Field(default=3, ge=1)
    # Public self-registration of bodies: at most this many submissions per IP address per window.
    registration_max_per_ip: int = Field(default=5, ge=1)
    registration_window_minutes: int = Field(default=60, ge=1)
    max_import_bytes: int = 5 * 1024 * 1024
    max_import_rows: int = 20_000
    # Evidence files (data dukung) and links; see app/evidence/.
    evidence_storage: Literal["local", "s3"] = "local"
    evidence_dir: Path | None = None  # local backend; default var_dir / "evidence"
    evidence_s3_bucket: str = ""
    evidence_s3_prefix: str = "evidence/"
    evidence_s3_endpoint_url: str = ""  # empty: AWS; set for MinIO, Ceph, moto …
    evidence_s3_region: str = "us-east-1"
    evidence_s3_access_key_id: str = ""  # empty: boto3's own credential chain
    evidence_s3_secret_access_key: str = ""
    evidence_max_bytes: int = 10 * 1024 * 1024
    evidence_max_parts: int = 4
    evidence_default_types: str = "pdf"  # comma list of: pdf, jpg, png (any: benchmarks only)
    evidence_pdf_check_seconds: int = 10
    evidence_pdf_check_memory_mb: int = 512
    evidence_link_timeout_seconds: float = 10.0
    evidence_link_max_redirects: int = 5
    evidence_links_allow_private: bool = False  # tests only; refused in production
    # Evidence pre-check (app/precheck): larger files are marked "tidak dapat diperiksa".
    precheck_max_file_bytes: int = 50 * 1024 * 1024
    precheck_text_chars: int = 200_000
    evidence_retention_years: int = Field(default=0, ge=0)  # 0: keep evidence for ever
    # Certificates (piagam): a commission signs its PDFs when `<dir>/<slug>.p12` exists
    # (passphrase in `<dir>/<slug>.pass`); see app/certificates/signing.py.
    piagam_signing_dir: Path | None = None

    @model_validator(mode="after")
    def _refuse_unsafe_evidence_settings(self) -> Settings:
        if self.is_production and self.evidence_links_allow_private:
            raise ValueError("EVIDENCE_LINKS_ALLOW_PRIVATE must stay off in production")
        if self.is_production and "any" in self.evidence_type_keys:
            raise ValueError("EVIDENCE_DEFAULT_TYPES=any is for benchmarks, not production")
        return self

    @property
    def evidence_type_keys(self) -> tuple[str, ...]:
        """The file kinds the plain body upload accepts (items pass their own allowlist)."""
        return tuple(k.strip() for k in self.evidence_default_types.split(",") if k.strip())

    @property
    def evidence_root(self) -> Path:
        return self.evidence_dir or self.var_dir / "evidence"

    @property
    def effective_database_url(self) -> str:
        """The configured database, or the embedded SQLite file under `var/`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.var_dir / 'monev.db'}"

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
