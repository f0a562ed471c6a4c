"""The end of a session, and nothing lost: spool it, persist it, then enqueue its analytics.

1. The record is written to the spool first (one JSON file per session, atomically, mode 0600): a job killed while
   the database is slow loses nothing.
2. `persist_voice_session` writes the transcript, metrics and tool calls (analytics "pending"), bounded in time;
   then the spool file is deleted. If the database is unreachable, the file stays and is replayed by the next
   session that ends, or by the worker at start-up. A session the database refuses (invalid, unknown gym,
   conflict) moves to the spool's `rejected/` folder — kept for a person to look at, and out of the replay's way.
3. The session is marked "queued", then `analytics.process_session` goes on the RQ queue "analytics". If Redis is
   down the session goes back to "pending": the sweeper (`python -m analytics sweep`) enqueues it later.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import redis

from analytics.queue import enqueue_session

from . import metrics
from .store import Store, StoreError, Unavailable

logger = logging.getLogger("jarvis.handoff")

Outcome = Literal["enqueued", "pending", "spooled", "rejected"]
RedisFactory = Callable[[], redis.Redis]
PERSIST_TIMEOUT_S = 8.0
STALE_CLAIM_S = 300.0


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
        """Spooled sessions, oldest first: unclaimed ones, and claims left by a process that died."""
        if not self.directory.is_dir():
            return []
        now = time.time()
        paths = [*self.directory.glob("*.json"),
                 *(p for p in self.directory.glob("*.json.replaying-*") if now - _mtime(p) > STALE_CLAIM_S)]
        return sorted(paths, key=_mtime)

    def claim(self, path: Path) -> Path | None:
        """Take a spooled session for this process (an atomic rename); None when another process took it."""
        claimed = path.with_name(f"{path.name.split('.json')[0]}.json.replaying-{os.getpid()}")
        try:
            path.rename(claimed)
        except FileNotFoundError:
            return None
        return claimed

    def release(self, claimed: Path) -> None:
        """Give a claimed session back to the spool (the database is still down)."""
        with contextlib.suppress(OSError):
            claimed.rename(claimed.with_name(claimed.name.split(".json")[0] + ".json"))

    def done(self, claimed: Path | None) -> None:
        if claimed is not None:
            claimed.unlink(missing_ok=True)

    def reject(self, record: dict[str, Any], claimed: Path | None) -> Path:
        kept = self.write(record, folder="rejected")
        self.done(claimed)
        return kept


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


async def _persist(store: Store, record: dict[str, Any]) -> None:
    """Persist, bounded in time. A session that started while the database was unreachable has no gym id yet: it is
    resolved (and the member) from the gym slug and badge the record kept, and the badge is dropped."""
    async def persist() -> None:
        if not record.get("gym_id"):
            core = await store.session_context(record["gym_slug"], record.get("badge_id"))
            record["gym_id"] = core["gym"]["id"]
            record["member_id"] = (core.get("member") or {}).get("id")
        await store.persist_voice_session({k: v for k, v in record.items() if k != "badge_id"})
    try:
        await asyncio.wait_for(persist(), PERSIST_TIMEOUT_S)
    except TimeoutError as exc:
        raise Unavailable(detail=f"persisting the session took more than {PERSIST_TIMEOUT_S:.0f} s") from exc


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
        except StoreError:  # the sweeper's stale claim re-enqueues a session stuck in queued
            logger.warning("session stays queued until the sweeper's stale claim picks it up")
        return "pending"


async def _deliver(store: Store, record: dict[str, Any], claimed: Path | None, redis_factory: RedisFactory,
                   spool: Spool) -> Outcome:
    """Persist a session this process holds (`claimed`: its spool file, if any), then enqueue it."""
    try:
        await _persist(store, record)
    except Unavailable as exc:
        if claimed is None:
            logger.error("database unavailable (%s) and no spool: the session is lost", exc)
        else:
            spool.release(claimed)
            logger.warning("database unavailable (%s): session kept in the spool", exc)
        return "spooled"
    except StoreError as exc:
        try:
            kept = spool.reject(record, claimed)
            logger.error("the database refused the session (%s); kept in %s", exc.reason, kept)
        except OSError:
            logger.error("the database refused the session (%s) and it cannot be kept on disk", exc.reason)
        return "rejected"
    spool.done(claimed)
    return await _enqueue(store, redis_factory, record["id"])


async def hand_off(store: Store, record: dict[str, Any], *, redis_factory: RedisFactory, spool: Spool) -> Outcome:
    """Spool, persist and enqueue one finished session; never raises for an unavailable service."""
    try:
        claimed = spool.claim(await asyncio.to_thread(spool.write, record))
    except OSError as exc:  # a full or read-only disk: still try the database
        logger.error("cannot spool the session (%s)", exc)
        claimed = None
    outcome = await _deliver(store, record, claimed, redis_factory, spool)
    metrics.SESSION_HANDOFF.labels(outcome).inc()
    return outcome


async def replay_spool(store: Store, *, redis_factory: RedisFactory, spool: Spool, limit: int = 50) -> int:
    """Persist up to `limit` spooled sessions, oldest first; stops while the database is still unreachable. Safe
    to run from several processes at once (each file is claimed by one)."""
    replayed = 0
    for path in spool.pending()[:limit]:
        claimed = spool.claim(path)
        if claimed is None:
            continue
        try:
            record = json.loads(claimed.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.error("unreadable spool file %s (%s): moved aside", path.name, exc)
            with contextlib.suppress(OSError):
                claimed.rename(claimed.with_name(path.name.split(".json")[0] + ".unreadable"))
            continue
        outcome = await _deliver(store, record, claimed, redis_factory, spool)
        if outcome == "spooled":
            break
        if outcome != "rejected":
            metrics.SESSION_HANDOFF.labels("replayed").inc()
            replayed += 1
    if replayed:
        logger.info("replayed %d spooled session(s)", replayed)
    return replayed
