"""The dates and times the model passes to tools: parsed strictly, refused with a French ToolError it can act on."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from livekit.agents import ToolError

# "18:30", "18h30", "18h", "18", "18.30", "18:30:00"; the minutes are required after ":" or ".".
_TIME = re.compile(r"^\s*(\d{1,2})\s*(?:[hH]\s*(\d{2})?|[:.](\d{2})(?::\d{2})?)?\s*$")


def parse_date(value: str, *, label: str = "la date") -> date:
    try:
        return date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ToolError(f"{label.capitalize()} doit être au format AAAA-MM-JJ, par exemple 2026-11-24.") from None


def parse_time(value: str) -> time:
    """"18:30", "18h30", "18h", "18", "18.30", "18:30:00" -> a time of day."""
    match = _TIME.match(value or "")
    if match:
        hours, minutes = int(match[1]), int(match[2] or match[3] or 0)
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    raise ToolError("L'heure doit être au format HH:MM, par exemple 18:30.")


def local_moment(day: str, hour: str, timezone: str) -> datetime:
    """A date and a time said in the gym's local time -> an aware datetime. A time that does not exist that day (the
    spring clock change) is refused rather than silently moved."""
    zone = ZoneInfo(timezone)
    moment = datetime.combine(parse_date(day), parse_time(hour), zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        raise ToolError("Cette heure n'existe pas ce jour-là à cause du changement d'heure.")
    return moment
