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

from rq import SimpleWorker

from jarvis_agent.store import services

from .queue import queue

logger = logging.getLogger("analytics.worker")


def run_worker(*, burst: bool = False, sweep_every: float = 60.0, max_jobs: int | None = None) -> bool:
    connection = services.redis_connection()
    stop = threading.Event()
    thread = None
    if sweep_every > 0 and not burst:
        thread = threading.Thread(target=lambda: asyncio.run(sweep_every(every=sweep_every, stop=stop)),
                                  name="analytics-sweeper", daemon=True)
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
