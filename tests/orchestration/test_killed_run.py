"""A run killed outright takes its dbt build with it: the warehouse is free after."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from demo.generator import generate
from orchestration.dbt_child import PARENT_PID_VARIABLE
from orchestration.transform.assets import DBT_EXECUTABLE

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses
    return int(stat.rsplit(")", 1)[1].split()[1])


def _command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [word.decode(errors="replace") for word in raw.split(b"\0") if word]


def _holds_file(pid: int, path: Path) -> bool:
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            if os.readlink(descriptor) == str(path.resolve()):
                return True
        except OSError:
            continue
    return False


def _is_alive(pid: int) -> bool:
    """Running, not gone and not a zombie (a killed orphan waits to be reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return state.split()[1] not in ("Z", "X")


def _open_within(warehouse: Path, seconds: float) -> None:
    """Open the warehouse once the killed build's lock is gone.

    A killed process's leader thread shows as a zombie while its other threads are
    still exiting, and the file lock goes with the last of them: a moment later.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            duckdb.connect(str(warehouse)).close()
            return
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _dbt_build_holding(run: subprocess.Popen, warehouse: Path, timeout: float) -> int:
    """The PID of the run's `dbt build` once it has the warehouse open."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.poll() is None, "the run ended before dbt held the warehouse"
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or _parent_of(int(entry.name)) != run.pid:
                continue
            words = _command_line(int(entry.name))
            # the real dbt (`python .../bin/dbt build ...`), past c360-dbt-child
            is_build = len(words) > 2 and Path(words[1]).name == "dbt"
            if (
                is_build
                and "build" in words
                and _holds_file(int(entry.name), warehouse)
            ):
                return int(entry.name)
        time.sleep(0.2)
    raise AssertionError(f"no dbt build held {warehouse} within {timeout:.0f} s")


@pytest.mark.slow
def test_a_killed_run_takes_its_dbt_build_with_it_and_frees_the_warehouse(
    tmp_path: Path,
) -> None:
    # a small company without a CRM: the run is soon in dbt, which builds every
    # model and holds the warehouse for long enough
    landing = tmp_path / "landing"
    generate(landing, tmp_path / "ground_truth", customers=50, seed=5)
    shutil.rmtree(landing / "crm")
    config = tmp_path / "c360.toml"
    config.write_text("", encoding="utf-8")
    warehouse = tmp_path / "warehouse.duckdb"
    log = tmp_path / "run.log"
    systems = ("C360_CRM_PORTALS", "C360_ONEC_BRANCHES", "C360_AMOCRM_ACCOUNTS")
    env = {name: value for name, value in os.environ.items() if name not in systems}
    env.update(
        C360_PROJECT_DIR=str(PROJECT_DIR),
        C360_CONFIG=str(config),
        C360_WAREHOUSE=str(warehouse),
        C360_LANDING_DIR=str(landing),
    )
    dbt_pid: int | None = None
    with log.open("w") as output:
        run = subprocess.Popen(
            [sys.executable, "-m", "c360", "run"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            dbt_pid = _dbt_build_holding(run, warehouse, timeout=300)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{log.read_text()[-3000:]}") from None

        run.send_signal(signal.SIGKILL)
        run.wait()

        deadline = time.monotonic() + 5
        while _is_alive(dbt_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _is_alive(dbt_pid), "dbt build outlived the killed run"
        # and the next run can have the warehouse
        _open_within(warehouse, seconds=10)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if dbt_pid is not None and _is_alive(dbt_pid):
            os.kill(dbt_pid, signal.SIGKILL)  # an orphan: leave no build running


def test_dbt_starts_through_the_child_command_for_the_run_that_started_it() -> None:
    result = subprocess.run(
        [DBT_EXECUTABLE, "--version"],
        env={**os.environ, PARENT_PID_VARIABLE: str(os.getpid())},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "installed:" in result.stdout


def test_dbt_is_not_started_for_a_run_that_ended_before_it_could_be_tied_to_it() -> (
    None
):
    """The run died between starting the child and the child's request to die with
    it: no signal will come, so the child must not start dbt at all."""
    ended_run = subprocess.Popen([sys.executable, "-c", "pass"])
    ended_run.wait()

    result = subprocess.run(
        [DBT_EXECUTABLE, "--version"],
        env={**os.environ, PARENT_PID_VARIABLE: str(ended_run.pid)},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert f"the run that started dbt (PID {ended_run.pid}) has ended" in result.stderr
    assert "installed:" not in result.stdout
