"""One settings object, read from `OMC_*` environment variables."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path("~/.local/share/omc")
MIB = 1024 * 1024
TLS_FILES = ("tls_cert", "tls_key", "tls_client_ca", "tls_ca", "tls_client_cert", "tls_client_key")


class StorageKind(StrEnum):
    POSTGRES = "postgres"
    MEMORY = "memory"


class LogFormat(StrEnum):
    AUTO = "auto"
    JSON = "json"
    CONSOLE = "console"


class SourceSettings(BaseModel):
    """Overrides for one collector (`OMC_SOURCES__<NAME>__<FIELD>`); whatever is unset
    keeps the collector's default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = None
    base_url: str | None = None
    cadence_seconds: PositiveFloat | None = None
    timeout_seconds: PositiveFloat | None = None
    # Requests per second; 0 turns the limit off.
    rate_per_second: NonNegativeFloat | None = None
    user_agent: str | None = None
    # Attempts per request (1 = no retry) for connect errors, timeouts, 5xx and 429.
    retry_attempts: PositiveInt | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.strip() if value is not None else None


class Settings(BaseSettings):
    """Every knob of the service. Defaults run a single local process with an embedded
    Postgres, so `omc serve` works with no configuration at all."""

    # Only the process environment: a stray .env file must never change a deployment.
    model_config = SettingsConfigDict(
        env_prefix="OMC_",
        case_sensitive=False,
        extra="ignore",
        frozen=True,
        # OMC_SOURCES__COINSPOT_PRICES__BASE_URL=... sets sources["coinspot_prices"].
        env_nested_delimiter="__",
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
    # Server TLS: certificate and key together; a client CA on top turns on mutual TLS.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    # `omc` client commands: the CA that signed the server's certificate (system roots
    # when unset), and their own certificate and key for a mutual-TLS server.
    tls_ca: Path | None = None
    tls_client_cert: Path | None = None
    tls_client_key: Path | None = None
    # The key `omc` client commands send; OMC_HOME/admin.key when unset.
    api_key: SecretStr | None = None
    # Collectors: scheduled inside `omc serve` when enabled; `omc collect` runs them anyway.
    collectors_enabled: bool = True
    sources: dict[str, SourceSettings] = Field(default_factory=dict)
    http_user_agent: str = "omc/0.1 (Oh My Coins market intelligence; contact ops@example.com)"
    # SEC EDGAR refuses requests without a User-Agent naming a contact.
    sec_user_agent: str = "OMC Oh My Coins ops@example.com"

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: dict[str, SourceSettings]) -> dict[str, SourceSettings]:
        # Imported here: only a configuration that names sources pays for the catalog.
        from omc.adapters.sources.catalog import COLLECTOR_NAMES

        unknown = sorted(set(value) - set(COLLECTOR_NAMES))
        if unknown:
            raise ValueError(
                f"unknown source(s) {', '.join(unknown)}; known: {', '.join(COLLECTOR_NAMES)}"
            )
        return value

    @field_validator("sec_user_agent")
    @classmethod
    def _contact(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("must name a contact e-mail address (SEC EDGAR requires one)")
        return value.strip()

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

    @field_validator(*TLS_FILES, "api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator(*TLS_FILES)
    @classmethod
    def _expand_tls_path(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @model_validator(mode="after")
    def _tls_files_in_pairs(self) -> Settings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("OMC_TLS_CERT and OMC_TLS_KEY must be set together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("OMC_TLS_CLIENT_CA (mutual TLS) needs OMC_TLS_CERT and OMC_TLS_KEY")
        if (self.tls_client_cert is None) != (self.tls_client_key is None):
            raise ValueError("OMC_TLS_CLIENT_CERT and OMC_TLS_CLIENT_KEY must be set together")
        return self

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
