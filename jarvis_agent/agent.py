"""The Jarvis agent and the LiveKit worker around it.

`JarvisAgent` is the brain of one conversation: the French persona and the tools, from the session context; a
goodbye from the member ends the conversation without an LLM round trip. `server` is the AgentServer the CLI runs
(`python -m jarvis_agent start`): prewarm loads Silero VAD once per process and prepares the data layer; each job
(`agent_name="jarvis"`, dispatched by the token server with `{gym_slug, badge_id, kiosk_id, session_id}`) runs one
`KioskSession` on the kiosk's room.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from livekit.agents import Agent, AgentServer, JobContext, JobProcess, StopResponse, llm
from livekit.agents.worker import _DefaultLoadCalc  # the framework's CPU load, which `session_load` extends

from .context import SessionContext
from .conversation import is_goodbye
from .dispatch import AGENT_NAME
from .plugins import chatterbox_tts  # noqa: F401 - registers its Plugin (download-files) on the main thread
from .prompt import build_instructions
from .settings import Settings, get_settings
from .tools import tools_for

logger = logging.getLogger("jarvis.agent")


class JarvisAgent(Agent):
    def __init__(self, context: SessionContext, *, on_goodbye: Callable[[str], None] | None = None) -> None:
        super().__init__(instructions=build_instructions(context), tools=tools_for(context))
        self.context = context
        self._on_goodbye = on_goodbye

    async def on_user_turn_completed(self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage) -> None:
        text = new_message.text_content or ""
        if self._on_goodbye is not None and is_goodbye(text):
            self._on_goodbye(text)  # StopResponse keeps the message out of the chat: the session records it
            raise StopResponse()


# --- the worker ---------------------------------------------------------------------------------------------------

def prewarm(proc: JobProcess) -> None:
    """Once per job process, before any job: the VAD model, the settings-built parts that do no I/O."""
    from .logs import setup_logging
    from .pipeline import load_vad

    settings = get_settings()
    setup_logging(settings.log_level)
    proc.userdata["vad"] = load_vad(settings)


DEFAULT_LOAD_THRESHOLD = 0.7  # LiveKit's in `start` mode


LoadFnc = Callable[[AgentServer], float]


def session_load(max_sessions: int, threshold: float, cpu_load: LoadFnc = _DefaultLoadCalc.get_load) -> LoadFnc:
    """The load the worker reports to LiveKit: its CPU load (the framework's own measure), or its sessions scaled so
    that `max_sessions` of them reach `threshold`, whichever is higher. A GPU host is full when its TTS engine is,
    long before its CPUs are: with JARVIS_WORKER_MAX_SESSIONS=15, the 16th kiosk goes to another worker."""
    def load(server: AgentServer) -> float:
        sessions = threshold * len(server.active_jobs) / max_sessions
        return min(1.0, max(cpu_load(server), sessions))

    return load


def server_options(settings: Settings) -> dict[str, Any]:
    options: dict[str, Any] = {"setup_fnc": prewarm, "initialize_process_timeout": 20.0}
    if settings.jarvis_metrics_port:
        options["prometheus_port"] = settings.jarvis_metrics_port
        options["prometheus_multiproc_dir"] = str(settings.jarvis_data_dir / "prometheus")
    if settings.jarvis_worker_load_threshold is not None:
        options["load_threshold"] = settings.jarvis_worker_load_threshold
    if settings.jarvis_worker_idle_processes is not None:
        options["num_idle_processes"] = settings.jarvis_worker_idle_processes
    if settings.jarvis_worker_max_sessions:
        options["load_fnc"] = session_load(settings.jarvis_worker_max_sessions,
                                           settings.jarvis_worker_load_threshold or DEFAULT_LOAD_THRESHOLD)
    return options


server = AgentServer(**server_options(get_settings()))


@server.rtc_session(agent_name=AGENT_NAME)
async def entrypoint(ctx: JobContext) -> None:
    """One kiosk session. Malformed metadata or an unknown gym: logged, and the job ends without a word."""
    from .context import WeatherService
    from .dispatch import InvalidMetadata, JobMetadata
    from .handoff import Spool
    from .kiosk import KioskLink
    from .outbox import OutboxDelivery
    from .pipeline import build_llm, build_stt, build_tts
    from .session import KioskSession, Providers, Services, UnknownGym
    from .store.services import open_store, redis_connection

    settings = get_settings()
    try:
        meta = JobMetadata.parse(ctx.job.metadata)
    except InvalidMetadata as exc:
        logger.error("job %s refused: %s", ctx.job.id, exc)
        ctx.shutdown(reason="invalid job metadata")
        return
    store, _ = await asyncio.gather(open_store(settings, wait=False), ctx.connect())
    outbox = OutboxDelivery(store, settings)
    services = Services(store=store, redis_factory=lambda: redis_connection(settings, timeout=2.0),
                        spool=Spool(settings.spool_dir), weather=WeatherService.from_settings(settings),
                        outbox=outbox)
    providers = Providers(vad=ctx.proc.userdata["vad"], stt=build_stt(settings), llm=build_llm(settings),
                          tts=build_tts(settings))
    try:
        participant = await asyncio.wait_for(ctx.wait_for_participant(), timeout=30)
        kiosk_identity: str | None = participant.identity
    except TimeoutError:
        kiosk_identity = None
    kiosk = KioskSession(meta, settings=settings, providers=providers, services=services,
                         kiosk=KioskLink(ctx.room.local_participant, kiosk_identity))

    async def close_everything(reason: str) -> None:
        await kiosk.finish(reason)
        await outbox.aclose()
        await store.close()

    ctx.add_shutdown_callback(close_everything)
    try:
        await kiosk.start(room=ctx.room)
    except UnknownGym as exc:
        logger.error("job %s refused: %s", ctx.job.id, exc)
        ctx.shutdown(reason="unknown gym")
        return
    await kiosk.wait()
    await kiosk.finish()
    ctx.shutdown(reason=kiosk.end_reason or "ended")
