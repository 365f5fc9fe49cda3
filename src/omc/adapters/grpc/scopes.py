"""The one table of which scope each RPC needs. The auth interceptor reads it; a test
fails when a service offers an RPC that is missing here."""

from __future__ import annotations

from omc.domain.access import Scope

# RPCs anyone may call: load balancers and tools must reach them without a key.
OPEN_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)

RPC_SCOPES: dict[str, Scope] = {
    "/omc.v1.LedgerService/IngestPriceTicks": Scope.LEDGER_WRITE,
    "/omc.v1.LedgerService/ListPriceTicks": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/GetLatestPrices": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/WatchPrices": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/IngestProtocolMetrics": Scope.LEDGER_WRITE,
    "/omc.v1.LedgerService/ListProtocolMetrics": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/IngestOnChainMetrics": Scope.LEDGER_WRITE,
    "/omc.v1.LedgerService/ListOnChainMetrics": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/IngestNewsItems": Scope.LEDGER_WRITE,
    "/omc.v1.LedgerService/ListNewsItems": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/IngestSocialPosts": Scope.LEDGER_WRITE,
    "/omc.v1.LedgerService/ListSocialPosts": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/IngestCatalystEvents": Scope.LEDGER_WRITE,
    "/omc.v1.LedgerService/ListCatalystEvents": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/WatchCatalystEvents": Scope.LEDGER_READ,
    "/omc.v1.LedgerService/GetLedgerStats": Scope.LEDGER_READ,
    "/omc.v1.TradingService/RecordFills": Scope.TRADING_WRITE,
    "/omc.v1.TradingService/ListFills": Scope.TRADING_READ,
    "/omc.v1.TradingService/ListPositions": Scope.TRADING_READ,
    "/omc.v1.PnLService/GetPnLSummary": Scope.TRADING_READ,
    "/omc.v1.PnLService/GetPnLBreakdown": Scope.TRADING_READ,
    "/omc.v1.PnLService/GetPnLHistory": Scope.TRADING_READ,
    "/omc.v1.AdminService/CreateApiKey": Scope.ADMIN,
    "/omc.v1.AdminService/ListApiKeys": Scope.ADMIN,
    "/omc.v1.AdminService/RevokeApiKey": Scope.ADMIN,
    "/omc.v1.CollectorService/ListCollectors": Scope.LEDGER_READ,
    "/omc.v1.CollectorService/RunCollector": Scope.COLLECTORS_RUN,
    "/omc.v1.CollectorService/ListCollectorRuns": Scope.LEDGER_READ,
    "/omc.v1.AgentService/CreateSession": Scope.AGENT,
    "/omc.v1.AgentService/Converse": Scope.AGENT,
    "/omc.v1.AgentService/GetSession": Scope.AGENT,
    "/omc.v1.AgentService/ListSessions": Scope.AGENT,
    "/omc.v1.AgentService/CancelSession": Scope.AGENT,
    "/omc.v1.QualityService/GetQualityReport": Scope.LEDGER_READ,
    "/omc.v1.QualityService/ListQualityAlerts": Scope.LEDGER_READ,
    "/omc.v1.QualityService/WatchQualityAlerts": Scope.LEDGER_READ,
}


def is_open(method: str) -> bool:
    """`method` is the full gRPC path, e.g. "/grpc.health.v1.Health/Check"."""
    service = method.lstrip("/").partition("/")[0]
    return service in OPEN_SERVICES
