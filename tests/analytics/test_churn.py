"""Churn: the cold-start model on the public dataset, its factors in French, batch scoring against the real
database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analytics.churn import DEFAULT_MODEL, ChurnModel, level
from analytics.features import FEATURES, load_public_dataset, matrix
from analytics.scoring import score_members
from jarvis_agent.settings import REPO_ROOT

from ..conftest import sql

DATASET = REPO_ROOT.parent / "shared" / "data" / "gym_churn_us.csv"
needs_dataset = pytest.mark.skipif(not DATASET.exists(), reason=f"{DATASET} is not there (../shared/data)")


@needs_dataset
def test_evaluate_on_the_public_dataset_reaches_an_roc_auc_of_097() -> None:
    done = subprocess.run([sys.executable, "-m", "analytics", "evaluate", "--dataset", str(DATASET)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["rows"] == 4000 and metrics["folds"] == 5
    assert metrics["roc_auc"] >= 0.97
    assert metrics["pr_auc"] > 0.9 and metrics["brier"] < 0.07


def test_a_file_that_is_not_the_dataset_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not the gym churn dataset"):
        load_public_dataset(bad)
    done = subprocess.run([sys.executable, "-m", "analytics", "evaluate", "--dataset", str(bad)], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not the gym churn dataset" in done.stderr


def test_the_shipped_model_and_its_card() -> None:
    model = ChurnModel.load(DEFAULT_MODEL)
    assert model.version == "churn-public-v1" and model.meta["cv_metrics"]["roc_auc"] >= 0.97
    card = (DEFAULT_MODEL / "model_card.md").read_text()
    assert "ROC-AUC" in card and "gym_churn_us.csv" in card


def test_levels_follow_the_documented_thresholds() -> None:
    assert [level(s) for s in (0.0, 0.249, 0.25, 0.49, 0.5, 0.74, 0.75, 1.0)] == \
        ["LOW", "LOW", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "CRITICAL", "CRITICAL"]


def test_a_drifting_member_scores_higher_with_french_factors_and_recommendations() -> None:
    model = ChurnModel.load()
    members = [
        {"member_id": "drifting", "contract_period": 1, "months_to_end_contract": 0, "months_since_joining": 1,
         "visits_per_week": 0.8, "visits_per_week_30d": 0.0, "group_participation": 0, "age": 24,
         "days_since_last_visit": 18},
        {"member_id": "regular", "contract_period": 12, "months_to_end_contract": 9, "months_since_joining": 26,
         "visits_per_week": 3.1, "visits_per_week_30d": 3.0, "group_participation": 1, "age": 35,
         "days_since_last_visit": 1},
    ]
    drifting, regular = model.score([m["member_id"] for m in members], matrix(members))
    assert drifting.score > 0.75 > 0.25 > regular.score
    assert (drifting.level, regular.level) == ("CRITICAL", "LOW")
    labels = [f.label for f in drifting.factors]
    assert 1 <= len(labels) <= 3 and all(f.recommendation for f in drifting.factors)
    assert set(labels) & {"contrat au mois", "aucune visite ces 30 derniers jours", "contrat qui se termine ce mois-ci",
                          "nouveau membre (moins d'un mois)", "ne participe à aucun cours collectif"}
    assert np.all(np.diff([f.contribution for f in drifting.factors]) <= 0)  # strongest first


async def test_batch_scoring_writes_every_active_member_of_the_gym(store, db_url, demo) -> None:
    model = ChurnModel.load()
    progress: list[tuple[int, int]] = []
    scores = await score_members(store, model, demo.paris, progress=lambda d, t: progress.append((d, t)))
    (active,), = sql(db_url, "select count(*) from gym_members where gym_id = %s and is_active", demo.paris)
    assert len(scores) == active and progress[-1] == (active, active)
    (scored, version, lyon), = sql(
        db_url, "select count(*) filter (where gym_id = %s and churn_scored_at > now() - interval '1 minute'), "
                "min(churn_model_version) filter (where gym_id = %s), "
                "count(*) filter (where gym_id = %s and churn_scored_at > now() - interval '1 minute') "
                "from gym_members", demo.paris, demo.paris, demo.lyon)
    assert (scored, version, lyon) == (active, "churn-public-v1", 0)
    (factors,), = sql(db_url, "select churn_factors from gym_members where id = %s", scores[0].member_id)
    assert factors == scores[0].as_row()["factors"]


async def test_the_features_of_one_member_match_the_database(store, db_url, demo) -> None:
    (one,) = (await store.rpc("member_churn_features", p_gym_id=demo.paris, p_member_id=demo.member))["members"]
    assert set(FEATURES) <= set(one)
    (n30, days, period), = sql(
        db_url, "select count(*) filter (where v.checked_in_at >= now() - interval '30 days'), "
                "(now() at time zone 'Europe/Paris')::date - (max(v.checked_in_at) at time zone 'Europe/Paris')::date,"
                " (select contract_period_months from gym_members where id = %s) "
                "from visit_history v where v.member_id = %s", demo.member, demo.member)
    assert one["visits_per_week_30d"] == pytest.approx(n30 / (30 / 7), abs=1e-3)
    assert one["days_since_last_visit"] == days and one["contract_period"] == period


def test_score_command_refuses_an_unknown_gym(db_url, redis_url) -> None:
    import os
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url}
    done = subprocess.run([sys.executable, "-m", "analytics", "score", "--gym", "nowhere"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "salle" in done.stderr


async def test_training_on_a_gym_own_history(store, db_url, demo, tmp_path: Path) -> None:
    from analytics.training import MIN_CHURNED, train_for_gym

    # more departures than the small test demo has: 40 long-standing members left over the last 11 months
    sql(db_url, "update gym_members m set is_active = false, left_at = current_date - (5 + (x.n %% 11) * 30)::int "
                "from (select id, row_number() over (order by id) as n from gym_members where gym_id = %s and "
                "is_active and joined_at < current_date - 400 limit 40) x where m.id = x.id", demo.paris)
    (left,), = sql(db_url, "select count(*) from gym_members where gym_id = %s and left_at > current_date - 366",
                   demo.paris)
    model = await train_for_gym(store, demo.paris, "paris-bastille", out=tmp_path / "m")
    assert MIN_CHURNED <= model.meta["positives"] <= left
    assert model.meta["rows"] > model.meta["positives"] and 0 <= model.meta["cv_metrics"]["brier"] <= 1
    loaded = ChurnModel.load(tmp_path / "m")
    assert loaded.version.startswith("churn-paris-bastille-") and (tmp_path / "m" / "model_card.md").exists()
    # the gym's own model uses the database-only signals the public data lacks
    assert loaded.booster.get_score(importance_type="gain").keys() - {f"f{i}" for i in range(7)}


def test_training_refuses_a_gym_without_enough_departures(db_url, redis_url, demo, tmp_path: Path) -> None:
    import os

    sql(db_url, "delete from gym_members where gym_id = %s and left_at is not null", demo.lyon)
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "JARVIS_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "analytics", "train", "--gym", "lyon-part-dieu"], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "0 member(s) left in the last 12 months, at least 50 are needed" in done.stderr
    assert not (tmp_path / "models").exists()
