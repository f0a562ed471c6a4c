"""Token server: kiosk-session creation throughput and latency under a loopback load, and token signing alone.

    python bench/token_server.py [--members 3000] [--duration 10] [--connections 16] [--workers 1 2] [--rounds 2]

Seeds the demo into a fresh embedded Postgres, starts an embedded Redis, registers 20 kiosks, then for each uvicorn
worker count runs `python -m token_server serve` and drives `POST /v1/kiosk/sessions` with wrk (Debian's `wrk`, one
thread, a Lua script rotating kiosk keys and member badges) on the same machine. Each request is the whole path:
per-IP and per-kiosk rate limits in Redis, the key check, badge lookup and session row in one SQL call, a signed
LiveKit token with the agent dispatch. Limits are raised so that nothing is refused. Rounds alternate the worker
counts (side by side on a noisy machine); one JSON line per run, then the token signing rate. Targets: >= 500
sessions/s and p99 <= 50 ms; signing alone >= 5,000/s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg
from _seeded import seeded_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jarvis_agent.dispatch import JobMetadata
from jarvis_agent.settings import REPO_ROOT
from tests.token_server.conftest import register_kiosk  # the tests' way: hashed key stored, key kept
from token_server.kiosk import participant_token

LUA = """
local keys = {%(keys)s}
local badges = {%(badges)s}
local n = 0
request = function()
  n = n + 1
  local body = '{"badge_id":"' .. badges[(n %% #badges) + 1] .. '"}'
  return wrk.format("POST", "/v1/kiosk/sessions",
                    {["X-Kiosk-Key"] = keys[(n %% #keys) + 1], ["Content-Type"] = "application/json"}, body)
end
done = function(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %%d, "seconds": %%.3f, "non_2xx": %%d, "socket_errors": %%d, ' ..
    '"p50_ms": %%.2f, "p90_ms": %%.2f, "p99_ms": %%.2f, "max_ms": %%.2f}\\n',
    summary.requests, summary.duration / 1e6, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_load(env: dict[str, str], workers: int, script: Path, duration: int, connections: int) -> dict:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "token_server", "serve", "--port", str(port), "--workers",
                               str(workers)], cwd=REPO_ROOT, env={**env, "LOG_LEVEL": "WARNING"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"token server did not start: {server.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        # warm every worker's pool and caches
        subprocess.run(["wrk", "-t1", f"-c{connections}", "-d2s", "-s", str(script), base], capture_output=True)
        done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
                               base], capture_output=True, text=True, check=True)
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        result = json.loads(line.removeprefix("RESULT "))
        return {"benchmark": "kiosk_sessions", "workers": workers, "connections": connections,
                "sessions_per_s": round(result["requests"] / result["seconds"], 1), **result,
                "target_per_s": 500, "target_p99_ms": 50}
    finally:
        server.terminate()
        server.wait(30)


def signing_rate(n: int = 20_000) -> dict:
    meta = JobMetadata(gym_slug="paris-bastille", badge_id="PB-000123", kiosk_id=str(uuid4()), session_id=uuid4())
    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(n):
            participant_token("APIbench", "bench-secret-0123456789abcdef0123456789", room="jarvis-x",
                              identity="kiosk-x", meta=meta, ttl=timedelta(minutes=15))
        rates.append(n / (time.perf_counter() - started))
    return {"benchmark": "token_signing", "tokens": n, "per_s_median": round(statistics.median(rates)),
            "per_s_runs": [round(r) for r in rates], "target_per_s": 5000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is needed: apt-get install wrk", file=sys.stderr)
        return 2
    with seeded_database(members=args.members, visits=None) as (url, _), \
            tempfile.TemporaryDirectory(prefix="jarvis-bench-") as tmp:
        from jarvis_agent.store.embedded import EmbeddedRedis

        redis_server = EmbeddedRedis(Path(tmp))
        try:
            keys = [register_kiosk(url, name=f"Borne {i}")[0].key for i in range(20)]
            with psycopg.connect(url) as conn:
                badges = [r[0] for r in conn.execute(
                    "select badge_id from gym_members g join gyms on gyms.id = g.gym_id "
                    "where gyms.slug = 'paris-bastille' and is_active order by badge_id limit 200").fetchall()]
            script = Path(tmp) / "kiosk.lua"
            script.write_text(LUA % {"keys": ", ".join(f'"{k}"' for k in keys),
                                     "badges": ", ".join(f'"{b}"' for b in badges)})
            env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": redis_server.start(),
                   "JARVIS_AUTO_MIGRATE": "false", "JARVIS_DATA_DIR": tmp,
                   "LIVEKIT_URL": "wss://livekit.bench.invalid", "LIVEKIT_API_KEY": "APIbench",
                   "LIVEKIT_API_SECRET": "bench-secret-0123456789abcdef0123456789",
                   "JARVIS_RATE_LIMIT_KIOSK_PER_MIN": "1000000", "JARVIS_RATE_LIMIT_IP_PER_MIN": "1000000",
                   "DB_POOL_MAX_SIZE": "10"}
            for _ in range(args.rounds):
                for workers in args.workers:
                    print(json.dumps(run_load(env, workers, script, args.duration, args.connections)), flush=True)
            print(json.dumps(signing_rate()), flush=True)
        finally:
            redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
