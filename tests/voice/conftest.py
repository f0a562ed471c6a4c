"""A kiosk session run by the simulator on the real pipeline: Silero VAD, the Groq plugins against the Groq DOUBLE
(tests/doubles/openai_server.py: STT and LLM), the espeak-ng voice, the real Postgres and Redis."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import redis

from jarvis_agent.audio import Clip
from jarvis_agent.dispatch import JobMetadata
from jarvis_agent.handoff import Spool
from jarvis_agent.pipeline import build_llm, build_stt, build_tts, load_vad
from jarvis_agent.session import KioskSession, Providers, Services
from jarvis_agent.settings import Settings
from jarvis_agent.simulator import SimulationResult, simulate
from jarvis_agent.store import Store


@pytest.fixture(scope="session")
def vad():
    return load_vad(Settings(_env_file=None))


@pytest.fixture
def voice_settings(model, tmp_path: Path) -> Settings:
    return Settings(_env_file=None, groq_api_key=model.API_KEY, jarvis_llm_base_url=model.base_url,
                    jarvis_stt_base_url=model.base_url, jarvis_weather_enabled=False,
                    jarvis_spool_dir=tmp_path / "spool", jarvis_llm_timeout_s=2.0)


class Runner:
    def __init__(self, store: Store, settings: Settings, vad, redis_url: str) -> None:
        self.store, self.settings, self.vad, self.redis_url = store, settings, vad, redis_url
        self.redis_factory: Callable[[], redis.Redis] = lambda: redis.Redis.from_url(self.redis_url,
                                                                                    socket_connect_timeout=1)

    def parts(self, audio: bool, tts: bool, **settings: Any) -> tuple[Settings, Providers, Services]:
        s = self.settings.model_copy(update=settings)
        providers = Providers(vad=self.vad if audio else None, stt=build_stt(s) if audio else None,
                              llm=build_llm(s), tts=build_tts(s) if tts else None)
        return s, providers, Services(store=self.store, redis_factory=self.redis_factory, spool=Spool(s.spool_dir))

    async def start(self, *, badge: str | None = None, gym: str = "paris-bastille", **settings: Any) -> KioskSession:
        """A running text-only kiosk session, driven by the test (`kiosk.session.run(user_input=…)`)."""
        s, providers, services = self.parts(False, False, **settings)
        kiosk = KioskSession(JobMetadata(gym_slug=gym, badge_id=badge, kiosk_id="kiosk-test"), settings=s,
                             providers=providers, services=services)
        await kiosk.start()
        return kiosk

    async def run(self, inputs: list[Clip | str], *, badge: str | None = None, gym: str = "paris-bastille",
                  out: Path | None = None, tts: bool = True, **settings: Any) -> SimulationResult:
        s, providers, services = self.parts(any(isinstance(i, Clip) for i in inputs), tts, **settings)
        meta = JobMetadata(gym_slug=gym, badge_id=badge, kiosk_id="kiosk-test", session_id=uuid4())
        return await simulate(meta, settings=s, providers=providers, services=services, inputs=inputs, out=out)


@pytest.fixture
def runner(store, voice_settings, vad, redis_url, redis_conn) -> Runner:
    return Runner(store, voice_settings, vad, redis_url)
