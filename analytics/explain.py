"""French words for a churn factor: what the manager reads ("18 jours sans visite") and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Factor:
    feature: str
    value: float | None
    contribution: float
    label: str
    recommendation: str


def _n(value: float) -> str:
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def _months(n: int) -> str:
    return f"{n} mois"


LABELS = {
    "contract_period": lambda v: "contrat au mois" if v <= 1 else f"contrat de {int(v)} mois",
    "months_to_end_contract": lambda v: "contrat qui se termine ce mois-ci" if v < 1
    else f"fin de contrat dans {_months(int(v))}",
    "months_since_joining": lambda v: "nouveau membre (moins d'un mois)" if v < 1
    else f"membre depuis {_months(int(v))}",
    "visits_per_week": lambda v: f"{_n(v)} visite(s) par semaine en moyenne",
    "visits_per_week_30d": lambda v: "aucune visite ces 30 derniers jours" if v == 0
    else f"{_n(v)} visite(s) par semaine ce mois-ci",
    "group_participation": lambda v: "ne participe à aucun cours collectif" if v == 0
    else "participe aux cours collectifs",
    "age": lambda v: f"{int(v)} ans",
    "days_since_last_visit": lambda v: f"{int(v)} jours sans visite",
    "mean_sentiment": lambda v: "conversations récentes négatives" if v < -0.1 else "humeur récente mitigée",
    "negative_feedback": lambda v: f"{int(v)} retour(s) négatif(s) ces 3 derniers mois",
}
RECOMMENDATIONS = {
    "contract_period": "proposer un passage à un abonnement 6 ou 12 mois avec un avantage",
    "months_to_end_contract": "appeler le membre avant la fin de son contrat pour proposer le renouvellement",
    "months_since_joining": "organiser un point d'accueil avec un coach pour fixer ses objectifs",
    "visits_per_week": "proposer une séance avec son coach préféré pour relancer la routine",
    "visits_per_week_30d": "envoyer un message de relance personnalisé et proposer un créneau",
    "group_participation": "inviter le membre à un cours collectif adapté à son objectif",
    "age": "proposer un programme adapté à son profil",
    "days_since_last_visit": "appeler le membre pour prendre de ses nouvelles",
    "mean_sentiment": "faire un point avec le membre sur ce qui ne va pas",
    "negative_feedback": "traiter ses retours et le recontacter pour lui dire ce qui a changé",
}


def describe(feature: str, value: float | None, contribution: float) -> Factor | None:
    if value is None:
        return None
    return Factor(feature, value, contribution, LABELS[feature](value), RECOMMENDATIONS[feature])
