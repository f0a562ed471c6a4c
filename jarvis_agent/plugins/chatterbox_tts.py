"""Chatterbox as a LiveKit TTS: the plugin and its engine clients.

The model lives in the TTS engine (`jarvis_agent.tts_engine`), once per host: LiveKit runs one process per job, so a
model loaded here would be loaded once per kiosk. The plugin is a client:
- `RemoteEngine`: the host's engine over HTTP (`JARVIS_TTS_ENGINE_URL`; the worker's `start`/`dev` launches one engine
  per host itself, see `tts_engine/host.py`), audio streamed piece by piece, the request cancelled when the stream
  closes (barge-in);
- `LocalEngine`: an engine in this process, for `console` and `simulate` (one session, one process).

`TTS` is non-streaming (the pipeline's `StreamAdapter` sends it one sentence at a time) and declares the
expressive-markup dialect "chatterbox": the LLM writes `<expr type="expression" label="…"/>` before a sentence, the
marker picks one of seven emotion presets, and is stripped before synthesis (the framework strips it from the
transcript). Engine errors become `APIError(retryable=…)`: bad input, out-of-memory and overload are not retried, so
`tts.FallbackAdapter` switches to the fallback voice at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncGenerator
from typing import Protocol

import httpx
from livekit.agents import APIConnectionError, APIConnectOptions, APIError, APITimeoutError, Plugin, tts
from livekit.agents.tts._provider_format import _EXPR_UNCLOSED_RE, split_all_markup
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

from ..tts_engine.emotions import LLM_INSTRUCTIONS, Emotion, resolve_emotion
from ..tts_engine.engine import Engine
from ..tts_engine.model import EngineError
from ..tts_engine.server import FRAME

logger = logging.getLogger("jarvis.chatterbox")

SAMPLE_RATE = 24_000
SILENCE = bytes(2 * SAMPLE_RATE // 100)  # 10 ms of 16-bit mono


class EngineClient(Protocol):
    def synthesize(self, text: str, *, emotion: Emotion, voice: str | None,
                   session: str) -> AsyncGenerator[bytes, None]:
        """16-bit mono PCM at 24 kHz, piece by piece; raises EngineError. Closing the iterator cancels the request."""


class LocalEngine:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    async def synthesize(self, text: str, *, emotion: Emotion, voice: str | None,
                         session: str) -> AsyncGenerator[bytes, None]:
        job = self.engine.submit(text, session=session, emotion=emotion, voice=voice)
        try:
            async for chunk in job:
                yield chunk
        finally:
            job.cancel()


class RemoteEngine:
    """The engine's HTTP API: POST /v1/synthesize answers a stream of frames (see tts_engine/server.py)."""

    def __init__(self, url: str, *, timeout_s: float = 10.0, client: httpx.AsyncClient | None = None) -> None:
        if url.startswith("unix://"):
            transport = httpx.AsyncHTTPTransport(uds=url.removeprefix("unix://"))
            self._base = "http://tts-engine"
        else:
            transport, self._base = None, url.rstrip("/")
        self._client = client or httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout_s, connect=2.0))

    async def synthesize(self, text: str, *, emotion: Emotion, voice: str | None,
                         session: str) -> AsyncGenerator[bytes, None]:
        body = {"text": text, "emotion": emotion, "voice": voice, "session": session}
        async with self._client.stream("POST", f"{self._base}/v1/synthesize", json=body) as response:
            if response.status_code != 200:
                await response.aread()
                raise _http_error(response)
            buffer = b""
            async for data in response.aiter_bytes():
                buffer += data
                while len(buffer) >= FRAME.size:
                    kind, length = FRAME.unpack_from(buffer)
                    if len(buffer) < FRAME.size + length:
                        break
                    payload = buffer[FRAME.size:FRAME.size + length]
                    buffer = buffer[FRAME.size + length:]
                    if kind == b"a":
                        yield payload
                    elif kind == b"e":
                        error = json.loads(payload)
                        raise EngineError(error["message"], code=error["code"], retryable=error["retryable"])
                    elif kind == b"d":
                        return
            raise EngineError("the TTS engine closed the stream early", code="internal", retryable=True)

    async def aclose(self) -> None:
        await self._client.aclose()


def _http_error(response: httpx.Response) -> EngineError:
    try:
        detail = response.json()
    except ValueError:
        detail = {}
    if isinstance(detail, dict) and {"message", "code", "retryable"} <= detail.keys():
        return EngineError(detail["message"], code=detail["code"], retryable=detail["retryable"])
    if response.status_code in (400, 413, 422):
        return EngineError(f"the TTS engine refused the request ({response.status_code})", code="bad_input",
                           retryable=False)
    return EngineError(f"TTS engine error {response.status_code}", code="unavailable",
                       retryable=response.status_code >= 500)


class TTS(tts.TTS):
    class Markup(tts.TTS.Markup):
        def _provider_key(self) -> str:
            return "chatterbox"

        def llm_instructions(self, *, speech_steering: object = None) -> str:
            return LLM_INSTRUCTIONS

        def normalize(self, text: str) -> str:
            return _EXPR_UNCLOSED_RE.sub(r"\1/>", text)

        def convert(self, text: str) -> str:
            # The markers travel to ChunkedStream, which reads and strips them. A segment of markers alone becomes
            # empty, so that LiveKit's StreamAdapter skips it instead of asking for audio of nothing.
            return text if parse(text)[0] else ""

    def __init__(self, *, client: EngineClient, voice: str | None = None, session: str | None = None) -> None:
        super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=SAMPLE_RATE, num_channels=1)
        self.client, self.voice = client, voice
        self.session = session or uuid.uuid4().hex  # one per kiosk session: the engine takes sessions in turn

    @property
    def model(self) -> str:
        return "chatterbox-multilingual"

    @property
    def provider(self) -> str:
        return "chatterbox"

    def synthesize(self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
                   ) -> ChunkedStream:
        return ChunkedStream(tts=self, input_text=text, conn_options=conn_options)


def parse(text: str) -> tuple[str, Emotion]:
    """The words to speak and the emotion of one sentence: its expression marker, else neutral; all markup out."""
    clean, tags = split_all_markup(text)
    label = next((t["value"] for t in tags if t["type"] in ("expression", "emotion")), None)
    return " ".join(clean.split()), resolve_emotion(label)


class ChunkedStream(tts.ChunkedStream):
    def __init__(self, *, tts: TTS, input_text: str, conn_options: APIConnectOptions) -> None:
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._tts: TTS = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        text, emotion = parse(self.input_text)
        output_emitter.initialize(request_id=uuid.uuid4().hex, sample_rate=SAMPLE_RATE, num_channels=1,
                                  mime_type="audio/pcm")
        if not text:  # markers alone: nothing to say is not a failure (LiveKit fails a stream without audio)
            output_emitter.push(SILENCE)
            return
        t = self._tts
        stream = t.client.synthesize(text, emotion=emotion, voice=t.voice, session=t.session)
        try:
            async with asyncio.timeout(self._conn_options.timeout * 6):  # a stalled engine is an error, not silence
                async for chunk in stream:
                    output_emitter.push(chunk)
        except EngineError as exc:
            raise APIError(f"Chatterbox: {exc}", retryable=exc.retryable) from exc
        except TimeoutError as exc:
            raise APITimeoutError("Chatterbox engine timed out") from exc
        except httpx.TimeoutException as exc:
            raise APITimeoutError(f"Chatterbox engine timed out: {exc}") from exc
        except httpx.HTTPError as exc:
            raise APIConnectionError(f"Chatterbox engine unreachable: {exc}") from exc
        finally:
            await stream.aclose()
        output_emitter.flush()


class VoiceFallback(tts.FallbackAdapter):
    """`tts.FallbackAdapter` that speaks the first voice's markup dialect (the stock adapter declares none, which
    would turn expressive mode off). Fallback voices strip the markers themselves."""

    class Markup(tts.TTS.Markup):
        def _primary(self) -> tts.TTS.Markup:
            assert isinstance(self._tts, tts.FallbackAdapter)
            return self._tts._tts_instances[0].markup

        def _provider_key(self) -> str:
            return self._primary()._provider_key()

        def llm_instructions(self, *, speech_steering: object = None) -> str | None:
            return self._primary().llm_instructions(speech_steering=speech_steering)  # type: ignore[arg-type]

        def normalize(self, text: str) -> str:
            return self._primary().normalize(text)

        def convert(self, text: str) -> str:
            return self._primary().convert(text)


class ChatterboxPlugin(Plugin):
    def __init__(self) -> None:
        super().__init__(title="jarvis.chatterbox", version="0.1.0", package="jarvis_agent", logger=logger)

    def download_files(self) -> None:
        """`python -m jarvis_agent download-files`: fetch the checkpoint into CHATTERBOX_CKPT_DIR when this worker
        runs the engine itself and a network exists; offline (image builds without a network, CI) it says so and
        leaves the folder as it is."""
        from ..settings import get_settings
        from ..tts_engine.chatterbox_model import download, missing_files

        settings = get_settings()
        if settings.jarvis_tts != "chatterbox" or settings.jarvis_tts_engine_url or \
                settings.jarvis_tts_model != "chatterbox":
            logger.info("Chatterbox checkpoint not needed here (JARVIS_TTS=%s, engine URL %s, model %s)",
                        settings.jarvis_tts, "set" if settings.jarvis_tts_engine_url else "unset",
                        settings.jarvis_tts_model)
            return
        ckpt = settings.tts_ckpt_dir
        if not missing_files(ckpt):
            logger.info("Chatterbox checkpoint present in %s", ckpt)
            return
        try:
            download(ckpt)
            logger.info("Chatterbox checkpoint downloaded into %s", ckpt)
        except Exception as exc:  # offline, hub down, huggingface_hub missing: the engine will say what is missing
            logger.warning("Chatterbox checkpoint not downloaded (%s: %s); put the files in %s",
                           type(exc).__name__, exc, ckpt)


Plugin.register_plugin(ChatterboxPlugin())
