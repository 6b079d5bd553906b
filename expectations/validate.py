"""Run a suite on the warehouse with Great Expectations, and say what it found.

The frame is read read-only with DuckDB and handed to GE's pandas data source
(GE's SQL data source does not work on DuckDB). GE's context is a file context
beside the warehouse (`<warehouse folder>/quality/gx`, git-ignored with the
warehouse): it keeps the suites, each run's results and the Data Docs built from
them, and is made on first use, so a fresh clone needs no setup.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from customer360.warehouse_readers import table_exists
from expectations.rules import BASELINE_RUNS
from expectations.suite import CRITICAL, WARNING, Expect, Suite, SuiteInputs
from expectations.validations import read_history

# how many offending values a message and the validations table show
SAMPLE_SIZE = 5
# the Data Docs show this many days of results (the validations table keeps them all):
# GE renders every result it keeps, so a year of nightly runs would take minutes
KEEP_RESULTS_DAYS = 30
DATA_SOURCE = "warehouse"
BATCH = "whole frame"


def quality_dir(warehouse_path: Path | str) -> Path:
    """Where GE's context (suites, results, Data Docs) lives for this warehouse."""
    return Path(warehouse_path).parent / "quality"


def docs_index(warehouse_path: Path | str) -> Path:
    return (
        quality_dir(warehouse_path)
        / "gx"
        / "uncommitted"
        / "data_docs"
        / "local_site"
        / "index.html"
    )


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result in one run: a row of the validations table."""

    suite: str
    asset: str
    expectation: str
    expectation_type: str
    column: str | None
    severity: str
    success: bool
    observed_value: float | None
    observed: str
    element_count: int | None
    unexpected_count: int | None
    sample: list[str]
    details: str = ""

    def line(self) -> str:
        """`marts.customer_360: churn probability in [0, 1] (critical) failed: 1 of
        400 values, e.g. 1.5`"""
        what = f"{self.suite}: {self.expectation} ({self.severity})"
        if self.details:
            return f"{what} failed: {self.details}"
        if self.unexpected_count is not None:
            found = f"{self.unexpected_count:,} of {self.element_count or 0:,} values"
        else:
            found = f"observed {self.observed}"
        sample = f", e.g. {', '.join(self.sample)}" if self.sample else ""
        return f"{what} failed: {found}{sample}"


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    asset: str
    run_id: str
    validated_at: datetime
    # why the suite did not run ('' when it ran): its table is absent
    skipped: str = ""
    expectations: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [
            e for e in self.expectations if not e.success and e.severity == CRITICAL
        ]

    @property
    def warnings(self) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if not e.success and e.severity == WARNING]

    def summary(self) -> str:
        if self.skipped:
            return f"{self.suite}: skipped: {self.skipped}"
        passed = sum(e.success for e in self.expectations)
        return (
            f"{self.suite}: {passed} of {len(self.expectations)} expectations passed,"
            f" {len(self.critical_failures)} critical failed,"
            f" {len(self.warnings)} warnings"
        )

    def rows(self) -> list[tuple]:
        """The validations table's rows (validations.COLUMNS' order)."""
        if self.skipped:
            return [
                (self.run_id, self.validated_at, self.suite, self.asset, None, None,
                 None, None, "skipped", None, None, None, None, None, None,
                 self.skipped)
            ]  # fmt: skip
        return [
            (
                self.run_id,
                self.validated_at,
                self.suite,
                self.asset,
                e.expectation,
                e.expectation_type,
                e.column,
                e.severity,
                "passed" if e.success else "failed",
                e.success,
                e.observed_value,
                e.observed,
                e.element_count,
                e.unexpected_count,
                json.dumps(e.sample, ensure_ascii=False) if e.sample else None,
                e.details or None,
            )
            for e in self.expectations
        ]


def run_suite(
    suite: Suite,
    warehouse_path: Path | str,
    mapping_path: Path,
    run_id: str | None = None,
) -> SuiteOutcome:
    """Validate `suite` on the warehouse as it is now; nothing is written to it."""
    run_id = run_id or uuid.uuid4().hex
    validated_at = datetime.now(UTC)
    if not Path(warehouse_path).exists():
        return SuiteOutcome(
            suite.name,
            suite.asset_string,
            run_id,
            validated_at,
            skipped=f"absent: nothing has been landed in {warehouse_path} yet",
        )
    with duckdb.connect(str(warehouse_path), read_only=True) as connection:
        missing = [
            t for t in (suite.table, *suite.reads) if not table_exists(connection, t)
        ]
        if missing:
            return SuiteOutcome(
                suite.name,
                suite.asset_string,
                run_id,
                validated_at,
                skipped=(
                    f"absent: {', '.join(missing)} not in the warehouse (a source or"
                    " export the company does not have, or not built yet)"
                ),
            )
        try:
            frame = connection.execute(suite.query).df()
        except duckdb.Error as error:
            return SuiteOutcome(
                suite.name,
                suite.asset_string,
                run_id,
                validated_at,
                expectations=[_unreadable(suite, error)],
            )
        history = read_history(connection, suite.name, BASELINE_RUNS)
        expectations = suite.expectations(
            SuiteInputs(connection, history, mapping_path)
        )
    results = _validate(
        quality_dir(warehouse_path), suite, expectations, frame, run_id, validated_at
    )
    return SuiteOutcome(
        suite.name, suite.asset_string, run_id, validated_at, expectations=results
    )


def _unreadable(suite: Suite, error: duckdb.Error) -> ExpectationOutcome:
    message = str(error).splitlines()[0]
    return ExpectationOutcome(
        suite=suite.name,
        asset=suite.asset_string,
        expectation="frame readable",
        expectation_type="read",
        column=None,
        severity=suite.unreadable,
        success=False,
        observed_value=None,
        observed="",
        element_count=None,
        unexpected_count=None,
        sample=[],
        details=f"could not read {suite.table}: {message}",
    )


def build_docs(warehouse_path: Path | str) -> Path:
    """Build GE's Data Docs from every result kept; the index page's path."""
    root = quality_dir(warehouse_path)
    context = _context(root)
    _prune_results(root / "gx" / "uncommitted", KEEP_RESULTS_DAYS)
    context.build_data_docs()
    return docs_index(warehouse_path)


def _prune_results(uncommitted: Path, days: int) -> None:
    """Remove the results, and their pages, older than `days`."""
    cutoff = time.time() - days * 86_400
    for folder in (uncommitted / "validations", uncommitted / "data_docs"):
        for path in folder.rglob("*") if folder.is_dir() else ():
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


_contexts: dict[Path, object] = {}


def _context(root: Path):
    """GE's file context under `root`, made on first use, one per process."""
    if root in _contexts:
        return _contexts[root]
    # GE would otherwise report usage over the network and draw progress bars
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    bars = context.variables.progress_bars
    # an object when set in this process, a mapping when read back from the file
    globally = (
        bars.get("globally") if isinstance(bars, dict) else bars and bars.globally
    )
    if globally is not False:
        context.variables.progress_bars = ProgressBarsConfig(
            globally=False, metric_calculations=False
        )
        context.variables.save()
    _contexts[root] = context
    return context


def _validate(
    root: Path,
    suite: Suite,
    expectations: list[Expect],
    frame,
    run_id: str,
    validated_at: datetime,
) -> list[ExpectationOutcome]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(root)
    for expect in expectations:
        expect.expectation.meta = {
            **(expect.expectation.meta or {}),
            "name": expect.name,
        }
    # given whole: adding one by one to a suite the store already holds saves it
    # to its file at each expectation
    gx_suite = context.suites.add_or_update(
        gx.ExpectationSuite(
            name=suite.name,
            expectations=[expect.expectation for expect in expectations],
            meta={"asset": suite.asset_string},
        )
    )

    source = context.data_sources.add_or_update_pandas(DATA_SOURCE)
    try:
        asset = source.get_asset(suite.name)
    except LookupError:
        asset = source.add_dataframe_asset(suite.name)
    try:
        batch = asset.get_batch_definition(BATCH)
    except (KeyError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe(BATCH)
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
    )
    result = definition.run(
        batch_parameters={"dataframe": frame},
        result_format={
            "result_format": "SUMMARY",
            "partial_unexpected_count": SAMPLE_SIZE,
        },
        run_id=RunIdentifier(run_name=run_id, run_time=validated_at),
    )
    outcomes = []
    for item in result.results:
        config = item.expectation_config
        name = (config.meta or {}).get("name") or config.type
        outcomes.append(_outcome(suite, name, config, item))
    return outcomes


def _outcome(suite: Suite, name: str, config, item) -> ExpectationOutcome:
    found = item.result or {}
    kwargs = config.kwargs
    severity = str(getattr(config.severity, "value", config.severity)).lower()
    column = kwargs.get("column") or ", ".join(
        kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
        if (kwargs.get("column_list") or kwargs.get("column_A"))
        else []
    )
    details = ""
    exception = item.exception_info or {}
    if exception.get("raised_exception"):
        details = f"could not be evaluated: {exception.get('exception_message')}"
    observed_value = _number(found.get("observed_value"))
    nonmissing = (found.get("element_count") or 0) - (found.get("missing_count") or 0)
    if observed_value is None and "mostly" in kwargs and "unexpected_count" in found:
        # the share of filled values that are as expected
        observed_value = (
            round(1 - found["unexpected_count"] / nonmissing, 6) if nonmissing else None
        )
    elif observed_value is None and "unexpected_count" in found:
        observed_value = float(found["unexpected_count"])
    if "observed_value" in found:
        observed = _text(found["observed_value"])
    elif "mostly" in kwargs and observed_value is not None:
        observed = f"{observed_value:.2%} as expected (needed {kwargs['mostly']:.2%})"
    else:
        observed = f"{found.get('unexpected_count', 0):,} unexpected"
    return ExpectationOutcome(
        suite=suite.name,
        asset=suite.asset_string,
        expectation=name,
        expectation_type=config.type,
        column=column or None,
        severity=severity,
        success=bool(item.success),
        observed_value=observed_value,
        observed=observed,
        element_count=found.get("element_count"),
        unexpected_count=found.get("unexpected_count"),
        sample=_sample(found.get("partial_unexpected_list") or []),
        details=details,
    )


def _sample(values: list) -> list[str]:
    """The first offending values as text; none for a share of flags (all False)."""
    if all(isinstance(value, bool) for value in values):
        return []
    return [_text(value) for value in values[:SAMPLE_SIZE]]


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def _text(value) -> str:
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k}={_text(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(_text(v) for v in value) + ")"
    if isinstance(value, str):
        return repr(value)
    return str(value)
