"""French phrasing of dates, times and opening hours, and the parsing of the model's dates and times."""

from __future__ import annotations

import pytest
from livekit.agents import ToolError

from jarvis_agent.french import say_date, say_opening_hours, say_time
from jarvis_agent.tools.arguments import local_moment, parse_date, parse_time

WEEK = [{"weekday": d, "open": "06:00", "close": "23:00"} for d in ("lundi", "mardi", "mercredi", "jeudi", "vendredi")]


def test_dates_and_times() -> None:
    assert say_date("2026-11-24") == "mardi 24 novembre"
    assert say_date("2026-12-01", weekday=False) == "1er décembre"
    assert say_time("18:30") == "18h30" and say_time("09:00") == "9h"


def test_opening_hours_group_only_consecutive_days() -> None:
    weekend = [{"weekday": "samedi", "open": "08:00", "close": "20:00"}]
    assert say_opening_hours(WEEK + weekend) == ("du lundi au vendredi de 6h à 23h ; samedi de 8h à 20h ; "
                                                 "fermé le dimanche")
    gap = [h for h in WEEK if h["weekday"] != "mercredi"]
    assert say_opening_hours(gap) == ("lundi et mardi de 6h à 23h ; fermé le mercredi ; jeudi et vendredi de 6h à "
                                      "23h ; fermé le samedi et dimanche")


@pytest.mark.parametrize(("said", "hhmm"), [("18:30", "18:30"), ("18h30", "18:30"), ("18h", "18:00"), ("18", "18:00"),
                                            ("18.30", "18:30"), ("18:30:00", "18:30"), (" 7h05 ", "07:05")])
def test_times_the_model_may_send(said: str, hhmm: str) -> None:
    assert parse_time(said).strftime("%H:%M") == hhmm


@pytest.mark.parametrize("said", ["18:", "25:00", "18:75", "dix-huit heures", "", "18h300"])
def test_times_that_are_refused(said: str) -> None:
    with pytest.raises(ToolError):
        parse_time(said)


def test_dates_and_local_moments() -> None:
    assert parse_date("2026-11-24").isoformat() == "2026-11-24"
    with pytest.raises(ToolError, match="AAAA-MM-JJ"):
        parse_date("24/11/2026")
    assert local_moment("2026-11-24", "18:30", "Europe/Paris").isoformat() == "2026-11-24T18:30:00+01:00"
    assert local_moment("2026-07-14", "18:30", "Europe/Paris").isoformat() == "2026-07-14T18:30:00+02:00"
    with pytest.raises(ToolError, match="changement d'heure"):
        local_moment("2026-03-29", "02:30", "Europe/Paris")  # does not exist in Paris
