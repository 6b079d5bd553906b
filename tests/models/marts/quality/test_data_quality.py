"""Data quality per source and field: the figures, and the history kept per run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.landed_company import BuiltCompany, build_failures

pytestmark = pytest.mark.slow

HISTORY = "marts.dq_field_quality_history"
LATEST = "marts.dq_field_quality_latest"
SELECT_QUALITY = ["--select", "marts.quality"]


def iin_bin_checksum_ok(value: str) -> bool:
    """The IIN/BIN check digit, written from the rule, not from the dbt macro."""
    if len(value) != 12 or not value.isdigit():
        return False
    digits = [int(c) for c in value]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        check = sum(w * d for w, d in zip(weights, digits[:11], strict=True)) % 11
        if check != 10:
            return check == digits[11]
    return False


def latest_row(company: BuiltCompany, source_system: str, field: str) -> dict:
    columns = (
        "records, filled_records, valid_records, completeness, validity, "
        "field_score, duplicate_records, rejected_records"
    )
    rows = company.query(
        f"select {columns} from {LATEST}"
        f" where source_system = '{source_system}' and field = '{field}'"
    )
    assert len(rows) == 1, (source_system, field, rows)
    return dict(zip([c.strip() for c in columns.split(",")], rows[0], strict=True))


def test_onec_iin_bin_figures_match_a_count_of_the_staged_counterparties(
    built_company: BuiltCompany,
):
    staged = [
        value
        for (value,) in built_company.query(
            "select bin_iin from staging.stg_onec__counterparties"
            " where counterparty_type in"
            " ('individual', 'legal_entity', 'sole_proprietor')"
        )
    ]
    filled = [v for v in staged if v is not None and v.strip() != ""]
    valid = [v for v in filled if iin_bin_checksum_ok(v.strip())]
    assert 0 < len(valid) < len(filled) < len(staged)  # the company exercises all three

    row = latest_row(built_company, "onec", "iin_bin")
    assert (row["records"], row["filled_records"], row["valid_records"]) == (
        len(staged),
        len(filled),
        len(valid),
    )
    assert row["completeness"] == pytest.approx(len(filled) / len(staged), abs=1e-4)
    assert row["validity"] == pytest.approx(len(valid) / len(filled), abs=1e-4)
    assert row["field_score"] == pytest.approx(len(valid) / len(staged), abs=1e-4)


def test_crm_duplicates_and_onec_rejects_match_the_crosswalk_and_raw_tables(
    built_company: BuiltCompany,
):
    [(records, ids)] = built_company.query(
        "select count(*), count(distinct stable_id)"
        " from intermediate.int_record_crosswalk"
        " where still_seen and record_key like 'crm:%'"
    )
    [(rejects,)] = built_company.query("select count(*) from raw_onec.rejects")
    assert latest_row(built_company, "crm", "phone")["duplicate_records"] == (
        records - ids
    )
    assert latest_row(built_company, "onec", "name")["rejected_records"] == rejects


def test_each_run_appends_its_rows_and_full_refresh_keeps_the_history(
    built_company: BuiltCompany, tmp_path: Path
):
    company = built_company.copy_to(tmp_path)

    def runs() -> list[tuple]:
        return company.query(
            f"select run_id, count(*), count(distinct source_system || ':' || field)"
            f" from {HISTORY} group by run_id order by min(run_started_at)"
        )

    def onec_iin_bin_completeness() -> list[float]:
        return [
            c
            for (c,) in company.query(
                f"select completeness from {HISTORY}"
                " where source_system = 'onec' and field = 'iin_bin'"
                " order by run_started_at"
            )
        ]

    first = runs()
    assert len(first) == 1
    [(first_run, fields, distinct_fields)] = first
    assert fields == distinct_fields > 0
    before = onec_iin_bin_completeness()

    # a quarter of the 1C BINs/IINs go blank: the next run must see it, the first not
    company.query(
        "update raw_onec.counterparties set bin_iin = ''"
        " where bin_iin <> '' and hash(code) % 4 = 0"
    )
    assert build_failures(company.dbt(["build", *SELECT_QUALITY])) == []
    second = runs()
    assert [r[0] for r in second][:1] == [first_run]
    assert [r[1:] for r in second] == [(fields, fields)] * 2
    after = onec_iin_bin_completeness()
    assert after[0] == before[0]
    assert after[1] < after[0]

    latest_runs = company.query(f"select distinct run_id from {LATEST}")
    assert latest_runs == [(second[1][0],)]

    full_refresh = ["build", "--full-refresh", *SELECT_QUALITY]
    assert build_failures(company.dbt(full_refresh)) == []
    third = runs()
    assert [r[0] for r in third][:2] == [r[0] for r in second]
    assert [r[1:] for r in third] == [(fields, fields)] * 3
