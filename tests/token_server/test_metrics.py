"""GET /metrics of the token server: what it counts (route templates, never ids or badges), who may read it, and
`serve --workers 2` summing both processes' counters (prometheus_client's multiprocess mode) with JSON logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from jarvis_agent.settings import REPO_ROOT
from token_server.app import create_app

from .conftest import JWT_SECRET, LIVEKIT, register_kiosk, settings_for

SCRAPE_TOKEN = "scrape-token-0123456789"
SCRAPE = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """{(sample name, labels): value} of a text exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_with_no_id_or_badge_in_the_output(make_server, demo) -> None:
    server = make_server(jarvis_metrics_token=SCRAPE_TOKEN)
    before = samples(server.client.get("/metrics", headers=SCRAPE).text)
    key, kiosk_id = register_kiosk(server.db_url)
    member = server.client.post("/v1/kiosk/sessions", json={"badge_id": demo.member_badge},
                                headers={"X-Kiosk-Key": key.key})
    visitor = server.client.post("/v1/kiosk/sessions", json={"badge_id": "BADGE-INCONNU-42"},
                                 headers={"X-Kiosk-Key": key.key})
    assert (member.status_code, visitor.status_code) == (201, 201)
    session_id = member.json()["session_id"]
    detail = server.client.get(f"/v1/gyms/paris-bastille/sessions/{session_id}",
                               headers=server.manager_headers(demo.paris_manager))
    assert detail.status_code == 200, detail.text
    assert server.client.get(f"/nothing/here/{demo.member_badge}").status_code == 404
    assert server.client.request("BREW", "/healthz").status_code == 405
    too_big = server.client.post("/v1/kiosk/sessions", content=b"x" * 20_000,
                                 headers={"X-Kiosk-Key": key.key, "Content-Type": "application/json"})
    assert too_big.status_code == 413

    response = server.client.get("/metrics", headers=SCRAPE)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    body = response.text
    after = samples(body)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    kiosk = "/v1/kiosk/sessions"
    assert delta("jarvis_token_server_requests_total", route=kiosk, method="POST", status="2xx") == 2
    assert delta("jarvis_token_server_requests_total", route=kiosk, method="POST", status="4xx") == 1  # the 413
    assert delta("jarvis_token_server_requests_total", route="/v1/gyms/{slug}/sessions/{session_id}", method="GET",
                 status="2xx") == 1
    assert delta("jarvis_token_server_requests_total", route="unmatched", method="GET", status="4xx") == 1
    assert delta("jarvis_token_server_requests_total", route="/healthz", method="other", status="4xx") == 1
    assert delta("jarvis_token_server_request_duration_seconds_count", route=kiosk, method="POST") == 3
    assert delta("jarvis_token_server_kiosk_sessions_total", visitor="false") == 1
    assert delta("jarvis_token_server_kiosk_sessions_total", visitor="true") == 1
    assert delta("jarvis_token_server_requests_total", route="/metrics", method="GET", status="2xx") == 0

    routes = {dict(labels).get("route") for (name, labels) in after if name.startswith("jarvis_token_server_")}
    app = server.client.app
    templates = {*app.openapi()["paths"], *(getattr(r, "path", None) for r in app.routes), "unmatched"}
    assert routes - {None} <= templates
    for secret in (demo.member_badge, "BADGE-INCONNU-42", session_id, str(kiosk_id), key.key, key.prefix,
                   "paris-bastille", "BREW"):
        assert secret not in body


def test_rate_limit_refusals_are_counted_by_route(make_server) -> None:
    server = make_server(jarvis_rate_limit_ip_per_min=2, jarvis_metrics_token=SCRAPE_TOKEN)
    before = samples(server.client.get("/metrics", headers=SCRAPE).text)
    assert [server.client.get("/v1/me").status_code for _ in range(3)] == [401, 401, 429]
    after = samples(server.client.get("/metrics", headers=SCRAPE).text)
    assert (value(after, "jarvis_token_server_rate_limited_total", route="/v1/me")
            - value(before, "jarvis_token_server_rate_limited_total", route="/v1/me")) == 1


def test_metrics_need_the_token_when_one_is_set(make_server) -> None:
    server = make_server(jarvis_metrics_token=SCRAPE_TOKEN)
    assert server.client.get("/metrics").status_code == 401
    wrong = server.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert wrong.headers["content-type"] == "application/problem+json"
    assert server.client.get("/metrics", headers=SCRAPE).status_code == 200
    assert "/metrics" not in server.client.get("/openapi.json").json()["paths"]


def test_without_a_token_only_direct_clients_of_private_networks_read_metrics(db_url, redis_url, redis_conn,
                                                                               tmp_path: Path) -> None:
    settings = settings_for(db_url, redis_url, tmp_path / "data")
    for client, headers, status in ((("127.0.0.1", 40000), {}, 200), (("172.18.0.7", 40000), {}, 200),
                                    (("172.18.0.7", 40000), {"X-Forwarded-For": "203.0.113.9"}, 403),
                                    (("127.0.0.1", 40000), {"Forwarded": "for=203.0.113.9"}, 403),
                                    (("203.0.113.9", 40000), {}, 403), (("testclient", 50000), {}, 403)):
        with TestClient(create_app(settings), client=client) as test_client:
            response = test_client.get("/metrics", headers=headers)
        assert response.status_code == status, (client, headers)
        if status == 403:
            assert response.json()["code"] == "metrics_forbidden"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_serve_with_two_workers_sums_their_metrics_and_logs_json_without_badges(db_url, redis_url, redis_conn,
                                                                               demo, tmp_path: Path) -> None:
    port = _free_port()
    key, _ = register_kiosk(db_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JARVIS_", "LIVEKIT_", "PROMETHEUS_"))}
    env |= {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "JARVIS_DATA_DIR": str(tmp_path / "data"),
            "JARVIS_AUTO_MIGRATE": "false", "SUPABASE_JWT_SECRET": JWT_SECRET, "JARVIS_WEATHER_ENABLED": "false",
            "LIVEKIT_URL": LIVEKIT["livekit_url"], "LIVEKIT_API_KEY": LIVEKIT["livekit_api_key"],
            "LIVEKIT_API_SECRET": LIVEKIT["livekit_api_secret"], "JARVIS_METRICS_TOKEN": SCRAPE_TOKEN,
            "LOG_LEVEL": "INFO"}
    log = tmp_path / "token-server.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen([sys.executable, "-m", "token_server", "serve", "--port", str(port), "--workers",
                                 "2", "--log-format", "json"], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if _request(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        n = 12  # new connections each: uvicorn's two processes share the socket, both take some
        statuses = [_request(f"{base}/v1/kiosk/sessions", data=json.dumps({"badge_id": demo.member_badge}).encode(),
                             headers={"X-Kiosk-Key": key.key, "Content-Type": "application/json"})[0]
                    for _ in range(n)]
        assert statuses == [201] * n
        status, body = _request(f"{base}/metrics", headers=SCRAPE)
        assert status == 200
        scraped = samples(body)
        assert value(scraped, "jarvis_token_server_requests_total", route="/v1/kiosk/sessions", method="POST",
                     status="2xx") == n
        assert value(scraped, "jarvis_token_server_kiosk_sessions_total", visitor="false") == n
        assert list((tmp_path / "data").glob(f"prometheus-token-server-{port}/*.db"))  # one file set per worker
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    output = log.read_text()
    records = [json.loads(line) for line in output.splitlines() if line.strip()]  # every line is one JSON object
    assert all({"level", "name", "message", "timestamp"} <= r.keys() for r in records)
    assert any(r["name"] == "token_server.kiosk" and "opened" in r["message"] for r in records)
    assert any(r["name"].startswith("uvicorn") for r in records)  # uvicorn's own logs, in the workers too
    assert len({r["pid"] for r in records}) >= 2
    assert demo.member_badge not in output
    access = [r["message"] for r in records if r["name"] == "uvicorn.access"]
    assert any('"POST /v1/kiosk/sessions HTTP/1.1" 201' in m for m in access)
    assert all(m.startswith('- - "') and "127.0.0.1" not in m for m in access)  # no client address
