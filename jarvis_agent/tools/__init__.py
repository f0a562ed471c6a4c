"""The 25 function tools of the V3 table, grouped: knowledge (reads) and actions (writes).

A badged member gets all of them. A visitor (unknown or no badge) gets only the tools about the gym, plus feedback
and manager alerts (anyone may report a broken machine or an injury) — not the leaderboard, which names members;
member tools also refuse visitors themselves.
"""

from __future__ import annotations

from livekit.agents import FunctionTool

from ..context import SessionContext
from .actions import ACTION_TOOLS, display_video_tutorial, log_feedback, notify_gym_manager
from .common import SessionData
from .knowledge import (
    KNOWLEDGE_TOOLS,
    check_class_availability,
    check_coach_availability,
    get_equipment_status,
    get_faq_answer,
    get_gym_events,
    get_gym_info,
    get_nutrition_tips,
    get_weekly_schedule,
    list_coaches,
    search_video_tutorials,
)

ALL_TOOLS: list[FunctionTool] = [*KNOWLEDGE_TOOLS, *ACTION_TOOLS]
VISITOR_TOOLS: list[FunctionTool] = [
    get_weekly_schedule, get_gym_info, list_coaches, check_coach_availability, get_equipment_status,
    search_video_tutorials, get_nutrition_tips, get_gym_events, check_class_availability, get_faq_answer,
    display_video_tutorial, log_feedback, notify_gym_manager,
]


def tools_for(context: SessionContext) -> list[FunctionTool]:
    return ALL_TOOLS if context.is_member else VISITOR_TOOLS


__all__ = ["ALL_TOOLS", "VISITOR_TOOLS", "SessionData", "tools_for"]
