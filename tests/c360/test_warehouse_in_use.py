"""A command that writes the warehouse, started while another process holds it, says
who holds it and exits 75 (try again later) before it starts any work."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from c360.main import main


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("C360_WAREHOUSE", str(path))
    monkeypatch.setenv("C360_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", "test-webhook-token")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["ingest"],
        ["ingest", "--source", "onec"],
        ["identity", "train"],
        ["identity", "review", "--decide", "a", "b", "same"],
    ],
    ids=" ".join,
)
def test_a_writing_command_exits_75_naming_the_process_that_holds_the_warehouse(
    command: list[str],
    warehouse: Path,
    warehouse_held_by_another_process: Callable[[Path], subprocess.Popen[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    pid = warehouse_held_by_another_process(warehouse).pid

    assert main(command) == 75  # EX_TEMPFAIL: try again later

    captured = capsys.readouterr()
    [line] = captured.err.splitlines()
    assert line.startswith(
        f"c360: the warehouse {warehouse} is in use by another process, PID {pid} ("
    )
    # its command line, so that a person can tell a leftover run from a BI tool
    assert "import duckdb, sys, time" in line
    assert f"kill {pid}" in line
    # nothing was started: no landing, no Dagster
    assert captured.out == ""


def test_a_command_started_after_the_holder_ends_runs(
    warehouse: Path,
    warehouse_held_by_another_process: Callable[[Path], subprocess.Popen[str]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The refusal is about now: once the holder is gone, the same command works."""
    holder = warehouse_held_by_another_process(warehouse)
    assert main(["ingest", "--source", "onec"]) == 75
    holder.kill()
    holder.wait()
    capsys.readouterr()

    # no 1C exports in the landing folder: absent, which alone is exit 1, not 75
    assert main(["ingest", "--source", "onec"]) == 1
    assert "every source is absent" in capsys.readouterr().err
