"""The analytics worker: an RQ worker on the queue "analytics", with the sweeper running beside it.

It is RQ's `SimpleWorker` (jobs run in the worker process, not in a fork per job) so the churn model, the sentiment
analyser and the database pool are loaded once and reused (analytics/jobs.py): forking per job would reload them
for every session. The scheduler is on, so retries wait their backoff. A worker killed mid-job loses nothing: RQ
marks the job abandoned, and the sweeper re-enqueues sessions left "processing" for longer than its stale limit.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import redis
from rq import SimpleWorker

from jarvis_agent.settings import get_settings
from jarvis_agent.store import StoreError, services

from .queue import queue
from .sweep import sweep

logger = logging.getLogger("analytics.worker")


def _sweeper(every: float, stop: threading.Event) -> None:
    async def loop() -> None:
        store = None
        connection = services.redis_connection(timeout=5.0)
        try:
            while not stop.is_set():
                try:
                    store = store or await services.open_store(get_settings(), wait=False)
                    await sweep(store, connection)
                except (StoreError, redis.RedisError) as exc:
                    logger.warning("sweep failed (%s): next try in %s s", exc, every)
                except Exception:  # never let the sweeper die silently beside a running worker
                    logger.exception("sweep failed: next try in %s s", every)
                await asyncio.to_thread(stop.wait, every)
        finally:
            if store is not None:
                await store.close()
            connection.close()
    asyncio.run(loop())


def run_worker(*, burst: bool = False, sweep_every: float = 60.0, max_jobs: int | None = None) -> bool:
    connection = services.redis_connection()
    stop = threading.Event()
    thread = None
    if sweep_every > 0 and not burst:
        thread = threading.Thread(target=_sweeper, args=(sweep_every, stop), name="analytics-sweeper", daemon=True)
        thread.start()
    try:
        worker = SimpleWorker([queue(connection)], connection=connection)
        return worker.work(burst=burst, with_scheduler=not burst, max_jobs=max_jobs, logging_level="INFO")
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=10)
        from .jobs import shutdown

        shutdown()
