"""The offline French voice: espeak-ng behind LiveKit's `tts.TTS`, so the pipeline speaks on any machine.

It is a fallback — robotic next to Chatterbox, and logged as such — for machines without a GPU, for the simulator
and for tests. One `espeak-ng` process per sentence (the pipeline's StreamAdapter splits the reply into sentences),
16-bit mono PCM at 22,050 Hz read from its WAV output; a barge-in kills the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import uuid

from livekit.agents import APIConnectionError, APIConnectOptions, APIError, tts
from livekit.agents.tts._provider_format import strip_all_markup
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

SAMPLE_RATE = 22050
SILENCE = bytes(2 * SAMPLE_RATE // 100)  # 10 ms of 16-bit mono
WAV_HEADER = 44
MAX_CHARS = 2000


class EspeakUnavailable(RuntimeError):
    """espeak-ng is not installed; the message says how to install it."""


class TTS(tts.TTS):
    def __init__(self, *, voice: str = "fr-fr", rate: int = 165, pitch: int = 45, binary: str = "espeak-ng") -> None:
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=SAMPLE_RATE, num_channels=1)
        path = shutil.which(binary)
        if path is None:
            raise EspeakUnavailable(f"{binary} is not installed: apt-get install espeak-ng (Debian/Ubuntu) "
                                    "or brew install espeak-ng (macOS)")
        self._binary = path
        self._voice, self._rate, self._pitch = voice, rate, pitch

    @property
    def model(self) -> str:
        return "espeak-ng"

    @property
    def provider(self) -> str:
        return "espeak-ng"

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> ChunkedStream:
        return ChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class ChunkedStream(tts.ChunkedStream):
    def __init__(self, *, tts: TTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._tts: TTS = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        text = " ".join(strip_all_markup(self.input_text).split())  # a fallback for Chatterbox gets its markers
        if len(text) > MAX_CHARS:
            raise APIError(f"text too long for one sentence ({len(text)} characters)", retryable=False)
        output_emitter.initialize(request_id=uuid.uuid4().hex, sample_rate=SAMPLE_RATE, num_channels=1,
                                  mime_type="audio/pcm")
        if not text:  # markers alone: nothing to say is not a failure (LiveKit fails a stream without audio)
            output_emitter.push(SILENCE)
            return
        t = self._tts
        try:
            proc = await asyncio.create_subprocess_exec(
                t._binary, "-v", t._voice, "-s", str(t._rate), "-p", str(t._pitch), "--stdout", "--", text,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except OSError as exc:
            raise APIConnectionError(f"cannot start espeak-ng: {exc}") from exc
        try:
            assert proc.stdout is not None
            await proc.stdout.readexactly(WAV_HEADER)
            while chunk := await proc.stdout.read(4096):
                output_emitter.push(chunk)
            code = await proc.wait()
        except asyncio.IncompleteReadError as exc:
            code = await proc.wait()
            stderr = (await proc.stderr.read()).decode(errors="replace").strip() if proc.stderr else ""
            raise APIError(f"espeak-ng produced no audio (exit {code}): {stderr[:200]}", retryable=False) from exc
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if code != 0:
            raise APIError(f"espeak-ng exited with {code}", retryable=False)
        output_emitter.flush()
