"""Concurrent kiosks: capacity and overlaps hold under real concurrent transactions (one connection per call)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jarvis_agent.store import Conflict
from jarvis_agent.store.postgres import PostgresStore

from .conftest import sql

PARIS = ZoneInfo("Europe/Paris")



def active_members(url: str, gym, n: int) -> list:
    return [r[0] for r in sql(url, "select id from gym_members where gym_id = %s and is_active order by badge_id "
                                   "limit %s", gym, n)]


async def gather_outcomes(calls) -> tuple[list, list]:
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, Conflict)]
    assert not unexpected, unexpected
    return [o for o in outcomes if not isinstance(o, BaseException)], [o for o in outcomes if isinstance(o, Conflict)]


async def test_fifty_concurrent_enrolments_into_a_class_of_ten(store: PostgresStore, db_url: str, demo) -> None:
    starts = (datetime.now(PARIS) + timedelta(days=2)).replace(hour=7, minute=0, second=0, microsecond=0)
    (class_id,), = sql(db_url, "insert into group_classes (gym_id, name, category, starts_at, duration_minutes, "
                               "capacity) values (%s, 'Spinning test', 'cardio', %s, 45, 10) returning id",
                       demo.paris, starts)
    members = active_members(db_url, demo.paris, 50)
    successes, conflicts = await gather_outcomes(
        store.enroll_group_class(demo.paris, m, f"enrol-{i}", class_id=class_id) for i, m in enumerate(members))
    assert len(successes) == 10
    assert len(conflicts) == 40 and {c.reason for c in conflicts} == {"class_full"}
    assert sql(db_url, "select count(*) from class_enrollments where class_id = %s and status = 'enrolled'",
               class_id) == [(10,)]
    assert sorted(s["spots_left"] for s in successes) == list(range(10))


async def test_twenty_concurrent_bookings_of_one_coach_slot(store: PostgresStore, db_url: str, demo) -> None:
    availability = await store.check_coach_availability(demo.paris, member_id=demo.member)
    slot = availability["slots"][0]["at"]
    coach = availability["coach"]["name"]
    members = active_members(db_url, demo.paris, 20)
    successes, conflicts = await gather_outcomes(
        store.book_coach_appointment(demo.paris, m, slot, f"book-{i}", coach_name=coach)
        for i, m in enumerate(members))
    assert len(successes) == 1
    assert len(conflicts) == 19 and {c.reason for c in conflicts} <= {"slot_taken", "member_busy"}
    assert sql(db_url, "select count(*) from coach_appointments a join coaches c on c.id = a.coach_id "
                       "where c.first_name || ' ' || c.last_name = %s and a.starts_at = %s and a.status = 'booked'",
               coach, slot) == [(1,)]


async def test_concurrent_retries_with_one_idempotency_key_write_one_row(store: PostgresStore, db_url: str,
                                                                         demo) -> None:
    results = await asyncio.gather(*(
        store.log_feedback(demo.paris, "equipement", "Le rameur 2 grince.", "negative", "tool-call-42",
                           member_id=demo.member) for _ in range(10)))
    assert len({r["feedback_id"] for r in results}) == 1
    assert sql(db_url, "select count(*) from member_feedback where message = 'Le rameur 2 grince.'") == [(1,)]


async def test_concurrent_enrolment_retries_with_one_key(store: PostgresStore, db_url: str, demo) -> None:
    schedule = await store.get_weekly_schedule(demo.paris, from_date=datetime.now(PARIS).date() + timedelta(days=1))
    target = next(c for c in schedule["classes"] if c["spots_left"] > 2)
    results = await asyncio.gather(*(
        store.enroll_group_class(demo.paris, demo.member, "tool-call-7", class_id=target["class_id"])
        for _ in range(8)))
    assert len({r["booking_id"] for r in results}) == 1
    assert sql(db_url, "select count(*) from class_enrollments where class_id = %s and member_id = %s",
               target["class_id"], demo.member) == [(1,)]
