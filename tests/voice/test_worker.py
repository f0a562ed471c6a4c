"""The worker's edges: job metadata, the CLI's credential checks, the simulator command, Prometheus metrics."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from livekit.agents import AgentServer
from livekit.agents.testing import fake_job_context
from prometheus_client import REGISTRY
from pydantic import ValidationError

from jarvis_agent.__main__ import missing_credentials
from jarvis_agent.agent import entrypoint, server, server_options, session_load
from jarvis_agent.dispatch import InvalidMetadata, JobMetadata
from jarvis_agent.settings import REPO_ROOT, Settings

from ..conftest import sql
from ..doubles.openai_server import Text, ToolCalls


def test_job_metadata_as_the_token_server_sends_it() -> None:
    sid = uuid.uuid4()
    meta = JobMetadata.parse(json.dumps({"gym_slug": "paris-bastille", "badge_id": " B-1 ", "kiosk_id": "k1",
                                         "session_id": str(sid), "future_field": 1}))
    assert (meta.gym_slug, meta.badge_id, meta.kiosk_id, meta.session_id) == ("paris-bastille", "B-1", "k1", sid)
    assert JobMetadata.parse('{"gym_slug": "lyon-part-dieu", "badge_id": ""}').badge_id is None  # visitor


@pytest.mark.parametrize("raw, reason", [
    (None, "no metadata"), ("", "no metadata"), ("not json", "not JSON"), ("[1, 2]", "JSON object"),
    ('{"badge_id": "B-1"}', "gym_slug"), ('{"gym_slug": "Paris; DROP TABLE gyms"}', "gym slug"),
    ('{"gym_slug": "paris-bastille", "session_id": "nope"}', "session_id"),
    ('{"gym_slug": "paris-bastille", "badge_id": "B\\u0000"}', "badge_id"),
    ('{"gym_slug": "paris-bastille", "badge_id": "' + "x" * 65 + '"}', "badge_id"),
    ('{"gym_slug": "' + "a" * 5000 + '"}', "at most"),
])
def test_malformed_metadata_is_refused_with_a_reason(raw, reason) -> None:
    with pytest.raises(InvalidMetadata, match=reason) as exc:
        JobMetadata.parse(raw)
    assert "DROP" not in str(exc.value) and "B\x00" not in str(exc.value)  # the reason, not the content


async def test_a_job_with_malformed_metadata_ends_cleanly_and_logs_why(caplog) -> None:
    """A real JobContext (livekit.agents.testing) standing in for the SFU's dispatch: no room is joined."""
    caplog.set_level(logging.ERROR, "jarvis.agent")
    with fake_job_context(job_metadata='{"gym_slug": 42}') as ctx:
        await entrypoint(ctx)
        assert not ctx.room.isconnected()
    assert "job fake-job refused: invalid job metadata (gym_slug" in caplog.text


def test_the_worker_registers_as_jarvis_with_prewarm_and_metrics() -> None:
    assert server._agent_name == "jarvis"
    assert server.setup_fnc is not None and server.setup_fnc.__name__ == "prewarm"
    assert server._prometheus_port == Settings(_env_file=None).jarvis_metrics_port


def test_the_workers_capacity_comes_from_the_settings() -> None:
    defaults = AgentServer(**server_options(Settings(_env_file=None)))
    assert defaults._load_fnc is None  # LiveKit's CPU load, threshold and idle processes
    capped = AgentServer(**server_options(Settings(_env_file=None, jarvis_worker_max_sessions=15,
                                                   jarvis_worker_load_threshold=0.8, jarvis_worker_idle_processes=3)))
    assert capped._load_threshold == 0.8 and capped._num_idle_processes == 3 and capped._load_fnc is not None
    for bad in ({"jarvis_worker_load_threshold": 1.5}, {"jarvis_worker_max_sessions": -1}):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, **bad)


def test_a_worker_with_a_session_cap_is_full_at_the_cap_or_when_its_cpus_are() -> None:
    """The load LiveKit compares with the threshold (0.8 here) to stop offering the worker new rooms."""
    quiet = session_load(15, 0.8, cpu_load=lambda _: 0.1)
    assert quiet(SimpleNamespace(active_jobs=[])) == 0.1
    assert quiet(SimpleNamespace(active_jobs=[object()] * 14)) < 0.8  # a 15th kiosk is still welcome
    assert quiet(SimpleNamespace(active_jobs=[object()] * 15)) == pytest.approx(0.8)  # full: the 16th goes elsewhere
    assert quiet(SimpleNamespace(active_jobs=[object()] * 40)) == 1.0
    busy = session_load(15, 0.8, cpu_load=lambda _: 0.95)
    assert busy(SimpleNamespace(active_jobs=[object()] * 2)) == 0.95  # the CPUs are full first


def test_missing_credentials_are_named() -> None:
    empty = Settings(_env_file=None)
    assert missing_credentials("start", empty) == ["GROQ_API_KEY", "LIVEKIT_URL", "LIVEKIT_API_KEY",
                                                   "LIVEKIT_API_SECRET"]
    assert missing_credentials("console", empty) == ["GROQ_API_KEY"]
    assert missing_credentials("download-files", empty) == []
    full = Settings(_env_file=None, groq_api_key="g", livekit_url="ws://x", livekit_api_key="k",
                    livekit_api_secret="s")
    assert missing_credentials("dev", full) == []


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEKIT_", "GROQ_", "JARVIS_", "DATABASE_",
                                                                     "REDIS_"))}
    return {**env, "JARVIS_WEATHER_ENABLED": "false", **extra}


def test_the_cli_stops_on_a_missing_credential_and_says_where_to_get_it(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "jarvis_agent", "start"], cwd=tmp_path, env=_clean_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "GROQ_API_KEY is not set: https://console.groq.com/keys" in done.stderr
    assert "LIVEKIT_API_SECRET is not set" in done.stderr and "simulate" in done.stderr


def test_simulate_command_runs_a_text_session_against_an_openai_compatible_server(model, db_url, redis_url,
                                                                                 demo, tmp_path: Path) -> None:
    model.script(Text("Ouvert jusqu'à 22 h."))
    env = _clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, GROQ_API_KEY=model.API_KEY,
                     JARVIS_SPOOL_DIR=str(tmp_path / "spool"), PYTHONPATH=str(REPO_ROOT))
    done = subprocess.run([sys.executable, "-m", "jarvis_agent", "simulate", "--gym", "paris-bastille",
                           "--badge", demo.member_badge, "--text", "Vous fermez à quelle heure ?",
                           "--out", str(tmp_path / "out"), "--llm-base-url", model.base_url],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["outcome"] == "enqueued"
    transcript = json.loads((tmp_path / "out" / "transcript.json").read_text())["transcript"]
    assert [t["text"] for t in transcript][-2:] == ["Vous fermez à quelle heure ?", "Ouvert jusqu'à 22 h."]
    assert (tmp_path / "out" / "reply.wav").stat().st_size > 10_000  # the espeak-ng voice spoke
    (n,), = sql(db_url, "select count(*) from voice_sessions where id = %s", summary["session_id"])
    assert n == 1
    assert demo.member_badge not in done.stderr  # no badge in logs


async def test_a_session_feeds_the_prometheus_metrics(runner, model, demo) -> None:
    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    before = (sample("jarvis_tool_calls_total", tool="get_gym_info"), sample("jarvis_sessions_total",
                                                                            end_reason="simulation_end"),
              sample("jarvis_turn_latency_seconds_count", stage="llm_ttft"))
    model.script(ToolCalls([("get_gym_info", {})]), Text("On ferme à 22 h."))
    await runner.run(["Vous fermez quand ?"], badge=demo.member_badge, tts=False)
    after = (sample("jarvis_tool_calls_total", tool="get_gym_info"), sample("jarvis_sessions_total",
                                                                           end_reason="simulation_end"),
             sample("jarvis_turn_latency_seconds_count", stage="llm_ttft"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]  # one answer (after the tool call)
    assert sample("jarvis_active_sessions") == 0


def test_the_worker_starts_prewarms_and_serves_metrics_without_a_livekit_server(server_dir: Path) -> None:
    """`start` against a LiveKit URL where nothing listens (the SFU is not reachable here): the worker resolves the
    embedded services, prewarms its job processes (Silero VAD), serves /metrics, retries the connection, and stops
    cleanly on Ctrl-C."""
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = _clean_env(JARVIS_DATA_DIR=str(server_dir), LIVEKIT_URL="ws://127.0.0.1:9", LIVEKIT_API_KEY="devkey",
                     LIVEKIT_API_SECRET="secret-for-tests-only-0123456789abcdef", GROQ_API_KEY="unused",
                     JARVIS_METRICS_PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "jarvis_agent", "start"], cwd=REPO_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, seen = time.monotonic() + 90, ""
        while time.monotonic() < deadline and "failed to connect to livekit" not in seen:
            seen += proc.stdout.readline()
        assert "process initialized" in seen and "failed to connect to livekit" in seen, seen[-3000:]
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "jarvis_active_sessions 0.0" in body  # aggregated from the job processes (multiprocess mode)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
