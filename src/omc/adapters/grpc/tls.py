"""TLS credentials for the gRPC server: TLS, or mutual TLS when a client CA is given."""

from __future__ import annotations

import grpc


def server_credentials(
    cert_pem: bytes, key_pem: bytes, client_ca_pem: bytes | None = None
) -> grpc.ServerCredentials:
    """With `client_ca_pem`, every client must present a certificate signed by that CA
    (the handshake fails otherwise); without it, any client may connect over TLS."""
    return grpc.ssl_server_credentials(
        [(key_pem, cert_pem)],
        root_certificates=client_ca_pem,
        require_client_auth=client_ca_pem is not None,
    )
