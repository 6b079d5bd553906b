"""A day later: the next load picks up exactly what the sources changed or added."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from customer360.settings import CrmPortal, Settings
from demo.generator import generate
from demo.standins.bitrix24 import RateLimit, start_standin
from demo.standins.bitrix24.server import seed_portal
from pipelines.ingest import land_source

TOKEN = "incremental-test-token"
BRANCHES = ("almaty", "astana", "shymkent")
SOURCES = ("crm", "onec", "telephony", "support")


def _crm_versions(landing: Path) -> dict[tuple[str, str, str], str]:
    """(branch, entity, ID) -> DATE_MODIFY, from the generator's seed files."""
    versions = {}
    for branch in BRANCHES:
        seed = json.loads((landing / "crm" / f"{branch}.json").read_text("utf-8"))
        for entity in ("contacts", "companies", "deals"):
            for record in seed[entity]:
                versions[(branch, entity, record["ID"])] = record["DATE_MODIFY"]
    return versions


def _onec_rows(landing: Path, table: str) -> dict[str, list[str]]:
    with (landing / "onec" / f"{table}.csv").open(encoding="cp1251", newline="") as f:
        reader = csv.reader(f, delimiter=";")
        next(reader)
        return {row[0]: row for row in reader}


def test_a_day_of_changes_lands_exactly_the_changed_and_added_records(
    tmp_path: Path,
) -> None:
    landing, truth = tmp_path / "landing", tmp_path / "truth"
    generate(landing, truth, customers=800, seed=5)
    before_crm = _crm_versions(landing)
    before_counterparties = _onec_rows(landing, "counterparties")

    with start_standin(
        tmp_path / "standin",
        BRANCHES,
        token=TOKEN,
        rate_limit=RateLimit(50, 1_000),
        seed_from=landing,
    ) as standin:
        settings = Settings(
            project_dir=tmp_path,
            warehouse_path=tmp_path / "warehouse.duckdb",
            landing_dir=landing,
            ground_truth_dir=truth,
            crm_portals=tuple(
                CrmPortal(b, u, 1, token=TOKEN) for b, u in standin.urls.items()
            ),
            crm_standin_dir=tmp_path / "standin",
        )
        for source in SOURCES:
            land_source(source, settings, progress=None)

        # the same company one day later; the CRMs receive their edits as upserts
        generate(landing, truth, customers=800, seed=5, increments=1)
        for branch in BRANCHES:
            seed_portal(standin.portal(branch).store, landing, branch)
        after_crm = _crm_versions(landing)
        changed_crm = {
            key
            for key, modified in after_crm.items()
            if before_crm.get(key) != modified
        }
        assert changed_crm, "the increment should edit or add CRM records"

        second = {s: land_source(s, settings, progress=None) for s in SOURCES}

    crm = second["crm"]
    assert crm.total_read == len(changed_crm)
    for entity in ("contacts", "companies", "deals"):
        assert crm.landed.get(entity, 0) == sum(
            1 for k in changed_crm if k[1] == entity
        )

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        landed_crm = {
            (branch, entity, str(record_id))
            for entity in ("contacts", "companies", "deals")
            for branch, record_id in warehouse.execute(
                f"select branch, id from raw_crm.{entity}"
            ).fetchall()
        }
        assert landed_crm == set(after_crm)

        # 1C: the rewritten counterparties file is merged; edits replace, adds add
        after_counterparties = _onec_rows(landing, "counterparties")
        edited = [
            code
            for code, row in after_counterparties.items()
            if code in before_counterparties and row != before_counterparties[code]
        ]
        assert edited, "the increment should edit some 1C counterparties"
        stored = dict(
            warehouse.execute(
                "select code, strftime(modified_at at time zone 'Asia/Almaty', "
                "'%d.%m.%Y %H:%M:%S') from raw_onec.counterparties"
            ).fetchall()
        )
        assert set(stored) == set(after_counterparties)
        for code in edited:
            assert stored[code] == after_counterparties[code][10]

        # telephony and support: only the new exports were read
        assert second["telephony"].unchanged_files
        assert second["support"].unchanged_files
        calls = warehouse.execute(
            "select count(*), count(distinct uniqueid) from raw_telephony.calls"
        ).fetchone()
        assert calls[0] == calls[1]


@pytest.fixture(autouse=True)
def _no_ambient_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("C360_CRM_WEBHOOK_TOKEN", raising=False)
