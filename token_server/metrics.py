"""Prometheus metrics of the token server, served at GET /metrics (prometheus_client's text exposition).

What is counted, by `MetricsMiddleware` around the whole app (so 413s of the body cap, 429s of the rate limits and
500s are seen too): requests by route template, method and status class; latency by route template and method;
rate-limit refusals by route template; kiosk sessions handed out, member or visitor. Labels are route templates
(`/v1/gyms/{slug}/sessions/{session_id}`), never raw paths — no gym, session, kiosk or badge in a label, and a
bounded number of series whatever paths or methods clients send (`unmatched`, `other`). /metrics itself is not
counted (scrapes would drown the real traffic).

Who may read it: the counts carry no personal data, but they tell how busy a gym's kiosks are, and the token server
faces the internet. With JARVIS_METRICS_TOKEN set, /metrics needs `Authorization: Bearer <token>` from anywhere.
Unset, it answers only clients on loopback or private networks that reached it directly — a request carrying
X-Forwarded-For or Forwarded came through a proxy, so possibly from the internet, and is refused (a Prometheus in the
same Docker network scrapes without one).

`serve --workers N` runs N uvicorn processes, each with its own counters: with N > 1, `serve` turns on
prometheus_client's multiprocess mode (`use_multiprocess_dir`, before uvicorn spawns the workers) and /metrics sums
every process's files, whichever worker answers the scrape. Only counters and histograms are used here: their
samples stay right across a worker that died and was replaced (no live gauges to clean up).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jarvis_agent.settings import Settings

from .problems import problem_response

METRICS_PATH = "/metrics"
KIOSK_SESSIONS_ROUTE = "/v1/kiosk/sessions"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
# Loopback, RFC 1918, IPv6 unique-local and link-local: where a scraper beside the server is (ipaddress's
# `is_private` would also take the documentation and benchmarking ranges).
LOCAL_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
                                                         "192.168.0.0/16", "169.254.0.0/16", "::1/128", "fc00::/7",
                                                         "fe80::/10"))
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter("jarvis_token_server_requests", "HTTP requests by route template, method and status class "
                   "(2xx, 4xx, 5xx…)", ["route", "method", "status"])
LATENCY = Histogram("jarvis_token_server_request_duration_seconds", "Time from request to the end of the response, "
                    "by route template and method", ["route", "method"], buckets=HTTP_BUCKETS)
RATE_LIMITED = Counter("jarvis_token_server_rate_limited", "Requests refused by a rate limit (429), by route "
                       "template", ["route"])
KIOSK_SESSIONS = Counter("jarvis_token_server_kiosk_sessions", "Kiosk sessions opened (a room token handed out), "
                         "visitor or member", ["visitor"])

# Decided when prometheus_client was imported (PROMETHEUS_MULTIPROC_DIR then): the metrics above write to files only
# in that case, so that — not the environment now — says where /metrics must read them.
MULTIPROCESS = values.ValueClass is not values.MutexValue


def use_multiprocess_dir(directory: Path) -> Path:
    """Multiprocess mode for the uvicorn workers about to be spawned: PROMETHEUS_MULTIPROC_DIR for them, emptied of a
    previous run's files (prometheus_client's rule). A directory the operator already set is used as it is."""
    if configured := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return Path(configured)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


def route_template(scope: Scope) -> str:
    """The template of the route that served this request, `unmatched` for none. Once routed, the route the router
    put in the scope (a 405 gets its path's route too); for an answer given before routing (the body cap's 413), the
    route the router would have picked."""
    if (path := getattr(scope.get("route"), "path", None)) is not None:
        return str(path)
    return _match(getattr(scope.get("app"), "routes", ()), scope) or UNMATCHED


def _match(routes: Iterable[Any], scope: Scope) -> str | None:
    partial: str | None = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.NONE:
            continue
        path = getattr(route, "path", None)
        if path is None:  # FastAPI 0.16x includes a router lazily, as one route: look at the router's own
            path = _match(getattr(getattr(route, "original_router", None), "routes", ()), scope)
        if match is Match.FULL and path is not None:
            return str(path)
        partial = partial or path
    return partial


class MetricsMiddleware:
    """Counts every HTTP request but scrapes. Pure ASGI: it sees the status even of answers that middleware inside
    it gave (413) or of an exception (500), and reads the body of an opened kiosk session only to count it as
    visitor or member — counted from the answer the kiosk got, so a session is counted once it was handed out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in METHODS else "other"
        status = 500  # no answer started: the exception reaches the server error handler
        opens_session = False
        body = bytearray()

        async def observed_send(message: Message) -> None:
            nonlocal status, opens_session
            if message["type"] == "http.response.start":
                status = message["status"]
                opens_session = (status == 201 and method == "POST"
                                 and route_template(scope) == KIOSK_SESSIONS_ROUTE)
            elif opens_session and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    _count_kiosk_session(bytes(body))
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, observed_send)
        finally:
            route = route_template(scope)
            if route != METRICS_PATH:
                _record(route, method, status, time.perf_counter() - started)


def _record(route: str, method: str, status: int, seconds: float) -> None:
    LATENCY.labels(route, method).observe(seconds)
    REQUESTS.labels(route, method, f"{status // 100}xx").inc()
    if status == 429:
        RATE_LIMITED.labels(route).inc()


def _count_kiosk_session(body: bytes) -> None:
    try:
        visitor = json.loads(body).get("visitor")
    except (ValueError, AttributeError):
        return
    if isinstance(visitor, bool):
        KIOSK_SESSIONS.labels(str(visitor).lower()).inc()


def _is_local(host: str | None) -> bool:
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in LOCAL_NETWORKS)


def refusal(request: Request, settings: Settings) -> Response | None:
    """None when this caller may read /metrics, else the problem+json answer (see the module's docstring)."""
    token = settings.jarvis_metrics_token.get_secret_value().strip() if settings.jarvis_metrics_token else ""
    if token:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return None
        return problem_response(401, "unauthorized", "Authentification requise.",
                                headers={"WWW-Authenticate": "Bearer"})
    proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    if not proxied and _is_local(request.client.host if request.client else None):
        return None
    return problem_response(403, "metrics_forbidden", "Métriques réservées au réseau interne.",
                            "set JARVIS_METRICS_TOKEN to scrape from elsewhere")


def exposition() -> bytes:
    """The text exposition of this process's metrics, or of every worker's in multiprocess mode."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def install(app: FastAPI, settings: Settings) -> None:
    """The counting middleware (call after the app's other middleware, so it wraps them) and GET /metrics."""
    app.add_middleware(MetricsMiddleware)

    def metrics(request: Request) -> Response:  # sync: reading the multiprocess files runs in the thread pool
        if (refused := refusal(request, settings)) is not None:
            return refused
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    app.add_api_route(METRICS_PATH, metrics, methods=["GET"], include_in_schema=False)
