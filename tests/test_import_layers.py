"""The import contracts in pyproject.toml hold on the code, and catch a back-edge."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PACKAGES = ("c360", "orchestration", "pipelines", "customer360", "demo")
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# what the dbt Python models may not import: they run inside `dbt build`, on the
# ground floor's code only (import-linter does not see them: they are not a package)
ABOVE_THE_GROUND_FLOOR = {"c360", "orchestration", "pipelines", "demo"}


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    # the packages are found on PYTHONPATH first, so a copy is checked, not the
    # installed project
    environment = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
    )


def _copy_of_the_packages(destination: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            PROJECT / package,
            destination / package,
            ignore=shutil.ignore_patterns("__pycache__", "trained"),
        )
    shutil.copy(PROJECT / "pyproject.toml", destination / "pyproject.toml")
    return destination


def test_the_product_imports_only_downward_and_never_the_demo() -> None:
    result = _lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_back_edge_or_a_demo_import_breaks_the_contracts(tmp_path: Path) -> None:
    project = _copy_of_the_packages(tmp_path)
    # the ground floor reaching up into the orchestration
    (project / "customer360" / "identity" / "upward.py").write_text(
        "from orchestration.run import run_main_job\n"
    )
    # a pipeline importing the demo generator
    (project / "pipelines" / "demo_data.py").write_text(
        "from demo.generator import generate\n"
    )
    # the identity engine importing the forecasts beside it
    (project / "customer360" / "identity" / "sideways.py").write_text(
        "import customer360.forecasts.ltv\n"
    )
    result = _lint_imports(project)
    assert result.returncode != 0
    report = result.stdout
    assert "3 broken" in report, report
    assert "customer360.identity.upward -> orchestration.run" in report
    assert "pipelines.demo_data -> demo.generator" in report
    assert "customer360.identity.sideways -> customer360.forecasts.ltv" in report


def imports_above_the_ground_floor(model_files: list[Path]) -> list[str]:
    """`<file>: <module>` for each import of a model from above the ground floor."""
    found = []
    for path in model_files:
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module or ""]
            else:
                continue
            found += [
                f"{path.name}: {module}"
                for module in modules
                if module.split(".")[0] in ABOVE_THE_GROUND_FLOOR
            ]
    return found


def test_the_dbt_python_models_import_only_the_ground_floor() -> None:
    model_files = sorted((PROJECT / "models").rglob("*.py"))
    assert model_files
    assert imports_above_the_ground_floor(model_files) == []


def test_a_dbt_python_model_importing_the_demo_is_found(tmp_path: Path) -> None:
    model = tmp_path / "int_generated_people.py"
    model.write_text(
        "from customer360.identity.resolve import resolve\n"
        "import demo.generator\n"
        "def model(dbt, session):\n"
        "    from pipelines.ingest import run_ingest\n"
    )
    assert imports_above_the_ground_floor([model]) == [
        "int_generated_people.py: demo.generator",
        "int_generated_people.py: pipelines.ingest",
    ]
