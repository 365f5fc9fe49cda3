"""TLS and mutual TLS on the gRPC port, with certificates generated for the test.

Proves: plaintext to a TLS port fails; under mTLS a client without a certificate, or
with one from another CA, is refused; a good client works (and still needs an API key).
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc

from omc.adapters.grpc.auth import AuthInterceptor
from omc.adapters.grpc.server import GrpcServer, ledger_binding
from omc.adapters.grpc.tls import server_credentials
from omc.adapters.memory.clock import SystemClock
from omc.adapters.memory.keys import MemoryApiKeyRepository
from omc.application.ledger import LedgerUseCases
from omc.v1 import ledger_pb2, ledger_pb2_grpc
from tests.conftest import Storage
from tests.e2e.support_security import bearer, key_tools

CALL_TIMEOUT = 10.0  # a bound so a refused handshake cannot hang the test


@dataclass(frozen=True)
class Pair:
    cert: bytes
    key: bytes


@dataclass(frozen=True)
class Authority:
    name: x509.Name
    private_key: ec.EllipticCurvePrivateKey
    cert: bytes

    def issue(self, common_name: str, *, server: bool) -> Pair:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
        cert = builder.sign(self.private_key, hashes.SHA256())
        return Pair(_cert_pem(cert), _key_pem(key))


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def authority(common_name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Authority(name, key, _cert_pem(cert))


@dataclass(frozen=True)
class Pki:
    ca: Authority
    server: Pair
    client: Pair
    stranger: Pair  # a client certificate from a CA the server does not trust


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca = authority("omc test CA")
    other = authority("someone else's CA")
    return Pki(
        ca,
        ca.issue("localhost", server=True),
        ca.issue("omc-client", server=False),
        other.issue("omc-client", server=False),
    )


@dataclass
class TlsServer:
    server: GrpcServer
    target: str
    key: str


async def _start(storage: Storage, credentials: grpc.ServerCredentials) -> TlsServer:
    keys = MemoryApiKeyRepository()
    api_keys, authenticator = key_tools(keys)
    use_cases = LedgerUseCases.build(storage.repositories, storage.fanout, SystemClock())
    server = GrpcServer(
        [ledger_binding(use_cases)],
        interceptors=[AuthInterceptor(authenticator)],
        credentials=credentials,
    )
    port = await server.start("127.0.0.1:0")
    created = await api_keys.create("tls-user", ["ledger:read"])
    return TlsServer(server, f"127.0.0.1:{port}", created.plaintext)


@pytest.fixture
async def tls_server(memory_storage: Storage, pki: Pki) -> AsyncIterator[TlsServer]:
    served = await _start(memory_storage, server_credentials(pki.server.cert, pki.server.key))
    try:
        yield served
    finally:
        await served.server.stop(0)


@pytest.fixture
async def mtls_server(memory_storage: Storage, pki: Pki) -> AsyncIterator[TlsServer]:
    served = await _start(
        memory_storage, server_credentials(pki.server.cert, pki.server.key, pki.ca.cert)
    )
    try:
        yield served
    finally:
        await served.server.stop(0)


def _secure(target: str, ca: bytes, client: Pair | None = None) -> aio.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca,
        private_key=client.key if client else None,
        certificate_chain=client.cert if client else None,
    )
    return aio.secure_channel(target, credentials)


async def _latest(channel: aio.Channel, key: str) -> grpc.StatusCode:
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    try:
        await stub.GetLatestPrices(
            ledger_pb2.GetLatestPricesRequest(), metadata=bearer(key), timeout=CALL_TIMEOUT
        )
    except aio.AioRpcError as error:
        code: grpc.StatusCode = error.code()
        return code
    finally:
        await channel.close()
    return grpc.StatusCode.OK


async def test_a_tls_client_that_trusts_the_ca_is_served(tls_server: TlsServer, pki: Pki) -> None:
    channel = _secure(tls_server.target, pki.ca.cert)
    health = health_pb2_grpc.HealthStub(channel)
    checked = await health.Check(health_pb2.HealthCheckRequest(), timeout=CALL_TIMEOUT)

    assert checked.status == health_pb2.HealthCheckResponse.SERVING
    assert await _latest(channel, tls_server.key) is grpc.StatusCode.OK


async def test_plaintext_to_a_tls_port_fails(tls_server: TlsServer) -> None:
    code = await _latest(aio.insecure_channel(tls_server.target), tls_server.key)

    assert code is grpc.StatusCode.UNAVAILABLE


async def test_a_client_that_does_not_trust_the_server_certificate_fails(
    tls_server: TlsServer,
) -> None:
    unrelated = authority("not the server's CA")

    code = await _latest(_secure(tls_server.target, unrelated.cert), tls_server.key)

    assert code is grpc.StatusCode.UNAVAILABLE


async def test_mtls_serves_a_client_with_a_certificate_from_the_trusted_ca(
    mtls_server: TlsServer, pki: Pki
) -> None:
    code = await _latest(_secure(mtls_server.target, pki.ca.cert, pki.client), mtls_server.key)

    assert code is grpc.StatusCode.OK


async def test_mtls_still_needs_an_api_key(mtls_server: TlsServer, pki: Pki) -> None:
    channel = _secure(mtls_server.target, pki.ca.cert, pki.client)
    stub = ledger_pb2_grpc.LedgerServiceStub(channel)
    try:
        with pytest.raises(aio.AioRpcError) as raised:
            await stub.GetLatestPrices(ledger_pb2.GetLatestPricesRequest(), timeout=CALL_TIMEOUT)
    finally:
        await channel.close()

    assert raised.value.code() is grpc.StatusCode.UNAUTHENTICATED


async def test_mtls_refuses_a_client_without_a_certificate(
    mtls_server: TlsServer, pki: Pki
) -> None:
    code = await _latest(_secure(mtls_server.target, pki.ca.cert), mtls_server.key)

    assert code is grpc.StatusCode.UNAVAILABLE


async def test_mtls_refuses_a_certificate_from_another_ca(mtls_server: TlsServer, pki: Pki) -> None:
    code = await _latest(_secure(mtls_server.target, pki.ca.cert, pki.stranger), mtls_server.key)

    assert code is grpc.StatusCode.UNAVAILABLE


async def test_mtls_refuses_plaintext(mtls_server: TlsServer) -> None:
    code = await _latest(aio.insecure_channel(mtls_server.target), mtls_server.key)

    assert code is grpc.StatusCode.UNAVAILABLE
