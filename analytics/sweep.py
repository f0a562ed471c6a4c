"""The sweeper: sessions whose analytics job never reached Redis (Redis was down when the session ended) or got
lost (queued or processing for too long: a worker killed mid-job) are enqueued again; sessions a kiosk opened but
that never reached the agent are closed as abandoned.

The claim is atomic in SQL (`claim_pending_sessions`: marked queued, SKIP LOCKED), so concurrent sweepers never
enqueue one session twice; a session whose enqueue fails goes back to pending for the next sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import redis

from jarvis_agent.settings import get_settings
from jarvis_agent.store import Store, StoreError, services

from .queue import JOB_TIMEOUT_S, enqueue_session

logger = logging.getLogger("analytics.sweep")


@dataclass
class SweepReport:
    claimed: int = 0
    enqueued: int = 0
    left_pending: int = 0
    abandoned_closed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"claimed": self.claimed, "enqueued": self.enqueued, "left_pending": self.left_pending,
                "abandoned_closed": self.abandoned_closed}


async def sweep(store: Store, connection: redis.Redis, *, limit: int = 100, stale_seconds: int = 600) -> SweepReport:
    """Claim and enqueue. A session is stale after `stale_seconds` in queued/processing; its RQ job counts as
    abandoned (its worker died) once started longer ago than the job timeout allows — or than `stale_seconds`, if
    shorter."""
    abandoned_after = min(stale_seconds, JOB_TIMEOUT_S + 60)
    claimed = (await store.claim_pending_sessions(limit=limit, stale_seconds=stale_seconds))["sessions"]
    report = SweepReport(claimed=len(claimed))
    for index, item in enumerate(claimed):
        try:
            await asyncio.to_thread(partial(enqueue_session, abandoned_after_s=abandoned_after), connection,
                                    item["session_id"])
            report.enqueued += 1
        except redis.RedisError as exc:
            logger.warning("Redis unavailable (%s): %d session(s) left pending", exc, len(claimed) - index)
            for rest in claimed[index:]:  # if this fails too, the stale claim picks them up again later
                with contextlib.suppress(StoreError):
                    await store.mark_session_analytics(rest["session_id"], "pending", error="redis unavailable")
            report.left_pending = len(claimed) - index
            break
    # sessions a kiosk opened but never brought to the agent (see close_abandoned_sessions)
    report.abandoned_closed = (await store.close_abandoned_sessions())["closed"]
    if report.claimed or report.abandoned_closed:
        logger.info("sweep: %s", report.as_dict())
    return report


async def sweep_every(every: float, stop: threading.Event, *, report: Callable[[SweepReport], None] | None = None,
                      limit: int = 100, stale_seconds: int = 600) -> None:
    """Sweep every `every` seconds until `stop` is set (or the task is cancelled); a failed sweep is logged and
    tried again at the next turn — the sweeper never dies silently beside a running worker."""
    store: Store | None = None
    connection = services.redis_connection(timeout=5.0)
    try:
        while not stop.is_set():
            try:
                store = store or await services.open_store(get_settings(), wait=False)
                result = await sweep(store, connection, limit=limit, stale_seconds=stale_seconds)
                if report is not None:
                    report(result)
            except (StoreError, redis.RedisError) as exc:
                logger.warning("sweep failed (%s): next try in %s s", exc, every)
            except Exception:
                logger.exception("sweep failed: next try in %s s", every)
            deadline = asyncio.get_running_loop().time() + every
            # `stop` is a threading.Event set from the worker's thread: polled, so Ctrl-C cancels at once too
            while not stop.is_set() and asyncio.get_running_loop().time() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.2)
    finally:
        if store is not None:
            await store.close()
        connection.close()
