"""Data sets shared by the generator tests, generated once per test session."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.generator import GenerationReport, generate

CUSTOMERS = 2_000
SEED = 7


@dataclass
class DataSet:
    landing: Path
    truth: Path
    report: GenerationReport

    def crm(self, branch: str) -> dict:
        return json.loads((self.landing / "crm" / f"{branch}.json").read_text("utf-8"))

    def onec(self, table: str) -> list[dict[str, str]]:
        with (self.landing / "onec" / f"{table}.csv").open(
            encoding="cp1251", newline=""
        ) as handle:
            return list(csv.DictReader(handle, delimiter=";"))

    def calls(self) -> list[dict[str, str]]:
        rows = []
        for path in sorted((self.landing / "telephony").glob("cdr-*.csv")):
            with path.open(encoding="utf-8", newline="") as handle:
                rows += list(csv.DictReader(handle))
        return rows

    def tickets(self) -> list[dict]:
        rows = []
        for path in sorted((self.landing / "support").glob("tickets-*.jsonl")):
            rows += [json.loads(line) for line in path.read_text("utf-8").splitlines()]
        return rows

    def source_records(self) -> list[dict[str, str]]:
        with (self.truth / "source_records.csv").open(
            encoding="utf-8", newline=""
        ) as handle:
            return list(csv.DictReader(handle))

    def entities(self) -> list[dict[str, str]]:
        with (self.truth / "entities.csv").open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))


def _generate(
    root: Path, customers: int, seed: int, increments: int, profile: str = "default"
) -> DataSet:
    report = generate(
        root / "landing",
        root / "truth",
        customers=customers,
        seed=seed,
        increments=increments,
        profile=profile,
    )
    return DataSet(root / "landing", root / "truth", report)


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> DataSet:
    return _generate(tmp_path_factory.mktemp("base"), CUSTOMERS, SEED, 0)


@pytest.fixture(scope="session")
def one_day_later(tmp_path_factory: pytest.TempPathFactory) -> DataSet:
    return _generate(tmp_path_factory.mktemp("day1"), CUSTOMERS, SEED, 1)


@pytest.fixture(scope="session")
def two_days_later(tmp_path_factory: pytest.TempPathFactory) -> DataSet:
    return _generate(tmp_path_factory.mktemp("day2"), CUSTOMERS, SEED, 2)


@pytest.fixture(scope="session")
def harsh(tmp_path_factory: pytest.TempPathFactory) -> DataSet:
    """The base data set's world under the harsh corruption profile."""
    return _generate(tmp_path_factory.mktemp("harsh"), CUSTOMERS, SEED, 0, "harsh")


@pytest.fixture(scope="session")
def harsh_one_day_later(tmp_path_factory: pytest.TempPathFactory) -> DataSet:
    return _generate(tmp_path_factory.mktemp("harsh_day1"), CUSTOMERS, SEED, 1, "harsh")
