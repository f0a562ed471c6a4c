"""python -m jarvis_agent.tts_engine serve [--host H] [--port P] [--socket PATH]

Loads the speech model once (JARVIS_TTS_MODEL, CHATTERBOX_CKPT_DIR, JARVIS_TTS_DEVICE) and serves it to every job
process of the host (see server.py). The worker launches it by itself; run it by hand to share one GPU between
workers or to put the engine on another machine (then set JARVIS_TTS_ENGINE_URL on the workers).
"""

from __future__ import annotations

import argparse
import sys

from ..logs import setup_logging
from ..settings import get_settings


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m jarvis_agent.tts_engine", description=__doc__.split("\n")[2])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="load the model and serve it over HTTP")
    serve.add_argument("--host", default=settings.jarvis_tts_engine_host)
    serve.add_argument("--port", type=int, default=settings.jarvis_tts_engine_port)
    serve.add_argument("--socket", help="a Unix socket path instead of host:port")
    args = parser.parse_args(argv)
    setup_logging(settings.log_level)

    import uvicorn

    from .loader import build_engine
    from .server import create_app

    try:
        engine = build_engine(settings)
    except (FileNotFoundError, ValueError, ImportError) as exc:
        print(f"cannot load the TTS model: {exc}", file=sys.stderr)
        return 2
    server = uvicorn.Server(uvicorn.Config(create_app(engine), host=args.host, port=args.port, uds=args.socket,
                                           log_level="warning", access_log=False))
    # A lost device (a sticky CUDA error) needs a new process: shut down, and the worker's watch starts a fresh one.
    engine.on_fatal = lambda: setattr(server, "should_exit", True)
    try:
        server.run()
    finally:
        engine.close()
    return 1 if engine.broken else 0


if __name__ == "__main__":
    sys.exit(main())
