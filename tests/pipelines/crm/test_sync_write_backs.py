"""What the CRM sync writes into the portals does not come back as new source data."""

from __future__ import annotations

from typing import Any

from crm_testkit import Warehouse

from customer360.settings import Settings
from demo.standins.bitrix24 import StandinHandle
from pipelines.crm.helpers import Bitrix24Client, php_query
from pipelines.crm.settings import MAX_BATCH_COMMANDS
from pipelines.ingest import land_source


def _settings(tmp_path, warehouse: Warehouse, standin: StandinHandle) -> Settings:
    return Settings(
        project_dir=tmp_path,
        warehouse_path=warehouse.path,
        landing_dir=tmp_path / "landing",
        ground_truth_dir=tmp_path / "ground_truth",
        crm_portals=standin.crm_portals(),
        crm_standin_dir=tmp_path / "standin",
    )


def _sync_fields(record_id: int, segment: str = "champions") -> dict[str, Any]:
    """What the CRM sync writes into a record (reverse_etl/mapping.yml)."""
    return {
        "UF_CRM_C360_ID": f"C360-{record_id:06d}",
        "UF_CRM_C360_CUSTOMER_ID": f"cust-{record_id}",
        "UF_CRM_C360_LTV": 125_000.5 + record_id,
        "UF_CRM_C360_CHURN_RISK": "high",
        "UF_CRM_C360_SEGMENT": segment,
        "UF_CRM_C360_DQ_FLAGS": "phone_invalid",
        "UF_CRM_C360_DUPLICATE_OF": record_id + 1,
    }


def _write_back(
    standin: StandinHandle, table: str, fields: dict[tuple[str, int], dict]
) -> None:
    """Update records through the portals' REST API, in batches, as the sync does."""
    method = {"contacts": "crm.contact.update", "companies": "crm.company.update"}
    for portal in standin.crm_portals():
        updates = [
            (record_id, changes)
            for (branch, record_id), changes in fields.items()
            if branch == portal.branch
        ]
        client = Bitrix24Client(portal)
        for at in range(0, len(updates), MAX_BATCH_COMMANDS):
            commands = {
                f"u{record_id}": f"{method[table]}?"
                + php_query({"id": record_id, "fields": changes})
                for record_id, changes in updates[at : at + MAX_BATCH_COMMANDS]
            }
            answer = client.call("batch", {"halt": 0, "cmd": commands})
            assert not answer["result"]["result_error"], answer
            assert all(answer["result"]["result"].values())


def _keys(warehouse: Warehouse, table: str) -> list[tuple[str, int]]:
    return warehouse.rows(f"select branch, id from raw_crm.{table} order by all")


def test_the_sync_fields_land_as_text_and_are_not_new_columns(
    standin: StandinHandle, warehouse: Warehouse, tmp_path
) -> None:
    settings = _settings(tmp_path, warehouse, standin)
    land_source("crm", settings, progress=None)
    _write_back(
        standin, "contacts", {("almaty", 5): {"NAME": "Пётр", **_sync_fields(5)}}
    )
    _write_back(
        standin, "companies", {("astana", 2): {"TITLE": "ТОО Новое", **_sync_fields(2)}}
    )

    report = land_source("crm", settings, progress=None)

    assert report.new_columns == {}
    assert warehouse.rows(
        "select name, uf_crm_c360_ltv, uf_crm_c360_duplicate_of, uf_crm_c360_segment "
        "from raw_crm.contacts where branch = 'almaty' and id = 5"
    ) == [("Пётр", "125005.5", "6", "champions")]
    assert warehouse.rows(
        "select title, uf_crm_c360_churn_risk from raw_crm.companies "
        "where branch = 'astana' and id = 2"
    ) == [("ТОО Новое", "high")]
