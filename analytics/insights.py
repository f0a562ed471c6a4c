"""Business rules over one analysed session: a priority, missions for the manager and immediate notifications.

Urgent signals notify at once (injury, a dangerous machine, harassment, a member saying they will cancel); each
signal also becomes a mission with a due date. A negative conversation with a member already at high churn risk,
and equipment complaints, become follow-up missions. Every rule has a stable key, so the write-back is idempotent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from .sentiment import Sentiment, normalise

PRIORITIES = ("low", "medium", "high", "urgent")

SIGNALS = {
    "injury": re.compile(r"\b(je me suis (fait mal|blesse|blessee|tordu|tordue)|blesse|blessee|blessure|entorse|"
                         r"tendinite|douleur|mal (au|a la|aux|a l (?!aise))\w*|je suis tombee?|"
                         r"tombee? (du|de la|de l|d un|d une|sur)|saigne|malaise)\b"),
    "dangerous_equipment": re.compile(r"\b(dangereux|dangereuse|cable (effiloche|abime|casse)|fil denude|"
                                      r"court circuit|etincelle|(s est|a) (casse|lache) (sous|sur) moi|"
                                      r"(j ai )?failli (tomber|me blesser)|"
                                      r"coincee? (dans|sous|par) (la|le|une|un) (machine|barre|poulie|appareil|cable|"
                                      r"tapis|banc|charge))\b"),
    "harassment": re.compile(r"\b(harcel\w*|me suit partout|me (fixe|mate|touche)|gestes? deplaces?|"
                             r"(m a|me) (insulte|menace)\w*|commentaires? (deplaces?|sexistes?)|"
                             r"mal a l aise a cause)\b"),
    "cancellation": re.compile(r"\b(resilier|resiliation|me desabonner|(arreter|annuler) mon (abonnement|contrat)|"
                               r"je (ne reviendrai|reviendrai) (plus|pas)|je vais (partir|arreter|changer de salle)|"
                               r"(aller|partir) (a|dans) une autre salle)\b"),
    "equipment": re.compile(r"\b(en panne|hors service|casse|cassee|cassees|ne marche pas|ne fonctionne pas|fuite|"
                            r"sale|sales|froide|pas d eau chaude)\b"),
}
URGENT = {
    "injury": ("high", "Blessure signalée", "signale une douleur ou une blessure pendant sa séance"),
    "dangerous_equipment": ("critical", "Équipement dangereux signalé", "signale un équipement dangereux"),
    "harassment": ("critical", "Harcèlement signalé", "signale un comportement déplacé ou du harcèlement"),
    "cancellation": ("high", "Intention de résilier", "dit vouloir résilier ou quitter la salle"),
}


@dataclass
class Mission:
    key: str
    title: str
    description: str
    priority: str
    due: date


@dataclass
class Notification:
    key: str
    urgency: str
    title: str
    message: str


@dataclass
class Insights:
    priority: str
    signals: list[str]
    missions: list[Mission]
    notifications: list[Notification]


SIGNAL_NAMES = {"injury": "blessure", "dangerous_equipment": "équipement dangereux", "harassment": "harcèlement",
                "cancellation": "intention de résilier", "equipment": "équipement en panne"}
NEGATED = {"ne", "n", "pas", "plus", "jamais", "sans", "aucun", "aucune"}


def _affirmed(pattern: re.Pattern[str], norm: str) -> bool:
    """A match not negated by the three words before it ("je ne vais pas résilier", "pas blessé")."""
    return any(not NEGATED & set(norm[:m.start()].split()[-3:]) for m in pattern.finditer(norm))


def _quote(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return f"« {text[:limit]}{'…' if len(text) > limit else ''} »"


def derive(utterances: list[str], sentiment: Sentiment, *, member_name: str | None, churn_level: str | None,
           today: date) -> Insights:
    """The insights of one session from the member's utterances, their sentiment and the member's churn level."""
    who = member_name or "Un visiteur"
    found: dict[str, str] = {}
    for text in utterances:
        norm = normalise(text)
        for name, pattern in SIGNALS.items():
            if name not in found and _affirmed(pattern, norm):
                found[name] = text
    missions: list[Mission] = []
    notifications: list[Notification] = []
    for name, (urgency, title, what) in URGENT.items():
        if name not in found:
            continue
        message = f"{who} {what} à la borne : {_quote(found[name])}"
        notifications.append(Notification(f"notify:{name}", urgency, title, message))
        priority = "urgent" if urgency == "critical" else "high"
        due = today if priority == "urgent" else today + timedelta(days=1)
        action = {"injury": "Prendre des nouvelles du membre et vérifier l'exercice ou la machine en cause",
                  "dangerous_equipment": "Mettre la machine hors service et la faire contrôler",
                  "harassment": "Recueillir le témoignage et traiter la situation avec l'équipe",
                  "cancellation": "Appeler le membre pour comprendre et lui proposer une solution"}[name]
        missions.append(Mission(f"mission:{name}", f"{title} — {who}", f"{action}. {message}", priority, due))
    if "equipment" in found and "dangerous_equipment" not in found:
        missions.append(Mission("mission:equipment", "Équipement à vérifier",
                                f"{who} signale un problème : {_quote(found['equipment'])}", "medium",
                                today + timedelta(days=2)))
    if sentiment.label == "negative" and churn_level in ("HIGH", "CRITICAL") and "cancellation" not in found:
        missions.append(Mission("mission:at_risk", f"Membre à risque mécontent — {who}",
                                f"Conversation négative à la borne et risque de départ {churn_level}. "
                                "Proposer un échange ou une séance avec son coach préféré.", "high",
                                today + timedelta(days=2)))
    if notifications:
        priority = "urgent" if any(n.urgency == "critical" for n in notifications) else "high"
    elif missions:
        priority = max((m.priority for m in missions), key=PRIORITIES.index)
    else:
        priority = "medium" if sentiment.label == "negative" else "low"
    return Insights(priority, sorted(found), missions, notifications)
