"""Layer 1: the session context a kiosk conversation starts with.

`load_context` gathers, under one latency budget (JARVIS_CONTEXT_BUDGET_MS, 300 ms by default):
- the core, from the database in one call: gym, active member (visits, contract, churn score), preferred coach,
  local date and time;
- then, concurrently, the optional sources: the last five session summaries and the local weather (Open-Meteo,
  cached per gym for 10 minutes).
An optional source that fails or misses the deadline is left out and logged; the greeting never waits for it. If
the database itself is late or down, the context degrades to the gym's slug and visitor mode rather than blocking.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime
from typing import Any, Literal
from uuid import UUID
from zoneinfo import ZoneInfo

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from .french import WEEKDAYS
from .settings import Settings
from .store import NotFound, Store

logger = logging.getLogger("jarvis.context")

MemberStatus = Literal["active", "visitor", "unknown_badge", "inactive", "unavailable"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OpeningHours(_Model):
    weekday: str
    open: str
    close: str


class Gym(_Model):
    slug: str
    id: UUID | None = None  # None when the database could not be reached
    name: str | None = None
    address: str = ""
    postal_code: str = ""
    city: str = ""
    timezone: str = "Europe/Paris"
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None
    opening_hours: list[OpeningHours] = []
    open_now: bool | None = None
    amenities: list[str] = []
    occupancy: dict[str, Any] | None = None


class Member(_Model):
    id: UUID
    first_name: str
    last_name: str
    age: int | None = None
    goal: str
    goal_note: str | None = None
    level: str
    member_since: str
    contract: dict[str, Any]
    churn: dict[str, Any] | None = None
    visits: dict[str, Any]


class Coach(_Model):
    first_name: str
    last_name: str
    specialties: list[str] = []


class PastSession(_Model):
    date: str
    summary: str | None = None
    sentiment: str | None = None
    sentiment_score: float | None = None


class Weather(_Model):
    temperature_c: float
    description: str
    wind_kmh: float | None = None


class LocalNow(_Model):
    date: str
    time: str
    weekday: str


class SessionContext(_Model):
    gym: Gym
    now: LocalNow
    member_status: MemberStatus
    member: Member | None = None
    coach: Coach | None = None
    history: list[PastSession] = []
    weather: Weather | None = None
    left_out: list[str] = []  # sources missing from this context (late or failing)

    @property
    def is_member(self) -> bool:
        return self.member is not None


# WMO weather interpretation codes (Open-Meteo `weather_code`) in French.
_WMO = {0: "ciel dégagé", 1: "plutôt dégagé", 2: "partiellement nuageux", 3: "couvert", 45: "brouillard",
        48: "brouillard givrant", 51: "bruine légère", 53: "bruine", 55: "bruine dense", 56: "bruine verglaçante",
        57: "bruine verglaçante", 61: "pluie faible", 63: "pluie", 65: "forte pluie", 66: "pluie verglaçante",
        67: "pluie verglaçante", 71: "neige faible", 73: "neige", 75: "forte neige", 77: "grains de neige",
        80: "averses", 81: "averses", 82: "fortes averses", 85: "averses de neige", 86: "averses de neige",
        95: "orage", 96: "orage avec grêle", 99: "orage avec grêle"}


class WeatherService:
    """Current weather from Open-Meteo, cached per location; failures are cached briefly too (no hammering)."""

    FAILURE_TTL_S = 60.0

    def __init__(self, url: str, *, timeout_s: float = 0.25, cache_s: float = 600.0,
                 client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.cache_s = cache_s
        self._client = client or httpx.AsyncClient(timeout=timeout_s)
        self._cache: dict[tuple[float, float], tuple[float, Weather | None]] = {}
        self._inflight: dict[tuple[float, float], asyncio.Task[Weather | None]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> WeatherService | None:
        if not settings.jarvis_weather_enabled:
            return None
        return cls(settings.jarvis_weather_url, timeout_s=settings.jarvis_weather_timeout_ms / 1000,
                   cache_s=settings.jarvis_weather_cache_s)

    async def current(self, latitude: float, longitude: float) -> Weather | None:
        key = (round(latitude, 2), round(longitude, 2))
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        # One request per location at a time, shared by the sessions starting together (and finishing in the
        # background when a session stops waiting: the next one finds it cached).
        task = self._inflight.get(key)
        if task is None:
            task = self._inflight[key] = asyncio.create_task(self._fetch(key))
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _fetch(self, key: tuple[float, float]) -> Weather | None:
        try:
            response = await self._client.get(self.url, params={
                "latitude": key[0], "longitude": key[1], "timezone": "auto",
                "current": "temperature_2m,weather_code,wind_speed_10m"})
            response.raise_for_status()
            current = response.json()["current"]
            weather = Weather(temperature_c=current["temperature_2m"],
                              description=_WMO.get(int(current["weather_code"]), "temps variable"),
                              wind_kmh=current.get("wind_speed_10m"))
        except (httpx.HTTPError, KeyError, TypeError, ValueError) as exc:
            logger.warning("weather unavailable: %s", type(exc).__name__)
            self._cache[key] = (time.monotonic() + self.FAILURE_TTL_S, None)
            return None
        self._cache[key] = (time.monotonic() + self.cache_s, weather)
        return weather

    async def aclose(self) -> None:
        await self._client.aclose()


def _fallback_now(timezone: str) -> LocalNow:
    now = datetime.now(ZoneInfo(timezone))
    return LocalNow(date=now.date().isoformat(), time=now.strftime("%H:%M"), weekday=WEEKDAYS[now.weekday()])


def _abandon(task: asyncio.Task[Any]) -> TimeoutError:
    """Cancel a late source without waiting for it (its outcome, if any, is consumed)."""
    task.cancel()
    task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return TimeoutError()


async def load_context(store: Store, gym_slug: str, badge_id: str | None, *, budget_s: float = 0.3,
                       weather: WeatherService | None = None) -> SessionContext:
    """The context of a session that starts now. Raises NotFound for an unknown gym; degrades on anything else."""
    deadline = asyncio.get_running_loop().time() + budget_s

    def remaining() -> float:
        return max(0.0, deadline - asyncio.get_running_loop().time())

    # Late work is abandoned, not awaited: cancelling a database call waits for the server to acknowledge it.
    core_task = asyncio.create_task(store.session_context(gym_slug, badge_id))
    await asyncio.wait([core_task], timeout=remaining())
    failure = _abandon(core_task) if not core_task.done() else core_task.exception()
    if isinstance(failure, NotFound):
        raise failure
    if failure is not None:
        logger.warning("session context unavailable (%s): starting in visitor mode", type(failure).__name__)
        return SessionContext(gym=Gym(slug=gym_slug), now=_fallback_now("Europe/Paris"),
                              member_status="unavailable", left_out=["database"])
    core = core_task.result()
    try:
        gym = Gym.model_validate(core["gym"])
        member = Member.model_validate(core["member"]) if core.get("member") else None
        coach = Coach.model_validate(core["coach"]) if core.get("coach") else None
        now = LocalNow.model_validate(core["now"])
    except (ValidationError, KeyError, TypeError) as exc:  # a schema mismatch: degrade, never block the greeting
        logger.error("session context malformed (%s): starting in visitor mode", type(exc).__name__)
        return SessionContext(gym=Gym(slug=gym_slug), now=_fallback_now("Europe/Paris"),
                              member_status="unavailable", left_out=["database"])
    optional: dict[str, asyncio.Task[Any]] = {}
    if member is not None:
        optional["history"] = asyncio.create_task(store.get_session_history(gym.id, member.id))
    if weather is not None and gym.latitude is not None and gym.longitude is not None:
        optional["weather"] = asyncio.create_task(weather.current(gym.latitude, gym.longitude))
    results: dict[str, Any] = {}
    left_out: list[str] = []
    if optional:
        _, pending = await asyncio.wait(optional.values(), timeout=remaining())
        for name, task in optional.items():
            if task in pending:
                _abandon(task)
                left_out.append(name)
                logger.warning("context source %s missed the %.0f ms budget: left out", name, budget_s * 1000)
            elif task.exception() is not None:
                left_out.append(name)
                logger.warning("context source %s failed (%s): left out", name, type(task.exception()).__name__)
            elif task.result() is None:
                left_out.append(name)
            else:
                results[name] = task.result()
    history: list[PastSession] = []
    if "history" in results:
        try:
            history = [PastSession.model_validate(s) for s in results["history"]["sessions"]]
        except (ValidationError, KeyError, TypeError):
            left_out.append("history")
    return SessionContext(gym=gym, now=now, member_status=core["member_status"], member=member, coach=coach,
                          history=history, weather=results.get("weather"), left_out=left_out)
