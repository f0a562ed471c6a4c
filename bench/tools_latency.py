"""Latency of every data-API function through the direct Postgres transport, on a large seeded demo.

    python bench/tools_latency.py [--members 10000] [--visits 1000000] [--iterations 200] [--database-url URL]

Seeds the demo gyms (COPY) into a fresh database — by default on a private embedded PostgreSQL 18 in a temporary
directory — then calls each function `--iterations` times, sequentially, over varied members, coaches, classes and
dates, after a warm-up. Prints one JSON line:
{"members", "visits", "seed_seconds", "functions": {name: {"kind", "n", "p50_ms", "p95_ms"}}, "targets": {...}}
Targets (issue 2): read p95 <= 5 ms, write p95 <= 10 ms, seeding <= 60 s. "batch" functions (a whole gym's
leaderboard, a batch of churn scores) are reported but not held to the per-call targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import psycopg
from _seeded import add_seed_arguments, seeded_database

from jarvis_agent.store import NotFound
from jarvis_agent.store.postgres import PostgresStore

READ_P95_MS, WRITE_P95_MS, SEED_S = 5.0, 10.0, 60.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Bench:
    def __init__(self, store: PostgresStore, url: str, iterations: int) -> None:
        self.store, self.url, self.n = store, url, iterations
        self.results: dict[str, dict] = {}

    async def time(self, name: str, kind: str, make_call: Callable[[int], Awaitable[object]], n: int | None = None,
                   warmup: int = 10) -> None:
        n = n or self.n
        for i in range(warmup):
            await make_call(-1 - i)
        samples = []
        for i in range(n):
            start = time.perf_counter()
            await make_call(i)
            samples.append((time.perf_counter() - start) * 1000)
        self.results[name] = {"kind": kind, "n": n, "p50_ms": round(statistics.median(samples), 3),
                              "p95_ms": round(percentile(samples, 0.95), 3)}

    def rows(self, query: str, *args: object) -> list[tuple]:
        with psycopg.connect(self.url) as conn:
            cur = conn.execute(query, args)
            return cur.fetchall() if cur.description else []


async def run(url: str, iterations: int) -> dict[str, dict]:
    store = await PostgresStore.connect(url, min_size=1, max_size=2)
    b = Bench(store, url, iterations)
    (gym, slug), = b.rows("select id, slug from gyms order by slug = 'paris-bastille' desc limit 1")
    members = [r[0] for r in b.rows("select id from gym_members where gym_id = %s and is_active "
                                    "order by md5(id::text) limit 2000", gym)]
    badges = [r[0] for r in b.rows("select badge_id from gym_members where gym_id = %s order by md5(badge_id) "
                                   "limit 500", gym)]
    coaches = [r[0] for r in b.rows("select first_name || ' ' || last_name from coaches where gym_id = %s", gym)]
    questions = ["Quels sont les horaires le dimanche ?", "Combien coûte un coach ?", "Y a-t-il un sauna ?",
                 "Comment résilier mon abonnement ?", "Je peux venir avec un ami ?", "capitale du Pérou"]
    videos = ["squat", "développé couché", "soulevé de terre", "gainage", "tractions", "rameur"]
    goals = ["perte_de_poids", "prise_de_masse", "remise_en_forme", "endurance", "force", "souplesse", "bien_etre"]
    s = store

    def m(i: int) -> uuid.UUID:
        return members[i % len(members)]

    # --- reads ------------------------------------------------------------------------------------------------------
    await b.time("session_context", "read", lambda i: s.session_context(slug, badges[i % len(badges)]))
    await b.time("member_by_badge", "read", lambda i: _swallow(s.member_by_badge(gym, badges[i % len(badges)])))
    await b.time("get_member_stats", "read", lambda i: s.get_member_stats(gym, m(i)))
    await b.time("list_member_bookings", "read", lambda i: s.list_member_bookings(gym, m(i)))
    await b.time("get_weekly_schedule", "read", lambda i: s.get_weekly_schedule(gym, days=7))
    await b.time("get_gym_info", "read", lambda i: s.get_gym_info(gym))
    await b.time("list_coaches", "read", lambda i: s.list_coaches(gym))
    await b.time("check_coach_availability", "read",
                 lambda i: s.check_coach_availability(gym, coach_name=coaches[i % len(coaches)]))
    await b.time("get_equipment_status", "read", lambda i: s.get_equipment_status(gym, "tapis" if i % 2 else None))
    await b.time("get_member_programs", "read", lambda i: s.get_member_programs(gym, m(i)))
    await b.time("search_video_tutorials", "read", lambda i: s.search_video_tutorials(gym, videos[i % len(videos)]))
    await b.time("find_video_tutorial", "read", lambda i: s.find_video_tutorial(gym, videos[i % len(videos)]))
    await b.time("get_nutrition_tips", "read", lambda i: s.get_nutrition_tips(goals[i % len(goals)]))
    await b.time("get_gym_events", "read", lambda i: s.get_gym_events(gym))
    await b.time("check_class_availability", "read", lambda i: s.check_class_availability(gym, "yoga"))
    await b.time("get_member_achievements", "read", lambda i: s.get_member_achievements(gym, m(i)))
    await b.time("get_workout_recommendations", "read", lambda i: s.get_workout_recommendations(gym, m(i)))
    await b.time("get_gym_leaderboard", "read", lambda i: s.get_gym_leaderboard(gym, m(i)))
    await b.time("get_faq_answer", "read", lambda i: s.get_faq_answer(gym, questions[i % len(questions)]))

    # --- writes (each iteration a distinct, valid action) ------------------------------------------------------------
    slots = []
    for coach in coaches:
        availability = await s.check_coach_availability(gym, coach_name=coach, days=14)
        slots += [(coach, slot["at"]) for slot in availability["slots"]]
    n_book = min(b.n, len(slots) - 10)
    await b.time("book_coach_appointment", "write",
                 lambda i: s.book_coach_appointment(gym, m(i + 20), slots[i + 10][1], f"bk-{i}",
                                                    coach_name=slots[i + 10][0]), n=n_book)
    starts = datetime.now(UTC) + timedelta(days=3)
    (big_class,), = b.rows("insert into group_classes (gym_id, name, category, starts_at, duration_minutes, capacity) "
                           "values (%s, 'Bench class', 'bench', %s, 60, 500) returning id", gym, starts)
    enrolled: list[tuple[uuid.UUID, str]] = []

    async def enroll(i: int) -> None:
        result = await s.enroll_group_class(gym, m(i + 1000), f"en-{i}", class_id=big_class)
        enrolled.append((m(i + 1000), result["booking_id"]))

    async def cancel(i: int) -> None:
        member, booking = enrolled.pop()
        await s.cancel_booking(gym, member, f"cx-{i}", booking_id=booking)

    await b.time("enroll_group_class", "write", enroll)
    await b.time("cancel_booking", "write", cancel)
    await b.time("send_sms_reminder", "write", lambda i: _swallow(s.send_sms_reminder(gym, m(i), "Rappel", f"sms-{i}")))
    await b.time("send_email_study", "write",
                 lambda i: _swallow(s.send_email_study(gym, m(i), "Étude", "Contenu", f"mail-{i}")))
    await b.time("notify_gym_manager", "write",
                 lambda i: s.notify_gym_manager(gym, "high", "Machine cassée", f"nt-{i}", member_id=m(i)))
    await b.time("create_mission", "write",
                 lambda i: s.create_mission(gym, "Rappeler", "Baisse de fréquentation", "medium", f"ms-{i}",
                                            member_id=m(i)))
    await b.time("log_feedback", "write",
                 lambda i: s.log_feedback(gym, "equipement", "Tapis bruyant", "negative", f"fb-{i}", member_id=m(i)))
    await b.time("update_member_goals", "write",
                 lambda i: s.update_member_goals(gym, m(i), f"gl-{i}", goal=goals[i % len(goals)]))
    await b.time("book_coach_appointment (retry)", "write",
                 lambda i: s.book_coach_appointment(gym, m(20), slots[10][1], "bk-0", coach_name=slots[10][0]))
    sessions = [uuid.uuid4() for _ in range(b.n + 20)]
    await b.time("start_voice_session", "write",
                 lambda i: s.start_voice_session(sessions[i], gym, m(i), "kiosk-bench"))
    transcript = [{"role": "user" if k % 2 else "assistant", "text": "Bonjour, je voudrais réserver un cours.",
                   "at": "2026-11-21T10:00:00Z"} for k in range(20)]
    await b.time("persist_voice_session", "write", lambda i: s.persist_voice_session({
        "id": str(sessions[i]), "gym_id": str(gym), "member_id": str(m(i)), "transcript": transcript,
        "metrics": {"turns": 10}, "interactions": [{"seq": k, "tool_name": "get_gym_info"} for k in range(5)]}))
    await b.time("mark_session_analytics", "write", lambda i: s.mark_session_analytics(sessions[i], "queued"))
    await b.time("claim_pending_sessions (none pending)", "write", lambda i: s.claim_pending_sessions(limit=100))
    await b.time("save_session_analytics", "write",
                 lambda i: s.save_session_analytics(sessions[i], {"sentiment": {"score": 0.2}}, 0.2, "neutral"))

    # --- batch maintenance ----------------------------------------------------------------------------------------
    all_members = [r[0] for r in b.rows("select id from gym_members where gym_id = %s", gym)]
    scores = [{"member_id": str(x), "score": 0.5, "level": "MEDIUM", "factors": []} for x in all_members]
    await b.time(f"set_member_churn ({len(scores)} members)", "batch",
                 lambda i: s.set_member_churn(gym, scores, "bench"), n=5, warmup=1)
    await b.time("refresh_leaderboard (current month)", "batch", lambda i: s.refresh_leaderboard(gym), n=10, warmup=1)
    await store.close()
    return b.results


async def _swallow(call: Awaitable[object]) -> None:
    """Run a call whose typed 'not found' is a normal outcome for some members (no phone, unknown badge)."""
    with contextlib.suppress(NotFound):
        await call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_seed_arguments(parser)
    parser.add_argument("--iterations", type=int, default=200)
    args = parser.parse_args()
    with seeded_database(args.members, args.visits, args.database_url) as (url, report):
        functions = asyncio.run(run(url, args.iterations))
    worst = {kind: max((f["p95_ms"] for f in functions.values() if f["kind"] == kind), default=0.0)
             for kind in ("read", "write")}
    print(json.dumps({
        "members": report.members, "visits": report.visits, "seed_seconds": report.seconds, "functions": functions,
        "targets": {"read_p95_max_ms": worst["read"], "read_ok": worst["read"] <= READ_P95_MS,
                    "write_p95_max_ms": worst["write"], "write_ok": worst["write"] <= WRITE_P95_MS,
                    "seed_ok": report.seconds <= SEED_S}}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
