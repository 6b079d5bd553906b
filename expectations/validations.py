"""The validations table: one row per expectation per run, kept in the warehouse.

Data-quality marts and BI read it (`data_quality.validations`, docs/data_quality.md);
the landed suites read their baselines from it (row counts and valid shares of the
last runs). Written in one short write connection after a suite has run: the
warehouse has one writer, and the run's steps run one after another.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from expectations.suite import History

SCHEMA = "data_quality"
TABLE = f"{SCHEMA}.validations"
COLUMNS = (
    ("run_id", "varchar"),
    ("validated_at", "timestamp with time zone"),
    ("suite", "varchar"),
    ("asset", "varchar"),
    ("expectation", "varchar"),
    ("expectation_type", "varchar"),
    ("column_name", "varchar"),
    ("severity", "varchar"),
    # passed, failed, or skipped (the suite's table is absent: one row, no expectation)
    ("status", "varchar"),
    ("success", "boolean"),
    ("observed_value", "double"),
    ("observed", "varchar"),
    ("element_count", "bigint"),
    ("unexpected_count", "bigint"),
    ("unexpected_sample", "varchar"),
    ("details", "varchar"),
)
DDL = (
    f"create schema if not exists {SCHEMA};"
    f" create table if not exists {TABLE} ("
    + ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    + ")"
)


def record(warehouse_path: Path | str, rows: Iterable[tuple]) -> int:
    """Append rows (in COLUMNS' order); how many were written."""
    rows = list(rows)
    with duckdb.connect(str(warehouse_path)) as connection:
        connection.execute(DDL)
        if rows:
            placeholders = ", ".join("?" for _ in COLUMNS)
            connection.executemany(f"insert into {TABLE} values ({placeholders})", rows)
    return len(rows)


def read_history(
    connection: duckdb.DuckDBPyConnection, suite: str, runs: int
) -> History:
    """The observed values of the suite's passed expectations in its last `runs` runs
    that validated it, newest first: a failed run's figure never becomes a baseline."""
    exists = connection.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = ? and table_name = 'validations'",
        [SCHEMA],
    ).fetchone()[0]
    if not exists:
        return History()
    rows = connection.execute(
        f"""
        with last_runs as (
            select run_id, max(validated_at) as validated_at
            from {TABLE}
            where suite = ? and status <> 'skipped'
            group by run_id
            order by validated_at desc
            limit ?
        )
        select v.expectation, v.observed_value
        from {TABLE} as v
        inner join last_runs using (run_id)
        where v.suite = ? and v.success and v.observed_value is not null
        order by last_runs.validated_at desc
        """,
        [suite, runs, suite],
    ).fetchall()
    observed: dict[str, list[float]] = {}
    for name, value in rows:
        observed.setdefault(name, []).append(value)
    return History(observed)
