"""DOUBLE of Supabase's PostgREST RPC endpoint (POST /rest/v1/rpc/<fn>), for tests only.

Hosted Supabase cannot be reached from the test machines, so this local HTTP server stands in for it at the network
boundary. It checks what the real `supabase` client sends (method, path, apikey and bearer headers, JSON body of
named parameters) and answers as PostgREST does: it resolves the body against the function's declared argument types
with `json_to_record` on a real Postgres, returns the function's json result with 200, or PostgREST's error shape
`{code, message, details, hint}` (400, or 404 PGRST202 for an unknown function or parameter set).
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import Any

import psycopg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .server import LocalServer

_PARAM = re.compile(r"^p_[a-z_]+$")


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class PostgrestDouble(LocalServer):
    def __init__(self, db_url: str, api_key: str) -> None:
        super().__init__([Route("/rest/v1/rpc/{fn}", self._rpc, methods=["GET", "POST", "PATCH", "DELETE"])])
        self.db_url = db_url
        self.api_key = api_key
        self.requests: list[RecordedRequest] = []
        # answer every call with this (status, body): a PostgREST-side failure
        self.outage: tuple[int, dict] | None = None

    async def _rpc(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.requests.append(RecordedRequest(request.method, request.url.path, dict(request.headers), body))
        if request.headers.get("apikey") != self.api_key or \
                request.headers.get("authorization") != f"Bearer {self.api_key}":
            return JSONResponse({"code": "PGRST301", "message": "JWT invalid", "details": None, "hint": None}, 401)
        if request.method != "POST" or not request.headers.get("content-type", "").startswith("application/json"):
            return JSONResponse({"code": "PGRST102", "message": "expected a JSON POST", "details": None,
                                 "hint": None}, 400)
        if not isinstance(body, dict) or not all(_PARAM.match(k) for k in body):
            return JSONResponse({"code": "PGRST102", "message": "body must be an object of p_* parameters",
                                 "details": None, "hint": None}, 400)
        if self.outage is not None:
            return JSONResponse(self.outage[1], self.outage[0])
        status, payload = await asyncio.to_thread(self._call, request.path_params["fn"], body)
        return Response(payload, status, media_type="application/json")

    def _call(self, fn: str, body: dict) -> tuple[int, str]:
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            row = conn.execute(
                "select pg_get_function_identity_arguments(p.oid) from pg_proc p join pg_namespace n "
                "on n.oid = p.pronamespace where n.nspname = 'public' and p.proname = %s", (fn,)).fetchone()
            declared = dict(arg.split(" ", 1) for arg in row[0].split(", ")) if row and row[0] else {}
            if row is None or not set(body) <= set(declared):
                return 404, json.dumps({"code": "PGRST202", "message": f"Could not find the function public.{fn}",
                                        "details": None, "hint": None})
            names = sorted(body)
            args = ", ".join(f"{n} := _.{n}" for n in names)
            record = ", ".join(f"{n} {declared[n]}" for n in names) or "_dummy int"
            try:
                result = conn.execute(f"select public.{fn}({args}) from json_to_record(%s::json) as _({record})",
                                      (json.dumps(body),)).fetchone()[0]
            except psycopg.Error as exc:
                diag = exc.diag
                return 400, json.dumps({"code": exc.sqlstate, "message": diag.message_primary,
                                        "details": diag.message_detail or None, "hint": diag.message_hint or None})
            return 200, json.dumps(result)
