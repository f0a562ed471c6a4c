"""Dates and times as a French speaker says them.

Tool outputs and prompts are read out loud: "mardi 24 novembre à 18h30", never ISO strings.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any


def fold(text: str) -> str:
    """Lower case without accents ("Génial" → "genial"): how transcripts are matched against French phrases."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
GOALS = {"perte_de_poids": "perte de poids", "prise_de_masse": "prise de masse", "remise_en_forme": "remise en forme",
         "endurance": "endurance", "force": "force", "souplesse": "souplesse", "bien_etre": "bien-être"}
LEVELS = {"debutant": "débutant", "intermediaire": "intermédiaire", "avance": "avancé"}
MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre"]


def say_time(hhmm: str) -> str:
    """"18:30" -> "18h30", "09:00" -> "9h"."""
    hours, minutes = hhmm.split(":")[:2]
    return f"{int(hours)}h{minutes}" if minutes != "00" else f"{int(hours)}h"


def say_date(value: date | str, *, weekday: bool = True) -> str:
    """2026-11-24 -> "mardi 24 novembre" ("1er" for the first of the month)."""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    day = "1er" if d.day == 1 else str(d.day)
    text = f"{day} {MONTHS[d.month - 1]}"
    return f"{WEEKDAYS[d.weekday()]} {text}" if weekday else text


def say_when(when: dict[str, Any]) -> str:
    """A data-API moment {"date", "time", "weekday"} -> "mardi 24 novembre à 18h30"."""
    return f"{say_date(when['date'])} à {say_time(when['time'])}"


def say_opening_hours(hours: list[dict[str, str]]) -> str:
    """[{"weekday", "open", "close"}] (closed days absent) -> "du lundi au vendredi de 6h à 23h ; samedi de 8h à 20h ;
    fermé le dimanche". Only consecutive days with the same hours are grouped."""
    by_day = {WEEKDAYS.index(h["weekday"]): f"de {say_time(h['open'])} à {say_time(h['close'])}" for h in hours}
    groups: list[tuple[list[int], str]] = []
    for day in range(7):
        span = by_day.get(day, "fermé")
        if groups and groups[-1][1] == span and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], span))
    parts = []
    for days, span in groups:
        names = [WEEKDAYS[d] for d in days]
        who = f"du {names[0]} au {names[-1]}" if len(names) > 2 else " et ".join(names)
        parts.append(f"fermé le {who}" if span == "fermé" else f"{who} {span}")
    return " ; ".join(parts)
