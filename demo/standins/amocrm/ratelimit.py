"""amoCRM's request limit: a sliding one-second window, and a block for clients
that keep running into it."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    """At most ``per_second`` requests in any ``window`` seconds; beyond that 429.

    amoCRM blocks the API of an account that "repeatedly" breaks the limit and then
    answers 403 to everything. How many 429s it tolerates and for how long it blocks
    is not published (a real block lasts until its support lifts it), so both are
    settings here: ``block_after`` 429s within ``block_window`` seconds start a
    block of ``block_seconds``. ``block_after=0`` never blocks.

    ``refusal_body``: ``"json"`` answers 429 with the problem+json body Kommo's
    documentation shows; ``"html"`` with the gateway's HTML page that integrators
    of amocrm.ru report instead. A client should rely on the status alone.
    """

    per_second: int | None = 7  # None: no limit at all (benchmarks)
    window: float = 1.0
    block_after: int = 10
    block_window: float = 60.0
    block_seconds: float = 60.0
    refusal_body: str = "json"

    def __post_init__(self) -> None:
        if self.per_second is not None and self.per_second < 1:
            raise ValueError("rate limit needs per_second >= 1 (or None for no limit)")
        if self.window <= 0 or self.block_window <= 0 or self.block_seconds < 0:
            raise ValueError("rate limit windows must be positive")
        if self.block_after < 0:
            raise ValueError("block_after must be 0 (never block) or more")
        if self.refusal_body not in ("json", "html"):
            raise ValueError("refusal_body must be 'json' or 'html'")

    @classmethod
    def unlimited(cls) -> RateLimit:
        """No limit and no block: for benchmarks of the client's own speed."""
        return cls(per_second=None, block_after=0)


@dataclass(frozen=True)
class Verdict:
    """What the limiter says about one request."""

    allowed: bool
    blocked: bool = False  # refused with 403: the account is blocked
    retry_after: int = 0  # seconds until the window has room again (for 429)


class SlidingWindow:
    """Counts accepted requests over the last ``window`` seconds, and 429s over the
    last ``block_window``; refused requests take no room in the window."""

    def __init__(self, limit: RateLimit) -> None:
        self._lock = threading.Lock()
        self.configure(limit)

    def configure(self, limit: RateLimit) -> None:
        """A new limit (e.g. lifted for a benchmark); forgets counts and any block."""
        with self._lock:
            self.limit = limit
            self._accepted: deque[float] = deque()
            self._refused: deque[float] = deque()
            self.blocked_until = 0.0

    def check(self) -> Verdict:
        now = time.monotonic()
        with self._lock:
            limit = self.limit
            if now < self.blocked_until:
                return Verdict(False, blocked=True)
            if limit.per_second is None:
                return Verdict(True)
            while self._accepted and self._accepted[0] <= now - limit.window:
                self._accepted.popleft()
            if len(self._accepted) < limit.per_second:
                self._accepted.append(now)
                return Verdict(True)
            self._refused.append(now)
            while self._refused and self._refused[0] <= now - limit.block_window:
                self._refused.popleft()
            if limit.block_after and len(self._refused) >= limit.block_after:
                self.blocked_until = now + limit.block_seconds
                self._refused.clear()
            wait = self._accepted[0] + limit.window - now
            return Verdict(False, retry_after=max(1, math.ceil(wait)))

    @property
    def blocked(self) -> bool:
        with self._lock:
            return time.monotonic() < self.blocked_until

    def unblock(self) -> None:
        """What amoCRM's support does on request: lift the block now."""
        with self._lock:
            self.blocked_until = 0.0
            self._refused.clear()
