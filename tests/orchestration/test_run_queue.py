"""Runs that write the warehouse queue behind each other instead of colliding."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from customer360.settings import load_settings
from customer360.warehouse_lock import WarehouseInUse, ensure_writable
from orchestration.instance import prepare_dagster_home

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOCATION = "tests.orchestration.run_queue_location"


def test_a_second_run_waits_in_the_queue_for_the_first_instead_of_failing(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("C360_DAGSTER_HOME", str(tmp_path / "dagster"))
    home = prepare_dagster_home(load_settings(PROJECT_DIR))
    warehouse = tmp_path / "warehouse.duckdb"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "C360_WAREHOUSE": str(warehouse),
    }
    daemon = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-daemon"), "run", "-m", LOCATION],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        with DagsterInstance.from_config(str(home)) as instance:
            deadline = time.monotonic() + 180
            refused: WarehouseInUse | None = None
            while time.monotonic() < deadline:
                runs = instance.get_runs(RunsFilter(job_name="warehouse_write_job"))
                if len(runs) == 2 and all(run.is_finished for run in runs):
                    break
                # `c360 run` started meanwhile: refused at once, naming the run.
                # Asked until the first run holds the warehouse (before, there is
                # no file to open), not after: a probe must not take it from a run
                if refused is None:
                    try:
                        ensure_writable(warehouse)
                    except WarehouseInUse as error:
                        refused = error
                time.sleep(0.5)
            else:
                raise AssertionError(f"runs not finished: {runs}")
            statuses = {run.run_id: run.status for run in runs}
            failures = {
                run.run_id: [
                    event.message
                    for event in instance.all_logs(run.run_id)
                    if event.dagster_event and event.dagster_event.is_step_failure
                ]
                for run in runs
            }
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    assert set(statuses.values()) == {DagsterRunStatus.SUCCESS}, failures
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        writes = connection.execute(
            "select run_id, started, finished from writes order by started"
        ).fetchall()
    # both wrote, one after the other: the second started once the first was done
    assert {run_id for run_id, _, _ in writes} == set(statuses)
    (_, _, first_finished), (_, second_started, _) = writes
    assert second_started >= first_finished
    assert refused is not None and refused.dagster_run
    assert "a run of the schedule, the 1C sensor or the UI is writing it" in str(
        refused
    )
