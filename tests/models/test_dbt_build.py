"""The dbt project builds on freshly landed data, and the record unions are complete."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import yaml

from tests.landed_company import BuiltCompany, build_failures

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_every_model_seed_and_test_passes(built_company: BuiltCompany):
    build = built_company.build
    assert build.exception is None
    assert build_failures(build) == []
    built = {result.node.name for result in build.result}
    assert {"int_person_records_unioned", "int_organisation_records_unioned"} <= built
    # this is the suite's one build that runs the models' unit tests: all of them
    unit_tests = {
        result.node.name
        for result in build.result
        if result.node.resource_type == "unit_test"
    }
    assert unit_tests == _declared_unit_tests()


def _declared_unit_tests() -> set[str]:
    return {
        unit_test["name"]
        for path in (PROJECT_DIR / "models").rglob("*.yml")
        for unit_test in (yaml.safe_load(path.read_text("utf-8")) or {}).get(
            "unit_tests", []
        )
    }


def _record_keys(warehouse, model: str) -> set[str]:
    # dbt-duckdb keeps its own read-write handle open in this process; a second
    # handle must use the same configuration
    with duckdb.connect(str(warehouse)) as connection:
        rows = connection.execute(f"select record_key from intermediate.{model}")
        return {key for (key,) in rows.fetchall()}


def _ground_truth_keys(ground_truth_dir, entity_type: str) -> set[str]:
    tables = {"contacts", "companies", "contact_persons", "counterparties"}
    tables |= {"calls", "tickets"}
    with (ground_truth_dir / "source_records.csv").open(encoding="utf-8") as file:
        return {
            f"{row['source_system']}:{row['source_table']}:{row['source_record_id']}"
            for row in csv.DictReader(file)
            if row["entity_type"] == entity_type and row["source_table"] in tables
        }


def test_person_records_are_exactly_the_ground_truths_people(
    built_company: BuiltCompany,
):
    ours = _record_keys(built_company.warehouse, "int_person_records_unioned")
    truth = _ground_truth_keys(built_company.ground_truth_dir, "person")
    assert ours == truth


def test_organisation_records_are_exactly_the_ground_truths_organisations(
    built_company: BuiltCompany,
):
    ours = _record_keys(built_company.warehouse, "int_organisation_records_unioned")
    truth = _ground_truth_keys(built_company.ground_truth_dir, "organisation")
    assert ours == truth
