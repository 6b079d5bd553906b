"""`c360 ui` starts the Dagster UI on loopback, on the instance that queues runs."""

import subprocess
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance

from c360.ui import ui_command
from customer360.settings import load_settings
from orchestration.instance import INSTANCE_CONFIG

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_ui_serves_on_loopback_with_the_committed_instance_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C360_DAGSTER_HOME", str(tmp_path / "dagster"))
    settings = load_settings(PROJECT_DIR)

    command, environment = ui_command(settings, 3999)

    assert command[1:] == [
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        "3999",
    ]
    assert Path(command[0]).name == "dagster" and Path(command[0]).exists()
    home = Path(environment["DAGSTER_HOME"])
    assert home == tmp_path / "dagster"
    assert (home / "dagster.yaml").read_text() == INSTANCE_CONFIG.read_text()
    # the instance Dagster opens there lets one run at a time write the warehouse
    with DagsterInstance.from_config(str(home)) as instance:
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_concurrent_runs == 1
    assert yaml.safe_load(INSTANCE_CONFIG.read_text())["run_coordinator"]["class"] == (
        "QueuedRunCoordinator"
    )


def test_the_project_dagster_home_is_kept_out_of_git() -> None:
    """Run history and schedule state are this machine's, not the repository's."""
    home = load_settings(PROJECT_DIR).dagster_home.relative_to(PROJECT_DIR)
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(home / "dagster.yaml")], cwd=PROJECT_DIR
    )
    assert ignored.returncode == 0
