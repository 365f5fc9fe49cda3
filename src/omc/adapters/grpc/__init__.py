"""gRPC adapter: the omc.v1 LedgerService servicer, proto<->domain mapping, the server
interceptor (request ids, RPC log lines, AIP-193 errors) and the grpc.aio server."""
