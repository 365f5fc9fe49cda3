"""Start-up security: secrets selection, the pepper, the database password, the bootstrap
admin key, TLS from settings, and the client helpers of the `omc` commands."""

from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
import structlog
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from omc.adapters.grpc.server import GrpcServer
from omc.adapters.memory.clock import FixedClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.adapters.secrets.environment import StaticSecrets
from omc.application.keys import PEPPER_SECRET, ApiKeys, Authenticator, KeyHasher
from omc.bootstrap.security import (
    SecurityConfigurationError,
    admin_key_path,
    bootstrap_admin_key,
    build_secrets,
    external_database_url,
    local_pepper_allowed,
    prepare_serving,
    read_or_create_secret_file,
    secrets_manager_client,
    server_credentials_for,
    server_tls,
    url_has_password,
    url_with_password,
)
from omc.bootstrap.settings import Settings
from omc.commands.client import (
    ClientConfigurationError,
    call_metadata,
    channel_credentials,
    open_channel,
    target,
)
from tests.e2e.test_tls import authority

NOW = datetime(2026, 3, 1, tzinfo=UTC)
EXTERNAL = "postgresql://omc@db.internal:5432/omc"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith(("OMC_", "AWS_")):
            monkeypatch.delenv(name)


def settings(home: Path, **values: Any) -> Settings:
    return Settings.model_validate({"home": home, **values})


def names(directory: Path) -> list[str]:
    return sorted(entry.name for entry in directory.iterdir())


class FakeSecretsManager:
    """The one boto3 call SecretsManagerSecrets makes, answered from a dict."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: list[str] = []

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        self.asked.append(SecretId)
        return {"SecretString": self.values[SecretId]}


# --- Secrets selection ------------------------------------------------------------------


async def test_environment_secrets_win_over_secrets_manager(tmp_path: Path) -> None:
    manager = FakeSecretsManager({"prod/pepper": "from-aws", "prod/openai": "sk-aws"})
    environ = {
        "OMC_API_KEY_PEPPER": "from-env",
        "OMC_SECRETS_API_KEY_PEPPER": "prod/pepper",
        "OMC_SECRETS_OPENAI_API_KEY": "prod/openai",
    }
    made_with: list[object] = []

    def factory(env: object) -> FakeSecretsManager:
        made_with.append(env)
        return manager

    secrets = build_secrets(
        settings(tmp_path, database_url=EXTERNAL), environ, client_factory=factory
    )

    assert await secrets.get(PEPPER_SECRET) == "from-env"
    assert await secrets.get("openai_api_key") == "sk-aws"
    assert await secrets.get("cryptopanic_api_key") is None
    assert manager.asked == ["prod/openai"]
    assert made_with == [environ]


async def test_without_secret_ids_no_aws_client_is_built(tmp_path: Path) -> None:
    def factory(env: object) -> None:
        raise AssertionError("no OMC_SECRETS_* is set: AWS must not be touched")

    secrets = build_secrets(
        settings(tmp_path, database_url=EXTERNAL),
        {"OMC_CRYPTOPANIC_API_KEY": "cp"},
        client_factory=factory,
    )

    assert await secrets.get("cryptopanic_api_key") == "cp"


def test_the_aws_client_uses_the_region_of_the_aws_environment() -> None:
    assert secrets_manager_client({"AWS_REGION": "ap-southeast-2"}).meta.region_name == (
        "ap-southeast-2"
    )
    assert secrets_manager_client({"AWS_DEFAULT_REGION": "eu-west-1"}).meta.region_name == (
        "eu-west-1"
    )


# --- Pepper ---------------------------------------------------------------------------


def test_a_local_pepper_only_where_one_process_owns_the_data(tmp_path: Path) -> None:
    assert local_pepper_allowed(settings(tmp_path))  # embedded Postgres
    assert local_pepper_allowed(settings(tmp_path, storage="memory"))
    assert not local_pepper_allowed(settings(tmp_path, database_url=EXTERNAL))


async def test_the_local_pepper_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = await build_secrets(settings(home), {}).get(PEPPER_SECRET)
    again = await build_secrets(settings(home), {}).get(PEPPER_SECRET)

    assert first
    assert len(first) >= 48
    assert again == first
    assert stat.S_IMODE((home / "pepper").stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert names(home) == ["pepper"]  # no temporary files left


async def test_a_configured_pepper_wins_and_nothing_is_written(tmp_path: Path) -> None:
    secrets = build_secrets(settings(tmp_path / "home"), {"OMC_API_KEY_PEPPER": "shared"})

    assert await secrets.get(PEPPER_SECRET) == "shared"
    assert not (tmp_path / "home").exists()


def test_concurrent_first_uses_agree_on_one_pepper(tmp_path: Path) -> None:
    path = tmp_path / "home" / "pepper"
    counter = iter(range(1000))
    results: list[str] = []
    start = threading.Barrier(8)

    def use() -> None:
        start.wait()
        results.append(read_or_create_secret_file(path, lambda: f"value-{next(counter)}"))

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(results)) == 1
    assert path.read_text().strip() == results[0]


async def test_an_external_database_without_a_pepper_refuses_to_start(tmp_path: Path) -> None:
    external = settings(tmp_path, database_url=EXTERNAL)
    repository = MemoryApiKeyRepository()
    secrets = build_secrets(external, {})
    keys = ApiKeys(repository, KeyHasher(secrets), FixedClock(NOW))

    with pytest.raises(SecurityConfigurationError) as refused:
        await prepare_serving(external, secrets, keys, repository)

    assert "OMC_API_KEY_PEPPER" in str(refused.value)
    assert "OMC_SECRETS_API_KEY_PEPPER" in str(refused.value)
    assert await repository.count() == 0
    assert names(tmp_path) == []


# --- Database password ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://omc@db:5432/omc", False),
        ("postgresql://db/omc", False),
        ("postgresql://omc:pw@db/omc", True),
        ("postgresql://omc@db/omc?password=pw", True),
        ("postgresql://omc:@db/omc", True),
    ],
)
def test_url_has_password(url: str, expected: bool) -> None:
    assert url_has_password(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://omc@db.internal:5432/omc?sslmode=require",
            "postgresql://omc:p%40ss%2Fw%3Ard%23%3F@db.internal:5432/omc?sslmode=require",
        ),
        (
            "postgresql://omc@h1:5432,h2:5432/omc",
            "postgresql://omc:p%40ss%2Fw%3Ard%23%3F@h1:5432,h2:5432/omc",
        ),
        ("postgresql:///omc?host=/run/pg", "postgresql://:p%40ss%2Fw%3Ard%23%3F@/omc?host=/run/pg"),
    ],
)
def test_url_with_password_encodes_it_and_keeps_the_rest(url: str, expected: str) -> None:
    assert url_with_password(url, "p@ss/w:rd#?") == expected


async def test_the_database_password_secret_fills_a_url_without_one(tmp_path: Path) -> None:
    secrets = StaticSecrets({"database_password": "s3cret!"})
    with_user_only = settings(tmp_path, database_url=EXTERNAL)
    with_password = settings(tmp_path, database_url="postgresql://omc:given@db/omc")

    with structlog.testing.capture_logs() as logs:
        filled = await external_database_url(with_user_only, secrets)

    assert filled == "postgresql://omc:s3cret%21@db.internal:5432/omc"
    assert "s3cret" not in repr(logs)
    assert await external_database_url(with_password, secrets) == "postgresql://omc:given@db/omc"
    assert await external_database_url(with_user_only, StaticSecrets({})) == EXTERNAL


# --- Bootstrap admin key --------------------------------------------------------------


@pytest.fixture
def repository() -> MemoryApiKeyRepository:
    return MemoryApiKeyRepository()


@pytest.fixture
def hasher() -> KeyHasher:
    return KeyHasher(StaticSecrets({PEPPER_SECRET: "pepper-for-tests"}))


@pytest.fixture
def api_keys(repository: MemoryApiKeyRepository, hasher: KeyHasher) -> ApiKeys:
    return ApiKeys(repository, hasher, FixedClock(NOW))


async def test_an_empty_key_table_gets_an_admin_key_file_and_only_its_path_is_logged(
    tmp_path: Path, api_keys: ApiKeys, repository: MemoryApiKeyRepository, hasher: KeyHasher
) -> None:
    path = tmp_path / "deep" / "home" / "admin.key"

    with structlog.testing.capture_logs() as logs:
        written = await bootstrap_admin_key(api_keys, repository, path)

    assert written == path
    key = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    principal = await Authenticator(repository, hasher).authenticate(key)
    assert principal.is_admin
    assert [entry["path"] for entry in logs if entry["event"] == "admin_key_created"] == [str(path)]
    assert key not in repr(logs)
    assert names(path.parent) == ["admin.key"]


async def test_with_keys_present_nothing_is_created_or_written(
    tmp_path: Path, api_keys: ApiKeys, repository: MemoryApiKeyRepository
) -> None:
    await api_keys.create("alice", ["ledger:read"])
    home = tmp_path / "home"

    assert await bootstrap_admin_key(api_keys, repository, home / "admin.key") is None
    assert not home.exists()
    assert await repository.count() == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
async def test_an_unwritable_home_creates_no_key_nobody_could_read(
    tmp_path: Path, api_keys: ApiKeys, repository: MemoryApiKeyRepository
) -> None:
    home = tmp_path / "readonly"
    home.mkdir(mode=0o500)
    try:
        with structlog.testing.capture_logs() as logs:
            written = await bootstrap_admin_key(api_keys, repository, home / "admin.key")
    finally:
        home.chmod(0o700)

    assert written is None
    assert await repository.count() == 0
    assert [entry["event"] for entry in logs] == ["admin_key_not_created"]


async def test_a_home_that_is_a_file_creates_no_key(
    tmp_path: Path, api_keys: ApiKeys, repository: MemoryApiKeyRepository
) -> None:
    # Stands in for a read-only root filesystem even when the tests run as root.
    blocker = tmp_path / "home"
    blocker.write_text("not a directory")

    written = await bootstrap_admin_key(api_keys, repository, blocker / "admin.key")

    assert written is None
    assert await repository.count() == 0


async def test_serving_bootstraps_once_across_restarts(
    tmp_path: Path, api_keys: ApiKeys, repository: MemoryApiKeyRepository
) -> None:
    local = settings(tmp_path / "home", storage="memory")
    secrets = build_secrets(local, {})

    first = await prepare_serving(local, secrets, api_keys, repository)
    key = admin_key_path(local).read_text()
    second = await prepare_serving(local, secrets, api_keys, repository)

    assert first == admin_key_path(local)
    assert second is None
    assert admin_key_path(local).read_text() == key
    assert await repository.count() == 1


# --- TLS ------------------------------------------------------------------------------


def test_no_tls_settings_means_plaintext(tmp_path: Path) -> None:
    plain = settings(tmp_path)

    assert server_tls(plain) is None
    assert server_credentials_for(plain) is None
    assert channel_credentials(plain) is None


def test_unreadable_or_non_pem_tls_files_are_named(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("hello")
    missing = settings(tmp_path, tls_cert=tmp_path / "none.pem", tls_key=junk)
    not_pem = settings(tmp_path, tls_cert=junk, tls_key=junk)

    with pytest.raises(SecurityConfigurationError, match=r"OMC_TLS_CERT: cannot read"):
        server_tls(missing)
    with pytest.raises(SecurityConfigurationError, match=r"OMC_TLS_CERT: .* is not a PEM file"):
        server_tls(not_pem)


@pytest.fixture
def pki_files(tmp_path: Path) -> dict[str, Path]:
    ca = authority("omc test CA")
    server = ca.issue("localhost", server=True)
    client = ca.issue("omc client", server=False)
    files = {
        "ca": ca.cert,
        "server_cert": server.cert,
        "server_key": server.key,
        "client_cert": client.cert,
        "client_key": client.key,
    }
    paths = {}
    for name, content in files.items():
        paths[name] = tmp_path / f"{name}.pem"
        paths[name].write_bytes(content)
    return paths


async def _health(channel: aio.Channel) -> grpc.StatusCode:
    try:
        await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(), timeout=10.0
        )
    except aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


async def test_mutual_tls_from_settings_end_to_end(
    tmp_path: Path, pki_files: dict[str, Path]
) -> None:
    served = settings(
        tmp_path,
        tls_cert=pki_files["server_cert"],
        tls_key=pki_files["server_key"],
        tls_client_ca=pki_files["ca"],
    )
    server = GrpcServer([], credentials=server_credentials_for(served))
    port = await server.start("127.0.0.1:0")
    address = f"localhost:{port}"
    good_client = settings(
        tmp_path,
        tls_ca=pki_files["ca"],
        tls_client_cert=pki_files["client_cert"],
        tls_client_key=pki_files["client_key"],
    )
    no_certificate = settings(tmp_path, tls_ca=pki_files["ca"])
    try:
        async with open_channel(good_client, address) as channel:
            assert await _health(channel) is grpc.StatusCode.OK
        async with open_channel(no_certificate, address) as channel:
            assert await _health(channel) is grpc.StatusCode.UNAVAILABLE
        async with open_channel(settings(tmp_path), address) as channel:
            assert await _health(channel) is grpc.StatusCode.UNAVAILABLE
    finally:
        await server.stop(0)


# --- Client helpers -------------------------------------------------------------------


def test_clients_reach_a_server_bound_to_every_interface_on_loopback() -> None:
    assert target("0.0.0.0:50051") == "127.0.0.1:50051"
    assert target("[::]:50051") == "127.0.0.1:50051"
    assert target("omc.example.com:443") == "omc.example.com:443"


def test_the_api_key_comes_from_omc_api_key_first(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "admin.key").write_text("omc_from_the_file\n")

    assert call_metadata(settings(home, api_key="omc_from_env")) == (
        ("authorization", "Bearer omc_from_env"),
    )
    assert call_metadata(settings(home)) == (("authorization", "Bearer omc_from_the_file"),)


def test_without_any_key_the_error_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ClientConfigurationError) as missing:
        call_metadata(settings(tmp_path / "home"))

    assert "OMC_API_KEY" in str(missing.value)
    assert "omc keys create" in str(missing.value)
    assert str(tmp_path / "home" / "admin.key") in str(missing.value)
