"""dbt models, seeds and tests as Dagster assets, built by `dbt build`."""

import contextlib
import datetime as dt
import graphlib
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from customer360.build_inputs import (
    UNCHANGED_SINCE,
    CompleteBuild,
    build_fingerprint,
    forecast_fit_due,
    last_complete_build,
    missing_relations,
    record_complete_build,
)
from customer360.dbt_context import (
    PRODUCTION_BUILD_ARGS,
    dbt_vars,
    environment_for_dbt,
)
from customer360.forecasts.fit_store import RefitPolicy, utc_now
from customer360.settings import Settings
from customer360.warehouse_readers import landed_tables
from orchestration.dbt_child import started_by_this_process
from orchestration.resources import Customer360Settings
from orchestration.transform.console import (
    build_events,
    dagster_dbt_notes_muted,
    uses_progress_logger,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Dagster's own target folder, so that its parse never races a developer's dbt run
DBT_TARGET = PROJECT_DIR / "target" / "dagster"
# each run's build artefacts (run_results.json, dbt.log, manifest, compiled SQL), in
# target/runs/<Dagster run id>
RUN_TARGETS = PROJECT_DIR / "target" / "runs"
# the last few runs' run_results.json and dbt.log are what someone looks at when a run
# failed or built something odd; older ones only fill the disk (about 30 MB a run)
KEEP_RUN_TARGETS = 3


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt nodes by layer (staging, intermediate, marts, seeds)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "transform"


# dbt through `c360-dbt-child` (orchestration/dbt_child.py), so that a build dies
# with a run that is killed instead of holding the warehouse; both installed beside
# this Python, so `.venv/bin/c360` works without the virtual environment activated
# (PATH may not hold it)
DBT_EXECUTABLE = str(Path(sys.executable).parent / "c360-dbt-child")


# dbt's own log of the build, target/runs/<run id>/dbt.log: as text a person reads
# (dagster-dbt asks dbt for JSON on stdout, and dbt would write the file as JSON too),
# and whole (dbt starts a new file every 10 MB: a build's beginning would be in
# dbt.log.1)
DBT_LOG_FILE_ARGS = (
    "--log-format-file",
    "text",
    "--no-use-colors-file",
    "--log-file-max-bytes",
    "0",
)
DBT_LOG_NAME = "dbt.log"


def dbt_log_path(run_id: str, run_targets: Path = RUN_TARGETS) -> Path:
    """Where a run's dbt build writes its full log."""
    return run_targets / run_id / DBT_LOG_NAME


def dbt_project() -> DbtProject:
    return DbtProject(
        project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=DBT_TARGET
    )


def dbt_cli() -> DbtCliResource:
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=DBT_EXECUTABLE)


def run_target(run_id: str, run_targets: Path = RUN_TARGETS) -> Path:
    """This run's dbt target folder, made now; older runs' beyond the last
    KEEP_RUN_TARGETS (this one counted) are removed."""
    target = run_targets / run_id
    target.mkdir(parents=True, exist_ok=True)
    prune_run_targets(run_targets, KEEP_RUN_TARGETS - 1, spare=target)
    # dagster-dbt's own per-run folders (target/<op>-<run>-<random>), from before
    # builds were given theirs here: one per run, never removed
    for unnamed in run_targets.parent.glob("customer360_dbt-*"):
        shutil.rmtree(unnamed, ignore_errors=True)
    return target


def prune_run_targets(
    run_targets: Path, keep: int, spare: Path | None = None
) -> list[Path]:
    """Remove all but the `keep` newest run folders (by modification time) besides
    `spare`; what was removed, oldest first."""
    if not run_targets.is_dir():
        return []
    folders = sorted(
        (f for f in run_targets.iterdir() if f.is_dir() and f != spare),
        key=lambda folder: folder.stat().st_mtime,
    )
    removed = folders[: max(len(folders) - keep, 0)]
    for folder in removed:
        # a folder another process removes at the same moment is fine
        shutil.rmtree(folder, ignore_errors=True)
    return removed


_parsed_in_this_process = False
_PARTIAL_PARSE = "partial_parse.msgpack"


def _parse_once(settings: Settings) -> None:
    """`dbt parse` takes seconds; the project does not change under a running process
    (`dagster dev` reloads code in a fresh one)."""
    global _parsed_in_this_process
    if _parsed_in_this_process and dbt_project().manifest_path.exists():
        return
    # parsed in a folder of this process's own, then moved into place whole: two
    # processes loading the definitions at once (`c360 run` beside `dagster dev`)
    # would otherwise read each other's half-written manifest
    private = DBT_TARGET.parent / f"dagster-parse-{os.getpid()}"
    private.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.suppress(OSError):  # no earlier parse: a full one, slower
            shutil.copy2(DBT_TARGET / _PARTIAL_PARSE, private / _PARTIAL_PARSE)
        with environment_for_dbt(settings), started_by_this_process():
            dbt_cli().cli(
                ["parse", "--quiet", "--vars", dbt_vars(settings)], target_path=private
            ).wait()
        DBT_TARGET.mkdir(parents=True, exist_ok=True)
        for name in (_PARTIAL_PARSE, "manifest.json"):
            if (private / name).exists():
                os.replace(private / name, DBT_TARGET / name)
    finally:
        shutil.rmtree(private, ignore_errors=True)
    _parsed_in_this_process = True


def _require_something_landed(settings: Settings) -> None:
    """Stop before dbt when no source has landed anything, saying what to do.

    A company has some of the systems, and dbt builds on whichever landed; with none
    at all, every model would fail on a warehouse that is not there, and dbt's errors
    would not say why.
    """
    if landed_tables(settings.warehouse_path):
        return
    raise Failure(
        description=(
            f"nothing has been landed in {settings.warehouse_path} yet: every source"
            " is absent (see the Landed table), so there is nothing to build; put the"
            f" 1C, telephony or support exports under {settings.landing_dir}"
            " (docs/landing_formats.md) or configure a CRM (docs/configuration.md),"
            " then run again"
        )
    )


def build_dbt_assets(settings: Settings) -> list[AssetsDefinition]:
    """The dbt project's nodes; parsing writes the manifest the assets are made from."""
    project = dbt_project()
    _parse_once(settings)

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        # dbt's tests as asset checks: those of severity error block what is
        # downstream (the CRM sync, the BI publish) when they fail
        dagster_dbt_translator=LayeredTranslator(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
        ),
    )
    def customer360_dbt(
        context: AssetExecutionContext, dbt: DbtCliResource, c360: Customer360Settings
    ):
        settings = c360.load()
        _require_something_landed(settings)
        # (in a run of part of the graph, context.assets_def is that part)
        whole = set(context.selected_asset_keys) >= every_model
        fingerprint = None
        if whole:
            fingerprint, unchanged = _compare_with_last_build(
                settings, rebuild=context.run.tags.get(REBUILD_TAG) == "true"
            )
            if unchanged is not None:
                yield from _left_out(context, unchanged)
                return
        started = dt.datetime.now(dt.UTC)
        quiet = uses_progress_logger(context)
        with (
            environment_for_dbt(settings),
            started_by_this_process(),
            dagster_dbt_notes_muted(quiet),
        ):
            invocation = dbt.cli(
                [
                    "build",
                    "--vars",
                    dbt_vars(settings),
                    *PRODUCTION_BUILD_ARGS,
                    *DBT_LOG_FILE_ARGS,
                ],
                context=context,
                target_path=run_target(context.run.run_id),
            )
            yield from build_events(invocation, context, quiet=quiet)
        if fingerprint is not None:
            # reached only when every node built and passed: build_events raises
            # on a failure
            with duckdb.connect(str(settings.warehouse_path)) as warehouse:
                record_complete_build(
                    warehouse,
                    context.run.run_id,
                    started,
                    dt.datetime.now(dt.UTC),
                    fingerprint,
                )

    every_model = set(customer360_dbt.keys)
    return [customer360_dbt]


# a run tagged so builds even when nothing it reads changed (`c360 run --rebuild`)
REBUILD_TAG = "customer360/rebuild"


def _compare_with_last_build(
    settings: Settings, rebuild: bool
) -> tuple[str | None, CompleteBuild | None]:
    """This build's inputs' fingerprint, and the last complete build when it read
    the same and nothing has built or fallen due since (the build can be left out).

    A landed table that cannot be read (a view over a table gone) gives no
    fingerprint: the build runs, and dbt names what fails."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        try:
            fingerprint = build_fingerprint(
                warehouse,
                PROJECT_DIR,
                # what the models see of the settings: the vars (the C360_*
                # variables hold the same, for a dbt run by hand, and the portals'
                # addresses, which no model reads)
                {"vars": dbt_vars(settings)},
            )
        except duckdb.Error:
            return None, None
        last = last_complete_build(warehouse)
        if rebuild or last is None or last.fingerprint != fingerprint:
            return fingerprint, None
        if last.invocations_since != 1:
            return fingerprint, None
        if missing_relations(warehouse, dbt_project().manifest_path):
            return fingerprint, None
        policy = RefitPolicy(
            settings.forecast_refit_days, settings.forecast_refit_growth
        )
        if forecast_fit_due(warehouse, policy, utc_now()) is not None:
            return fingerprint, None
    return fingerprint, last


def _left_out(context: AssetExecutionContext, last: CompleteBuild):
    """Say the build is left out, and give each model the run that built it: what
    is downstream (the checks of the marts, the CRM sync, the BI copy) still runs,
    so that a sync or a publish that failed after that build is done now."""
    context.log.info(
        f"nothing the build reads has changed since run {last.run_id}"
        f" ({last.finished_at:%Y-%m-%d %H:%M %Z}): the build is left out"
    )
    selected = set(context.selected_asset_keys)
    # Dagster takes a multi-asset's results in the order of their dependencies
    graph = {
        key: {
            dep for dep in context.assets_def.asset_deps.get(key, ()) if dep in selected
        }
        for key in selected
    }
    for key in graphlib.TopologicalSorter(graph).static_order():
        yield MaterializeResult(
            asset_key=key,
            metadata={
                UNCHANGED_SINCE: last.run_id,
                "built_at": last.finished_at.isoformat(timespec="seconds"),
            },
        )
    # the tests that block what is downstream are of severity error: all of them
    # passed in that build, or it would not have been complete
    selected_checks = set(context.selected_asset_check_keys)
    for spec in context.assets_def.check_specs:
        if spec.blocking and spec.key in selected_checks:
            yield AssetCheckResult(
                asset_key=spec.asset_key,
                check_name=spec.name,
                passed=True,
                description=f"passed in run {last.run_id}; nothing it reads changed",
                metadata={UNCHANGED_SINCE: last.run_id},
            )
