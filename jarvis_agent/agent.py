"""The Jarvis agent: the French persona and the tools of a kiosk session, from its context.

The LiveKit worker (AgentServer, rtc_session, audio pipeline) is wired around it by the voice pipeline.
"""

from __future__ import annotations

from livekit.agents import Agent

from .context import SessionContext
from .prompt import build_instructions
from .tools import tools_for


class JarvisAgent(Agent):
    def __init__(self, context: SessionContext) -> None:
        super().__init__(instructions=build_instructions(context), tools=tools_for(context))
        self.context = context
