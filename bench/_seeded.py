"""A fresh database with the demo gyms for a benchmark: on a private embedded PostgreSQL 18 in a temporary
directory, or on the server of --database-url (where the benchmark may create and drop a database)."""

from __future__ import annotations

import argparse
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from jarvis_agent.demo import SeedReport, seed_demo
from jarvis_agent.settings import REPO_ROOT
from jarvis_agent.store.embedded import EmbeddedPostgres
from jarvis_agent.store.migrate import migrate


@contextmanager
def seeded_database(members: int, visits: int | None, database_url: str | None = None) -> Iterator[tuple[str,
                                                                                                        SeedReport]]:
    with tempfile.TemporaryDirectory(prefix="jarvis-bench-") as tmp:
        server = None
        if database_url:
            admin = database_url
        else:
            server = EmbeddedPostgres(Path(tmp))
            admin = server.start(database="postgres")
        name = f"jarvis_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'create database "{name}"')
        url = make_conninfo(admin, dbname=name)
        try:
            migrate(url, REPO_ROOT / "supabase" / "migrations")
            yield url, seed_demo(url, members=members, visits=visits)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'drop database if exists "{name}" with (force)')
            if server is not None:
                server.stop()


def add_seed_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="a server where the benchmark may create a database")
