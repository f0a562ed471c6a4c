"""Load a generated demo into Postgres in one transaction, with COPY (visits streamed, never held in memory)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from . import catalog
from .generator import DemoGenerator

logger = logging.getLogger(__name__)

STRUCTURE = ["gyms", "gym_managers", "coaches", "coach_schedules", "class_timetable", "group_classes", "equipment",
             "exercises", "video_library", "faq", "events", "gym_members"]
ACTIVITY = ["class_enrollments", "coach_appointments", "training_programs", "achievements", "voice_sessions",
            "jarvis_interactions", "member_feedback", "manager_missions", "manager_notifications"]
DEMO_SLUGS = [g.slug for g in catalog.GYMS]
_VISITS_CHUNK = 20_000


class AlreadySeeded(RuntimeError):
    pass


@dataclass
class SeedReport:
    members: int
    visits: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    gyms: list[str] = field(default_factory=list)


def _copy_rows(conn: psycopg.Connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    with conn.cursor().copy(f"copy public.{table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row([Jsonb(v) if isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))
                            else v for v in row])


def _ts(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S+00")


def demo_present(conn: psycopg.Connection) -> bool:
    return conn.execute("select exists (select 1 from public.gyms where slug = any(%s))", (DEMO_SLUGS,)).fetchone()[0]


def seed_demo(url: str, *, members: int = 2000, seed: int = 7, as_of: datetime | None = None,
              visits: int | None = None, reset: bool = False) -> SeedReport:
    """Generate and load the demo gyms. Refuses when they exist, unless `reset` (which deletes them first)."""
    started = time.perf_counter()
    generator = DemoGenerator(members=members, seed=seed, as_of=as_of or datetime.now(UTC), visits=visits)
    data = generator.generate()
    counts: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        if demo_present(conn):
            if not reset:
                raise AlreadySeeded("the demo gyms are already in this database (use --reset to replace them)")
            conn.execute("delete from public.gyms where slug = any(%s)", (DEMO_SLUGS,))
        for table in STRUCTURE:
            columns, rows = data.rows[table]
            _copy_rows(conn, table, columns, rows)
            counts[table] = len(rows)
        n_visits = 0
        with conn.cursor().copy(
                "copy public.visit_history (gym_id, member_id, checked_in_at, checked_out_at) from stdin") as copy:
            buffer: list[str] = []
            for member in data.members:
                prefix = f"{data.gym_ids[member.gym_index]}\t{member.id}\t"
                for checked_in, checked_out in generator.visits(member):
                    buffer.append(f"{prefix}{_ts(checked_in)}\t{_ts(checked_out) if checked_out else chr(92) + 'N'}\n")
                if len(buffer) >= _VISITS_CHUNK:
                    copy.write("".join(buffer))
                    n_visits += len(buffer)
                    buffer.clear()
            copy.write("".join(buffer))
            n_visits += len(buffer)
        counts["visit_history"] = n_visits
        generator.activity()
        for table in ACTIVITY:
            if table in data.rows:
                columns, rows = data.rows[table]
                _copy_rows(conn, table, columns, rows)
                counts[table] = len(rows)
        # Loading the timetable rewound the materialisation watermark (see sync_timetable): the dated classes above
        # already cover four weeks ahead.
        conn.execute("update public.gyms set classes_materialized_until = %s where id = any(%s)",
                     (generator.today + timedelta(days=28), data.gym_ids))
        for gym_id in data.gym_ids:
            for period in _leaderboard_periods(generator):
                conn.execute("select public.refresh_leaderboard(%s, %s)", (gym_id, period))
        conn.execute("analyze")
        conn.commit()
        conn.autocommit = True  # a fresh bulk load: set the visibility map so index-only scans skip the heap
        conn.execute("vacuum visit_history")
    report = SeedReport(members=members, visits=n_visits, seconds=round(time.perf_counter() - started, 2),
                        counts=counts, gyms=DEMO_SLUGS)
    logger.info("demo seeded: %s members, %s visits in %.1f s", members, n_visits, report.seconds)
    return report


def _leaderboard_periods(generator: DemoGenerator) -> list[str]:
    first = generator.today.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return [previous.strftime("%Y-%m"), first.strftime("%Y-%m")]
