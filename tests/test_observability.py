"""Observability: the analytics worker's metrics (a real worker process on the real embedded Redis and Postgres),
JSON logs, and the deploy files — the Grafana dashboard and the Prometheus configuration and alerts — checked against
the metrics the code defines, so a renamed metric cannot leave a panel or an alert silently empty."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import redis
import yaml
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

import analytics.metrics
import jarvis_agent.metrics
import token_server.metrics
from analytics.metrics import SWEEPS, SWEPT, QueueCollector, count_sweep
from analytics.queue import QUEUE, enqueue_session
from analytics.sweep import SweepReport
from jarvis_agent.logs import JsonFormatter, logging_config
from jarvis_agent.settings import REPO_ROOT

from .analytics.test_jobs import persist

DEPLOY = REPO_ROOT / "deploy"
# What the TTS engine (`python -m jarvis_agent.tts_engine serve`) exports: (name, type).
TTS_METRICS = {("jarvis_tts_queue_depth", "gauge"), ("jarvis_tts_first_chunk_seconds", "histogram"),
               ("jarvis_tts_request_seconds", "histogram"), ("jarvis_tts_requests", "counter"),
               ("jarvis_tts_realtime_factor", "histogram")}
SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_count", "_sum", "_created"),
            "gauge": ("",)}
JOBS = {"token-server": "token-server:8080", "agent-worker": "agent:9464", "analytics-worker": "analytics:9465",
        "tts-engine": "agent:8790"}  # the agent worker's container runs the engine (compose.yaml)


def defined_metrics() -> set[tuple[str, str]]:
    """(family name, type) of every metric the code defines, and of the TTS engine's."""
    found = set(TTS_METRICS)
    for module in (jarvis_agent.metrics, token_server.metrics, analytics.metrics):
        for value in vars(module).values():
            if isinstance(value, MetricWrapperBase):
                found |= {(family.name, family.type) for family in value.describe()}
    found |= {(family.name, family.type) for family in QueueCollector(redis.Redis()).describe()}
    return found


def series_names() -> set[str]:
    """The series names a query may use: a counter's _total, a histogram's _bucket/_count/_sum, a gauge itself."""
    return {name + suffix for name, kind in defined_metrics() for suffix in SUFFIXES[kind]}


def used_metrics(expr: str) -> set[str]:
    return set(re.findall(r"\bjarvis_[a-z0-9_]+\b(?![/.])", expr))  # not a module path (jarvis_agent/…)


def check_expression(expr: str) -> None:
    assert used_metrics(expr) or re.search(r"\bup\{", expr), expr
    unknown = used_metrics(expr) - series_names()
    assert not unknown, f"{unknown} in {expr}"
    for opening, closing in ("()", "[]", "{}"):
        assert expr.count(opening) == expr.count(closing), expr
    assert "_total_total" not in expr and not re.search(r"histogram_quantile\([^,]+,[^)]*_total", expr)


# --- the analytics worker -------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scrape(port: int) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(body) for s in family.samples}


def _wait_for(port: int, ready, proc: subprocess.Popen, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    scraped: dict = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the worker exited"
        try:
            scraped = _scrape(port)
        except OSError:
            scraped = {}
        if scraped and ready(scraped):
            return scraped
        time.sleep(0.3)
    raise AssertionError(f"not ready in {timeout} s: {scraped}")


def _start_worker(db_url: str, redis_url: str, port: int, log: Path) -> subprocess.Popen:
    """`python -m analytics worker` as an operator runs it in a container: metrics on, JSON logs (to `log`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JARVIS_", "PROMETHEUS_"))}
    env |= {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "JARVIS_SENTIMENT_MODEL": "",
            "JARVIS_ANALYTICS_METRICS_PORT": str(port), "LOG_LEVEL": "INFO"}
    with log.open("w") as stderr:
        return subprocess.Popen([sys.executable, "-m", "analytics", "worker", "--sweep-every", "3600",
                                 "--log-format", "json"], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=stderr)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)  # RQ's warm shutdown
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def test_the_analytics_worker_serves_job_queue_and_sweep_metrics_and_logs_json(store, db_url, demo, redis_url,
                                                                                    redis_conn, tmp_path) -> None:
    port, log = _free_port(), tmp_path / "worker.log"
    proc = _start_worker(db_url, redis_url, port, log)
    try:
        # the sweeper beside the worker swept once at start (nothing pending in the demo)
        started = _wait_for(port, lambda s: s.get(("jarvis_analytics_sweeps_total", frozenset())) == 1, proc)
        assert started[("jarvis_analytics_redis_up", frozenset())] == 1
        sid = await persist(store, demo.paris, demo.member, "Franchement c'est nul, je vais résilier.")
        enqueue_session(redis_conn, sid)
        enqueue_session(redis_conn, uuid.uuid4())  # a session that does not exist: completes as "missing"

        def jobs(s: dict, outcome: str) -> float:
            return s.get(("jarvis_analytics_jobs_total", frozenset({("outcome", outcome)})), 0.0)

        done = _wait_for(port, lambda s: jobs(s, "done") + jobs(s, "missing") == 2, proc)
        assert (jobs(done, "done"), jobs(done, "missing"), jobs(done, "failed")) == (1, 1, 0)
        assert done[("jarvis_analytics_job_duration_seconds_count", frozenset())] == 2
        assert done[("jarvis_analytics_queue_depth", frozenset())] == 0
        assert done[("jarvis_analytics_queue_jobs", frozenset({("registry", "failed")}))] == 0
    finally:
        _stop(proc)
    stderr = log.read_text()
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is JSON
    assert all({"level", "name", "message", "timestamp"} <= r.keys() for r in records)
    assert any(r["name"] == "rq.worker" and "Job OK" in r["message"] for r in records)
    assert not any("\x1b[" in r["message"] for r in records)
    assert demo.member_badge not in stderr and "résilier" not in stderr


def test_the_queue_is_measured_in_redis_at_scrape_time(redis_conn) -> None:
    queue = Queue(QUEUE, connection=redis_conn)
    for _ in range(3):
        queue.enqueue("analytics.process_session", str(uuid.uuid4()))
    families = {f.name: f for f in QueueCollector(redis_conn).collect()}
    assert families["jarvis_analytics_queue_depth"].samples[0].value == 3
    assert families["jarvis_analytics_redis_up"].samples[0].value == 1
    assert {s.labels["registry"]: s.value for s in families["jarvis_analytics_queue_jobs"].samples} == \
        {"started": 0, "scheduled": 0, "failed": 0}

    down = redis.Redis(unix_socket_path="/nonexistent/redis.sock", socket_connect_timeout=0.5)
    families = {f.name: f for f in QueueCollector(down).collect()}  # the scrape still answers, Redis said down
    assert set(families) == {"jarvis_analytics_redis_up"}
    assert families["jarvis_analytics_redis_up"].samples[0].value == 0


def test_a_sweep_report_is_counted() -> None:
    def sample(metric: MetricWrapperBase, **labels: str) -> float:
        families = list(metric.collect())
        return sum(s.value for s in families[0].samples if s.name.endswith("_total") and
                   all(s.labels.get(k) == v for k, v in labels.items()))

    before = (sample(SWEEPS), sample(SWEPT, outcome="enqueued"), sample(SWEPT, outcome="abandoned_closed"))
    count_sweep(SweepReport(claimed=4, enqueued=3, left_pending=1, abandoned_closed=2))
    after = (sample(SWEEPS), sample(SWEPT, outcome="enqueued"), sample(SWEPT, outcome="abandoned_closed"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 3, 2]


# --- JSON logs ------------------------------------------------------------------------------------------------------

def test_json_log_lines_carry_level_name_message_extras_and_tracebacks() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord("token_server.kiosk", logging.INFO, __file__, 1, "kiosk session %s opened (%s)",
                               ("s-1", "\x1b[32mvisitor\x1b[39;49;00m"), None)
    record.session_id = "s-1"  # as logger.info(..., extra={"session_id": ...}) sets it
    line = json.loads(formatter.format(record))
    assert (line["level"], line["name"], line["message"], line["session_id"]) == \
        ("INFO", "token_server.kiosk", "kiosk session s-1 opened (visitor)", "s-1")
    assert line["pid"] == os.getpid() and line["timestamp"].endswith("+00:00")
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("analytics.jobs", logging.ERROR, __file__, 1, "job failed", (), sys.exc_info())
    line = json.loads(formatter.format(failed))
    assert "\n" not in formatter.format(failed) and "ValueError: boom" in line["exc_info"]


def test_the_logging_config_is_the_same_for_uvicorn_and_the_app() -> None:
    config = logging_config("debug", "json")
    assert config["formatters"]["jarvis"]["()"] == "jarvis_agent.logs.JsonFormatter"
    assert config["root"] == {"level": "DEBUG", "handlers": ["jarvis"]}
    assert all(config["loggers"][n]["handlers"] == [] and config["loggers"][n]["propagate"]
               for n in ("uvicorn", "uvicorn.access"))
    assert config["loggers"]["uvicorn.access"]["filters"] == ["no_client_address"]
    assert config["loggers"]["httpx"] == {"level": "WARNING"}  # request URLs stay out of INFO logs
    assert "format" in logging_config("INFO", "text")["formatters"]["jarvis"]


# --- deploy files ---------------------------------------------------------------------------------------------------

def test_the_grafana_dashboard_queries_only_metrics_the_code_defines() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "jarvis.json").read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["schemaVersion"] >= 36
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    used: set[str] = set()
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys() and panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            check_expression(target["expr"])
            used |= used_metrics(target["expr"])
    # the panels the operators asked for
    for metric in ("jarvis_active_sessions", "jarvis_turn_latency_seconds_bucket", "jarvis_tool_errors_total",
                   "jarvis_provider_errors_total", "jarvis_fallback_switches_total",
                   "jarvis_token_server_requests_total", "jarvis_token_server_request_duration_seconds_bucket",
                   "jarvis_token_server_rate_limited_total", "jarvis_analytics_queue_depth",
                   "jarvis_analytics_jobs_total", "jarvis_tts_queue_depth", "jarvis_tts_first_chunk_seconds_bucket"):
        assert metric in used, metric


def test_the_prometheus_config_scrapes_the_four_services_and_loads_the_alerts() -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"] and (DEPLOY / "prometheus" / "alerts.yml").exists()
    targets = {job["job_name"]: [t for c in job["static_configs"] for t in c["targets"]]
               for job in config["scrape_configs"]}
    assert targets == {name: [target] for name, target in JOBS.items()}
    assert all(job.get("metrics_path", "/metrics") == "/metrics" for job in config["scrape_configs"])


def test_every_alert_is_well_formed_and_watches_a_metric_the_code_defines() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = {r["alert"]: r for group in rules["groups"] for r in group["rules"]}
    for name, rule in alerts.items():
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, name
        assert rule["labels"]["severity"] in ("warning", "critical"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0m")), name
        check_expression(rule["expr"])
    exprs = {name: rule["expr"] for name, rule in alerts.items()}
    assert 'job=~"token-server|agent-worker|analytics-worker|tts-engine"' in exprs["JarvisTargetDown"]
    assert 'status="5xx"' in exprs["TokenServerHighErrorRate"]
    assert "> 0.65" in exprs["TurnLatencyP95AboveTarget"] and "[10m]" in exprs["TurnLatencyP95AboveTarget"]
    assert "jarvis_provider_errors_total" in exprs["AgentProviderErrors"]
    assert "jarvis_analytics_queue_depth" in exprs["AnalyticsQueueGrowing"]
    assert 'outcome="failed"' in exprs["AnalyticsJobsFailing"]
    assert "jarvis_tts_queue_depth" in exprs["TTSQueueBacklog"]
    assert "jarvis_tts_first_chunk_seconds_bucket" in exprs["TTSFirstChunkSlow"]


@pytest.mark.parametrize("path", ["grafana/jarvis.json", "prometheus/alerts.yml", "prometheus/prometheus.yml"])
def test_deploy_files_name_no_metric_outside_the_code(path: str) -> None:
    """Catches a metric named in a comment or annotation that no longer exists, too."""
    text = (DEPLOY / path).read_text()
    known = series_names() | {name for name, _ in defined_metrics()}
    assert used_metrics(text) <= known, used_metrics(text) - known


def test_the_tts_metrics_the_deploy_files_use_are_the_engines() -> None:
    engine = pytest.importorskip("jarvis_agent.tts_engine.engine")
    defined = {(family.name, family.type) for value in vars(engine).values() if isinstance(value, MetricWrapperBase)
               for family in value.describe()}
    assert defined >= TTS_METRICS


def test_no_two_services_define_the_same_metric() -> None:
    names = [name for name, _ in defined_metrics()]
    assert len(names) == len(set(names))
