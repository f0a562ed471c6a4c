"""Batch churn scoring of a gym, and of one member after a session: features from the database, the model, the
scores written back with `set_member_churn`."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from uuid import UUID

from jarvis_agent.store import Store

from .churn import ChurnModel, Score
from .features import matrix

logger = logging.getLogger("analytics.scoring")
BATCH = 2000


async def score_members(store: Store, model: ChurnModel, gym_id: UUID | str, member_id: UUID | str | None = None,
                        *, progress: Callable[[int, int], None] | None = None) -> list[Score]:
    """Score the gym's active members (or one), write the scores back, return them."""
    features = (await store.rpc("member_churn_features", p_gym_id=gym_id, p_member_id=member_id))["members"]
    scores = model.score([m["member_id"] for m in features], matrix(features))
    for start in range(0, len(scores), BATCH):
        chunk = scores[start:start + BATCH]
        await store.set_member_churn(gym_id, [s.as_row() for s in chunk], model.version)
        if progress is not None:
            progress(start + len(chunk), len(scores))
    return scores


def level_counts(scores: list[Score]) -> dict[str, int]:
    counts = Counter(s.level for s in scores)
    return {name: counts.get(name, 0) for name in ("LOW", "MEDIUM", "HIGH", "CRITICAL")}
