"""python -m jarvis_agent.demo seed [--members N] [--seed S] [--visits N] [--as-of ISO] [--reset]

Seeds the demo gyms into the configured database (DATABASE_URL) or the embedded one, then prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime

from ..logs import setup_logging
from ..settings import get_settings
from ..store.services import database_url
from .loader import AlreadySeeded, seed_demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jarvis_agent.demo", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    seed = sub.add_parser("seed", help="generate and load the demo gyms")
    seed.add_argument("--members", type=int, default=2000, help="members over all demo gyms (default 2000)")
    seed.add_argument("--seed", type=int, default=7, help="random seed: same seed, same data (default 7)")
    seed.add_argument("--visits", type=int, default=None,
                      help="about this many visits in total (default: about 100 per member and year)")
    seed.add_argument("--as-of", type=datetime.fromisoformat, default=None,
                      help="reference instant, ISO 8601 with offset (default: now)")
    seed.add_argument("--reset", action="store_true", help="replace the demo gyms if they exist")
    args = parser.parse_args(argv)
    setup_logging(get_settings().log_level)
    if args.members < 3:
        parser.error("--members must be at least 3 (one per demo gym)")
    if args.as_of is not None and args.as_of.tzinfo is None:
        parser.error("--as-of needs a UTC offset, e.g. 2026-11-21T10:00:00+00:00")
    try:
        report = seed_demo(database_url(), members=args.members, seed=args.seed, as_of=args.as_of,
                           visits=args.visits, reset=args.reset)
    except AlreadySeeded as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(asdict(report), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
