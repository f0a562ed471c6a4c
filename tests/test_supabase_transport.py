"""The Supabase transport (the real `supabase` client's async rpc) against a DOUBLE of PostgREST's RPC endpoint
(tests/doubles/postgrest.py: hosted Supabase is out of reach here). Same results and errors as direct Postgres."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from jarvis_agent.settings import Settings
from jarvis_agent.store import ConfigurationError, InvalidInput, NotFound, StoreError, Unavailable, open_store
from jarvis_agent.store.postgres import PostgresStore
from jarvis_agent.store.supabase import SupabaseStore

from .doubles.postgrest import PostgrestDouble

KEY = "test-service-role-key-not-a-secret"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def postgrest(db_url: str) -> Iterator[PostgrestDouble]:
    double = PostgrestDouble(db_url, KEY).start()
    yield double
    double.stop()


@pytest.fixture
async def supa(postgrest: PostgrestDouble) -> AsyncIterator[SupabaseStore]:
    store = await SupabaseStore.connect(postgrest.url, KEY)
    yield store
    await store.close()


def read_calls(demo) -> dict:
    return {
        "session_context": lambda s: s.session_context("paris-bastille", demo.member_badge),
        "visitor_context": lambda s: s.session_context("paris-bastille", None),
        "get_member_stats": lambda s: s.get_member_stats(demo.paris, demo.member),
        "get_weekly_schedule": lambda s: s.get_weekly_schedule(demo.paris, days=3, category="yoga"),
        "get_gym_info": lambda s: s.get_gym_info(demo.paris),
        "list_coaches": lambda s: s.list_coaches(demo.paris),
        "check_coach_availability": lambda s: s.check_coach_availability(demo.paris, member_id=demo.member, days=3),
        "get_equipment_status": lambda s: s.get_equipment_status(demo.paris, "rameur"),
        "get_member_programs": lambda s: s.get_member_programs(demo.paris, demo.member),
        "search_video_tutorials": lambda s: s.search_video_tutorials(demo.paris, "développé couché", limit=2),
        "get_nutrition_tips": lambda s: s.get_nutrition_tips("endurance"),
        "get_gym_events": lambda s: s.get_gym_events(demo.paris),
        "check_class_availability": lambda s: s.check_class_availability(demo.paris, "zumba"),
        "get_member_achievements": lambda s: s.get_member_achievements(demo.paris, demo.member),
        "get_workout_recommendations": lambda s: s.get_workout_recommendations(demo.paris, demo.member),
        "get_gym_leaderboard": lambda s: s.get_gym_leaderboard(demo.paris, demo.member),
        "get_faq_answer": lambda s: s.get_faq_answer(demo.paris, "Y a-t-il un sauna ?"),
        "find_video_tutorial": lambda s: s.find_video_tutorial(demo.paris, "squat"),
        "list_member_bookings": lambda s: s.list_member_bookings(demo.paris, demo.member),
    }


async def test_both_transports_return_the_same_results(supa: SupabaseStore, store: PostgresStore, demo) -> None:
    for name, call in read_calls(demo).items():
        assert await call(supa) == await call(store), name


def failing_calls(demo) -> dict:
    return {
        "unknown gym": lambda s: s.session_context("atlantis"),
        "foreign member": lambda s: s.get_member_stats(demo.paris, demo.lyon_member),
        "inactive member": lambda s: s.get_member_programs(demo.paris, demo.inactive),
        "too long": lambda s: s.get_faq_answer(demo.paris, "x" * 10_000),
        "bad choice": lambda s: s.get_nutrition_tips("keto"),
        "bad date": lambda s: s.book_coach_appointment(demo.paris, demo.member, "demain", "k"),
        "past date": lambda s: s.book_coach_appointment(demo.paris, demo.member, "2020-01-01T10:00:00Z", "k"),
        "out of range": lambda s: s.get_weekly_schedule(demo.paris, days=10**12),
        "bad uuid": lambda s: s.get_member_stats(demo.paris, "42"),
        "unknown coach": lambda s: s.check_coach_availability(demo.paris, coach_name="Zorro"),
    }


async def test_both_transports_raise_the_same_typed_errors(supa: SupabaseStore, store: PostgresStore,
                                                           demo) -> None:
    for name, call in failing_calls(demo).items():
        with pytest.raises(StoreError) as via_rest:
            await call(supa)
        with pytest.raises(StoreError) as via_pg:
            await call(store)
        assert type(via_rest.value) is type(via_pg.value) and type(via_pg.value) is not StoreError, name
        assert (via_rest.value.reason, via_rest.value.message) == (via_pg.value.reason, via_pg.value.message), name


async def test_writes_through_postgrest(supa: SupabaseStore, postgrest: PostgrestDouble, db_url: str, demo) -> None:
    slot = (await supa.check_coach_availability(demo.paris, member_id=demo.member))["slots"][0]["at"]
    booked = await supa.book_coach_appointment(demo.paris, demo.member, slot, "rest-call-1")
    assert await supa.book_coach_appointment(demo.paris, demo.member, slot, "rest-call-1") == booked
    with psycopg.connect(db_url) as conn:
        assert conn.execute("select count(*) from coach_appointments where id = %s",
                            (booked["booking_id"],)).fetchone()[0] == 1
    session_id = uuid.uuid4()
    persisted = await supa.persist_voice_session({
        "id": str(session_id), "gym_id": str(demo.paris), "member_id": str(demo.member),
        "transcript": [{"role": "user", "text": "Merci Jarvis !"}],
        "interactions": [{"seq": 0, "tool_name": "book_coach_appointment", "arguments": {"slot": slot}}]})
    assert persisted["analytics_status"] == "pending" and persisted["interactions_written"] == 1
    scored = await supa.set_member_churn(demo.paris, [{"member_id": str(demo.member), "score": 0.42,
                                                       "level": "MEDIUM", "factors": []}], "v-test")
    assert scored["updated"] == 1


async def test_request_shape_seen_by_postgrest(supa: SupabaseStore, postgrest: PostgrestDouble, demo) -> None:
    await supa.get_gym_events(demo.paris, from_date=(datetime.now(PARIS) + timedelta(days=1)).date())
    request = postgrest.requests[-1]
    assert request.method == "POST" and request.path == "/rest/v1/rpc/get_gym_events"
    assert request.headers["apikey"] == KEY and request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"].startswith("application/json")
    # Named parameters only; None (p_limit) is left out so the SQL default applies.
    assert request.body == {"p_gym_id": str(demo.paris),
                            "p_from": (datetime.now(PARIS) + timedelta(days=1)).date().isoformat()}


async def test_postgrest_outage_is_unavailable(supa: SupabaseStore, postgrest: PostgrestDouble, demo) -> None:
    postgrest.outage = (503, {"code": "PGRST001", "message": "Database client error. Retrying the connection.",
                              "details": None, "hint": None})
    with pytest.raises(Unavailable):
        await supa.get_gym_info(demo.paris)
    postgrest.outage = (502, {"message": "Bad Gateway"})
    with pytest.raises(Unavailable):
        await supa.get_gym_info(demo.paris)
    postgrest.outage = None
    assert (await supa.get_gym_info(demo.paris))["city"] == "Paris"


async def test_supabase_unreachable_is_unavailable(demo) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket is closed
    store = await SupabaseStore.connect(f"http://127.0.0.1:{port}", KEY)
    with pytest.raises(Unavailable) as err:
        await store.get_gym_info(demo.paris)
    assert KEY not in repr(err.value) and KEY not in err.value.message


async def test_a_wrong_key_is_refused_without_leaking_it(postgrest: PostgrestDouble, demo) -> None:
    store = await SupabaseStore.connect(postgrest.url, "wrong-key")
    with pytest.raises(StoreError) as err:
        await store.get_gym_info(demo.paris)
    assert "wrong-key" not in repr(err.value)


async def test_open_store_picks_the_transport(postgrest: PostgrestDouble, db_url: str, demo) -> None:
    supa = await open_store(Settings(_env_file=None, supabase_url=postgrest.url, supabase_service_role_key=KEY,
                                     jarvis_auto_migrate=False))
    assert supa.kind == "supabase"
    assert (await supa.get_gym_info(demo.paris))["city"] == "Paris"
    pg = await open_store(Settings(_env_file=None, database_url=db_url, jarvis_auto_migrate=False))
    assert pg.kind == "postgres"
    assert (await pg.get_gym_info(demo.paris))["city"] == "Paris"
    await pg.close()
    with pytest.raises(ConfigurationError) as err:
        await open_store(Settings(_env_file=None, jarvis_store="supabase"))
    assert "SUPABASE_URL" in str(err.value) and "SUPABASE_SERVICE_ROLE_KEY" in str(err.value)


async def test_postgrest_unknown_function_is_an_internal_error(supa: SupabaseStore) -> None:
    with pytest.raises(StoreError) as err:
        await supa.rpc("no_such_function", p_x=1)
    assert type(err.value) is StoreError and err.value.sqlstate == "PGRST202"
    with pytest.raises(NotFound):
        await supa.rpc("get_gym_info", p_gym_id=str(uuid.uuid4()))
    with pytest.raises(InvalidInput):
        await supa.get_faq_answer(uuid.uuid4(), "\x00")
