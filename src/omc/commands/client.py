"""What every `omc` client command needs to call the server: a channel to
OMC_GRPC_ADDRESS (TLS when configured) and the caller's API key as call metadata.

    async with open_channel(settings) as channel:
        stub = ledger_pb2_grpc.LedgerServiceStub(channel)
        await stub.GetLatestPrices(request, metadata=call_metadata(settings), timeout=10)

The key comes from OMC_API_KEY, else from the bootstrap admin key file OMC_HOME/admin.key.
"""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc import aio

from omc.bootstrap.security import admin_key_path
from omc.bootstrap.settings import Settings

AUTHORIZATION = "authorization"


class ClientConfigurationError(Exception):
    """The command cannot call the server as configured; the message says what to set."""


def target(address: str) -> str:
    """Where to connect for a server configured to listen on `address`: a server bound
    to every interface is reached, from the same host, on loopback."""
    host, _, port = address.rpartition(":")
    if host in {"0.0.0.0", "[::]", ""}:  # noqa: S104 (we connect, we do not bind)
        host = "127.0.0.1"
    return f"{host}:{port}"


def uses_tls(settings: Settings) -> bool:
    # A CA to trust, a client certificate, or the server's own certificate on this host
    # all mean the server speaks TLS.
    return any(
        path is not None for path in (settings.tls_ca, settings.tls_client_cert, settings.tls_cert)
    )


def channel_credentials(settings: Settings) -> grpc.ChannelCredentials | None:
    """TLS credentials for the client, or None for plaintext. The server's certificate is
    checked against OMC_TLS_CA (the system roots when unset); under mutual TLS the client
    presents OMC_TLS_CLIENT_CERT / OMC_TLS_CLIENT_KEY."""
    if not uses_tls(settings):
        return None
    return grpc.ssl_channel_credentials(
        root_certificates=_read(settings.tls_ca, "OMC_TLS_CA"),
        private_key=_read(settings.tls_client_key, "OMC_TLS_CLIENT_KEY"),
        certificate_chain=_read(settings.tls_client_cert, "OMC_TLS_CLIENT_CERT"),
    )


def open_channel(settings: Settings, address: str | None = None) -> aio.Channel:
    """A grpc.aio channel (use it as an async context manager) to `address`, by default
    OMC_GRPC_ADDRESS."""
    where = target(address or settings.grpc_address)
    credentials = channel_credentials(settings)
    if credentials is None:
        return aio.insecure_channel(where)
    return aio.secure_channel(where, credentials)


def api_key(settings: Settings) -> str:
    """OMC_API_KEY, else the bootstrap admin key the server wrote to OMC_HOME/admin.key."""
    if settings.api_key is not None:
        return settings.api_key.get_secret_value().strip()
    path = admin_key_path(settings)
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ClientConfigurationError(
            f"no API key: set OMC_API_KEY (create one with `omc keys create`), or run "
            f"`omc serve` once on this OMC_HOME so it writes {path}"
        ) from None
    except OSError as error:
        raise ClientConfigurationError(f"cannot read {path}: {error.strerror}") from None
    if not key:
        raise ClientConfigurationError(f"{path} is empty: set OMC_API_KEY instead")
    return key


def call_metadata(settings: Settings) -> tuple[tuple[str, str], ...]:
    """Metadata for every authenticated call: `authorization: Bearer <key>`."""
    return ((AUTHORIZATION, f"Bearer {api_key(settings)}"),)


def _read(path: Path | None, setting: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise ClientConfigurationError(f"{setting}: cannot read {path}: {error.strerror}") from None
