"""The answer key: the true entity behind each landed record (no pipeline reads it)."""

from __future__ import annotations

import csv
from pathlib import Path

from demo.generator.world import Customer, Person

ENTITY_COLUMNS = (
    "entity_id",
    "entity_type",
    "canonical_name",
    "true_iin_bin",
    "organisation_id",
)
RECORD_COLUMNS = (
    "source_system",
    "source_table",
    "source_record_id",
    "entity_type",
    "entity_id",
)


class GroundTruthWriter:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._entities_file = (folder / "entities.csv").open(
            "w", encoding="utf-8", newline=""
        )
        self._records_file = (folder / "source_records.csv").open(
            "w", encoding="utf-8", newline=""
        )
        self._entities = csv.writer(self._entities_file, lineterminator="\n")
        self._records = csv.writer(self._records_file, lineterminator="\n")
        self._entities.writerow(ENTITY_COLUMNS)
        self._records.writerow(RECORD_COLUMNS)
        self.entity_rows = 0
        self.record_rows = 0

    def customer(self, customer: Customer) -> None:
        """The customer and, for an organisation, each of its contact persons."""
        if customer.organisation is not None:
            organisation = customer.organisation
            self._entities.writerow(
                (
                    customer.entity_id,
                    "organisation",
                    organisation.canonical_name,
                    organisation.bin,
                    "",
                )
            )
            self.entity_rows += 1
            for contact in organisation.contacts:
                self._person(contact)
        else:
            assert customer.person is not None
            self._person(customer.person)

    def _person(self, person: Person) -> None:
        self._entities.writerow(
            (
                person.entity_id,
                "person",
                person.full_name,
                person.iin,
                person.organisation_id,
            )
        )
        self.entity_rows += 1

    def record(
        self, system: str, table: str, record_id: str, entity_type: str, entity_id: str
    ) -> None:
        self._records.writerow((system, table, record_id, entity_type, entity_id))
        self.record_rows += 1

    def close(self) -> None:
        self._entities_file.close()
        self._records_file.close()
