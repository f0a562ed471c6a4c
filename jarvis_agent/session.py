"""One kiosk conversation from start to hand-off, shared by the LiveKit worker and the simulator.

Start: the job metadata (validated), the context under its latency budget, the session row, an `AgentSession`
with the configured VAD/STT/LLM/TTS and turn-taking, the greeting. During: goodbyes end it, silence gets a check-in
then a goodbye, failed recognitions get "tu peux répéter ?", and a hard cap bounds it. End: the transcript, tool
calls and metrics are persisted and the analytics job enqueued (handoff.py) — whatever way the session ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from livekit import rtc
from livekit.agents import NOT_GIVEN, AgentSession, CloseEvent, UserStateChangedEvent, llm, room_io, stt, tts, vad

from . import metrics
from .agent import JarvisAgent
from .context import WeatherService, load_context
from .conversation import CHECK_IN, REPEAT, goodbye, greeting, is_goodbye
from .dispatch import JobMetadata
from .handoff import Outcome, RedisFactory, Spool, hand_off, replay_spool
from .kiosk import KioskLink
from .outbox import OutboxDelivery
from .pipeline import turn_handling
from .recorder import SessionRecorder
from .settings import Settings
from .store import NotFound, Store, StoreError
from .tools import SessionData

logger = logging.getLogger("jarvis.session")


class UnknownGym(LookupError):
    pass


@dataclass
class Providers:
    """The models of a session; `tts=None` runs text only."""

    vad: vad.VAD | None
    stt: stt.STT | None
    llm: llm.LLM
    tts: tts.TTS | None


@dataclass
class Services:
    """What a session needs beyond its models: the data layer, Redis for the queue, the spool, optional weather."""

    store: Store
    redis_factory: RedisFactory
    spool: Spool
    weather: WeatherService | None = None
    outbox: OutboxDelivery | None = None


class KioskSession:
    def __init__(self, meta: JobMetadata, *, settings: Settings, providers: Providers, services: Services,
                 kiosk: KioskLink | None = None) -> None:
        self.meta = meta
        self.settings = settings
        self.providers = providers
        self.services = services
        self.kiosk = kiosk
        self.session: AgentSession[SessionData] | None = None
        self.data: SessionData | None = None
        self.recorder: SessionRecorder | None = None
        self.end_reason: str | None = None
        self.outcome: Outcome | None = None
        self._ended = asyncio.Event()
        self._closed = asyncio.Event()
        self._finish_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._checked_in = False
        self._away_generation = 0
        self._failed = False
        self._counted = False

    # --- start ----------------------------------------------------------------------------------------------------
    async def start(self, *, room: rtc.Room | None = None,
                    configure: Callable[[AgentSession[SessionData]], None] | None = None) -> None:
        """Load the context and start the AgentSession (on the room, or on the I/O `configure` sets)."""
        s, meta = self.settings, self.meta
        try:
            context = await load_context(self.services.store, meta.gym_slug, meta.badge_id,
                                         budget_s=s.jarvis_context_budget_ms / 1000, weather=self.services.weather)
        except NotFound:
            raise UnknownGym(f"no gym with slug {meta.gym_slug!r}") from None
        self.data = data = SessionData(store=self.services.store, context=context, badge_id=meta.badge_id,
                                       session_id=meta.session_id, kiosk=self.kiosk, outbox=self.services.outbox,
                                       filler_delay_s=s.jarvis_filler_delay_ms / 1000)
        if context.gym.id is not None:  # the session row, for the dashboard; never delays the greeting
            self._spawn(self._register(context.gym.id, context.member.id if context.member else None))
        p = self.providers
        self.session = session = AgentSession[SessionData](
            vad=p.vad, stt=p.stt, llm=p.llm, tts=p.tts, turn_handling=turn_handling(s, vad=p.vad is not None),
            userdata=data, user_away_timeout=s.jarvis_idle_checkin_s, max_tool_steps=4, aec_warmup_duration=None,
            # emotion markers for a voice that declares them (Chatterbox); no "um/euh" fillers in French replies
            expressive={"speech_steering": {"disfluencies": False}})
        self.recorder = SessionRecorder(session, data, kiosk_id=meta.kiosk_id)
        session.on("close", self._on_close)
        session.on("user_state_changed", self._on_user_state)
        if p.stt is not None:
            p.stt.on("recognition_failed", self._on_recognition_failed)
        if configure is not None:
            configure(session)
        agent = JarvisAgent(context, on_goodbye=self._on_goodbye)
        room_options = room_io.RoomOptions(text_input=room_io.TextInputOptions(text_input_cb=self._on_room_text),
                                           participant_identity=self.kiosk.kiosk_identity
                                           if self.kiosk and self.kiosk.kiosk_identity else NOT_GIVEN)
        if room is not None:
            await session.start(agent, room=room, room_options=room_options, record=False)
        else:
            await session.start(agent, record=False)
        metrics.ACTIVE_SESSIONS.inc()
        self._counted = True
        logger.info("session %s started (%s, %s)", meta.session_id, meta.gym_slug, context.member_status)
        session.say(greeting(context))
        self._spawn(self._cap_duration())

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    # --- during -----------------------------------------------------------------------------------------------
    async def _register(self, gym_id: UUID, member_id: UUID | None) -> None:
        with contextlib.suppress(StoreError, TimeoutError):
            await asyncio.wait_for(self.services.store.start_voice_session(self.meta.session_id, gym_id, member_id,
                                                                           self.meta.kiosk_id), 2.0)

    async def text_turn(self, text: str) -> None:
        """A typed member turn (the kiosk's chat, the simulator's --text): a goodbye ends the session like a
        spoken one; anything else gets the agent's reply."""
        assert self.session is not None
        if self.ended:
            return
        if is_goodbye(text):
            self._on_goodbye(text)
            return
        await self.session.run(user_input=text)

    def _on_goodbye(self, text: str) -> None:
        assert self.recorder is not None
        self.recorder.add_turn("user", text)
        self.end("goodbye")

    async def _on_room_text(self, session: AgentSession, event: room_io.TextInputEvent) -> None:
        if self.ended:
            return
        async with session._claim_user_turn():  # what LiveKit's default text callback does, goodbyes first
            if is_goodbye(event.text):
                self._on_goodbye(event.text)
                return
            await session.interrupt()
            session.generate_reply(user_input=event.text)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cap_duration(self) -> None:
        await asyncio.sleep(self.settings.jarvis_max_session_s)
        self.end("max_duration")

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        if event.new_state == "speaking":
            self._checked_in = False
            self._away_generation += 1
        elif event.new_state == "away" and not self._ended.is_set() and not self._checked_in:
            self._checked_in = True
            self._say(CHECK_IN)
            self._spawn(self._goodbye_if_still_away(self._away_generation))

    async def _goodbye_if_still_away(self, generation: int) -> None:
        await asyncio.sleep(self.settings.jarvis_idle_goodbye_s)
        if generation == self._away_generation and self._checked_in:
            self.end("walked_away")

    def _on_recognition_failed(self, _exc: Exception) -> None:
        if not self._ended.is_set():
            self._say(REPEAT)

    def _say(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):  # the session is closing
            assert self.session is not None
            self.session.say(text)

    def _on_close(self, event: CloseEvent) -> None:
        if event.error is not None:
            self._failed = True
        reason = event.reason.value if hasattr(event.reason, "value") else str(event.reason)
        if reason == "user_initiated":  # not ours (ours set end_reason first): the job is shutting down
            reason = "job_shutdown"
        self.end_reason = self.end_reason or ("error" if event.error is not None else reason)
        self._ended.set()
        self._closed.set()

    # --- end --------------------------------------------------------------------------------------------------
    def end(self, reason: str) -> None:
        """End the conversation: say goodbye (for a goodbye, a walk-away or the cap), then close the session."""
        if self._ended.is_set():
            return
        self.end_reason = reason
        self._ended.set()
        self._spawn(self._say_goodbye_and_close())

    async def _say_goodbye_and_close(self) -> None:
        session = self.session
        assert session is not None and self.data is not None
        with contextlib.suppress(RuntimeError, asyncio.TimeoutError):
            handle = session.say(goodbye(self.data.context), allow_interruptions=False)
            await asyncio.wait_for(handle.wait_for_playout(), timeout=15)
        session.shutdown(drain=False)

    async def wait(self) -> None:
        """Until the session has closed (goodbye said, walked away, participant gone, job shut down)."""
        await self._closed.wait()

    async def finish(self, reason: str | None = None) -> Outcome | None:
        """Close the session if needed, persist it and enqueue its analytics. Idempotent; safe from shutdown hooks."""
        async with self._finish_lock:
            if self.outcome is not None or self.session is None or self.recorder is None:
                return self.outcome
            if not self._closed.is_set():
                self.end_reason = self.end_reason or reason or "job_shutdown"
                with contextlib.suppress(Exception):
                    await self.session.aclose()
            for task in list(self._tasks):
                task.cancel()
            assert self.data is not None
            with contextlib.suppress(StoreError):
                await self.data.reload_if_degraded()
            record = self.recorder.record(end_reason=self.end_reason or "closed", failed=self._failed)
            svc = self.services
            self.outcome = await hand_off(svc.store, record, redis_factory=svc.redis_factory, spool=svc.spool)
            if self.outcome in ("enqueued", "pending"):
                await replay_spool(svc.store, redis_factory=svc.redis_factory, spool=svc.spool)
            if self._counted:
                metrics.ACTIVE_SESSIONS.dec()
            metrics.SESSIONS.labels(self.end_reason or "closed").inc()
            logger.info("session %s ended (%s): %s", self.meta.session_id, self.end_reason, self.outcome)
            return self.outcome
