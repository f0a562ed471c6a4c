"""What every request may need (the store, Redis, the rate limiter, settings), held once by the app, and the
FastAPI dependencies that authenticate callers and apply the per-IP limit."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

import redis.asyncio as aioredis
from fastapi import Depends, Request, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from jarvis_agent.settings import Settings
from jarvis_agent.store import Store

from .limits import Limit, RateLimiter
from .problems import ProblemError
from .security import hash_key, verify_manager_token


@dataclass
class Runtime:
    settings: Settings
    store: Store
    redis: aioredis.Redis
    limiter: RateLimiter
    jwt_secret: str | None  # None: manager authentication is not configured (503 on dashboard routes)


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime


Rt = Annotated[Runtime, Depends(runtime)]


def client_bucket(host: str | None) -> str:
    """The client's address; an IPv6 client by its /64 (one subscriber holds a whole /64)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return host or "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


async def limit_ip(request: Request, response: Response, rt: Rt) -> None:
    """The per-IP limit of every /v1 route; their answers carry member data and tokens: never cached."""
    response.headers["Cache-Control"] = "no-store"
    host = request.client.host if request.client else None
    await rt.limiter.check(Limit("ip", client_bucket(host), rt.settings.jarvis_rate_limit_ip_per_min))


_kiosk_key = APIKeyHeader(name="X-Kiosk-Key", auto_error=False, description="the kiosk's API key (jk_…)")
_bearer = HTTPBearer(auto_error=False, description="a Supabase access token of a gym manager")


def _unauthorised(code: str, title: str, scheme: str) -> ProblemError:
    return ProblemError(401, code, title, headers={"WWW-Authenticate": scheme})


async def kiosk_key_hash(key: Annotated[str | None, Depends(_kiosk_key)], rt: Rt) -> str:
    """The SHA-256 of the presented key, after its own rate limit (counted before the database sees the key)."""
    if not key:
        raise _unauthorised("missing_kiosk_key", "Clé de borne manquante.", "X-Kiosk-Key")
    digest = hash_key(key)
    await rt.limiter.check(Limit("kiosk", digest[:32], rt.settings.jarvis_rate_limit_kiosk_per_min))
    return digest


async def manager(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)], rt: Rt) -> UUID:
    """The auth user id of the calling manager (the JWT's sub)."""
    if credentials is None:
        raise _unauthorised("missing_token", "Jeton de gérant manquant.", "Bearer")
    if rt.jwt_secret is None:
        raise ProblemError(503, "jwt_secret_missing", "Authentification des gérants non configurée.")
    return verify_manager_token(rt.jwt_secret, credentials.credentials)


Manager = Annotated[UUID, Depends(manager)]
