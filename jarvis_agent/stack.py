"""python -m jarvis_agent.stack — the local stack on one machine, with the embedded defaults.

Starts (or attaches to) Postgres with the migrations applied and the demo gyms seeded when absent, and Redis for
the RQ queue "analytics"; prints where everything is; holds them until Ctrl-C (or SIGTERM), then detaches cleanly
(the embedded servers stop when no other process of the project uses them). Configured services (DATABASE_URL,
REDIS_URL) are used instead of the embedded ones.
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading

import psycopg

from .demo import demo_present, seed_demo
from .logs import setup_logging
from .settings import get_settings
from .store import services

logger = logging.getLogger("jarvis.stack")


def _redact(url: str) -> str:
    """Hide the password of a connection URL before printing it."""
    return re.sub(r"(://[^:/@]*:)[^@]+@", r"\1***@", url)


def _gym_summary(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select g.slug, g.name, count(m.id) filter (where m.is_active) from gyms g "
            "left join gym_members m on m.gym_id = g.id group by g.id order by g.slug").fetchall()
    return [f"{slug:<24} {name} ({members} membres actifs)" for slug, name, members in rows]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jarvis_agent.stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo-members", type=int, default=2000, help="members of the demo seeded when absent")
    parser.add_argument("--demo-seed", type=int, default=7)
    parser.add_argument("--no-demo", action="store_true", help="do not seed the demo gyms")
    parser.add_argument("--once", action="store_true", help="provision, print, and exit instead of waiting")
    args = parser.parse_args(argv)
    settings = get_settings()
    setup_logging(settings.log_level)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    db_url = services.database_url(settings)
    with psycopg.connect(db_url) as conn:
        seeded = demo_present(conn)
    if not seeded and not args.no_demo:
        logger.info("seeding the demo gyms (%s members, seed %s)…", args.demo_members, args.demo_seed)
        report = seed_demo(db_url, members=args.demo_members, seed=args.demo_seed)
        logger.info("demo gyms seeded: %s visits in %.1f s", report.visits, report.seconds)
    redis_url = services.redis_url(settings)
    services.redis_connection(settings).ping()

    lines = [
        "Jarvis — local stack ready",
        f"  Postgres  {_redact(db_url)}" + ("" if settings.database_url else "  (embedded)"),
        f"  Redis     {_redact(redis_url)}" + ("" if settings.redis_url else "  (embedded)"),
        "  Gyms:",
        *[f"    {line}" for line in _gym_summary(db_url)],
        "  Try: python -m jarvis_agent.store status   |   python -m jarvis_agent.demo seed --reset --members 500",
    ]
    print("\n".join(lines), flush=True)
    if not args.once:
        print("Ctrl-C to stop.", flush=True)
        stop.wait()
    services.stop_embedded()
    print("Jarvis — stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
