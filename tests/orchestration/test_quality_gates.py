"""The expectation suites as Dagster checks: a failed critical check stops the CRM
sync and the BI publish in a real run; a warning is reported and the run goes on.

Runs the real graph in-process on a copy of the session's built company, with the
Bitrix24 stand-in as the CRM: the marts the sync reads are rebuilt by dbt, checked,
and synced (or not).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckKey, AssetKey

from c360.run import not_published_line
from customer360.settings import Settings, load_settings
from demo.standins.bitrix24 import RateLimit, start_standin
from expectations.catalog import SUITES
from expectations.validations import TABLE
from orchestration.definitions import build_definitions
from orchestration.quality.checks import CRITICAL_CHECK, WARNING_CHECK
from orchestration.run import run_main_job
from tests.landed_company import BRANCHES, BuiltCompany, copy_warehouse

PROJECT_DIR = Path(__file__).resolve().parents[2]
TOKEN = "test-webhook-token"
# the marts the sync reads, rebuilt and checked, then the sync and the BI publish
SYNC_PATH = [
    "marts/customer_360",
    "marts/crm_sync_records",
    "crm_sync",
    "published_warehouse",
]


@pytest.fixture
def settings(
    built_company: BuiltCompany, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    warehouse = copy_warehouse(built_company.warehouse, tmp_path / "warehouse")
    landing = built_company.ground_truth_dir.parent / "landing"
    with start_standin(
        tmp_path / "standin",
        BRANCHES,
        token=TOKEN,
        rate_limit=RateLimit(capacity=50, drain_per_second=100),
        seed_from=landing,
    ) as standin:
        monkeypatch.setenv("C360_PROJECT_DIR", str(PROJECT_DIR))
        monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
        monkeypatch.setenv("C360_LANDING_DIR", str(landing))
        monkeypatch.setenv(
            "C360_CRM_PORTALS", ",".join(f"{b}={u}" for b, u in standin.urls.items())
        )
        monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", TOKEN)
        monkeypatch.setenv("C360_CRM_STANDIN_DIR", str(tmp_path / "standin"))
        yield load_settings()


def _crm_state(standin_dir: Path) -> str:
    """A digest of everything the stand-in's portals hold."""
    digest = hashlib.sha256()
    for store in sorted(standin_dir.glob("*.sqlite3")):
        with sqlite3.connect(store) as connection:
            tables = connection.execute(
                "select name from sqlite_master where type = 'table' order by name"
            ).fetchall()
            for (table,) in tables:
                rows = connection.execute(f'select * from "{table}"').fetchall()
                digest.update(repr(sorted(map(repr, rows))).encode())
    return digest.hexdigest()


def _yesterdays_bi_copy(settings: Settings) -> bytes:
    with duckdb.connect(str(settings.published_path)) as yesterday:
        yesterday.execute("create schema marts")
        yesterday.execute("create table marts.customer_360 as select 'org_1' as id")
    return settings.published_path.read_bytes()


def test_every_suite_is_a_blocking_check_on_its_asset_and_dbt_tests_are_checks(
    built_company: BuiltCompany, tmp_path: Path
) -> None:
    definitions = build_definitions(
        Settings(
            project_dir=PROJECT_DIR,
            warehouse_path=tmp_path / "warehouse.duckdb",
            landing_dir=tmp_path / "landing",
            ground_truth_dir=tmp_path / "ground_truth",
            crm_portals=(),
            crm_standin_dir=tmp_path / "standin",
        )
    )
    graph = definitions.resolve_asset_graph()
    checks = {key: graph.get_check_spec(key) for key in graph.asset_check_keys}
    for suite in SUITES:
        asset = AssetKey(list(suite.asset))
        assert checks[AssetCheckKey(asset, CRITICAL_CHECK)].blocking, suite.name
        assert not checks[AssetCheckKey(asset, WARNING_CHECK)].blocking, suite.name
    # dbt's tests of severity error block too
    customer_360 = AssetKey(["marts", "customer_360"])
    dbt_checks = [
        spec
        for key, spec in checks.items()
        if key.asset_key == customer_360
        and key.name not in (CRITICAL_CHECK, WARNING_CHECK)
    ]
    assert any(spec.name.startswith("unique_customer_360") for spec in dbt_checks)
    assert all(spec.blocking for spec in dbt_checks)


@pytest.mark.slow
def test_a_failed_critical_check_stops_the_sync_and_the_bi_publish(
    settings: Settings,
) -> None:
    # a churn model gone wrong: a probability above one reaches customer_360
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute(
            "update marts.customer_churn set churn_probability = 1.5"
            " where customer_id = (select min(customer_id) from marts.customer_churn"
            "  where churn_probability is not null)"
        )
    crm_before = _crm_state(settings.crm_standin_dir)
    published_before = _yesterdays_bi_copy(settings)

    outcome = run_main_job(settings, selection=SYNC_PATH)

    assert not outcome.success
    assert outcome.synced is None and outcome.published is None
    assert _crm_state(settings.crm_standin_dir) == crm_before
    assert settings.published_path.read_bytes() == published_before
    assert "BI keeps reading" in not_published_line(settings)
    # the run says which suite, which expectation, and the offending value
    [(step, message)] = outcome.failures
    assert step == "quality_marts__customer_360"
    assert (
        "marts/customer_360: marts.customer_360: churn probability in [0, 1]"
        " (critical) failed: 1 of 400 values, e.g. 1.5" in message
    )
    assert message in outcome.format()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        [(status, sample)] = connection.execute(
            f"select status, unexpected_sample from {TABLE}"
            f" where run_id = '{outcome.run_id}'"
            " and expectation = 'churn probability in [0, 1]'"
        ).fetchall()
    assert (status, sample) == ("failed", '["1.5"]')


def test_a_failed_warning_is_reported_and_the_sync_and_publish_go_on(
    settings: Settings,
) -> None:
    # the last runs had an e-mail for every customer: this one has fewer
    with duckdb.connect(str(settings.warehouse_path)) as connection:
        connection.execute(
            f"create schema data_quality; create table {TABLE} as"
            " select 'earlier' as run_id, now() as validated_at,"
            " 'marts.customer_360' as suite, 'marts/customer_360' as asset,"
            " 'customers with an e-mail' as expectation,"
            " 'expect_column_values_to_be_in_set' as expectation_type,"
            " 'has_email' as column_name, 'warning' as severity,"
            " 'passed' as status, true as success, 1.0::double as observed_value,"
            " '100%' as observed, 400::bigint as element_count,"
            " 0::bigint as unexpected_count, null::varchar as unexpected_sample,"
            " null::varchar as details"
        )
    crm_before = _crm_state(settings.crm_standin_dir)

    outcome = run_main_job(settings, selection=SYNC_PATH)

    assert outcome.success, outcome.format()
    assert outcome.synced is not None and outcome.published is not None
    assert _crm_state(settings.crm_standin_dir) != crm_before
    [(asset, message)] = [
        w for w in outcome.check_warnings if w[0] == "marts/customer_360"
    ]
    assert message.startswith(
        "marts.customer_360: customers with an e-mail (warning) failed:"
    )
    assert f"warning marts/customer_360: {message}" in outcome.format()
