"""The RQ queue "analytics": the one place that knows its name and the job a finished session gets.

The agent enqueues `analytics.process_session(session_id)` by name, so the agent worker does not import the
analytics models; the analytics worker (`python -m analytics worker`) resolves it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

QUEUE = "analytics"
PROCESS_SESSION = "analytics.process_session"


def queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE, connection=connection)


WAITING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def job_id(session_id: UUID | str) -> str:
    return f"analytics-session-{session_id}"


RETRY = Retry(max=3, interval=[10, 60, 300])
JOB_TIMEOUT_S = 300


def abandoned(job: Job, after_s: float) -> bool:
    """A job marked started longer ago than it may run: its worker died (kill -9, a lost machine)."""
    started = job.started_at
    return started is not None and (datetime.now(UTC) - started.replace(tzinfo=UTC)).total_seconds() > after_s


def enqueue_session(connection: redis.Redis, session_id: UUID | str, *, retry: Retry = RETRY,
                    abandoned_after_s: float = JOB_TIMEOUT_S + 60) -> Job:
    """Enqueue the analytics of one persisted session, once: a session whose job is still waiting or running is
    not queued again (the agent's hand-off and the sweeper may both try; `unique` makes it atomic). A finished,
    failed or abandoned job of the same session is replaced. Raises redis.RedisError when Redis is down."""
    for _ in range(3):
        try:
            return queue(connection).enqueue(PROCESS_SESSION, str(session_id), job_id=job_id(session_id), unique=True,
                                             retry=retry, job_timeout=JOB_TIMEOUT_S, result_ttl=86_400,
                                             failure_ttl=30 * 86_400, description=f"analytics of session {session_id}")
        except DuplicateJobError:
            try:
                job = Job.fetch(job_id(session_id), connection=connection)
            except NoSuchJobError:
                continue
            status = job.get_status()
            if status in WAITING and not (status == JobStatus.STARTED and abandoned(job, abandoned_after_s)):
                return job
            job.delete()  # finished, failed or abandoned: out of its registries, then enqueued afresh
    raise redis.RedisError(f"could not enqueue the analytics of session {session_id}")
