"""The HEALTHCHECK of the Jarvis images: exit 0 when the container's service is healthy, 1 otherwise.

    python /app/deploy/healthcheck.py agent          LiveKit's worker health endpoint, GET :8081/ (503 once the
                                                     worker lost its LiveKit server or its inference process)
    python /app/deploy/healthcheck.py token-server   GET /healthz on JARVIS_TOKEN_SERVER_PORT (default 8080)
    python /app/deploy/healthcheck.py analytics      an RQ worker of this container (its hostname) is registered in
                                                     REDIS_URL: RQ drops a worker whose heartbeat stopped
    python /app/deploy/healthcheck.py tts-engine     GET /healthz of the TTS engine on JARVIS_TTS_ENGINE_PORT
    python /app/deploy/healthcheck.py http://…       any URL answering 2xx

Standard library only (and redis / rq for `analytics`), so a check costs a Python start, not an import of the
services it checks.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.error
import urllib.request

# LiveKit's AgentServer serves its health endpoint on 8081 in `start` mode (ServerEnvOption prod_default).
AGENT_HEALTH_PORT = 8081
TIMEOUT_S = 4.0


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return False


def rq_worker_registered() -> bool:
    url = os.environ.get("REDIS_URL", "").strip()
    if not url:
        print("REDIS_URL unset (embedded Redis): not checked", file=sys.stderr)
        return True
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Worker

    host = socket.gethostname()
    try:
        connection = Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
        workers = [w for w in Worker.all(connection=connection) if w.hostname == host]
    except RedisError as exc:
        print(f"Redis: {exc}", file=sys.stderr)
        return False
    if not workers:
        print(f"no RQ worker of {host} registered", file=sys.stderr)
    return bool(workers)


def check(target: str) -> bool:
    if target == "agent":
        return http_ok(f"http://127.0.0.1:{AGENT_HEALTH_PORT}/")
    if target == "token-server":
        return http_ok(f"http://127.0.0.1:{os.environ.get('JARVIS_TOKEN_SERVER_PORT') or 8080}/healthz")
    if target == "tts-engine":
        return http_ok(f"http://127.0.0.1:{os.environ.get('JARVIS_TTS_ENGINE_PORT') or 8790}/healthz")
    if target == "analytics":
        return rq_worker_registered()
    if target.startswith(("http://", "https://")):
        return http_ok(target)
    raise SystemExit(f"unknown check {target!r}: agent | token-server | analytics | tts-engine | URL")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(0 if check(sys.argv[1]) else 1)
