"""A database and an OMC_HOME of each test's own, for the `omc serve` children it starts."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import drop_database, recreate_database, worker_id


@pytest.fixture
def database_url(postgres_server_url: str, request: pytest.FixtureRequest) -> Iterator[str]:
    # Named after the module as well as the worker: runs of different modules at once
    # against one OMC_TEST_DATABASE_URL server never drop each other's database.
    name = f"omc_res_{request.path.stem.removeprefix('test_')}_{worker_id()}"
    yield recreate_database(postgres_server_url, name)
    drop_database(postgres_server_url, name)


@pytest.fixture
def home() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="omc-res-home-"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)
