"""Direct Postgres transport: a pooled async psycopg connection calling `select public.<fn>(p_x => …)`.

Parameters travel as untyped text (or jsonb for objects and lists), exactly as PostgREST sends JSON: the server
casts them to the function's declared types, so a bad date or an out-of-range number fails the same way on both
transports.
"""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from .base import JSON, Store
from .errors import StoreError, Unavailable, error_from_sqlstate

logger = logging.getLogger(__name__)


def _adapt(value: Any) -> Any:
    if isinstance(value, dict | list):
        return Jsonb(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class PostgresStore(Store):
    kind = "postgres"

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool
        self._sql_cache: dict[tuple[str, tuple[str, ...]], str] = {}

    @classmethod
    async def connect(cls, url: str, *, min_size: int = 1, max_size: int = 10,
                      statement_timeout_ms: int = 5000, open_timeout: float = 10.0, wait: bool = True,
                      connection_timeout: float = 10.0, synchronous_commit: bool = True) -> PostgresStore:
        """`wait=False` returns at once and connects in the background (a call then waits at most
        `connection_timeout` for a connection before raising Unavailable). `synchronous_commit=False` is for
        writers whose work can be redone (analytics): a commit does not wait for the WAL flush."""
        async def configure(conn: psycopg.AsyncConnection) -> None:
            await conn.execute(f"set statement_timeout = {int(statement_timeout_ms)}")
            await conn.execute("set lock_timeout = '4s'")
            if not synchronous_commit:
                await conn.execute("set synchronous_commit = off")
            await conn.commit()

        pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False, configure=configure,
                                   kwargs={"autocommit": True}, name="jarvis", timeout=connection_timeout)
        try:
            await pool.open(wait=wait, timeout=open_timeout)
        except PoolTimeout as exc:
            await pool.close()
            raise Unavailable(detail=f"cannot connect to Postgres: {exc}") from exc
        return cls(pool)

    def _sql(self, fn: str, names: tuple[str, ...]) -> str:
        key = (fn, names)
        sql = self._sql_cache.get(key)
        if sql is None:
            args = ", ".join(f"{n} => %({n})s" for n in names)
            sql = self._sql_cache[key] = f"select public.{fn}({args})"
        return sql

    async def _call(self, fn: str, params: dict[str, Any]) -> JSON:
        sql = self._sql(fn, tuple(params))
        try:
            async with self.pool.connection() as conn:
                cur = await conn.execute(sql, {k: _adapt(v) for k, v in params.items()})
                row = await cur.fetchone()
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if exc.sqlstate is None:  # connection refused, lost or closed: no server answer at all
                raise Unavailable(detail=f"Postgres unreachable: {type(exc).__name__}") from exc
            raise self._map(fn, exc) from exc
        except psycopg.Error as exc:
            raise self._map(fn, exc) from exc
        except PoolTimeout as exc:
            raise Unavailable(detail=f"no database connection available: {exc}") from exc
        return row[0] if row else None

    @staticmethod
    def _map(fn: str, exc: psycopg.Error) -> StoreError:
        diag = exc.diag
        err = error_from_sqlstate(exc.sqlstate, diag.message_primary or str(exc), diag.message_hint,
                                  diag.message_detail)
        if type(err) is StoreError:  # not one of ours: a bug or a schema mismatch, worth an error log
            logger.error("data function %s failed with SQLSTATE %s", fn, exc.sqlstate)
        return err

    async def close(self) -> None:
        await self.pool.close()
