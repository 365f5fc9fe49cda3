"""`omc` subcommands beyond serve/migrate/demo-data/health, one module each.

A module listed in MODULES offers `register(subparsers)`, which adds its parser(s) and
sets `handler=<callable(settings, args) -> int | Coroutine[..., int]>` as the parser default.
"""

from __future__ import annotations

from typing import Any, Protocol

MODULES: tuple[str, ...] = (
    "omc.commands.ask",
    "omc.commands.collect",
    "omc.commands.keys",
    "omc.commands.pnl",
    "omc.commands.quality",
)


class CommandModule(Protocol):
    def register(self, subparsers: Any) -> None: ...
