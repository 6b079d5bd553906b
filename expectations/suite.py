"""What a suite is: the frame it reads, and its expectations with their severities."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)


def gx_expectations():
    """Great Expectations' expectation classes, imported when a suite is first built:
    loading the Dagster definitions (which name the suites) must not wait for it."""
    import great_expectations.expectations as expectations

    return expectations


@dataclass(frozen=True)
class History:
    """What earlier runs observed for one suite, by expectation name, newest first."""

    observed: Mapping[str, Sequence[float]] = field(default_factory=dict)

    def last(self, name: str) -> float | None:
        values = self.observed.get(name) or ()
        return values[0] if values else None

    def mean(self, name: str) -> float | None:
        values = self.observed.get(name) or ()
        return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class SuiteInputs:
    """What a suite's expectations are built from at each run."""

    # read-only, on the warehouse: for figures such as another table's row count
    connection: duckdb.DuckDBPyConnection
    # what earlier runs observed for this suite
    history: History
    # the CRM sync's mapping file (reverse_etl/mapping.yml unless set)
    mapping_path: Path


@dataclass(frozen=True)
class Expect:
    """One expectation of a suite.

    `name` stays the same from run to run (the validations table's `expectation`,
    and the key earlier runs' observed values are found by); `expectation` is the
    Great Expectations expectation, its `severity` set.
    """

    name: str
    expectation: object  # great_expectations.expectations.Expectation

    @property
    def severity(self) -> str:
        return str(
            getattr(self.expectation.severity, "value", self.expectation.severity)
        )


@dataclass(frozen=True)
class Suite:
    """The expectations on one asset, and how to read the frame they are checked on.

    `table` is the relation the suite guards: when the warehouse has no such table
    (a company without that system or export, see docs/ingest.md), the suite is
    skipped and says so. `query` reads the frame (read-only); `expectations` builds
    the expectations from the run's `SuiteInputs`.
    """

    name: str
    asset: tuple[str, ...]
    table: str
    query: str
    expectations: Callable[[SuiteInputs], list[Expect]]
    description: str = ""
    # further relations the frame reads; absent ones skip the suite too
    reads: tuple[str, ...] = ()
    # when the frame cannot be read (a column the query names is not there): a
    # landed table may lack an optional field a portal or a 1C configuration does
    # not send (staging stands in nulls), so a warning there; a mart's columns are
    # its contract, so critical
    unreadable: str = CRITICAL

    @property
    def asset_string(self) -> str:
        return "/".join(self.asset)
