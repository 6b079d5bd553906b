"""Each suite passes on the good data and fails on a copy corrupted one way.

The session's generated company (`built_company`), copied and corrupted in SQL;
real Great Expectations on frames read read-only from the real warehouse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from expectations.catalog import SUITES, suite_named
from expectations.validate import SuiteOutcome, run_suite
from expectations.validations import TABLE, record
from reverse_etl.sync import DEFAULT_MAPPING

Copy = Callable[..., Path]


def _run(warehouse: Path, name: str, run_id: str = "run") -> SuiteOutcome:
    outcome = run_suite(suite_named(name), warehouse, DEFAULT_MAPPING, run_id)
    record(warehouse, outcome.rows())
    return outcome


def _failed(outcome: SuiteOutcome) -> dict[str, str]:
    """expectation name -> severity, of those that failed."""
    return {e.expectation: e.severity for e in outcome.expectations if not e.success}


def test_every_suite_passes_on_good_data_and_again_against_its_baselines(
    warehouse_copy: Copy,
) -> None:
    warehouse = warehouse_copy()
    for suite in SUITES:
        outcome = _run(warehouse, suite.name, "first")
        assert not outcome.skipped, outcome.summary()
        assert outcome.expectations, suite.name
        assert _failed(outcome) == {}, [
            e.line() for e in outcome.expectations if not e.success
        ]
    # the next run holds the landed data to the first run's figures, and passes
    assert _failed(_run(warehouse, "raw_onec.counterparties", "second")) == {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        runs = connection.execute(
            f"select run_id, count(distinct suite) from {TABLE} group by 1 order by 1"
        ).fetchall()
        # the second run compared the valid shares with the first's
        [(needed,)] = connection.execute(
            f"select observed from {TABLE} where run_id = 'second'"
            " and suite = 'raw_onec.counterparties'"
            " and expectation = 'valid IIN/BIN share'"
        ).fetchall()
    assert runs == [("first", len(SUITES)), ("second", 1)]
    assert "needed" in needed and "needed 0.00%" not in needed


def test_a_duplicated_primary_key_fails_the_landed_suite_critically(
    warehouse_copy: Copy,
) -> None:
    warehouse = warehouse_copy(
        "insert into raw_onec.counterparties"
        " select * from raw_onec.counterparties order by code limit 1"
    )
    (code,) = (
        duckdb.connect(str(warehouse), read_only=True)
        .execute("select min(code) from raw_onec.counterparties")
        .fetchone()
    )
    outcome = _run(warehouse, "raw_onec.counterparties")
    assert _failed(outcome) == {"unique code": "critical"}
    [failure] = outcome.critical_failures
    # the message names the suite, the expectation and the offending values
    assert failure.line().startswith(
        "raw_onec.counterparties: unique code (critical) failed: 2 of"
    )
    assert repr(code) in failure.line()


def test_a_missing_required_field_fails_critically(warehouse_copy: Copy) -> None:
    warehouse = warehouse_copy(
        "update raw_onec.invoices set date = null where number in"
        " (select number from raw_onec.invoices order by number limit 3)"
    )
    outcome = _run(warehouse, "raw_onec.invoices")
    assert _failed(outcome) == {"date filled": "critical"}


def test_a_value_outside_the_allowed_ones_is_a_warning(warehouse_copy: Copy) -> None:
    warehouse = warehouse_copy(
        "update raw_telephony.calls set disposition = 'MAYBE' where uniqueid in"
        " (select uniqueid from raw_telephony.calls order by uniqueid limit 2)"
    )
    outcome = _run(warehouse, "raw_telephony.calls")
    assert _failed(outcome) == {"disposition allowed values": "warning"}
    assert outcome.critical_failures == []
    assert "'MAYBE'" in outcome.warnings[0].line()


def test_a_date_out_of_range_is_a_warning(warehouse_copy: Copy) -> None:
    warehouse = warehouse_copy(
        "update raw_onec.invoices set date = date '2099-01-01' where number ="
        " (select min(number) from raw_onec.invoices)"
    )
    outcome = _run(warehouse, "raw_onec.invoices")
    assert _failed(outcome) == {"date date range": "warning"}
    assert "2099-01-01" in outcome.warnings[0].line()


def test_a_landing_that_lost_most_rows_since_the_previous_run_fails_critically(
    warehouse_copy: Copy,
) -> None:
    warehouse = warehouse_copy()
    assert _failed(_run(warehouse, "raw_support.tickets", "yesterday")) == {}
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("delete from raw_support.tickets where id % 3 <> 0")
    outcome = _run(warehouse, "raw_support.tickets", "today")
    assert _failed(outcome) == {"row count": "critical"}


@pytest.mark.parametrize(
    ("suite", "corruption", "expectation"),
    [
        (
            "raw_onec.counterparties",
            "update raw_onec.counterparties set phone = 'тел. 12-34' where code in"
            " (select code from raw_onec.counterparties"
            "  where phone is not null order by code limit 60)",
            "valid phone share",
        ),
        (
            "raw_crm.contacts",
            'update raw_crm.contacts set email = \'[{"VALUE": "no-email"}]\''
            " where id % 4 = 0",
            "valid e-mail share",
        ),
        (
            "raw_onec.counterparties",
            # the check digit off by one: typed wrong, or a column shifted
            "update raw_onec.counterparties set bin_iin = substr(bin_iin, 1, 11)"
            " || cast((cast(substr(bin_iin, 12, 1) as integer) + 1) % 10 as varchar)"
            " where code in (select code from raw_onec.counterparties"
            "  where regexp_full_match(bin_iin, '[0-9]{12}') order by code limit 60)",
            "valid IIN/BIN share",
        ),
    ],
    ids=["phones", "e-mails", "iin-bin"],
)
def test_a_valid_share_falling_below_the_last_runs_is_a_warning(
    warehouse_copy: Copy, suite: str, corruption: str, expectation: str
) -> None:
    warehouse = warehouse_copy()
    assert _failed(_run(warehouse, suite, "yesterday")) == {}
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(corruption)
    outcome = _run(warehouse, suite, "today")
    assert _failed(outcome) == {expectation: "warning"}
    assert outcome.critical_failures == []


def test_a_suite_whose_table_the_company_lacks_is_skipped_and_says_so(
    warehouse_copy: Copy,
) -> None:
    warehouse = warehouse_copy("drop table raw_support.tickets")
    outcome = _run(warehouse, "raw_support.tickets")
    assert outcome.skipped.startswith("absent: raw_support.tickets not in the")
    assert outcome.critical_failures == [] and outcome.warnings == []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            f"select status, details from {TABLE} where suite = 'raw_support.tickets'"
        ).fetchall()
    assert rows == [("skipped", outcome.skipped)]


def test_a_landed_table_without_a_column_the_suite_reads_is_a_warning(
    warehouse_copy: Copy,
) -> None:
    """A portal without the IIN user field: staging reads it as null, the marts build,
    and the suite says it could not read the table instead of stopping the run."""
    warehouse = warehouse_copy("alter table raw_crm.contacts drop column uf_crm_iin")
    outcome = _run(warehouse, "raw_crm.contacts")
    assert _failed(outcome) == {"frame readable": "warning"}
    assert "uf_crm_iin" in outcome.warnings[0].line()


@pytest.mark.parametrize(
    ("suite", "corruption", "failed"),
    [
        (
            "marts.customer_360",
            "insert into marts.customer_360"
            " select * from marts.customer_360 order by customer_id limit 1",
            {"one row per customer", "unique customer_id"},
        ),
        (
            "marts.customer_360",
            "update marts.customer_360 set predicted_value_12m_kzt = -100"
            " where customer_id = (select min(customer_id) from marts.customer_360"
            "  where predicted_value_12m_kzt is not null)",
            {"LTV not negative"},
        ),
        (
            "marts.customer_360",
            "update marts.customer_360 set churn_probability = 1.5"
            " where customer_id = (select min(customer_id) from marts.customer_360"
            "  where churn_probability is not null)",
            {"churn probability in [0, 1]"},
        ),
        (
            "intermediate.int_record_crosswalk",
            "delete from intermediate.int_record_crosswalk where record_key ="
            " (select min(record_key) from intermediate.int_record_crosswalk"
            "  where record_key like 'onec:counterparties:%')",
            {"every record has its stable ID"},
        ),
        (
            "marts.revenue_reconciliation",
            "update marts.revenue_reconciliation"
            " set onec_net_total_kzt = onec_net_total_kzt + 1"
            " where reconciliation_key = (select min(reconciliation_key)"
            "  from marts.revenue_reconciliation where onec_net_total_kzt <> 0)",
            {"1C side equals the 1C ledger"},
        ),
        (
            "marts.crm_sync_records",
            "update marts.crm_sync_records set churn_risk_band = 'very high'"
            " where churn_risk_band = 'high'",
            {"churn_risk_band allowed values"},
        ),
        (
            "marts.crm_sync_records",
            "update marts.crm_sync_records set golden_phone_e164 = '8 (701) 123'"
            " where record_key = (select min(record_key) from marts.crm_sync_records"
            "  where golden_phone_e164 is not null)",
            {"golden_phone_e164 format"},
        ),
        (
            "marts.crm_sync_records",
            "update marts.crm_sync_records set customer_name = repeat('x', 300)"
            " where record_key = (select min(record_key) from marts.crm_sync_records)",
            set(),  # not written to the CRM: the sync's mapping does not send it
        ),
        (
            "marts.crm_sync_records",
            "update marts.crm_sync_records set data_quality_flags = repeat('x', 300)"
            " where record_key = (select min(record_key) from marts.crm_sync_records)",
            {"data_quality_flags format", "data_quality_flags fits a string field"},
        ),
        (
            "marts.crm_sync_records",
            "update marts.crm_sync_records set duplicate_of_crm_id = 5000000000"
            " where record_key = (select min(record_key) from marts.crm_sync_records)",
            {"duplicate_of_crm_id fits a integer field"},
        ),
    ],
    ids=[
        "customer-twice",
        "negative-ltv",
        "churn-above-one",
        "record-unmapped",
        "reconciliation-off-ledger",
        "unknown-risk-band",
        "phone-not-e164",
        "unsent-column-ignored",
        "string-too-long",
        "integer-out-of-range",
    ],
)
def test_a_corrupted_mart_fails_its_suite_critically(
    warehouse_copy: Copy, suite: str, corruption: str, failed: set[str]
) -> None:
    outcome = _run(warehouse_copy(corruption), suite)
    assert _failed(outcome) == dict.fromkeys(failed, "critical")
