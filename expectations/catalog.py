"""Every suite, one per guarded asset: the landed tables' first, then the marts'."""

from __future__ import annotations

from expectations.landed import LANDED_SUITES
from expectations.marts import MART_SUITES
from expectations.suite import Suite

SUITES: list[Suite] = [*LANDED_SUITES, *MART_SUITES]


def suite_named(name: str) -> Suite:
    for suite in SUITES:
        if suite.name == name:
            return suite
    raise KeyError(
        f"no suite {name!r}: the suites are {', '.join(s.name for s in SUITES)}"
    )
