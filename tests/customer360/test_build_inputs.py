"""What a build reads, fingerprinted: the same inputs give the same fingerprint, and
any change a model could see gives another."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from customer360.build_inputs import (
    build_fingerprint,
    forecast_fit_due,
    last_complete_build,
    missing_relations,
    record_complete_build,
)
from customer360.forecasts.fit_store import RefitPolicy

VARS = {"vars": '{"c360_branches": ["almaty"]}'}


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        """
        create schema raw_onec;
        create table raw_onec.invoices as
            select 'INV-' || i as number, i * 100.0 as amount, 'abc' as _dlt_load_id
            from range(1, 51) t(i);
        create table raw_onec._dlt_loads as select 'abc' as load_id, 0 as status;
        create schema raw_onec_staging;
        create table raw_onec_staging.invoices as select 1 as leftover;
        """
    )
    return connection


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    (folder / "models").mkdir(parents=True)
    (folder / "models" / "a.sql").write_text("select 1 as a\n", encoding="utf-8")
    (folder / "dbt_project.yml").write_text("name: p\n", encoding="utf-8")
    return folder


def test_the_same_inputs_give_the_same_fingerprint(warehouse, project) -> None:
    first = build_fingerprint(warehouse, project, VARS)
    assert build_fingerprint(warehouse, project, VARS) == first
    # dlt's bookkeeping and its staging leftovers are not inputs
    warehouse.execute("insert into raw_onec._dlt_loads values ('def', 0)")
    warehouse.execute("insert into raw_onec_staging.invoices values (2)")
    assert build_fingerprint(warehouse, project, VARS) == first
    # nor is an empty table, which the models read as absent
    warehouse.execute("create schema review")
    warehouse.execute("create table review.identity_decisions (decision varchar)")
    assert build_fingerprint(warehouse, project, VARS) == first


def test_a_changed_row_a_decision_a_file_or_a_setting_changes_it(
    warehouse, project
) -> None:
    first = build_fingerprint(warehouse, project, VARS)
    seen = {first}

    def changed() -> str:
        now = build_fingerprint(warehouse, project, VARS)
        assert now not in seen
        seen.add(now)
        return now

    # one value of one row, with the count unchanged
    warehouse.execute(
        "update raw_onec.invoices set amount = 101 where number = 'INV-1'"
    )
    changed()
    # a row twice: a sum of hashes, where a XOR would cancel the pair out
    warehouse.execute(
        "insert into raw_onec.invoices select * from raw_onec.invoices limit 1"
    )
    warehouse.execute(
        "insert into raw_onec.invoices select * from raw_onec.invoices limit 1"
    )
    changed()
    warehouse.execute("create schema review")
    warehouse.execute(
        "create table review.identity_decisions as select 'match' as decision"
    )
    changed()
    (project / "models" / "a.sql").write_text("select 2 as a\n", encoding="utf-8")
    changed()
    shutil.copy(project / "models" / "a.sql", project / "models" / "b.sql")
    changed()
    assert build_fingerprint(warehouse, project, {"vars": "{}"}) not in seen


def test_a_build_is_the_last_complete_one_until_another_invocation_starts(
    warehouse,
) -> None:
    assert last_complete_build(warehouse) is None
    started = dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC)
    warehouse.execute(
        """
        create schema ops;
        create table ops.dbt_invocations (
            invocation_id varchar, command varchar, started_at timestamptz);
        """
    )
    invoked = "insert into ops.dbt_invocations values (?, 'build', ?)"
    # the build's own dbt invocation starts just after the run noted its start
    warehouse.execute(invoked, ["own", started + dt.timedelta(seconds=2)])
    record_complete_build(
        warehouse, "run-1", started, started + dt.timedelta(minutes=5), "f1"
    )
    last = last_complete_build(warehouse)
    assert (last.run_id, last.fingerprint, last.invocations_since) == ("run-1", "f1", 1)
    # `c360 identity train`, a build by hand, a build that failed half-way
    warehouse.execute(invoked, ["later", started + dt.timedelta(hours=1)])
    assert last_complete_build(warehouse).invocations_since == 2


def test_a_forecast_fit_falls_due_with_time_alone(warehouse) -> None:
    policy = RefitPolicy(interval_days=7)
    now = dt.datetime(2026, 12, 10, 3, 0)
    assert "int_ltv_fits has not been built" in forecast_fit_due(warehouse, policy, now)
    warehouse.execute("create schema intermediate")
    for table in ("int_ltv_fits", "int_churn_fits"):
        warehouse.execute(
            f"""
            create table intermediate.{table} as select
                1::bigint as version, timestamp '2026-12-08 03:00' as fitted_at,
                'no fit yet' as trigger, 'accepted' as status, 100::bigint as customers,
                date '2026-12-07' as data_as_of, '{{}}' as parameters,
                null::varchar as failed_checks, 1.0::double as seconds
            """
        )
    assert forecast_fit_due(warehouse, policy, now) is None
    due = forecast_fit_due(warehouse, policy, now + dt.timedelta(days=5))
    assert due == "int_ltv_fits: 7 days since the last fit"


def test_a_model_dropped_by_hand_is_missing(warehouse, tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    nodes = {
        "model.p.invoices": ("model", "table", "raw_onec", "invoices"),
        "model.p.gone": ("model", "table", "marts", "customer_360"),
        "model.p.inline": ("model", "ephemeral", "marts", "never_a_table"),
        "test.p.t": ("test", "test", "tests", "not_null_x"),
    }
    manifest.write_text(
        json.dumps(
            {
                "nodes": {
                    key: {
                        "resource_type": kind,
                        "config": {"materialized": materialized},
                        "schema": schema,
                        "alias": alias,
                    }
                    for key, (kind, materialized, schema, alias) in nodes.items()
                }
            }
        ),
        encoding="utf-8",
    )
    assert missing_relations(warehouse, manifest) == ["marts.customer_360"]
