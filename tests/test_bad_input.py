"""Hostile and malformed input across the data API: a typed error, never an internal one, and nothing written."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from jarvis_agent.store import InvalidInput, NotFound, StoreError
from jarvis_agent.store.postgres import PostgresStore

from .conftest import table_counts

LONG = "é" * 10_000
FUTURE = "2030-06-03T10:00:00+02:00"
HOSTILE = ["'; DROP TABLE gym_members; --", "\" OR 1=1 --", "Robert'); DELETE FROM faq; --", "$$; select 1; $$",
           "%", "_", "\\", "' UNION SELECT badge_id FROM gym_members --"]

Call = Callable[[PostgresStore, object], object]

TOO_LONG: dict[str, Call] = {
    "session_context badge": lambda s, d: s.session_context("paris-bastille", LONG),
    "session_context gym": lambda s, d: s.session_context(LONG),
    "member_by_badge": lambda s, d: s.member_by_badge(d.paris, LONG),
    "get_weekly_schedule category": lambda s, d: s.get_weekly_schedule(d.paris, category=LONG),
    "list_coaches": lambda s, d: s.list_coaches(d.paris, LONG),
    "check_coach_availability": lambda s, d: s.check_coach_availability(d.paris, coach_name=LONG),
    "get_equipment_status": lambda s, d: s.get_equipment_status(d.paris, LONG),
    "search_video_tutorials": lambda s, d: s.search_video_tutorials(d.paris, LONG),
    "get_nutrition_tips": lambda s, d: s.get_nutrition_tips(LONG),
    "check_class_availability": lambda s, d: s.check_class_availability(d.paris, LONG),
    "get_workout_recommendations": lambda s, d: s.get_workout_recommendations(d.paris, d.member, focus=LONG),
    "get_gym_leaderboard": lambda s, d: s.get_gym_leaderboard(d.paris, period=LONG),
    "get_faq_answer": lambda s, d: s.get_faq_answer(d.paris, LONG),
    "find_video_tutorial": lambda s, d: s.find_video_tutorial(d.paris, LONG),
    "book_coach_appointment note": lambda s, d: s.book_coach_appointment(d.paris, d.member, FUTURE, "k", note=LONG),
    "book_coach_appointment coach": lambda s, d: s.book_coach_appointment(d.paris, d.member, FUTURE, "k",
                                                                          coach_name=LONG),
    "enroll_group_class": lambda s, d: s.enroll_group_class(d.paris, d.member, "k", class_name=LONG,
                                                            starts_at=FUTURE),
    "cancel_booking": lambda s, d: s.cancel_booking(d.paris, d.member, "k", name=LONG),
    "send_sms_reminder": lambda s, d: s.send_sms_reminder(d.paris, d.member, LONG, "k"),
    "send_email_study subject": lambda s, d: s.send_email_study(d.paris, d.member, LONG, "corps", "k"),
    "send_email_study body": lambda s, d: s.send_email_study(d.paris, d.member, "sujet", LONG, "k"),
    "notify_gym_manager": lambda s, d: s.notify_gym_manager(d.paris, "low", LONG, "k"),
    "notify_gym_manager title": lambda s, d: s.notify_gym_manager(d.paris, "low", "message", "k", title=LONG),
    "create_mission title": lambda s, d: s.create_mission(d.paris, LONG, "description", "low", "k"),
    "create_mission description": lambda s, d: s.create_mission(d.paris, "titre", LONG, "low", "k"),
    "log_feedback": lambda s, d: s.log_feedback(d.paris, "autre", LONG, "neutral", "k"),
    "update_member_goals": lambda s, d: s.update_member_goals(d.paris, d.member, "k", goal_note=LONG),
    "idempotency key": lambda s, d: s.log_feedback(d.paris, "autre", "message", "neutral", LONG),
    "start_voice_session kiosk": lambda s, d: s.start_voice_session(uuid.uuid4(), d.paris, kiosk_id=LONG),
    "mark_session_analytics": lambda s, d: s.mark_session_analytics(uuid.uuid4(), LONG),
    "set_member_churn version": lambda s, d: s.set_member_churn(d.paris, [], LONG),
}


@pytest.mark.parametrize("name", list(TOO_LONG))
async def test_ten_thousand_character_strings_are_refused(store: PostgresStore, db_url: str, demo,
                                                          name: str) -> None:
    before = table_counts(db_url)
    with pytest.raises(InvalidInput):
        await TOO_LONG[name](store, demo)
    assert table_counts(db_url) == before


ABSURD_NUMBERS: dict[str, Call] = {
    "schedule days negative": lambda s, d: s.get_weekly_schedule(d.paris, days=-3),
    "schedule days huge": lambda s, d: s.get_weekly_schedule(d.paris, days=10**12),
    "availability duration": lambda s, d: s.check_coach_availability(d.paris, member_id=d.member,
                                                                     duration_minutes=10**30),
    "videos limit": lambda s, d: s.search_video_tutorials(d.paris, "squat", limit=-1),
    "events limit": lambda s, d: s.get_gym_events(d.paris, limit=2**31),
    "recommendations limit": lambda s, d: s.get_workout_recommendations(d.paris, d.member, limit=0),
    "leaderboard limit": lambda s, d: s.get_gym_leaderboard(d.paris, limit=10**6),
    "faq threshold": lambda s, d: s.get_faq_answer(d.paris, "horaires", min_score=-1),
    "faq threshold nan": lambda s, d: s.get_faq_answer(d.paris, "horaires", min_score=float("nan")),
    "booking duration": lambda s, d: s.book_coach_appointment(d.paris, d.member, FUTURE, "k", duration_minutes=-60),
    "pending limit": lambda s, d: s.claim_pending_sessions(limit=-1),
    "pending stale": lambda s, d: s.claim_pending_sessions(stale_seconds=10**9),
    "sentiment score": lambda s, d: s.save_session_analytics(uuid.uuid4(), {}, sentiment_score=40.0),
    "churn score": lambda s, d: s.set_member_churn(d.paris, [{"member_id": str(d.member), "score": -2,
                                                              "level": "LOW"}], "v1"),
}


@pytest.mark.parametrize("name", list(ABSURD_NUMBERS))
async def test_negative_or_absurd_numbers_are_refused(store: PostgresStore, db_url: str, demo, name: str) -> None:
    before = table_counts(db_url)
    with pytest.raises(InvalidInput):
        await ABSURD_NUMBERS[name](store, demo)
    assert table_counts(db_url) == before


BAD_DATES: dict[str, Call] = {
    "booking in the past": lambda s, d: s.book_coach_appointment(d.paris, d.member, "2019-03-04T10:00:00Z", "k"),
    "booking malformed": lambda s, d: s.book_coach_appointment(d.paris, d.member, "mardi prochain", "k"),
    "booking impossible day": lambda s, d: s.book_coach_appointment(d.paris, d.member, "2027-02-31T10:00:00Z", "k"),
    "enrolment in the past": lambda s, d: s.enroll_group_class(d.paris, d.member, "k", class_name="Yoga",
                                                               starts_at="2019-03-04T10:00:00Z"),
    "enrolment malformed": lambda s, d: s.enroll_group_class(d.paris, d.member, "k", class_name="Yoga",
                                                             starts_at="18h"),
    "cancel malformed": lambda s, d: s.cancel_booking(d.paris, d.member, "k", starts_at="2027-13-01T10:00:00Z"),
    "schedule malformed": lambda s, d: s.get_weekly_schedule(d.paris, from_date="le 32 mars"),
    "mission due in the past": lambda s, d: s.create_mission(d.paris, "t", "d", "low", "k", due_date="2001-01-01"),
    "class availability past": lambda s, d: s.check_class_availability(d.paris, "yoga", on_date="2001-01-01"),
}


@pytest.mark.parametrize("name", list(BAD_DATES))
async def test_malformed_or_past_dates_are_refused(store: PostgresStore, db_url: str, demo, name: str) -> None:
    before = table_counts(db_url)
    with pytest.raises(InvalidInput):
        await BAD_DATES[name](store, demo)
    assert table_counts(db_url) == before


async def test_malformed_ids_are_invalid_input(store: PostgresStore, db_url: str, demo) -> None:
    before = table_counts(db_url)
    for call in (store.get_member_stats(demo.paris, "42"), store.get_gym_info("'; drop table gyms; --"),
                 store.cancel_booking(demo.paris, demo.member, "k", booking_id="not-a-uuid"),
                 store.enroll_group_class(demo.paris, demo.member, "k", class_id="1 or 1=1")):
        with pytest.raises(InvalidInput):
            await call
    assert table_counts(db_url) == before


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_sql_metacharacters_in_names_find_nothing(store: PostgresStore, db_url: str, demo,
                                                        hostile: str) -> None:
    before = table_counts(db_url)
    ctx = await store.session_context("paris-bastille", hostile)
    assert ctx["member_status"] == "unknown_badge"
    assert (await store.list_coaches(demo.paris, hostile))["coaches"] == []
    assert (await store.get_equipment_status(demo.paris, hostile))["equipment"] == []
    assert (await store.search_video_tutorials(demo.paris, hostile))["videos"] == []
    assert (await store.get_weekly_schedule(demo.paris, category=hostile))["classes"] == []
    assert (await store.get_faq_answer(demo.paris, hostile))["found"] is False
    for call in (store.check_coach_availability(demo.paris, coach_name=hostile),
                 store.check_class_availability(demo.paris, hostile),
                 store.member_by_badge(demo.paris, hostile),
                 store.find_video_tutorial(demo.paris, hostile),
                 store.book_coach_appointment(demo.paris, demo.member, FUTURE, "k1", coach_name=hostile),
                 store.cancel_booking(demo.paris, demo.member, "k2", name=hostile)):
        with pytest.raises((NotFound, InvalidInput)):
            await call
    assert table_counts(db_url) == before


@pytest.mark.parametrize("hostile", HOSTILE)
async def test_sql_metacharacters_in_free_text_are_stored_verbatim(store: PostgresStore, db_url: str, demo,
                                                                   hostile: str) -> None:
    before = table_counts(db_url)
    result = await store.log_feedback(demo.paris, "autre", hostile, "neutral", "k", member_id=demo.member)
    import psycopg

    with psycopg.connect(db_url) as conn:
        stored, = conn.execute("select message from member_feedback where id = %s",
                               (result["feedback_id"],)).fetchone()
    assert stored == hostile.strip()
    after = table_counts(db_url)
    assert after.pop("public.member_feedback") == before.pop("public.member_feedback") + 1
    after.pop("jarvis_private.idempotency_keys")
    before.pop("jarvis_private.idempotency_keys")
    assert after == before


async def test_nul_bytes_and_control_characters_are_invalid_input(store: PostgresStore, db_url: str, demo) -> None:
    before = table_counts(db_url)
    for text in ("salut\x00", "bonjour\x07", "\x1b[31mrouge"):
        with pytest.raises(InvalidInput):
            await store.log_feedback(demo.paris, "autre", text, "neutral", "k")
    with pytest.raises(InvalidInput):
        await store.persist_voice_session({"id": str(uuid.uuid4()), "gym_id": str(demo.paris),
                                           "transcript": [{"role": "user", "text": "a\x00b"}]})
    assert table_counts(db_url) == before


async def test_no_bad_input_surfaces_as_an_internal_error(store: PostgresStore, demo) -> None:
    """Every case above maps to a typed error; the generic StoreError is reserved for real faults."""
    for cases in (TOO_LONG, ABSURD_NUMBERS, BAD_DATES):
        for call in cases.values():
            try:
                await call(store, demo)
            except StoreError as exc:
                assert type(exc) is not StoreError, exc
