"""python -m jarvis_agent.stack — the local stack on one machine, with the embedded defaults.

Starts (or attaches to) Postgres with the migrations applied and the demo gyms seeded when absent, and Redis for
the RQ queue "analytics"; then runs the project's processes, their logs in this terminal prefixed by name: the
analytics worker (with its sweeper), the token server (kiosk sessions, the manager dashboard), and the voice agent
worker in `dev` mode when LIVEKIT_* and GROQ_API_KEY are
set (otherwise it says which variables unlock it and how to try Jarvis without them). Ctrl-C (or SIGTERM) stops the
processes, then detaches from the services (the embedded servers stop when no other process of the project uses
them). Configured services (DATABASE_URL, REDIS_URL) are used instead of the embedded ones.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass

import psycopg

from .demo import demo_present, seed_demo
from .logs import setup_logging
from .settings import Settings, get_settings
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


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[str] | None = None


def _children(settings: Settings) -> tuple[list[Child], list[str]]:
    """The processes to run, and what to tell about those that cannot run yet."""
    from .__main__ import HELP, missing_credentials

    children = [Child("analytics", [sys.executable, "-m", "analytics", "worker", "--sweep-every", "30"]),
                Child("token", [sys.executable, "-m", "token_server"])]
    notes: list[str] = []
    if missing := missing_credentials("dev", settings):
        notes.append("  Voice agent: not started — set " + ", ".join(missing) + " in .env to run it here:")
        notes += [f"    {name}: {HELP[name]}" for name in missing]
        notes.append("  Try Jarvis without them: python -m jarvis_agent simulate --gym paris-bastille --text "
                     "\"Vous fermez à quelle heure ?\" --out /tmp/jarvis-sim --llm-base-url <OpenAI-compatible URL>")
        notes.append("    (with GROQ_API_KEY alone: simulate on Groq, or `python -m jarvis_agent console`)")
    else:
        children.append(Child("agent", [sys.executable, "-m", "jarvis_agent", "dev"]))
    base = f"http://{settings.jarvis_token_server_host}:{settings.jarvis_token_server_port}"
    notes.append(f"  Token server: {base}/docs — manager dashboard: {base}/dashboard#token=$(python -m token_server "
                 "manager-token --gym paris-bastille)")
    notes.append("  A kiosk key: python -m token_server kiosk create --gym paris-bastille --name Accueil")
    return children, notes


def _pump(child: Child) -> None:
    assert child.process is not None and child.process.stdout is not None
    for line in child.process.stdout:
        print(f"[{child.name}] {line.rstrip()}", flush=True)


def _run_children(children: list[Child], env: dict[str, str], stop: threading.Event) -> None:
    for child in children:
        child.process = subprocess.Popen(child.argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         text=True, start_new_session=True)
        threading.Thread(target=_pump, args=(child,), daemon=True).start()
    while not stop.wait(0.5):
        for child in children:
            if child.process is not None and child.process.poll() is not None:
                logger.error("%s exited with %s; stopping the stack", child.name, child.process.returncode)
                stop.set()
    for child in children:
        if child.process is not None and child.process.poll() is None:
            child.process.send_signal(signal.SIGINT)
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.process.kill()
            child.process.wait()


def _score_unscored(db_url: str) -> None:
    """Churn scores for gyms whose active members have none yet (a fresh demo), so the dashboard shows risk."""
    with psycopg.connect(db_url) as conn:
        slugs = [r[0] for r in conn.execute(
            "select g.slug from gyms g where exists (select 1 from gym_members m where m.gym_id = g.id "
            "and m.is_active and m.churn_score is null) order by g.slug").fetchall()]
    for slug in slugs:
        logger.info("scoring churn risk of %s…", slug)
        subprocess.run([sys.executable, "-m", "analytics", "score", "--gym", slug],
                       env={**os.environ, "DATABASE_URL": db_url}, check=False, stdout=subprocess.DEVNULL)


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
    if not args.no_demo:
        _score_unscored(db_url)
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
    children, notes = _children(settings) if not args.once else ([], [])
    lines += [f"  Running: {', '.join(c.name for c in children)}" if children else "", *notes]
    print("\n".join(line for line in lines if line), flush=True)
    if not args.once:
        print("Ctrl-C to stop.", flush=True)
        env = {**os.environ, "REDIS_URL": redis_url}
        if settings.store_kind == "postgres":
            env["DATABASE_URL"] = db_url
        _run_children(children, env, stop)
    services.stop_embedded()
    print("Jarvis — stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
