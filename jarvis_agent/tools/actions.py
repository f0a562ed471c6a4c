"""The 10 action tools of the V3 table. Writes run to completion despite barge-ins and use the tool call id as
idempotency key (see common.write); recipients of SMS and e-mails come from the member row, never from the model."""

from __future__ import annotations

from typing import Literal

from livekit.agents import RunContext, ToolError

from ..french import GOALS, LEVELS, say_when
from ..kiosk import KioskUnavailable
from .arguments import local_moment, parse_date
from .common import SessionData, kiosk_tool, read, session_of, write
from .knowledge import Goal

Urgency = Literal["low", "medium", "high", "critical"]
Priority = Literal["low", "medium", "high", "urgent"]
Category = Literal["equipement", "proprete", "personnel", "cours", "horaires", "tarifs", "affluence", "ambiance",
                   "securite", "autre"]
Sentiment = Literal["positive", "neutral", "negative"]
Level = Literal["debutant", "intermediaire", "avance"]
URGENCY_FR = {"low": "basse", "medium": "moyenne", "high": "haute", "critical": "critique", "urgent": "urgente"}


@kiosk_tool
async def book_coach_appointment(ctx: RunContext[SessionData], date: str, heure: str, coach: str | None = None,
                                 duree_minutes: int = 60, note: str | None = None) -> str:
    """Réserve une séance individuelle avec un coach. Vérifie d'abord les créneaux avec check_coach_availability
    si tu ne les connais pas.

    Args:
        date: le jour, au format AAAA-MM-JJ
        heure: l'heure de début, au format HH:MM (heure locale de la salle)
        coach: prénom ou nom du coach ; si absent, le coach préféré du membre
        duree_minutes: durée de la séance en minutes (60 par défaut)
        note: ce que le membre veut travailler (optionnel)
    """
    s = await session_of(ctx)
    starts = local_moment(date, heure, s.timezone)
    booked = await write(ctx, lambda key: s.store.book_coach_appointment(
        s.gym_id, s.member_id, starts, key, coach_name=coach, duration_minutes=duree_minutes,
        note=note))
    return (f"Réservé : séance avec {booked['coach']} {say_when(booked['when'])}, "
            f"{booked['duration_minutes']} minutes.")


@kiosk_tool
async def enroll_group_class(ctx: RunContext[SessionData], cours: str, date: str, heure: str) -> str:
    """Inscrit le membre à un cours collectif.

    Args:
        cours: le nom du cours, par exemple "yoga vinyasa", "body pump"
        date: le jour du cours, au format AAAA-MM-JJ
        heure: l'heure de début du cours, au format HH:MM
    """
    s = await session_of(ctx)
    starts = local_moment(date, heure, s.timezone)
    enrolled = await write(ctx, lambda key: s.store.enroll_group_class(s.gym_id, s.member_id, key,
                                                           class_name=cours, starts_at=starts))
    return (f"Inscrit au cours {enrolled['name']} {say_when(enrolled['when'])}"
            + (f" avec {enrolled['coach']}" if enrolled["coach"] else "")
            + f". Il reste {enrolled['spots_left']} place(s).")


@kiosk_tool
async def cancel_booking(ctx: RunContext[SessionData], type: Literal["coach", "cours"] | None = None,
                         date: str | None = None, heure: str | None = None, nom: str | None = None) -> str:
    """Annule une réservation à venir du membre (séance coach ou cours collectif). Seules ses propres réservations
    peuvent être annulées.

    Args:
        type: "coach" pour une séance individuelle, "cours" pour un cours collectif (optionnel)
        date: le jour de la réservation, au format AAAA-MM-JJ (optionnel)
        heure: l'heure de début, au format HH:MM (optionnelle, avec la date)
        nom: le nom du cours ou du coach (optionnel)
    """
    s = await session_of(ctx)
    starts = on_date = None
    if heure:
        if not date:
            raise ToolError("Donne aussi le jour de la réservation, au format AAAA-MM-JJ.")
        starts = local_moment(date, heure, s.timezone)
    elif date:
        on_date = parse_date(date)
    kind = {"coach": "coach", "cours": "class"}.get(type) if type else None
    cancelled = await write(ctx, lambda key: s.store.cancel_booking(s.gym_id, s.member_id, key, kind=kind,
                                                        starts_at=starts, name=nom, on_date=on_date))
    return f"Annulé : {cancelled['title']} {say_when(cancelled['when'])}."


def _delivery_note(s: SessionData, channel: str) -> str:
    if s.outbox is not None and s.outbox.configured(channel):
        s.outbox.kick()
        return "part maintenant"
    return "sera envoyé dès que possible"


@kiosk_tool
async def send_sms_reminder(ctx: RunContext[SessionData], message: str) -> str:
    """Envoie un SMS de rappel ou d'encouragement au membre, sur le numéro de sa fiche.

    Args:
        message: le texte du SMS, court (480 caractères au plus), en français, signé de la salle
    """
    s = await session_of(ctx)
    queued = await write(ctx, lambda key: s.store.send_sms_reminder(s.gym_id, s.member_id, message, key))
    return f"Le SMS {_delivery_note(s, 'sms')} au numéro qui finit par {queued['recipient_hint'][-2:]}."


@kiosk_tool
async def send_email_study(ctx: RunContext[SessionData], sujet: str, contenu: str) -> str:
    """Envoie au membre, à l'adresse e-mail de sa fiche, un document ou une étude (programme, conseils, article).

    Args:
        sujet: l'objet de l'e-mail
        contenu: le texte de l'e-mail, en français
    """
    s = await session_of(ctx)
    queued = await write(ctx, lambda key: s.store.send_email_study(s.gym_id, s.member_id, sujet, contenu,
                                                       key))
    return f"L'e-mail {_delivery_note(s, 'email')} à l'adresse {queued['recipient_hint']}."


@kiosk_tool
async def notify_gym_manager(ctx: RunContext[SessionData], urgence: Urgency, message: str) -> str:
    """Prévient immédiatement le gérant : blessure, malaise, machine dangereuse, conflit, membre très mécontent
    ou qui veut résilier.

    Args:
        urgence: low, medium, high, ou critical (blessure, danger immédiat)
        message: ce qui se passe, en une ou deux phrases factuelles
    """
    s = await session_of(ctx)
    member = s.context.member.id if s.context.member else None
    sent = await write(ctx, lambda key: s.store.notify_gym_manager(s.gym_id, urgence, message, key,
                                                       member_id=member))
    return f"Le gérant est prévenu (urgence {URGENCY_FR[sent['urgency']]})."


@kiosk_tool
async def create_mission(ctx: RunContext[SessionData], titre: str, description: str, priorite: Priority) -> str:
    """Crée une mission pour l'équipe de la salle sur le tableau de bord du gérant (rappeler le membre, lui proposer
    un bilan, vérifier une machine…).

    Args:
        titre: titre court de la mission
        description: ce qu'il faut faire et pourquoi
        priorite: low, medium, high ou urgent
    """
    s = await session_of(ctx)
    mission = await write(ctx, lambda key: s.store.create_mission(s.gym_id, titre, description, priorite,
                                                      key, member_id=s.member_id))
    return f"Mission créée pour l'équipe (priorité {URGENCY_FR[mission['priority']]})."


@kiosk_tool
async def log_feedback(ctx: RunContext[SessionData], categorie: Category, message: str, ressenti: Sentiment,
                       gravite: Urgency = "low") -> str:
    """Enregistre un retour du membre (plainte, suggestion, compliment) pour l'équipe de la salle.

    Args:
        categorie: le sujet du retour
        message: le retour, fidèlement résumé
        ressenti: positive, neutral ou negative
        gravite: low, medium, high ou critical
    """
    s = await session_of(ctx)
    member = s.context.member.id if s.context.member else None
    await write(ctx, lambda key: s.store.log_feedback(s.gym_id, categorie, message, ressenti, key,
                                          member_id=member, severity=gravite))
    return "Retour enregistré, l'équipe de la salle le verra."


@kiosk_tool
async def display_video_tutorial(ctx: RunContext[SessionData], exercice: str) -> str:
    """Affiche sur le miroir de la borne la vidéo tutoriel d'un exercice.

    Args:
        exercice: l'exercice, par exemple "squat", "développé couché", "soulevé de terre", "gainage"
    """
    s = await session_of(ctx)
    video = (await read(s.store.find_video_tutorial(s.gym_id, exercice)))["video"]
    if s.kiosk is None:
        raise ToolError("Je ne peux pas afficher de vidéo sur cet écran pour le moment.")
    try:
        await s.kiosk.display_video(video)
    except KioskUnavailable:
        raise ToolError("L'écran de la borne ne répond pas, je ne peux pas afficher la vidéo.") from None
    return f"La vidéo « {video['title']} » s'affiche sur le miroir."


@kiosk_tool
async def update_member_goals(ctx: RunContext[SessionData], objectif: Goal | None = None,
                              niveau: Level | None = None, precision: str | None = None) -> str:
    """Met à jour l'objectif et/ou le niveau du membre, quand il le demande explicitement.

    Args:
        objectif: le nouvel objectif
        niveau: le nouveau niveau
        precision: ce que le membre vise précisément, dans ses mots (optionnel)
    """
    s = await session_of(ctx)
    updated = await write(ctx, lambda key: s.store.update_member_goals(s.gym_id, s.member_id, key,
                                                           goal=objectif, level=niveau, goal_note=precision))
    return f"Objectif enregistré : {GOALS[updated['goal']]}, niveau {LEVELS[updated['level']]}."


ACTION_TOOLS = [book_coach_appointment, enroll_group_class, cancel_booking, send_sms_reminder, send_email_study,
                notify_gym_manager, create_mission, log_feedback, display_video_tutorial, update_member_goals]
