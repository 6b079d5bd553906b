"""A generated company landed through the real pipelines and built by dbt, for tests.

The `built_company` fixture (tests/conftest.py) lands and builds one such company per
test session; tests that change the warehouse work on a `copy_to` of it.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import yaml
from dbt.cli.main import dbtRunner, dbtRunnerResult

from customer360.dbt_context import dbt_vars, environment_for_dbt
from customer360.settings import CrmPortal, Settings
from demo.generator import generate
from demo.standins.bitrix24 import RateLimit, start_standin
from pipelines.ingest import land_source

PROJECT_DIR = Path(__file__).resolve().parents[1]
BRANCHES = ["almaty", "astana", "shymkent"]
FILE_SOURCES = ("onec", "telephony", "support")
# what a test of identity resolution rebuilds: the intermediate layer and what it
# reads (the marts on top have tests of their own; building them again there
# would double those tests' time and check nothing more); cautious: no test that
# also reads a mart left as it was
IDENTITY_LAYERS = [
    "--select", "+path:models/intermediate", "--indirect-selection", "cautious",
]  # fmt: skip


@dataclass(frozen=True)
class LandedCompany:
    """A warehouse holding a landed company, with the generator's answer key beside it.

    `target_path` is where dbt writes its artefacts when it runs against this warehouse.
    """

    warehouse: Path
    ground_truth_dir: Path
    target_path: Path

    def query(self, sql: str) -> list[tuple]:
        # dbt-duckdb may still hold the file read-write in this process: a second
        # handle must use the same configuration, so not read_only
        con = duckdb.connect(str(self.warehouse))
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    def dbt(self, args: list[str], unit_tests: bool = False) -> dbtRunnerResult:
        """Run a dbt command against this warehouse (a build without the unit
        tests unless asked: see run_dbt)."""
        return run_dbt(args, self.warehouse, self.target_path, unit_tests=unit_tests)

    def copy_to(self, folder: Path) -> LandedCompany:
        """An independent copy in `folder`, for a test that changes the warehouse.

        Only the warehouse file is copied, not the dlt pipeline state beside it: a copy
        is for dbt runs and edits, not for landing more data.
        """
        return LandedCompany(
            copy_warehouse(self.warehouse, folder),
            self.ground_truth_dir,
            folder / "target",
        )


@dataclass(frozen=True)
class BuiltCompany(LandedCompany):
    """A landed company after one dbt command, with that command's result."""

    build: dbtRunnerResult


def land_company(root: Path, customers: int, seed: int) -> LandedCompany:
    """Generate a company under `root` and land 1C, telephony, support and the CRM.

    The CRM goes through the local Bitrix24 stand-in and the real CRM pipeline. The
    dlt pipeline state lives beside the warehouse file, so it stays inside `root`.
    """
    landing, ground_truth = root / "landing", root / "ground_truth"
    generate(landing, ground_truth, customers=customers, seed=seed)
    settings = Settings(
        project_dir=root,
        warehouse_path=root / "warehouse" / "customer360.duckdb",
        landing_dir=landing,
        ground_truth_dir=ground_truth,
        crm_portals=(),
        crm_standin_dir=root / "crm_standin",
    )
    for source in FILE_SOURCES:
        land_source(source, settings, progress=None)
    standin = start_standin(
        settings.crm_standin_dir,
        BRANCHES,
        token="t",
        rate_limit=RateLimit(50, 1000),
        seed_from=landing,
    )
    try:
        land_source(
            "crm", replace(settings, crm_portals=standin.crm_portals()), progress=None
        )
    finally:
        standin.stop()
    return LandedCompany(settings.warehouse_path, ground_truth, root / "target")


def land_and_build(
    root: Path, customers: int, seed: int, dbt_args: list[str], unit_tests: bool = False
) -> BuiltCompany:
    """`land_company`, then one dbt command (`["build"]`, or a selection) on it."""
    company = land_company(root, customers, seed)
    return BuiltCompany(
        company.warehouse,
        company.ground_truth_dir,
        company.target_path,
        build=company.dbt(dbt_args, unit_tests=unit_tests),
    )


def company_settings(
    warehouse: Path,
    branches: Sequence[str] = BRANCHES,
    onec_branches: Mapping[str, str] | None = None,
) -> Settings:
    """The settings of a test company kept in `warehouse`, its CRM portals named for
    `branches` (nothing is served there: dbt only reads their names)."""
    return Settings(
        project_dir=PROJECT_DIR,
        warehouse_path=warehouse,
        landing_dir=warehouse.parent / "landing",
        ground_truth_dir=warehouse.parent / "ground_truth",
        crm_portals=tuple(
            CrmPortal(branch, f"http://127.0.0.1:9/{branch}", user_id=1)
            for branch in branches
        ),
        crm_standin_dir=warehouse.parent / "crm_standin",
        onec_branches=dict(onec_branches or {}),
    )


def run_dbt(
    args: list[str],
    warehouse: Path,
    target_path: Path,
    branches: Sequence[str] = BRANCHES,
    onec_branches: Mapping[str, str] | None = None,
    project_dir: Path = PROJECT_DIR,
    unit_tests: bool = False,
) -> dbtRunnerResult:
    """Run dbt in-process against `warehouse`; artefacts go under target_path.

    The settings reach dbt the way every dbt run of the product gets them
    (`customer360.dbt_context`): the company's branches as vars, the warehouse and
    the rest in the environment; a test's own `--vars` are merged in. `project_dir`
    is this repository's dbt project unless a test runs dbt on a changed copy of it.

    A `build` leaves out dbt's unit tests unless `unit_tests`: they check the SQL on
    fixed rows, whatever the company, at about 0.7 s each, so the suite runs them in
    the shared company's build (tests/conftest.py) and not in every other build.
    """
    args = list(args)
    if (
        args[:1] == ["build"]
        and not unit_tests
        and not {"--resource-type", "--exclude-resource-type"} & set(args)
    ):
        args += ["--exclude-resource-type", "unit_test"]
    settings = company_settings(warehouse, branches, onec_branches)
    extra_vars = {}
    if "--vars" in args:
        at = args.index("--vars")
        extra_vars = yaml.safe_load(args[at + 1])
        del args[at : at + 2]
    with environment_for_dbt(settings):
        return dbtRunner().invoke(
            [
                *args,
                "--vars", dbt_vars(settings, **extra_vars),
                "--project-dir", str(project_dir),
                "--profiles-dir", str(project_dir),
                "--target-path", str(target_path),
                "--log-path", str(target_path / "logs"),
                "--quiet",
            ]
        )  # fmt: skip


def build_failures(result: dbtRunnerResult) -> list[str]:
    """The nodes of a dbt run that did not pass, or the error that stopped it."""
    if result.result is None or result.exception is not None:
        return [f"dbt did not run: {result.exception}"]
    return [
        f"{node.node.unique_id}: {node.status} {node.message}"
        for node in result.result
        if str(node.status) not in ("success", "pass")
        # exposures are documentation for dbt and report that nothing ran
        and not (node.node.resource_type == "exposure" and str(node.status) == "no-op")
    ]


def copy_warehouse(warehouse: Path, folder: Path) -> Path:
    """Copy a warehouse file into `folder` (created if need be); returns the copy."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / warehouse.name
    # dbt ran in this process and may still hold the file: flush the WAL first
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("checkpoint")
    finally:
        con.close()
    shutil.copyfile(warehouse, copy)
    return copy
