"""Analytics throughput: sessions processed per second by one worker, and batch churn scoring of a gym.

    python bench/analytics_throughput.py [--members 28500] [--sessions 500] [--database-url URL]
    python bench/analytics_throughput.py --camembert [--sessions 100]   # report only: a CamemBERT-size model on CPU

Seeds the demo (28,500 members put ~10,000 active ones in Paris) into a fresh database, persists `--sessions`
finished kiosk sessions with French member utterances, enqueues them on the RQ queue "analytics" of an embedded
Redis and runs one analytics worker (RQ SimpleWorker, burst) with the lexicon analyser: sentiment, insight rules,
the member's churn rescoring and every database write-back. Then `score` of every active member of the largest
gym. Prints one JSON line each. Targets: >= 100 sessions/s; 10,000 members scored in <= 2 s.

`--camembert` runs the worker with the transformers analyser on a randomly initialised CamemBERT of camembert-base's
size (12 layers of 768, 110 M parameters; no model hub is reachable, and the speed does not depend on the weights;
word-level tokens, so a little shorter sequences than camembert-base's SentencePiece gives) and skips the scoring.
Needs the [sentiment] extra and torch.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from _seeded import seeded_database

UTTERANCES = [
    "Je voudrais réserver un cours de yoga demain soir.", "Le tapis de course numéro trois est encore en panne.",
    "Super séance aujourd'hui, merci !", "J'ai un peu mal au genou depuis la dernière séance.",
    "À quelle heure ferme la salle ce soir ?", "Les vestiaires sont sales, c'est pas terrible.",
    "Je suis motivé, je veux perdre cinq kilos.", "Je vais peut-être résilier, c'est trop cher.",
]


async def persist_sessions(url: str, n: int) -> list[str]:
    from jarvis_agent.store.postgres import PostgresStore

    store = await PostgresStore.connect(url)
    try:
        with psycopg.connect(url) as conn:
            members = conn.execute("select gym_id, id from gym_members where is_active").fetchall()
        rng, ids = random.Random(7), []
        now = datetime.now(UTC).isoformat()
        for _ in range(n):
            gym, member = rng.choice(members)
            sid = str(uuid.uuid4())
            turns = [{"role": "assistant", "text": "Salut !", "at": now}]
            for text in rng.sample(UTTERANCES, 3):
                turns += [{"role": "user", "text": text, "at": now}, {"role": "assistant", "text": "D'accord.",
                                                                       "at": now}]
            await store.persist_voice_session({"id": sid, "gym_id": str(gym), "member_id": str(member),
                                               "status": "ended", "started_at": now, "ended_at": now,
                                               "transcript": turns, "metrics": {}, "interactions": []})
            ids.append(sid)
        return ids
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=28_500)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--database-url")
    parser.add_argument("--camembert", action="store_true", help="the transformers analyser, camembert-base size")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with seeded_database(members=args.members, visits=None, database_url=args.database_url) as (url, _), \
            tempfile.TemporaryDirectory(prefix="jarvis-bench-") as tmp:
        from jarvis_agent.store.embedded import EmbeddedRedis

        redis_server = EmbeddedRedis(Path(tmp))
        model = ""
        if args.camembert:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
            from tests.analytics.camembert import random_camembert

            model = str(random_camembert(Path(tmp) / "camembert-base-random", size="base"))
        os.environ.update(DATABASE_URL=url, REDIS_URL=redis_server.start(), JARVIS_SENTIMENT_MODEL=model)
        try:
            from rq import SimpleWorker

            from analytics import jobs
            from analytics.queue import enqueue_session, queue
            from jarvis_agent.settings import get_settings
            from jarvis_agent.store import services

            get_settings.cache_clear()
            ids = asyncio.run(persist_sessions(url, args.sessions))
            connection = services.redis_connection()
            for sid in ids:
                enqueue_session(connection, sid)
            jobs.runtime()  # model, analyser and pool loaded once, as a running worker has them
            jobs.runtime().run(jobs.runtime().get_store())
            started = time.perf_counter()
            SimpleWorker([queue(connection)], connection=connection).work(burst=True, logging_level="WARNING")
            seconds = time.perf_counter() - started
            with psycopg.connect(url) as conn:
                (done,), = conn.execute("select count(*) from voice_sessions where analytics_status = 'done' "
                                        "and id = any(%s::uuid[])", (ids,)).fetchall()
            print(json.dumps({"benchmark": "analytics_worker", "sessions": len(ids), "done": done,
                              "seconds": round(seconds, 3), "sessions_per_s": round(len(ids) / seconds, 1),
                              "analyser": jobs.runtime().analyser.name,
                              **({"report_only": True} if args.camembert else {"target_per_s": 100})}), flush=True)

            from analytics.churn import ChurnModel
            from analytics.scoring import level_counts, score_members

            async def batch() -> dict:
                store = await services.open_store(get_settings())
                try:
                    with psycopg.connect(url) as conn:
                        gym, = conn.execute("select gym_id from gym_members where is_active group by gym_id "
                                            "order by count(*) desc limit 1").fetchone()
                    model = ChurnModel.load()
                    t0 = time.perf_counter()
                    scores = await score_members(store, model, gym)
                    return {"benchmark": "churn_score_gym", "members": len(scores),
                            "seconds": round(time.perf_counter() - t0, 3), "levels": level_counts(scores),
                            "target_s_for_10000": 2.0}
                finally:
                    await store.close()
            if not args.camembert:
                print(json.dumps(asyncio.run(batch())), flush=True)
            jobs.shutdown()
        finally:
            redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
