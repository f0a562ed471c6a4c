"""python -m analytics sweep [--every SECONDS] — enqueue sessions left pending (embedded Redis/Postgres by default).

The analytics worker itself (worker, train, evaluate, score) is built by the analytics issue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys

import redis

from jarvis_agent.logs import setup_logging
from jarvis_agent.settings import get_settings
from jarvis_agent.store import StoreError, services

from .sweep import sweep

logger = logging.getLogger("analytics")


async def _sweep(args: argparse.Namespace) -> int:
    settings = get_settings()
    store = await services.open_store(settings, wait=not args.every)
    connection = services.redis_connection(settings, timeout=5.0)
    try:
        while True:
            try:
                report = await sweep(store, connection, limit=args.limit, stale_seconds=args.stale_seconds)
                print(json.dumps(report.as_dict()), flush=True)
            except (StoreError, redis.RedisError) as exc:
                if not args.every:
                    raise
                logger.warning("sweep failed (%s): next try in %s s", exc, args.every)
            if not args.every:
                return 0
            await asyncio.sleep(args.every)
    finally:
        await store.close()
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("sweep", help="enqueue the analytics of sessions left pending (or stuck)")
    p.add_argument("--every", type=float, default=0, help="repeat every N seconds (0: once)")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--stale-seconds", type=int, default=600, help="re-enqueue queued/processing sessions older than")
    args = parser.parse_args(argv)
    setup_logging(get_settings().log_level)
    try:
        return asyncio.run(_sweep(args))
    except KeyboardInterrupt:
        return 130
    finally:
        services.stop_embedded()


if __name__ == "__main__":
    sys.exit(main())
