"""Knowledge functions of the data API (Layer 1 context and the 15 read tools) on the seeded demo gyms.

Results are checked against direct SQL on the same database, errors by their typed class and reason.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from jarvis_agent.store import Conflict, InvalidInput, NotFound
from jarvis_agent.store.postgres import PostgresStore

from .conftest import make_full_class, sql

PARIS = ZoneInfo("Europe/Paris")


def today() -> date:
    return datetime.now(PARIS).date()



# --- session context ---------------------------------------------------------------------------------------------

async def test_session_context_of_an_active_member(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    ctx = await ro_store.session_context("paris-bastille", demo.member_badge)
    assert ctx["member_status"] == "active"
    assert ctx["member"]["id"] == str(demo.member)
    assert ctx["member"]["first_name"] == demo.member_first_name
    assert ctx["coach"]["first_name"] == demo.coach_first_name
    assert ctx["gym"]["name"] == "Énergie Fitness Paris Bastille"
    assert ctx["gym"]["id"] == str(demo.paris)
    assert ctx["now"]["date"] == today().isoformat()
    (last_30,), = sql(ro_db_url, "select count(*) from visit_history where member_id = %s "
                                 "and checked_in_at >= now() - interval '30 days'", demo.member)
    assert ctx["member"]["visits"]["last_30_days"] == last_30
    (end,), = sql(ro_db_url, "select contract_end from gym_members where id = %s", demo.member)
    assert ctx["member"]["contract"]["days_left"] == (end - today()).days


async def test_session_history_is_the_last_five_sessions(store: PostgresStore, db_url: str, demo) -> None:
    sql(db_url, "delete from voice_sessions where member_id = %s", demo.member)
    base = datetime.now(PARIS) - timedelta(days=10)
    for i in range(7):
        await store.persist_voice_session({
            "id": f"00000000-0000-4000-8000-00000000000{i}", "gym_id": str(demo.paris),
            "member_id": str(demo.member), "started_at": (base + timedelta(days=i)).isoformat(),
            "ended_at": (base + timedelta(days=i, minutes=3)).isoformat(), "summary": f"séance {i}",
            "transcript": [{"role": "user", "text": "bonjour"}]})
    history = (await store.get_session_history(demo.paris, demo.member))["sessions"]
    assert [h["summary"] for h in history] == ["séance 6", "séance 5", "séance 4", "séance 3", "séance 2"]
    assert len((await store.get_session_history(demo.paris, demo.member, limit=2))["sessions"]) == 2
    with pytest.raises(NotFound):
        await store.get_session_history(demo.paris, demo.lyon_member)


@pytest.mark.parametrize(("badge", "status"), [
    ("PB-999999", "unknown_badge"), (None, "visitor"), ("   ", "visitor"), ("'; drop table gym_members; --",
                                                                            "unknown_badge")])
async def test_session_context_visitor_mode(ro_store: PostgresStore, badge: str | None, status: str) -> None:
    ctx = await ro_store.session_context("paris-bastille", badge)
    assert ctx["member_status"] == status
    assert ctx["member"] is None and ctx["coach"] is None
    assert ctx["gym"]["slug"] == "paris-bastille"


async def test_session_context_inactive_and_foreign_badges(ro_store: PostgresStore, demo) -> None:
    inactive = await ro_store.session_context("paris-bastille", demo.inactive_badge)
    assert inactive["member_status"] == "inactive" and inactive["member"] is None
    # A Lyon badge scanned in Paris is not a Paris member.
    foreign = await ro_store.session_context("paris-bastille", demo.lyon_badge)
    assert foreign["member_status"] == "unknown_badge" and foreign["member"] is None


async def test_session_context_unknown_gym(ro_store: PostgresStore) -> None:
    with pytest.raises(NotFound) as err:
        await ro_store.session_context("nowhere-gym", "PB-000001")
    assert err.value.reason == "gym_not_found"


async def test_member_by_badge(ro_store: PostgresStore, demo) -> None:
    found = await ro_store.member_by_badge(demo.paris, demo.member_badge)
    assert found == {"member_id": str(demo.member), "first_name": demo.member_first_name}
    with pytest.raises(NotFound) as err:
        await ro_store.member_by_badge(demo.paris, "PB-999999")
    assert err.value.reason == "badge_unknown"
    with pytest.raises(NotFound) as err:
        await ro_store.member_by_badge(demo.paris, demo.inactive_badge)
    assert err.value.reason == "member_inactive"


# --- member stats, bookings, programs, achievements --------------------------------------------------------------

async def test_get_member_stats(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    stats = await ro_store.get_member_stats(demo.paris, demo.member)
    (total, last_7, last_visit), = sql(
        ro_db_url, "select count(*), count(*) filter (where checked_in_at >= now() - interval '7 days'), "
                   "max(checked_in_at) from visit_history where member_id = %s "
                   "and checked_in_at >= now() - interval '365 days'", demo.member)
    assert stats["visits"]["last_12_months"] == total
    assert stats["visits"]["last_7_days"] == last_7
    assert stats["visits"]["days_since_last_visit"] == (today() - last_visit.astimezone(PARIS).date()).days
    assert stats["member"]["first_name"] == demo.member_first_name
    assert stats["contract"]["period_months"] in (1, 6, 12)


@pytest.mark.parametrize(("weeks_with_visits", "streak"), [
    ([0, 1, 2, 4], 3),  # this week and the two before; a gap; older visits don't count
    ([1, 2, 3], 3),  # no visit yet this week: the streak still counts from last week
    ([2, 3], 0),  # nothing last week nor this week: broken
])
async def test_streak_of_weeks(store: PostgresStore, db_url: str, demo, weeks_with_visits: list[int],
                               streak: int) -> None:
    monday = datetime.now(PARIS).replace(hour=12, minute=0, second=0, microsecond=0)
    monday -= timedelta(days=monday.weekday())  # this week's Monday, noon
    sql(db_url, "delete from visit_history where member_id = %s", demo.member)
    for weeks_ago in weeks_with_visits:
        sql(db_url, "insert into visit_history (gym_id, member_id, checked_in_at) values (%s, %s, %s)",
            demo.paris, demo.member, min(monday - timedelta(weeks=weeks_ago), datetime.now(PARIS)))
    stats = await store.get_member_stats(demo.paris, demo.member)
    assert stats["visits"]["streak_weeks"] == streak


async def test_member_functions_refuse_inactive_and_foreign_members(ro_store: PostgresStore, demo) -> None:
    for call in (ro_store.get_member_stats, ro_store.get_member_programs, ro_store.get_member_achievements,
                 ro_store.get_workout_recommendations, ro_store.list_member_bookings):
        with pytest.raises(NotFound) as err:
            await call(demo.paris, demo.inactive)
        assert err.value.reason == "member_inactive"
        with pytest.raises(NotFound) as err:
            await call(demo.paris, demo.lyon_member)
        assert err.value.reason == "member_not_found"


async def test_list_member_bookings(store: PostgresStore, demo) -> None:
    sql_slot = (datetime.now(PARIS) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    before = await store.list_member_bookings(demo.paris, demo.member)
    assert all(b["status"] == "booked" for b in before["bookings"])
    schedule = await store.get_weekly_schedule(demo.paris, from_date=sql_slot.date())
    target = next(c for c in schedule["classes"] if c["spots_left"] > 0)
    await store.enroll_group_class(demo.paris, demo.member, "k-list", class_id=target["class_id"])
    after = await store.list_member_bookings(demo.paris, demo.member, limit=50)
    assert target["class_id"] not in [b["booking_id"] for b in after["bookings"]]  # booking id is the enrolment
    assert len(after["bookings"]) == len(before["bookings"]) + 1
    assert [b["when"]["at"] for b in after["bookings"]] == sorted(b["when"]["at"] for b in after["bookings"])
    with pytest.raises(InvalidInput):
        await store.list_member_bookings(demo.paris, demo.member, limit=0)


async def test_get_member_programs(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    (member, name, n_exercises), = sql(
        ro_db_url, "select member_id, name, jsonb_array_length(exercises) from training_programs p "
                   "join gym_members m on m.id = p.member_id "
                   "where p.gym_id = %s and p.status = 'active' and m.is_active order by m.badge_id limit 1",
        demo.paris)
    programs = await ro_store.get_member_programs(demo.paris, member)
    assert programs["current"]["name"] == name
    assert len(programs["current"]["exercises"]) == n_exercises
    assert all(e["name"] and e["sets"] >= 1 for e in programs["current"]["exercises"])
    (without,), = sql(ro_db_url, "select id from gym_members m where gym_id = %s and is_active and not exists "
                                 "(select 1 from training_programs p where p.member_id = m.id) limit 1", demo.paris)
    empty = await ro_store.get_member_programs(demo.paris, without)
    assert empty == {"current": None, "history": []}


async def test_get_member_achievements(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    (count,), = sql(ro_db_url, "select count(*) from achievements where member_id = %s", demo.member)
    result = await ro_store.get_member_achievements(demo.paris, demo.member)
    assert result["count"] == count > 0
    assert "first_visit" in [a["code"] for a in result["achievements"]]
    earned = [a["earned"]["at"] for a in result["achievements"]]
    assert earned == sorted(earned, reverse=True)


# --- gym, schedule, coaches, equipment ---------------------------------------------------------------------------

async def test_get_weekly_schedule(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    schedule = await ro_store.get_weekly_schedule(demo.paris)
    classes = schedule["classes"]
    assert schedule["from"] == today().isoformat()
    assert len(classes) >= 15
    starts = [c["when"]["at"] for c in classes]
    assert starts == sorted(starts)
    end = today() + timedelta(days=7)
    assert all(today().isoformat() <= c["when"]["date"] < end.isoformat() for c in classes)
    sample = classes[len(classes) // 2]
    (capacity, taken), = sql(ro_db_url, "select capacity, (select count(*) from class_enrollments e "
                                        "where e.class_id = g.id and e.status <> 'cancelled') "
                                        "from group_classes g where id = %s", sample["class_id"])
    assert sample["spots_left"] == max(0, capacity - taken)
    yoga = await ro_store.get_weekly_schedule(demo.paris, category="yoga")
    assert yoga["classes"] and all(c["category"] == "yoga" for c in yoga["classes"])


async def test_get_weekly_schedule_materialises_classes_beyond_the_seeded_weeks(store: PostgresStore, db_url: str,
                                                                               demo) -> None:
    later = today() + timedelta(days=60)
    schedule = await store.get_weekly_schedule(demo.paris, from_date=later, days=7)
    (timetable,), = sql(db_url, "select count(*) from class_timetable where gym_id = %s", demo.paris)
    assert len(schedule["classes"]) == timetable  # every weekly slot, once
    (until,), = sql(db_url, "select classes_materialized_until from gyms where id = %s", demo.paris)
    assert until >= later + timedelta(days=7)


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"days": 0}, "out_of_range"), ({"days": 15}, "out_of_range"),
    ({"from_date": date(2020, 1, 1)}, "past_date"), ({"from_date": date(2100, 1, 1)}, "too_far")])
async def test_get_weekly_schedule_errors(ro_store: PostgresStore, demo, kwargs: dict, reason: str) -> None:
    with pytest.raises(InvalidInput) as err:
        await ro_store.get_weekly_schedule(demo.paris, **kwargs)
    assert err.value.reason == reason


async def test_get_gym_info(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    info = await ro_store.get_gym_info(demo.paris)
    assert info["name"] == "Énergie Fitness Paris Bastille" and info["city"] == "Paris"
    assert [h["weekday"] for h in info["opening_hours"]] == ["lundi", "mardi", "mercredi", "jeudi", "vendredi",
                                                             "samedi", "dimanche"]
    assert info["opening_hours"][6] == {"weekday": "dimanche", "open": "09:00", "close": "19:00"}
    assert "sauna" in info["amenities"]
    (current,), = sql(ro_db_url, "select count(*) from visit_history where gym_id = %s and "
                                 "checked_in_at > now() - interval '3 hours' and checked_in_at <= now() and "
                                 "(checked_out_at is null or checked_out_at > now())", demo.paris)
    assert info["occupancy"]["current"] == current
    (equipment,), = sql(ro_db_url, "select count(*) from equipment where gym_id = %s", demo.paris)
    assert sum(info["equipment"].values()) == equipment
    now = datetime.now(PARIS)
    hours = {7: ("09:00", "19:00"), 6: ("08:00", "20:00")}.get(now.isoweekday(), ("06:00", "23:00"))
    assert info["open_now"] == (time.fromisoformat(hours[0]) <= now.time() < time.fromisoformat(hours[1]))
    with pytest.raises(NotFound):
        await ro_store.get_gym_info("00000000-0000-4000-8000-000000000000")


async def test_list_coaches(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    coaches = (await ro_store.list_coaches(demo.paris))["coaches"]
    (count,), = sql(ro_db_url, "select count(*) from coaches where gym_id = %s and is_active", demo.paris)
    assert len(coaches) == count
    assert all(c["schedule"] for c in coaches)
    yoga = (await ro_store.list_coaches(demo.paris, "YOGA"))["coaches"]
    assert yoga and all(any("yoga" in s for s in c["specialties"]) for c in yoga)
    assert (await ro_store.list_coaches(demo.paris, "parapente"))["coaches"] == []


async def test_check_coach_availability(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    result = await ro_store.check_coach_availability(demo.paris, member_id=demo.member)  # preferred coach
    assert result["coach"]["name"].startswith(demo.coach_first_name)
    blocks = sql(ro_db_url, "select s.weekday, s.start_time, s.end_time from coach_schedules s "
                            "join gym_members m on m.preferred_coach_id = s.coach_id where m.id = %s", demo.member)
    booked = sql(ro_db_url, "select a.starts_at, a.ends_at from coach_appointments a "
                            "join gym_members m on m.preferred_coach_id = a.coach_id "
                            "where m.id = %s and a.status = 'booked'", demo.member)
    assert result["slots"]
    for slot in result["slots"]:
        start = datetime.fromisoformat(slot["at"])
        local = start.astimezone(PARIS)
        assert start > datetime.now(PARIS) + timedelta(hours=1)
        assert any(w == local.isoweekday() and s <= local.time() and (local + timedelta(hours=1)).time() <= e
                   for w, s, e in blocks if e != time(0))
        assert not any(a < start + timedelta(hours=1) and start < b for a, b in booked)
    by_name = await ro_store.check_coach_availability(demo.paris, coach_name=demo.coach_first_name.upper())
    assert by_name["coach"] == result["coach"]


@pytest.mark.parametrize(("kwargs", "error", "reason"), [
    ({"coach_name": "Gandalf"}, NotFound, "coach_not_found"),
    ({"coach_name": "Julie'; drop table coaches; --"}, NotFound, "coach_not_found"),
    ({}, InvalidInput, "missing_value"),  # no name and no member: whose coach?
    ({"coach_name": "x", "duration_minutes": 0}, InvalidInput, "out_of_range"),
    ({"coach_name": "x", "days": 60}, InvalidInput, "out_of_range")])
async def test_check_coach_availability_errors(ro_store: PostgresStore, demo, kwargs: dict, error: type,
                                               reason: str) -> None:
    with pytest.raises(error) as err:
        await ro_store.check_coach_availability(demo.paris, **kwargs)
    assert err.value.reason == reason


async def test_booked_slot_leaves_the_availability(store: PostgresStore, demo) -> None:
    before = await store.check_coach_availability(demo.paris, member_id=demo.member)
    slot = before["slots"][0]["at"]
    await store.book_coach_appointment(demo.paris, demo.member, slot, "k-slot")
    after = await store.check_coach_availability(demo.paris, member_id=demo.member)
    assert slot not in [s["at"] for s in after["slots"]]


async def test_get_equipment_status(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    result = await ro_store.get_equipment_status(demo.paris)
    counts = dict(sql(ro_db_url, "select status, count(*) from equipment where gym_id = %s group by status",
                      demo.paris))
    assert result["summary"] == counts
    treadmills = await ro_store.get_equipment_status(demo.paris, "tapis de course")
    assert treadmills["equipment"] and all(e["category"] == "tapis_course" for e in treadmills["equipment"])
    broken = await ro_store.get_equipment_status(demo.paris, status="maintenance")
    assert len(broken["equipment"]) == min(30, counts.get("maintenance", 0))
    assert all(e["status"] == "maintenance" and e["note"] for e in broken["equipment"])
    with pytest.raises(InvalidInput):
        await ro_store.get_equipment_status(demo.paris, status="cassé")


# --- videos, nutrition, events, classes --------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "slug"), [
    ("développé couché", "developpe-couche"), ("developpe couche", "developpe-couche"), ("squat", "squat"),
    ("Soulevé de terre", "souleve-de-terre"), ("planche gainage", "gainage"), ("tractions", "tractions")])
async def test_search_video_tutorials(ro_store: PostgresStore, demo, query: str, slug: str) -> None:
    videos = (await ro_store.search_video_tutorials(demo.paris, query))["videos"]
    assert videos[0]["url"].endswith(f"/{slug}.mp4")
    assert len(videos) <= 3


async def test_search_video_tutorials_without_match_and_errors(ro_store: PostgresStore, demo) -> None:
    assert (await ro_store.search_video_tutorials(demo.paris, "xylophone quantique"))["videos"] == []
    with pytest.raises(InvalidInput):
        await ro_store.search_video_tutorials(demo.paris, "   ")
    with pytest.raises(InvalidInput):
        await ro_store.search_video_tutorials(demo.paris, "squat", limit=-1)


async def test_find_video_tutorial(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    video = (await ro_store.find_video_tutorial(demo.paris, "soulevé de terre"))["video"]
    assert video["title"] == "Bien faire : soulevé de terre"
    same = (await ro_store.find_video_tutorial(demo.paris, video_id=video["video_id"]))["video"]
    assert same == video
    (lyon_video,), = sql(ro_db_url, "select id from video_library where gym_id = %s limit 1", demo.lyon)
    with pytest.raises(NotFound):
        await ro_store.find_video_tutorial(demo.paris, video_id=lyon_video)
    with pytest.raises(NotFound):
        await ro_store.find_video_tutorial(demo.paris, "crunch")  # an exercise without a tutorial
    with pytest.raises(InvalidInput):
        await ro_store.find_video_tutorial(demo.paris)


@pytest.mark.parametrize("goal", ["perte_de_poids", "prise_de_masse", "remise_en_forme", "endurance", "force",
                                  "souplesse", "bien_etre"])
async def test_get_nutrition_tips(ro_store: PostgresStore, goal: str) -> None:
    result = await ro_store.get_nutrition_tips(goal)
    assert result["goal"] == goal
    assert len(result["tips"]) >= 4  # goal tips plus the general ones
    assert "médecin" in result["disclaimer"]


async def test_get_nutrition_tips_rejects_unknown_goal(ro_store: PostgresStore) -> None:
    with pytest.raises(InvalidInput) as err:
        await ro_store.get_nutrition_tips("régime cétogène")
    assert err.value.reason == "invalid_choice"


async def test_get_gym_events(ro_store: PostgresStore, demo) -> None:
    events = (await ro_store.get_gym_events(demo.paris, limit=10))["events"]
    assert len(events) == 6
    starts = [e["when"]["at"] for e in events]
    assert starts == sorted(starts)
    assert {e["kind"] for e in events} >= {"challenge", "atelier", "stage"}
    assert len((await ro_store.get_gym_events(demo.paris, limit=2))["events"]) == 2
    later = (await ro_store.get_gym_events(demo.paris, from_date=today() + timedelta(days=20)))["events"]
    assert all(e["when"]["date"] >= (today() + timedelta(days=20)).isoformat() or e["ends"] for e in later)
    with pytest.raises(InvalidInput):
        await ro_store.get_gym_events(demo.paris, limit=1000)


async def test_check_class_availability(store: PostgresStore, db_url: str, demo) -> None:
    yoga = (await store.check_class_availability(demo.paris, "yoga"))["classes"]
    assert yoga and all("yoga" in c["name"].lower() for c in yoga)
    full_id, name, starts = make_full_class(db_url, demo.paris, demo.member)
    full = (await store.check_class_availability(demo.paris, name, starts_at=starts))["classes"]
    assert [c["class_id"] for c in full] == [str(full_id)]
    assert full[0]["is_full"] is True and full[0]["spots_left"] == 0
    local_day = starts.astimezone(PARIS).date()
    on_day = (await store.check_class_availability(demo.paris, name.upper(), on_date=local_day))["classes"]
    assert str(full_id) in [c["class_id"] for c in on_day]
    assert all(c["name"] == name and c["when"]["date"] == local_day.isoformat() for c in on_day)


@pytest.mark.parametrize(("kwargs", "error", "reason"), [
    ({"class_name": "aquagym"}, NotFound, "class_not_found"),
    ({}, InvalidInput, "missing_value"),
    ({"class_name": "yoga", "on_date": date(2020, 5, 1)}, InvalidInput, "past_date")])
async def test_check_class_availability_errors(ro_store: PostgresStore, demo, kwargs: dict, error: type,
                                               reason: str) -> None:
    with pytest.raises(error) as err:
        await ro_store.check_class_availability(demo.paris, **kwargs)
    assert err.value.reason == reason


# --- recommendations, leaderboard, FAQ ---------------------------------------------------------------------------

async def test_get_workout_recommendations(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    (level,), = sql(ro_db_url, "select level from gym_members where id = %s", demo.member)
    allowed = {"debutant": {"debutant"}, "intermediaire": {"debutant", "intermediaire"}}.get(
        level, {"debutant", "intermediaire", "avance"})
    result = await ro_store.get_workout_recommendations(demo.paris, demo.member)
    assert len(result["exercises"]) == 5
    assert all(e["level"] in allowed for e in result["exercises"])
    assert any(e["video"] for e in result["exercises"])
    legs = await ro_store.get_workout_recommendations(demo.paris, demo.member, focus="jambes", limit=3)
    assert legs["exercises"] and all("jambes" in e["muscle_group"] for e in legs["exercises"])


async def test_recommendations_skip_exercises_whose_equipment_is_all_broken(store: PostgresStore, db_url: str,
                                                                           demo) -> None:
    sql(db_url, "update gym_members set level = 'avance', goal = 'force' where id = %s", demo.member)
    sql(db_url, "update equipment set status = 'out_of_order' where gym_id = %s and category = 'rack_squat'",
        demo.paris)
    result = await store.get_workout_recommendations(demo.paris, demo.member, limit=10)
    assert "Squat" not in [e["name"] for e in result["exercises"]]
    assert "rack_squat" in result["unavailable_equipment"]


async def test_get_gym_leaderboard(ro_store: PostgresStore, ro_db_url: str, demo) -> None:
    board = await ro_store.get_gym_leaderboard(demo.paris, member_id=demo.member, limit=5)
    assert board["period"] == datetime.now(PARIS).strftime("%Y-%m")
    ranks = [t["rank"] for t in board["top"]]
    assert ranks == sorted(ranks) and ranks[0] == 1
    scores = [t["score"] for t in board["top"]]
    assert scores == sorted(scores, reverse=True)
    assert all(t["name"].endswith(".") and len(t["name"].split()[-1]) == 2 for t in board["top"])  # "Léa M."
    (mine,), = sql(ro_db_url, "select count(*) from visit_history where member_id = %s and checked_in_at >= "
                              "date_trunc('month', now() at time zone 'Europe/Paris') at time zone 'Europe/Paris'",
                   demo.member)
    if mine:
        assert board["me"]["score"] == mine
    previous = (datetime.now(PARIS).replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert (await ro_store.get_gym_leaderboard(demo.paris, period=previous))["top"]
    with pytest.raises(InvalidInput):
        await ro_store.refresh_leaderboard(demo.paris, "2026-13")


async def test_leaderboard_refresh_reflects_new_visits(store: PostgresStore, db_url: str, demo) -> None:
    sql(db_url, "insert into visit_history (gym_id, member_id, checked_in_at, checked_out_at) "
                "select %s, %s, now() - make_interval(mins => i), "
                "now() - make_interval(mins => i) + interval '1 second' "
                "from generate_series(1, 200) i", demo.paris, demo.member)
    await store.refresh_leaderboard(demo.paris)
    board = await store.get_gym_leaderboard(demo.paris, member_id=demo.member)
    assert board["me"]["rank"] == 1 and board["top"][0]["is_me"] is True


@pytest.mark.parametrize(("question", "expected"), [
    ("A quelle heure ferme la salle le dimanche ?", "Quels sont les horaires d'ouverture ?"),
    ("Combien coûte un coach perso ?", "Combien coûte une séance avec un coach personnel ?"),
    ("Comment résilier ?", "Comment résilier mon abonnement ?"),
    ("Est-ce qu'il y a un sauna ?", "Y a-t-il un sauna ?"),
    ("je peux amener un pote ?", "Puis-je venir avec un ami ?"),
    ("j'ai perdu mon badge", "J'ai perdu mon badge, que faire ?"),
    ("Est-ce que je peux mettre mon abonnement en pause ?", "Puis-je suspendre mon abonnement ?"),
    ("où est-ce que je peux garer ma voiture", "Y a-t-il un parking ?")])
async def test_get_faq_answer_finds_the_right_entry(ro_store: PostgresStore, demo, question: str,
                                                    expected: str) -> None:
    answer = await ro_store.get_faq_answer(demo.paris, question)
    assert answer["found"] is True
    assert answer["question"] == expected
    assert answer["answer"]


@pytest.mark.parametrize("question", ["Quelle est la capitale du Pérou ?", "c'est quoi la recette des crêpes",
                                      "est-ce que tu peux me dire", "???"])
async def test_get_faq_answer_says_it_does_not_know(ro_store: PostgresStore, demo, question: str) -> None:
    answer = await ro_store.get_faq_answer(demo.paris, question)
    assert answer["found"] is False and "answer" not in answer


async def test_get_faq_answer_errors(ro_store: PostgresStore, demo) -> None:
    with pytest.raises(InvalidInput):
        await ro_store.get_faq_answer(demo.paris, "")
    with pytest.raises(InvalidInput):
        await ro_store.get_faq_answer(demo.paris, "horaires", min_score=2)


# --- regressions found in review ---------------------------------------------------------------------------------

async def test_near_miss_coach_names_are_ambiguous_not_guessed(store: PostgresStore, db_url: str, demo) -> None:
    sql(db_url, "update coaches set is_active = false where gym_id = %s", demo.paris)
    for first, last in (("Justine", "Brunet"), ("Justine", "Leroy"), ("Karim", "Benali")):
        (coach,), = sql(db_url, "insert into coaches (gym_id, first_name, last_name) values (%s, %s, %s) "
                                "returning id", demo.paris, first, last)
        sql(db_url, "insert into coach_schedules (gym_id, coach_id, weekday, start_time, end_time) "
                    "select %s, %s, d, '08:00', '20:00' from generate_series(1, 7) d", demo.paris, coach)
    for said in ("Justine", "Justin", "justine"):
        with pytest.raises(Conflict) as err:
            await store.check_coach_availability(demo.paris, coach_name=said)
        assert err.value.reason == "ambiguous_coach" and "Justine Brunet" in err.value.message
    assert (await store.check_coach_availability(demo.paris, coach_name="Justine Leroy"))["coach"]["name"] == \
        "Justine Leroy"
    assert (await store.check_coach_availability(demo.paris, coach_name="Karime"))["coach"]["name"] == \
        "Karim Benali"  # one close spelling: no doubt


async def test_class_availability_by_id_beyond_the_first_week(store: PostgresStore, demo) -> None:
    later = datetime.now(PARIS).date() + timedelta(days=10)
    target = (await store.get_weekly_schedule(demo.paris, from_date=later, days=1))["classes"][0]
    found = await store.check_class_availability(demo.paris, class_id=target["class_id"])
    assert [c["class_id"] for c in found["classes"]] == [target["class_id"]]


async def test_listings_stop_at_the_booking_horizon(store: PostgresStore, demo) -> None:
    horizon = datetime.now(PARIS) + timedelta(days=90)
    start = horizon.date() - timedelta(days=3)
    schedule = await store.get_weekly_schedule(demo.paris, from_date=start, days=14)
    assert schedule["classes"] and schedule["to"] == horizon.date().isoformat()
    assert all(datetime.fromisoformat(c["when"]["at"]) <= horizon for c in schedule["classes"])
    slots = (await store.check_coach_availability(demo.paris, member_id=demo.member, from_date=start, days=14))
    assert all(datetime.fromisoformat(s["at"]) <= horizon for s in slots["slots"])
    for slot in slots["slots"][-1:]:  # what is offered can be booked
        booked = await store.book_coach_appointment(demo.paris, demo.member, slot["at"], "k-horizon")
        assert booked["status"] == "booked"


async def test_a_past_months_leaderboard_is_finalised(store: PostgresStore, db_url: str, demo) -> None:
    first_of_month = datetime.now(PARIS).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    previous = (first_of_month - timedelta(days=1)).strftime("%Y-%m")
    last_evening = first_of_month - timedelta(hours=4)
    # As if last month's ranking was computed a day before the month ended, and visits came after.
    sql(db_url, "update leaderboards set computed_at = %s where gym_id = %s and period = %s",
        last_evening - timedelta(days=1), demo.paris, previous)
    sql(db_url, "insert into visit_history (gym_id, member_id, checked_in_at) "
                "select %s, %s, %s::timestamptz - make_interval(mins => i) from generate_series(1, 60) i",
        demo.paris, demo.member, last_evening)
    board = await store.get_gym_leaderboard(demo.paris, member_id=demo.member, period=previous)
    assert board["me"]["rank"] == 1
    (computed,), = sql(db_url, "select min(computed_at) from leaderboards where gym_id = %s and period = %s",
                       demo.paris, previous)
    assert computed >= first_of_month


async def test_blank_optional_choices_mean_unspecified(ro_store: PostgresStore, demo) -> None:
    everything = await ro_store.get_equipment_status(demo.paris)
    assert await ro_store.get_equipment_status(demo.paris, status="") == everything
    assert await ro_store.get_equipment_status(demo.paris, status="  ") == everything
