"""The one place that hands out "the database", "the Redis" and "the store" to every process of the project.

Configured services win: DATABASE_URL (any Postgres), SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY (hosted Supabase),
REDIS_URL. Without them the embedded Postgres and Redis are started in JARVIS_DATA_DIR and shared by every process
on the machine. Migrations are applied once per process (tracked and locked in the database).
"""

from __future__ import annotations

import asyncio
import threading

import redis

from ..settings import Settings, get_settings
from .base import Store
from .embedded import EmbeddedPostgres, EmbeddedRedis
from .migrate import migrate


class ConfigurationError(RuntimeError):
    """A required setting is missing; the message names the variable and where to get it."""


_lock = threading.Lock()
_embedded_pg: dict[str, EmbeddedPostgres] = {}
_embedded_redis: dict[str, EmbeddedRedis] = {}
_migrated: set[str] = set()


def embedded_postgres(settings: Settings | None = None) -> EmbeddedPostgres:
    s = settings or get_settings()
    key = str(s.jarvis_data_dir)
    with _lock:
        if key not in _embedded_pg:
            _embedded_pg[key] = EmbeddedPostgres(s.jarvis_data_dir)
        return _embedded_pg[key]


def database_url(settings: Settings | None = None) -> str:
    """The Postgres URL to use, starting the embedded server and migrating when needed."""
    s = settings or get_settings()
    url = s.database_url or embedded_postgres(s).start()
    if s.jarvis_auto_migrate and url not in _migrated:
        migrate(url, s.jarvis_migrations_dir)
        _migrated.add(url)
    return url


def redis_url(settings: Settings | None = None) -> str:
    s = settings or get_settings()
    if s.redis_url:
        return s.redis_url
    key = str(s.jarvis_data_dir)
    with _lock:
        if key not in _embedded_redis:
            _embedded_redis[key] = EmbeddedRedis(s.jarvis_data_dir)
        server = _embedded_redis[key]
    return server.start()


def redis_connection(settings: Settings | None = None, *, timeout: float | None = None) -> redis.Redis:
    """A Redis client (bytes responses, as RQ expects); `timeout` bounds connecting and each command (not for RQ
    workers, whose dequeue blocks)."""
    return redis.Redis.from_url(redis_url(settings), socket_timeout=timeout, socket_connect_timeout=timeout)


def stop_embedded() -> None:
    """Detach this process from the embedded servers it started or joined; each stops if it was the last user."""
    with _lock:
        servers = [*_embedded_pg.values(), *_embedded_redis.values()]
        _embedded_pg.clear()
        _embedded_redis.clear()
        _migrated.clear()
    for server in servers:
        server.stop()


async def open_store(settings: Settings | None = None, *, wait: bool = True,
                     synchronous_commit: bool = True) -> Store:
    """The data API over the configured transport: Supabase PostgREST or pooled direct Postgres. `wait=False`
    (a voice job) does not wait for the database: calls fail fast with Unavailable while it is down."""
    s = settings or get_settings()
    if s.store_kind == "supabase":
        if not (s.supabase_url and s.supabase_service_role_key):
            raise ConfigurationError(
                "JARVIS_STORE=supabase needs SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY "
                "(Supabase dashboard → Project Settings → API)."
            )
        from .supabase import SupabaseStore

        return await SupabaseStore.connect(s.supabase_url, s.supabase_service_role_key.get_secret_value())
    from .postgres import PostgresStore

    url = await asyncio.to_thread(database_url, s)
    return await PostgresStore.connect(url, min_size=s.db_pool_min_size, max_size=s.db_pool_max_size,
                                       statement_timeout_ms=s.db_statement_timeout_ms, wait=wait,
                                       connection_timeout=10.0 if wait else 2.0,
                                       synchronous_commit=synchronous_commit)
