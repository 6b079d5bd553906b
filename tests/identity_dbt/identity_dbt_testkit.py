"""A generated company landed through the real pipelines and built by a real dbt build,
for the identity models, the review workflow and the `c360 identity` commands."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner, dbtRunnerResult

from customer360.bitrix24_standin import RateLimit, start_standin
from customer360.generator import generate
from customer360.settings import Settings
from pipelines.ingest import land_source

PROJECT_DIR = Path(__file__).resolve().parents[2]
# the identity models and everything upstream of them (with their tests): models
# downstream of identity (registry, marts) have tests of their own
IDENTITY_MODELS = ["--select", "+path:models/intermediate/identity"]
BRANCHES = ["almaty", "astana", "shymkent"]
CUSTOMERS = 400
SEED = 3


@dataclass(frozen=True)
class IdentityWarehouse:
    """A warehouse after `dbt build`, with the generator's ground truth beside it."""

    path: Path
    ground_truth_dir: Path
    target_path: Path

    def query(self, sql: str) -> list[tuple]:
        con = duckdb.connect(str(self.path))
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def copy_to(self, folder: Path) -> IdentityWarehouse:
        """An independent copy, for tests that record decisions and rebuild."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.path.name
        # dbt ran in this process and may still hold the file: flush the WAL first
        con = duckdb.connect(str(self.path))
        try:
            con.execute("checkpoint")
        finally:
            con.close()
        shutil.copyfile(self.path, path)
        return IdentityWarehouse(path, self.ground_truth_dir, folder / "target")


def run_dbt(args: list[str], warehouse: IdentityWarehouse) -> dbtRunnerResult:
    """Run dbt in-process against the warehouse; artefacts go under its target_path."""
    previous = os.environ.get("C360_WAREHOUSE")
    os.environ["C360_WAREHOUSE"] = str(warehouse.path)
    try:
        return dbtRunner().invoke(
            [
                *args,
                "--project-dir", str(PROJECT_DIR),
                "--profiles-dir", str(PROJECT_DIR),
                "--target-path", str(warehouse.target_path),
                "--log-path", str(warehouse.target_path / "logs"),
                "--quiet",
            ]
        )  # fmt: skip
    finally:
        if previous is None:
            os.environ.pop("C360_WAREHOUSE", None)
        else:
            os.environ["C360_WAREHOUSE"] = previous


def _land_company(root: Path) -> Settings:
    landing, ground_truth = root / "landing", root / "ground_truth"
    generate(landing, ground_truth, customers=CUSTOMERS, seed=SEED)
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
def identity_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[IdentityWarehouse]:
    """400 customers (seed 3), all four sources landed, one `dbt build` (about 20 s)."""
    root = tmp_path_factory.mktemp("identity_dbt")
    settings = _land_company(root)
    warehouse = IdentityWarehouse(
        settings.warehouse_path, settings.ground_truth_dir, root / "target"
    )
    build = run_dbt(["build", *IDENTITY_MODELS], warehouse)
    assert build.success, build.exception or [
        (r.node.name, r.message)
        for r in build.result
        if str(r.status) not in ("success", "pass")
    ]
    yield warehouse


@pytest.fixture
def c360_on(monkeypatch: pytest.MonkeyPatch):
    """Point the `c360` settings at a warehouse, as `c360.toml` would."""

    def point(warehouse: IdentityWarehouse, ground_truth_dir: Path | None = None):
        monkeypatch.setenv("C360_WAREHOUSE", str(warehouse.path))
        monkeypatch.setenv(
            "C360_GROUND_TRUTH_DIR", str(ground_truth_dir or warehouse.ground_truth_dir)
        )

    return point
