"""Fast draws: random.randrange, choice and choices cost several times random()."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def below(rng: random.Random, n: int) -> int:
    """Like rng.randrange(n); the float's 53 bits are plenty for n below 2**31."""
    return int(rng.random() * n)


def between(rng: random.Random, low: int, high: int) -> int:
    """Like rng.randrange(low, high): high excluded."""
    return low + int(rng.random() * (high - low))


def inclusive(rng: random.Random, low: int, high: int) -> int:
    """Like rng.randint(low, high): both ends included."""
    return low + int(rng.random() * (high - low + 1))


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """Like rng.choice(items)."""
    return items[int(rng.random() * len(items))]


def weighted(rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    """Like rng.choices(items, cum_weights=cum_weights)[0]."""
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]
