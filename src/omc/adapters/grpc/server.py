"""The grpc.aio server: our services, health checking, reflection, graceful stop."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc
import structlog
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from omc.adapters.grpc.interceptors import ServerInterceptor
from omc.adapters.grpc.ledger_servicer import LedgerServicer
from omc.application.ledger import LedgerUseCases
from omc.application.telemetry import Metrics
from omc.v1 import ledger_pb2, ledger_pb2_grpc

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
DEFAULT_PROBE_INTERVAL = 5.0
DEFAULT_PROBE_TIMEOUT = 2.0
LEDGER_SERVICE = ledger_pb2.DESCRIPTOR.services_by_name["LedgerService"].full_name
HEALTH_SERVICE = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name

ReadinessProbe = Callable[[], Awaitable[bool]]

_log = structlog.get_logger("omc.grpc")
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True, slots=True)
class ServiceBinding:
    """One gRPC service: its full name, how to add it to a server, and what to do when
    the server starts draining (end open streams, say)."""

    name: str
    register: Callable[[aio.Server], None]
    on_drain: Callable[[], None] | None = None


def ledger_binding(use_cases: LedgerUseCases) -> ServiceBinding:
    servicer = LedgerServicer(use_cases)
    return ServiceBinding(
        LEDGER_SERVICE,
        lambda server: ledger_pb2_grpc.add_LedgerServiceServicer_to_server(  # type: ignore[no-untyped-call]
            servicer, server
        ),
        servicer.close_streams,
    )


class GrpcServer:
    """Serves OMC's gRPC services over grpc.aio.

    Health reports SERVING for "" and every service while every readiness probe
    (a database ping, say) passes; the probes run at start and then every
    `probe_interval` seconds. stop() turns health NOT_SERVING first so load balancers
    move traffic away, ends open WatchPrices streams, then drains in-flight RPCs.
    """

    def __init__(
        self,
        services: Sequence[ServiceBinding],
        readiness_probes: Sequence[ReadinessProbe] = (),
        *,
        interceptors: Sequence[aio.ServerInterceptor] = (),
        credentials: grpc.ServerCredentials | None = None,
        metrics: Metrics | None = None,
        max_receive_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        max_send_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        probe_interval: float = DEFAULT_PROBE_INTERVAL,
        probe_timeout: float = DEFAULT_PROBE_TIMEOUT,
    ) -> None:
        self._bindings = tuple(services)
        self._interceptors = tuple(interceptors)
        self._metrics = metrics
        self._credentials = credentials
        self._probes = tuple(readiness_probes)
        self._options = [
            ("grpc.max_receive_message_length", max_receive_message_bytes),
            ("grpc.max_send_message_length", max_send_message_bytes),
        ]
        self._probe_interval = probe_interval
        self._probe_timeout = probe_timeout
        self._server: aio.Server | None = None
        self._health: health.aio.HealthServicer | None = None
        self._prober: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def services(self) -> tuple[str, ...]:
        """Every service name health reports on ("" is the server as a whole)."""
        return ("", *(binding.name for binding in self._bindings))

    async def start(self, address: str) -> int:
        """Binds `address` (e.g. "127.0.0.1:0"), starts serving, returns the bound port."""
        if self._server is not None:
            raise RuntimeError("server already started")
        # The request-id/logging/error interceptor runs first, so failures in later
        # interceptors (authentication, say) are logged and mapped like any other.
        server = aio.server(
            interceptors=[ServerInterceptor(self._metrics), *self._interceptors],
            options=self._options,
        )
        for binding in self._bindings:
            binding.register(server)
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        reflection.enable_server_reflection(
            (*(b.name for b in self._bindings), HEALTH_SERVICE, reflection.SERVICE_NAME), server
        )
        port: int = (
            server.add_secure_port(address, self._credentials)
            if self._credentials is not None
            else server.add_insecure_port(address)
        )
        if port == 0:
            raise RuntimeError(f"could not bind {address}")
        await server.start()
        self._server = server
        await self._set_health(await self._ready())
        if self._probes:
            self._prober = asyncio.create_task(self._probe_forever(), name="omc-readiness")
        _log.info("grpc.started", address=address, port=port)
        return port

    async def stop(self, grace: float = 10.0) -> None:
        """NOT_SERVING everywhere, end watch streams, drain for up to `grace` seconds."""
        if self._server is None or self._stopping:
            return
        self._stopping = True
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober
        if self._health is not None:
            # Permanent: later probe results can no longer flip it back to SERVING.
            await self._health.enter_graceful_shutdown()
        for binding in self._bindings:
            if binding.on_drain is not None:
                binding.on_drain()
        _log.info("grpc.stopping", grace_seconds=grace)
        await self._server.stop(grace)
        _log.info("grpc.stopped")

    async def wait_for_termination(self) -> None:
        if self._server is None:
            raise RuntimeError("server not started")
        # Shielded: cancelling grpc's own wait would cancel the future its shutdown
        # awaits, and a later stop() would fail instead of draining.
        await asyncio.shield(self._server.wait_for_termination())

    async def _ready(self) -> bool:
        for probe in self._probes:
            try:
                if not await asyncio.wait_for(probe(), self._probe_timeout):
                    return False
            except Exception:  # a probe that fails in any way means "not ready"
                _log.warning("grpc.readiness_probe_failed", exc_info=True)
                return False
        return True

    async def _probe_forever(self) -> None:
        while True:
            await asyncio.sleep(self._probe_interval)
            await self._set_health(await self._ready())

    async def _set_health(self, ready: bool) -> None:
        assert self._health is not None
        status = _SERVING if ready else _NOT_SERVING
        for service in self.services:
            await self._health.set(service, status)


async def serve_until_signal(
    server: GrpcServer,
    on_stop: Callable[[], Awaitable[None]] | None = None,
    *,
    grace: float = 10.0,
    signals: Sequence[signal.Signals] = (signal.SIGTERM, signal.SIGINT),
) -> None:
    """Waits until SIGTERM/SIGINT (or the server terminates on its own), stops the
    server gracefully, then runs `on_stop` (release pools, close the fan-out) once no
    RPC can use those resources any more. The server must already be started."""
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    installed: list[signal.Signals] = []
    for sig in signals:
        try:
            loop.add_signal_handler(sig, stop_requested.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
            _log.warning("grpc.signal_handler_unavailable", signal=sig.name)
    waiters = {
        asyncio.ensure_future(stop_requested.wait()),
        asyncio.ensure_future(server.wait_for_termination()),
    }
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        for sig in installed:
            loop.remove_signal_handler(sig)
        await server.stop(grace)
        if on_stop is not None:
            await on_stop()


__all__ = [
    "DEFAULT_MAX_MESSAGE_BYTES",
    "LEDGER_SERVICE",
    "GrpcServer",
    "ReadinessProbe",
    "serve_until_signal",
]
