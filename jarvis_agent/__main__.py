"""python -m jarvis_agent dev | start | console | connect | download-files | simulate

The first five are the LiveKit Agents CLI running the Jarvis worker (`agent.server`); `simulate` runs one kiosk
session in-process without a LiveKit server (see simulator.py). Before the worker starts, the database and Redis are
resolved once here (embedded ones started and migrated) and handed to the job processes through DATABASE_URL and
REDIS_URL, and sessions spooled during a database outage are replayed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from uuid import uuid4

from pydantic import SecretStr

from .logs import setup_logging
from .settings import Settings, get_settings
from .store.services import ConfigurationError

WORKER_COMMANDS = ("dev", "start", "console", "connect", "download-files")
HELP = {
    "LIVEKIT_URL": "the LiveKit server (wss://<project>.livekit.cloud from cloud.livekit.io, or ws://localhost:7880 "
                   "for `livekit-server --dev`)",
    "LIVEKIT_API_KEY": "cloud.livekit.io → your project → Settings → API keys (`devkey` for livekit-server --dev)",
    "LIVEKIT_API_SECRET": "shown with the API key (`secret` for livekit-server --dev)",
    "GROQ_API_KEY": "https://console.groq.com/keys",
}


def missing_credentials(command: str, settings: Settings) -> list[str]:
    """The variables `command` needs that are not set."""
    if command == "download-files":
        return []
    need = {"GROQ_API_KEY": settings.groq_api_key}
    if command != "console":
        need |= {"LIVEKIT_URL": settings.livekit_url, "LIVEKIT_API_KEY": settings.livekit_api_key,
                 "LIVEKIT_API_SECRET": settings.livekit_api_secret}
    return [name for name, value in need.items() if not value]


def _prepare_worker(settings: Settings) -> None:
    """Resolve services once for every job process, and replay the spool."""
    from .handoff import Spool, replay_spool
    from .store import StoreError, services

    if settings.store_kind == "postgres":
        os.environ["DATABASE_URL"] = services.database_url(settings)
    os.environ["REDIS_URL"] = services.redis_url(settings)
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY"):
        value = getattr(settings, name.lower())
        if value:
            os.environ.setdefault(name, value)
    if settings.livekit_api_secret:
        os.environ.setdefault("LIVEKIT_API_SECRET", settings.livekit_api_secret.get_secret_value())
    if settings.groq_api_key:
        os.environ.setdefault("GROQ_API_KEY", settings.groq_api_key.get_secret_value())
    get_settings.cache_clear()

    async def replay() -> None:
        try:
            store = await services.open_store(get_settings())
        except StoreError as exc:
            print(f"database unreachable ({exc}): spooled sessions will be replayed later", file=sys.stderr)
            return
        try:
            await replay_spool(store, redis_factory=lambda: services.redis_connection(settings, timeout=2.0),
                               spool=Spool(settings.spool_dir))
        finally:
            await store.close()

    asyncio.run(replay())


def start_tts_engine(settings: Settings) -> None:
    """With Chatterbox and no engine URL: make sure this host's engine runs, and hand its URL to the job processes.
    An engine that cannot start leaves the kiosks a voice (espeak-ng), loudly reported, rather than no worker."""
    if settings.jarvis_tts != "chatterbox" or settings.jarvis_tts_engine_url:
        return
    from .tts_engine.host import EngineStartError, ensure_engine, watch

    try:
        os.environ["JARVIS_TTS_ENGINE_URL"], _ = ensure_engine(settings)
        watch(settings)
    except EngineStartError as exc:
        print(f"ERROR: {exc}. The kiosks speak with espeak-ng until the worker restarts with a working engine.",
              file=sys.stderr)
        os.environ["JARVIS_TTS"] = "espeak"
    get_settings.cache_clear()


def run_worker(argv: list[str]) -> int:
    settings = get_settings()
    if missing := missing_credentials(argv[0], settings):
        for name in missing:
            print(f"{name} is not set: {HELP[name]}. Put it in .env (see .env.example).", file=sys.stderr)
        print("Without them, try the session simulator: python -m jarvis_agent simulate --help", file=sys.stderr)
        return 2
    from livekit.agents import cli

    from .store import services

    if argv[0] != "download-files":
        _prepare_worker(settings)
    if argv[0] in ("dev", "start", "connect"):
        start_tts_engine(settings)
    from .agent import server

    sys.argv = [sys.argv[0], *argv]
    try:
        cli.run_app(server)
    finally:
        services.stop_embedded()
    return 0


def simulate_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m jarvis_agent simulate",
                                     description="One kiosk session in-process, without a LiveKit server.")
    parser.add_argument("--gym", required=True, help="gym slug, e.g. paris-bastille")
    parser.add_argument("--badge", help="the member's badge id (absent: visitor)")
    turns = parser.add_mutually_exclusive_group(required=True)
    turns.add_argument("--audio", nargs="+", type=Path, help="WAV files, one per member utterance")
    turns.add_argument("--text", nargs="+", help="text turns, one per member utterance")
    parser.add_argument("--out", type=Path, required=True, help="folder for transcript.json, reply.wav, metrics.json")
    parser.add_argument("--speed", type=float, default=1.0, help="play audio this many times faster than real time")
    parser.add_argument("--llm-base-url", help="OpenAI-compatible server for the LLM (default: Groq)")
    parser.add_argument("--stt-base-url", help="OpenAI-compatible server for speech-to-text (default: Groq)")
    parser.add_argument("--no-tts", action="store_true", help="text replies only (no reply.wav audio)")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in {"jarvis_llm_base_url": args.llm_base_url,
                                   "jarvis_stt_base_url": args.stt_base_url}.items() if v}
    settings = get_settings().model_copy(update=overrides)
    setup_logging(settings.log_level)
    if settings.groq_api_key is None and not (args.llm_base_url and (args.stt_base_url or args.text)):
        print(f"GROQ_API_KEY is not set: {HELP['GROQ_API_KEY']}. Put it in .env, or point --llm-base-url and "
              "--stt-base-url at another OpenAI-compatible server.", file=sys.stderr)
        return 2
    if settings.groq_api_key is None:
        settings = settings.model_copy(update={"groq_api_key": SecretStr("not-needed")})
    from .audio import read_wav

    try:
        inputs = [read_wav(p) for p in args.audio] if args.audio else list(args.text)
    except (OSError, ValueError) as exc:
        print(f"cannot read the audio: {exc}", file=sys.stderr)
        return 2
    from .dispatch import JobMetadata

    meta = JobMetadata(gym_slug=args.gym, badge_id=args.badge, kiosk_id="simulator", session_id=uuid4())
    try:
        summary = asyncio.run(_simulate(meta, settings, inputs, args))
    except ConfigurationError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary.get("outcome") else 1


async def _simulate(meta, settings: Settings, inputs: list, args: argparse.Namespace) -> dict:
    from .context import WeatherService
    from .handoff import Spool
    from .pipeline import build_llm, build_stt, build_tts, load_vad
    from .session import Providers, Services, UnknownGym
    from .simulator import simulate
    from .store import services

    audio = bool(args.audio)
    store = await services.open_store(settings)
    try:
        providers = Providers(vad=load_vad(settings) if audio else None, stt=build_stt(settings) if audio else None,
                              llm=build_llm(settings), tts=None if args.no_tts else build_tts(settings))
        svc = Services(store=store, redis_factory=lambda: services.redis_connection(settings, timeout=2.0),
                       spool=Spool(settings.spool_dir), weather=WeatherService.from_settings(settings))
        try:
            result = await simulate(meta, settings=settings, providers=providers, services=svc, inputs=inputs,
                                    out=args.out, speed=args.speed)
        except UnknownGym as exc:
            raise ConfigurationError(f"{exc}: see `python -m jarvis_agent.stack` for the demo gyms") from None
        return result.summary()
    finally:
        await store.close()
        services.stop_embedded()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if argv[0] == "simulate":
        return simulate_main(argv[1:])
    if argv[0] in WORKER_COMMANDS:
        return run_worker(argv)
    print(f"unknown command {argv[0]!r}: one of {', '.join((*WORKER_COMMANDS, 'simulate'))}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
