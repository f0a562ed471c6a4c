"""The voice pipeline's parts, from configuration: VAD, STT, LLM, TTS and turn-taking. The worker and the simulator
build their sessions from here, so what the benchmarks measure is what the kiosks run.

- STT: `groq.STT(whisper-large-v3-turbo, language="fr")`, a batch model segmented by the VAD, behind `GuardedSTT`
  (hallucination filter, failures → "répète").
- LLM: `groq.LLM(llama-3.3-70b-versatile)` then a faster Groq model behind `llm.FallbackAdapter`: a 429, a 5xx, a
  timeout or a stream cut short on the first is answered by the second. The OpenAI client's own retries are off so the
  switch happens within one attempt timeout.
- TTS: Chatterbox through the host's TTS engine, espeak-ng as its fallback (`tts.FallbackAdapter`); or espeak-ng
  alone where there is no GPU.
- Turns: VAD end-of-speech after `JARVIS_VAD_MIN_SILENCE_S`, the turn committed `JARVIS_ENDPOINTING_MIN_DELAY_S`
  later; STT, LLM and the first sentence's TTS start preemptively at the end of speech, so the reply is ready when
  the turn commits. Interruptions by voice activity (no cloud interruption model).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from livekit.agents import llm, tts, vad
from livekit.agents.voice.turn import TurnHandlingOptions
from livekit.plugins import groq, silero

from . import metrics
from .settings import Settings
from .store.services import ConfigurationError
from .stt_guard import GuardedSTT

logger = logging.getLogger("jarvis.pipeline")

GROQ_KEY_HELP = "GROQ_API_KEY is not set: create a key at https://console.groq.com/keys and put it in .env"


def groq_key(settings: Settings) -> str:
    if settings.groq_api_key is None:
        raise ConfigurationError(GROQ_KEY_HELP)
    return settings.groq_api_key.get_secret_value()


def load_vad(settings: Settings) -> vad.VAD:
    """Silero VAD (the ONNX model ships in livekit-plugins-silero): load once per process."""
    return silero.VAD.load(min_silence_duration=settings.jarvis_vad_min_silence_s, min_speech_duration=0.05,
                           prefix_padding_duration=0.3)


def build_stt(settings: Settings) -> GuardedSTT:
    kwargs: dict[str, Any] = {"base_url": settings.jarvis_stt_base_url} if settings.jarvis_stt_base_url else {}
    inner = groq.STT(model=settings.jarvis_stt_model, language="fr", api_key=groq_key(settings), **kwargs)
    return GuardedSTT(inner)


def build_llm(settings: Settings) -> llm.LLM:
    kwargs: dict[str, Any] = {"base_url": settings.jarvis_llm_base_url} if settings.jarvis_llm_base_url else {}
    timeout = httpx.Timeout(settings.jarvis_llm_timeout_s, connect=min(2.0, settings.jarvis_llm_timeout_s))
    models = [settings.jarvis_llm_model]
    if settings.jarvis_llm_fallback_model and settings.jarvis_llm_fallback_model != settings.jarvis_llm_model:
        models.append(settings.jarvis_llm_fallback_model)
    llms: list[llm.LLM] = [groq.LLM(model=m, api_key=groq_key(settings), timeout=timeout, max_retries=0,
                                    temperature=0.4, parallel_tool_calls=False, **kwargs) for m in models]
    if len(llms) == 1:
        return llms[0]
    # retry_on_chunk_sent: a stream cut mid-answer is answered again by the fallback (the words already streamed
    # stay in that reply) rather than failing the turn.
    adapter = llm.FallbackAdapter(llms, attempt_timeout=settings.jarvis_llm_timeout_s, max_retry_per_llm=0,
                                  retry_interval=0.1, retry_on_chunk_sent=True)
    adapter.on("llm_availability_changed", _count_switch("llm"))
    return adapter


def build_tts(settings: Settings) -> tts.TTS:
    """The session's voice. Chatterbox: the host's engine (JARVIS_TTS_ENGINE_URL), else an engine in this process
    (console, simulate), behind `VoiceFallback` so espeak-ng answers when the engine fails or is overloaded."""
    from .plugins import espeak_tts

    espeak = espeak_tts.TTS(voice=settings.jarvis_espeak_voice, rate=settings.jarvis_espeak_rate)
    if settings.jarvis_tts == "espeak":
        logger.info("voice: espeak-ng (%s), the offline fallback voice — lower quality than Chatterbox",
                    settings.jarvis_espeak_voice)
        return espeak
    from .plugins import chatterbox_tts

    client: chatterbox_tts.EngineClient
    if settings.jarvis_tts_engine_url:
        client = chatterbox_tts.RemoteEngine(settings.jarvis_tts_engine_url)
    else:
        client = chatterbox_tts.LocalEngine(_local_engine(settings))
    voice = chatterbox_tts.TTS(client=client, voice=settings.jarvis_tts_voice)
    adapter = chatterbox_tts.VoiceFallback([voice, espeak], max_retry_per_tts=0)
    adapter.on("tts_availability_changed", _count_switch("tts"))
    return adapter


_ENGINE: Any = None


def _local_engine(settings: Settings) -> Any:
    """One in-process engine per process (console and simulate run one session; the worker uses the host's)."""
    global _ENGINE
    if _ENGINE is None:
        from .tts_engine.loader import build_engine

        _ENGINE = build_engine(settings)
    return _ENGINE


def turn_handling(settings: Settings, *, vad: bool = True) -> TurnHandlingOptions:
    return TurnHandlingOptions(
        turn_detection="vad" if vad else "manual",
        endpointing={"mode": "fixed", "min_delay": settings.jarvis_endpointing_min_delay_s,
                     "max_delay": settings.jarvis_endpointing_max_delay_s},
        interruption={"enabled": True, "mode": "vad", "min_duration": settings.jarvis_interruption_min_speech_s,
                      "resume_false_interruption": True, "false_interruption_timeout": 1.5},
        preemptive_generation={"enabled": True, "preemptive_tts": settings.jarvis_preemptive_tts},
    )


def _count_switch(kind: str):
    def on_change(event: Any) -> None:
        if not event.available:
            logger.warning("%s fallback: %s unavailable, switching", kind.upper(), getattr(event, kind).label)
            metrics.FALLBACK_SWITCHES.labels(kind).inc()
    return on_change
