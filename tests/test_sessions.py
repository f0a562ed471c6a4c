"""Session persistence (transcript, metrics, tool calls) and the analytics write-backs."""

from __future__ import annotations

import uuid

import pytest

from jarvis_agent.store import Conflict, InvalidInput, NotFound
from jarvis_agent.store.postgres import PostgresStore

from .conftest import sql, table_counts


def session_payload(demo, session_id: uuid.UUID, **extra: object) -> dict:
    payload = {
        "id": str(session_id), "gym_id": str(demo.paris), "member_id": str(demo.member), "kiosk_id": "kiosk-7",
        "started_at": "2026-11-20T17:00:00+01:00", "ended_at": "2026-11-20T17:04:10+01:00", "end_reason": "goodbye",
        "summary": "Inscription au yoga.",
        "transcript": [
            {"role": "assistant", "text": "Salut !", "at": "2026-11-20T16:00:01Z"},
            {"role": "user", "text": "Inscris-moi au yoga de demain.", "at": "2026-11-20T16:00:05Z"},
            {"role": "assistant", "text": "C'est fait.", "at": "2026-11-20T16:00:09Z",
             "metrics": {"e2e_latency": 0.61, "llm_node_ttft": 0.12, "tts_node_ttfb": 0.25}}],
        "metrics": {"turns": 1, "e2e_latency_p50": 0.61},
        "interactions": [
            {"seq": 0, "tool_name": "enroll_group_class", "arguments": {"class_name": "yoga"},
             "result": "inscrit", "latency_ms": 41.5},
            {"seq": 1, "tool_name": "get_gym_info", "arguments": {}, "error": "timeout", "latency_ms": 5000}],
    }
    payload.update(extra)
    return payload


async def test_start_voice_session_is_idempotent(store: PostgresStore, db_url: str, demo) -> None:
    session_id = uuid.uuid4()
    first = await store.start_voice_session(session_id, demo.paris, demo.member, "kiosk-1")
    assert first["status"] == "started"
    assert await store.start_voice_session(session_id, demo.paris, demo.member, "kiosk-1") == first
    assert sql(db_url, "select count(*) from voice_sessions where id = %s", session_id) == [(1,)]
    with pytest.raises(Conflict):
        await store.start_voice_session(session_id, demo.lyon)
    with pytest.raises(NotFound):
        await store.start_voice_session(uuid.uuid4(), demo.paris, demo.inactive)


async def test_persist_voice_session(store: PostgresStore, db_url: str, demo) -> None:
    session_id = uuid.uuid4()
    await store.start_voice_session(session_id, demo.paris, demo.member, "kiosk-7")
    result = await store.persist_voice_session(session_payload(demo, session_id))
    assert result == {"session_id": str(session_id), "status": "ended", "analytics_status": "pending",
                      "interactions_written": 2}
    (status, transcript, metrics, summary, kiosk), = sql(
        db_url, "select status, transcript, metrics, summary, kiosk_id from voice_sessions where id = %s", session_id)
    assert status == "ended" and len(transcript) == 3 and transcript[2]["metrics"]["tts_node_ttfb"] == 0.25
    assert metrics["turns"] == 1 and summary == "Inscription au yoga." and kiosk == "kiosk-7"
    assert sql(db_url, "select seq, tool_name, error, latency_ms from jarvis_interactions where session_id = %s "
                       "order by seq", session_id) == [(0, "enroll_group_class", None, 41.5),
                                                       (1, "get_gym_info", "timeout", 5000.0)]


async def test_persist_replay_writes_nothing_twice(store: PostgresStore, db_url: str, demo) -> None:
    session_id = uuid.uuid4()
    payload = session_payload(demo, session_id)
    await store.persist_voice_session(payload)
    before = table_counts(db_url)
    again = await store.persist_voice_session(payload)
    assert again["interactions_written"] == 0
    assert table_counts(db_url) == before
    # Once analytics ran, a replay (e.g. from the agent's spool) does not send the session back to the queue.
    await store.save_session_analytics(session_id, {"churn": {"score": 0.2}}, 0.4, "positive")
    assert (await store.persist_voice_session(payload))["analytics_status"] == "done"


async def test_persist_a_one_megabyte_transcript(store: PostgresStore, db_url: str, demo) -> None:
    session_id = uuid.uuid4()
    turns = [{"role": "user", "text": "é" * 1000} for _ in range(600)]  # ~1.2 MB of UTF-8
    await store.persist_voice_session(session_payload(demo, session_id, transcript=turns))
    assert sql(db_url, "select jsonb_array_length(transcript) from voice_sessions where id = %s",
               session_id) == [(600,)]


@pytest.mark.parametrize(("change", "error", "reason"), [
    ({"id": "pas-un-uuid"}, InvalidInput, "invalid_session"),
    ({"id": None}, InvalidInput, "missing_value"),
    ({"gym_id": str(uuid.uuid4())}, NotFound, "gym_not_found"),
    ({"transcript": {"role": "user"}}, InvalidInput, "invalid_session"),
    ({"status": "exploded"}, InvalidInput, "invalid_choice"),
    ({"ended_at": "hier soir"}, InvalidInput, "invalid_datetime"),
    ({"transcript": [{"text": "x" * 1000}] * 9000}, InvalidInput, "too_large")])
async def test_persist_rejects_bad_sessions_and_writes_nothing(store: PostgresStore, db_url: str, demo,
                                                               change: dict, error: type, reason: str) -> None:
    before = table_counts(db_url)
    with pytest.raises(error) as err:
        await store.persist_voice_session(session_payload(demo, uuid.uuid4(), **change))
    assert err.value.reason == reason
    assert table_counts(db_url) == before


async def test_persist_refuses_a_member_or_session_of_another_gym(store: PostgresStore, db_url: str,
                                                                  demo) -> None:
    before = table_counts(db_url)
    with pytest.raises(NotFound):
        await store.persist_voice_session(session_payload(demo, uuid.uuid4(), member_id=str(demo.lyon_member)))
    lyon_session = uuid.uuid4()
    await store.start_voice_session(lyon_session, demo.lyon)
    with pytest.raises(Conflict):
        await store.persist_voice_session(session_payload(demo, lyon_session))
    assert sql(db_url, "select gym_id, status from voice_sessions where id = %s", lyon_session) == [
        (demo.lyon, "started")]
    assert table_counts(db_url)["public.jarvis_interactions"] == before["public.jarvis_interactions"]


async def test_analytics_pipeline_states(store: PostgresStore, db_url: str, demo) -> None:
    sql(db_url, "update voice_sessions set analytics_status = 'done'")
    session_id = uuid.uuid4()
    await store.persist_voice_session(session_payload(demo, session_id))

    def claimed(result: dict) -> list[str]:
        return [s["session_id"] for s in result["sessions"]]

    assert claimed(await store.claim_pending_sessions()) == [str(session_id)]
    assert sql(db_url, "select analytics_status from voice_sessions where id = %s", session_id) == [("queued",)]
    assert claimed(await store.claim_pending_sessions()) == []  # already claimed
    # A job stuck in "queued" (lost, or its worker died) comes back to the sweeper once stale.
    assert claimed(await store.claim_pending_sessions(stale_seconds=0)) == [str(session_id)]
    await store.mark_session_analytics(session_id, "pending")  # the enqueue failed: Redis down
    await store.mark_session_analytics(session_id, "processing")
    await store.mark_session_analytics(session_id, "failed", error="x" * 5000)
    (status, error), = sql(db_url, "select analytics_status, analytics_error from voice_sessions where id = %s",
                           session_id)
    assert status == "failed" and len(error) == 2000
    await store.mark_session_analytics(session_id, "processing")  # retried
    await store.save_session_analytics(session_id, {"sentiment": {"score": 0.1}}, 0.1, "neutral")
    # done is final: a late or duplicate worker cannot move it back.
    for late in ("queued", "processing", "pending", "failed"):
        with pytest.raises(Conflict) as err:
            await store.mark_session_analytics(session_id, late)
        assert err.value.reason == "invalid_transition"
    assert claimed(await store.claim_pending_sessions(stale_seconds=0)) == []
    with pytest.raises(InvalidInput):
        await store.mark_session_analytics(session_id, "done")  # only save_session_analytics finishes a session
    with pytest.raises(InvalidInput):
        await store.mark_session_analytics(session_id, "teleported")
    with pytest.raises(NotFound):
        await store.mark_session_analytics(uuid.uuid4(), "queued")


async def test_concurrent_sweepers_never_claim_the_same_session(store: PostgresStore, db_url: str, demo) -> None:
    import asyncio

    sql(db_url, "update voice_sessions set analytics_status = 'done'")
    ids = {str(uuid.uuid4()) for _ in range(40)}
    for session_id in ids:
        await store.persist_voice_session(session_payload(demo, uuid.UUID(session_id)))
    results = await asyncio.gather(*(store.claim_pending_sessions(limit=7) for _ in range(8)))
    batches = [[s["session_id"] for s in r["sessions"]] for r in results]
    flat = [s for batch in batches for s in batch]
    assert len(flat) == len(set(flat)) == 40 and set(flat) == ids


async def test_save_session_analytics(store: PostgresStore, db_url: str, demo) -> None:
    session_id = uuid.uuid4()
    await store.persist_voice_session(session_payload(demo, session_id, summary=None))
    analytics = {"sentiment": {"score": -0.6, "label": "negative", "analyser": "lexicon"},
                 "churn": {"score": 0.81, "level": "HIGH"}}
    result = await store.save_session_analytics(session_id, analytics, -0.6, "negative", summary="Membre agacé.")
    assert result["analytics_status"] == "done"
    assert sql(db_url, "select analytics, sentiment_score, sentiment_label, summary from voice_sessions "
                       "where id = %s", session_id) == [(analytics, -0.6, "negative", "Membre agacé.")]
    with pytest.raises(InvalidInput):
        await store.save_session_analytics(session_id, analytics, 3.5, "negative")
    with pytest.raises(InvalidInput):
        await store.save_session_analytics(session_id, analytics, -0.2, "furieux")
    with pytest.raises(NotFound):
        await store.save_session_analytics(uuid.uuid4(), analytics)


async def test_set_member_churn(store: PostgresStore, db_url: str, demo) -> None:
    members = [r[0] for r in sql(db_url, "select id from gym_members where gym_id = %s order by badge_id limit 3",
                                 demo.paris)]
    factors = [{"feature": "days_since_last_visit", "label": "18 jours sans visite", "impact": 0.31}]
    scores = [{"member_id": str(m), "score": 0.1 * (i + 1), "level": "LOW", "factors": factors}
              for i, m in enumerate(members)]
    assert await store.set_member_churn(demo.paris, scores, "cold-start-1") == {"updated": 3,
                                                                                "model_version": "cold-start-1"}
    rows = sql(db_url, "select churn_score, churn_level, churn_factors, churn_model_version from gym_members "
                       "where id = any(%s) order by badge_id", members)
    assert [(round(r[0], 2), r[1], r[2], r[3]) for r in rows] == [
        (0.1, "LOW", factors, "cold-start-1"), (0.2, "LOW", factors, "cold-start-1"),
        (0.3, "LOW", factors, "cold-start-1")]


@pytest.mark.parametrize(("scores", "error"), [
    ([{"member_id": "x", "score": 0.5, "level": "LOW"}], InvalidInput),
    ([{"score": 0.5, "level": "LOW"}], InvalidInput),
    ([{"member_id": "MEMBER", "score": 1.5, "level": "LOW"}], InvalidInput),
    ([{"member_id": "MEMBER", "score": 0.5, "level": "EXTREME"}], InvalidInput),
    ([{"member_id": "LYON", "score": 0.5, "level": "LOW"}], NotFound)])
async def test_set_member_churn_rejects_bad_scores_and_writes_nothing(store: PostgresStore, db_url: str, demo,
                                                                      scores: list, error: type) -> None:
    for s in scores:
        s["member_id"] = {"MEMBER": str(demo.member), "LYON": str(demo.lyon_member)}.get(s.get("member_id"),
                                                                                         s.get("member_id"))
    good = {"member_id": str(demo.member), "score": 0.5, "level": "MEDIUM"}
    with pytest.raises(error):
        await store.set_member_churn(demo.paris, [good, *scores], "v1")
    assert sql(db_url, "select churn_score from gym_members where id = %s", demo.member) == [(None,)]
