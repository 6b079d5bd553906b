"""Each run's dbt artefacts in target/runs/<run id>, and only the last few runs'."""

from __future__ import annotations

import os
from pathlib import Path

from orchestration.transform.assets import (
    KEEP_RUN_TARGETS,
    prune_run_targets,
    run_target,
)


def _runs(run_targets: Path, names: list[str]) -> None:
    """Run folders with a run_results.json each, oldest first."""
    for age, name in enumerate(reversed(names)):
        folder = run_targets / name
        folder.mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        then = 1_700_000_000 - age * 3600
        os.utime(folder, (then, then))


def test_the_newest_run_folders_are_kept_and_the_older_removed(tmp_path: Path) -> None:
    runs = tmp_path / "target" / "runs"
    _runs(runs, ["run-1", "run-2", "run-3", "run-4", "run-5"])

    removed = prune_run_targets(runs, keep=3)

    assert [folder.name for folder in removed] == ["run-1", "run-2"]
    assert sorted(folder.name for folder in runs.iterdir()) == [
        "run-3",
        "run-4",
        "run-5",
    ]


def test_nothing_is_removed_while_there_are_fewer_runs_than_kept(
    tmp_path: Path,
) -> None:
    runs = tmp_path / "target" / "runs"
    assert prune_run_targets(runs, keep=3) == []  # no run yet
    _runs(runs, ["run-1", "run-2"])

    assert prune_run_targets(runs, keep=3) == []
    assert len(list(runs.iterdir())) == 2


def test_a_new_run_gets_its_folder_and_keeps_the_runs_just_before_it(
    tmp_path: Path,
) -> None:
    target = tmp_path / "target"
    runs = target / "runs"
    _runs(runs, ["run-1", "run-2", "run-3", "run-4"])
    # dbt's parse target and another command's stay as they are
    (target / "dagster").mkdir()
    (target / "identity").mkdir()
    # a folder dagster-dbt named itself for a build before runs had theirs
    (target / "customer360_dbt-0a92668-5dd0c9f").mkdir()

    folder = run_target("run-5", runs)

    assert folder == runs / "run-5" and folder.is_dir()
    assert KEEP_RUN_TARGETS == 3
    assert sorted(f.name for f in runs.iterdir()) == ["run-3", "run-4", "run-5"]
    assert sorted(f.name for f in target.iterdir()) == ["dagster", "identity", "runs"]


def test_a_run_whose_folder_is_older_than_others_keeps_it(tmp_path: Path) -> None:
    """A step retried within the same run reuses its folder, however old."""
    runs = tmp_path / "target" / "runs"
    _runs(runs, ["run-1", "run-2", "run-3", "run-4"])

    run_target("run-1", runs)

    assert sorted(f.name for f in runs.iterdir()) == ["run-1", "run-3", "run-4"]
