"""Bitrix24's operating-time limit: a method that ran too long lately is blocked.

A portal sums, per method and webhook, the execution time of its calls in ten
baskets spanning ten minutes (each basket counts from the first call in it and
leaves the sum ten minutes later). Before each call it checks the sum; past the
limit (480 s on the cloud) the call is refused with 429 OPERATION_TIME_LIMIT. Every
answer's ``time`` carries ``operating`` (the method's current sum) and
``operating_reset_at`` (when the oldest basket leaves it). A `batch` is not
counted itself: each command in it is, under its own method.

The stand-in is much faster than a portal, so each call can also be charged a
simulated cost, which is how a test reaches the limit in a few calls.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class OperatingLimit:
    """The limit, its window, and the simulated seconds each call is charged on top
    of the time it really took. Bitrix24 cloud: 480 s within 600 s."""

    limit_seconds: float = 480.0
    window_seconds: float = 600.0
    cost_per_call: float = 0.0
    baskets: int = 10

    def __post_init__(self) -> None:
        if not self.limit_seconds > 0 or not self.window_seconds > 0:
            raise ValueError("operating limit and window must be positive seconds")
        if self.cost_per_call < 0 or self.baskets < 1:
            raise ValueError("operating cost must be >= 0 and baskets >= 1")

    @classmethod
    def off(cls) -> OperatingLimit:
        """Never block (calls are still counted and reported)."""
        return cls(limit_seconds=math.inf)


@dataclass
class _Basket:
    slot: int
    opened: float  # the first call in it: it leaves the sum a window later
    seconds: float = 0.0


class OperatingMeter:
    """The sums per method for one portal (one webhook), and forced blocks."""

    def __init__(
        self,
        limit: OperatingLimit | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit or OperatingLimit()
        self._clock = clock
        self._baskets: dict[str, deque[_Basket]] = {}
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self.refused: dict[str, int] = {}

    def _expire(self, method: str, now: float) -> deque[_Basket]:
        baskets = self._baskets.setdefault(method, deque())
        while baskets and baskets[0].opened + self.limit.window_seconds <= now:
            baskets.popleft()
        if self._blocked_until.get(method, math.inf) <= now:
            del self._blocked_until[method]
        return baskets

    def usage(self, method: str) -> tuple[float, int]:
        """(operating, operating_reset_at) for a method, as ``time`` reports them."""
        now = self._clock()
        with self._lock:
            baskets = self._expire(method, now)
            operating = sum(b.seconds for b in baskets)
            if method in self._blocked_until:
                reset_at = self._blocked_until[method]
            elif baskets:
                reset_at = baskets[0].opened + self.limit.window_seconds
            else:
                reset_at = now + self.limit.window_seconds
        # rounded up: a client that waits until then finds the basket gone
        return operating, math.ceil(reset_at)

    def admit(self, method: str) -> bool:
        """May this method run now? False counts a refusal."""
        now = self._clock()
        with self._lock:
            baskets = self._expire(method, now)
            blocked = method in self._blocked_until or (
                sum(b.seconds for b in baskets) > self.limit.limit_seconds
            )
            if blocked:
                self.refused[method] = self.refused.get(method, 0) + 1
            return not blocked

    def charge(self, method: str, seconds: float) -> None:
        """Add a finished call's execution time (plus the simulated cost)."""
        now = self._clock()
        slot_length = self.limit.window_seconds / self.limit.baskets
        slot = int(now // slot_length)
        with self._lock:
            baskets = self._expire(method, now)
            if not baskets or baskets[-1].slot != slot:
                baskets.append(_Basket(slot, now))
            baskets[-1].seconds += max(seconds, 0.0) + self.limit.cost_per_call

    def block(self, method: str, seconds: float) -> None:
        """Refuse the method for the next `seconds`, whatever its sum."""
        with self._lock:
            self._blocked_until[method.lower()] = self._clock() + max(seconds, 0.0)

    def unblock(self, method: str | None = None) -> None:
        """Forget forced blocks and sums (of one method, or all)."""
        with self._lock:
            if method is None:
                self._blocked_until.clear()
                self._baskets.clear()
            else:
                self._blocked_until.pop(method.lower(), None)
                self._baskets.pop(method.lower(), None)
