"""Settings of the installation, read from the environment (and an optional `.env`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting of the service; the README's configuration table lists them all."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = ""
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
    max_import_bytes: int = 5 * 1024 * 1024
    max_import_rows: int = 20_000

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
