"""The manager dashboard's REST API, `/v1/me` and `/v1/gyms/{slug}/…`: read one gym's analytics with a manager
token. Access is checked in SQL on every call (the token's user must manage the gym); another gym's data answers 404,
the same as a gym that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from .deps import Manager, Rt, limit_ip
from .models import (
    AtRiskMember,
    ChurnLevel,
    Me,
    Mission,
    MissionStatus,
    MissionUpdate,
    Page,
    SessionDetail,
    SessionSummary,
    Stats,
)
from .problems import responses

router = APIRouter(prefix="/v1", tags=["dashboard"], dependencies=[Depends(limit_ip)])

Slug = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$", description="the gym's slug",
                           examples=["paris-bastille"])]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
READ = responses(401, 404, 422, 429, 503)


@router.get("/me", response_model=Me, responses=responses(401, 429, 503), summary="The gyms this manager manages")
async def me(user: Manager, rt: Rt) -> Me:
    return Me(user_id=user, gyms=await rt.store.manager_gyms(user))


@router.get("/gyms/{slug}/members/at-risk", response_model=Page[AtRiskMember], responses=READ,
            summary="Members most at risk of leaving, with their factors")
async def at_risk_members(slug: Slug, user: Manager, rt: Rt, min_level: ChurnLevel = "HIGH", limit: Limit = 50,
                          offset: Offset = 0) -> Page[AtRiskMember]:
    return await rt.store.dashboard_at_risk_members(user, slug, min_level=min_level, limit=limit, offset=offset)


@router.get("/gyms/{slug}/missions", response_model=Page[Mission], responses=READ,
            summary="Missions for the manager, most urgent first")
async def missions(slug: Slug, user: Manager, rt: Rt, status: MissionStatus | None = None, limit: Limit = 50,
                   offset: Offset = 0) -> Page[Mission]:
    return await rt.store.dashboard_missions(user, slug, status=status, limit=limit, offset=offset)


@router.patch("/gyms/{slug}/missions/{mission_id}", response_model=Mission,
              responses=responses(400, 401, 404, 413, 422, 429, 503), summary="Change a mission's status")
async def update_mission(slug: Slug, mission_id: UUID, body: MissionUpdate, user: Manager, rt: Rt) -> Mission:
    return await rt.store.dashboard_update_mission(user, slug, mission_id, body.status)


@router.get("/gyms/{slug}/sessions", response_model=Page[SessionSummary], responses=READ,
            summary="Kiosk sessions, newest first")
async def sessions(slug: Slug, user: Manager, rt: Rt,
                   from_: Annotated[datetime | None, Query(alias="from", description="started at or after")] = None,
                   to: Annotated[datetime | None, Query(description="started before")] = None,
                   member_id: UUID | None = None, sentiment: Annotated[str | None, Query(
                       pattern="^(positive|neutral|negative)$")] = None,
                   status: Annotated[str | None, Query(pattern="^(started|ended|failed)$")] = None,
                   limit: Limit = 50, offset: Offset = 0) -> Page[SessionSummary]:
    return await rt.store.dashboard_sessions(user, slug, from_=_aware(from_), to=_aware(to), member_id=member_id,
                                             sentiment=sentiment, status=status, limit=limit, offset=offset)


@router.get("/gyms/{slug}/sessions/{session_id}", response_model=SessionDetail, responses=READ,
            summary="One session: transcript, tool calls, analytics")
async def session(slug: Slug, session_id: UUID, user: Manager, rt: Rt) -> SessionDetail:
    return await rt.store.dashboard_session(user, slug, session_id)


@router.get("/gyms/{slug}/stats", response_model=Stats, responses=READ,
            summary="Sessions per day, sentiment trend, churn levels, tool usage, turn latency")
async def stats(slug: Slug, user: Manager, rt: Rt, days: Annotated[int, Query(ge=1, le=366)] = 30) -> Stats:
    return await rt.store.dashboard_stats(user, slug, days=days)


def _aware(moment: datetime | None) -> datetime | None:
    """A filter without a UTC offset is read as UTC (a query string rarely carries one)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment
