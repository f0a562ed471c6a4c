"""End of the member's speech → first audio of Jarvis's reply, through the simulator and the real pipeline (Silero
VAD, turn-taking, livekit-plugins-groq, the tools' database), with provider DOUBLES of fixed latency: STT 80 ms, LLM
time to first token 120 ms, TTS first audio 250 ms (the seeds' figures; see _voice.py).

    python bench/turn_latency.py [--turns 30] [--configs 0.1:0.45 0.1:0.35 0.15:0.35]

Plays `--turns` French utterances made with espeak-ng, half of them with a 400 ms pause inside the sentence, into
one kiosk session at real time, waiting for each reply. For each turn-taking configuration (VAD silence : endpointing
min delay, seconds) it prints one JSON line: p50/p95 of end of speech → first reply audio, the medians of the
framework's per-turn stages, and the premature replies (Jarvis starting to speak inside a member's pause). Targets:
p95 <= 650 ms and 0 premature replies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from uuid import uuid4

import redis
from _seeded import seeded_database
from _voice import DelayedTTS, provider_double, voiced

from jarvis_agent.audio import Clip, concat, silence
from jarvis_agent.dispatch import JobMetadata
from jarvis_agent.handoff import Spool
from jarvis_agent.pipeline import build_llm, build_stt, load_vad
from jarvis_agent.session import Providers, Services
from jarvis_agent.settings import Settings
from jarvis_agent.simulator import simulate
from jarvis_agent.store.embedded import EmbeddedRedis
from jarvis_agent.store.postgres import PostgresStore

SENTENCES = [
    ("Je voudrais réserver", "un cours de yoga demain soir."),
    ("Est-ce que le coach Karim", "est disponible jeudi ?"),
    ("À quelle heure", "ferme la salle ce soir ?"),
    ("Je cherche une vidéo", "pour les squats."),
    ("Combien de fois", "je suis venu ce mois-ci ?"),
    ("Le tapis de course", "numéro trois est en panne."),
]
TARGET_P95_S, STT_S, TTFT_S, TTS_S = 0.65, 0.08, 0.12, 0.25


def utterances(turns: int) -> list[Clip]:
    clips = []
    for i in range(turns):
        first, second = SENTENCES[i % len(SENTENCES)]
        a, b = voiced(first), voiced(second)
        gap = silence(0.4) if i % 2 else silence(0.08)  # half with a 400 ms pause inside the sentence
        clips.append(Clip(concat(a, gap, b, silence(0.3)).samples, 16000, f"{first} {'… ' if i % 2 else ''}{second}"))
    return clips


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def run_config(url: str, redis_url: str, clips: list[Clip], vad_silence: float, min_delay: float,
                     spool: Path) -> dict:
    settings = Settings(_env_file=None, groq_api_key="test-groq-key", jarvis_weather_enabled=False,
                        jarvis_vad_min_silence_s=vad_silence, jarvis_endpointing_min_delay_s=min_delay,
                        jarvis_filler_delay_ms=5000)
    with provider_double(stt_s=STT_S, ttft_s=TTFT_S, reply="D'accord, je m'en occupe tout de suite.") as double:
        double.hear(*[lambda n: "Je voudrais réserver un cours de yoga demain soir."] * (len(clips) * 3))
        settings = settings.model_copy(update={"jarvis_llm_base_url": double.base_url,
                                               "jarvis_stt_base_url": double.base_url})
        store = await PostgresStore.connect(url)
        try:
            providers = Providers(vad=load_vad(settings), stt=build_stt(settings), llm=build_llm(settings),
                                  tts=DelayedTTS(TTS_S))
            services = Services(store=store, redis_factory=lambda: redis.Redis.from_url(redis_url),
                                spool=Spool(spool))
            result = await simulate(JobMetadata(gym_slug="paris-bastille", session_id=uuid4()), settings=settings,
                                    providers=providers, services=services, inputs=clips)
        finally:
            await store.close()
    latencies = [t.speech_end_to_first_audio_s for t in result.turns if t.speech_end_to_first_audio_s is not None]
    paused = [t.speech_end_to_first_audio_s for t in result.turns[1::2] if t.speech_end_to_first_audio_s]
    stages = {k: round(statistics.median(v), 4) for k, v in result.framework_metrics.items()}
    return {"vad_min_silence_s": vad_silence, "endpointing_min_delay_s": min_delay, "turns": len(result.turns),
            "replied": len(latencies), "premature_replies": result.premature_replies,
            "speech_end_to_first_audio_p50_s": round(statistics.median(latencies), 4) if latencies else None,
            "speech_end_to_first_audio_p95_s": round(p95(latencies), 4) if latencies else None,
            "with_pause_p50_s": round(statistics.median(paused), 4) if paused else None,
            "stage_medians_s": stages,
            "providers_s": {"stt": STT_S, "llm_ttft": TTFT_S, "tts_first_audio": TTS_S},
            "target_p95_s": TARGET_P95_S, "machine": f"{platform.machine()} {platform.processor() or ''}".strip()}


async def main_async(args: argparse.Namespace) -> int:
    clips = utterances(args.turns)
    ok = True
    with seeded_database(members=200, visits=None, database_url=args.database_url) as (url, _), \
            tempfile.TemporaryDirectory(prefix="jarvis-bench-") as tmp:
        redis_server = EmbeddedRedis(Path(tmp))
        redis_url = redis_server.start()
        try:
            for config in args.configs:
                vad_silence, min_delay = (float(x) for x in config.split(":"))
                line = await run_config(url, redis_url, clips, vad_silence, min_delay, Path(tmp) / "spool")
                print(json.dumps(line), flush=True)
                ok = ok and line["premature_replies"] == 0 and (line["speech_end_to_first_audio_p95_s"] or 99) \
                    <= TARGET_P95_S
        finally:
            redis_server.stop()
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=30)
    parser.add_argument("--configs", nargs="+", default=["0.1:0.45"],
                        help="VAD silence:endpointing min delay pairs, in seconds")
    parser.add_argument("--database-url")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
