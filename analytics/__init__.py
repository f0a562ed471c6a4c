"""Layer 3: post-session analytics (churn, sentiment, insights) on the RQ queue "analytics".

`analytics.process_session(session_id)` is the job the agent enqueues for every finished session.
"""

from __future__ import annotations

from typing import Any


def process_session(session_id: str) -> dict[str, Any]:
    """The RQ job (imported lazily so the agent can enqueue it by name without loading the models)."""
    from .jobs import process_session as run

    return run(session_id)
