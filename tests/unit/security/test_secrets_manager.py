from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from omc.adapters.aws.secrets_manager import (
    SecretsManagerSecrets,
    SecretUnavailable,
    secret_ids_from_environment,
)
from omc.adapters.secrets.environment import EnvironmentSecrets, LayeredSecrets


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="ap-southeast-2")


async def test_plain_and_json_secrets_with_a_ttl_cache(client) -> None:  # type: ignore[no-untyped-def]
    client.create_secret(Name="omc/pepper", SecretString="p1")
    client.create_secret(Name="omc/db", SecretString=json.dumps({"password": "hunter2"}))
    ticker = Ticker()
    ids = secret_ids_from_environment(
        {
            "OMC_SECRETS_API_KEY_PEPPER": "omc/pepper",
            "OMC_SECRETS_DATABASE_PASSWORD": "omc/db#password",
            "OMC_GRPC_ADDRESS": "ignored",
        }
    )
    secrets = SecretsManagerSecrets(client, ids, ttl_seconds=60, monotonic=ticker)
    assert await secrets.get("api_key_pepper") == "p1"
    assert await secrets.get("database_password") == "hunter2"
    assert await secrets.get("openai_api_key") is None

    client.put_secret_value(SecretId="omc/pepper", SecretString="p2")
    assert await secrets.get("api_key_pepper") == "p1"  # still cached
    ticker.now = 61
    assert await secrets.get("api_key_pepper") == "p2"


async def test_missing_secret_or_field_is_a_clear_error_without_values(client) -> None:  # type: ignore[no-untyped-def]
    client.create_secret(Name="omc/db", SecretString=json.dumps({"user": "omc"}))
    secrets = SecretsManagerSecrets(
        client, {"database_password": "omc/db#password", "api_key_pepper": "omc/absent"}
    )
    with pytest.raises(SecretUnavailable, match="database_password") as raised:
        await secrets.get("database_password")
    assert "omc/db" not in str(raised.value)  # which secret, not where it lives
    with pytest.raises(SecretUnavailable, match="api_key_pepper"):
        await secrets.get("api_key_pepper")


async def test_layered_environment_first(client) -> None:  # type: ignore[no-untyped-def]
    client.create_secret(Name="omc/pepper", SecretString="from-aws")
    aws = SecretsManagerSecrets(client, {"api_key_pepper": "omc/pepper"})
    env = EnvironmentSecrets({"OMC_OPENAI_API_KEY": "sk-env"})
    layered = LayeredSecrets(env, aws)
    assert await layered.get("openai_api_key") == "sk-env"
    assert await layered.get("api_key_pepper") == "from-aws"
