"""Request and response bodies of the token server (they are its OpenAPI schema)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

T = TypeVar("T")
ChurnLevel = Literal["LOW", "MEDIUM", "HIGH", "CRITICAL"]
MissionStatus = Literal["open", "in_progress", "done", "cancelled"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: Literal["ok", "down"]
    redis: Literal["ok", "down"]
    livekit: Literal["configured", "not_configured"]


# --- Kiosk sessions ----------------------------------------------------------------------------------------------

class KioskSessionRequest(Strict):
    badge_id: str | None = Field(default=None, max_length=256, description="the scanned badge; null for a visitor",
                                 examples=["PB-000123"])

    @field_validator("badge_id")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        """Badge readers that type like keyboards append CR, LF or tabs."""
        return value.strip() if value is not None else None


class KioskSession(BaseModel):
    session_id: UUID
    room: str = Field(description="the LiveKit room to join; the agent `jarvis` is dispatched into it")
    server_url: str = Field(description="the LiveKit server (wss://…)")
    participant_token: str = Field(description="a LiveKit access token for this room only")
    identity: str
    expires_at: datetime
    gym_slug: str
    visitor: bool = Field(description="true when no active member matched the badge: Jarvis talks to a visitor")
    visitor_reason: Literal["no_badge", "unknown_badge", "inactive_badge"] | None = None


# --- Dashboard ---------------------------------------------------------------------------------------------------

class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ManagedGym(BaseModel):
    gym_slug: str
    name: str
    city: str
    timezone: str
    role: Literal["owner", "manager", "staff"]
    manager_name: str


class Me(BaseModel):
    user_id: UUID
    gyms: list[ManagedGym]


class ChurnFactor(BaseModel):
    feature: str
    value: float | None
    contribution: float = Field(description="XGBoost contribution to the risk, in log-odds")
    label: str = Field(examples=["18 jours sans visite"])
    recommendation: str


class AtRiskMember(BaseModel):
    member_id: UUID
    first_name: str
    last_name: str
    churn_score: float | None
    churn_level: ChurnLevel | None
    factors: list[ChurnFactor]
    scored_at: datetime | None
    model_version: str | None
    contract_end: date
    last_visit_at: datetime | None


class MemberRef(BaseModel):
    member_id: UUID
    first_name: str
    last_name: str


class Mission(BaseModel):
    mission_id: UUID
    title: str
    description: str
    priority: Literal["low", "medium", "high", "urgent"]
    status: MissionStatus
    due_date: date | None
    source: Literal["jarvis", "analytics", "manager"]
    session_id: UUID | None
    member: MemberRef | None
    created_at: datetime
    updated_at: datetime


class MissionUpdate(Strict):
    status: MissionStatus


class SessionSummary(BaseModel):
    session_id: UUID
    kiosk_id: str | None
    status: Literal["started", "ended", "failed"]
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    summary: str | None
    sentiment_score: float | None
    sentiment_label: Literal["positive", "neutral", "negative"] | None
    analytics_status: str
    turns: int
    member: MemberRef | None


class ToolCall(BaseModel):
    seq: int
    tool: str
    arguments: dict[str, Any]
    result: str | None
    error: str | None
    latency_ms: float | None


class SessionDetail(SessionSummary):
    transcript: list[dict[str, Any]]
    analytics: dict[str, Any] | None
    tool_calls: list[ToolCall]


class DayStat(BaseModel):
    day: date
    sessions: int
    sentiment: float | None = Field(description="mean session sentiment in [-1, 1] that day")


class ToolStat(BaseModel):
    tool: str
    calls: int
    errors: int
    p50_ms: float | None


class Latency(BaseModel):
    turns: int
    p50: float | None
    p90: float | None
    p95: float | None
    p99: float | None


class Stats(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    days: int
    from_: date = Field(alias="from")
    to: date
    sessions_per_day: list[DayStat]
    churn_levels: dict[str, int]
    tool_usage: list[ToolStat]
    turn_latency_ms: Latency
