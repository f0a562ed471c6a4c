"""The hand-off of finished sessions against the real Postgres and Redis: spool, replay, rejects, one job each."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from rq import Queue

from analytics.queue import QUEUE, enqueue_session
from jarvis_agent.handoff import Spool, hand_off, replay_spool

from ..conftest import sql


def record(gym_id, member_id=None) -> dict:
    now = datetime.now(UTC).isoformat()
    return {"id": str(uuid.uuid4()), "gym_slug": "paris-bastille", "gym_id": str(gym_id),
            "member_id": str(member_id) if member_id else None, "kiosk_id": "k1", "status": "ended",
            "started_at": now, "ended_at": now, "end_reason": "goodbye",
            "transcript": [{"role": "assistant", "text": "Salut !", "at": now}], "metrics": {},
            "interactions": [{"seq": 0, "tool_name": "get_gym_info", "arguments": {}, "result": "ok",
                              "error": None, "latency_ms": 3.0, "created_at": now}]}


def redis_factory(redis_url):
    import redis
    return lambda: redis.Redis.from_url(redis_url)


async def test_concurrent_replays_take_each_spooled_session_once(store, db_url, demo, redis_url, redis_conn,
                                                                  tmp_path) -> None:
    spool = Spool(tmp_path / "spool")
    records = [record(demo.paris, demo.member) for _ in range(6)]
    for r in records:
        spool.write(r)
    counts = await asyncio.gather(*(replay_spool(store, redis_factory=redis_factory(redis_url), spool=spool)
                                    for _ in range(3)))
    assert sum(counts) == 6 and spool.pending() == []
    ids = [r["id"] for r in records]
    (n, tools), = sql(db_url, "select count(*), sum((select count(*) from jarvis_interactions i "
                              "where i.session_id = s.id)) from voice_sessions s where s.id = any(%s::uuid[])", ids)
    assert (n, tools) == (6, 6)
    assert sorted(j.args[0] for j in Queue(QUEUE, connection=redis_conn).jobs) == sorted(ids)


async def test_a_session_the_database_refuses_is_kept_aside_and_does_not_block_the_rest(store, db_url, demo,
                                                                                        redis_url, tmp_path) -> None:
    spool = Spool(tmp_path / "spool")
    bad = record(uuid.uuid4())  # a gym that does not exist
    good = record(demo.paris)
    spool.write(bad)
    spool.write(good)
    assert await replay_spool(store, redis_factory=redis_factory(redis_url), spool=spool) == 1
    assert spool.pending() == []
    assert [p.stem for p in (spool.directory / "rejected").glob("*.json")] == [bad["id"]]
    assert sql(db_url, "select count(*) from voice_sessions where id = %s", good["id"]) == [(1,)]


async def test_hand_off_persists_enqueues_and_leaves_no_spool_file(store, db_url, demo, redis_url, redis_conn,
                                                                    tmp_path) -> None:
    spool = Spool(tmp_path / "spool")
    r = record(demo.paris, demo.member)
    assert await hand_off(store, r, redis_factory=redis_factory(redis_url), spool=spool) == "enqueued"
    assert list(spool.directory.iterdir()) == []
    assert sql(db_url, "select analytics_status from voice_sessions where id = %s", r["id"]) == [("queued",)]
    enqueue_session(redis_conn, r["id"])  # the sweeper finding it "stuck": the waiting job is not queued twice
    assert Queue(QUEUE, connection=redis_conn).count == 1
