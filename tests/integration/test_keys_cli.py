"""`omc keys` and the bootstrap admin key, through the real `omc` console script.

Keys are managed straight in the database (no server needed); `omc serve` on an empty
key table writes OMC_HOME/admin.key, and keys made by the CLI work against the server.
"""

from __future__ import annotations

import json
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from omc.v1 import ledger_pb2, ledger_pb2_grpc
from tests.integration.test_cli import (
    RPC_TIMEOUT,
    STOP_TIMEOUT,
    omc_environment,
    run_omc,
    serving,
)
from tests.support.postgres import drop_database, recreate_database, worker_id

pytestmark = pytest.mark.postgres

REVOCATION_BOUND = 5.0  # the promise; polled, never asserted as a duration


@pytest.fixture
def home() -> Iterator[Path]:
    # Short: the embedded server's Unix socket lives under OMC_HOME (about 100 bytes max).
    directory = Path(tempfile.mkdtemp(prefix="omc-keys-"))
    yield directory / "home"
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def database_url(postgres_server_url: str) -> Iterator[str]:
    name = f"omc_keys_{worker_id()}"
    yield recreate_database(postgres_server_url, name)
    drop_database(postgres_server_url, name)


@pytest.fixture
def env(home: Path, database_url: str) -> dict[str, str]:
    # With an external database this includes OMC_API_KEY_PEPPER: replicas share one.
    return omc_environment(home, database_url)


def created(stdout: str) -> dict[str, str]:
    """`omc keys create` output: field -> value."""
    return dict(line.split(maxsplit=1) for line in stdout.strip().splitlines())


def listed(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.strip().splitlines()[1:]]


def latest_prices(address: str, key: str | None) -> grpc.StatusCode:
    metadata = (("authorization", f"Bearer {key}"),) if key else None
    with grpc.insecure_channel(address) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        try:
            stub.GetLatestPrices(
                ledger_pb2.GetLatestPricesRequest(symbols=["BTC"], quote="AUD"),
                metadata=metadata,
                timeout=RPC_TIMEOUT,
            )
        except grpc.RpcError as error:
            return error.code()  # type: ignore[no-any-return]  # grpc is untyped
    return grpc.StatusCode.OK


def test_create_list_and_revoke_without_a_server(env: dict[str, str], home: Path) -> None:
    made = run_omc(env, "keys", "create", "--user", "alice", "--scopes", "ledger:read,agent")
    other = run_omc(env, "keys", "create", "--user", "bob", "--scopes", "trading:read")

    assert made.returncode == 0, made.stderr
    assert other.returncode == 0, other.stderr
    key = created(made.stdout)
    assert key["key"].startswith("omc_")
    assert key["user"] == "alice"
    assert key["scopes"] == "agent,ledger:read"
    assert "only time" in made.stderr

    everyone = run_omc(env, "keys", "list")
    alices = run_omc(env, "keys", "list", "--user", "alice")
    assert everyone.returncode == 0, everyone.stderr
    assert [row[:2] for row in listed(everyone.stdout)] == [
        [key["key_id"], "alice"],
        [created(other.stdout)["key_id"], "bob"],
    ]
    assert [row[0] for row in listed(alices.stdout)] == [key["key_id"]]
    # The secret is printed once, at creation, and never again.
    assert key["key"] not in everyone.stdout + everyone.stderr

    revoked = run_omc(env, "keys", "revoke", key["key_id"])
    again = run_omc(env, "keys", "revoke", key["key_id"])
    assert revoked.returncode == 0, revoked.stderr
    assert again.stdout == revoked.stdout  # idempotent: the first revocation time stays
    [row] = listed(run_omc(env, "keys", "list", "--user", "alice").stdout)
    assert row[-1] != "-"
    # The CLI never needs OMC_HOME with an external database.
    assert not home.exists()


def test_bad_requests_are_usage_errors_naming_the_problem(env: dict[str, str]) -> None:
    unknown_scope = run_omc(env, "keys", "create", "--user", "alice", "--scopes", "root")
    bad_user = run_omc(env, "keys", "create", "--user", " ", "--scopes", "admin")
    unknown_key = run_omc(env, "keys", "revoke", "no-such-key")

    assert unknown_scope.returncode == 2
    assert "unknown scope 'root'" in unknown_scope.stderr
    assert bad_user.returncode == 2
    assert "user_id" in bad_user.stderr
    assert unknown_key.returncode == 1
    assert "no API key with id 'no-such-key'" in unknown_key.stderr
    assert run_omc(env, "keys", "list").stdout.strip().count("\n") == 0


def test_an_external_database_without_a_pepper_is_refused(home: Path, database_url: str) -> None:
    env = omc_environment(home, database_url)
    del env["OMC_API_KEY_PEPPER"]

    keys = run_omc(env, "keys", "create", "--user", "alice", "--scopes", "admin")
    serve = run_omc(env, "serve")

    for result in (keys, serve):
        assert result.returncode == 1
        assert "OMC_API_KEY_PEPPER" in result.stderr
        assert "OMC_SECRETS_API_KEY_PEPPER" in result.stderr
    assert not home.exists()


def test_first_serve_writes_the_admin_key_file_and_later_serves_do_not(
    env: dict[str, str], home: Path
) -> None:
    key_file = home / "admin.key"

    with serving(env) as (served, address):
        [line] = [json.loads(seen) for seen in served.seen if "admin_key_created" in seen]
        admin_key = key_file.read_text().strip()
        assert line["path"] == str(key_file)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(home.stat().st_mode) == 0o700
        assert latest_prices(address, admin_key) is grpc.StatusCode.OK
        assert latest_prices(address, None) is grpc.StatusCode.UNAUTHENTICATED
        assert served.terminate() == 0
        served.wait_for("stopped", STOP_TIMEOUT)
    assert admin_key not in "".join(served.seen)

    key_file.unlink()
    with serving(env) as (served, _address):
        assert served.terminate() == 0
        served.wait_for("stopped", STOP_TIMEOUT)
    assert not any("admin_key_created" in line for line in served.seen)
    assert not key_file.exists()


def test_a_cli_key_works_on_a_running_server_until_revoked(env: dict[str, str]) -> None:
    with serving(env) as (served, address):
        reader = created(
            run_omc(env, "keys", "create", "--user", "carol", "--scopes", "ledger:read").stdout
        )
        assert latest_prices(address, reader["key"]) is grpc.StatusCode.OK

        assert run_omc(env, "keys", "revoke", reader["key_id"]).returncode == 0
        deadline = time.monotonic() + REVOCATION_BOUND + 5.0
        while latest_prices(address, reader["key"]) is grpc.StatusCode.OK:
            assert time.monotonic() < deadline, "a revoked key kept working"
            time.sleep(0.2)
        assert latest_prices(address, reader["key"]) is grpc.StatusCode.UNAUTHENTICATED
        assert served.terminate() == 0


def test_with_an_embedded_postgres_the_pepper_is_generated_once(home: Path) -> None:
    env = omc_environment(home, None)

    first = run_omc(env, "keys", "create", "--user", "dave", "--scopes", "ledger:read")
    pepper = (home / "pepper").read_text()
    second = run_omc(env, "keys", "list")

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert [row[1] for row in listed(second.stdout)] == ["dave"]
    assert (home / "pepper").read_text() == pepper
    assert stat.S_IMODE((home / "pepper").stat().st_mode) == 0o600
