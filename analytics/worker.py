"""The analytics worker: an RQ worker on the queue "analytics", with the sweeper running beside it.

It is RQ's `SimpleWorker` (jobs run in the worker process, not in a fork per job) so the churn model, the sentiment
analyser and the database pool are loaded once and reused (analytics/jobs.py): forking per job would reload them
for every session. The scheduler is on, so retries wait their backoff. A worker killed mid-job loses nothing: RQ
marks the job abandoned, and the sweeper re-enqueues sessions left "processing" for longer than its stale limit.

Prometheus metrics (analytics/metrics.py) are served on JARVIS_ANALYTICS_METRICS_PORT while the worker runs — not
in a `--burst` run, which exits when the queue is empty before anything could scrape it.
"""

from __future__ import annotations

import asyncio
import logging
import threading

from jarvis_agent.settings import get_settings
from jarvis_agent.store import services

from . import metrics, sweep
from .queue import queue

logger = logging.getLogger("analytics.worker")


def run_worker(*, burst: bool = False, sweep_every: float = 60.0, max_jobs: int | None = None,
               metrics_port: int | None = None) -> bool:
    """Work the queue until stopped (or, with `burst`, until it is empty). `metrics_port` None: the setting."""
    connection = services.redis_connection()
    port = get_settings().jarvis_analytics_metrics_port if metrics_port is None else metrics_port
    stop_metrics = metrics.serve(port, services.redis_connection(timeout=2.0)) if port and not burst else None
    stop = threading.Event()
    thread = None
    if sweep_every > 0 and not burst:
        thread = threading.Thread(target=lambda: asyncio.run(sweep.sweep_every(every=sweep_every, stop=stop,
                                                                               report=metrics.count_sweep)),
                                  name="analytics-sweeper", daemon=True)
        thread.start()
    try:
        worker = metrics.MeteredWorker([queue(connection)], connection=connection)
        return worker.work(burst=burst, with_scheduler=not burst, max_jobs=max_jobs, logging_level="INFO")
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=10)
        if stop_metrics is not None:
            stop_metrics()
        from .jobs import shutdown

        shutdown()
