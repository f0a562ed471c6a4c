"""Shared by the voice benchmarks: provider DOUBLES of fixed latency (the seeds' figures) around the real pipeline.

- STT and LLM: the OpenAI-compatible DOUBLE of tests/doubles/openai_server.py (Groq is unreachable here), answering
  after a fixed transcription time and time to first token, so the real livekit-plugins-groq code path runs.
- Speech: espeak-ng French from tests/voice/speech.py, as the audio tests make it.
- TTS: `DelayedTTS`, a DOUBLE of the GPU voice: the espeak-ng voice whose first audio is held back to a fixed time.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from livekit.agents import APIConnectOptions, tts
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jarvis_agent.plugins import espeak_tts
from tests.doubles.openai_server import OpenAIServerDouble
from tests.voice.speech import espeak, voiced  # noqa: F401 - the tests' French speech, for the benchmarks


class DelayedTTS(espeak_tts.TTS):
    """espeak-ng with its first audio frame at `first_audio_s` after the request (a GPU voice's time to first
    audio)."""

    def __init__(self, first_audio_s: float) -> None:
        super().__init__()
        self.first_audio_s = first_audio_s

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> tts.ChunkedStream:
        return _Delayed(tts=self, input_text=text, conn_options=conn_options)


class _Delayed(espeak_tts.ChunkedStream):
    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        started = time.perf_counter()
        buffered: list[bytes] = []

        class Holder:
            def initialize(self, **kwargs) -> None:
                output_emitter.initialize(**kwargs)

            def push(self, data: bytes) -> None:
                buffered.append(data)

            def flush(self) -> None:
                pass

        await super()._run(Holder())  # type: ignore[arg-type]
        assert isinstance(self._tts, DelayedTTS)
        await asyncio.sleep(max(0.0, self._tts.first_audio_s - (time.perf_counter() - started)))
        for data in buffered:
            output_emitter.push(data)
        output_emitter.flush()


@contextmanager
def provider_double(*, stt_s: float, ttft_s: float, reply: str) -> Iterator[OpenAIServerDouble]:
    double = OpenAIServerDouble(ttft=ttft_s, stt_latency=stt_s, default_text=reply).start()
    try:
        yield double
    finally:
        double.stop()
