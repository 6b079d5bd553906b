"""What the CRM sync writes into the portals does not come back as new source data."""

from __future__ import annotations

from typing import Any

import pytest
from crm_testkit import BRANCH_SIZES, Warehouse

import pipelines.crm
from customer360.settings import Settings
from demo.standins.bitrix24 import StandinHandle
from demo.standins.bitrix24.entities import CONTACT
from pipelines.crm.helpers import Bitrix24Client, php_query
from pipelines.crm.settings import CONTENT_HASH, MAX_BATCH_COMMANDS
from pipelines.ingest import IngestReport, land_source

TABLES = ("contacts", "companies", "deals")


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
        # the sync creates its fields first: a portal ignores fields it lacks
        entity = method[table].split(".")[1]
        existing = client.call(f"crm.{entity}.fields", {})["result"]
        for name in _sync_fields(0):
            if name not in existing:
                client.call(
                    f"crm.{entity}.userfield.add",
                    {
                        "fields": {
                            "FIELD_NAME": name.removeprefix("UF_CRM_"),
                            "USER_TYPE_ID": "string",
                        }
                    },
                )
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


def _write_sync_fields_everywhere(
    standin: StandinHandle, warehouse: Warehouse, segment: str = "champions"
) -> None:
    for table in ("contacts", "companies"):
        keys = _keys(warehouse, table)
        _write_back(
            standin, table, {key: _sync_fields(key[1], segment) for key in keys}
        )


def test_records_changed_only_in_the_sync_fields_are_not_landed_again(
    standin: StandinHandle, warehouse: Warehouse, tmp_path
) -> None:
    settings = _settings(tmp_path, warehouse, standin)
    land_source("crm", settings, progress=None)
    before = {table: warehouse.table(table) for table in TABLES}
    almaty = standin.portal("almaty")
    before_write = almaty.store.get(CONTACT, 1)

    _write_sync_fields_everywhere(standin, warehouse)

    written = almaty.store.get(CONTACT, 1)
    assert written["DATE_MODIFY"] > before_write["DATE_MODIFY"]
    assert written["UF_CRM_C360_LTV"] == "125001.5"
    messages: list[str] = []
    report = land_source("crm", settings, progress=messages.append)

    # every contact was listed again (DATE_MODIFY moved), none landed
    assert "crm/almaty contacts: 130 / 130" in messages
    assert report.total_read == report.total_landed == report.total_rejected == 0
    assert report.new_columns == {}  # the sync's fields are known, not new
    summary = IngestReport(sources=[report]).format()
    assert summary.splitlines()[-1].split()[:4] == ["total", "0", "0", "0"]
    assert {table: warehouse.table(table) for table in TABLES} == before

    # the cursor moved past the writes as before: the next run reads nothing
    assert land_source("crm", settings, progress=None).total_read == 0


def test_a_record_changed_with_the_sync_fields_lands_whole_and_they_are_not_new(
    standin: StandinHandle, warehouse: Warehouse, tmp_path
) -> None:
    settings = _settings(tmp_path, warehouse, standin)
    land_source("crm", settings, progress=None)
    [(name_of_6,)] = warehouse.rows(
        "select name from raw_crm.contacts where branch = 'almaty' and id = 6"
    )
    _write_back(
        standin,
        "contacts",
        {
            ("almaty", 5): {"NAME": "Пётр", **_sync_fields(5)},
            ("almaty", 6): _sync_fields(6),
        },
    )
    _write_back(
        standin, "companies", {("astana", 2): {"TITLE": "ТОО Новое", **_sync_fields(2)}}
    )

    report = land_source("crm", settings, progress=None)

    # contact 6 changed only in the sync's fields: listed again, but not landed
    assert report.read == report.landed == {"contacts": 1, "companies": 1}
    assert report.new_columns == {}
    assert warehouse.rows(
        "select id, name, uf_crm_c360_ltv, uf_crm_c360_duplicate_of, "
        "uf_crm_c360_segment from raw_crm.contacts "
        "where branch = 'almaty' and id in (5, 6) order by id"
    ) == [(5, "Пётр", "125005.5", "6", "champions"), (6, name_of_6, None, None, "")]
    assert warehouse.rows(
        "select title, uf_crm_c360_churn_risk from raw_crm.companies "
        "where branch = 'astana' and id = 2"
    ) == [("ТОО Новое", "high")]


def test_a_warehouse_landed_without_content_hashes_gains_them(
    standin: StandinHandle, warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    # land as the CRM pipeline did before it hashed what records say
    with monkeypatch.context() as before_hashes:
        land_or_reject = pipelines.crm._land_or_reject
        column_hints = pipelines.crm.settings.column_hints

        def unhashed(*args: Any) -> Any:
            item = land_or_reject(*args)
            if isinstance(item, dict):
                item.pop(CONTENT_HASH)
            return item

        def unhashed_hints(entity: Any) -> dict[str, Any]:
            hints = column_hints(entity)
            hints.pop(CONTENT_HASH)
            return hints

        before_hashes.setattr(pipelines.crm, "_land_or_reject", unhashed)
        before_hashes.setattr(pipelines.crm, "column_hints", unhashed_hints)
        warehouse.load(standin.crm_portals())
    assert not _hash_columns(warehouse)
    _write_sync_fields_everywhere(standin, warehouse)
    contacts = sum(BRANCH_SIZES.values())

    # nothing to compare with: the written records land once more, hashed
    _, tally = warehouse.load(standin.crm_portals())

    assert tally.landed["contacts"] == contacts and not tally.unbalanced()
    # deals gain it with the first deal that lands
    assert _hash_columns(warehouse) == {"contacts", "companies"}
    assert warehouse.rows(f"select count({CONTENT_HASH}) from raw_crm.contacts") == [
        (contacts,)
    ]

    # and the next round of writes is recognised
    _write_sync_fields_everywhere(standin, warehouse, segment="at_risk")
    _, tally = warehouse.load(standin.crm_portals())
    assert tally.total_read == tally.total_landed == 0


def _hash_columns(warehouse: Warehouse) -> set[str]:
    return {
        table
        for (table,) in warehouse.rows(
            "select table_name from information_schema.columns "
            f"where table_schema = 'raw_crm' and column_name = '{CONTENT_HASH}'"
        )
    }
