"""One settings object, read from `OMC_*` environment variables."""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

# Per-source models live with the sources; pydantic and the domain only, no HTTP client.
from omc.adapters.sources.options import SourcesSettings

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
    # Per user and per replica (N replicas allow N times this): a token bucket.
    rate_limit_per_second: PositiveFloat = 50.0
    rate_limit_burst: PositiveInt = 100
    # Every unary RPC ends with DEADLINE_EXCEEDED after this long; streams are exempt.
    rpc_deadline_seconds: PositiveFloat = 30.0
    # "emf": CloudWatch Embedded Metric Format lines on stdout (what the alarms read).
    metrics: Literal["none", "emf"] = "none"
    # The Environment dimension of every metric (staging, production...).
    environment: str = Field(default="local", min_length=1, max_length=64)
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
    # One typed model per collector (omc.adapters.sources.options): lists, maps, URLs.
    sources: SourcesSettings = Field(default_factory=SourcesSettings)
    http_user_agent: str = "omc/0.1 (Oh My Coins market intelligence; contact ops@example.com)"
    # SEC EDGAR refuses requests without a User-Agent naming a contact.
    sec_user_agent: str = "OMC Oh My Coins ops@example.com"
    # At start, `omc serve` reads ahead the fill histories of the users who traded last
    # (as many as the replica keeps), so their first PnL call is not a whole read.
    books_read_ahead: bool = True
    # Data quality (README "Data quality"): report window, cadence, weights, thresholds,
    # SLA overrides as JSON {"exchange/prices": [target_s, stale_s], ...}, the monitor.
    quality_window_hours: int = Field(default=24, ge=1, le=720)
    quality_price_cadence_seconds: PositiveInt = 10
    quality_weight_completeness: float = Field(default=0.3, ge=0)
    quality_weight_timeliness: float = Field(default=0.4, ge=0)
    quality_weight_accuracy: float = Field(default=0.3, ge=0)
    quality_alert_medium: float = Field(default=0.7, ge=0, le=1)
    quality_alert_high: float = Field(default=0.5, ge=0, le=1)
    quality_slas: dict[str, tuple[float, float]] = Field(default_factory=dict)
    quality_max_spread: float = Field(default=0.05, gt=0)
    quality_mad_k: PositiveFloat = 10.0
    quality_monitor_enabled: bool = True
    quality_monitor_interval_seconds: PositiveFloat = 60.0
    # Hours of price-tick summaries the monitor brings up to date per cycle (ADR 0008).
    quality_keep_hours_per_cycle: NonNegativeInt = 24
    quality_watch_poll_seconds: PositiveFloat = 2.0
    # Alert events are published here when set (plus the log and the database always).
    alerts_sns_topic_arn: str | None = None
    # The research agent. With no `openai_api_key` secret the offline model answers;
    # OMC_AGENT_MODEL=offline forces it even with a key.
    agent_model: str = "gpt-4o-mini"
    openai_base_url: str | None = None
    agent_max_steps: PositiveInt = Field(default=40, ge=10)
    agent_max_tool_calls: PositiveInt = 6
    agent_wall_clock_seconds: PositiveFloat = 60.0
    agent_max_tokens: PositiveInt = 60_000

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
