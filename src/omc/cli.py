"""The `omc` command: serve the API, migrate the schema, load demo data, check health."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from pydantic import ValidationError

from omc import __version__
from omc import commands as command_modules
from omc.adapters.postgres import migrate
from omc.application.demo import load_demo_data
from omc.bootstrap.books import start_read_ahead, stop_read_ahead
from omc.bootstrap.collectors import start_scheduler, stop_scheduler
from omc.bootstrap.containers import build_container, resolve
from omc.bootstrap.database import database, migrated
from omc.bootstrap.heap import freeze_startup_objects
from omc.bootstrap.logging import configure_logging
from omc.bootstrap.quality import start_monitor, stop_monitor
from omc.bootstrap.security import SecurityConfigurationError, prepare_serving
from omc.bootstrap.settings import Settings, StorageKind

log = structlog.get_logger("omc.cli")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class StopSignals:
    """SIGTERM/SIGINT handling for `serve`, installed before anything starts.

    Before the server is up a signal cancels the command, so startup unwinds and an
    embedded Postgres is stopped; once serving, it asks for a graceful stop. Later
    signals are ignored so the drain and the database shutdown are not cut short.
    """

    # Not omc.adapters.grpc.server.serve_until_signal: it cancels a waiter on grpc's
    # wait_for_termination(), which cancels grpc's own shutdown future, so the graceful
    # stop that follows raises CancelledError instead of draining.

    def __init__(self) -> None:
        self.stop_requested = asyncio.Event()
        self.received: signal.Signals | None = None
        self.serving = False
        self._task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Not the main thread, or no loop signal handlers here: keep the defaults.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.received is not None:
            return
        self.received = sig
        self.stop_requested.set()
        if not self.serving and self._task is not None:
            self._task.cancel()


async def serve(settings: Settings) -> int:
    signals = StopSignals()
    try:
        async with database(settings) as url:
            await migrated(url)
            container = build_container(settings, url)
            try:
                await resolve(container.application.use_cases)
                # A pepper, and on an empty key table the admin key in OMC_HOME/admin.key.
                await prepare_serving(
                    settings,
                    container.core.secrets(),
                    await resolve(container.application.api_keys),
                    await resolve(container.storage.api_key_repository),
                )
                collectors = await resolve(container.collection.use_cases)
                server = await resolve(container.api.server)
                port = await server.start(settings.grpc_address)
                signals.serving = True
                scheduler = start_scheduler(settings, collectors)
                monitor = await resolve(container.quality.monitor)
                monitor_task = start_monitor(settings, monitor)
                read_ahead = start_read_ahead(
                    settings, await resolve(container.application.trading)
                )
                frozen = freeze_startup_objects()
                host = settings.grpc_address.rpartition(":")[0]
                log.info(
                    "serving",
                    address=f"{host}:{port}",
                    port=port,
                    storage=str(settings.storage),
                    version=__version__,
                    frozen_objects=frozen,
                )
                await signals.stop_requested.wait()
                log.info("stop_requested", signal=signals.received and signals.received.name)
                # Runs in progress finish (or are cancelled) while the database is up.
                await stop_scheduler(scheduler, settings.shutdown_grace_seconds)
                await stop_monitor(monitor_task, monitor, settings.shutdown_grace_seconds)
                await stop_read_ahead(read_ahead)
                # Health turns NOT_SERVING, watch streams end, in-flight RPCs drain.
                await server.stop(settings.shutdown_grace_seconds)
            finally:
                await _shutdown(container)
    except asyncio.CancelledError:
        if signals.received is None or signals.serving:
            raise
        log.warning("startup_interrupted", signal=signals.received.name)
        return 128 + signals.received
    log.info("stopped")
    return EXIT_OK


async def _shutdown(container: Any) -> None:
    result = container.shutdown_resources()
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        await result


async def run_migrations(settings: Settings, revision: str) -> int:
    if settings.storage is StorageKind.MEMORY:
        print("omc: nothing to migrate with OMC_STORAGE=memory", file=sys.stderr)
        return EXIT_USAGE
    async with database(settings) as url:
        await migrated(url, revision)
        assert url is not None
        print(f"database schema at revision {await asyncio.to_thread(migrate.current, url)}")
    return EXIT_OK


async def demo_data(settings: Settings) -> int:
    async with database(settings) as url:
        await migrated(url)
        container = build_container(settings, url)
        try:
            use_cases = await resolve(container.application.use_cases)
            results = await load_demo_data(use_cases)
        finally:
            await _shutdown(container)
    width = max(len(name) for name in results)
    print(f"{'record type':<{width}}  {'inserted':>8}  {'updated':>8}  {'duplicate':>9}")
    for name, result in results.items():
        print(f"{name:<{width}}  {result.inserted:>8}  {result.updated:>8}  {result.duplicate:>9}")
    return EXIT_OK


def health(address: str, service: str, timeout: float, credentials: Any = None) -> int:
    # Imported here: only this client command needs them, and they are cheap to skip.
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    host, _, port = address.rpartition(":")
    # A server bound to every interface is reached, from the same host, on loopback.
    if host in {"0.0.0.0", "[::]", ""}:  # noqa: S104 (we connect, we do not bind)
        host = "127.0.0.1"
    target = f"{host}:{port}"
    try:
        # TLS when the client settings ask for it (OMC_TLS_CA / client certificate).
        channel = (
            grpc.secure_channel(target, credentials)
            if credentials is not None
            else grpc.insecure_channel(target)
        )
        with channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
    except grpc.RpcError as error:
        code = error.code() if isinstance(error, grpc.Call) else None
        print(f"{target}: {code.name if code else 'UNKNOWN'} {error}", file=sys.stderr)
        return EXIT_FAILURE
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
    print(f"{target}: {status}")
    return EXIT_OK if response.status == health_pb2.HealthCheckResponse.SERVING else EXIT_FAILURE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="omc",
        description="Oh My Coins: crypto market intelligence ledgers over gRPC. "
        "Configured through OMC_* environment variables (see README).",
    )
    parser.add_argument("--version", action="version", version=f"omc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve_cmd = commands.add_parser("serve", help="run the gRPC server until SIGTERM/SIGINT")
    serve_cmd.add_argument("--address", help="host:port to listen on (OMC_GRPC_ADDRESS)")
    serve_cmd.add_argument(
        "--storage", choices=[kind.value for kind in StorageKind], help="(OMC_STORAGE)"
    )

    migrate_cmd = commands.add_parser("migrate", help="upgrade the database schema")
    migrate_cmd.add_argument("--revision", default="head", help="target revision (head)")

    commands.add_parser("demo-data", help="load the deterministic demo data set (idempotent)")

    health_cmd = commands.add_parser("health", help="gRPC health check; exit 0 when SERVING")
    health_cmd.add_argument("--address", help="host:port of the server (OMC_GRPC_ADDRESS)")
    health_cmd.add_argument("--service", default="", help="service name ('' = overall)")
    health_cmd.add_argument("--timeout", type=float, default=5.0, help="seconds (5)")

    for module_name in command_modules.MODULES:
        module: command_modules.CommandModule = importlib.import_module(module_name)
        module.register(commands)
    return parser


def _with_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "address", None):
        overrides["grpc_address"] = args.address
    if getattr(args, "storage", None):
        overrides["storage"] = args.storage
    # Re-validated, so a flag is held to the same rules as its environment variable.
    return Settings.model_validate({**settings.model_dump(), **overrides})


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        settings = _with_overrides(Settings(), args)
    except ValidationError as error:
        for problem in error.errors():
            # Nested settings are named as set: OMC_SOURCES__REDDIT_POSTS__BASE_URL.
            name = "OMC_" + "__".join(str(part) for part in problem["loc"]).upper()
            print(f"omc: invalid {name}: {problem['msg']}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, settings.log_format)

    if args.command == "health":
        from omc.commands.client import channel_credentials

        credentials = channel_credentials(settings)
        return health(settings.grpc_address, args.service, args.timeout, credentials)
    handler = getattr(args, "handler", None)
    if handler is not None:
        outcome = handler(settings, args)
        return int(asyncio.run(outcome) if inspect.iscoroutine(outcome) else outcome)
    commands: dict[str, Callable[[], Any]] = {
        "serve": lambda: serve(settings),
        "migrate": lambda: run_migrations(settings, args.revision),
        "demo-data": lambda: demo_data(settings),
    }
    try:
        return int(asyncio.run(commands[args.command]()))
    # Interrupted before the server was up; cleanup has already run.
    except KeyboardInterrupt:
        return 128 + signal.SIGINT
    except asyncio.CancelledError:
        return 128 + signal.SIGTERM
    except SecurityConfigurationError as error:
        print(f"omc: {error}", file=sys.stderr)
        return EXIT_FAILURE
