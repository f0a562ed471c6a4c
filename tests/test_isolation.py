"""Tenant isolation: the data API never reads or changes another gym's rows, RLS limits a manager to their gym,
and only the service role may call the data API."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from jarvis_agent.store import NotFound
from jarvis_agent.store.postgres import PostgresStore

from .conftest import table_counts

TENANT_TABLES = [
    "coaches", "coach_schedules", "gym_members", "visit_history", "class_timetable", "group_classes",
    "class_enrollments", "coach_appointments", "equipment", "exercises", "video_library", "training_programs",
    "events", "achievements", "leaderboards", "faq", "voice_sessions", "jarvis_interactions", "member_feedback",
    "manager_notifications", "manager_missions", "outbox_messages", "gym_managers",
]


async def test_a_member_of_gym_b_is_not_found_through_gym_a(store: PostgresStore, db_url: str, demo) -> None:
    paris, lyon_member = demo.paris, demo.lyon_member
    before = table_counts(db_url)
    calls = [
        store.get_member_stats(paris, lyon_member), store.list_member_bookings(paris, lyon_member),
        store.get_member_programs(paris, lyon_member), store.get_member_achievements(paris, lyon_member),
        store.get_workout_recommendations(paris, lyon_member), store.get_gym_leaderboard(paris, lyon_member),
        store.check_coach_availability(paris, member_id=lyon_member),
        store.book_coach_appointment(paris, lyon_member, "2030-01-01T10:00:00Z", "x1"),
        store.enroll_group_class(paris, lyon_member, "x2", class_name="Yoga", starts_at="2030-01-01T10:00:00Z"),
        store.cancel_booking(paris, lyon_member, "x3"),
        store.send_sms_reminder(paris, lyon_member, "Coucou", "x4"),
        store.send_email_study(paris, lyon_member, "Sujet", "Corps", "x5"),
        store.notify_gym_manager(paris, "low", "Message", "x6", member_id=lyon_member),
        store.create_mission(paris, "Titre", "Description", "low", "x7", member_id=lyon_member),
        store.log_feedback(paris, "autre", "Message", "neutral", "x8", member_id=lyon_member),
        store.update_member_goals(paris, lyon_member, "x9", goal="force"),
        store.start_voice_session(uuid.uuid4(), paris, lyon_member),
        store.set_member_churn(paris, [{"member_id": str(lyon_member), "score": 0.9, "level": "HIGH"}], "v"),
    ]
    for call in calls:
        with pytest.raises(NotFound) as err:
            await call
        assert err.value.reason in {"member_not_found", "coach_not_found"}, err.value.reason
    assert table_counts(db_url) == before


async def test_rows_of_gym_b_are_invisible_through_gym_a(store: PostgresStore, db_url: str, demo) -> None:
    with psycopg.connect(db_url) as conn:
        lyon_class, = conn.execute("select id from group_classes where gym_id = %s and starts_at > now() limit 1",
                                   (demo.lyon,)).fetchone()
        lyon_booking, = conn.execute("select id from coach_appointments where gym_id = %s and status = 'booked' "
                                     "limit 1", (demo.lyon,)).fetchone()
        lyon_coach, = conn.execute("select first_name || ' ' || last_name from coaches where gym_id = %s "
                                   "and first_name || ' ' || last_name not in (select first_name || ' ' || last_name "
                                   "from coaches where gym_id = %s) limit 1", (demo.lyon, demo.paris)).fetchone()
    before = table_counts(db_url)
    with pytest.raises(NotFound):
        await store.enroll_group_class(demo.paris, demo.member, "y1", class_id=lyon_class)
    with pytest.raises(NotFound):
        await store.cancel_booking(demo.paris, demo.member, "y2", booking_id=lyon_booking)
    with pytest.raises(NotFound):
        await store.check_class_availability(demo.paris, class_id=lyon_class)
    with pytest.raises(NotFound):
        await store.check_coach_availability(demo.paris, coach_name=lyon_coach)
    assert table_counts(db_url) == before
    paris_faq = await store.get_faq_answer(demo.paris, "Où se trouve la salle ?")
    assert "Paris" in paris_faq["answer"] and "Lyon" not in paris_faq["answer"]


def as_role(url: str, role: str, sub: uuid.UUID | None = None) -> psycopg.Connection:
    """A connection acting as PostgREST does for a request: SET ROLE and the JWT claims."""
    conn = psycopg.connect(url)
    conn.execute(f"set role {role}")
    if sub is not None:
        conn.execute("select set_config('request.jwt.claims', %s, false)",
                     (json.dumps({"sub": str(sub), "role": role}),))
    return conn


def test_rls_a_manager_sees_only_their_gym(ro_db_url: str, demo) -> None:
    with psycopg.connect(ro_db_url) as conn:  # the truth, as the owner sees it
        actual = {t: conn.execute(f"select count(*) from {t} where gym_id = %s", (demo.paris,)).fetchone()[0]
                  for t in TENANT_TABLES}
    assert actual["gym_members"] > 0 and actual["visit_history"] > 0
    with as_role(ro_db_url, "authenticated", demo.paris_manager) as conn:
        assert conn.execute("select array_agg(slug) from gyms").fetchone()[0] == ["paris-bastille"]
        for table in TENANT_TABLES:
            visible = conn.execute(f"select count(*) from {table}").fetchone()[0]
            assert visible == actual[table], table  # all of their gym, nothing of another
        assert conn.execute("select count(*) from bookings where gym_id = %s", (demo.lyon,)).fetchone()[0] == 0
        assert conn.execute("select count(*) from nutrition_tips").fetchone()[0] > 0


def test_rls_manager_updates_only_their_gym(db_url: str, demo) -> None:
    with as_role(db_url, "authenticated", demo.lyon_manager) as conn:
        mine = conn.execute("update manager_missions set status = 'in_progress' where gym_id = %s",
                            (demo.lyon,)).rowcount
        theirs = conn.execute("update manager_missions set status = 'done' where gym_id = %s",
                              (demo.paris,)).rowcount
        conn.commit()
    assert theirs == 0
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from manager_missions where gym_id = %s and status = 'done'",
                            (demo.paris,)).fetchone()[0] == 0
        assert conn.execute("select count(*) from manager_missions where gym_id = %s and status = 'in_progress'",
                            (demo.lyon,)).fetchone()[0] == mine


def test_rls_a_user_who_manages_no_gym_sees_nothing(ro_db_url: str) -> None:
    with as_role(ro_db_url, "authenticated", uuid.uuid4()) as conn:
        for table in ["gyms", *TENANT_TABLES]:
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] == 0, table


def test_managers_cannot_write_member_data(ro_db_url: str, demo) -> None:
    with as_role(ro_db_url, "authenticated", demo.paris_manager) as conn, pytest.raises(
            psycopg.errors.InsufficientPrivilege):
        conn.execute("update gym_members set churn_score = 0 where gym_id = %s", (demo.paris,))


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_only_the_service_role_may_call_the_data_api(ro_db_url: str, demo, role: str) -> None:
    with as_role(ro_db_url, role, demo.paris_manager) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select public.get_member_stats(%s, %s)", (demo.paris, demo.member))
    with as_role(ro_db_url, "service_role") as conn:
        stats = conn.execute("select public.get_member_stats(%s, %s)", (demo.paris, demo.member)).fetchone()[0]
        assert stats["member"]["first_name"] == demo.member_first_name


def test_anon_reads_no_table(ro_db_url: str) -> None:
    with as_role(ro_db_url, "anon") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select count(*) from gym_members")
