"""The wait before a request is tried again, shared by every CRM client."""

from __future__ import annotations

import random


def jittered_backoff(failures: int, base: float, cap: float) -> float:
    """Exponential from `base` seconds, capped at `cap`, with jitter (half to all
    of it), so that clients failing together do not retry in step."""
    ceiling = min(base * 2 ** (failures - 1), cap)
    return random.uniform(ceiling / 2, ceiling)
