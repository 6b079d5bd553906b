"""A warehouse holding the sync mart, and a Bitrix24 stand-in holding its records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from demo.standins.bitrix24 import (
    OperatingLimit,
    RateLimit,
    StandinHandle,
    start_standin,
)
from demo.standins.bitrix24.entities import COMPANY, CONTACT
from reverse_etl.destinations.bitrix24 import Bitrix24Destination
from reverse_etl.pacing import BucketLimit

TOKEN = "sync-test-token"
# the contract of marts.crm_sync_records (models/marts/crm_sync), as dbt builds it
MART_DDL = """
create schema if not exists marts;
create or replace table marts.crm_sync_records (
    branch varchar, entity_type varchar, crm_id bigint, record_key varchar,
    c360_id varchar, customer_id varchar, customer_name varchar,
    net_revenue_kzt decimal(18,2), churn_risk_band varchar, rfm_segment varchar,
    crm_phone_e164 varchar, crm_email varchar, ltv_12m_kzt double,
    churn_probability double, duplicate_of_crm_id bigint, data_quality_flags varchar,
    golden_phone_e164 varchar, golden_email varchar
);
"""


@dataclass
class SyncWorld:
    warehouse: Path
    standin: StandinHandle

    @property
    def portal(self):
        return self.standin.portal("almaty")

    def destination(self, **options: Any) -> Bitrix24Destination:
        options.setdefault("limit", BucketLimit(50, 1000))
        options.setdefault("backoff_seconds", 0.05)
        return Bitrix24Destination(self.standin.crm_portals(), **options)

    def mart(self, rows: list[dict[str, Any]]) -> None:
        """Replace the mart with these rows (missing columns null)."""
        with duckdb.connect(str(self.warehouse)) as connection:
            connection.execute(MART_DDL)
            columns = [
                name
                for name, _ in connection.execute(
                    "select column_name, data_type from information_schema.columns"
                    " where table_name = 'crm_sync_records' order by ordinal_position"
                ).fetchall()
            ]
            connection.executemany(
                f"insert into marts.crm_sync_records ({', '.join(columns)})"
                f" values ({', '.join('?' for _ in columns)})",
                [[row.get(column) for column in columns] for row in rows],
            )

    def record(self, entity_type: str, crm_id: int) -> dict[str, Any]:
        """The record as the portal answers crm.*.get: what a manager sees."""
        portal = self.standin.crm_portals()[0]
        answer = requests.post(
            portal.method_url(f"crm.{entity_type}.get"), json={"id": crm_id}, timeout=10
        ).json()
        return answer["result"]

    def updates_applied(self) -> dict[str, int]:
        return self.portal.update_counts("contact").get("contact", {})

    def state(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).fetchall()


def contact_row(crm_id: int, n: int = 0, **values: Any) -> dict[str, Any]:
    row = {
        "branch": "almaty",
        "entity_type": "contact",
        "crm_id": crm_id,
        "record_key": f"crm:contacts:almaty:{crm_id}",
        "c360_id": f"per_{crm_id:06d}",
        "customer_id": f"org_{crm_id:06d}",
        "ltv_12m_kzt": 1000.5 + n,
        "churn_risk_band": "low",
        "rfm_segment": "Champions",
        "data_quality_flags": None,
        "duplicate_of_crm_id": None,
        "golden_phone_e164": None,
        "crm_phone_e164": None,
        "golden_email": None,
        "crm_email": None,
    }
    row.update(values)
    return row


@pytest.fixture
def world(tmp_path: Path) -> Iterator[SyncWorld]:
    with start_standin(
        tmp_path / "standin",
        ["almaty"],
        token=TOKEN,
        rate_limit=RateLimit(capacity=50, drain_per_second=1000),
        operating_limit=OperatingLimit.off(),
    ) as standin:
        yield SyncWorld(tmp_path / "warehouse.duckdb", standin)


def add_contacts(world: SyncWorld, count: int, **fields: Any) -> list[int]:
    store = world.portal.store
    return [
        store.add(CONTACT, {"NAME": f"Контакт {i}", "LAST_NAME": "Тестов", **fields})
        for i in range(count)
    ]


def add_company(world: SyncWorld, title: str) -> int:
    return world.portal.store.add(COMPANY, {"TITLE": title})
