"""Churn risk: XGBoost with calibrated probabilities, per-member factors from XGBoost contributions, French labels
and recommendations.

The model is two files, no pickle: the booster (`booster.json`, XGBoost's own format) and an isotonic calibration
learnt on out-of-fold predictions (`calibration.json`: thresholds interpolated with numpy), plus `meta.json` (version,
features, metrics, training data) and a model card. The cold-start model ships in `analytics/models/churn-public-v1/`
and `python -m analytics train` rebuilds it.

Levels (documented thresholds on the calibrated probability): LOW < 0.25 ≤ MEDIUM < 0.5 ≤ HIGH < 0.75 ≤ CRITICAL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

from .explain import Factor, describe
from .features import FEATURES

MODELS_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL = MODELS_DIR / "churn-public-v1"
EXACT_CONTRIBUTIONS_UP_TO = 200
LEVELS = ((0.75, "CRITICAL"), (0.5, "HIGH"), (0.25, "MEDIUM"), (0.0, "LOW"))
PARAMS = {"n_estimators": 300, "max_depth": 4, "learning_rate": 0.05, "subsample": 0.9, "colsample_bytree": 0.9,
          "min_child_weight": 2, "reg_lambda": 1.0, "eval_metric": "logloss", "tree_method": "hist", "n_jobs": 2}


def level(score: float) -> str:
    return next(name for threshold, name in LEVELS if score >= threshold)


def _classifier(seed: int) -> xgb.XGBClassifier:
    return xgb.XGBClassifier(**PARAMS, random_state=seed)


def cross_validate(x: np.ndarray, y: np.ndarray, *, folds: int = 5, seed: int = 7) -> tuple[dict[str, float],
                                                                                             np.ndarray]:
    """5-fold out-of-fold predictions → ROC-AUC, PR-AUC and Brier score (of the calibrated probabilities: each
    fold's isotonic map is learnt inside its training part)."""
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        inner = np.zeros(len(train))
        for a, b in StratifiedKFold(3, shuffle=True, random_state=seed).split(x[train], y[train]):
            inner[b] = _classifier(seed).fit(x[train][a], y[train][a]).predict_proba(x[train][b])[:, 1]
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(inner, y[train])
        raw = _classifier(seed).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
        oof[test] = iso.predict(raw)
    metrics = {"roc_auc": float(roc_auc_score(y, oof)), "pr_auc": float(average_precision_score(y, oof)),
               "brier": float(brier_score_loss(y, oof))}
    return metrics, oof


@dataclass
class Score:
    member_id: str
    score: float
    level: str
    factors: list[Factor]

    def as_row(self) -> dict[str, Any]:
        """What `set_member_churn` takes."""
        return {"member_id": self.member_id, "score": round(self.score, 4), "level": self.level,
                "factors": [{"feature": f.feature, "value": f.value, "contribution": round(f.contribution, 4),
                             "label": f.label, "recommendation": f.recommendation} for f in self.factors]}


class ChurnModel:
    def __init__(self, booster: xgb.Booster, thresholds: np.ndarray, values: np.ndarray, meta: dict[str, Any]):
        self.booster, self.thresholds, self.values, self.meta = booster, thresholds, values, meta

    @property
    def version(self) -> str:
        return self.meta["version"]

    @classmethod
    def train(cls, x: np.ndarray, y: np.ndarray, *, version: str, data: str, seed: int = 7) -> ChurnModel:
        metrics, _ = cross_validate(x, y, seed=seed)
        raw_oof = np.zeros(len(y))  # the calibration of the final model: uncalibrated out-of-fold scores
        for a, b in StratifiedKFold(5, shuffle=True, random_state=seed).split(x, y):
            raw_oof[b] = _classifier(seed).fit(x[a], y[a]).predict_proba(x[b])[:, 1]
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(raw_oof, y)
        booster = _classifier(seed).fit(x, y).get_booster()
        meta = {"version": version, "features": list(FEATURES), "trained_at": datetime.now(UTC).isoformat(),
                "data": data, "rows": len(y), "positives": int(y.sum()), "cv_metrics": metrics,
                "params": PARAMS, "levels": {name: t for t, name in LEVELS}}
        return cls(booster, np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_), meta)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(directory / "booster.json")
        (directory / "calibration.json").write_text(json.dumps(
            {"thresholds": self.thresholds.tolist(), "values": self.values.tolist()}))
        (directory / "meta.json").write_text(json.dumps(self.meta, indent=2))
        (directory / "model_card.md").write_text(model_card(self.meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path = DEFAULT_MODEL) -> ChurnModel:
        meta = json.loads((directory / "meta.json").read_text())
        if tuple(meta["features"]) != FEATURES:
            raise ValueError(f"{directory}: trained on other features ({meta['features']})")
        booster = xgb.Booster()
        booster.load_model(directory / "booster.json")
        calibration = json.loads((directory / "calibration.json").read_text())
        return cls(booster, np.array(calibration["thresholds"]), np.array(calibration["values"]), meta)

    def predict(self, x: np.ndarray | xgb.DMatrix) -> np.ndarray:
        data = x if isinstance(x, xgb.DMatrix) else xgb.DMatrix(x, missing=np.nan)
        return np.clip(np.interp(self.booster.predict(data), self.thresholds, self.values), 0.0, 1.0)

    def score(self, member_ids: list[str], x: np.ndarray, *, top: int = 3) -> list[Score]:
        """Scores, levels and the top factors raising each member's risk (XGBoost contributions, in log-odds)."""
        if not len(member_ids):
            return []
        data = xgb.DMatrix(x, missing=np.nan)
        probabilities = self.predict(data)
        # exact TreeSHAP costs ~0.1 ms per member; batches use Saabas' approximation (20x faster, same top factor
        # for ~85 % of members), one member after a session gets the exact values
        approx = len(member_ids) > EXACT_CONTRIBUTIONS_UP_TO
        contributions = self.booster.predict(data, pred_contribs=True, approx_contribs=approx)[:, :-1]
        scores = []
        for i, member_id in enumerate(member_ids):
            order = np.argsort(-contributions[i])
            factors = [describe(FEATURES[j], None if np.isnan(x[i, j]) else float(x[i, j]),
                                float(contributions[i, j])) for j in order[:top] if contributions[i, j] > 0.05]
            scores.append(Score(member_id, float(probabilities[i]), level(float(probabilities[i])),
                                [f for f in factors if f is not None]))
        return scores


def model_card(meta: dict[str, Any]) -> str:
    m = meta["cv_metrics"]
    return f"""# Model card — {meta['version']}

- **What:** probability that a gym member leaves the following month (churn), calibrated (isotonic on out-of-fold
  predictions), with per-member factors from XGBoost contributions. Used for every Jarvis gym until it is retrained
  on the gym's own history.
- **Data:** {meta['data']}; {meta['rows']} members, {meta['positives']} churned.
- **Features:** {', '.join(meta['features'])}. The last three exist only in Jarvis's database and are missing in the
  public data: this model scores on the first seven.
- **Model:** XGBoost {xgb.__version__} (`booster.json`), parameters in `meta.json`; calibration in `calibration.json`.
- **Metrics (5-fold stratified cross-validation, calibrated):** ROC-AUC {m['roc_auc']:.3f}, PR-AUC {m['pr_auc']:.3f},
  Brier score {m['brier']:.4f}.
- **Levels:** LOW < 0.25 ≤ MEDIUM < 0.5 ≤ HIGH < 0.75 ≤ CRITICAL.
- **Trained:** {meta['trained_at'][:10]} — reproduce with `python -m analytics train`.
- **Limits:** one chain's members (the public dataset), not French gyms; the database-only signals (days since the
  last visit, kiosk sentiment, negative feedback) carry no weight until a gym-trained model exists.
"""
