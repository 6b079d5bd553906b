"""A client-side leaky bucket that keeps a CRM's own rate limit from tripping.

Bitrix24 meters each portal with a leaky bucket: a request adds one, the bucket
drains `drain_per_second` a second (2 on standard plans, 5 on Enterprise), and a
request into a full bucket (50, or 250) is refused with 503 QUERY_LIMIT_EXCEEDED.
Mirroring the same bucket on our side lets the sync use the whole allowance (a
burst of `capacity`, then the drain rate) without ever being refused. Written
here rather than taken from a rate-limiting library because it must count
exactly as the portal does (a sliding-window limiter allows no burst and leaves a
third of a run's allowance unused), and it is a dozen lines.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class BucketLimit:
    capacity: int = 50
    drain_per_second: float = 2.0


class LeakyBucket:
    """`acquire()` blocks until one more request fits, then counts it."""

    def __init__(self, limit: BucketLimit, clock=time.monotonic, sleep=time.sleep):
        if limit.capacity < 1 or limit.drain_per_second <= 0:
            raise ValueError(f"a bucket needs capacity >= 1 and a drain > 0: {limit}")
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._level = 0.0
        self._at = clock()
        self._lock = threading.Lock()
        self.waited_seconds = 0.0

    def acquire(self) -> None:
        with self._lock:
            while True:
                now = self._clock()
                self._level = max(
                    0.0, self._level - (now - self._at) * self.limit.drain_per_second
                )
                self._at = now
                # a request fits while the bucket, this one included, stays within
                # capacity; one short of it leaves room for the portal's rounding
                if self._level + 1 <= self.limit.capacity - 1:
                    self._level += 1
                    return
                wait = (
                    self._level + 1 - (self.limit.capacity - 1)
                ) / self.limit.drain_per_second
                self.waited_seconds += wait
                self._sleep(wait)
