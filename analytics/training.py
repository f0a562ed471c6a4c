"""Training the churn model on a gym's own history, once it has enough members who left.

Rows come from `member_churn_snapshots`: on each of the last 12 monthly snapshot dates, every member then active,
with the features as they were that day, labelled 1 if they left within the next 30 days. A gym needs at least
MIN_CHURNED such departures (documented in the README); below that its model would learn noise, and the packaged
cold-start model stays in use. A gym's model lives in JARVIS_DATA_DIR/models/churn-<slug>/ and is then used by
`score` and by the analytics job for that gym.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from uuid import UUID

import numpy as np

from jarvis_agent.settings import get_settings
from jarvis_agent.store import Store

from .churn import DEFAULT_MODEL, ChurnModel
from .features import matrix

logger = logging.getLogger("analytics.training")
MIN_CHURNED = 50


class NotEnoughHistory(ValueError):
    """The gym has too few departures to learn from; the message says how many and how many are needed."""


def gym_model_dir(slug: str) -> Path:
    return get_settings().jarvis_data_dir / "models" / f"churn-{slug}"


def model_for(slug: str | None) -> ChurnModel:
    """The gym's own model when one was trained, else the packaged cold-start model."""
    if slug and (gym_model_dir(slug) / "meta.json").exists():
        return ChurnModel.load(gym_model_dir(slug))
    return ChurnModel.load(DEFAULT_MODEL)


async def train_for_gym(store: Store, gym_id: UUID | str, slug: str, *, months: int = 12,
                        out: Path | None = None) -> ChurnModel:
    data = await store.rpc("member_churn_snapshots", p_gym_id=gym_id, p_months=months)
    rows = data["rows"]
    y = np.array([r["churned"] for r in rows], dtype=int)
    churned = int(y.sum())
    if churned < MIN_CHURNED:
        raise NotEnoughHistory(f"{slug}: {churned} member(s) left in the last {months} months, at least "
                               f"{MIN_CHURNED} are needed to learn from the gym's own history; the cold-start model "
                               "stays in use")
    model = ChurnModel.train(matrix(rows), y, version=f"churn-{slug}-{date.today().isoformat()}",
                             data=f"{slug}: {months} monthly snapshots of its members ({len(rows)} rows)")
    model.save(out or gym_model_dir(slug))
    return model
