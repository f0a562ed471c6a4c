"""`python -m jarvis_agent simulate`: a whole kiosk session in-process, no LiveKit server.

The real `AgentSession` runs with the real Silero VAD, STT/LLM/TTS from configuration (`--llm-base-url` /
`--stt-base-url` point the Groq plugins at any OpenAI-compatible server) and the tools on the real database. Audio
files are played into a never-silent microphone (real time by default) and the agent's speech into a speaker that
plays in real time and records; text turns go straight to the LLM. The session is persisted and its analytics
enqueued like a real one. Written to --out: transcript.json, reply.wav, metrics.json.

Per turn, the simulator measures what the member lives: end of their speech → first audio of the reply, and counts
premature replies (the agent starting to speak while the member's utterance — pauses included — is still playing).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livekit.agents import AgentSession

from .audio import Clip, MicrophoneInput, Played, SpeakerOutput, write_wav
from .dispatch import JobMetadata
from .session import KioskSession, Providers, Services
from .settings import Settings
from .tools import SessionData

logger = logging.getLogger("jarvis.simulator")


@dataclass
class TurnTiming:
    input: str
    speech_end_to_first_audio_s: float | None
    premature: bool


@dataclass
class SimulationResult:
    session_id: str
    end_reason: str | None
    outcome: str | None
    transcript: list[dict[str, Any]]
    tool_calls: list[dict[str, Any]]
    turns: list[TurnTiming] = field(default_factory=list)
    framework_metrics: dict[str, list[float]] = field(default_factory=dict)

    @property
    def premature_replies(self) -> int:
        return sum(t.premature for t in self.turns)

    def summary(self) -> dict[str, Any]:
        latencies = [t.speech_end_to_first_audio_s for t in self.turns if t.speech_end_to_first_audio_s is not None]
        out: dict[str, Any] = {"session_id": self.session_id, "end_reason": self.end_reason, "outcome": self.outcome,
                               "turns": len(self.turns), "premature_replies": self.premature_replies,
                               "replied_turns": len(latencies)}
        if latencies:
            out["speech_end_to_first_audio_s"] = {"median": round(statistics.median(latencies), 4),
                                                  "max": round(max(latencies), 4)}
        for key, values in self.framework_metrics.items():
            out[key] = {"median": round(statistics.median(values), 4), "n": len(values)}
        return out


async def agent_quiet(kiosk: KioskSession, settle_s: float = 0.4, timeout_s: float = 30.0) -> None:
    """Until the agent has been listening (not thinking, not speaking) for `settle_s`, or the session ended."""
    session = kiosk.session
    assert session is not None
    deadline = time.monotonic() + timeout_s
    quiet_since: float | None = None
    while time.monotonic() < deadline and not kiosk.ended:
        if session.agent_state in ("listening", "idle"):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle_s:
                return
        else:
            quiet_since = None
        await asyncio.sleep(0.02)
    logger.warning("the agent was still busy after %.0f s", timeout_s)


async def simulate(meta: JobMetadata, *, settings: Settings, providers: Providers, services: Services,
                   inputs: list[Clip | str], out: Path | None = None, speed: float = 1.0,
                   ) -> SimulationResult:
    """Run one kiosk session over `inputs` (audio clips or text turns), then end it and hand it off."""
    mic = MicrophoneInput(speed=speed)
    speaker = SpeakerOutput(speed=speed)
    audio = any(isinstance(i, Clip) for i in inputs)

    def configure(session: AgentSession[SessionData]) -> None:
        session.input.audio = mic if audio else None
        session.output.audio = speaker if providers.tts is not None else None

    kiosk = KioskSession(meta, settings=settings, providers=providers, services=services)
    await kiosk.start(configure=configure)
    played: list[tuple[str, Played | None, float]] = []
    try:
        await agent_quiet(kiosk)
        for item in inputs:
            if kiosk.ended:
                break
            if isinstance(item, Clip):
                item_played = mic.play(item)
                closed = asyncio.ensure_future(kiosk.wait())
                await asyncio.wait([item_played.done, closed], return_when=asyncio.FIRST_COMPLETED)
                closed.cancel()
                played.append((item.name, item_played, item_played.started_at))
            else:
                started = time.time()
                await kiosk.text_turn(item)
                played.append((item, None, started))
            await agent_quiet(kiosk)
        if kiosk.ended:  # a goodbye: let it be said before closing
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(kiosk.wait(), 20)
    finally:
        await kiosk.finish("simulation_end")
        await mic.aclose()
    assert kiosk.recorder is not None and kiosk.data is not None
    result = SimulationResult(
        session_id=str(meta.session_id), end_reason=kiosk.end_reason, outcome=kiosk.outcome,
        transcript=kiosk.recorder.transcript,
        tool_calls=[c.__dict__ for c in kiosk.data.tool_calls],
        framework_metrics=kiosk.recorder.turn_latencies())
    starts = [s.started_at for s in speaker.segments]
    for index, (name, item_played, _) in enumerate(played):
        if item_played is None:
            continue
        until = played[index + 1][2] if index + 1 < len(played) else float("inf")
        premature = any(item_played.started_at < t < item_played.speech_ended_at for t in starts)
        after = [t for t in starts if item_played.speech_ended_at <= t < until]
        result.turns.append(TurnTiming(name, round(after[0] - item_played.speech_ended_at, 4) if after else None,
                                       premature))
    if out is not None:
        await asyncio.to_thread(write_outputs, out, result, speaker)
    return result


def write_outputs(out: Path, result: SimulationResult, speaker: SpeakerOutput) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "transcript.json").write_text(json.dumps(
        {"session_id": result.session_id, "transcript": result.transcript, "tool_calls": result.tool_calls},
        ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    write_wav(out / "reply.wav", speaker.recording(), speaker.sample_rate)
    (out / "metrics.json").write_text(json.dumps(
        {**result.summary(), "per_turn": [t.__dict__ for t in result.turns], "framework": result.framework_metrics},
        indent=2), encoding="utf-8")
