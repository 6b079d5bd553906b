"""A tiny warehouse from generated demo data, transformed by a real dbt build."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from customer360.bitrix24_standin import RateLimit, start_standin
from customer360.generator.runner import generate
from customer360.settings import Settings
from pipelines.ingest import land_source

PROJECT_DIR = Path(__file__).resolve().parents[2]
BRANCHES = ["almaty", "astana", "shymkent"]
CUSTOMERS = 300


@dataclass(frozen=True)
class TransformedWarehouse:
    """A warehouse after `dbt build`, with the generator's ground truth beside it."""

    path: Path
    ground_truth_dir: Path
    build: dbtRunnerResult


def run_dbt(args: list[str], warehouse: Path, target_path: Path) -> dbtRunnerResult:
    """Run dbt in-process against `warehouse`; artefacts go under target_path."""
    previous = os.environ.get("C360_WAREHOUSE")
    os.environ["C360_WAREHOUSE"] = str(warehouse)
    try:
        return dbtRunner().invoke(
            [
                *args,
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(target_path),
                "--log-path",
                str(target_path / "logs"),
                "--quiet",
            ]
        )
    finally:
        if previous is None:
            os.environ.pop("C360_WAREHOUSE", None)
        else:
            os.environ["C360_WAREHOUSE"] = previous


def _land_everything(root: Path) -> Settings:
    landing, ground_truth = root / "landing", root / "ground_truth"
    generate(landing, ground_truth, customers=CUSTOMERS, seed=7)
    settings = Settings(
        project_dir=root,
        warehouse_path=root / "warehouse" / "customer360.duckdb",
        landing_dir=landing,
        ground_truth_dir=ground_truth,
        crm_portals=(),
        crm_standin_dir=root / "crm_standin",
    )
    for source in ("onec", "telephony", "support"):
        land_source(source, settings, progress=None)
    standin = start_standin(
        settings.crm_standin_dir,
        BRANCHES,
        token="t",
        rate_limit=RateLimit(50, 1000),
        seed_from=landing,
    )
    try:
        with_portals = Settings(
            **{**settings.__dict__, "crm_portals": standin.crm_portals()}
        )
        land_source("crm", with_portals, progress=None)
    finally:
        standin.stop()
    return settings


@pytest.fixture(scope="session")
def transformed_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[TransformedWarehouse]:
    """Generate ~300 customers, land all four sources, run `dbt build` once."""
    root = tmp_path_factory.mktemp("transform")
    settings = _land_everything(root)
    build = run_dbt(["build"], settings.warehouse_path, root / "target")
    yield TransformedWarehouse(
        settings.warehouse_path, settings.ground_truth_dir, build
    )
