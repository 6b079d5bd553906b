"""A generated company built by a real `dbt build`, with one birth-date conflict seeded
in the CRM, for the golden-record tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunnerResult

from tests.landed_company import BuiltCompany, build_failures


@dataclass(frozen=True)
class SeededConflict:
    """A CRM contact whose birth date was moved so that it disagrees with its person."""

    record_key: str
    original_birth_date: str
    moved_birth_date: str


@dataclass(frozen=True)
class GoldenWarehouse:
    path: Path
    builds: tuple[dbtRunnerResult, ...]
    conflict: SeededConflict

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.path))
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def _seed_birth_date_conflict(warehouse: Path) -> SeededConflict:
    """Move the birth date of a CRM contact that a must-link rule ties to another
    record carrying the same date: the person keeps both records (the rule does not
    look at birth dates), and now holds two different dates."""
    con = duckdb.connect(str(warehouse))
    try:
        row = con.execute(
            """
            select crm.record_key, crm.source_record_id, cast(crm.birth_date as varchar)
            from intermediate.int_person_records_unioned as crm
            inner join intermediate.int_person_clusters as crm_cluster
                on crm.record_key = crm_cluster.record_key
            inner join intermediate.int_person_clusters as other_cluster
                on crm_cluster.cluster_id = other_cluster.cluster_id
                and crm_cluster.record_key != other_cluster.record_key
            inner join intermediate.int_person_records_unioned as other
                on other_cluster.record_key = other.record_key
            where crm.source_system = 'crm'
                and crm_cluster.linked_by = 'rule'
                and other_cluster.linked_by = 'rule'
                and crm.birth_date is not null
                and other.birth_date = crm.birth_date
            order by crm.record_key
            limit 1
            """
        ).fetchone()
        assert row, (
            "the generated company has no rule-linked CRM contact with a birth date"
        )
        record_key, source_record_id, birth_date = row
        branch, contact_id = source_record_id.split(":")
        con.execute(
            "update raw_crm.contacts set birthdate = birthdate + interval 400 day"
            " where branch = ? and id = ?",
            [branch, int(contact_id)],
        )
        moved = con.execute(
            "select cast(birthdate as varchar) from raw_crm.contacts"
            " where branch = ? and id = ?",
            [branch, int(contact_id)],
        ).fetchone()[0]
    finally:
        con.close()
    return SeededConflict(record_key, birth_date, moved)


@pytest.fixture(scope="session")
def golden_warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GoldenWarehouse]:
    """A copy of the shared company after its `dbt build`, a birth-date conflict
    seeded in the raw CRM table, a second build."""
    built: BuiltCompany = request.getfixturevalue("built_company")
    first = built.build
    assert first.success, build_failures(first)
    company = built.copy_to(tmp_path_factory.mktemp("golden"))
    conflict = _seed_birth_date_conflict(company.warehouse)
    second = company.dbt(["build"])
    assert second.success, build_failures(second)
    yield GoldenWarehouse(company.warehouse, (first, second), conflict)
