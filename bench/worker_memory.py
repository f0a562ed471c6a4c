"""Memory of concurrent kiosk sessions in one worker process: RSS per session beyond the first.

    python bench/worker_memory.py [--sessions 10] [--turns 2]

Runs one simulated kiosk session alone, then `--sessions` at once, in this process (as a worker running jobs in
threads would): each with its own AgentSession, audio in (espeak-ng speech at real time through the real Silero
VAD — one model per process, a stream per session) and audio out, STT/LLM from the provider DOUBLE (_voice.py), the
espeak-ng voice, tools on Postgres. Samples RSS every 50 ms and prints one JSON line: peak RSS with one session, with
all, and (all − one) / (sessions − 1). Target: <= 150 MB per session beyond the first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from pathlib import Path
from uuid import uuid4

import psutil
import redis
from _seeded import seeded_database
from _voice import espeak, provider_double

from jarvis_agent.audio import Clip
from jarvis_agent.dispatch import JobMetadata
from jarvis_agent.handoff import Spool
from jarvis_agent.pipeline import build_llm, build_stt, build_tts, load_vad
from jarvis_agent.session import Providers, Services
from jarvis_agent.settings import Settings
from jarvis_agent.simulator import simulate
from jarvis_agent.store.embedded import EmbeddedRedis
from jarvis_agent.store.postgres import PostgresStore

TARGET_MB = 150.0


class PeakRss:
    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        process = psutil.Process()
        while not self._stop.is_set():
            self.peak = max(self.peak, process.memory_info().rss)
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def sessions(n: int, url: str, redis_url: str, settings: Settings, vad, clips: list[Clip], spool: Path) -> int:
    store = await PostgresStore.connect(url, max_size=max(2, n))
    try:
        async def one() -> None:
            providers = Providers(vad=vad, stt=build_stt(settings), llm=build_llm(settings), tts=build_tts(settings))
            services = Services(store=store, redis_factory=lambda: redis.Redis.from_url(redis_url),
                                spool=Spool(spool))
            await simulate(JobMetadata(gym_slug="paris-bastille", session_id=uuid4()), settings=settings,
                           providers=providers, services=services, inputs=clips)
        with PeakRss() as rss:
            await asyncio.gather(*(one() for _ in range(n)))
        return rss.peak
    finally:
        await store.close()


async def main_async(args: argparse.Namespace) -> int:
    clips = [espeak("Bonjour, à quelle heure ferme la salle ce soir ?", rate=175),
             espeak("Merci, et le week-end ?", rate=175)][:args.turns]
    with seeded_database(members=200, visits=None) as (url, _), \
            tempfile.TemporaryDirectory(prefix="jarvis-bench-") as tmp, \
            provider_double(stt_s=0.08, ttft_s=0.12, reply="On ferme à 22 heures, bonne séance !") as double:
        double.hear(*[lambda n: "À quelle heure ferme la salle ?"] * (args.sessions + 1) * args.turns * 3)
        settings = Settings(_env_file=None, groq_api_key=double.API_KEY, jarvis_llm_base_url=double.base_url,
                            jarvis_stt_base_url=double.base_url, jarvis_weather_enabled=False)
        redis_server = EmbeddedRedis(Path(tmp))
        redis_url = redis_server.start()
        try:
            vad = load_vad(settings)
            baseline = psutil.Process().memory_info().rss
            one = await sessions(1, url, redis_url, settings, vad, clips, Path(tmp) / "spool")
            many = await sessions(args.sessions, url, redis_url, settings, vad, clips, Path(tmp) / "spool")
        finally:
            redis_server.stop()
    per_session = (many - one) / (args.sessions - 1) / 2**20
    print(json.dumps({"sessions": args.sessions, "turns_per_session": args.turns,
                      "rss_before_mb": round(baseline / 2**20, 1), "peak_rss_one_session_mb": round(one / 2**20, 1),
                      "peak_rss_all_sessions_mb": round(many / 2**20, 1),
                      "rss_per_extra_session_mb": round(per_session, 1), "target_mb": TARGET_MB}))
    return 0 if per_session <= TARGET_MB else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--turns", type=int, default=2, choices=(1, 2))
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
