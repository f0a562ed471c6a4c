"""The one place that hands out the database and the Redis: embedded servers shared between processes and stopped
cleanly, configured services taking over, tracked migrations, and the typed settings."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import psutil
import psycopg
import pytest
import redis
from rq import Queue, SimpleWorker

from jarvis_agent.settings import REPO_ROOT, Settings
from jarvis_agent.store import services
from jarvis_agent.store.embedded import EmbeddedPostgres
from jarvis_agent.store.migrate import list_migrations, migrate, status

from .conftest import MIGRATIONS, _create_database, _drop_database


def run_python(code: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SUPABASE_URL")}
    env["JARVIS_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          cwd=REPO_ROOT, timeout=120)


def postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().splitlines()[0])
    return pid if psutil.pid_exists(pid) else None


# --- migrations --------------------------------------------------------------------------------------------------

def test_migrations_apply_once_and_are_tracked(pg_admin_url: str) -> None:
    url = _create_database(pg_admin_url, "jarvis_migrate_once")
    try:
        files = list_migrations(MIGRATIONS)
        assert migrate(url, MIGRATIONS) == [m.version for m in files]
        assert migrate(url, MIGRATIONS) == []
        assert all(applied for _, _, applied in status(url, MIGRATIONS))
        with psycopg.connect(url) as conn:
            rows = conn.execute("select version, name from supabase_migrations.schema_migrations "
                                "order by version").fetchall()
        assert rows == [(m.version, m.name) for m in files]
    finally:
        _drop_database(pg_admin_url, "jarvis_migrate_once")


def test_concurrent_migrators_wait_for_each_other(pg_admin_url: str) -> None:
    url = _create_database(pg_admin_url, "jarvis_migrate_race")
    try:
        results: list[list[str]] = []
        errors: list[BaseException] = []

        def run() -> None:
            try:
                results.append(migrate(url, MIGRATIONS))
            except BaseException as exc:  # collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=run) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sorted(len(r) for r in results) == [0, 0, len(list_migrations(MIGRATIONS))]
    finally:
        _drop_database(pg_admin_url, "jarvis_migrate_race")


def test_an_edited_applied_migration_is_reported_not_rerun(pg_admin_url: str, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    url = _create_database(pg_admin_url, "jarvis_migrate_edit")
    try:
        copy = tmp_path / "migrations"
        shutil.copytree(MIGRATIONS, copy)
        migrate(url, copy)
        nutrition = next(copy.glob("*_nutrition_tips.sql"))
        nutrition.write_text(nutrition.read_text() + "\n-- edited\n")
        with caplog.at_level(logging.WARNING):
            assert migrate(url, copy) == []
        assert "changed after it was applied" in caplog.text
        (copy / "bad-name.sql").write_text("select 1")
        with pytest.raises(ValueError):
            migrate(url, copy)
    finally:
        _drop_database(pg_admin_url, "jarvis_migrate_edit")


# --- embedded Postgres -------------------------------------------------------------------------------------------

def test_embedded_postgres_is_shared_by_processes_and_stops_with_the_last(server_dir: Path) -> None:
    data_dir = server_dir / "data"
    settings = Settings(_env_file=None, jarvis_data_dir=data_dir)
    server = EmbeddedPostgres(data_dir)
    url = services.database_url(settings)  # starts the server and migrates
    pid = postmaster_pid(server.pgdata)
    assert pid is not None
    child = run_python("""
        from jarvis_agent.store import database_url
        import psycopg, json
        url = database_url()
        with psycopg.connect(url) as conn:
            conn.execute("insert into gyms (slug, name) values ('child-gym', 'Salle du fils')")
            conn.commit()
        print(json.dumps({"url": url}))
    """, data_dir)
    assert child.returncode == 0, child.stderr
    assert json.loads(child.stdout.strip().splitlines()[-1])["url"] == url
    assert postmaster_pid(server.pgdata) == pid  # the child attached; its exit did not stop the server
    with psycopg.connect(url) as conn:
        assert conn.execute("select name from gyms where slug = 'child-gym'").fetchone() == ("Salle du fils",)
    services.stop_embedded()
    assert postmaster_pid(server.pgdata) is None  # last user gone: stopped


def test_a_killed_process_does_not_keep_the_server_alive(server_dir: Path) -> None:
    server = EmbeddedPostgres(server_dir / "data")
    server.start()
    handles = server.pgdata / ".handle_pids.json"
    pids = json.loads(handles.read_text())
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    handles.write_text(json.dumps([*pids, dead.pid]))  # as if a process died with kill -9 while attached
    again = EmbeddedPostgres(server_dir / "data")
    again.start()
    assert dead.pid not in json.loads(handles.read_text())
    server.stop()
    assert postmaster_pid(server.pgdata) is None


def test_configured_database_url_wins(ro_db_url: str, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_url=ro_db_url, jarvis_data_dir=tmp_path / "unused")
    assert services.database_url(settings) == ro_db_url
    assert not (tmp_path / "unused").exists()  # no embedded server was started


# --- embedded Redis and RQ ---------------------------------------------------------------------------------------

def test_embedded_redis_is_shared_and_runs_rq_jobs(server_dir: Path) -> None:
    data_dir = server_dir / "data"
    settings = Settings(_env_file=None, jarvis_data_dir=data_dir)
    url = services.redis_url(settings)
    assert url.startswith("unix://")
    conn = redis.Redis.from_url(url)
    conn.set("jarvis:test", "bonjour")
    child = run_python("""
        from jarvis_agent.store import redis_connection
        r = redis_connection()
        print(r.get("jarvis:test").decode())
        r.set("jarvis:child", "salut")
    """, data_dir)
    assert child.returncode == 0, child.stderr
    assert child.stdout.strip().splitlines()[-1] == "bonjour"
    assert conn.get("jarvis:child") == b"salut"
    queue = Queue("analytics", connection=conn)
    job = queue.enqueue("operator.mul", 6, 7)
    SimpleWorker([queue], connection=conn).work(burst=True)
    assert job.return_value() == 42
    conn.close()
    services.stop_embedded()
    assert not Path(url.removeprefix("unix://")).exists()  # last client gone: redis-server shut down


def test_configured_redis_url_wins(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, redis_url="redis://redis.internal:6379/2", jarvis_data_dir=tmp_path / "x")
    assert services.redis_url(settings) == "redis://redis.internal:6379/2"
    assert not (tmp_path / "x").exists()


# --- settings ----------------------------------------------------------------------------------------------------

def test_settings_read_the_environment_and_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgresql://u@db/jarvis\nSUPABASE_SERVICE_ROLE_KEY=very-secret\n"
                        "REDIS_URL=\nDB_POOL_MAX_SIZE=25\n")
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "30")
    settings = Settings(_env_file=env_file)
    assert settings.database_url == "postgresql://u@db/jarvis"
    assert settings.redis_url is None  # empty means unset
    assert settings.db_pool_max_size == 30  # the environment beats .env
    assert "very-secret" not in repr(settings) and "very-secret" not in str(settings.model_dump())
    assert settings.supabase_service_role_key.get_secret_value() == "very-secret"


@pytest.mark.parametrize(("values", "kind"), [
    ({}, "postgres"),
    ({"supabase_url": "https://x.supabase.co", "supabase_service_role_key": "k"}, "supabase"),
    ({"supabase_url": "https://x.supabase.co", "supabase_service_role_key": "k", "database_url": "postgresql://x"},
     "postgres"),
    ({"jarvis_store": "supabase"}, "supabase")])
def test_store_kind(values: dict, kind: str) -> None:
    assert Settings(_env_file=None, **values).store_kind == kind


def test_settings_reject_nonsense(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "0")
    with pytest.raises(ValueError):
        Settings(_env_file=None)
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "5")
    monkeypatch.setenv("JARVIS_STORE", "mongodb")
    with pytest.raises(ValueError):
        Settings(_env_file=None)


def test_env_example_documents_every_setting() -> None:
    documented = {line.split("=", 1)[0].lstrip("# ").strip()
                  for line in (REPO_ROOT / ".env.example").read_text().splitlines() if "=" in line}
    assert {name.upper() for name in Settings.model_fields} <= documented
