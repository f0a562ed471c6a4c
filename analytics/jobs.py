"""`analytics.process_session(session_id)`: the RQ job every finished kiosk session gets.

Reads the session, analyses what the member said (sentiment, emotions), derives insights, rescores the member's churn
risk, and writes everything back — missions and notifications with idempotency keys per session and rule, so a job
run twice (a retry, a worker killed mid-job, the sweeper) creates nothing twice. Outcomes are returned as a small
dict (RQ keeps it as the job result):
- `done`: analysed and written back;
- `missing`: no such session (nothing to do, not an error);
- `skipped`: nothing to analyse (no member utterance) or not French;
- `already_done`: an earlier run finished it.
A transient database error raises `Unavailable`: RQ retries the job with backoff (see analytics/queue.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jarvis_agent.settings import get_settings
from jarvis_agent.store import NotFound, Store, Unavailable, services

from .churn import ChurnModel
from .insights import SIGNAL_NAMES, derive
from .queue import JOB_TIMEOUT_S
from .scoring import score_members
from .sentiment import Analyser, Sentiment, label_of, load_analyser, looks_french
from .training import gym_model_dir, model_for

logger = logging.getLogger("analytics.jobs")
FEELING = {"positive": "positif", "neutral": "neutre", "negative": "négatif"}
MAX_ANALYSED_CHARS = 20_000  # a 1 MB transcript is analysed on its last 20,000 characters of member speech


class _Runtime:
    """One event loop, store, model and analyser per worker process, reused by every job it runs."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.lock = threading.Lock()
        self.store: Store | None = None
        self.models: dict[str | None, tuple[float, ChurnModel]] = {}
        self.analyser: Analyser = load_analyser(get_settings().jarvis_sentiment_model)

    def run(self, coro: Any) -> Any:
        """Run one job's coroutine to its end on this process's loop. If the job is interrupted (RQ's timeout
        alarm, a stop), its task is cancelled and drained here, so nothing of it resumes inside the next job."""
        with self.lock:
            task = self.loop.create_task(coro)
            try:
                return self.loop.run_until_complete(task)
            except BaseException:
                task.cancel()
                with contextlib.suppress(BaseException):
                    self.loop.run_until_complete(task)
                raise

    def model_for(self, slug: str | None) -> ChurnModel:
        """The gym's model (its own once trained, else the cold-start one), reloaded when retrained."""
        path = gym_model_dir(slug) / "meta.json" if slug else None
        stamp = path.stat().st_mtime if path is not None and path.exists() else 0.0
        cached = self.models.get(slug)
        if cached is None or cached[0] != stamp:
            self.models[slug] = (stamp, model_for(slug))
        return self.models[slug][1]

    async def get_store(self) -> Store:
        if self.store is None:
            # analytics write-backs can be redone (idempotent job, sweeper): no WAL flush wait per commit
            self.store = await services.open_store(get_settings(), synchronous_commit=False)
        return self.store


_runtime: _Runtime | None = None


def runtime() -> _Runtime:
    global _runtime
    if _runtime is None:
        _runtime = _Runtime()
    return _runtime


def shutdown() -> None:
    """Close the worker process's store and loop (at worker exit)."""
    global _runtime
    if _runtime is not None:
        if _runtime.store is not None:
            _runtime.run(_runtime.store.close())
        _runtime.loop.close()
        _runtime = None


def process_session(session_id: str) -> dict[str, Any]:
    """The RQ job (synchronous, as RQ calls it). A transient database error (`Unavailable`) goes back to RQ, which
    retries with backoff; any other failure marks the session "failed" with its reason (the sweeper leaves failed
    sessions alone) and fails the job, which keeps the reason in RQ's failed registry."""
    rt = runtime()
    return rt.run(_guarded(rt, str(session_id)))


async def _guarded(rt: _Runtime, session_id: str) -> dict[str, Any]:
    try:
        async with asyncio.timeout(JOB_TIMEOUT_S - 30):  # before RQ's alarm, which would land inside the selector
            return await analyse_session(rt, session_id)
    except Unavailable:
        raise
    except Exception as exc:
        reason = f"{type(exc).__name__}: {getattr(exc, 'reason', '') or exc}"[:500]
        with contextlib.suppress(Exception):
            store = await rt.get_store()
            await store.mark_session_analytics(session_id, "failed", error=reason)
        raise


def session_sentiment(analyser: Analyser, utterances: list[str]) -> tuple[Sentiment, list[dict[str, Any]]]:
    per_turn = [analyser.analyse(u) for u in utterances]
    weights = [max(1, len(u.split())) for u in utterances]
    score = sum(s.score * w for s, w in zip(per_turn, weights, strict=True)) / sum(weights)
    emotions = sorted({e for s in per_turn for e in s.emotions})
    overall = Sentiment(round(score, 4), label_of(score), emotions, analyser.name)
    return overall, [{"text": u[:500], **s.as_dict()} for u, s in zip(utterances, per_turn, strict=True)]


async def analyse_session(rt: _Runtime, session_id: str) -> dict[str, Any]:
    store = await rt.get_store()
    try:
        session = await store.rpc("session_for_analytics", p_session_id=session_id)
    except NotFound:
        logger.info("analytics: session %s not found, nothing to do", session_id)
        return {"session_id": session_id, "status": "missing"}
    if session["analytics_status"] in ("done", "skipped"):
        return {"session_id": session_id, "status": "already_done"}
    await store.mark_session_analytics(session_id, "processing")
    utterances = [t.get("text", "") for t in session["transcript"]
                  if isinstance(t, dict) and t.get("role") == "user" and str(t.get("text", "")).strip()]
    truncated = sum(map(len, utterances)) > MAX_ANALYSED_CHARS
    if truncated:
        kept: list[str] = []
        for text in reversed(utterances):
            if sum(map(len, kept)) + len(text) > MAX_ANALYSED_CHARS:
                break
            kept.insert(0, text)
        utterances = kept or [utterances[-1][-MAX_ANALYSED_CHARS:]]
    if not utterances:
        await store.mark_session_analytics(session_id, "skipped", error="no member utterance to analyse")
        return {"session_id": session_id, "status": "skipped", "reason": "empty"}
    if not looks_french(" ".join(utterances)):
        await store.mark_session_analytics(session_id, "skipped", error="the member did not speak French")
        return {"session_id": session_id, "status": "skipped", "reason": "not_french"}

    sentiment, per_turn = session_sentiment(rt.analyser, utterances)
    gym_id, member_id = session["gym_id"], session["member_id"]
    member = session.get("member") or {}
    churn: dict[str, Any] | None = None
    if member_id:
        model = rt.model_for(session.get("gym_slug"))
        scores = await score_members(store, model, gym_id, member_id)
        if scores:
            churn = scores[0].as_row() | {"model_version": model.version}
    today = datetime.now(ZoneInfo(session.get("gym_timezone") or "Europe/Paris")).date()
    name = f"{member['first_name']} {member['last_name']}" if member else None
    insights = derive(utterances, sentiment, member_name=name, churn_level=churn and churn["level"], today=today)
    for n in insights.notifications:
        await store.notify_gym_manager(gym_id, n.urgency, n.message, f"analytics:{session_id}:{n.key}",
                                       member_id=member_id, session_id=session_id, title=n.title, source="analytics")
    for m in insights.missions:
        await store.create_mission(gym_id, m.title, m.description, m.priority, f"analytics:{session_id}:{m.key}",
                                   member_id=member_id, session_id=session_id, due_date=m.due, source="analytics")
    analytics = {
        "version": 1, "analyser": sentiment.analyser, "sentiment": sentiment.as_dict(), "utterances": per_turn,
        "emotions": sentiment.emotions, "priority": insights.priority, "signals": insights.signals,
        "missions": [m.key for m in insights.missions], "notifications": [n.key for n in insights.notifications],
        "churn": churn, "truncated": truncated,
    }
    summary = (f"{len(utterances)} intervention(s) du membre, ressenti {FEELING[sentiment.label]}"
               + (f", signalé : {', '.join(SIGNAL_NAMES[s] for s in insights.signals)}" if insights.signals else "")
               + ".")
    await store.save_session_analytics(session_id, analytics, sentiment_score=sentiment.score,
                                       sentiment_label=sentiment.label, summary=summary)
    return {"session_id": session_id, "status": "done", "sentiment": sentiment.label, "priority": insights.priority,
            "missions": len(insights.missions), "notifications": len(insights.notifications)}
