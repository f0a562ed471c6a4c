"""What every tool shares: the session's userdata, and turning data-layer outcomes into what the model may say.

Gym and member always come from here — the session — never from the model's arguments: no request can read or
change another member's or another gym's data. Failures become `ToolError`s with a short French sentence; internal
errors never leak SQL or stack traces.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID, uuid4

from livekit.agents import RunContext, ToolError

from ..context import SessionContext
from ..kiosk import KioskLink
from ..outbox import OutboxDelivery
from ..store import Store, StoreError, Unavailable

logger = logging.getLogger("jarvis.tools")

T = TypeVar("T")

UNREACHABLE = "Je n'arrive pas à joindre le système de la salle pour le moment. Réessaie dans un instant."
INTERNAL = "Je n'ai pas réussi à faire ça à cause d'un souci technique. L'équipe de la salle peut t'aider à l'accueil."
NEEDS_BADGE = ("Pour ça, j'ai besoin de savoir qui tu es : scanne ton badge sur la borne et je m'en occupe.")


@dataclass
class SessionData:
    """`AgentSession.userdata` of a kiosk session."""

    store: Store
    context: SessionContext
    session_id: UUID = field(default_factory=uuid4)
    kiosk: KioskLink | None = None
    outbox: OutboxDelivery | None = None

    @property
    def gym_id(self) -> UUID:
        if self.context.gym.id is None:
            raise ToolError(UNREACHABLE)
        return self.context.gym.id

    @property
    def member_id(self) -> UUID:
        """The badged member; visitors get a ToolError asking them to badge."""
        if self.context.member is None:
            raise ToolError(NEEDS_BADGE)
        return self.context.member.id

    @property
    def timezone(self) -> str:
        return self.context.gym.timezone

    def idempotency_key(self, ctx: RunContext) -> str:
        """The tool call's id, scoped to the session: a retried call writes nothing twice."""
        return f"{self.session_id}:{ctx.function_call.call_id}"


async def read(call: Awaitable[T]) -> T:
    """Await a data-layer read; map its typed errors to French ToolErrors."""
    try:
        return await call
    except Unavailable as exc:
        raise ToolError(UNREACHABLE) from exc
    except StoreError as exc:
        if type(exc) is StoreError:  # not a typed outcome: a fault, logged with its reason, hidden from the member
            logger.error("data layer fault: %r", exc)
            raise ToolError(INTERNAL) from exc
        raise ToolError(exc.message) from exc


async def write(ctx: RunContext, call: Awaitable[T]) -> T:
    """Run a data-layer write to completion: a barge-in does not interrupt it, and a cancelled tool (the session
    closing) still lets the transaction finish — no half-done booking, no duplicate on retry (idempotency key)."""
    with contextlib.suppress(RuntimeError):  # the reply was interrupted already: the write still happens, once
        ctx.disallow_interruptions()
    return await read(asyncio.shield(asyncio.ensure_future(call)))
