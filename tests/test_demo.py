"""The demo gym generator: deterministic by seed, realistic French data, loaded with COPY, and its CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import psycopg
import pytest

from jarvis_agent.demo import DemoGenerator, seed_demo
from jarvis_agent.demo.loader import DEMO_SLUGS
from jarvis_agent.settings import REPO_ROOT
from jarvis_agent.store.migrate import migrate

from .conftest import MIGRATIONS, _create_database, _drop_database

AS_OF = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def generated(members: int, seed: int) -> tuple[dict, list]:
    generator = DemoGenerator(members=members, seed=seed, as_of=AS_OF)
    data = generator.generate()
    visits = [list(generator.visits(m)) for m in data.members]
    generator.activity()
    return data.rows, visits


def test_same_seed_same_data_other_seed_other_data() -> None:
    rows_a, visits_a = generated(120, seed=3)
    rows_b, visits_b = generated(120, seed=3)
    assert rows_a == rows_b and visits_a == visits_b
    rows_c, visits_c = generated(120, seed=4)
    assert rows_c["gym_members"] != rows_a["gym_members"] and visits_c != visits_a


def test_visits_scale_with_the_requested_total() -> None:
    generator = DemoGenerator(members=300, seed=1, as_of=AS_OF, visits=60_000)
    data = generator.generate()
    total = sum(1 for m in data.members for _ in generator.visits(m))
    assert 45_000 < total < 75_000


def test_the_database_content_is_deterministic(pg_admin_url: str) -> None:
    checksums = []
    for name in ("jarvis_det_a", "jarvis_det_b"):
        url = _create_database(pg_admin_url, name)
        try:
            migrate(url, MIGRATIONS)
            seed_demo(url, members=150, seed=11, as_of=AS_OF)
            with psycopg.connect(url) as conn:
                checksums.append([conn.execute(
                    f"select md5(string_agg(t::text, '|' order by t::text)) from (select {cols} from {table}) t"
                ).fetchone()[0] for table, cols in [
                    ("gym_members", "id, badge_id, first_name, last_name, goal, contract_end, is_active"),
                    ("visit_history", "member_id, checked_in_at, checked_out_at"),
                    ("class_enrollments", "id, class_id, member_id, status"), ("faq", "gym_id, question"),
                    ("voice_sessions", "id, transcript, summary")]])
        finally:
            _drop_database(pg_admin_url, name)
    assert checksums[0] == checksums[1]


def q(url: str, query: str, *args: object) -> object:
    with psycopg.connect(url) as conn:
        return conn.execute(query, args).fetchone()[0]


def test_gyms_and_members_are_french_and_plausible(ro_db_url: str) -> None:
    assert q(ro_db_url, "select count(*) from gyms where timezone = 'Europe/Paris'") >= 2
    assert q(ro_db_url, "select count(*) from gym_members where first_name ~ '[éèëïç]'") > 0
    assert set(q(ro_db_url, "select array_agg(distinct contract_period_months) from gym_members")) == {1, 6, 12}
    youngest, oldest = q(ro_db_url, "select array[min(extract(year from age(birth_date))), "
                                    "max(extract(year from age(birth_date)))] from gym_members")
    assert 16 <= youngest <= 18 and 55 <= oldest <= 71
    assert q(ro_db_url, "select count(*) from (select gym_id, badge_id from gym_members group by 1, 2 "
                        "having count(*) > 1) d") == 0
    assert q(ro_db_url, "select count(distinct goal) from gym_members") == 7
    assert q(ro_db_url, "select count(*) from gym_members where phone !~ '^\\+33 6 39 98'") == 0  # fiction range


def test_twelve_months_of_visits_with_weekly_habits(ro_db_url: str) -> None:
    first, last = q(ro_db_url, "select array[min(checked_in_at), max(checked_in_at)] from visit_history")
    assert (last - first).days >= 330 and last <= datetime.now(UTC)
    by_day = dict(q(ro_db_url, "select array_agg(array[d, n]) from (select extract(isodow from checked_in_at "
                               "at time zone 'Europe/Paris')::int d, count(*)::int n from visit_history group by 1) v"))
    assert by_day[7] < 0.7 * by_day[1]  # Sundays are quieter than Mondays
    night = q(ro_db_url, "select count(*) from visit_history where extract(hour from checked_in_at at time zone "
                         "'Europe/Paris') between 0 and 5")
    assert night == 0
    evening = q(ro_db_url, "select avg((extract(hour from checked_in_at at time zone 'Europe/Paris') "
                           "between 17 and 21)::int) from visit_history")
    assert evening > 0.3
    august, september = q(ro_db_url, "select array[count(*) filter (where extract(month from checked_in_at) = 8), "
                                     "count(*) filter (where extract(month from checked_in_at) = 9)] "
                                     "from visit_history")
    assert august < september  # the summer dip


def test_members_drifting_away_and_members_who_left(ro_db_url: str) -> None:
    drifting = q(ro_db_url, "select count(*) from gym_members m where is_active and "
                            "(select count(*) from visit_history v where v.member_id = m.id and v.checked_in_at "
                            "between now() - interval '150 days' and now() - interval '60 days') >= 8 and "
                            "not exists (select 1 from visit_history v where v.member_id = m.id and "
                            "v.checked_in_at > now() - interval '21 days')")
    assert drifting >= 10
    left = q(ro_db_url, "select count(*) from gym_members where not is_active and left_at is not null")
    assert left >= 60
    assert q(ro_db_url, "select count(*) from visit_history v join gym_members m on m.id = v.member_id "
                        "where m.left_at is not null and (v.checked_in_at at time zone 'Europe/Paris')::date "
                        "> m.left_at") == 0


def test_the_gym_catalogue(ro_db_url: str) -> None:
    assert q(ro_db_url, "select min(n) from (select count(*) n from faq group by gym_id) f") >= 30
    assert q(ro_db_url, "select min(n) from (select count(*) n from coaches group by gym_id) c") >= 6
    assert q(ro_db_url, "select count(*) from coaches where cardinality(specialties) = 0") == 0
    assert q(ro_db_url, "select count(*) from coach_schedules") > 0
    assert q(ro_db_url, "select min(n) from (select count(*) n from class_timetable group by gym_id) t") >= 20
    assert q(ro_db_url, "select count(distinct capacity) from class_timetable") > 3
    statuses = q(ro_db_url, "select array_agg(distinct status) from equipment")
    assert set(statuses) == {"operational", "maintenance", "out_of_order"}
    titles = " ".join(q(ro_db_url, "select array_agg(title) from video_library"))
    for exercise in ("squat", "développé couché", "soulevé de terre", "gainage"):
        assert exercise in titles
    assert q(ro_db_url, "select min(n) from (select count(*) n from events where starts_at > now() "
                        "group by gym_id) e") >= 5
    assert q(ro_db_url, "select count(distinct code) from achievements") >= 5
    assert q(ro_db_url, "select count(distinct period) from leaderboards") == 2
    assert q(ro_db_url, "select count(*) from voice_sessions where summary is not null "
                        "and jsonb_array_length(transcript) > 2") > 10
    assert q(ro_db_url, "select count(*) from gym_managers") == len(DEMO_SLUGS)


def run_cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url, "JARVIS_AUTO_MIGRATE": "true"}
    return subprocess.run([sys.executable, "-m", "jarvis_agent.demo", *args], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=300)


def test_seed_cli(pg_admin_url: str) -> None:
    url = _create_database(pg_admin_url, "jarvis_cli_seed")
    try:
        first = run_cli(url, "seed", "--members", "40", "--seed", "5", "--as-of", "2026-11-20T17:00:00+00:00")
        assert first.returncode == 0, first.stderr
        report = json.loads(first.stdout)
        assert report["members"] == 40 and report["counts"]["gym_members"] == 40
        assert report["visits"] == report["counts"]["visit_history"] > 0
        again = run_cli(url, "seed", "--members", "40")
        assert again.returncode == 2 and "--reset" in again.stderr
        reset = run_cli(url, "seed", "--members", "40", "--seed", "5", "--as-of", "2026-11-20T17:00:00+00:00",
                        "--reset")
        assert reset.returncode == 0 and json.loads(reset.stdout)["counts"] == report["counts"]
        assert q(url, "select count(*) from gym_members") == 40
        bad = run_cli(url, "seed", "--members", "1")
        assert bad.returncode == 2 and "at least 3" in bad.stderr
    finally:
        _drop_database(pg_admin_url, "jarvis_cli_seed")


@pytest.mark.parametrize("members", [0, 2])
def test_generator_needs_one_member_per_gym(members: int) -> None:
    with pytest.raises(ValueError):
        DemoGenerator(members=members)
