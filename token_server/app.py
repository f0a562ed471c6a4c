"""The FastAPI application: kiosk sessions, the manager dashboard's REST API and page, health and readiness.

`create_app()` reads the settings; the lifespan opens the data API (embedded Postgres by default, without waiting
for a database that is down: calls then answer 503) and Redis (the rate limits).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import redis.asyncio as aioredis
from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from redis.exceptions import RedisError

from jarvis_agent.asgi import BodyLimitMiddleware
from jarvis_agent.settings import Settings, get_settings
from jarvis_agent.store import StoreError, open_store, redis_url

from . import dashboard, kiosk, metrics, problems
from .deps import Rt, Runtime
from .limits import RateLimiter
from .models import Health, Readiness
from .problems import HTTP_CODES, ProblemError, problem_response
from .security import jwt_secret

logger = logging.getLogger("token_server")
STATIC = Path(__file__).parent / "static"
# The dashboard page loads only what this server serves (no CDN), and talks only to this API.
PAGE_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
LIVEKIT_CLOUD = (".livekit.cloud", ".livekit.run")  # LiveKit Cloud moves a client to a regional host of its domain


def kiosk_page_policy(livekit_url: str | None) -> str:
    """The kiosk page's policy: it also talks to the LiveKit server handed to kiosks (the signalling WebSocket, and
    its HTTP check when the socket fails), plays exercise videos from wherever the library points (https) and
    frames YouTube's and Vimeo's players; its scripts are still only this server's."""
    livekit = ["'self'"]
    if livekit_url and (url := urlsplit(livekit_url)).hostname:
        schemes = ("ws", "http") if url.scheme in ("ws", "http") else ("wss", "https")
        hosts = [url.netloc.rpartition("@")[2], *(f"*{d}" for d in LIVEKIT_CLOUD if url.hostname.endswith(d))]
        livekit += [f"{scheme}://{host}" for host in hosts for scheme in schemes]
    return ("default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; style-src 'self'; "
            f"script-src 'self'; connect-src {' '.join(livekit)}; "
            "frame-src https://www.youtube-nocookie.com https://player.vimeo.com; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            store = await open_store(settings, wait=False)
        except psycopg.OperationalError as exc:  # the database is down at start: serve 503s until it is back
            logger.warning("database unreachable at start (%s): migrations not applied; requests answer 503 until "
                           "it is back", type(exc).__name__)
            store = await open_store(settings.model_copy(update={"jarvis_auto_migrate": False}), wait=False)
        url = await asyncio.to_thread(redis_url, settings)
        connection = aioredis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            secret: str | None = jwt_secret(settings)
        except ProblemError as exc:
            logger.warning("manager dashboard disabled: %s", exc.detail)
            secret = None
        if missing := kiosk.livekit_missing(settings):
            logger.warning("LiveKit is not configured: kiosk sessions answer 503 until %s are set", ", ".join(missing))
        app.state.runtime = Runtime(settings=settings, store=store, redis=connection,
                                    limiter=RateLimiter(connection), jwt_secret=secret)
        try:
            yield
        finally:
            await connection.aclose()
            await store.close()

    app = FastAPI(title="Jarvis token server", version="1.0.0", lifespan=lifespan,
                  description="Kiosk sessions (LiveKit tokens with the agent `jarvis` dispatched) and the gym "
                              "manager's dashboard API. Errors are `application/problem+json`.")
    problems.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.jarvis_max_request_bytes,
                       refuse=lambda status, detail: problem_response(status, *HTTP_CODES[status], detail))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PATCH"],
                           allow_headers=["Authorization", "Content-Type", "X-Kiosk-Key"],
                           expose_headers=["Retry-After"], max_age=600)
    metrics.install(app, settings)  # after the other middleware: it wraps them (sees their 413s)
    app.include_router(kiosk.router)
    app.include_router(dashboard.router)

    @app.get("/healthz", response_model=Health, tags=["ops"], summary="Liveness")
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", response_model=Readiness, tags=["ops"], summary="Readiness: database and Redis reachable",
             responses={503: {"model": Readiness, "description": "A dependency is down"}})
    async def readyz(rt: Rt) -> Response:
        database = redis_ok = False
        with contextlib.suppress(StoreError):
            database = (await rt.store.rpc("ping")).get("ok") is True
        with contextlib.suppress(RedisError, OSError):
            redis_ok = bool(await rt.redis.ping())
        livekit = not kiosk.livekit_missing(settings)
        body = Readiness(status="ready" if database and redis_ok else "not_ready",
                         database="ok" if database else "down", redis="ok" if redis_ok else "down",
                         livekit="configured" if livekit else "not_configured")
        return JSONResponse(body.model_dump(), status_code=200 if body.status == "ready" else 503)

    @app.get("/dashboard", include_in_schema=False)
    async def dashboard_page(_: Request) -> FileResponse:
        return FileResponse(STATIC / "dashboard.html", headers={"Content-Security-Policy": PAGE_POLICY,
                                                               "Cache-Control": "no-cache"})

    kiosk_policy = kiosk_page_policy(settings.jarvis_public_livekit_url or settings.livekit_url)

    @app.get("/kiosk", include_in_schema=False)
    async def kiosk_page(_: Request) -> FileResponse:
        return FileResponse(STATIC / "kiosk.html", headers={"Content-Security-Policy": kiosk_policy,
                                                           "Permissions-Policy": "microphone=(self), camera=()",
                                                           "Cache-Control": "no-cache"})

    app.mount("/dashboard/assets", StaticFiles(directory=STATIC), name="assets")
    app.mount("/kiosk/assets", StaticFiles(directory=STATIC), name="kiosk-assets")
    return app
