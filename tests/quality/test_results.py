"""What a run leaves for people to read: the validations table and the Data Docs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from c360.main import main
from expectations.catalog import suite_named
from expectations.validate import build_docs, run_suite
from expectations.validations import TABLE, record
from reverse_etl.sync import DEFAULT_MAPPING


def test_the_validations_table_holds_one_row_per_expectation_per_run(
    warehouse_copy: Callable[..., Path],
) -> None:
    warehouse = warehouse_copy(
        "update marts.customer_360 set churn_probability = 1.5"
        " where customer_id = (select min(customer_id) from marts.customer_360"
        "  where churn_probability is not null)"
    )
    suite = suite_named("marts.customer_360")
    for run_id in ("run-1", "run-2"):
        outcome = run_suite(suite, warehouse, DEFAULT_MAPPING, run_id)
        record(warehouse, outcome.rows())
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        per_run = connection.execute(
            f"select run_id, count(*), count(distinct expectation) from {TABLE}"
            " group by 1 order by 1"
        ).fetchall()
        failed = connection.execute(
            "select suite, asset, severity, success, status, column_name,"
            " observed_value, unexpected_count, unexpected_sample,"
            " validated_at is not null"
            f" from {TABLE} where run_id = 'run-2' and not success"
        ).fetchall()
        (rows_at_one_row_per_customer,) = connection.execute(
            f"select observed_value from {TABLE} where run_id = 'run-2'"
            " and expectation = 'one row per customer'"
        ).fetchone()
    expectations = len(outcome.expectations)
    assert per_run == [("run-1", expectations, expectations)] + [
        ("run-2", expectations, expectations)
    ]
    assert failed == [
        (
            "marts.customer_360",
            "marts/customer_360",
            "critical",
            False,
            "failed",
            "churn_probability",
            1.0,
            1,
            '["1.5"]',
            True,
        )
    ]
    (customers,) = (
        duckdb.connect(str(warehouse), read_only=True)
        .execute("select count(*) from marts.customer_360")
        .fetchone()
    )
    assert rows_at_one_row_per_customer == customers


def test_c360_quality_docs_builds_the_data_docs_and_prints_where_they_are(
    warehouse_copy: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    warehouse = warehouse_copy()
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
    assert main(["quality", "docs"]) == 1
    assert "No validation has run on this warehouse yet" in capsys.readouterr().err

    outcome = run_suite(suite_named("raw_crm.deals"), warehouse, DEFAULT_MAPPING)
    assert main(["quality", "docs"]) == 0
    printed = capsys.readouterr().out
    index = Path(printed.split("Data Docs: ", 1)[1].splitlines()[0])
    assert index.is_file() and index.is_relative_to(warehouse.parent)
    site = index.parent
    # the run's results, under the suite's name, are in the pages
    pages = "".join(p.read_text() for p in site.rglob("*.html"))
    assert "raw_crm.deals" in pages
    assert outcome.run_id in pages


def test_the_data_docs_keep_a_month_of_results(
    warehouse_copy: Callable[..., Path],
) -> None:
    warehouse = warehouse_copy()
    old = run_suite(suite_named("raw_crm.deals"), warehouse, DEFAULT_MAPPING)
    results = warehouse.parent / "quality" / "gx" / "uncommitted" / "validations"
    two_months_ago = time.time() - 60 * 86_400
    for path in results.rglob(f"*{old.run_id}*"):
        for kept in [path, *path.rglob("*")]:
            os.utime(kept, (two_months_ago, two_months_ago))
    new = run_suite(suite_named("raw_crm.deals"), warehouse, DEFAULT_MAPPING)
    site = build_docs(warehouse).parent
    pages = "".join(p.read_text() for p in site.rglob("*.html"))
    assert new.run_id in pages
    assert old.run_id not in pages


def test_the_next_process_reads_the_suites_context_back_from_its_files(
    warehouse_copy: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the next night's run does: GE's context is made once, then read back."""
    from expectations import validate

    warehouse = warehouse_copy()
    suite = suite_named("raw_support.tickets")
    first = run_suite(suite, warehouse, DEFAULT_MAPPING)
    monkeypatch.setattr(validate, "_contexts", {})
    second = run_suite(suite, warehouse, DEFAULT_MAPPING)
    assert [e.success for e in second.expectations] == [
        e.success for e in first.expectations
    ]
    assert all(e.success for e in second.expectations)
