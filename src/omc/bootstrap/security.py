"""Security wiring at start-up: which secrets provider, the API-key pepper, the database
password, the bootstrap admin key and the server's TLS credentials.

Nothing here runs at import time; the CLI and the containers call these functions.
"""

from __future__ import annotations

import contextlib
import os
import secrets as random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import grpc
import structlog

from omc.adapters.aws.secrets_manager import SecretsManagerSecrets, secret_ids_from_environment
from omc.adapters.grpc.tls import server_credentials
from omc.adapters.secrets.environment import EnvironmentSecrets, LayeredSecrets
from omc.application.keys import PEPPER_SECRET, ApiKeys
from omc.application.ports import ApiKeyRepository, SecretsProvider
from omc.bootstrap.settings import Settings, StorageKind

log = structlog.get_logger("omc.security")

DATABASE_PASSWORD_SECRET = "database_password"  # noqa: S105 (a name, not a value)
PEPPER_FILE = "pepper"
ADMIN_KEY_FILE = "admin.key"
_PRIVATE_FILE = 0o600
_PRIVATE_DIR = 0o700


class SecurityConfigurationError(Exception):
    """The service cannot start safely as configured; the message says what to set."""


# --- Secrets --------------------------------------------------------------------------


def secrets_manager_client(environ: Mapping[str, str]) -> Any:
    """A boto3 Secrets Manager client in the region the AWS environment names."""
    import boto3  # only deployments that name a secret id pay for importing boto3

    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
    return boto3.client("secretsmanager", region_name=region)


def build_secrets(
    settings: Settings,
    environ: Mapping[str, str] | None = None,
    *,
    client_factory: Any = secrets_manager_client,
) -> SecretsProvider:
    """OMC_<NAME> variables first, then AWS Secrets Manager for every OMC_SECRETS_<NAME>,
    then (only where one process owns the data) a pepper generated in OMC_HOME."""
    environ = os.environ if environ is None else environ
    providers: list[SecretsProvider] = [EnvironmentSecrets(environ)]
    secret_ids = secret_ids_from_environment(environ)
    if secret_ids:
        providers.append(SecretsManagerSecrets(client_factory(environ), secret_ids))
    if local_pepper_allowed(settings):
        providers.append(LocalPepper(settings.home / PEPPER_FILE))
    return LayeredSecrets(*providers)


def local_pepper_allowed(settings: Settings) -> bool:
    # With an external database several replicas may share the key table, and a pepper
    # of one replica's own would make every other replica reject its keys.
    return settings.storage is StorageKind.MEMORY or settings.embedded_postgres


class LocalPepper:
    """The API-key pepper for a single local installation: generated on first use into a
    0600 file and reused, so keys survive restarts without any configuration."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._value: str | None = None

    async def get(self, name: str) -> str | None:
        if name != PEPPER_SECRET:
            return None
        if self._value is None:
            try:
                self._value = read_or_create_secret_file(
                    self._path, lambda: random.token_urlsafe(48)
                )
            except OSError as error:
                raise SecurityConfigurationError(
                    f"cannot keep the API key pepper in {self._path} ({error.strerror}): "
                    "make OMC_HOME writable or set OMC_API_KEY_PEPPER"
                ) from None
        return self._value


def read_or_create_secret_file(path: Path, generate: Any) -> str:
    """The file's content; if it does not exist, `generate()` is written to it first.
    Written under a temporary name and linked into place, so a concurrent process never
    reads a half-written file and two processes cannot end up with different values."""
    with contextlib.suppress(FileNotFoundError):
        return path.read_text(encoding="utf-8").strip()
    _private_directory(path.parent)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{random.token_hex(4)}")
    _write_private(temporary, str(generate()))
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process won the race; its value is the one everybody uses
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip()


async def require_pepper(settings: Settings, secrets: SecretsProvider) -> None:
    """Refuses to start without a pepper, saying how to configure one."""
    if await secrets.get(PEPPER_SECRET):
        return
    raise SecurityConfigurationError(
        "no API key pepper is configured. With an external database (OMC_DATABASE_URL) "
        "every replica must hash keys with the same pepper: set OMC_API_KEY_PEPPER, or "
        "OMC_SECRETS_API_KEY_PEPPER=<secret id>[#json field] to read it from AWS Secrets "
        "Manager. Generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        if settings.database_url is not None
        else "no API key pepper is configured"
    )


# --- Database password ----------------------------------------------------------------


def url_has_password(url: str) -> bool:
    parts = urlsplit(url)
    userinfo, at, _hosts = parts.netloc.rpartition("@")
    if at and ":" in userinfo:
        return True
    return "password" in parse_qs(parts.query)


def url_with_password(url: str, password: str) -> str:
    """`url` with `password` in its user info (percent-encoded; hosts, ports and query
    untouched, so multi-host and socket URLs keep working)."""
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if not at:
        userinfo, hosts = "", parts.netloc
    netloc = f"{userinfo}:{quote(password, safe='')}@{hosts}"
    return urlunsplit(parts._replace(netloc=netloc))


async def external_database_url(settings: Settings, secrets: SecretsProvider) -> str:
    """OMC_DATABASE_URL, with the `database_password` secret filled in when the URL has
    no password of its own (how a deployment keeps the password out of its config)."""
    assert settings.database_url is not None
    url = settings.database_url.get_secret_value()
    if url_has_password(url):
        return url
    password = await secrets.get(DATABASE_PASSWORD_SECRET)
    if not password:
        return url
    log.info("database_password_from_secrets", name=DATABASE_PASSWORD_SECRET)
    return url_with_password(url, password)


# --- Bootstrap admin key --------------------------------------------------------------


def admin_key_path(settings: Settings) -> Path:
    return settings.home / ADMIN_KEY_FILE


async def bootstrap_admin_key(
    api_keys: ApiKeys, repository: ApiKeyRepository, path: Path
) -> Path | None:
    """On an empty key table, creates an admin key and writes it to `path` (0600).

    Returns the path when a key was created. The file is opened before the key is
    created, so a read-only OMC_HOME never leaves behind an admin key nobody can read;
    when keys already exist nothing is written at all.
    """
    if await repository.count() > 0:
        return None
    try:
        _private_directory(path.parent)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{random.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_FILE)
    except OSError as error:
        log.warning(
            "admin_key_not_created",
            path=str(path),
            error=error.strerror,
            hint="OMC_HOME is not writable: create keys with `omc keys create`, "
            "or point OMC_HOME at a writable directory",
        )
        return None
    try:
        created = await api_keys.ensure_bootstrap_admin()
        if created is None:  # another process bootstrapped between count() and now
            return None
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            descriptor = -1
            handle.write(created.plaintext + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if descriptor >= 0:
            os.close(descriptor)
        temporary.unlink(missing_ok=True)
    log.info("admin_key_created", path=str(path), key_id=created.key.key_id)
    return path


# --- TLS ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServerTls:
    cert_pem: bytes
    key_pem: bytes
    client_ca_pem: bytes | None  # set: mutual TLS, clients must present a certificate


def server_tls(settings: Settings) -> ServerTls | None:
    """The server's TLS material from the files OMC_TLS_* name, or None for plaintext."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    return ServerTls(
        cert_pem=_read_pem(settings.tls_cert, "OMC_TLS_CERT"),
        key_pem=_read_pem(settings.tls_key, "OMC_TLS_KEY"),
        client_ca_pem=(
            _read_pem(settings.tls_client_ca, "OMC_TLS_CLIENT_CA")
            if settings.tls_client_ca is not None
            else None
        ),
    )


def server_credentials_for(settings: Settings) -> grpc.ServerCredentials | None:
    """gRPC server credentials when OMC_TLS_CERT/OMC_TLS_KEY are set, else None."""
    material = server_tls(settings)
    if material is None:
        return None
    log.info(
        "tls_enabled",
        cert=str(settings.tls_cert),
        mutual=material.client_ca_pem is not None,
    )
    return server_credentials(material.cert_pem, material.key_pem, material.client_ca_pem)


def _read_pem(path: Path, setting: str) -> bytes:
    try:
        content = path.read_bytes()
    except OSError as error:
        raise SecurityConfigurationError(
            f"{setting}: cannot read {path}: {error.strerror}"
        ) from None
    if b"-----BEGIN " not in content:
        raise SecurityConfigurationError(f"{setting}: {path} is not a PEM file")
    return content


# --- Files ----------------------------------------------------------------------------


def _private_directory(directory: Path) -> None:
    # mkdir's mode applies only to directories it creates; an existing OMC_HOME keeps its.
    directory.mkdir(mode=_PRIVATE_DIR, parents=True, exist_ok=True)


def _write_private(path: Path, content: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content + "\n")
        handle.flush()
        os.fsync(handle.fileno())


async def prepare_serving(
    settings: Settings,
    secrets: SecretsProvider,
    api_keys: ApiKeys,
    repository: ApiKeyRepository,
) -> Path | None:
    """Before `serve` listens: a pepper must exist, and an empty key table gets its
    bootstrap admin key (returns the key file's path when one was written)."""
    await require_pepper(settings, secrets)
    return await bootstrap_admin_key(api_keys, repository, admin_key_path(settings))
