from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from omc.bootstrap.settings import MIB, LogFormat, Settings, StorageKind


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("OMC_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))


def test_defaults_run_one_local_process_over_embedded_postgres(tmp_path: Path) -> None:
    settings = Settings()

    assert settings.storage is StorageKind.POSTGRES
    assert settings.database_url is None
    assert settings.embedded_postgres
    assert settings.home == tmp_path / ".local/share/omc"
    assert settings.pgdata == tmp_path / ".local/share/omc/pgdata"
    assert settings.grpc_address == "127.0.0.1:50051"
    assert settings.log_format is LogFormat.AUTO
    assert settings.log_level == "info"
    assert settings.max_batch == 10_000
    assert settings.max_page_size == 1_000
    assert settings.max_message_bytes == 4 * MIB
    assert settings.shutdown_grace_seconds == 10
    assert settings.db_pool_size == 10


def test_every_setting_comes_from_its_omc_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    values = {
        "OMC_STORAGE": "memory",
        "OMC_DATABASE_URL": "postgresql://omc:pw@db.internal:5432/omc",
        "OMC_HOME": "~/omc-data",
        "OMC_GRPC_ADDRESS": "0.0.0.0:6000",
        "OMC_LOG_FORMAT": "json",
        "OMC_LOG_LEVEL": "DEBUG",
        "OMC_MAX_BATCH": "500",
        "OMC_MAX_PAGE_SIZE": "50",
        "OMC_MAX_MESSAGE_BYTES": "1048576",
        "OMC_SHUTDOWN_GRACE_SECONDS": "2.5",
        "OMC_DB_POOL_SIZE": "3",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)

    settings = Settings()

    assert settings.storage is StorageKind.MEMORY
    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == values["OMC_DATABASE_URL"]
    assert settings.home == tmp_path / "omc-data"
    assert settings.grpc_address == "0.0.0.0:6000"
    assert settings.log_format is LogFormat.JSON
    assert settings.log_level == "debug"
    assert settings.max_batch == 500
    assert settings.max_page_size == 50
    assert settings.max_message_bytes == MIB
    assert settings.shutdown_grace_seconds == 2.5
    assert settings.db_pool_size == 3
    assert not settings.embedded_postgres


def test_a_configured_url_means_no_embedded_postgres(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMC_DATABASE_URL", "postgresql://omc@localhost/omc")

    assert not Settings().embedded_postgres


def test_an_empty_database_url_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMC_DATABASE_URL", "  ")

    settings = Settings()

    assert settings.database_url is None
    assert settings.embedded_postgres


def test_the_database_password_stays_out_of_reprs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMC_DATABASE_URL", "postgresql://omc:hunter2@db/omc")

    settings = Settings()

    assert "hunter2" not in repr(settings)
    assert "hunter2" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OMC_STORAGE", "sqlite"),
        ("OMC_DATABASE_URL", "mysql://omc@db/omc"),
        ("OMC_GRPC_ADDRESS", "localhost"),
        ("OMC_GRPC_ADDRESS", "localhost:99999"),
        ("OMC_LOG_FORMAT", "xml"),
        ("OMC_LOG_LEVEL", "loud"),
        ("OMC_MAX_BATCH", "0"),
        ("OMC_MAX_PAGE_SIZE", "-1"),
        ("OMC_MAX_MESSAGE_BYTES", "lots"),
        ("OMC_SHUTDOWN_GRACE_SECONDS", "0"),
        ("OMC_DB_POOL_SIZE", "0"),
    ],
)
def test_invalid_values_are_rejected_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError) as raised:
        Settings()

    field = name.removeprefix("OMC_").lower()
    assert any(error["loc"] == (field,) for error in raised.value.errors())


def test_unknown_omc_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    # OMC_TEST_DATABASE_URL belongs to the test suite, not the service.
    monkeypatch.setenv("OMC_TEST_DATABASE_URL", "postgresql://elsewhere/db")

    assert Settings().database_url is None
