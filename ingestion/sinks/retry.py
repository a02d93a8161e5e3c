"""Retrying a call with exponential backoff and jitter.

The AWS sinks turn botocore's own retries off and use this instead, so one policy (from config)
decides how long a shipment keeps trying before the segment is left for the next round.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
logger = logging.getLogger("clickstream.ingestion.sinks")


@dataclass(frozen=True)
class Backoff:
    """``attempts`` tries; before retry ``n`` (0-based) wait ``min(max, base * 2**n)`` times a jitter in [0.5, 1]."""

    attempts: int = 6
    base_seconds: float = 0.2
    max_seconds: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def delay(self, retry: int) -> float:
        return float(min(self.max_seconds, self.base_seconds * 2.0**retry)) * random.uniform(0.5, 1.0)

    def wait(self, retry: int, what: str, reason: object) -> None:
        delay = self.delay(retry)
        logger.warning(
            "sink call failed; retrying",
            extra={"call": what, "retry": retry + 1, "delay_seconds": round(delay, 3), "reason": str(reason)},
        )
        self.sleep(delay)

    def call(self, what: str, action: Callable[[], T], transient: Callable[[Exception], bool]) -> T:
        """``action()``, retried while it raises a transient error and tries are left; the last error propagates."""
        for retry in range(self.attempts):
            try:
                return action()
            except Exception as exc:
                if not transient(exc) or retry == self.attempts - 1:
                    raise
                self.wait(retry, what, exc)
        raise AssertionError("unreachable: the loop returns or raises")
