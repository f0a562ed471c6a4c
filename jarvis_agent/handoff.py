"""The end of a session, and nothing lost: persist it, then enqueue its analytics.

1. `persist_voice_session` writes the transcript, metrics and tool calls (analytics "pending").
2. The session is marked "queued", then `analytics.process_session` goes on the RQ queue "analytics". If Redis is
   down the session goes back to "pending": the sweeper (`python -m analytics sweep`) enqueues it later.
3. If the database is down, the session is written to the spool (one JSON file per session, atomically) and
   replayed by the next session that ends, or by the worker at start-up. A session the database refuses as invalid
   is kept in the spool's `rejected/` folder, never dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import redis

from analytics.queue import enqueue_session

from . import metrics
from .store import InvalidInput, Store, StoreError

logger = logging.getLogger("jarvis.handoff")

Outcome = Literal["enqueued", "pending", "spooled", "rejected"]
RedisFactory = Callable[[], redis.Redis]


class Spool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def write(self, record: dict[str, Any], *, folder: str = "") -> Path:
        target_dir = self.directory / folder
        target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = target_dir / f"{record['id']}.json"
        fd, tmp = tempfile.mkstemp(dir=target_dir, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        return target

    def pending(self) -> list[Path]:
        return sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime) if self.directory.is_dir() \
            else []


async def _enqueue(store: Store, redis_factory: RedisFactory, session_id: str) -> Outcome:
    try:
        await store.mark_session_analytics(session_id, "queued")
    except StoreError as exc:
        logger.warning("session left pending, could not mark it queued: %s", exc)
        return "pending"
    try:
        def enqueue() -> None:
            connection = redis_factory()
            try:
                enqueue_session(connection, session_id)
            finally:
                connection.close()
        await asyncio.to_thread(enqueue)
        return "enqueued"
    except (redis.RedisError, OSError) as exc:
        logger.warning("Redis unavailable (%s): session left pending for the sweeper", exc)
        try:
            await store.mark_session_analytics(session_id, "pending", error="redis unavailable at session end")
        except StoreError:  # the claim's staleness rule re-enqueues a session stuck in queued
            logger.warning("session stays queued until the sweeper's stale claim picks it up")
        return "pending"


async def _persist(store: Store, record: dict[str, Any]) -> None:
    """A session that started while the database was unreachable has no gym id yet: resolve it (and the member)
    from the gym slug and badge it kept, then drop the badge from the record."""
    if not record.get("gym_id"):
        core = await store.session_context(record["gym_slug"], record.get("badge_id"))
        record["gym_id"] = core["gym"]["id"]
        record["member_id"] = (core.get("member") or {}).get("id")
    record.pop("badge_id", None)
    await store.persist_voice_session(record)


async def hand_off(store: Store, record: dict[str, Any], *, redis_factory: RedisFactory, spool: Spool) -> Outcome:
    """Persist one finished session and enqueue its analytics; never raises for an unavailable service."""
    try:
        await _persist(store, record)
    except InvalidInput as exc:
        path = spool.write(record, folder="rejected")
        logger.error("the database refused the session (%s); kept in %s", exc.reason, path)
        outcome: Outcome = "rejected"
    except StoreError as exc:
        path = spool.write(record)
        logger.warning("database unavailable at session end (%s): session spooled to %s", exc, path)
        outcome = "spooled"
    else:
        outcome = await _enqueue(store, redis_factory, record["id"])
    metrics.SESSION_HANDOFF.labels(outcome).inc()
    return outcome


async def replay_spool(store: Store, *, redis_factory: RedisFactory, spool: Spool) -> int:
    """Persist the spooled sessions, oldest first; stops at the first that the database still cannot take."""
    replayed = 0
    for path in spool.pending():
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.error("unreadable spool file %s (%s): moved aside", path, exc)
            path.rename(path.with_suffix(".unreadable"))
            continue
        try:
            await _persist(store, record)
        except InvalidInput as exc:
            spool.write(record, folder="rejected")
            path.unlink()
            logger.error("spooled session refused by the database (%s); kept in rejected/", exc.reason)
            continue
        except StoreError:
            break
        path.unlink()
        await _enqueue(store, redis_factory, record["id"])
        metrics.SESSION_HANDOFF.labels("replayed").inc()
        replayed += 1
    if replayed:
        logger.info("replayed %d spooled session(s)", replayed)
    return replayed
