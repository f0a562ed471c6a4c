"""The token server on the real embedded Postgres (a fresh copy of the demo per test) and Redis, through Starlette's
TestClient (the app's lifespan runs). The LiveKit SFU is not reachable here and not needed: tokens are signed
locally with a test key pair and checked with livekit-api's TokenVerifier."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from jarvis_agent.settings import Settings
from jarvis_agent.store.postgres import PostgresStore
from token_server.app import create_app
from token_server.security import KioskKey, mint_manager_token, new_kiosk_key

LIVEKIT = {"livekit_url": "wss://livekit.test.invalid", "livekit_api_key": "APItestkey",
           "livekit_api_secret": "test-livekit-secret-0123456789abcdef"}
T = TypeVar("T")
JWT_SECRET = "test-supabase-jwt-secret-0123456789abcdef"


def settings_for(db_url: str, redis_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"database_url": db_url, "redis_url": redis_url, "jarvis_data_dir": data_dir,
                                 "jarvis_auto_migrate": False, "supabase_jwt_secret": JWT_SECRET,
                                 "jarvis_rate_limit_kiosk_per_min": 1000, "jarvis_rate_limit_ip_per_min": 10_000,
                                 **LIVEKIT}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def with_store(db_url: str, action: Callable[[PostgresStore], Awaitable[T]]) -> T:
    """Run `action(store)` on a store of `db_url` from a synchronous test (the TestClient's tests are)."""
    async def run() -> T:
        store = await PostgresStore.connect(db_url)
        try:
            return await action(store)
        finally:
            await store.close()
    return asyncio.run(run())


def register_kiosk(db_url: str, gym_slug: str = "paris-bastille", name: str = "Accueil") -> tuple[KioskKey, UUID]:
    key = new_kiosk_key()
    kiosk = with_store(db_url, lambda store: store.register_kiosk(gym_slug, name, key.hash, key.prefix))
    return key, UUID(kiosk["kiosk_id"])


@dataclass
class Server:
    client: TestClient
    settings: Settings
    db_url: str

    def manager_headers(self, user: UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_manager_token(JWT_SECRET, user)}"}


@pytest.fixture
def make_server(db_url: str, redis_url: str, redis_conn, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """`make_server(**settings)`: the app on a fresh demo database, started; stopped after the test."""
    clients: list[TestClient] = []

    def make(**overrides: object) -> Server:
        urls = {"db_url": overrides.pop("database_url", db_url), "redis_url": overrides.pop("redis_url", redis_url)}
        settings = settings_for(urls["db_url"], urls["redis_url"], tmp_path / "data", **overrides)
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return Server(client, settings, db_url)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def server(make_server: Callable[..., Server]) -> Server:
    return make_server()
