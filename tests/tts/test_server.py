"""The engine's HTTP service and the plugin's RemoteEngine client, on a real uvicorn, with the stand-in model (the
DOUBLE of the Chatterbox weights): streamed frames, cancellation when the client goes away, refusals, health and
metrics, an unreachable engine."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from livekit.agents import APIConnectionError, APIConnectOptions, APIError

from jarvis_agent.plugins import chatterbox_tts
from jarvis_agent.tts_engine.engine import Engine
from jarvis_agent.tts_engine.model import EngineError
from jarvis_agent.tts_engine.server import create_app

from ..doubles.server import LocalServer
from ..doubles.speech_model import StandInModel
from .test_engine import LONG


@pytest.fixture
def speech() -> StandInModel:
    return StandInModel()


@pytest.fixture
def engine(speech: StandInModel, tmp_path: Path):
    e = Engine(speech, voices_dir=None, cache_dir=tmp_path, max_queue=8).start()
    yield e
    e.close()


@pytest.fixture
def server(engine: Engine):
    s = LocalServer(app=create_app(engine)).start()
    yield s
    s.stop()


async def test_the_client_gets_the_pieces_streamed_then_the_timings(server, engine: Engine, speech) -> None:
    client = chatterbox_tts.RemoteEngine(server.url)
    chunks = [c async for c in client.synthesize(LONG, emotion="confident", voice=None, session="k1")]
    assert len(chunks) == len(speech.calls) >= 3
    local = [c async for c in chatterbox_tts.LocalEngine(engine).synthesize(LONG, emotion="confident", voice=None,
                                                                             session="k2")]
    assert chunks == local  # same bytes as in-process: the framing loses nothing
    await client.aclose()


async def test_closing_the_stream_cancels_the_request_on_the_engine(server, engine: Engine, speech) -> None:
    speech.step_s = 0.02
    client = chatterbox_tts.RemoteEngine(server.url)
    stream = client.synthesize(LONG, emotion="neutral", voice=None, session="k1")
    assert await anext(stream)  # the first piece arrived
    await stream.aclose()  # barge-in
    for _ in range(100):
        if engine.counts["cancelled"]:
            break
        await asyncio.sleep(0.02)
    assert engine.counts["cancelled"] == 1 and engine.stats()["queue_depth"] == 0
    assert len(speech.calls) < len(LONG) // 80  # the rest of the answer was never generated
    await client.aclose()


async def test_refusals_are_clear_and_not_retryable(server, engine: Engine) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        bad = await http.post("/v1/synthesize", json={"text": "Salut", "emotion": "furious"})
        assert bad.status_code == 422 and bad.json()["code"] == "bad_input" and "emotion" in bad.json()["message"]
        extra = await http.post("/v1/synthesize", json={"text": "Salut", "hack": 1})
        assert extra.status_code == 422
        huge = await http.post("/v1/synthesize", content=b"{" + b" " * 20_000 + b"}",
                               headers={"content-type": "application/json"})
        assert huge.status_code == 413

        async def chunked():  # no Content-Length: the cap applies as the body is read
            for _ in range(64):
                yield b" " * 1024

        streamed = await http.post("/v1/synthesize", content=chunked(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and streamed.json()["code"] == "bad_input"
        session = await http.post("/v1/synthesize", json={"text": "Salut", "session": "a b\n"})
        assert session.status_code == 422
    tts = chatterbox_tts.TTS(client=chatterbox_tts.RemoteEngine(server.url))
    with pytest.raises(APIError) as caught:
        await tts.synthesize("x" * 2100, conn_options=APIConnectOptions(max_retry=0)).collect()
    assert caught.value.retryable is False


async def test_an_overloaded_engine_answers_503_so_the_fallback_voice_takes_over(server, engine: Engine,
                                                                                 speech) -> None:
    speech.step_s = 0.05
    client = chatterbox_tts.RemoteEngine(server.url)
    busy = [client.synthesize(LONG, emotion="neutral", voice=None, session=f"k{i}") for i in range(4)]
    started = [asyncio.ensure_future(anext(s)) for s in busy]
    await asyncio.sleep(0.3)
    with pytest.raises(EngineError) as caught:
        await anext(client.synthesize("Et moi ?", emotion="neutral", voice=None, session="k9"))
    assert caught.value.code == "overloaded" and caught.value.retryable is False
    for task, stream in zip(started, busy, strict=True):
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await stream.aclose()
    await client.aclose()


async def test_a_request_waiting_its_turn_outlasts_the_clients_read_timeout(engine: Engine, speech) -> None:
    """Keep-alive frames: the read timeout catches a stalled engine, not one busy with other kiosks (a 220-character
    piece for another kiosk takes longer than the plugin's read timeout on a slow GPU)."""
    speech.step_s = 0.01  # each piece of LONG takes 1.3 s or more; the client gives up after 0.5 s of silence
    server = LocalServer(app=create_app(engine, keepalive_s=0.1)).start()
    try:
        busy = chatterbox_tts.RemoteEngine(server.url)
        waiting = chatterbox_tts.RemoteEngine(server.url, timeout_s=0.5)
        first = busy.synthesize(LONG, emotion="neutral", voice=None, session="k1")
        started = asyncio.ensure_future(anext(first))
        await asyncio.sleep(0.05)
        chunks = [c async for c in waiting.synthesize(LONG, emotion="neutral", voice=None, session="k2")]
        assert len(chunks) >= 3  # every piece, each behind a piece of kiosk 1's answer
        await started
        await first.aclose()
        await busy.aclose()
        await waiting.aclose()
    finally:
        server.stop()


async def test_an_engine_that_cannot_generate_says_so_on_its_health(server, engine: Engine, speech) -> None:
    speech.failures["Boum."] = RuntimeError("CUDA error: an illegal memory access was encountered")
    client = chatterbox_tts.RemoteEngine(server.url)
    with pytest.raises(EngineError) as caught:
        _ = [c async for c in client.synthesize("Boum.", emotion="neutral", voice=None, session="k")]
    assert caught.value.code == "device_lost"
    async with httpx.AsyncClient(base_url=server.url) as http:
        health = await http.get("/healthz")
    assert health.status_code == 503 and health.json()["status"] == "unavailable" and health.json()["broken"]
    await client.aclose()


async def test_health_and_metrics_report_the_queue_and_timings(server, engine: Engine) -> None:
    client = chatterbox_tts.RemoteEngine(server.url)
    _ = [c async for c in client.synthesize("Bonjour à toi.", emotion="neutral", voice=None, session="k")]
    async with httpx.AsyncClient(base_url=server.url) as http:
        health = (await http.get("/healthz")).json()
        metrics = (await http.get("/metrics")).text
    assert health["status"] == "ok" and health["model_version"] == "standin-1" and health["requests"]["ok"] >= 1
    assert "jarvis_tts_queue_depth" in metrics and "jarvis_tts_first_chunk_seconds_bucket" in metrics
    assert 'jarvis_tts_requests_total{outcome="ok"}' in metrics
    await client.aclose()


async def test_an_unreachable_engine_is_a_retryable_connection_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    tts = chatterbox_tts.TTS(client=chatterbox_tts.RemoteEngine(f"http://127.0.0.1:{port}"))
    with pytest.raises(APIConnectionError):
        await tts.synthesize("Bonjour.", conn_options=APIConnectOptions(max_retry=0)).collect()
