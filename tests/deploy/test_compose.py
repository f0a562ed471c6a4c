"""The reference stack (deploy/compose.yaml), checked without Docker: it is valid against the Compose Specification's
JSON schema, everything it mounts or builds exists, its build targets are stages of the Dockerfile, every variable
it uses is in deploy/.env.example, LiveKit's keys agree, the agent reserves a GPU, and the settings the Jarvis
containers get are valid.

The schema is the compose-spec one that check-jsonschema (dev extra) ships in its vendored schemas
(check_jsonschema/builtin_schemas/vendor/compose-spec.json, from github.com/compose-spec/compose-spec,
Apache-2.0): no network at test time."""

from __future__ import annotations

import importlib.resources
import json
import re
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml

from jarvis_agent.settings import REPO_ROOT, Settings

from .files import COMPOSE, DEPLOY, ENV_EXAMPLE, Reference, dotenv, interpolate, stage_map, stages, strings

JARVIS_SERVICES = ("token-server", "agent", "analytics", "agent-cpu")
OBSERVABILITY_FILES = ("prometheus/prometheus.yml", "prometheus/alerts.yml", "grafana/jarvis.json")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def env_example() -> tuple[dict[str, str], set[str]]:
    return dotenv(ENV_EXAMPLE)


def test_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendor / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose)]
    assert not errors


def test_the_schema_check_catches_mistakes() -> None:
    """The validator is not a rubber stamp: a misspelt key and a wrong type are each reported."""
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendor / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    misspelt = yaml.safe_load(COMPOSE.read_text())
    misspelt["services"]["redis"]["helthcheck"] = {"test": ["CMD", "true"]}
    assert any("helthcheck" in e.message for e in validator.iter_errors(misspelt))
    mistyped = yaml.safe_load(COMPOSE.read_text())
    mistyped["services"]["agent"]["deploy"]["resources"]["reservations"]["devices"][0]["count"] = ["one"]
    assert list(validator.iter_errors(mistyped))


def bind_sources(service: dict[str, Any]) -> list[str]:
    out = []
    for volume in service.get("volumes", []):
        source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
        if source.startswith((".", "/")):
            out.append(source)
    return out


def test_everything_mounted_or_built_exists(compose: dict[str, Any]) -> None:
    missing = []
    for name, service in compose["services"].items():
        for source in bind_sources(service):
            if not (DEPLOY / source).exists():
                missing.append(f"{name}: {source}")
        if build := service.get("build"):
            context = DEPLOY / (build if isinstance(build, str) else build.get("context", "."))
            dockerfile = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
            if not dockerfile.is_file():
                missing.append(f"{name}: {dockerfile}")
        env_files = service.get("env_file", [])
        for env_file in [env_files] if isinstance(env_files, str) else env_files:
            path = env_file if isinstance(env_file, str) else env_file["path"]
            # deploy/.env is the operator's copy of deploy/.env.example, kept out of git
            if not (DEPLOY / path).exists() and not (DEPLOY / f"{path}.example").exists():
                missing.append(f"{name}: {path}")
    assert not missing


def test_the_operators_env_file_stays_out_of_git() -> None:
    result = subprocess.run(["git", "check-ignore", "-q", "deploy/.env"], cwd=REPO_ROOT, check=False)
    if result.returncode == 128:
        pytest.skip("not a git checkout")
    assert result.returncode == 0, "deploy/.env (the operator's secrets) would be committed"


def test_build_targets_are_dockerfile_stages(compose: dict[str, Any]) -> None:
    targets = {name: s["build"]["target"] for name, s in compose["services"].items() if "build" in s}
    assert set(targets) == set(JARVIS_SERVICES)
    assert set(targets.values()) <= set(stage_map(stages()))
    assert targets["agent"] == "agent-gpu" and targets["agent-cpu"] == "agent-cpu"


def test_every_variable_is_in_the_env_template(compose: dict[str, Any],
                                                env_example: tuple[dict[str, str], set[str]]) -> None:
    values, documented = env_example
    refs: list[Reference] = []
    for text in strings(compose):
        interpolate(text, values, refs)
    used = {r.name for r in refs}
    for service in compose["services"].values():  # `NAME:` with no value: passed from deploy/.env when set there
        environment = service.get("environment", {})
        used |= ({k for k, v in environment.items() if v is None} if isinstance(environment, dict)
                 else {e for e in environment if "=" not in e})
    assert used - (set(values) | documented) == set(), "used by compose.yaml, not in deploy/.env.example"
    required = {r.name for r in refs if not r.has_default}
    assert required - set(values) == set(), "used without a default, yet only commented out in .env.example"


def test_the_template_holds_no_real_secret(env_example: tuple[dict[str, str], set[str]]) -> None:
    values, _ = env_example
    for name in ("GROQ_API_KEY", "LIVEKIT_API_SECRET", "POSTGRES_PASSWORD", "SUPABASE_JWT_SECRET",
                 "GRAFANA_ADMIN_PASSWORD"):
        assert "change-me" in values[name], f"{name} must be a visible placeholder"


def test_livekit_keys_match_the_env_template(env_example: tuple[dict[str, str], set[str]],
                                             compose: dict[str, Any]) -> None:
    values, _ = env_example
    config = yaml.safe_load((DEPLOY / "livekit.yaml").read_text())
    assert config["keys"] == {values["LIVEKIT_API_KEY"]: values["LIVEKIT_API_SECRET"]}
    assert len(values["LIVEKIT_API_SECRET"]) >= 32  # livekit-server complains below that outside --dev
    # the server also gets the pair of deploy/.env (LIVEKIT_KEYS replaces the file's keys: one place to change it)
    keys = interpolate(compose["services"]["livekit"]["environment"]["LIVEKIT_KEYS"], values)
    assert yaml.safe_load(keys) == config["keys"]


def test_livekit_runs_on_the_host_network_with_its_redis(compose: dict[str, Any]) -> None:
    """LiveKit on the host's network (WebRTC sees the host's addresses); its Redis is the stack's, published on the
    host's loopback; the containers that talk to it reach the host as host.docker.internal."""
    config = yaml.safe_load((DEPLOY / "livekit.yaml").read_text())
    livekit = compose["services"]["livekit"]
    assert livekit["network_mode"] == "host" and "ports" not in livekit
    assert (config["port"], config["rtc"]["tcp_port"], config["rtc"]["udp_port"]) == (7880, 7881, 7882)
    mounted = {v.split(":")[1] for v in livekit["volumes"]}
    assert livekit["command"][livekit["command"].index("--config") + 1] in mounted
    assert config["redis"]["address"] == "127.0.0.1:6379"
    assert "127.0.0.1:6379:6379" in compose["services"]["redis"]["ports"]
    for name in ("agent", "agent-cpu", "caddy", "prometheus"):
        assert "host.docker.internal:host-gateway" in compose["services"][name]["extra_hosts"], name
    url = compose["x-jarvis-environment"]["LIVEKIT_URL"]
    assert interpolate(url, {}) == f"ws://host.docker.internal:{config['port']}"


def test_the_agent_reserves_a_gpu(compose: dict[str, Any]) -> None:
    devices = compose["services"]["agent"]["deploy"]["resources"]["reservations"]["devices"]
    assert any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
    assert "deploy" not in compose["services"]["agent-cpu"]


def test_dependencies_and_profiles(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        depends = service.get("depends_on", [])
        assert set(depends) <= set(services), f"{name} depends on an unknown service"
    default = {n for n, s in services.items() if not s.get("profiles")}
    assert {"livekit", "redis", "postgres", "token-server", "agent", "analytics"} <= default
    assert services["prometheus"]["profiles"] == services["grafana"]["profiles"] == ["observability"]


def test_the_observability_profile_mounts_the_shared_files(compose: dict[str, Any]) -> None:
    mounted = {s for name in ("prometheus", "grafana") for s in bind_sources(compose["services"][name])}
    assert {f"./{f}" for f in OBSERVABILITY_FILES} <= mounted


def scrape_targets(config: dict[str, Any]) -> list[str]:
    return [t for job in config.get("scrape_configs", []) for sc in job.get("static_configs", [])
            for t in sc.get("targets", [])]


def test_prometheus_scrapes_services_of_the_stack(compose: dict[str, Any]) -> None:
    """Every static target of deploy/prometheus/prometheus.yml is host:port of a service of this stack (the TTS
    engine runs inside the agent container: agent:8790)."""
    path = DEPLOY / "prometheus" / "prometheus.yml"
    if not path.exists():
        pytest.fail(f"{path.relative_to(REPO_ROOT)} is missing (the observability profile mounts it)")
    targets = scrape_targets(yaml.safe_load(path.read_text()))
    hosts = {t.rsplit(":", 1)[0] for t in targets}
    assert hosts - set(compose["services"]) - {"localhost", "127.0.0.1", "host.docker.internal"} == set()


def container_settings(service: dict[str, Any], values: dict[str, str]) -> dict[str, str]:
    """What a Jarvis container's environment is with deploy/.env = deploy/.env.example: env_file, then
    `environment` over it."""
    env = dict(values)
    for key, raw in service.get("environment", {}).items():
        env[key] = interpolate(str(raw), values)
    return env


@pytest.mark.parametrize("name", JARVIS_SERVICES)
def test_jarvis_containers_get_valid_settings(compose: dict[str, Any], name: str,
                                              env_example: tuple[dict[str, str], set[str]]) -> None:
    values, _ = env_example
    env = container_settings(compose["services"][name], values)
    fields = set(Settings.model_fields)
    unknown = [k for k in env if k.startswith("JARVIS_") and k.lower() not in fields]
    assert not unknown, f"{name}: not Jarvis settings: {unknown}"
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k.lower() in fields})
    assert settings.store_kind == "postgres"
    assert settings.database_url == f"postgresql://jarvis:{values['POSTGRES_PASSWORD']}@postgres:5432/jarvis"
    assert settings.redis_url == "redis://redis:6379/0" and settings.livekit_url == "ws://host.docker.internal:7880"
    assert settings.livekit_api_key == values["LIVEKIT_API_KEY"]
    assert settings.log_format == "json"


def test_the_token_server_is_published_on_loopback_only(compose: dict[str, Any]) -> None:
    """It trusts X-Forwarded-For from anyone (JARVIS_TRUSTED_PROXIES=*): only a proxy or the host may reach it."""
    for name in ("token-server", "redis"):
        assert all(str(p).startswith("127.0.0.1:") for p in compose["services"][name]["ports"]), name
    for name in ("postgres", "agent", "analytics", "agent-cpu"):
        assert "ports" not in compose["services"][name], f"{name} must not be published"


def test_the_caddyfile_proxies_to_services_of_the_stack(compose: dict[str, Any]) -> None:
    upstreams = re.findall(r"reverse_proxy\s+([\w.-]+):(\d+)", (DEPLOY / "Caddyfile").read_text())
    assert set(upstreams) == {("token-server", "8080"), ("host.docker.internal", "7880")}
    assert "host.docker.internal:host-gateway" in compose["services"]["caddy"]["extra_hosts"]


def test_deployment_guide_commands_name_real_paths() -> None:
    guide = (REPO_ROOT / "DEPLOYMENT.md").read_text()
    for path in re.findall(r"(deploy/[\w./-]+\.(?:yaml|yml|json|example|py))", guide):
        assert (REPO_ROOT / PurePosixPath(path)).exists() or path.endswith(OBSERVABILITY_FILES), path
    assert "docker compose -f deploy/compose.yaml up -d" in guide
    assert "python -m token_server kiosk create --gym" in guide
    assert Path(REPO_ROOT / "deploy" / ".env.example").exists()
