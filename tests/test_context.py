"""Layer 1 context: sources, the latency budget, weather (Open-Meteo DOUBLE, tests/doubles/providers.py) and cache.

Stalled database sources are real: another transaction holds a lock on the table the source reads."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import psycopg
import pytest

from jarvis_agent.context import WeatherService, load_context
from jarvis_agent.store import NotFound
from jarvis_agent.store.postgres import PostgresStore

from .doubles.providers import OpenMeteoDouble


@pytest.fixture
def meteo() -> Iterator[OpenMeteoDouble]:
    double = OpenMeteoDouble().start()
    yield double
    double.stop()


@pytest.fixture
async def weather(meteo: OpenMeteoDouble) -> AsyncIterator[WeatherService]:
    service = WeatherService(meteo.forecast_url, timeout_s=2.0, cache_s=600)
    yield service
    await service.aclose()


async def test_a_members_context(store: PostgresStore, db_url: str, demo, weather: WeatherService, meteo) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute("delete from voice_sessions where member_id = %s", (demo.member,))
    for i in range(2):
        await store.persist_voice_session({"id": str(uuid.uuid4()), "gym_id": str(demo.paris),
                                           "member_id": str(demo.member), "summary": f"résumé {i}",
                                           "started_at": f"2026-11-1{i}T10:00:00+01:00"})
    ctx = await load_context(store, "paris-bastille", demo.member_badge, weather=weather)
    assert ctx.member_status == "active" and ctx.member.id == demo.member
    assert ctx.member.first_name == demo.member_first_name
    assert ctx.coach.first_name == demo.coach_first_name
    assert [h.summary for h in ctx.history] == ["résumé 1", "résumé 0"]
    assert ctx.weather.temperature_c == 11.4 and ctx.weather.description == "pluie faible"
    assert ctx.gym.name == "Énergie Fitness Paris Bastille" and ctx.gym.timezone == "Europe/Paris"
    assert ctx.left_out == []
    assert meteo.requests[0]["latitude"] == "48.86" and meteo.requests[0]["longitude"] == "2.37"


async def test_a_visitors_context(ro_store: PostgresStore, weather: WeatherService) -> None:
    for badge, status in ((None, "visitor"), ("PB-999999", "unknown_badge")):
        ctx = await load_context(ro_store, "paris-bastille", badge, weather=weather)
        assert ctx.member_status == status and ctx.member is None and ctx.coach is None and ctx.history == []
        assert ctx.weather is not None and ctx.gym.id is not None


async def test_an_unknown_gym_is_not_found(ro_store: PostgresStore) -> None:
    with pytest.raises(NotFound):
        await load_context(ro_store, "atlantide", "X-1")


async def test_a_stalled_weather_source_does_not_break_the_budget(ro_store: PostgresStore, demo, meteo,
                                                                 weather: WeatherService,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    meteo.delay_s = 5.0
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="jarvis.context"):
        ctx = await load_context(ro_store, "paris-bastille", demo.member_badge, budget_s=0.3, weather=weather)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.45, elapsed
    assert ctx.weather is None and ctx.left_out == ["weather"]
    assert ctx.member is not None  # the rest of the context is there
    assert "weather missed the 300 ms budget" in caplog.text
    assert demo.member_first_name not in caplog.text  # no personal data in logs


async def test_weather_is_cached_per_gym_and_failures_briefly(ro_store: PostgresStore, demo, meteo,
                                                             weather: WeatherService) -> None:
    await load_context(ro_store, "paris-bastille", demo.member_badge, weather=weather)
    await load_context(ro_store, "paris-bastille", None, weather=weather)
    assert len(meteo.requests) == 1
    await load_context(ro_store, "lyon-part-dieu", None, weather=weather)
    assert len(meteo.requests) == 2
    meteo.status = 503
    down = WeatherService(meteo.forecast_url, timeout_s=2.0)
    first = await load_context(ro_store, "paris-bastille", None, weather=down)
    second = await load_context(ro_store, "paris-bastille", None, weather=down)
    assert first.weather is None and second.weather is None and first.left_out == ["weather"]
    assert len(meteo.requests) == 3  # the failure is remembered: no new request for the second session
    await down.aclose()


async def test_disabled_weather(ro_store: PostgresStore, demo, meteo) -> None:
    from jarvis_agent.settings import Settings

    assert WeatherService.from_settings(Settings(_env_file=None, jarvis_weather_enabled=False)) is None
    ctx = await load_context(ro_store, "paris-bastille", demo.member_badge, weather=None)
    assert ctx.weather is None and ctx.left_out == [] and meteo.requests == []


async def test_a_stalled_history_is_left_out(store: PostgresStore, db_url: str, demo, weather) -> None:
    with psycopg.connect(db_url) as locker:
        locker.execute("lock table voice_sessions in access exclusive mode")
        started = time.perf_counter()
        ctx = await load_context(store, "paris-bastille", demo.member_badge, budget_s=0.3, weather=weather)
        elapsed = time.perf_counter() - started
        locker.rollback()
    assert elapsed < 0.45, elapsed
    assert ctx.left_out == ["history"] and ctx.history == []
    assert ctx.member is not None and ctx.weather is not None


async def test_a_stalled_database_degrades_to_visitor_mode(store: PostgresStore, db_url: str, demo) -> None:
    with psycopg.connect(db_url) as locker:
        locker.execute("lock table gyms in access exclusive mode")
        started = time.perf_counter()
        ctx = await load_context(store, "paris-bastille", demo.member_badge, budget_s=0.3)
        elapsed = time.perf_counter() - started
        locker.rollback()
    assert elapsed < 0.45, elapsed
    assert ctx.member_status == "unavailable" and ctx.member is None and ctx.gym.id is None
    assert ctx.gym.slug == "paris-bastille" and ctx.left_out == ["database"]
    assert ctx.now.date  # still knows the date for the greeting


async def test_a_malformed_context_degrades_instead_of_failing(store: PostgresStore, db_url: str, demo) -> None:
    with psycopg.connect(db_url) as conn:  # a database answering with another schema (a half-done deploy)
        conn.execute("create or replace function public.session_context(p_gym_slug text, p_badge_id text default null)"
                     " returns jsonb language sql as $$ select '{\"gym\": {\"slug\": 5}}'::jsonb $$")
    ctx = await load_context(store, "paris-bastille", demo.member_badge)
    assert ctx.member_status == "unavailable" and ctx.left_out == ["database"]
