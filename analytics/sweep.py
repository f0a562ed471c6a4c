"""The sweeper: sessions whose analytics job never reached Redis (Redis was down when the session ended) or got
lost (queued or processing for too long: a worker killed mid-job) are enqueued again.

The claim is atomic in SQL (`claim_pending_sessions`: marked queued, SKIP LOCKED), so concurrent sweepers never
enqueue one session twice; a session whose enqueue fails goes back to pending for the next sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from functools import partial

import redis

from jarvis_agent.store import Store, StoreError

from .queue import JOB_TIMEOUT_S, enqueue_session

logger = logging.getLogger("analytics.sweep")


@dataclass
class SweepReport:
    claimed: int = 0
    enqueued: int = 0
    left_pending: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"claimed": self.claimed, "enqueued": self.enqueued, "left_pending": self.left_pending}


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
    if report.claimed:
        logger.info("sweep: %s", report.as_dict())
    return report
