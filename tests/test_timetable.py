"""Dated classes follow edits of the weekly timetable (jarvis_private.sync_timetable)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jarvis_agent.store.postgres import PostgresStore

from .conftest import sql

PARIS = ZoneInfo("Europe/Paris")



def future(url: str, slot) -> list[tuple]:
    return sql(url, "select starts_at, status, capacity, name from group_classes where timetable_id = %s "
                    "and starts_at > now() order by starts_at", slot)


async def a_slot_with_an_enrolment(store: PostgresStore, url: str, demo) -> tuple:
    (slot,), = sql(url, "select id from class_timetable where gym_id = %s and name = 'Zumba' "
                        "order by weekday limit 1", demo.paris)
    (class_id,), = sql(url, "select id from group_classes where timetable_id = %s and starts_at > now() + "
                            "interval '1 day' order by starts_at limit 1", slot)
    sql(url, "update class_enrollments set status = 'cancelled' where class_id = %s", class_id)
    enrolment = await store.enroll_group_class(demo.paris, demo.member, "k-tt", class_id=class_id)
    return slot, enrolment


async def test_editing_a_slot_in_place_updates_its_future_classes(store: PostgresStore, db_url: str, demo) -> None:
    slot, enrolment = await a_slot_with_an_enrolment(store, db_url, demo)
    past_before = sql(db_url, "select count(*) from group_classes where timetable_id = %s and capacity = 42 "
                              "and starts_at < now()", slot)
    sql(db_url, "update class_timetable set capacity = 42, name = 'Zumba party' where id = %s", slot)
    rows = future(db_url, slot)
    assert rows and all(r[1:] == ("scheduled", 42, "Zumba party") for r in rows)
    assert sql(db_url, "select count(*) from group_classes where timetable_id = %s and capacity = 42 "
                       "and starts_at < now()", slot) == past_before  # history untouched
    assert sql(db_url, "select status from bookings where id = %s", enrolment["booking_id"]) == [("booked",)]


async def test_moving_a_slot_cancels_its_classes_and_schedules_the_new_time(store: PostgresStore, db_url: str,
                                                                           demo) -> None:
    slot, enrolment = await a_slot_with_an_enrolment(store, db_url, demo)
    old_times = [r[0] for r in future(db_url, slot)]
    sql(db_url, "update class_timetable set start_time = '07:15' where id = %s", slot)
    assert sql(db_url, "select status from bookings where id = %s", enrolment["booking_id"]) == [("cancelled",)]
    schedule = await store.get_weekly_schedule(demo.paris, from_date=datetime.now(PARIS).date() + timedelta(days=1))
    zumba = [c for c in schedule["classes"] if c["name"] == "Zumba"]
    assert zumba and {c["when"]["time"] for c in zumba} <= {"07:15", "19:00"}  # the other Zumba slot is Friday 19:00
    rows = future(db_url, slot)
    assert {r[0] for r in rows if r[1] == "cancelled"} >= set(old_times)
    assert any(r[1] == "scheduled" and r[0].astimezone(PARIS).strftime("%H:%M") == "07:15" for r in rows)


async def test_deactivating_then_reactivating_a_slot(store: PostgresStore, db_url: str, demo) -> None:
    slot, _ = await a_slot_with_an_enrolment(store, db_url, demo)
    sql(db_url, "update class_timetable set is_active = false where id = %s", slot)
    assert {r[1] for r in future(db_url, slot)} == {"cancelled"}
    schedule = await store.get_weekly_schedule(demo.paris, days=14)
    assert not [c for c in schedule["classes"] if c["name"] == "Zumba" and c["when"]["weekday"] == "mercredi"]
    sql(db_url, "update class_timetable set is_active = true where id = %s", slot)
    assert {r[1] for r in future(db_url, slot)} == {"scheduled"}


async def test_deleting_a_slot_cancels_its_future_classes(store: PostgresStore, db_url: str, demo) -> None:
    slot, enrolment = await a_slot_with_an_enrolment(store, db_url, demo)
    ids = [r[0] for r in sql(db_url, "select id from group_classes where timetable_id = %s and starts_at > now()",
                              slot)]
    sql(db_url, "delete from class_timetable where id = %s", slot)
    assert sql(db_url, "select distinct status from group_classes where id = any(%s)", ids) == [("cancelled",)]
    assert sql(db_url, "select status from bookings where id = %s", enrolment["booking_id"]) == [("cancelled",)]


async def test_a_new_slot_appears_in_the_schedule(store: PostgresStore, db_url: str, demo) -> None:
    tomorrow = datetime.now(PARIS).date() + timedelta(days=1)
    sql(db_url, "insert into class_timetable (gym_id, name, category, weekday, start_time, duration_minutes, "
                "capacity) values (%s, 'Aquabike', 'cardio', %s, '06:30', 45, 12)", demo.paris, tomorrow.isoweekday())
    schedule = await store.get_weekly_schedule(demo.paris, from_date=tomorrow, days=1)
    assert [c["when"]["time"] for c in schedule["classes"] if c["name"] == "Aquabike"] == ["06:30"]
