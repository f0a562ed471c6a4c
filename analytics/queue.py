"""The RQ queue "analytics": the one place that knows its name and the job a finished session gets.

The agent enqueues `analytics.process_session(session_id)` by name, so the agent worker does not import the
analytics models; the analytics worker (`python -m analytics worker`) resolves it.
"""

from __future__ import annotations

from uuid import UUID

import redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

QUEUE = "analytics"
PROCESS_SESSION = "analytics.process_session"


def queue(connection: redis.Redis) -> Queue:
    return Queue(QUEUE, connection=connection)


WAITING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def job_id(session_id: UUID | str) -> str:
    return f"analytics-session-{session_id}"


RETRY = Retry(max=3, interval=[10, 60, 300])


def enqueue_session(connection: redis.Redis, session_id: UUID | str, *, retry: Retry = RETRY) -> Job:
    """Enqueue the analytics of one persisted session, once: a session whose job is still waiting or running is
    not queued again (the sweeper re-claims sessions that look stuck). Raises redis.RedisError when Redis is down."""
    try:
        job = Job.fetch(job_id(session_id), connection=connection)
        if job.get_status(refresh=False) in WAITING:
            return job
    except NoSuchJobError:
        pass
    return queue(connection).enqueue(PROCESS_SESSION, str(session_id), job_id=job_id(session_id),
                                     retry=retry, job_timeout=300, result_ttl=86_400,
                                     failure_ttl=30 * 86_400, description=f"analytics of session {session_id}")
