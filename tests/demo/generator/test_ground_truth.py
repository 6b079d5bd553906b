"""The ground truth accounts for every landed record, exactly once."""

from __future__ import annotations

from collections import Counter

from tests.demo.generator.conftest import DataSet


def landed_ids(data: DataSet) -> Counter[tuple[str, str, str]]:
    """(system, table, id) of every landed record; a ticket once per id."""
    ids: Counter[tuple[str, str, str]] = Counter()
    for branch in ("almaty", "astana", "shymkent"):
        seed = data.crm(branch)
        for table in ("contacts", "companies", "deals"):
            ids.update(
                ("crm", table, f"{branch}:{record['ID']}") for record in seed[table]
            )
    for table in ("counterparties", "contact_persons"):
        ids.update(("onec", table, row["Код"]) for row in data.onec(table))
    for table in ("invoices", "payments", "shipments", "returns", "discounts"):
        ids.update(("onec", table, row["Номер"]) for row in data.onec(table))
    ids.update(("telephony", "calls", call["uniqueid"]) for call in data.calls())
    ids.update(
        ("support", "tickets", str(t)) for t in {t["id"] for t in data.tickets()}
    )
    return ids


def test_every_landed_record_appears_exactly_once_in_source_records(
    base: DataSet,
) -> None:
    landed = landed_ids(base)
    assert max(landed.values()) == 1, "a primary key repeats inside one landed table"
    truth = Counter(
        (row["source_system"], row["source_table"], row["source_record_id"])
        for row in base.source_records()
    )
    assert max(truth.values()) == 1
    assert set(truth) == set(landed)


def test_source_records_point_at_known_entities(base: DataSet) -> None:
    entities = {row["entity_id"]: row for row in base.entities()}
    assert len(entities) == len(base.entities())
    unknown = 0
    for row in base.source_records():
        if not row["entity_id"]:
            assert row["source_system"] in {"telephony", "support"}
            unknown += 1
            continue
        entity = entities[row["entity_id"]]
        assert entity["entity_type"] == row["entity_type"]
    assert unknown > 0, "strangers' calls and tickets should be in the data"
    for entity in entities.values():
        assert entity["entity_type"] in {"organisation", "person"}
        if entity["organisation_id"]:
            assert entities[entity["organisation_id"]]["entity_type"] == "organisation"


def test_customer_proportions(base: DataSet) -> None:
    customers = [row for row in base.entities() if "-P" not in row["entity_id"]]
    organisations = [row for row in customers if row["entity_type"] == "organisation"]
    assert 0.65 < len(organisations) / len(customers) < 0.75
    forms = Counter(row["canonical_name"].split(" ", 1)[0] for row in organisations)
    assert forms["ТОО"] > forms["ИП"] > forms["АО"] > 0
    contacts = Counter(
        row["organisation_id"] for row in base.entities() if row["organisation_id"]
    )
    assert set(contacts.values()) <= {1, 2, 3}
    onec_customers = {
        row["entity_id"]
        for row in base.source_records()
        if row["source_table"] == "counterparties"
    }
    assert 0.75 < len(onec_customers) / len(customers) < 0.85
    calls = sum(1 for row in base.source_records() if row["source_table"] == "calls")
    tickets = sum(
        1 for row in base.source_records() if row["source_table"] == "tickets"
    )
    assert 2.5 < calls / len(customers) < 4.0
    assert 0.35 < tickets / len(customers) < 0.65
