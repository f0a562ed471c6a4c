"""Supabase transport: the `supabase` client's async `rpc`, i.e. POST /rest/v1/rpc/<fn> on PostgREST.

Used for hosted deployments with the service role key (it bypasses RLS: gym and member ids come from the session).
PostgREST returns the SQL error's code, message, hint and details, which map to the same typed errors as the direct
Postgres transport.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from postgrest import APIError

from supabase import AsyncClient, AsyncClientOptions, acreate_client

from .base import JSON, Store
from .errors import StoreError, Unavailable, error_from_sqlstate

logger = logging.getLogger(__name__)


class SupabaseStore(Store):
    kind = "supabase"

    def __init__(self, client: AsyncClient, http: httpx.AsyncClient) -> None:
        self.client = client
        self._http = http

    @classmethod
    async def connect(cls, url: str, service_role_key: str, *, request_timeout: float = 10.0) -> SupabaseStore:
        http = httpx.AsyncClient(timeout=request_timeout)
        options = AsyncClientOptions(httpx_client=http, auto_refresh_token=False, persist_session=False)
        return cls(await acreate_client(url, service_role_key, options), http)

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, fn: str, params: dict[str, Any]) -> JSON:
        try:
            response = await self.client.rpc(fn, params).execute()
        except APIError as exc:
            code = exc.code or ""
            # PGRST000-PGRST003: PostgREST cannot reach or use the database. No code at all, or a 3-digit HTTP
            # status in its place (the client's fallback for non-PostgREST bodies): a proxy or gateway answered.
            gateway = not code or (len(code) == 3 and code.isdigit() and int(code) >= 500)
            if code.startswith("PGRST00") or gateway:
                raise Unavailable(detail=f"PostgREST {code}: {exc.message}") from exc
            details = exc.details if isinstance(exc.details, str) else None
            err = error_from_sqlstate(code, exc.message, exc.hint, details)
            if type(err) is StoreError:
                logger.error("data function %s failed with code %s", fn, code)
            raise err from exc
        except httpx.HTTPError as exc:
            raise Unavailable(detail=f"Supabase unreachable: {type(exc).__name__}") from exc
        return response.data
