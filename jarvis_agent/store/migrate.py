"""Apply supabase/migrations/*.sql once, in order, tracked in supabase_migrations.schema_migrations.

The tracking table is the Supabase CLI's own, so a database migrated here is seen as migrated by `supabase db push`
and the other way round. An advisory lock makes concurrent processes wait for each other instead of racing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

logger = logging.getLogger(__name__)

_FILE = re.compile(r"^(\d{14})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 7_482_551_901  # arbitrary, constant: pg_advisory_lock key of the migrator


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str


def list_migrations(directory: Path) -> list[Migration]:
    if not directory.is_dir():
        raise FileNotFoundError(f"migrations directory not found: {directory} (set JARVIS_MIGRATIONS_DIR)")
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise ValueError(f"migration file name must be <14 digits>_<name>.sql: {path.name}")
        found.append(Migration(match[1], match[2], path.read_text(encoding="utf-8")))
    return found


def _ensure_table(conn: psycopg.Connection) -> None:
    conn.execute("create schema if not exists supabase_migrations")
    conn.execute(
        "create table if not exists supabase_migrations.schema_migrations "
        "(version text primary key, statements text[], name text)"
    )


def applied_versions(conn: psycopg.Connection) -> dict[str, str | None]:
    """version -> the SQL recorded when it was applied."""
    _ensure_table(conn)
    rows = conn.execute("select version, statements[1] from supabase_migrations.schema_migrations").fetchall()
    return {version: sql for version, sql in rows}


def migrate(url: str, directory: Path) -> list[str]:
    """Apply pending migrations; return the versions applied now."""
    migrations = list_migrations(directory)
    applied_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("select pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            done = applied_versions(conn)
            for migration in migrations:
                if migration.version in done:
                    recorded = done[migration.version]
                    if recorded is not None and recorded != migration.sql:
                        logger.warning("migration %s_%s changed after it was applied; it is not re-run",
                                       migration.version, migration.name)
                    continue
                logger.info("applying migration %s_%s", migration.version, migration.name)
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(
                        "insert into supabase_migrations.schema_migrations (version, statements, name) "
                        "values (%s, %s, %s)",
                        (migration.version, [migration.sql], migration.name),
                    )
                applied_now.append(migration.version)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now


def status(url: str, directory: Path) -> list[tuple[str, str, bool]]:
    """(version, name, applied) for every migration file."""
    with psycopg.connect(url, autocommit=True) as conn:
        done = applied_versions(conn)
    return [(m.version, m.name, m.version in done) for m in list_migrations(directory)]
