"""Dates and times as a French speaker says them.

Tool outputs and prompts are read out loud: "mardi 24 novembre à 18h30", never ISO strings.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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
