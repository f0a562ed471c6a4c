"""The data API as Python sees it: one typed method per SQL function of supabase/migrations.

The logic lives once, in SQL. A `Store` only names the function and its parameters; a transport (direct Postgres or
Supabase PostgREST) carries the call. Both receive the same JSON-compatible parameters — None is left out so the SQL
default applies — and return the function's jsonb result decoded to Python, so results are identical.

Gym and member ids are always parameters chosen by the caller from the session, never text from the model.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic_core import to_jsonable_python

from .errors import InvalidInput

JSON = Any
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def rpc_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as PostgREST receives them: None dropped, UUID/date/datetime as ISO strings."""
    for name, value in params.items():
        if not _IDENTIFIER.match(name):
            raise ValueError(f"invalid parameter name: {name!r}")
        if isinstance(value, str) and "\x00" in value:  # Postgres text cannot hold NUL: refuse it as bad input
            raise InvalidInput("Le texte contient un caractère invalide.", reason="invalid_characters")
    return {name: to_jsonable_python(value) for name, value in params.items() if value is not None}


def aware(value: datetime | str | None) -> datetime | str | None:
    """A moment must carry its UTC offset: a bare "2026-11-24T18:00" would be read in the database session's time
    zone (UTC on Supabase), not the gym's, and book the wrong hour. Malformed text passes through: the database
    reports it as an invalid date."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value
    if parsed.utcoffset() is None:
        raise InvalidInput("L'heure doit préciser son fuseau horaire.", reason="naive_datetime")
    return value


def check_function_name(fn: str) -> str:
    if not _IDENTIFIER.match(fn):
        raise ValueError(f"invalid function name: {fn!r}")
    return fn


class Store(ABC):
    """Async access to the Jarvis data API. Use as `async with` or call `close()`."""

    kind: str

    @abstractmethod
    async def _call(self, fn: str, params: dict[str, Any]) -> JSON:
        """Call SQL function `public.<fn>` with named JSON-compatible parameters; map errors to StoreError."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    async def rpc(self, fn: str, **params: Any) -> JSON:
        return await self._call(check_function_name(fn), rpc_params(params))

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- Session (Layer 1) -----------------------------------------------------------------------------------
    async def session_context(self, gym_slug: str, badge_id: str | None = None) -> JSON:
        return await self.rpc("session_context", p_gym_slug=gym_slug, p_badge_id=badge_id)

    async def member_by_badge(self, gym_id: UUID, badge_id: str) -> JSON:
        return await self.rpc("member_by_badge", p_gym_id=gym_id, p_badge_id=badge_id)

    async def get_session_history(self, gym_id: UUID, member_id: UUID, limit: int | None = None) -> JSON:
        return await self.rpc("get_session_history", p_gym_id=gym_id, p_member_id=member_id, p_limit=limit)

    # --- Knowledge tools -------------------------------------------------------------------------------------
    async def get_member_stats(self, gym_id: UUID, member_id: UUID) -> JSON:
        return await self.rpc("get_member_stats", p_gym_id=gym_id, p_member_id=member_id)

    async def list_member_bookings(self, gym_id: UUID, member_id: UUID, limit: int | None = None) -> JSON:
        return await self.rpc("list_member_bookings", p_gym_id=gym_id, p_member_id=member_id, p_limit=limit)

    async def get_weekly_schedule(self, gym_id: UUID, from_date: date | None = None, days: int | None = None,
                                  category: str | None = None) -> JSON:
        return await self.rpc("get_weekly_schedule", p_gym_id=gym_id, p_from=from_date, p_days=days,
                              p_category=category)

    async def get_gym_info(self, gym_id: UUID) -> JSON:
        return await self.rpc("get_gym_info", p_gym_id=gym_id)

    async def list_coaches(self, gym_id: UUID, specialty: str | None = None) -> JSON:
        return await self.rpc("list_coaches", p_gym_id=gym_id, p_specialty=specialty)

    async def check_coach_availability(self, gym_id: UUID, coach_name: str | None = None,
                                       member_id: UUID | None = None, from_date: date | None = None,
                                       days: int | None = None, duration_minutes: int | None = None) -> JSON:
        return await self.rpc("check_coach_availability", p_gym_id=gym_id, p_coach_name=coach_name,
                              p_member_id=member_id, p_from=from_date, p_days=days,
                              p_duration_minutes=duration_minutes)

    async def get_equipment_status(self, gym_id: UUID, query: str | None = None, status: str | None = None) -> JSON:
        return await self.rpc("get_equipment_status", p_gym_id=gym_id, p_query=query, p_status=status)

    async def get_member_programs(self, gym_id: UUID, member_id: UUID) -> JSON:
        return await self.rpc("get_member_programs", p_gym_id=gym_id, p_member_id=member_id)

    async def search_video_tutorials(self, gym_id: UUID, query: str, limit: int | None = None) -> JSON:
        return await self.rpc("search_video_tutorials", p_gym_id=gym_id, p_query=query, p_limit=limit)

    async def get_nutrition_tips(self, goal: str) -> JSON:
        return await self.rpc("get_nutrition_tips", p_goal=goal)

    async def get_gym_events(self, gym_id: UUID, from_date: date | None = None, limit: int | None = None) -> JSON:
        return await self.rpc("get_gym_events", p_gym_id=gym_id, p_from=from_date, p_limit=limit)

    async def check_class_availability(self, gym_id: UUID, class_name: str | None = None, on_date: date | None = None,
                                       starts_at: datetime | None = None, class_id: UUID | None = None) -> JSON:
        return await self.rpc("check_class_availability", p_gym_id=gym_id, p_class_name=class_name, p_date=on_date,
                              p_starts_at=aware(starts_at), p_class_id=class_id)

    async def get_member_achievements(self, gym_id: UUID, member_id: UUID) -> JSON:
        return await self.rpc("get_member_achievements", p_gym_id=gym_id, p_member_id=member_id)

    async def get_workout_recommendations(self, gym_id: UUID, member_id: UUID, focus: str | None = None,
                                          limit: int | None = None) -> JSON:
        return await self.rpc("get_workout_recommendations", p_gym_id=gym_id, p_member_id=member_id, p_focus=focus,
                              p_limit=limit)

    async def get_gym_leaderboard(self, gym_id: UUID, member_id: UUID | None = None, period: str | None = None,
                                  limit: int | None = None) -> JSON:
        return await self.rpc("get_gym_leaderboard", p_gym_id=gym_id, p_member_id=member_id, p_period=period,
                              p_limit=limit)

    async def refresh_leaderboard(self, gym_id: UUID, period: str | None = None) -> JSON:
        return await self.rpc("refresh_leaderboard", p_gym_id=gym_id, p_period=period)

    async def get_faq_answer(self, gym_id: UUID, question: str, min_score: float | None = None) -> JSON:
        return await self.rpc("get_faq_answer", p_gym_id=gym_id, p_question=question, p_min_score=min_score)

    async def find_video_tutorial(self, gym_id: UUID, query: str | None = None, video_id: UUID | None = None) -> JSON:
        return await self.rpc("find_video_tutorial", p_gym_id=gym_id, p_query=query, p_video_id=video_id)

    # --- Action tools (each takes an idempotency key: the tool call id) ---------------------------------------
    async def book_coach_appointment(self, gym_id: UUID, member_id: UUID, starts_at: datetime, idempotency_key: str,
                                     coach_name: str | None = None, duration_minutes: int | None = None,
                                     note: str | None = None) -> JSON:
        return await self.rpc("book_coach_appointment", p_gym_id=gym_id, p_member_id=member_id,
                              p_starts_at=aware(starts_at), p_idempotency_key=idempotency_key, p_coach_name=coach_name,
                              p_duration_minutes=duration_minutes, p_note=note)

    async def enroll_group_class(self, gym_id: UUID, member_id: UUID, idempotency_key: str,
                                 class_id: UUID | None = None, class_name: str | None = None,
                                 starts_at: datetime | None = None) -> JSON:
        return await self.rpc("enroll_group_class", p_gym_id=gym_id, p_member_id=member_id,
                              p_idempotency_key=idempotency_key, p_class_id=class_id, p_class_name=class_name,
                              p_starts_at=aware(starts_at))

    async def cancel_booking(self, gym_id: UUID, member_id: UUID, idempotency_key: str,
                             booking_id: UUID | None = None, kind: str | None = None,
                             starts_at: datetime | None = None, name: str | None = None,
                             on_date: date | None = None) -> JSON:
        return await self.rpc("cancel_booking", p_gym_id=gym_id, p_member_id=member_id,
                              p_idempotency_key=idempotency_key, p_booking_id=booking_id, p_kind=kind,
                              p_starts_at=aware(starts_at), p_name=name, p_date=on_date)

    async def send_sms_reminder(self, gym_id: UUID, member_id: UUID, message: str, idempotency_key: str) -> JSON:
        return await self.rpc("send_sms_reminder", p_gym_id=gym_id, p_member_id=member_id, p_message=message,
                              p_idempotency_key=idempotency_key)

    async def send_email_study(self, gym_id: UUID, member_id: UUID, subject: str, body: str,
                               idempotency_key: str) -> JSON:
        return await self.rpc("send_email_study", p_gym_id=gym_id, p_member_id=member_id, p_subject=subject,
                              p_body=body, p_idempotency_key=idempotency_key)

    async def notify_gym_manager(self, gym_id: UUID, urgency: str, message: str, idempotency_key: str,
                                 member_id: UUID | None = None, session_id: UUID | None = None,
                                 title: str | None = None, source: str | None = None) -> JSON:
        return await self.rpc("notify_gym_manager", p_gym_id=gym_id, p_urgency=urgency, p_message=message,
                              p_idempotency_key=idempotency_key, p_member_id=member_id, p_session_id=session_id,
                              p_title=title, p_source=source)

    async def create_mission(self, gym_id: UUID, title: str, description: str, priority: str, idempotency_key: str,
                             member_id: UUID | None = None, session_id: UUID | None = None,
                             due_date: date | None = None, source: str | None = None) -> JSON:
        return await self.rpc("create_mission", p_gym_id=gym_id, p_title=title, p_description=description,
                              p_priority=priority, p_idempotency_key=idempotency_key, p_member_id=member_id,
                              p_session_id=session_id, p_due_date=due_date, p_source=source)

    async def log_feedback(self, gym_id: UUID, category: str, message: str, sentiment: str, idempotency_key: str,
                           member_id: UUID | None = None, session_id: UUID | None = None,
                           severity: str | None = None) -> JSON:
        return await self.rpc("log_feedback", p_gym_id=gym_id, p_category=category, p_message=message,
                              p_sentiment=sentiment, p_idempotency_key=idempotency_key, p_member_id=member_id,
                              p_session_id=session_id, p_severity=severity)

    async def update_member_goals(self, gym_id: UUID, member_id: UUID, idempotency_key: str,
                                  goal: str | None = None, level: str | None = None,
                                  goal_note: str | None = None) -> JSON:
        return await self.rpc("update_member_goals", p_gym_id=gym_id, p_member_id=member_id,
                              p_idempotency_key=idempotency_key, p_goal=goal, p_level=level, p_goal_note=goal_note)

    # --- Session persistence and analytics write-backs --------------------------------------------------------
    async def start_voice_session(self, session_id: UUID, gym_id: UUID, member_id: UUID | None = None,
                                  kiosk_id: str | None = None) -> JSON:
        return await self.rpc("start_voice_session", p_session_id=session_id, p_gym_id=gym_id,
                              p_member_id=member_id, p_kiosk_id=kiosk_id)

    async def persist_voice_session(self, session: Mapping[str, Any]) -> JSON:
        aware(session.get("started_at"))
        aware(session.get("ended_at"))
        return await self.rpc("persist_voice_session", p_session=dict(session))

    async def mark_session_analytics(self, session_id: UUID, status: str, error: str | None = None) -> JSON:
        return await self.rpc("mark_session_analytics", p_session_id=session_id, p_status=status, p_error=error)

    async def claim_pending_sessions(self, limit: int | None = None, stale_seconds: int | None = None) -> JSON:
        """The sweeper's atomic claim: pending (or stale queued/processing) sessions, now marked queued."""
        return await self.rpc("claim_pending_sessions", p_limit=limit, p_stale_seconds=stale_seconds)

    async def close_abandoned_sessions(self, after_seconds: int | None = None) -> JSON:
        """Sessions still "started" with no transcript `after_seconds` (default 30 min) after opening: failed."""
        return await self.rpc("close_abandoned_sessions", p_after_seconds=after_seconds)

    async def save_session_analytics(self, session_id: UUID, analytics: Mapping[str, Any],
                                     sentiment_score: float | None = None, sentiment_label: str | None = None,
                                     summary: str | None = None) -> JSON:
        return await self.rpc("save_session_analytics", p_session_id=session_id, p_analytics=dict(analytics),
                              p_sentiment_score=sentiment_score, p_sentiment_label=sentiment_label,
                              p_summary=summary)

    # --- Outbox delivery -----------------------------------------------------------------------------------------
    async def claim_outbox_messages(self, channels: list[str], limit: int | None = None,
                                    stale_seconds: int | None = None) -> JSON:
        return await self.rpc("claim_outbox_messages", p_channels=channels, p_limit=limit,
                              p_stale_seconds=stale_seconds)

    async def mark_outbox_message(self, message_id: UUID, sent: bool, provider_id: str | None = None,
                                  error: str | None = None, max_attempts: int | None = None) -> JSON:
        """Outcome of a delivery attempt; `max_attempts=0` fails the message now (a permanent refusal)."""
        return await self.rpc("mark_outbox_message", p_message_id=message_id, p_sent=sent, p_provider_id=provider_id,
                              p_error=error, p_max_attempts=max_attempts)

    async def set_member_churn(self, gym_id: UUID, scores: list[Mapping[str, Any]], model_version: str) -> JSON:
        return await self.rpc("set_member_churn", p_gym_id=gym_id, p_scores=[dict(s) for s in scores],
                              p_model_version=model_version)

    # --- Kiosks (token server) -----------------------------------------------------------------------------------
    async def register_kiosk(self, gym_slug: str, name: str, key_hash: str, key_prefix: str) -> JSON:
        return await self.rpc("register_kiosk", p_gym_slug=gym_slug, p_name=name, p_key_hash=key_hash,
                              p_key_prefix=key_prefix)

    async def rotate_kiosk_key(self, kiosk_id: UUID, key_hash: str, key_prefix: str,
                               grace_seconds: int | None = None) -> JSON:
        return await self.rpc("rotate_kiosk_key", p_kiosk_id=kiosk_id, p_key_hash=key_hash, p_key_prefix=key_prefix,
                              p_grace_seconds=grace_seconds)

    async def revoke_kiosk(self, kiosk_id: UUID) -> JSON:
        return await self.rpc("revoke_kiosk", p_kiosk_id=kiosk_id)

    async def list_kiosks(self, gym_slug: str) -> JSON:
        return await self.rpc("list_kiosks", p_gym_slug=gym_slug)

    async def open_kiosk_session(self, key_hash: str, session_id: UUID, badge_id: str | None = None) -> JSON:
        """None when the key is unknown, revoked or expired; otherwise the started session (member or visitor)."""
        return await self.rpc("open_kiosk_session", p_key_hash=key_hash, p_session_id=session_id,
                              p_badge_id=badge_id)

    # --- Manager dashboard: every call names the manager (JWT sub); another gym is "not found" ----------------------
    async def manager_gyms(self, user_id: UUID) -> JSON:
        return await self.rpc("manager_gyms", p_user_id=user_id)

    async def dashboard_at_risk_members(self, user_id: UUID, gym_slug: str, min_level: str | None = None,
                                        limit: int | None = None, offset: int | None = None) -> JSON:
        return await self.rpc("dashboard_at_risk_members", p_user_id=user_id, p_gym_slug=gym_slug,
                              p_min_level=min_level, p_limit=limit, p_offset=offset)

    async def dashboard_missions(self, user_id: UUID, gym_slug: str, status: str | None = None,
                                 limit: int | None = None, offset: int | None = None) -> JSON:
        return await self.rpc("dashboard_missions", p_user_id=user_id, p_gym_slug=gym_slug, p_status=status,
                              p_limit=limit, p_offset=offset)

    async def dashboard_update_mission(self, user_id: UUID, gym_slug: str, mission_id: UUID, status: str) -> JSON:
        return await self.rpc("dashboard_update_mission", p_user_id=user_id, p_gym_slug=gym_slug,
                              p_mission_id=mission_id, p_status=status)

    async def dashboard_sessions(self, user_id: UUID, gym_slug: str, from_: datetime | None = None,
                                 to: datetime | None = None, member_id: UUID | None = None,
                                 sentiment: str | None = None, status: str | None = None, limit: int | None = None,
                                 offset: int | None = None) -> JSON:
        return await self.rpc("dashboard_sessions", p_user_id=user_id, p_gym_slug=gym_slug, p_from=aware(from_),
                              p_to=aware(to), p_member_id=member_id, p_sentiment=sentiment, p_status=status,
                              p_limit=limit, p_offset=offset)

    async def dashboard_session(self, user_id: UUID, gym_slug: str, session_id: UUID) -> JSON:
        return await self.rpc("dashboard_session", p_user_id=user_id, p_gym_slug=gym_slug, p_session_id=session_id)

    async def dashboard_stats(self, user_id: UUID, gym_slug: str, days: int | None = None) -> JSON:
        return await self.rpc("dashboard_stats", p_user_id=user_id, p_gym_slug=gym_slug, p_days=days)
