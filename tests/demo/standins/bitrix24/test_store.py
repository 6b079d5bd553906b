"""The stand-in keeps its records: writes survive restarts, seeding acts like edits."""

from __future__ import annotations

import argparse
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from standin_testkit import Portal

from demo.standins.bitrix24 import PortalStore, StandinHandle, commands
from demo.standins.bitrix24.entities import CONTACT
from demo.standins.bitrix24.samples import (
    contact,
    seed_document,
    stamp,
    write_seed,
)
from demo.standins.bitrix24.store import seed_store


def test_writes_survive_a_restart(
    start: Callable[..., StandinHandle], landing: Path
) -> None:
    first = start(seed_from=landing)
    portal = Portal(first, "almaty")
    portal.post("crm.contact.update", {"id": 3, "fields": {"NAME": "Сохранён"}})
    new_id = portal.post("crm.company.add", {"fields": {"TITLE": "Новая"}}).json()
    first.stop()
    # restarted and seeded again from the same (older) file: the edit stays
    again = Portal(start(seed_from=landing), "almaty")
    assert (
        again.get("crm.contact.get", {"id": 3}).json()["result"]["NAME"] == "Сохранён"
    )
    company = again.get("crm.company.get", {"id": new_id["result"]}).json()
    assert company["result"]["TITLE"] == "Новая"


def test_reseeding_upserts_only_newer_or_new_records(tmp_path: Path) -> None:
    store = PortalStore(tmp_path / "almaty.sqlite3")
    landing = tmp_path / "landing"
    write_seed(landing, "almaty", seed_document("almaty", contacts=10))
    counts = seed_store(store, landing / "crm" / "almaty.json")
    assert (counts["contacts"].inserted, counts["contacts"].replaced) == (10, 0)

    document = seed_document("almaty", contacts=10)
    document["contacts"][1] = contact(2, minutes=500, NAME="Новее")  # newer edit
    document["contacts"][2] = contact(3, minutes=-500, NAME="Старее")  # older: kept
    document["contacts"].append(contact(11))  # new
    write_seed(landing, "almaty", document)
    counts = seed_store(store, landing / "crm" / "almaty.json")["contacts"]
    assert (counts.inserted, counts.replaced, counts.kept) == (1, 1, 9)
    assert store.get(CONTACT, 2)["NAME"] == "Новее"
    assert store.get(CONTACT, 3)["NAME"] == "Иван3"
    assert store.count(CONTACT) == 11
    store.reset()
    assert store.count(CONTACT) == 0
    store.close()


def test_a_store_from_before_field_definitions_keeps_its_custom_fields(
    tmp_path: Path,
) -> None:
    path = tmp_path / "almaty.sqlite3"
    with sqlite3.connect(path) as old:
        old.executescript(
            "create table user_fields (entity text not null, name text not null, "
            "primary key (entity, name));"
            "insert into user_fields values ('contact', 'UF_CRM_IIN'), "
            "('company', 'UF_CRM_BIN');"
        )
    old.close()
    store = PortalStore(path)
    (iin,) = store.user_field_definitions(CONTACT)
    assert (iin["FIELD_NAME"], iin["USER_TYPE_ID"], iin["ENTITY_ID"]) == (
        "UF_CRM_IIN",
        "string",
        "CRM_CONTACT",
    )
    new_id = store.add_user_field(
        CONTACT, {"FIELD_NAME": "C360_LTV", "USER_TYPE_ID": "double"}
    )
    assert new_id > int(iin["ID"])
    store.close()
    store = PortalStore(path)
    assert store.user_fields(CONTACT) == ["UF_CRM_C360_LTV", "UF_CRM_IIN"]
    store.close()


def test_a_hundred_thousand_contacts_seed_and_page_quickly(
    start: Callable[..., StandinHandle], tmp_path: Path
) -> None:
    landing = tmp_path / "big"
    records = [
        {"ID": str(i), "NAME": f"N{i}", "DATE_MODIFY": stamp(i % 50_000)}
        for i in range(1, 100_001)
    ]
    write_seed(landing, "almaty", {"contacts": records})
    began = time.monotonic()
    portal = Portal(start(seed_from=landing), "almaty")
    seeded = time.monotonic() - began
    began = time.monotonic()
    deep = portal.get(
        "crm.contact.list",
        {"filter[>=DATE_MODIFY]": stamp(49_000), "order[ID]": "ASC", "start": 1950},
    ).json()
    paged = time.monotonic() - began
    assert deep["total"] == 2_000 and len(deep["result"]) == 50
    assert seeded < 10, f"seeding 100,000 contacts took {seeded:.1f}s"
    assert paged < 0.5, f"a filtered deep page took {paged:.2f}s"


def test_seed_command_upserts_from_the_landing_folder(
    tmp_path: Path, landing: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv(
        "C360_CRM_PORTALS", "almaty=http://127.0.0.1:1,astana=http://127.0.0.1:2"
    )
    monkeypatch.setenv("C360_CRM_STANDIN_DIR", str(tmp_path / "store"))
    parser = argparse.ArgumentParser()
    commands.register(parser.add_subparsers())
    args = parser.parse_args(["standin", "seed", "--seed-from", str(landing)])
    assert args.handler(args) == 0
    out = capsys.readouterr().out
    assert "crm/almaty: seeded" in out and "120 new" in out
    assert "crm/astana: no seed file" in out
    store = PortalStore(tmp_path / "store" / "almaty.sqlite3")
    assert store.count(CONTACT) == 120
    store.close()
