"""Fixtures shared by the test folders: a company landed and built, a held warehouse."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.landed_company import (
    BuiltCompany,
    LandedCompany,
    build_failures,
    land_and_build,
)

# one company for the whole session: the dbt-build, identity, registry and golden tests
# read it (the identity floors were measured on it) and copy it to change it
CUSTOMERS = 400
SEED = 3


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with end-to-end runs (marked slow) first, the rest in their order.

    `make test` hands whole files to two workers in this order: a long file taken
    last would leave one worker running it alone at the end.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture(scope="session")
def built_company(tmp_path_factory: pytest.TempPathFactory) -> BuiltCompany:
    """400 customers (seed 3), all four sources landed, one full `dbt build`, the
    models' unit tests included (the one build of the suite that runs them).

    Read-only: a test that changes the warehouse works on `built_company.copy_to(...)`.
    """
    company = land_and_build(
        tmp_path_factory.mktemp("company"), CUSTOMERS, SEED, ["build"], unit_tests=True
    )
    assert build_failures(company.build) == []
    return company


@pytest.fixture
def c360_on(monkeypatch: pytest.MonkeyPatch):
    """Point the `c360` commands' settings at a warehouse, as `c360.toml` would."""

    def point(company: LandedCompany, ground_truth_dir: Path | None = None):
        monkeypatch.setenv("C360_WAREHOUSE", str(company.warehouse))
        monkeypatch.setenv(
            "C360_GROUND_TRUTH_DIR", str(ground_truth_dir or company.ground_truth_dir)
        )

    return point


@pytest.fixture
def warehouse_held_by_another_process() -> Iterator[
    Callable[[Path], subprocess.Popen[str]]
]:
    """Start a process that opens a warehouse read-write and keeps it open.

    What a leftover run, a notebook or a BI tool does to the next `c360 run`.
    """
    holders: list[subprocess.Popen[str]] = []

    def hold(warehouse: Path) -> subprocess.Popen[str]:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
                " print('ready', flush=True); time.sleep(120)",
                str(warehouse),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(holder)
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        return holder

    yield hold
    for holder in holders:
        holder.kill()
        holder.wait()
