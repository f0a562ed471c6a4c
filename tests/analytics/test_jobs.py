"""The analytics queue end to end on the real embedded Redis and Postgres: sessions persisted by the agent's API,
enqueued on "analytics", processed by `python -m analytics worker --burst` (RQ's real worker, in a subprocess)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from rq import Queue, Retry
from rq.job import Job
from rq.registry import FailedJobRegistry

from analytics.queue import QUEUE, enqueue_session, job_id
from jarvis_agent.settings import REPO_ROOT

from ..conftest import sql
from .camembert import needs_transformers, random_camembert


async def persist(store, gym, member, *turns: str, role: str = "user") -> str:
    now = datetime.now(UTC).isoformat()
    sid = str(uuid.uuid4())
    transcript = [{"role": "assistant", "text": "Salut ! Qu'est-ce que je peux faire pour toi ?", "at": now}]
    transcript += [{"role": role, "text": t, "at": now} for t in turns]
    await store.persist_voice_session({"id": sid, "gym_id": str(gym), "member_id": str(member) if member else None,
                                       "kiosk_id": "k1", "status": "ended", "started_at": now, "ended_at": now,
                                       "end_reason": "goodbye", "transcript": transcript, "metrics": {},
                                       "interactions": []})
    return sid


def work(db_url: str, redis_url: str, sentiment_model: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "JARVIS_SENTIMENT_MODEL": sentiment_model}
    done = subprocess.run([sys.executable, "-m", "analytics", "worker", "--burst"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def result(redis_conn, session_id: str):
    return Job.fetch(job_id(session_id), connection=redis_conn).return_value()


async def test_a_session_is_analysed_and_written_back_for_the_manager(store, db_url, demo, redis_url,
                                                                      redis_conn) -> None:
    sid = await persist(store, demo.paris, demo.member, "Je suis tombé sur le tapis et j'ai mal au genou.",
                        "Franchement c'est nul, je vais résilier mon abonnement.")
    enqueue_session(redis_conn, sid)
    work(db_url, redis_url)
    assert result(redis_conn, sid)["status"] == "done"
    (status, label, score, analytics), = sql(db_url, "select analytics_status, sentiment_label, sentiment_score, "
                                                     "analytics from voice_sessions where id = %s", sid)
    assert (status, label) == ("done", "negative") and score < -0.15
    assert analytics["analyser"].startswith("lexicon:") and "pain_injury" in analytics["emotions"]
    assert analytics["priority"] == "high" and set(analytics["signals"]) >= {"injury", "cancellation"}
    missions = sql(db_url, "select title, priority, source from manager_missions where session_id = %s order by title",
                   sid)
    assert [(p, s) for _, p, s in missions] == [("high", "analytics"), ("high", "analytics")]
    assert any(t.startswith("Intention de résilier") for t, _, _ in missions)
    notes = sql(db_url, "select urgency, title from manager_notifications where session_id = %s order by title", sid)
    assert notes == [("high", "Blessure signalée"), ("high", "Intention de résilier")]
    (churn, version), = sql(db_url, "select churn_score, churn_model_version from gym_members where id = %s",
                            demo.member)
    assert churn is not None and version == "churn-public-v1" and analytics["churn"]["score"] == pytest.approx(churn)

    enqueue_session(redis_conn, sid)  # run again: nothing more
    work(db_url, redis_url)
    assert result(redis_conn, sid)["status"] == "already_done"
    assert sql(db_url, "select count(*) from manager_missions where session_id = %s", sid) == [(2,)]


@needs_transformers
async def test_a_worker_configured_with_a_camembert_model_uses_it(store, db_url, demo, redis_url, redis_conn,
                                                                  tmp_path) -> None:
    folder = random_camembert(tmp_path / "camembert")
    sid = await persist(store, demo.paris, demo.member, "Super séance aujourd'hui , merci !")
    enqueue_session(redis_conn, sid)
    work(db_url, redis_url, sentiment_model=str(folder))
    (status, analytics), = sql(db_url, "select analytics_status, analytics from voice_sessions where id = %s", sid)
    assert status == "done" and analytics["analyser"] == f"transformers:{folder}"
    assert analytics["utterances"][0]["analyser"] == analytics["analyser"]


async def test_a_rerun_after_a_crash_mid_job_creates_nothing_twice(store, db_url, demo, redis_url,
                                                                   redis_conn) -> None:
    sid = await persist(store, demo.paris, demo.member, "Un homme me harcèle dans les vestiaires.")
    enqueue_session(redis_conn, sid)
    work(db_url, redis_url)
    before = sql(db_url, "select (select count(*) from manager_missions where session_id = %s), "
                         "(select count(*) from manager_notifications where session_id = %s)", sid, sid)
    assert before == [(1, 1)]
    # as if the worker died after its writes, before marking the session done: the sweeper re-enqueues it
    sql(db_url, "update voice_sessions set analytics_status = 'processing' where id = %s", sid)
    redis_conn.delete(f"rq:job:{job_id(sid)}")
    enqueue_session(redis_conn, sid)
    work(db_url, redis_url)
    assert result(redis_conn, sid)["status"] == "done"
    assert sql(db_url, "select (select count(*) from manager_missions where session_id = %s), "
                       "(select count(*) from manager_notifications where session_id = %s)", sid, sid) == before
    (urgency,), = sql(db_url, "select urgency from manager_notifications where session_id = %s", sid)
    assert urgency == "critical"


async def test_a_transient_database_error_is_retried(store, db_url, demo, redis_url, redis_conn) -> None:
    sid = await persist(store, demo.paris, None, "Les vestiaires sont super propres, merci !")
    enqueue_session(redis_conn, sid, retry=Retry(max=2))
    release = threading.Event()

    def hold() -> None:  # the lock outlasts the pool's lock_timeout (4 s) until the first attempt has failed
        import redis
        conn_r = redis.Redis.from_url(redis_url)
        with psycopg.connect(db_url) as conn:
            conn.execute("lock table voice_sessions in access exclusive mode")
            for _ in range(300):
                if release.wait(0.2):
                    break
                if Job.fetch(job_id(sid), connection=conn_r).retries_left < 2:  # the first attempt failed
                    break
    holder = threading.Thread(target=hold)
    holder.start()
    try:
        done = work(db_url, redis_url)
    finally:
        release.set()
        holder.join()
    job = Job.fetch(job_id(sid), connection=redis_conn)
    assert job.retries_left == 1 and "Unavailable" in done.stderr  # one failed attempt, retried
    assert job.return_value()["status"] == "done"
    assert sql(db_url, "select sentiment_label from voice_sessions where id = %s", sid) == [("positive",)]


async def test_poison_inputs_complete_with_a_clear_status_and_the_worker_survives(store, db_url, demo, redis_url,
                                                                                 redis_conn) -> None:
    missing = str(uuid.uuid4())
    empty = await persist(store, demo.paris, demo.member)
    huge = await persist(store, demo.paris, demo.member, *(["Le tapis de course est encore en panne. " * 400] * 60))
    english = await persist(store, demo.paris, None, "Hello, I would like to know when the swimming pool opens "
                                                     "tomorrow morning please, thank you very much")
    for sid in (missing, empty, huge, english):
        enqueue_session(redis_conn, sid)
    Queue(QUEUE, connection=redis_conn).enqueue("analytics.process_session", "not-a-uuid", job_id="bad-id")
    work(db_url, redis_url)
    assert result(redis_conn, missing)["status"] == "missing"
    assert result(redis_conn, empty) == {"session_id": empty, "status": "skipped", "reason": "empty"}
    assert result(redis_conn, english)["reason"] == "not_french"
    assert result(redis_conn, huge)["status"] == "done"
    (analytics,), = sql(db_url, "select analytics from voice_sessions where id = %s", huge)
    assert analytics["truncated"] is True and "equipment" in analytics["signals"]
    assert sql(db_url, "select analytics_status, analytics_error from voice_sessions where id = %s", empty) == [
        ("skipped", "no member utterance to analyse")]
    failed = FailedJobRegistry(QUEUE, connection=redis_conn)
    assert "bad-id" in failed.get_job_ids()
    assert "InvalidInput" in Job.fetch("bad-id", connection=redis_conn).latest_result().exc_string


async def test_a_permanent_failure_marks_the_session_failed_and_the_sweeper_leaves_it(store, db_url, demo, redis_url,
                                                                                     redis_conn) -> None:
    sid = await persist(store, demo.paris, demo.member, "Je me suis blessé à l'épaule sur le banc.")
    # the mission key this job will use is already taken by another request: a Conflict, not a transient error
    await store.create_mission(demo.paris, "Autre chose", "Sans rapport", "low", f"analytics:{sid}:mission:injury")
    Queue(QUEUE, connection=redis_conn).enqueue("analytics.process_session", sid, job_id=job_id(sid))
    work(db_url, redis_url)
    assert job_id(sid) in FailedJobRegistry(QUEUE, connection=redis_conn).get_job_ids()
    (status, error), = sql(db_url, "select analytics_status, analytics_error from voice_sessions where id = %s", sid)
    assert status == "failed" and error.startswith("Conflict")
    claimed = await store.claim_pending_sessions(stale_seconds=0)
    assert sid not in [c["session_id"] for c in claimed["sessions"]]


def kill_worker_mid_job(db_url: str, redis_url: str, redis_conn, sid: str) -> None:
    """Start a real worker, let it take the session's job (held inside its first read by a table lock), kill -9."""
    import signal
    import time

    release, locked = threading.Event(), threading.Event()

    def hold() -> None:
        with psycopg.connect(db_url) as conn:
            conn.execute("lock table voice_sessions in access exclusive mode")
            locked.set()
            release.wait(20)
    holder = threading.Thread(target=hold)
    holder.start()
    locked.wait(10)
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url}
    worker = subprocess.Popen([sys.executable, "-m", "analytics", "worker", "--sweep-every", "0"], cwd=REPO_ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while Job.fetch(job_id(sid), connection=redis_conn).get_status() != "started":
            assert time.monotonic() < deadline and worker.poll() is None, "the job never started"
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        release.set()
        holder.join()
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)


async def test_a_worker_killed_mid_job_loses_nothing(store, db_url, demo, redis_url, redis_conn) -> None:
    """kill -9 of a real worker while its job runs: the sweeper finds the session stuck and its job abandoned,
    enqueues it again, and the next worker analyses it once."""
    from analytics.sweep import sweep

    sid = await persist(store, demo.paris, demo.member, "Le tapis numéro deux est en panne depuis hier.")
    await store.mark_session_analytics(sid, "queued")
    enqueue_session(redis_conn, sid)
    kill_worker_mid_job(db_url, redis_url, redis_conn, sid)
    assert Job.fetch(job_id(sid), connection=redis_conn).get_status() == "started"  # as the dead worker left it
    report = await sweep(store, redis_conn, stale_seconds=0)
    assert report.enqueued >= 1
    work(db_url, redis_url)
    assert result(redis_conn, sid)["status"] == "done"
    assert sql(db_url, "select count(*) from manager_missions where session_id = %s", sid) == [(1,)]
