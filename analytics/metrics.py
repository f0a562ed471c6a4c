"""Prometheus metrics of the analytics worker, served on JARVIS_ANALYTICS_METRICS_PORT (/metrics) by
`python -m analytics worker`.

The worker is RQ's SimpleWorker: jobs run in the worker process itself, not in a forked work horse, so these are
plain in-process metrics (no multiprocess mode) and the worker's own HTTP thread serves them. Counted per job: its
outcome and duration; per sweep of the sweeper beside it: what it did to sessions. The queue's depth and registries
are read from Redis at scrape time (`QueueCollector`): a number kept in the worker would only say what it last saw,
and a queue that grows because no worker runs is exactly what must show. Labels never carry session or member ids.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

import redis
from prometheus_client import REGISTRY, Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from rq import SimpleWorker
from rq.job import Job, JobStatus
from rq.queue import Queue

from .queue import queue
from .sweep import SweepReport

logger = logging.getLogger("analytics.metrics")

# What a finished `process_session` job says it did (analytics/jobs.py); another value counts as "ok".
JOB_RESULTS = frozenset({"done", "already_done", "skipped", "missing"})

JOBS = Counter("jarvis_analytics_jobs", "Analytics jobs run, by outcome: what a finished job returned (done, "
               "already_done, skipped, missing, ok), or retried (a retry is scheduled), failed (no retry left), "
               "stopped", ["outcome"])
JOB_DURATION = Histogram("jarvis_analytics_job_duration_seconds", "Time one analytics job ran in the worker, "
                         "whatever its outcome", buckets=(0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0,
                                                          300.0))
SWEEPS = Counter("jarvis_analytics_sweeps", "Sweeps the worker's sweeper completed (a failed sweep is logged)")
SWEPT = Counter("jarvis_analytics_swept_sessions", "Sessions the sweeper acted on: enqueued (pending or stuck, "
                "sent to the queue), left_pending (Redis failed), abandoned_closed", ["outcome"])


def job_outcome(job: Job) -> str:
    """The label of a job that just ran, from its status in this process (no Redis round trip but for a finished
    job's result)."""
    status = job.get_status(refresh=False)
    if status == JobStatus.FINISHED:
        result = job.return_value()
        reported = result.get("status") if isinstance(result, dict) else None
        return reported if reported in JOB_RESULTS else "ok"
    if status in (JobStatus.SCHEDULED, JobStatus.QUEUED):
        return "retried"
    if status == JobStatus.STOPPED:
        return "stopped"
    return "failed"


class MeteredWorker(SimpleWorker):
    """RQ's SimpleWorker, counting each job's outcome and duration. A metric must never cost a job: a Redis error
    while reading the outcome is counted as `unknown`, not raised into RQ's loop."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        started = time.perf_counter()
        try:
            super().execute_job(job, queue)
        finally:
            JOB_DURATION.observe(time.perf_counter() - started)
            try:
                outcome = job_outcome(job)
            except (redis.RedisError, OSError):
                outcome = "unknown"
            JOBS.labels(outcome).inc()


def count_sweep(report: SweepReport) -> None:
    """The sweeper's `report` callback."""
    SWEEPS.inc()
    for outcome in ("enqueued", "left_pending", "abandoned_closed"):
        if count := getattr(report, outcome):
            SWEPT.labels(outcome).inc(count)


class QueueCollector:
    """The queue "analytics" as Redis holds it at scrape time: jobs waiting, and jobs in the started (running),
    scheduled (waiting out a retry backoff) and failed registries. `jarvis_analytics_redis_up` is 0 when Redis did
    not answer: the scrape still succeeds, without the queue's numbers."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return self._families()

    def _families(self) -> list[GaugeMetricFamily]:
        return [GaugeMetricFamily("jarvis_analytics_queue_depth", "Jobs waiting in the RQ queue analytics"),
                GaugeMetricFamily("jarvis_analytics_queue_jobs", "Jobs of the queue analytics in a registry: "
                                  "started, scheduled (retry backoff), failed", labels=["registry"]),
                GaugeMetricFamily("jarvis_analytics_redis_up", "1 when Redis answered this scrape")]

    def collect(self) -> Iterable[GaugeMetricFamily]:
        depth, registries, up = self._families()
        try:
            q = queue(self.connection)
            depth.add_metric([], q.count)
            for name, registry in (("started", q.started_job_registry), ("scheduled", q.scheduled_job_registry),
                                   ("failed", q.failed_job_registry)):
                registries.add_metric([name], registry.get_job_count(cleanup=False))
        except (redis.RedisError, OSError) as exc:
            logger.debug("queue metrics unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [depth, registries, up]


def serve(port: int, connection: redis.Redis) -> Callable[[], None] | None:
    """Serve /metrics on `port`, on every interface (as the agent worker's): the stop function, or None when the
    port is taken — logged, and the worker runs on without metrics rather than not at all."""
    collector = QueueCollector(connection)
    REGISTRY.register(collector)
    try:
        server, thread = start_http_server(port)
    except OSError as exc:
        REGISTRY.unregister(collector)
        logger.warning("metrics not served: port %d unavailable (%s)", port, exc.strerror or exc)
        return None
    logger.info("metrics on :%d/metrics", port)

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        REGISTRY.unregister(collector)
        connection.close()

    return stop
