"""One settings object, read from `OMC_*` environment variables."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

from pydantic import Field, PositiveFloat, PositiveInt, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path("~/.local/share/omc")
MIB = 1024 * 1024


class StorageKind(StrEnum):
    POSTGRES = "postgres"
    MEMORY = "memory"


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Every knob of the service. Defaults run a single local process with an embedded
    Postgres, so `omc serve` works with no configuration at all."""

    # Only the process environment: a stray .env file must never change a deployment.
    model_config = SettingsConfigDict(
        env_prefix="OMC_", case_sensitive=False, extra="ignore", frozen=True
    )

    storage: StorageKind = StorageKind.POSTGRES
    # SecretStr keeps the password out of reprs, tracebacks and log lines.
    database_url: SecretStr | None = None
    home: Path = DEFAULT_HOME
    grpc_address: str = "127.0.0.1:50051"
    log_format: LogFormat = LogFormat.AUTO
    log_level: str = "info"
    max_batch: PositiveInt = 10_000
    max_page_size: PositiveInt = 1_000
    max_message_bytes: PositiveInt = 4 * MIB
    shutdown_grace_seconds: PositiveFloat = 10.0
    db_pool_size: PositiveInt = Field(default=10, le=1_000)

    @field_validator("database_url", mode="before")
    @classmethod
    def _blank_url_is_unset(cls, value: object) -> object:
        # `OMC_DATABASE_URL=` (set but empty) is how shells and compose files unset things.
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("postgresql://", "postgres://", "postgresql+psycopg://")
        ):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("home")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError("must be one of debug, info, warning, error, critical")
        return level.lower()

    @field_validator("grpc_address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, sep, port = value.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65_535:
            raise ValueError("must be host:port, e.g. 127.0.0.1:50051 or [::]:50051")
        return value.strip()

    @property
    def pgdata(self) -> Path:
        """Where the embedded Postgres keeps its cluster when no database URL is given."""
        return self.home / "pgdata"

    @property
    def embedded_postgres(self) -> bool:
        return self.storage is StorageKind.POSTGRES and self.database_url is None
