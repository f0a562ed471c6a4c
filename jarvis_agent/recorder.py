"""What a kiosk session leaves behind: every turn (text, time, per-turn latency metrics) and every tool call, in the
shape `persist_voice_session` takes. It also feeds the worker's Prometheus turn-latency and provider-error metrics."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from livekit.agents import AgentSession, ConversationItemAddedEvent, ErrorEvent, llm
from livekit.agents.tts._provider_format import strip_all_markup

from . import metrics
from .tools.common import SessionData

# ChatMessage.metrics keys kept per turn, and the Prometheus stage each one feeds.
TURN_METRICS = {"end_of_turn_delay": "end_of_turn", "transcription_delay": "transcription",
                "llm_node_ttft": "llm_ttft", "tts_node_ttfb": "tts_ttfb", "e2e_latency": "e2e"}
ERROR_KINDS = {"stt_error": "stt", "llm_error": "llm", "tts_error": "tts"}


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


class SessionRecorder:
    def __init__(self, session: AgentSession, data: SessionData, *, kiosk_id: str | None) -> None:
        self.data = data
        self.kiosk_id = kiosk_id
        self.started_at = time.time()
        self.transcript: list[dict[str, Any]] = []
        self.errors: dict[str, int] = {}
        session.on("conversation_item_added", self._on_item)
        session.on("error", self._on_error)

    def _on_item(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        if not isinstance(item, llm.ChatMessage) or item.role not in ("user", "assistant"):
            return
        # expressive markup (<expr …/> emotion markers) is for the voice, never for the transcript
        turn: dict[str, Any] = {"role": item.role, "text": strip_all_markup(item.text_content or "").strip(),
                                "at": iso(item.created_at)}
        if item.interrupted:
            turn["interrupted"] = True
        report = item.metrics or {}
        if turn_metrics := {k: round(float(report[k]), 4) for k in TURN_METRICS if report.get(k) is not None}:
            turn["metrics"] = turn_metrics
            for key, value in turn_metrics.items():
                metrics.TURN_LATENCY.labels(TURN_METRICS[key]).observe(value)
        self.transcript.append(turn)

    def add_turn(self, role: str, text: str) -> None:
        """A turn that did not go through the session's chat (a typed goodbye)."""
        self.transcript.append({"role": role, "text": text.strip(), "at": iso(time.time())})

    def _on_error(self, event: ErrorEvent) -> None:
        kind = ERROR_KINDS.get(getattr(event.error, "type", ""), "other")
        recoverable = bool(getattr(event.error, "recoverable", False))
        metrics.PROVIDER_ERRORS.labels(kind, str(recoverable).lower()).inc()
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def turn_latencies(self) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        for turn in self.transcript:
            for key, value in turn.get("metrics", {}).items():
                out.setdefault(key, []).append(value)
        return out

    def record(self, *, end_reason: str, failed: bool = False) -> dict[str, Any]:
        """The session as `persist_voice_session` takes it (JSON-ready)."""
        data = self.data
        ended_at = time.time()
        latencies = self.turn_latencies()
        unresolved = {"badge_id": data.badge_id} if data.context.gym.id is None and data.badge_id else {}
        return {
            **unresolved,
            "id": str(data.session_id),
            "gym_slug": data.context.gym.slug,
            "gym_id": str(data.context.gym.id) if data.context.gym.id else None,
            "member_id": str(data.context.member.id) if data.context.member else None,
            "kiosk_id": self.kiosk_id,
            "status": "failed" if failed else "ended",
            "started_at": iso(self.started_at),
            "ended_at": iso(ended_at),
            "end_reason": end_reason,
            "transcript": self.transcript,
            "metrics": {
                "duration_s": round(ended_at - self.started_at, 3),
                "user_turns": sum(t["role"] == "user" for t in self.transcript),
                "agent_turns": sum(t["role"] == "assistant" for t in self.transcript),
                "tool_calls": len(data.tool_calls),
                "tool_errors": sum(c.error is not None for c in data.tool_calls),
                "provider_errors": self.errors,
                "turn_latency": {k: {"n": len(v), "median": round(sorted(v)[len(v) // 2], 4), "max": max(v)}
                                 for k, v in latencies.items()},
                "member_status": data.context.member_status,
            },
            "interactions": [
                {"seq": seq, "tool_name": c.tool_name, "arguments": c.arguments, "result": c.result,
                 "error": c.error, "latency_ms": c.latency_ms, "created_at": iso(c.created_at)}
                for seq, c in enumerate(data.tool_calls)
            ],
        }
