"""The churn features shared by the public dataset and a gym's own database, in one fixed order.

Seven map directly onto the public "Model Fitness" dataset (../shared/data/gym_churn_us.csv); three exist only in
Jarvis's database (days since the last visit, the mood of the last kiosk sessions, negative feedback) and are
missing (NaN) in the public rows — XGBoost learns a default direction for missing values, so the cold-start model
scores real members on the seven and a gym-trained model uses all ten.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = (
    "contract_period",         # months: 1, 6, 12
    "months_to_end_contract",
    "months_since_joining",
    "visits_per_week",         # since joining (the last 12 months at most)
    "visits_per_week_30d",
    "group_participation",     # 0/1: group classes in the last 90 days
    "age",
    "days_since_last_visit",   # database only
    "mean_sentiment",          # database only: last 5 kiosk sessions, -1..1
    "negative_feedback",       # database only: negative feedback in the last 90 days
)
PUBLIC_COLUMNS = {
    "contract_period": "Contract_period", "months_to_end_contract": "Month_to_end_contract",
    "months_since_joining": "Lifetime", "visits_per_week": "Avg_class_frequency_total",
    "visits_per_week_30d": "Avg_class_frequency_current_month", "group_participation": "Group_visits", "age": "Age",
}


def load_public_dataset(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from the public CSV, in FEATURES order (database-only features NaN). Raises ValueError on a file that
    is not that dataset."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {*PUBLIC_COLUMNS.values(), "Churn"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: not the gym churn dataset (missing columns: {', '.join(sorted(missing))})")
        rows = list(reader)
    x = np.array([[float(r[PUBLIC_COLUMNS[f]]) if f in PUBLIC_COLUMNS else np.nan for f in FEATURES] for r in rows])
    y = np.array([int(r["Churn"]) for r in rows])
    return x, y


def matrix(members: list[dict[str, Any]]) -> np.ndarray:
    """Feature rows of `member_churn_features` members, in FEATURES order (None → NaN)."""
    return np.array([[np.nan if m.get(f) is None else float(m[f]) for f in FEATURES] for m in members],
                    dtype=float).reshape(len(members), len(FEATURES))
