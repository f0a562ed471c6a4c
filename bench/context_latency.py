"""Latency of loading a session context (Layer 1) on a large demo, weather off.

    python bench/context_latency.py [--members 10000] [--visits 1000000] [--sessions 500] [--database-url URL]

Seeds the demo gyms into a fresh database (see _seeded.py), then loads the context of `--sessions` sessions one after
the other through `load_context` and the pooled Postgres transport, as the worker does when a member badges: a mix
of members (with their visits, coach and last session summaries), unknown badges and visitors. Prints one JSON line
with p50/p95/max in ms, per kind and overall. Target (issue 3): p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time

import psycopg
from _seeded import add_seed_arguments, seeded_database

from jarvis_agent.context import load_context
from jarvis_agent.store.postgres import PostgresStore

TARGET_P95_MS = 50.0


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"n": len(samples), "p50_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))], 3),
            "max_ms": round(ordered[-1], 3)}


async def run(url: str, sessions: int) -> dict[str, dict[str, float]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("select g.slug, m.badge_id from gym_members m join gyms g on g.id = m.gym_id "
                            "where m.is_active").fetchall()
    rng = random.Random(7)
    store = await PostgresStore.connect(url, min_size=1, max_size=4)
    samples: dict[str, list[float]] = {"member": [], "unknown_badge": [], "visitor": []}
    for i in range(sessions + 20):
        kind = rng.choices(list(samples), weights=[8, 1, 1])[0]
        slug, badge = rng.choice(rows)
        badge = {"member": badge, "unknown_badge": f"XX-{i:06d}", "visitor": None}[kind]
        start = time.perf_counter()
        context = await load_context(store, slug, badge, budget_s=1.0, weather=None)
        elapsed = (time.perf_counter() - start) * 1000
        assert context.left_out == [], context.left_out
        if i >= 20:  # warm-up: prepared statements, pool
            samples[kind].append(elapsed)
    await store.close()
    result = {kind: summary(values) for kind, values in samples.items()}
    result["all"] = summary([v for values in samples.values() for v in values])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_seed_arguments(parser)
    parser.add_argument("--sessions", type=int, default=500)
    args = parser.parse_args()
    with seeded_database(args.members, args.visits, args.database_url) as (url, report):
        latency = asyncio.run(run(url, args.sessions))
    print(json.dumps({"members": report.members, "visits": report.visits, "weather": "off", "context": latency,
                      "target_p95_ms": TARGET_P95_MS, "ok": latency["all"]["p95_ms"] <= TARGET_P95_MS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
