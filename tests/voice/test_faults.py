"""Provider and service faults from the doubles: the session goes on, and nothing is lost.

Groq is the DOUBLE of tests/doubles/openai_server.py (429, 500, stalls, cut streams); Redis and Postgres are real
and really made unreachable."""

from __future__ import annotations

import psycopg
import pytest
from rq import Queue

from analytics.queue import QUEUE
from analytics.sweep import sweep
from jarvis_agent.conversation import REPEAT
from jarvis_agent.handoff import Spool, replay_spool

from ..conftest import sql
from ..doubles.openai_server import Fault, Text
from .speech import needs_espeak, speech

PRIMARY, FALLBACK = "llama-3.3-70b-versatile", "llama-3.1-8b-instant"


def replies(result) -> list[str]:
    return [t["text"] for t in result.transcript if t["role"] == "assistant"]


@pytest.mark.parametrize("fault", [Fault(status=429), Fault(status=500), Fault(stall=3.0), Fault(truncated=True)],
                         ids=["429", "500", "timeout", "truncated"])
async def test_the_fallback_llm_answers_when_the_first_fails(runner, model, demo, fault) -> None:
    model.script_for(PRIMARY, *[fault] * 5)  # the first model keeps failing (the adapter probes it again)
    model.script_for(FALLBACK, Text("Le cours de yoga est à 18 h."), Text("Avec plaisir !"))
    result = await runner.run(["C'est à quelle heure le yoga ?", "Merci pour l'info."], badge=demo.member_badge,
                              tts=False, jarvis_llm_timeout_s=1.0)
    models = [r["model"] for r in model.requests]
    assert models[0] == PRIMARY and FALLBACK in models  # (the adapter also probes the failed model again)
    assert any(r.endswith("Le cours de yoga est à 18 h.") for r in replies(result))
    assert replies(result)[-1] == "Avec plaisir !"  # the session went on
    assert result.outcome == "enqueued"


@needs_espeak
async def test_a_failed_transcription_asks_the_member_to_repeat(runner, model, demo) -> None:
    model.hear(Fault(status=500), Fault(status=500), "Je voudrais les horaires du week-end.")
    model.script(Text("Le week-end, on est ouverts de 9 h à 19 h."))
    result = await runner.run([speech("Je voudrais les horaires du week-end."),
                               speech("Je voudrais les horaires du week-end.")], badge=demo.member_badge)
    assert REPEAT in replies(result)
    assert replies(result)[-1] == "Le week-end, on est ouverts de 9 h à 19 h."
    assert len(model.requests) == 1  # the failed segment never reached the LLM


async def test_redis_down_at_session_end_leaves_it_pending_then_the_sweeper_enqueues_it(runner, model, demo, store,
                                                                                         db_url, redis_conn) -> None:
    runner.redis_factory = lambda: __import__("redis").Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    result = await runner.run(["Bonjour !"], badge=demo.member_badge, tts=False)
    assert result.outcome == "pending"
    (status,), = sql(db_url, "select analytics_status from voice_sessions where id = %s", result.session_id)
    assert status == "pending"
    assert Queue(QUEUE, connection=redis_conn).count == 0

    report = await sweep(store, redis_conn)
    assert (report.claimed, report.enqueued) == (1, 1)
    assert Queue(QUEUE, connection=redis_conn).jobs[0].args == (result.session_id,)
    (status,), = sql(db_url, "select analytics_status from voice_sessions where id = %s", result.session_id)
    assert status == "queued"


async def test_the_database_down_at_session_end_spools_the_session_and_replays_it(runner, model, demo, store,
                                                                                  db_url, pg_admin_url,
                                                                                  redis_conn) -> None:
    dbname = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
    model.script(Text("Bonne séance !"))

    def outage(on: bool) -> None:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(f'alter database "{dbname}" allow_connections {"false" if on else "true"}')
            if on:
                admin.execute("select pg_terminate_backend(pid) from pg_stat_activity where datname = %s",
                              (dbname,))

    kiosk = await runner.start(badge=demo.member_badge)
    await kiosk.session.run(user_input="Je vais m'entraîner.")
    outage(True)  # the database goes away during the session
    try:
        assert await kiosk.finish() == "spooled"
        spool = Spool(runner.settings.spool_dir)
        assert [p.stem for p in spool.pending()] == [str(kiosk.meta.session_id)]
    finally:
        outage(False)
    assert await replay_spool(store, redis_factory=runner.redis_factory, spool=spool) == 1
    assert spool.pending() == []
    (status, analytics, n), = sql(db_url, "select status, analytics_status, jsonb_array_length(transcript) "
                                          "from voice_sessions where id = %s", kiosk.meta.session_id)
    assert (status, analytics) == ("ended", "queued") and n >= 3  # greeting, member, answer
    assert Queue(QUEUE, connection=redis_conn).jobs[-1].args == (str(kiosk.meta.session_id),)
