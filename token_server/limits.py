"""Request limits: fixed-window rate limits in Redis, shared by every token-server process (the body-size cap is
jarvis_agent/asgi.py's, shared with the TTS engine).

A window's counter is created with its expiry (`SET … EX … NX`) and incremented in the same round trip, so a limit
costs one Redis call per request whatever the number of scopes. When Redis is down the limits fail open (kiosks keep
working; a warning is logged, at most once a minute; Redis is tried again 5 s after a failure, so a Redis that
hangs does not add its timeout to every request) and `/readyz` reports Redis as down.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from .problems import ProblemError

logger = logging.getLogger("token_server.limits")
WINDOW_S = 60


@dataclass(frozen=True)
class Limit:
    scope: str  # "ip", "kiosk"
    key: str
    per_window: int


class RateLimiter:
    def __init__(self, connection: aioredis.Redis, window_s: int = WINDOW_S, retry_after_failure_s: float = 5.0
                 ) -> None:
        self.connection = connection
        self.window_s = window_s
        self.retry_after_failure_s = retry_after_failure_s
        self._warned_at = 0.0
        self._down_until = 0.0

    async def check(self, *limits: Limit) -> None:
        """Count this request against every limit; 429 with Retry-After when one is exceeded."""
        now = time.time()
        window = int(now // self.window_s)
        if now < self._down_until:  # Redis failed a moment ago: do not make every request wait for its timeout
            return
        try:
            async with self.connection.pipeline(transaction=False) as pipe:
                for limit in limits:
                    key = f"jarvis:rl:{limit.scope}:{limit.key}:{window}"
                    pipe.set(key, 0, ex=self.window_s + 1, nx=True)
                    pipe.incr(key)
                counts = (await pipe.execute())[1::2]
        except (RedisError, OSError) as exc:
            self._down_until = time.time() + self.retry_after_failure_s
            if now - self._warned_at > 60:
                self._warned_at = now
                logger.warning("rate limits not enforced: Redis unavailable (%s)", type(exc).__name__)
            return
        for limit, count in zip(limits, counts, strict=True):
            if count > limit.per_window:
                retry_after = max(1, math.ceil((window + 1) * self.window_s - now))
                raise ProblemError(429, "rate_limited", "Trop de requêtes, réessaie dans un instant.",
                                   f"at most {limit.per_window} per {self.window_s} s per {limit.scope}",
                                   headers={"Retry-After": str(retry_after)})
