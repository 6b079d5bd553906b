"""Bitrix24's request limit: a leaky bucket per portal that answers 503 when full."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """Bitrix24's defaults: 50 requests of headroom, draining at 2 a second."""

    capacity: float = 50
    drain_per_second: float = 2.0

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.drain_per_second <= 0:
            raise ValueError("rate limit needs capacity >= 1 and a positive drain rate")

    @classmethod
    def lifted(cls) -> RateLimit:
        """No limit worth the name: for benchmarks that push as fast as they can."""
        return cls(capacity=1e12, drain_per_second=1e12)


class LeakyBucket:
    """Each request adds one drop; drops leak away at the drain rate; a request that
    would overflow the bucket is refused and adds nothing."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._level = 0.0
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def _drain(self, now: float) -> None:
        self._level = max(
            0.0, self._level - (now - self._at) * self.limit.drain_per_second
        )
        self._at = now

    def try_acquire(self) -> bool:
        with self._lock:
            self._drain(time.monotonic())
            if self._level + 1 > self.limit.capacity:
                return False
            self._level += 1
            return True

    @property
    def level(self) -> float:
        with self._lock:
            self._drain(time.monotonic())
            return self._level

    def reset(self) -> None:
        with self._lock:
            self._level = 0.0
            self._at = time.monotonic()
