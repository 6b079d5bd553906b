"""Harsh records are still records: every source lands them through its pipeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb

from customer360.settings import Settings
from demo.standins.bitrix24 import RateLimit, start_standin
from pipelines.ingest import land_source
from tests.demo.generator.conftest import DataSet

BRANCHES = ["almaty", "astana", "shymkent"]


def test_every_harsh_record_lands_and_only_impossible_invoice_dates_are_rejected(
    harsh: DataSet, tmp_path: Path
) -> None:
    settings = Settings(
        project_dir=tmp_path,
        warehouse_path=tmp_path / "warehouse" / "customer360.duckdb",
        landing_dir=harsh.landing,
        ground_truth_dir=harsh.truth,
        crm_portals=(),
        crm_standin_dir=tmp_path / "crm_standin",
    )
    reports = [
        land_source(source, settings, progress=None)
        for source in ("onec", "telephony", "support")
    ]
    standin = start_standin(
        settings.crm_standin_dir,
        BRANCHES,
        token="t",
        rate_limit=RateLimit(50, 1000),
        seed_from=harsh.landing,
    )
    try:
        reports.append(
            land_source(
                "crm",
                replace(settings, crm_portals=standin.crm_portals()),
                progress=None,
            )
        )
    finally:
        standin.stop()

    rejected = {report.source: report.rejected for report in reports}
    impossible = sum(row["Дата"].startswith("30.02.") for row in harsh.onec("invoices"))
    # the generator's only records the contract forbids, in both profiles
    assert rejected == {
        "onec": {"invoices": impossible},
        "telephony": {},
        "support": {},
        "crm": {},
    }
    written = {
        "raw_crm.contacts": sum(len(harsh.crm(b)["contacts"]) for b in BRANCHES),
        "raw_crm.companies": sum(len(harsh.crm(b)["companies"]) for b in BRANCHES),
        "raw_onec.counterparties": len(harsh.onec("counterparties")),
        "raw_onec.contact_persons": len(harsh.onec("contact_persons")),
    }
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        for table, rows in written.items():
            assert warehouse.execute(f"select count(*) from {table}").fetchone() == (
                rows,
            ), table
        birth_dates = warehouse.execute(
            "select count(birth_date) from raw_onec.contact_persons"
        ).fetchone()[0]
    assert birth_dates > 0
