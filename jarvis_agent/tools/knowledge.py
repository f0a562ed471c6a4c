"""The 15 knowledge tools of the V3 table: thin reads of the data API, answered as short French facts."""

from __future__ import annotations

from collections import defaultdict
from itertools import groupby
from typing import Any, Literal

from livekit.agents import RunContext, ToolError

from ..french import GOALS, LEVELS, MONTHS, say_date, say_opening_hours, say_time, say_when
from ..prompt import quote
from .arguments import local_moment, parse_date
from .common import SessionData, kiosk_tool, read, session_of

Goal = Literal["perte_de_poids", "prise_de_masse", "remise_en_forme", "endurance", "force", "souplesse", "bien_etre"]
EQUIPMENT_STATUS = {"operational": "en service", "maintenance": "en maintenance", "out_of_order": "hors service"}


def fr_number(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def _duration(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest:02d}" if rest else f"{minutes} min"


def _rank(n: int) -> str:
    return "1er" if n == 1 else f"{n}e"


def _spots(c: dict[str, Any]) -> str:
    return "complet" if c["spots_left"] == 0 else f"{c['spots_left']} place{'s' if c['spots_left'] > 1 else ''}"


@kiosk_tool
async def get_member_stats(ctx: RunContext[SessionData]) -> str:
    """Statistiques du membre : ses visites (30 derniers jours, 12 mois, fréquence par semaine, dernière visite,
    série de semaines), son objectif, son contrat et ses prochaines réservations. À utiliser quand le membre demande
    où il en est, combien de fois il est venu, quand finit son abonnement ou ce qu'il a réservé."""
    s = await session_of(ctx)
    data = await read(s.store.get_member_stats(s.gym_id, s.member_id))
    v, c, m = data["visits"], data["contract"], data["member"]
    lines = [f"Visites : {v['last_30_days']} ces 30 derniers jours (environ {fr_number(v['per_week_last_30_days'])} "
             f"par semaine), {v['last_12_months']} sur les 12 derniers mois."]
    if v["last_visit"]:
        days = v["days_since_last_visit"]
        ago = {0: "aujourd'hui", 1: "hier"}.get(days, f"il y a {days} jours")
        lines.append(f"Dernière visite : {say_date(v['last_visit']['date'])}, {ago}.")
    if v["streak_weeks"]:
        lines.append(f"Série en cours : {v['streak_weeks']} semaine(s) d'affilée avec au moins une séance.")
    lines.append(f"Objectif : {GOALS[m['goal']]}, niveau {LEVELS[m['level']]}. Membre depuis le "
                 f"{say_date(m['member_since'], weekday=False)} {m['member_since'][:4]}.")
    lines.append(f"Contrat de {c['period_months']} mois jusqu'au {say_date(c['end'], weekday=False)} {c['end'][:4]} "
                 f"({c['days_left']} jours restants).")
    if data["group_classes_last_90_days"]:
        lines.append(f"Cours collectifs suivis ces 3 derniers mois : {data['group_classes_last_90_days']}.")
    bookings = data["upcoming_bookings"]
    lines.append("Réservations à venir : " + ("; ".join(
        f"{b['title']} {say_when(b['when'])}" for b in bookings) if bookings else "aucune") + ".")
    return "\n".join(lines)


@kiosk_tool
async def get_weekly_schedule(ctx: RunContext[SessionData], date_debut: str | None = None, nb_jours: int = 7,
                              type_cours: str | None = None) -> str:
    """Planning des cours collectifs avec les places restantes.

    Args:
        date_debut: premier jour, au format AAAA-MM-JJ (par défaut aujourd'hui)
        nb_jours: nombre de jours à couvrir, de 1 à 14 (par défaut 7)
        type_cours: filtre optionnel sur le nom ou le type de cours, par exemple "yoga", "cardio", "boxe"
    """
    s = await session_of(ctx)
    start = parse_date(date_debut, label="la date de début") if date_debut else None
    data = await read(s.store.get_weekly_schedule(s.gym_id, from_date=start, days=nb_jours, category=type_cours))
    classes = data["classes"]
    if not classes:
        return f"Aucun cours{' de ' + type_cours if type_cours else ''} du {say_date(data['from'])} au " \
               f"{say_date(data['to'])}."
    days = []
    for day, items in groupby(classes[:40], key=lambda c: c["when"]["date"]):
        days.append(f"{say_date(day)} : " + " ; ".join(
            f"{say_time(c['when']['time'])} {c['name']}" + (f" avec {c['coach']}" if c["coach"] else "")
            + f" ({c['duration_minutes']} min, {_spots(c)})" for c in items))
    more = f"\nEt {len(classes) - 40} autres cours." if len(classes) > 40 else ""
    return "\n".join(days) + more


@kiosk_tool
async def get_gym_info(ctx: RunContext[SessionData]) -> str:
    """Informations pratiques de la salle : adresse, horaires d'ouverture, ouverte ou fermée maintenant, affluence
    actuelle, téléphone, services (douches, sauna, casiers…) et état général des machines."""
    s = await session_of(ctx)
    g = await read(s.store.get_gym_info(s.gym_id))
    lines = [f"{g['name']}, {g['address']}, {g['postal_code']} {g['city']}.",
             f"Horaires : {say_opening_hours(g['opening_hours'])}.",
             "La salle est ouverte en ce moment." if g["open_now"] else "La salle est fermée en ce moment."]
    occupancy = g["occupancy"]
    if occupancy and occupancy.get("level"):
        level = {"calme": "calme", "moderee": "modérée", "forte": "forte"}[occupancy["level"]]
        lines.append(f"Affluence actuelle : {level} ({occupancy['current']} personnes).")
    if g.get("phone"):
        lines.append(f"Téléphone : {g['phone']}.")
    if g["amenities"]:
        lines.append("Services : " + ", ".join(g["amenities"]) + ".")
    equipment = g.get("equipment") or {}
    lines.append(f"Machines : {equipment.get('operational', 0)} en service, {equipment.get('maintenance', 0)} en "
                 f"maintenance, {equipment.get('out_of_order', 0)} hors service.")
    return "\n".join(lines)


@kiosk_tool
async def list_coaches(ctx: RunContext[SessionData], specialite: str | None = None) -> str:
    """Les coachs de la salle avec leurs spécialités et leurs horaires de présence.

    Args:
        specialite: filtre optionnel, par exemple "yoga", "musculation", "boxe", "nutrition"
    """
    s = await session_of(ctx)
    coaches = (await read(s.store.list_coaches(s.gym_id, specialite)))["coaches"]
    if not coaches:
        return f"Aucun coach{' en ' + specialite if specialite else ''} dans la salle."
    return "\n".join(
        f"{c['name']} ({', '.join(c['specialties'])}) : " + ", ".join(
            f"{d['weekday']} {say_time(d['start'])}-{say_time(d['end'])}" for d in c["schedule"] or []) + "."
        for c in coaches)


@kiosk_tool
async def check_coach_availability(ctx: RunContext[SessionData], coach: str | None = None,
                                   date_debut: str | None = None, nb_jours: int = 7) -> str:
    """Créneaux libres d'un coach pour une séance individuelle d'une heure.

    Args:
        coach: prénom ou nom du coach ; si absent, le coach préféré du membre
        date_debut: premier jour, au format AAAA-MM-JJ (par défaut aujourd'hui)
        nb_jours: nombre de jours à couvrir, de 1 à 14 (par défaut 7)
    """
    s = await session_of(ctx)
    start = parse_date(date_debut, label="la date de début") if date_debut else None
    member = s.context.member.id if s.context.member else None
    data = await read(s.store.check_coach_availability(s.gym_id, coach_name=coach, member_id=member,
                                                       from_date=start, days=nb_jours))
    name = data["coach"]["name"]
    if not data["slots"]:
        return f"{name} n'a aucun créneau libre du {say_date(data['from'])} au {say_date(data['to'])}."
    by_day: dict[str, list[str]] = defaultdict(list)
    for slot in data["slots"]:
        by_day[slot["date"]].append(say_time(slot["time"]))
    return f"Créneaux libres de {name} : " + " ; ".join(
        f"{say_date(day)} à {', '.join(times)}" for day, times in by_day.items()) + "."


@kiosk_tool
async def get_equipment_status(ctx: RunContext[SessionData], equipement: str | None = None) -> str:
    """État des machines et du matériel : en service, en maintenance ou hors service.

    Args:
        equipement: machine ou zone recherchée, par exemple "tapis de course", "rack à squat", "rameur" ;
            si absent, le résumé de la salle et la liste des machines indisponibles
    """
    s = await session_of(ctx)
    data = await read(s.store.get_equipment_status(s.gym_id, equipement))
    items = data["equipment"]
    if equipement:
        if not items:
            return f"Je ne trouve pas d'équipement « {equipement} » dans la salle."
        return "\n".join(f"{e['name']} : {EQUIPMENT_STATUS[e['status']]}" + (f" ({e['note']})" if e["note"] else "")
                         for e in items) + "."
    summary = data["summary"]
    down = [e for e in items if e["status"] != "operational"]
    text = (f"{summary.get('operational', 0)} machines en service, {summary.get('maintenance', 0)} en maintenance, "
            f"{summary.get('out_of_order', 0)} hors service.")
    if down:
        text += " Indisponibles : " + "; ".join(f"{e['name']} ({EQUIPMENT_STATUS[e['status']]})" for e in down) + "."
    return text


@kiosk_tool
async def get_member_programs(ctx: RunContext[SessionData]) -> str:
    """Le programme d'entraînement du membre (en cours et précédents), avec ses exercices."""
    s = await session_of(ctx)
    data = await read(s.store.get_member_programs(s.gym_id, s.member_id))
    current = data["current"]
    if current is None:
        text = "Aucun programme en cours."
    else:
        text = (f"Programme en cours : {current['name']}, {current['sessions_per_week']} séances par semaine"
                + (f" avec {current['coach']}" if current["coach"] else "")
                + (f", jusqu'au {say_date(current['ends_on'], weekday=False)}" if current["ends_on"] else "")
                + ". Exercices : " + ", ".join(
                    f"{e['name']} {e['sets']} × {e['reps']}" + (" (vidéo disponible)" if e["video"] else "")
                    for e in current["exercises"]) + ".")
    if data["history"]:
        text += " Programmes précédents : " + ", ".join(p["name"] for p in data["history"]) + "."
    return text


@kiosk_tool
async def search_video_tutorials(ctx: RunContext[SessionData], exercice: str) -> str:
    """Cherche des vidéos tutoriels d'exercices dans la vidéothèque de la salle (sans les afficher).

    Args:
        exercice: l'exercice ou le muscle, par exemple "squat", "développé couché", "gainage", "dos"
    """
    s = await session_of(ctx)
    videos = (await read(s.store.search_video_tutorials(s.gym_id, exercice)))["videos"]
    if not videos:
        return f"Aucune vidéo pour « {exercice} » dans la vidéothèque."
    return "Vidéos : " + "; ".join(f"« {v['title']} » ({_duration(v['duration_seconds'])}, {v['muscle_group']})"
                                   for v in videos) + ". Elles peuvent s'afficher sur le miroir."


@kiosk_tool
async def get_nutrition_tips(ctx: RunContext[SessionData], objectif: Goal | None = None) -> str:
    """Conseils nutritionnels généraux selon l'objectif (jamais un avis médical ni un régime).

    Args:
        objectif: l'objectif visé ; si absent, celui du membre
    """
    s = await session_of(ctx)
    goal = objectif or (s.context.member.goal if s.context.member else None)
    if goal is None:
        raise ToolError("Quel est ton objectif : perte de poids, prise de masse, remise en forme, endurance, force, "
                        "souplesse ou bien-être ?")
    data = await read(s.store.get_nutrition_tips(goal))
    return f"Conseils pour l'objectif {GOALS[goal]} : " + " ".join(data["tips"]) + " " + data["disclaimer"]


@kiosk_tool
async def get_gym_events(ctx: RunContext[SessionData]) -> str:
    """Les événements à venir de la salle : challenges, stages, ateliers, soirées, compétitions."""
    s = await session_of(ctx)
    events = (await read(s.store.get_gym_events(s.gym_id, limit=8)))["events"]
    if not events:
        return "Aucun événement prévu pour le moment."
    return "\n".join(f"{say_when(e['when'])} : {e['title']}" + (f" ({e['location']})" if e["location"] else "")
                     + f". {e['description']}" for e in events)


@kiosk_tool
async def check_class_availability(ctx: RunContext[SessionData], cours: str, date: str | None = None,
                                   heure: str | None = None) -> str:
    """Places restantes dans un cours collectif précis (ou ses prochaines séances dans la semaine).

    Args:
        cours: le nom du cours, par exemple "yoga", "body pump", "zumba"
        date: le jour au format AAAA-MM-JJ (optionnel)
        heure: l'heure de début au format HH:MM (optionnelle, avec la date)
    """
    s = await session_of(ctx)
    on_date = parse_date(date) if date else None
    starts = None
    if heure:
        if on_date is None:
            raise ToolError("Donne aussi le jour du cours, au format AAAA-MM-JJ.")
        starts = local_moment(date, heure, s.timezone)
        on_date = None
    classes = (await read(s.store.check_class_availability(s.gym_id, cours, on_date=on_date,
                                                           starts_at=starts)))["classes"]
    return "\n".join(f"{c['name']} {say_when(c['when'])} : " + (
        "complet" if c["is_full"] else f"{c['spots_left']} place(s) libre(s) sur {c['capacity']}") + "."
        for c in classes)


@kiosk_tool
async def get_member_achievements(ctx: RunContext[SessionData]) -> str:
    """Les badges et succès obtenus par le membre (gamification)."""
    s = await session_of(ctx)
    data = await read(s.store.get_member_achievements(s.gym_id, s.member_id))
    if not data["count"]:
        return "Aucun badge pour le moment."
    return f"{data['count']} badge(s) : " + "; ".join(
        f"{a['title']} ({say_date(a['earned']['date'], weekday=False)})" for a in data["achievements"]) + "."


@kiosk_tool
async def get_workout_recommendations(ctx: RunContext[SessionData], zone: str | None = None) -> str:
    """Exercices recommandés pour le membre selon son objectif, son niveau, son programme et les machines en
    service, avec la vidéo quand elle existe.

    Args:
        zone: zone ou muscle à travailler (optionnel), par exemple "jambes", "dos", "abdominaux", "cardio"
    """
    s = await session_of(ctx)
    data = await read(s.store.get_workout_recommendations(s.gym_id, s.member_id, focus=zone))
    if not data["exercises"]:
        return "Je n'ai pas d'exercice adapté à proposer pour cette zone avec les machines disponibles."
    text = (f"Pour l'objectif {GOALS[data['goal']]} (niveau {LEVELS[data['level']]}) : " + "; ".join(
        f"{e['name']} {e['sets']} × {e['reps']}" + (" (vidéo disponible)" if e["video"] else "")
        for e in data["exercises"]) + ".")
    if data["unavailable_equipment"]:
        text += " Certaines machines sont indisponibles en ce moment, les exercices qui en ont besoin sont écartés."
    return text


@kiosk_tool
async def get_gym_leaderboard(ctx: RunContext[SessionData]) -> str:
    """Le classement du mois de la salle (nombre de séances) et la place du membre."""
    s = await session_of(ctx)
    data = await read(s.store.get_gym_leaderboard(s.gym_id, member_id=s.member_id))
    month = MONTHS[int(data["period"][5:]) - 1]
    # Names are members' own text: flattened and bounded like everything member-supplied.
    text = f"Classement de {month} : " + ", ".join(f"{_rank(t['rank'])} {quote(t['name'], 40)} ({t['score']} séances)"
                                                    for t in data["top"]) + "."
    if data.get("me"):
        me = data["me"]
        text += f" Toi : {_rank(me['rank'])} sur {me['out_of']} avec {me['score']} séances."
    return text


@kiosk_tool
async def get_faq_answer(ctx: RunContext[SessionData], question: str) -> str:
    """Cherche la réponse dans la FAQ de la salle : tarifs, abonnement, résiliation, règles, services, accès…

    Args:
        question: la question du membre, reformulée simplement
    """
    s = await session_of(ctx)
    answer = await read(s.store.get_faq_answer(s.gym_id, question))
    if not answer["found"]:
        return ("La FAQ de la salle ne répond pas à cette question. N'invente pas de réponse : dis que tu ne sais pas "
                "et propose de demander à l'accueil.")
    return f"Réponse de la FAQ : {answer['answer']}"


KNOWLEDGE_TOOLS = [get_member_stats, get_weekly_schedule, get_gym_info, list_coaches, check_coach_availability,
                   get_equipment_status, get_member_programs, search_video_tutorials, get_nutrition_tips,
                   get_gym_events, check_class_availability, get_member_achievements, get_workout_recommendations,
                   get_gym_leaderboard, get_faq_answer]
