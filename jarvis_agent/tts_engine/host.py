"""One TTS engine per host, started by the worker.

LiveKit runs each job in its own process, and a model loaded there would be loaded once per kiosk. So the worker's
main process (`python -m jarvis_agent start|dev|connect` with `JARVIS_TTS=chatterbox` and no `JARVIS_TTS_ENGINE_URL`)
makes sure an engine answers on JARVIS_TTS_ENGINE_HOST:PORT before its job processes start: it reuses one that is
already there (a second worker on the same host, or an engine run as its own service) or launches
`python -m jarvis_agent.tts_engine serve` as a child, under a file lock so two workers starting together launch
one. The job processes then reach it through `JARVIS_TTS_ENGINE_URL`.

The worker then watches it (`watch`): an engine that crashed, lost its GPU (it exits on a sticky CUDA error), or
belonged to another worker that has exited is started again on the same address, so the URL the job processes hold
stays valid; meanwhile their voice falls back to espeak-ng.
"""

from __future__ import annotations

import atexit
import logging
import subprocess
import sys
import threading
import time

import fasteners
import httpx

from ..settings import Settings

logger = logging.getLogger("jarvis.tts_engine")


class EngineStartError(RuntimeError):
    pass


def local_url(settings: Settings) -> str:
    host = settings.jarvis_tts_engine_host
    host = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)
    return f"http://{host}:{settings.jarvis_tts_engine_port}"


def healthy(url: str, *, timeout: float = 1.0) -> dict | None:
    """The engine's /healthz when an engine answers there and can generate; None otherwise (nothing listening,
    another service on the port, an engine whose device is lost)."""
    try:
        response = httpx.get(f"{url}/healthz", timeout=timeout)
        data = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None
    return data if isinstance(data, dict) and "model_version" in data else None


def ensure_engine(settings: Settings) -> tuple[str, subprocess.Popen[bytes] | None]:
    """The URL of this host's engine, launching it if none answers; and the process launched (None if reused)."""
    url = local_url(settings)
    settings.jarvis_data_dir.mkdir(parents=True, exist_ok=True)
    with fasteners.InterProcessLock(str(settings.jarvis_data_dir / "tts-engine.lock")):
        if healthy(url):
            logger.info("TTS engine: using the one already running at %s", url)
            return url, None
        command = [sys.executable, "-m", "jarvis_agent.tts_engine", "serve"]
        logger.info("TTS engine: starting one for this host at %s (model %s)", url, settings.jarvis_tts_model)
        process = subprocess.Popen(command)  # the environment carries the settings
        atexit.register(stop, process)
        deadline = time.monotonic() + settings.jarvis_tts_engine_start_timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise EngineStartError(f"the TTS engine exited with code {process.returncode} while starting "
                                       "(its log says why)")
            if healthy(url):
                return url, process
            time.sleep(0.2)
        stop(process)
        raise EngineStartError(f"the TTS engine did not answer at {url} within "
                               f"{settings.jarvis_tts_engine_start_timeout_s:.0f} s")


def watch(settings: Settings, *, every_s: float = 10.0, misses: int = 3) -> threading.Event:
    """A daemon thread of the worker's main process that starts the engine again after `misses` failed health checks
    in a row (several, so that a busy engine is not taken for a dead one and a second model loaded beside it).
    Setting the returned event ends the watch."""
    url = local_url(settings)
    done = threading.Event()

    def run() -> None:
        failed = 0
        while not done.wait(every_s):
            failed = 0 if healthy(url, timeout=3.0) else failed + 1
            if failed < misses:
                continue
            logger.warning("TTS engine at %s not answering: starting it again", url)
            try:
                ensure_engine(settings)
                failed = 0
            except EngineStartError as exc:
                logger.error("TTS engine could not be started again: %s", exc)

    threading.Thread(target=run, name="tts-engine-watch", daemon=True).start()
    return done


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
