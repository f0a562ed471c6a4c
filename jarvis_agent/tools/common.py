"""What every tool shares: the session's userdata, and turning data-layer outcomes into what the model may say.

Gym and member always come from here — the session — never from the model's arguments: no request can read or
change another member's or another gym's data. Failures become `ToolError`s with a short French sentence; internal
errors never leak SQL or stack traces.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import inspect
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID, uuid4

from livekit.agents import FunctionTool, RunContext, ToolError, function_tool

from .. import metrics
from ..context import SessionContext, load_context
from ..kiosk import KioskLink
from ..outbox import OutboxDelivery
from ..store import Store, StoreError, Unavailable

logger = logging.getLogger("jarvis.tools")

T = TypeVar("T")

UNREACHABLE = "Je n'arrive pas à joindre le système de la salle pour le moment. Réessaie dans un instant."
INTERNAL = "Je n'ai pas réussi à faire ça à cause d'un souci technique. L'équipe de la salle peut t'aider à l'accueil."
NEEDS_BADGE = ("Pour ça, j'ai besoin de savoir qui tu es : scanne ton badge sur la borne et je m'en occupe.")
FILLERS = ("Je regarde ça…", "Une seconde, je vérifie…", "Je m'en occupe…")


@dataclass
class ToolCallRecord:
    """One tool call of the session, as persisted to jarvis_interactions."""

    tool_name: str
    arguments: dict[str, Any]
    result: str | None
    error: str | None
    latency_ms: float
    created_at: float


@dataclass
class SessionData:
    """`AgentSession.userdata` of a kiosk session."""

    store: Store
    context: SessionContext
    badge_id: str | None = None
    session_id: UUID = field(default_factory=uuid4)
    kiosk: KioskLink | None = None
    outbox: OutboxDelivery | None = None
    filler_delay_s: float | None = 0.7
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    _last_action: str | None = field(default=None, repr=False)
    _generation: int = field(default=0, repr=False)
    _reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    async def reload_if_degraded(self) -> None:
        """A session that started while the database was late (visitor mode, no gym id) gets its context again when
        a tool first needs it, instead of answering "unreachable" for the whole conversation."""
        async with self._reload_lock:
            if self.context.gym.id is not None:
                return
            with contextlib.suppress(StoreError):
                self.context = await load_context(self.store, self.context.gym.slug, self.badge_id, budget_s=1.0)

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

    def action_key(self, ctx: RunContext) -> tuple[str, int]:
        """(action, generation) of a write: the action is this tool with these arguments; the generation advances
        only when the action differs from the last one completed in the session."""
        call = ctx.function_call
        try:
            arguments = {k: v for k, v in json.loads(call.arguments or "{}").items() if v is not None}
        except (ValueError, AttributeError):
            arguments = call.arguments
        action = f"{call.name}:" + hashlib.sha256(json.dumps(arguments, sort_keys=True, ensure_ascii=False)
                                                  .encode()).hexdigest()[:24]
        return action, self._generation + (action != self._last_action)


async def session_of(ctx: RunContext[SessionData]) -> SessionData:
    """The session's data, its context reloaded first if it started degraded."""
    data = ctx.userdata
    if data.context.gym.id is None:
        await data.reload_if_degraded()
    return data


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


async def write(ctx: RunContext[SessionData], call: Callable[[str], Awaitable[T]]) -> T:
    """Run a data-layer write, `call(idempotency_key)`, to completion and at most once.

    The key is this session, the tool, its arguments and the generation (see SessionData.action_key): the model
    re-issuing the same action — with a new call id after an answer was lost, or after a barge-in (LiveKit #3702) —
    replays the first result and writes nothing; the same request after another action ("réserve", "annule",
    "finalement réserve") is a new action. A barge-in does not interrupt the write, and a cancelled tool (a job
    shutting down) still lets the transaction finish: no half-done booking."""
    data = ctx.userdata
    action, generation = data.action_key(ctx)
    with contextlib.suppress(RuntimeError):  # the reply was interrupted already: the write still happens, once
        ctx.disallow_interruptions()
    result = await read(asyncio.shield(asyncio.ensure_future(call(f"{data.session_id}:{generation}:{action}"))))
    data._last_action, data._generation = action, generation
    return result


def kiosk_tool(func: Callable[..., Awaitable[str]]) -> FunctionTool:
    """`@function_tool`, plus what every kiosk tool does: a filler phrase when it takes longer than
    `SessionData.filler_delay_s` (the member hears Jarvis is on it), and a record of the call (arguments, result or
    error, latency) for the session's transcript and the worker's metrics."""

    signature = inspect.signature(func)

    @functools.wraps(func)
    async def run(*args: Any, **kwargs: Any) -> str:
        bound = signature.bind(*args, **kwargs)
        ctx: RunContext[SessionData] = bound.arguments.pop("ctx")
        arguments = {k: v for k, v in bound.arguments.items() if v is not None}
        data = ctx.userdata
        started, created_at = time.perf_counter(), time.time()
        result: str | None = None
        error: str | None = None
        try:
            if data.filler_delay_s is None:
                result = await func(*args, **kwargs)
            else:
                filler = FILLERS[len(data.tool_calls) % len(FILLERS)]
                async with ctx.with_filler(filler, delay=data.filler_delay_s, max_steps=1):
                    result = await func(*args, **kwargs)
            return result
        except ToolError as exc:
            error = exc.message
            raise
        except asyncio.CancelledError:  # the session closed under it; a shielded write still completes
            error = "cancelled"
            raise
        except BaseException as exc:
            error = f"{type(exc).__name__}"
            raise
        finally:
            latency = time.perf_counter() - started
            metrics.TOOL_CALLS.labels(func.__name__).inc()
            metrics.TOOL_LATENCY.labels(func.__name__).observe(latency)
            if error is not None and error != "cancelled":
                metrics.TOOL_ERRORS.labels(func.__name__).inc()
            data.tool_calls.append(ToolCallRecord(func.__name__, arguments, result, error, round(latency * 1000, 2),
                                                  created_at))

    return function_tool(run)
