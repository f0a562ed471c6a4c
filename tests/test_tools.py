"""The 25 function tools through a real AgentSession and the real Groq plugin, with the model's answers scripted in
the Groq DOUBLE (tests/doubles/openai_server.py): each test checks the function-call event, what the tool returned
to the model, and the database afterwards."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from livekit import rtc
from livekit.agents import AgentSession
from livekit.plugins import groq

from jarvis_agent.agent import JarvisAgent
from jarvis_agent.context import load_context
from jarvis_agent.kiosk import DISPLAY_VIDEO, KioskLink
from jarvis_agent.store.postgres import PostgresStore
from jarvis_agent.tools import ALL_TOOLS, VISITOR_TOOLS, SessionData

from .conftest import make_full_class, sql
from .doubles.livekit_room import LocalParticipantDouble
from .doubles.openai_server import Text, ToolCalls

PARIS = ZoneInfo("Europe/Paris")



@asynccontextmanager
async def jarvis(store: PostgresStore, model, badge: str | None, **userdata: Any) -> AsyncIterator[AgentSession]:
    context = await load_context(store, "paris-bastille", badge)
    data = SessionData(store=store, context=context, **userdata)
    async with groq.LLM(base_url=model.base_url, api_key=model.API_KEY) as llm, \
            AgentSession(llm=llm, userdata=data) as session:
        await session.start(JarvisAgent(context))
        yield session


async def call(store: PostgresStore, model, badge: str | None, name: str, arguments: dict[str, Any],
               said: str = "…", **userdata: Any):
    """The member says something, the model calls `name(arguments)`, then answers: returns the tool's output."""
    model.script(ToolCalls([(name, arguments)]), Text("Voilà."))
    async with jarvis(store, model, badge, **userdata) as session:
        result = await session.run(user_input=said)
    result.expect.next_event().is_function_call(name=name, arguments=arguments)
    output = result.expect.next_event().is_function_call_output().event().item
    result.expect.next_event().is_message(role="assistant")
    assert model.tool_outputs()[-1] == output.output  # what the model received on its next request
    return output


def slot_args(at: str) -> dict[str, str]:
    local = datetime.fromisoformat(at).astimezone(PARIS)
    return {"date": local.date().isoformat(), "heure": local.strftime("%H:%M")}


# --- knowledge tools ---------------------------------------------------------------------------------------------

async def test_get_member_stats(ro_store, ro_db_url, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "get_member_stats", {}, "Je suis venu combien de fois ?")
    (n,), = sql(ro_db_url, "select count(*) from visit_history where member_id = %s and checked_in_at >= now() - "
                           "interval '30 days'", demo.member)
    assert not out.is_error and out.output.startswith(f"Visites : {n} ces 30 derniers jours")
    assert "Contrat de" in out.output


async def test_get_weekly_schedule(ro_store, model, demo) -> None:
    tomorrow = (datetime.now(PARIS) + timedelta(days=1)).date()
    out = await call(ro_store, model, demo.member_badge, "get_weekly_schedule",
                     {"date_debut": tomorrow.isoformat(), "nb_jours": 1, "type_cours": None})
    assert out.output.count(" : ") == 1 and "min" in out.output  # one day, classes with durations


async def test_get_gym_info(ro_store, model, demo) -> None:
    out = await call(ro_store, model, None, "get_gym_info", {}, "Vous fermez à quelle heure ?")
    assert "12 rue de la Roquette" in out.output and "du lundi au vendredi de 6h à 23h" in out.output


async def test_list_coaches(ro_store, ro_db_url, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "list_coaches", {"specialite": "yoga"})
    names = [r[0] for r in sql(ro_db_url, "select first_name || ' ' || last_name from coaches where gym_id = %s "
                                          "and 'yoga' = any(specialties)", demo.paris)]
    assert names and all(name in out.output for name in names)


async def test_check_coach_availability(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "check_coach_availability", {}, "Mon coach est dispo ?")
    assert out.output.startswith(f"Créneaux libres de {demo.coach_first_name}")


async def test_get_equipment_status(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "get_equipment_status", {"equipement": "rameur"})
    assert "Rameur n°1" in out.output and ("en service" in out.output or "maintenance" in out.output)


async def test_get_member_programs(ro_store, ro_db_url, model, demo) -> None:
    (badge, name), = sql(ro_db_url, "select m.badge_id, p.name from training_programs p join gym_members m "
                                    "on m.id = p.member_id where m.gym_id = %s and m.is_active and p.status = 'active' "
                                    "order by m.badge_id limit 1", demo.paris)
    out = await call(ro_store, model, badge, "get_member_programs", {}, "C'est quoi mon programme ?")
    assert out.output.startswith(f"Programme en cours : {name}")


async def test_search_video_tutorials(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "search_video_tutorials", {"exercice": "développé couché"})
    assert out.output.startswith("Vidéos : « Bien faire : développé couché »")


async def test_get_nutrition_tips(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "get_nutrition_tips", {"objectif": "endurance"})
    assert "féculents" in out.output and "pas un avis médical" in out.output


async def test_get_gym_events(ro_store, model, demo) -> None:
    out = await call(ro_store, model, None, "get_gym_events", {}, "Il y a des événements ?")
    assert "Challenge gainage 30 jours" in out.output


async def test_check_class_availability(store, db_url, model, demo) -> None:
    _, name, starts = make_full_class(db_url, demo.paris, demo.member)
    local = starts.astimezone(PARIS)
    out = await call(store, model, demo.member_badge, "check_class_availability",
                     {"cours": name, "date": local.date().isoformat(), "heure": local.strftime("%H:%M")})
    assert out.output.endswith(": complet.")


async def test_get_member_achievements(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "get_member_achievements", {})
    assert "Première séance" in out.output


async def test_get_workout_recommendations(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "get_workout_recommendations", {"zone": "jambes"})
    assert out.output.startswith("Pour l'objectif") and "×" in out.output


async def test_get_gym_leaderboard(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "get_gym_leaderboard", {})
    assert out.output.startswith("Classement de") and ": 1er " in out.output and " Toi : " in out.output


async def test_get_faq_answer(ro_store, model, demo) -> None:
    out = await call(ro_store, model, None, "get_faq_answer", {"question": "Y a-t-il un sauna ?"})
    assert out.output.startswith("Réponse de la FAQ : Oui, le sauna")
    unknown = await call(ro_store, model, None, "get_faq_answer", {"question": "Quelle est la capitale du Pérou ?"})
    assert "N'invente pas" in unknown.output and not unknown.is_error


# --- action tools ------------------------------------------------------------------------------------------------

async def test_book_coach_appointment(store, db_url, model, demo) -> None:
    slot = (await store.check_coach_availability(demo.paris, member_id=demo.member))["slots"][0]["at"]
    out = await call(store, model, demo.member_badge, "book_coach_appointment", slot_args(slot),
                     "Réserve-moi une séance avec mon coach")
    assert out.output.startswith(f"Réservé : séance avec {demo.coach_first_name}")
    assert sql(db_url, "select count(*) from coach_appointments where member_id = %s and starts_at = %s "
                       "and status = 'booked'", demo.member, slot) == [(1,)]


async def test_enroll_group_class(store, db_url, model, demo) -> None:
    schedule = await store.get_weekly_schedule(demo.paris, from_date=(datetime.now(PARIS) + timedelta(days=1)).date())
    target = next(c for c in schedule["classes"] if c["spots_left"] > 1)
    out = await call(store, model, demo.member_badge, "enroll_group_class",
                     {"cours": target["name"].lower(), **slot_args(target["when"]["at"])})
    assert out.output.startswith(f"Inscrit au cours {target['name']}")
    assert sql(db_url, "select count(*) from class_enrollments where member_id = %s and class_id = %s "
                       "and status = 'enrolled'", demo.member, target["class_id"]) == [(1,)]


async def test_cancel_booking(store, db_url, model, demo) -> None:
    sql(db_url, "update coach_appointments set status = 'cancelled' where member_id = %s", demo.member)
    sql(db_url, "update class_enrollments set status = 'cancelled' where member_id = %s", demo.member)
    slot = (await store.check_coach_availability(demo.paris, member_id=demo.member))["slots"][0]["at"]
    booked = await store.book_coach_appointment(demo.paris, demo.member, slot, "setup")
    out = await call(store, model, demo.member_badge, "cancel_booking",
                     {"type": "coach", "date": slot_args(slot)["date"]}, "Annule ma séance coach")
    assert out.output.startswith("Annulé :")
    assert sql(db_url, "select status from coach_appointments where id = %s", booked["booking_id"]) == [
        ("cancelled",)]


async def test_send_sms_reminder_without_twilio_stays_queued(store, db_url, model, demo) -> None:
    out = await call(store, model, demo.member_badge, "send_sms_reminder",
                     {"message": "N'oublie pas ton cours de yoga demain à 12h15 !"})
    assert "sera envoyé dès que possible" in out.output
    (phone,), = sql(db_url, "select phone from gym_members where id = %s", demo.member)
    assert sql(db_url, "select recipient, status from outbox_messages where member_id = %s", demo.member) == [
        (phone, "queued")]


async def test_send_email_study(store, db_url, model, demo) -> None:
    out = await call(store, model, demo.member_badge, "send_email_study",
                     {"sujet": "Ton programme gainage", "contenu": "Voici l'étude sur le gainage."})
    assert "à l'adresse" in out.output and "@example.com" in out.output
    assert sql(db_url, "select channel, subject, status from outbox_messages where member_id = %s", demo.member) == [
        ("email", "Ton programme gainage", "queued")]


async def test_notify_gym_manager(store, db_url, model, demo) -> None:
    out = await call(store, model, demo.member_badge, "notify_gym_manager",
                     {"urgence": "critical", "message": "Un membre s'est fait mal au dos au rack 2."},
                     "Je me suis fait mal au dos")
    assert out.output == "Le gérant est prévenu (urgence critique)."
    assert sql(db_url, "select urgency, member_id, source from manager_notifications where message like %s",
               "Un membre s'est fait mal%") == [("critical", demo.member, "jarvis")]


async def test_create_mission(store, db_url, model, demo) -> None:
    out = await call(store, model, demo.member_badge, "create_mission",
                     {"titre": "Proposer un bilan", "description": "Le membre se sent démotivé.", "priorite": "high"})
    assert out.output == "Mission créée pour l'équipe (priorité haute)."
    assert sql(db_url, "select priority, member_id from manager_missions where title = 'Proposer un bilan'") == [
        ("high", demo.member)]


async def test_log_feedback(store, db_url, model, demo) -> None:
    out = await call(store, model, demo.member_badge, "log_feedback",
                     {"categorie": "affluence", "message": "Trop de monde le soir.", "ressenti": "negative",
                      "gravite": "medium"})
    assert out.output == "Retour enregistré, l'équipe de la salle le verra."
    assert sql(db_url, "select category, sentiment, severity, member_id from member_feedback "
                       "where message = 'Trop de monde le soir.'") == [("affluence", "negative", "medium",
                                                                         demo.member)]


async def test_display_video_tutorial(ro_store, model, demo) -> None:
    participant = LocalParticipantDouble()
    out = await call(ro_store, model, demo.member_badge, "display_video_tutorial", {"exercice": "squat"},
                     "Montre-moi comment faire un squat", kiosk=KioskLink(participant, "kiosk-paris-1"))
    assert out.output == "La vidéo « Bien faire : squat » s'affiche sur le miroir."
    (rpc,) = participant.calls
    assert rpc.destination_identity == "kiosk-paris-1" and rpc.method == DISPLAY_VIDEO
    payload = json.loads(rpc.payload)
    assert payload["title"] == "Bien faire : squat" and payload["url"].endswith("/squat.mp4")
    assert set(payload) == {"video_id", "title", "url", "thumbnail_url", "duration_seconds"}


async def test_display_video_without_a_kiosk_is_a_tool_error(ro_store, model, demo) -> None:
    out = await call(ro_store, model, demo.member_badge, "display_video_tutorial", {"exercice": "squat"})
    assert out.is_error and out.output == "Je ne peux pas afficher de vidéo sur cet écran pour le moment."
    participant = LocalParticipantDouble(fail_with=rtc.RpcError(rtc.RpcError.ErrorCode.RECIPIENT_NOT_FOUND,
                                                                "Recipient not found"))
    out = await call(ro_store, model, demo.member_badge, "display_video_tutorial", {"exercice": "squat"},
                     kiosk=KioskLink(participant, "kiosk-gone"))
    assert out.is_error and "ne répond pas" in out.output


async def test_update_member_goals(store, db_url, model, demo) -> None:
    out = await call(store, model, demo.member_badge, "update_member_goals",
                     {"objectif": "prise_de_masse", "niveau": None, "precision": "prendre 5 kilos de muscle"})
    assert out.output.startswith("Objectif enregistré : prise de masse")
    assert sql(db_url, "select goal, goal_note from gym_members where id = %s", demo.member) == [
        ("prise_de_masse", "prendre 5 kilos de muscle")]


# --- session rules -----------------------------------------------------------------------------------------------

def test_every_tool_of_the_v3_table_exists() -> None:
    names = {t.info.name for t in ALL_TOOLS}
    assert names == {
        "get_member_stats", "get_weekly_schedule", "get_gym_info", "list_coaches", "check_coach_availability",
        "get_equipment_status", "get_member_programs", "search_video_tutorials", "get_nutrition_tips",
        "get_gym_events", "check_class_availability", "get_member_achievements", "get_workout_recommendations",
        "get_gym_leaderboard", "get_faq_answer", "book_coach_appointment", "enroll_group_class", "cancel_booking",
        "send_sms_reminder", "send_email_study", "notify_gym_manager", "create_mission", "log_feedback",
        "display_video_tutorial", "update_member_goals"}
    assert all(t.info.description for t in ALL_TOOLS)


async def test_visitor_mode_offers_only_gym_tools(ro_store, model) -> None:
    model.script(Text("Bonjour !"))
    async with jarvis(ro_store, model, None) as session:
        await session.run(user_input="Bonjour")
    offered = set(model.tool_names())
    assert offered == {t.info.name for t in VISITOR_TOOLS}
    assert "get_gym_leaderboard" not in offered  # it names members
    assert not offered & {"get_member_stats", "book_coach_appointment", "enroll_group_class", "cancel_booking",
                          "send_sms_reminder", "update_member_goals", "get_member_programs"}


async def test_member_tools_refuse_a_visitor_themselves(ro_store, model) -> None:
    """Defence in depth: even if a member tool were offered to a visitor, it asks for the badge."""
    context = await load_context(ro_store, "paris-bastille", None)
    model.script(ToolCalls([("get_member_stats", {})]), Text("Scanne ton badge."))
    async with groq.LLM(base_url=model.base_url, api_key=model.API_KEY) as llm, \
            AgentSession(llm=llm, userdata=SessionData(store=ro_store, context=context)) as session:
        agent = JarvisAgent(context)
        await agent.update_tools(ALL_TOOLS)
        await session.start(agent)
        result = await session.run(user_input="Mes stats ?")
    result.expect.next_event().is_function_call(name="get_member_stats")
    out = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert "scanne ton badge" in out.output


async def test_cancelling_marie_s_booking_never_touches_it(store, db_url, model, demo) -> None:
    (marie,), = sql(db_url, "update gym_members set first_name = 'Marie' where id = (select id from gym_members "
                            "where gym_id = %s and is_active and id <> %s order by badge_id limit 1) returning id",
                    demo.paris, demo.member)
    slot = (await store.check_coach_availability(demo.paris, coach_name=demo.coach_first_name))["slots"][0]["at"]
    theirs = await store.book_coach_appointment(demo.paris, marie, slot, "marie-booking",
                                                coach_name=demo.coach_first_name)
    out = await call(store, model, demo.member_badge, "cancel_booking", {"nom": "Marie"},
                     "Annule la réservation de Marie")
    assert out.is_error and "Je ne trouve pas de réservation" in out.output
    assert sql(db_url, "select status from coach_appointments where id = %s", theirs["booking_id"]) == [("booked",)]


async def test_a_tool_error_reaches_the_model_and_the_reply(store, model, demo) -> None:
    model.script(ToolCalls([("book_coach_appointment", {"date": "2020-01-06", "heure": "10:00"})]),
                 Text("Ce créneau est passé, on en choisit un autre ?"))
    async with jarvis(store, model, demo.member_badge) as session:
        result = await session.run(user_input="Réserve lundi 6 janvier 2020 à 10h")
    result.expect.next_event().is_function_call(name="book_coach_appointment")
    result.expect.next_event().is_function_call_output(output="Ce créneau est déjà passé.", is_error=True)
    result.expect.next_event().is_message(role="assistant")
    assert model.tool_outputs() == ["Ce créneau est déjà passé."]  # what the model read: a French sentence


@pytest.mark.parametrize(("arguments", "message"), [
    ({"date": "demain", "heure": "18:00"}, "La date doit être au format AAAA-MM-JJ"),
    ({"date": "2030-01-07", "heure": "dix-huit heures"}, "L'heure doit être au format HH:MM"),
])
async def test_malformed_tool_arguments_are_french_tool_errors(ro_store, model, demo, arguments, message) -> None:
    out = await call(ro_store, model, demo.member_badge, "book_coach_appointment", arguments)
    assert out.is_error and out.output.startswith(message)


async def test_internal_errors_never_leak(store, db_url, model, demo) -> None:
    sql(db_url, "drop function public.get_gym_events(uuid, date, integer)")  # a schema fault, as after a bad deploy
    out = await call(store, model, demo.member_badge, "get_gym_events", {})
    assert out.is_error and "souci technique" in out.output
    assert "function" not in out.output.lower() and "sql" not in out.output.lower()


async def test_a_re_issued_write_is_not_repeated(store, db_url, model, demo) -> None:
    """The model calls log_feedback again with the same arguments (a new call id): one row. The same booking asked
    again after a cancellation is a new booking."""
    feedback = {"categorie": "autre", "message": "Merci pour tout !", "ressenti": "positive"}
    slot = (await store.check_coach_availability(demo.paris, member_id=demo.member))["slots"][0]["at"]
    model.script(ToolCalls([("log_feedback", feedback)]), Text("Merci à toi."),
                 ToolCalls([("log_feedback", {**feedback, "gravite": None})]), Text("C'est noté."),
                 ToolCalls([("book_coach_appointment", slot_args(slot))]), Text("Réservé."),
                 ToolCalls([("cancel_booking", {"type": "coach", **slot_args(slot)})]), Text("Annulé."),
                 ToolCalls([("book_coach_appointment", slot_args(slot))]), Text("Réservé à nouveau."))
    async with jarvis(store, model, demo.member_badge) as session:
        for said in ("Merci", "Je disais merci", "Réserve", "Annule", "Finalement réserve"):
            result = await session.run(user_input=said)
            result.expect.contains_function_call_output(is_error=False)
    assert sql(db_url, "select count(*) from member_feedback where message = 'Merci pour tout !'") == [(1,)]
    assert sql(db_url, "select status from coach_appointments where member_id = %s and starts_at = %s "
                       "order by created_at", demo.member, slot) == [("cancelled",), ("booked",)]


async def _feedback_rows(db_url: str, message: str) -> list[tuple]:
    import asyncio

    for _ in range(100):
        rows = sql(db_url, "select count(*) from member_feedback where message = %s", message)
        if rows == [(1,)]:
            break
        await asyncio.sleep(0.05)
    return rows


async def _wait_until_the_insert_waits(db_url: str) -> None:
    import asyncio

    for _ in range(100):
        if sql(db_url, "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and query like %s",
               "%log_feedback%") == [(1,)]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the feedback insert never reached the database")


@pytest.mark.parametrize("how", ["session closes", "tool task cancelled"])
async def test_a_write_in_flight_completes(store, db_url, model, demo, how: str) -> None:
    """A write already sent to the database commits exactly once whatever happens to the conversation: the session
    closing (LiveKit drains running tools) or the tool's task being cancelled (a job shutting down) — the write is
    shielded."""
    import asyncio

    message = f"Le rack 2 est cassé ({how})."
    model.script(ToolCalls([("log_feedback", {"categorie": "equipement", "message": message,
                                              "ressenti": "negative"})]), Text("Noté."))
    with psycopg.connect(db_url) as locker:
        locker.execute("lock table member_feedback in share row exclusive mode")  # the insert waits on it
        async with jarvis(store, model, demo.member_badge) as session:
            run = asyncio.ensure_future(session.run(user_input="Le rack 2 est cassé"))
            await _wait_until_the_insert_waits(db_url)
            if how == "session closes":
                closing = asyncio.ensure_future(session.aclose())
                await asyncio.sleep(0.3)
                locker.rollback()  # the lock goes away while the session is closing
                await closing
            else:
                # LiveKit runs each tool in a task named tool_exec_<name>: cancel it as a job shutdown would.
                (tool_task,) = [t for t in asyncio.all_tasks() if t.get_name() == "tool_exec_log_feedback"]
                tool_task.cancel()
                await asyncio.sleep(0.1)
                assert tool_task.cancelled()
                locker.rollback()
            run.cancel()
    assert await _feedback_rows(db_url, message) == [(1,)]


async def test_a_session_started_degraded_recovers_its_context(store, db_url, model, demo) -> None:
    with psycopg.connect(db_url) as locker:
        locker.execute("lock table gyms in access exclusive mode")
        context = await load_context(store, "paris-bastille", demo.member_badge, budget_s=0.2)
        locker.rollback()
    assert context.gym.id is None and context.member is None
    model.script(ToolCalls([("get_gym_info", {})]), Text("On ferme à 23h."))
    async with groq.LLM(base_url=model.base_url, api_key=model.API_KEY) as llm, AgentSession(
            llm=llm, userdata=SessionData(store=store, context=context, badge_id=demo.member_badge)) as session:
        await session.start(JarvisAgent(context))
        result = await session.run(user_input="Vous fermez quand ?")
        assert session.userdata.context.member.id == demo.member  # reloaded on the first tool call
    result.expect.next_event().is_function_call(name="get_gym_info")
    out = result.expect.next_event().is_function_call_output(is_error=False).event().item
    assert "12 rue de la Roquette" in out.output


async def test_member_stats_wording(store, db_url, model, demo) -> None:
    sql(db_url, "insert into visit_history (gym_id, member_id, checked_in_at) values (%s, %s, now())",
        demo.paris, demo.member)
    out = await call(store, model, demo.member_badge, "get_member_stats", {})
    assert ", aujourd'hui." in out.output and "Membre depuis le " in out.output
    (end,), = sql(db_url, "select contract_end from gym_members where id = %s", demo.member)
    assert f" {end.year} (" in out.output  # the contract's end says its year
