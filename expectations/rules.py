"""The kinds of expectation the suites are made of, each with its severity and name."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

from expectations.suite import CRITICAL, WARNING, Expect, History, gx_expectations

# a landed table that holds fewer than half the rows it held at the previous run has
# lost data at the door (a truncated export, a wiped table, a portal answering
# empty): the marts would be built, and the CRM written, from half the customers
ROW_COUNT_DROP = 0.5
# a share of valid phones, e-mails or IIN/BINs more than 5 points below the mean of
# the last runs: an export or a form that changed how it writes them
VALID_SHARE_MARGIN = 0.05
# how many earlier runs the valid shares are averaged over
BASELINE_RUNS = 3
# business documents and records before this are typos (the company's systems
# are younger); after tomorrow, a clock or a typo
EARLIEST_BUSINESS_DATE = datetime(2000, 1, 1)
EARLIEST_BIRTH_DATE = datetime(1900, 1, 1)

# a phone as typed, digits only: a Kazakh or Russian number in full, its ten digits
# with or without the 8 or 7 before them (normalize_phone also reads other shapes;
# this is the share written the usual way, whose fall says the export changed)
FULL_PHONE_DIGITS = r"^[78]?[0-9]{10}$"
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"


def row_count(history: History) -> Expect:
    """Not fewer than half the rows of the previous run (any count on a first run)."""
    previous = history.last("row count")
    minimum = math.ceil(previous * (1 - ROW_COUNT_DROP)) if previous else 0
    return Expect(
        "row count",
        gx_expectations().ExpectTableRowCountToBeBetween(
            min_value=minimum,
            severity=CRITICAL,
            description=(
                f"At least {minimum:,} rows: half the previous run's {previous:,.0f}"
                if previous
                else "Any number of rows: no earlier run to compare with"
            ),
        ),
    )


def unique(columns: Sequence[str], severity: str = CRITICAL) -> Expect:
    name = f"unique {', '.join(columns)}"
    if len(columns) == 1:
        expectation = gx_expectations().ExpectColumnValuesToBeUnique(
            column=columns[0], severity=severity
        )
    else:
        expectation = gx_expectations().ExpectCompoundColumnsToBeUnique(
            column_list=list(columns), severity=severity
        )
    return Expect(name, expectation)


def required(column: str, severity: str = CRITICAL) -> Expect:
    return Expect(
        f"{column} filled",
        gx_expectations().ExpectColumnValuesToNotBeNull(
            column=column, severity=severity
        ),
    )


def allowed(column: str, values: Sequence[object], severity: str = WARNING) -> Expect:
    return Expect(
        f"{column} allowed values",
        gx_expectations().ExpectColumnValuesToBeInSet(
            column=column, value_set=list(values), severity=severity
        ),
    )


def between(
    column: str,
    minimum: float | None = None,
    maximum: float | None = None,
    severity: str = CRITICAL,
    name: str | None = None,
) -> Expect:
    return Expect(
        name or f"{column} in range",
        gx_expectations().ExpectColumnValuesToBeBetween(
            column=column, min_value=minimum, max_value=maximum, severity=severity
        ),
    )


def dated(
    column: str,
    earliest: datetime = EARLIEST_BUSINESS_DATE,
    severity: str = WARNING,
) -> Expect:
    """Between `earliest` and tomorrow; the frame holds the column as a timestamp."""
    tomorrow = datetime.combine(
        datetime.now().date() + timedelta(days=2), datetime.min.time()
    )
    return Expect(
        f"{column} date range",
        gx_expectations().ExpectColumnValuesToBeBetween(
            column=column,
            min_value=earliest,
            max_value=tomorrow,
            severity=severity,
            description=f"{column} between {earliest:%Y-%m-%d} and tomorrow",
        ),
    )


def matches(
    column: str, regex: str, severity: str = CRITICAL, name: str = ""
) -> Expect:
    return Expect(
        name or f"{column} format",
        gx_expectations().ExpectColumnValuesToMatchRegex(
            column=column, regex=regex, severity=severity
        ),
    )


def valid_share(name: str, column: str, history: History, regex: str = "") -> Expect:
    """The share of filled values that are valid, not more than VALID_SHARE_MARGIN
    below the mean of the last BASELINE_RUNS runs (only recorded on a first run).

    `regex` is what a valid value matches; without one the frame's column is a
    boolean (valid or not), computed in the suite's query."""
    baseline = history.mean(name)
    mostly = max(0.0, round(baseline - VALID_SHARE_MARGIN, 4)) if baseline else 0.0
    description = (
        f"At least {mostly:.1%} of the filled {column} valid: the last runs' "
        f"{baseline:.1%} less {VALID_SHARE_MARGIN:.0%}"
        if baseline
        else f"The share of valid {column} is recorded: no earlier run to compare with"
    )
    if regex:
        expectation = gx_expectations().ExpectColumnValuesToMatchRegex(
            column=column,
            regex=regex,
            mostly=mostly,
            severity=WARNING,
            description=description,
        )
    else:
        expectation = gx_expectations().ExpectColumnValuesToBeInSet(
            column=column,
            value_set=[True],
            mostly=mostly,
            severity=WARNING,
            description=description,
        )
    return Expect(name, expectation)


def iin_bin_checksum_sql(column: str) -> str:
    """DuckDB SQL: the IIN/BIN checksum of `column` (as macros/iin_bin.sql), null when
    empty. The landed suites read raw text, before dbt's macros ever ran."""
    value = f"nullif(trim(cast({column} as varchar)), '')"

    def weighted(weights: Sequence[int]) -> str:
        return (
            "("
            + " + ".join(
                f"{w} * cast(substr({value}, {i}, 1) as integer)"
                for i, w in enumerate(weights, start=1)
            )
            + ") % 11"
        )

    first = weighted(range(1, 12))
    second = weighted([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2])
    check = f"cast(substr({value}, 12, 1) as integer)"
    return (
        f"(case when {value} is null then null"
        f" when not regexp_full_match({value}, '[0-9]{{12}}') then false"
        f" when {first} <> 10 then {first} = {check}"
        f" when {second} <> 10 then {second} = {check}"
        " else false end)"
    )
