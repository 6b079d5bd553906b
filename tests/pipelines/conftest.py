"""Fixtures for the file-source tests: a landing folder, a warehouse, a loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dlt.common.pipeline import LoadInfo

from customer360.settings import Settings
from pipelines.common.destination import make_pipeline
from pipelines.common.tally import SourceTally


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse" / "customer360.duckdb"


LandFn = Callable[..., tuple[SourceTally, LoadInfo]]


@pytest.fixture
def land(landing: Path, warehouse: Path) -> LandFn:
    """Run one file source into the test's warehouse; the tally must always balance."""

    def run(source_fn: Callable[..., Any], name: str, *resources: str):
        tally = SourceTally(name)
        source = source_fn(landing, tally=tally, progress=None)
        if resources:
            source = source.with_resources(*resources)
        info = make_pipeline(name, warehouse).run(source)
        assert tally.unbalanced() == {}, "rows read != unchanged + landed + rejected"
        return tally, info

    return run


@pytest.fixture
def query(warehouse: Path) -> Callable[[str], list[tuple]]:
    def run(sql: str) -> list[tuple]:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            return connection.execute(sql).fetchall()

    return run


@pytest.fixture
def settings(tmp_path: Path, landing: Path, warehouse: Path) -> Settings:
    """Project settings pointing at the test's landing folder and warehouse."""
    return Settings(
        project_dir=tmp_path,
        warehouse_path=warehouse,
        landing_dir=landing,
        ground_truth_dir=tmp_path / "ground_truth",
        crm_portals=(),
        crm_standin_dir=tmp_path / "crm_standin",
    )
