"""One model per host: the worker's main process makes sure one engine runs (tts_engine/host.py), and job processes
(spawned like LiveKit's) build their voice with `pipeline.build_tts` and share it. The engine runs the stand-in model
(the DOUBLE of the Chatterbox weights) and logs each load, so the test counts loads across processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from jarvis_agent.plugins.chatterbox_tts import RemoteEngine
from jarvis_agent.settings import Settings
from jarvis_agent.tts_engine.host import EngineStartError, ensure_engine, healthy, stop, watch
from jarvis_agent.tts_engine.model import EngineError

from ..doubles.server import LocalServer

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def job_process(text: str) -> tuple[int, int]:
    """What a LiveKit job process does with the voice: settings from the environment, build_tts, speak."""
    from jarvis_agent.pipeline import build_tts
    from jarvis_agent.settings import get_settings

    async def speak() -> int:
        voice = build_tts(get_settings())
        frame = await voice.synthesize(text).collect()
        await voice.aclose()
        return len(frame.data)

    return os.getpid(), asyncio.run(speak())


@pytest.fixture
def host_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "loads.log"
    for name, value in {"JARVIS_TTS": "chatterbox", "JARVIS_TTS_MODEL": "tests.doubles.speech_model:standin",
                        "JARVIS_STANDIN_LOG": str(log), "JARVIS_DATA_DIR": str(tmp_path / "data"),
                        "JARVIS_TTS_ENGINE_PORT": str(free_port()), "JARVIS_TTS_ENGINE_START_TIMEOUT_S": "60",
                        "PYTHONPATH": str(REPO)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("JARVIS_TTS_ENGINE_URL", raising=False)
    monkeypatch.chdir(REPO)
    return log


def test_two_job_processes_share_one_engine_and_one_model_load(host_env: Path, monkeypatch) -> None:
    url, process = ensure_engine(Settings(_env_file=None))
    try:
        assert process is not None and healthy(url)
        again, second = ensure_engine(Settings(_env_file=None))  # a second worker on the same host
        assert again == url and second is None
        monkeypatch.setenv("JARVIS_TTS_ENGINE_URL", url)  # what run_worker hands to its job processes
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as jobs:
            results = list(jobs.map(job_process, ["Bonjour Marie.", "Salut Karim, ça va ?"]))
        assert len({pid for pid, _ in results}) == 2 and all(size > 0 for _, size in results)
        assert host_env.read_text().count("load ") == 1  # one model for the host
        assert healthy(url)["requests"]["ok"] >= 2
    finally:
        stop(process)


def test_an_engine_that_cannot_load_its_model_is_reported(host_env: Path, monkeypatch) -> None:
    monkeypatch.setenv("JARVIS_TTS_MODEL", "no.such.module:factory")
    with pytest.raises(EngineStartError, match="exited with code 2"):
        ensure_engine(Settings(_env_file=None))


def test_a_worker_whose_engine_cannot_start_falls_back_to_espeak(host_env: Path, monkeypatch, capsys) -> None:
    from jarvis_agent.__main__ import start_tts_engine

    monkeypatch.setenv("JARVIS_TTS_MODEL", "no.such.module:factory")
    start_tts_engine(Settings(_env_file=None))
    assert os.environ["JARVIS_TTS"] == "espeak" and "JARVIS_TTS_ENGINE_URL" not in os.environ
    assert "espeak-ng" in capsys.readouterr().err


def wait_for(condition, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_the_watch_starts_the_engine_again_after_it_lost_its_gpu_or_its_owner(host_env: Path, monkeypatch) -> None:
    """Two ways an engine goes: its GPU fails (`serve` exits on a sticky CUDA error), or the worker that launched it
    exits while another worker uses it. The other worker's watch starts a fresh one on the same address."""
    monkeypatch.setenv("JARVIS_STANDIN_LOSE_DEVICE_ON", "Boum.")
    settings = Settings(_env_file=None)
    url, process = ensure_engine(settings)
    done = watch(settings, every_s=0.2, misses=2)
    try:
        async def lose_the_device() -> str:
            client = RemoteEngine(url)
            try:
                _ = [c async for c in client.synthesize("Boum.", emotion="neutral", voice=None, session="k")]
            except EngineError as exc:
                return exc.code
            finally:
                await client.aclose()
            return "no error"

        assert asyncio.run(lose_the_device()) == "device_lost"
        assert process.wait(timeout=30) == 1  # `serve` exited, saying why in its exit code
        second = wait_for(lambda: healthy(url))
        assert host_env.read_text().count("load ") == 2
        os.kill(second["pid"], signal.SIGTERM)  # the worker that launched it is gone
        third = wait_for(lambda: (h := healthy(url)) and h["pid"] != second["pid"] and h)
        assert host_env.read_text().count("load ") == 3 and third["requests"] == {"ok": 0, "cancelled": 0,
                                                                                  "error": 0, "cached": 0}
    finally:
        done.set()
        time.sleep(0.3)
        if (last := healthy(url)) is not None:
            os.kill(last["pid"], signal.SIGTERM)
        stop(process)


def test_another_service_on_the_engines_port_is_not_taken_for_the_engine() -> None:
    async def page(_):
        return PlainTextResponse("<html>not an engine</html>")

    async def json_health(_):
        return JSONResponse({"status": "ok"})

    server = LocalServer([Route("/healthz", page)]).start()
    other = LocalServer([Route("/healthz", json_health)]).start()
    try:
        assert healthy(server.url) is None and healthy(other.url) is None
    finally:
        server.stop()
        other.stop()
