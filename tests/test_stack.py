"""The local stack (the README's main-job command): provisions the embedded services and the demo, stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from jarvis_agent.settings import REPO_ROOT
from jarvis_agent.stack import _redact


def stack_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SUPABASE_URL")
           and not k.startswith(("LIVEKIT_", "GROQ_"))}
    env["JARVIS_DATA_DIR"] = str(data_dir)
    env["JARVIS_TOKEN_SERVER_PORT"] = str(free_port())
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_running(data_dir: Path) -> bool:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    return pid_file.exists() and psutil.pid_exists(int(pid_file.read_text().split()[0]))


def test_stack_once_provisions_and_exits(server_dir: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "jarvis_agent.stack", "--once", "--demo-members", "30"],
                          capture_output=True, text=True, env=stack_env(server_dir), cwd=REPO_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "local stack ready" in done.stdout
    for slug in ("paris-bastille", "lyon-part-dieu", "marseille-vieux-port"):
        assert slug in done.stdout
    assert "(embedded)" in done.stdout
    assert not server_running(server_dir)  # the only user left: the embedded Postgres stopped


def test_stack_waits_and_stops_cleanly_on_ctrl_c(server_dir: Path) -> None:
    env = stack_env(server_dir)
    proc = subprocess.Popen([sys.executable, "-m", "jarvis_agent.stack", "--no-demo"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 120
        lines = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "Ctrl-C to stop" in line:
                break
        assert any("local stack ready" in line for line in lines), proc.stderr.read() if proc.poll() else lines
        text = "".join(lines)
        assert "Voice agent: not started — set GROQ_API_KEY, LIVEKIT_URL" in text  # what unlocks it
        assert "python -m jarvis_agent simulate" in text and "Running: analytics, token" in text
        port = int(env["JARVIS_TOKEN_SERVER_PORT"])
        assert f"http://127.0.0.1:{port}/dashboard" in text
        seen = set()
        while time.monotonic() < deadline and len(seen) < 2:  # both processes up, logged with their prefix
            line = proc.stdout.readline()
            if line.startswith("[analytics]") and "Listening on analytics" in line:
                seen.add("analytics")
            if line.startswith("[token]") and "Uvicorn running" in line:
                seen.add("token")
        assert seen == {"analytics", "token"}
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {"status": "ok"}
        assert server_running(server_dir)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        assert "stopped" in proc.stdout.read()
        assert not server_running(server_dir)
    finally:
        if proc.poll() is None:
            proc.kill()


def test_printed_urls_hide_passwords() -> None:
    assert _redact("postgresql://jarvis:s3cr3t@db.example.com:5432/jarvis") == \
        "postgresql://jarvis:***@db.example.com:5432/jarvis"
    assert _redact("redis://:hunter2@cache:6379/0") == "redis://:***@cache:6379/0"
    assert _redact("unix:///tmp/redis.socket") == "unix:///tmp/redis.socket"
