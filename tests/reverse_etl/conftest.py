"""A warehouse holding the sync mart, and a Bitrix24 or amoCRM stand-in holding its
records."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests

from customer360.settings import AmoCrmAccount
from demo.standins.amocrm import AmoCrmStandin, start_amocrm_standin
from demo.standins.amocrm import RateLimit as AmoRateLimit
from demo.standins.amocrm.samples import contact as amo_contact
from demo.standins.amocrm.samples import seed_document
from demo.standins.bitrix24 import (
    OperatingLimit,
    RateLimit,
    StandinHandle,
    start_standin,
)
from demo.standins.bitrix24.entities import COMPANY, CONTACT
from reverse_etl.destinations.amocrm import AmoCrmDestination
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
class _Warehouse:
    warehouse: Path

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
            if not rows:
                return
            connection.executemany(
                f"insert into marts.crm_sync_records ({', '.join(columns)})"
                f" values ({', '.join('?' for _ in columns)})",
                [[row.get(column) for column in columns] for row in rows],
            )

    def state(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as connection:
            return connection.execute(sql).fetchall()


@dataclass
class SyncWorld(_Warehouse):
    standin: StandinHandle

    @property
    def portal(self):
        return self.standin.portal("almaty")

    def destination(self, **options: Any) -> Bitrix24Destination:
        options.setdefault("limit", BucketLimit(50, 1000))
        options.setdefault("backoff_seconds", 0.05)
        return Bitrix24Destination(self.standin.crm_portals(), **options)

    def record(self, entity_type: str, crm_id: int) -> dict[str, Any]:
        """The record as the portal answers crm.*.get: what a manager sees."""
        portal = self.standin.crm_portals()[0]
        answer = requests.post(
            portal.method_url(f"crm.{entity_type}.get"), json={"id": crm_id}, timeout=10
        ).json()
        return answer["result"]

    def updates_applied(self) -> dict[str, int]:
        return self.portal.update_counts("contact").get("contact", {})


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


# the amoCRM branch of the amoCRM world, and how many records its account holds:
# contacts 1..AMO_CONTACTS (the first AMO_WITH_PHONE with a phone and an e-mail,
# the others with no custom field at all) and companies 1..AMO_COMPANIES
AMO_BRANCH = "astana"
AMO_CONTACTS = 120
AMO_WITH_PHONE = 100
AMO_COMPANIES = 3


@dataclass
class AmoSyncWorld(_Warehouse):
    """The warehouse, and the amoCRM account of the astana branch."""

    standin: AmoCrmStandin

    @property
    def account(self) -> AmoCrmAccount:
        return AmoCrmAccount(AMO_BRANCH, self.standin.url, token=TOKEN)

    def destination(self, **options: Any) -> AmoCrmDestination:
        # fast, under the stand-in's limit: the limit is tested on its own
        options.setdefault("requests_per_second", 400)
        options.setdefault("backoff_seconds", 0.05)
        options.setdefault("rate_limit_backoff_seconds", 0.2)
        return AmoCrmDestination([options.pop("account", self.account)], **options)

    def record(self, entity: str, crm_id: int) -> dict[str, Any]:
        """The record as amoCRM answers a GET: what a manager sees."""
        answer = requests.get(
            f"{self.standin.url}/api/v4/{entity}/{crm_id}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()

    def values(self, entity: str, crm_id: int) -> dict[str, list[Any]]:
        """The record's custom field values, by field code."""
        return {
            entry["field_code"]: [value["value"] for value in entry["values"]]
            for entry in self.record(entity, crm_id).get("custom_fields_values") or []
        }

    def patch_counts(self, entity: str = "contacts") -> dict[int, int]:
        return self.standin.store.patch_counts(entity)

    def patch_sizes(self) -> list[int]:
        """Entities per PATCH request the account carried out."""
        sizes: dict[float, int] = {}
        for patch in self.standin.patches():
            sizes[patch.at] = sizes.get(patch.at, 0) + 1
        return list(sizes.values())


def amo_row(crm_id: int, n: int = 0, **values: Any) -> dict[str, Any]:
    """A mart row for an amoCRM contact (entity_type="company" for a company)."""
    entity = values.get("entity_type", "contact")
    values.setdefault("record_key", f"amocrm:{entity}:{AMO_BRANCH}:{crm_id}")
    return contact_row(crm_id, n, branch=AMO_BRANCH, **values)


@pytest.fixture
def amo_world(tmp_path: Path) -> Iterator[AmoSyncWorld]:
    seed = seed_document(contacts=AMO_WITH_PHONE, companies=AMO_COMPANIES)
    seed["contacts"] += [
        amo_contact(i, custom_fields_values=None)
        for i in range(AMO_WITH_PHONE + 1, AMO_CONTACTS + 1)
    ]
    with start_amocrm_standin(
        tmp_path / "amocrm",
        token=TOKEN,
        seed_from=seed,
        rate_limit=AmoRateLimit(per_second=1000, block_after=0),
        # amoCRM takes 250; the sync must keep to 50, so more would be refused
        max_batch=50,
    ) as standin:
        yield AmoSyncWorld(tmp_path / "warehouse.duckdb", standin)


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
