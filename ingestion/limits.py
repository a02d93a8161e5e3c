"""Back-pressure in one worker: per-app rate limits and a budget for request bodies held in memory.

Both answer "not now" with a number of seconds after which a retry should succeed, which the app
turns into ``Retry-After``; nothing here blocks or queues, so a flood costs a counter update per request.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping


class TokenBucket:
    """``rate`` requests per second on average, up to ``burst`` at once."""

    __slots__ = ("burst", "clock", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.tokens = burst
        self.stamp = clock()

    def take(self) -> float:
        """0 if a request may pass now (and count it), else the seconds until one token is back."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class AppRateLimiter:
    """One token bucket per app; this worker's share of the rates configured for the whole collector."""

    def __init__(
        self,
        default_rate: float,
        burst: int | None,
        per_app: Mapping[str, float],
        workers: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._share = 1 / max(1, workers)
        self._default = default_rate
        self._burst = burst
        self._per_app = dict(per_app)
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def retry_after(self, app_id: str) -> int:
        """0 when ``app_id`` may send now, else whole seconds to wait (at least 1)."""
        bucket = self._buckets.get(app_id)
        if bucket is None:
            rate = self._per_app.get(app_id, self._default) * self._share
            burst = max(1.0, (self._burst if self._burst is not None else 2 * self._per_app.get(app_id, self._default))
                        * self._share)  # fmt: skip
            bucket = self._buckets[app_id] = TokenBucket(rate, burst, self._clock)
        wait = bucket.take()
        return 0 if wait == 0 else max(1, math.ceil(wait))


class ByteBudget:
    """Bytes of request bodies this worker holds at once; a request that would exceed it is refused."""

    __slots__ = ("capacity", "used")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0

    def reserve(self, size: int) -> bool:
        if self.used + size > self.capacity:
            return False
        self.used += size
        return True

    def release(self, size: int) -> None:
        self.used -= size
