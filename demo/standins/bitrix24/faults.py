"""Failures the stand-in can inject: by seeded chance, or a queue of the next ones."""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

# What a test can ask for; "ok" lets one request through untouched, so that a test
# can place a failure on, say, the third request.
FAULT_KINDS = ("http_500", "http_502", "http_503", "drop", "slow", "malformed", "ok")
_FAULT = re.compile(
    r"^(http_500|http_502|http_503|drop|malformed|ok|slow(?::(\d+(?:\.\d+)?))?)$"
)


@dataclass(frozen=True)
class Fault:
    """One injected failure. ``slow`` delays and then answers normally."""

    kind: str
    seconds: float = 0.0

    @classmethod
    def parse(cls, text: str, default_slow: float = 1.0) -> Fault:
        match = _FAULT.match(str(text).strip())
        if not match:
            raise ValueError(
                f"unknown fault {text!r}; expected one of http_500, http_502, "
                "http_503, drop, slow[:SECONDS], malformed, ok"
            )
        if match.group(1).startswith("slow"):
            seconds = float(match.group(2)) if match.group(2) else default_slow
            return cls("slow", seconds)
        return cls(match.group(1))

    @property
    def status(self) -> int | None:
        return int(self.kind[5:]) if self.kind.startswith("http_") else None

    def __str__(self) -> str:
        return f"slow:{self.seconds:g}" if self.kind == "slow" else self.kind


@dataclass(frozen=True)
class FaultConfig:
    """Chances per request, drawn from a seeded generator so that runs repeat."""

    fail_rate: float = 0.0  # an HTTP 500, 502 or 503 that is not the rate limit
    slow_rate: float = 0.0
    drop_rate: float = 0.0  # the connection closes without an answer
    malformed_rate: float = 0.0  # a 200 whose JSON body is cut short
    slow_seconds: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (self.fail_rate, self.slow_rate, self.drop_rate, self.malformed_rate)
        if any(not 0 <= rate <= 1 for rate in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be between 0 and 1 and sum to at most 1")


class FaultInjector:
    """Decides the fault (or none) for each API request; the queue goes first."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self.config = config or FaultConfig()
        self._random = random.Random(self.config.seed)
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def enqueue(self, faults: Iterable[str | Fault]) -> None:
        parsed = [
            f if isinstance(f, Fault) else Fault.parse(f, self.config.slow_seconds)
            for f in faults
        ]
        with self._lock:
            self._queue.extend(parsed)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()

    @property
    def pending(self) -> list[str]:
        with self._lock:
            return [str(f) for f in self._queue]

    def next_fault(self) -> Fault | None:
        with self._lock:
            fault = self._queue.popleft() if self._queue else self._draw()
            if fault is not None and fault.kind == "ok":
                fault = None
            if fault is not None:
                self.injected[fault.kind] = self.injected.get(fault.kind, 0) + 1
            return fault

    def _draw(self) -> Fault | None:
        config = self.config
        roll = self._random.random()
        for rate, make in (
            (config.fail_rate, lambda: Fault(self._random.choice(FAIL_KINDS))),
            (config.drop_rate, lambda: Fault("drop")),
            (config.malformed_rate, lambda: Fault("malformed")),
            (config.slow_rate, lambda: Fault("slow", config.slow_seconds)),
        ):
            if roll < rate:
                return make()
            roll -= rate
        return None


FAIL_KINDS = ("http_500", "http_502", "http_503")
