"""Materialise the asset graph in-process and summarise what it built."""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
    Definitions,
)

from customer360.build_inputs import UNCHANGED_SINCE
from customer360.identity.build_tallies import IdentityTally, identity_tallies, utc_now
from customer360.settings import Settings
from customer360.warehouse_lock import warehouse_in_use
from customer360.warehouse_readers import open_for_reading
from orchestration.alerts.failures import FAILURES_TABLE
from orchestration.jobs import MAIN_JOB_NAME
from orchestration.progress import RunView, StepPlan, unwatch, watch
from orchestration.publish.assets import PUBLISHED_WAREHOUSE_KEY
from orchestration.sync.assets import CRM_SYNC_KEY
from orchestration.transform.assets import REBUILD_TAG, dbt_log_path, dbt_project

PUBLISHED_KEY = PUBLISHED_WAREHOUSE_KEY.to_user_string()
SYNC_KEY = CRM_SYNC_KEY.to_user_string()


@dataclass
class AssetOutcome:
    key: str
    metadata: dict[str, object]


@dataclass
class RunOutcome:
    success: bool
    # Dagster's; the build's artefacts are in target/runs/<run_id>
    run_id: str = ""
    assets: list[AssetOutcome] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    # dbt's full log of this run's build, when the run built with dbt
    dbt_log: Path | None = None
    # the dbt nodes that failed or warned: (status, node, dbt's message)
    dbt_problems: list[tuple[str, str, str]] = field(default_factory=list)
    # (asset, what failed) of the quality checks that failed with a warning: the run
    # went on (docs/data_quality.md)
    check_warnings: list[tuple[str, str]] = field(default_factory=list)
    checks_passed: int = 0
    # what this run's identity build did per entity type (build_tallies), when it
    # built identity
    identity: list[IdentityTally] = field(default_factory=list)
    # the customers marts.customer_360 holds after this run, when it built it
    customers: int | None = None

    @property
    def published(self) -> AssetOutcome | None:
        """The BI copy's materialisation, when this run published one."""
        return next((a for a in self.assets if a.key == PUBLISHED_KEY), None)

    @property
    def synced(self) -> AssetOutcome | None:
        """The CRM sync's materialisation, when this run synced."""
        return next((a for a in self.assets if a.key == SYNC_KEY), None)

    def format(self) -> str:
        landed = [a for a in self.assets if a.key.startswith("raw_")]
        built = [
            a
            for a in self.assets
            if not a.key.startswith("raw_") and a.key not in (PUBLISHED_KEY, SYNC_KEY)
        ]
        lines = []
        if landed:
            lines.append("Landed")
            lines.append(
                f"  {'asset':34} {'read':>10} {'unchanged':>10} {'landed':>10} "
                f"{'rejected':>9} {'in table':>10}  status"
            )
        # (status, detail) -> the assets it applies to: an absent source says it once
        notes: dict[tuple[str, str], list[str]] = {}
        for asset in sorted(landed, key=lambda a: a.key):
            meta = asset.metadata
            status = _text(meta.get("status"))
            row = (
                f"  {asset.key:34} {_count(meta.get('rows_read')):>10} "
                f"{_count(meta.get('rows_unchanged')):>10} "
                f"{_count(meta.get('rows_landed')):>10} "
                f"{_count(meta.get('rows_rejected')):>9} "
                f"{_count(meta.get('rows_in_table')):>10}  "
                + ("" if status == "landed" else status)
            )
            lines.append(row.rstrip())
            if status in ("absent", "empty"):
                detail = _text(meta.get("status_detail"))
                notes.setdefault((status, detail), []).append(asset.key)
            elif empty_files := _text(meta.get("empty_files")):
                # an empty export beside exports that landed: said all the same
                notes.setdefault(("empty", f"no record in {empty_files}"), []).append(
                    asset.key
                )
            if new_columns := _text(meta.get("new_columns")):
                notes.setdefault(("new column(s) landed", new_columns), []).append(
                    asset.key
                )
        for (status, detail), keys in notes.items():
            lines.append(f"  {_asset_list(keys)}: {status}: {detail}")
        left_out = [a for a in built if UNCHANGED_SINCE in a.metadata]
        if left_out:
            meta = left_out[0].metadata
            lines.append(
                "dbt build left out: nothing it reads (the landed tables, the review"
                " decisions, the project, its settings) changed since run"
                f" {_text(meta.get(UNCHANGED_SINCE))}, built"
                f" {_text(meta.get('built_at'))}, and no forecast is due for a refit;"
                f" its {len(left_out)} models and seeds stand (`c360 run --rebuild`"
                " builds all the same)"
            )
            built = [a for a in built if UNCHANGED_SINCE not in a.metadata]
        if built:
            layers: dict[str, int] = {}
            for asset in built:
                layer = asset.key.split("/")[0]
                layers[layer] = layers.get(layer, 0) + 1
            lines.append(
                f"Built by dbt: {len(built)} models and seeds ("
                + ", ".join(f"{layer} {n}" for layer, n in sorted(layers.items()))
                + "), each with its tests"
            )
        if changed := _changed_line(landed):
            lines.append(f"Changed since the last run: {changed}")
        if self.identity:
            lines.append(
                "Identity: " + "; ".join(tally.format() for tally in self.identity)
            )
        if self.customers is not None:
            # the marts are tables, rebuilt whole: said as it is, not as a delta
            lines.append(
                f"Customers recomputed: {self.customers:,} of {self.customers:,}"
                " (the marts rebuild every customer)"
            )
        if (synced := self.synced) is not None:
            lines.append(f"CRM sync: {_sync_line(synced.metadata)}")
        if (published := self.published) is not None:
            meta = published.metadata
            lines.append(
                f"Published for BI: {_text(meta.get('path'))} "
                f"({_count(meta.get('tables'))} tables, "
                f"{getattr(meta.get('size_mb'), 'value', '?')} MB)"
            )
        if self.dbt_log is not None:
            lines.append(f"dbt's log: {_display_path(self.dbt_log)}")
        shown = self.dbt_problems[:MAX_DBT_PROBLEMS_SHOWN]
        for status, node, message in shown:
            lines.append(f"  dbt {status.upper()} {node}: {message}")
        if len(self.dbt_problems) > len(shown):
            lines.append(
                f"  and {len(self.dbt_problems) - len(shown)} more in dbt's log"
            )
        if self.checks_passed or self.check_warnings:
            lines.append(
                f"Quality checks: {self.checks_passed} passed,"
                f" {len(self.check_warnings)} with warnings (data_quality.validations)"
            )
        for asset, message in self.check_warnings:
            lines.append(f"  warning {asset}: {message}")
        for step, message in self.failures:
            lines.append(f"  FAILED {step}: {message}")
        lines.append("  all assets materialised" if self.success else "  FAILED")
        return "\n".join(lines)


# a build where everything failed (the warehouse gone) names the first few
MAX_DBT_PROBLEMS_SHOWN = 10


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def dbt_problems(run_results: Path) -> list[tuple[str, str, str]]:
    """The nodes of a dbt build that did not pass: (status, node, first line of
    dbt's message), from its run_results.json; none when there is none."""
    try:
        results = json.loads(run_results.read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        return []
    problems = []
    for result in results:
        status = str(result.get("status") or "")
        if status not in ("error", "fail", "warn"):
            continue
        node = str(result.get("unique_id") or "?").split(".")
        # model.customer360.stg_x -> model stg_x; tests keep their (long) name
        name = f"{node[0]} {node[2]}" if len(node) > 2 else ".".join(node)
        message = " ".join(str(result.get("message") or "").split())
        # DuckDB's pointer at the offending SQL says nothing on one line
        message = message.split(" LINE ", 1)[0]
        problems.append((status, name, message[:300]))
    return problems


# what one landed row of a source is, in its users' words
SOURCE_UNITS = {
    "crm": "records",
    "onec": "rows",
    "telephony": "calls",
    "support": "tickets",
}


def _changed_line(landed: list[AssetOutcome]) -> str:
    """`crm 93 records, onec 1,607 rows, ...`: the rows each source landed (new or
    changed since its last landing), from the landing tallies; '' when none says."""
    per_source: dict[str, int] = {}
    for asset in landed:
        rows = asset.metadata.get("rows_landed")
        rows = getattr(rows, "value", rows)
        if not isinstance(rows, int) or _text(asset.metadata.get("status")) == "absent":
            continue
        source = asset.key.split("/")[0].removeprefix("raw_")
        per_source[source] = per_source.get(source, 0) + rows
    sources = [s for s in SOURCE_UNITS if s in per_source]
    sources += sorted(set(per_source) - set(SOURCE_UNITS))
    return ", ".join(
        f"{source} {per_source[source]:,} {SOURCE_UNITS.get(source, 'rows')}"
        for source in sources
    )


def _sync_line(metadata: dict[str, object]) -> str:
    """`bitrix24: 1,204 considered, 1,180 unchanged, 24 sent, 24 confirmed, ...`"""
    if status := _text(metadata.get("status")):
        return status
    values = {key: getattr(value, "value", value) for key, value in metadata.items()}
    parts = []
    for name in sorted({key.split("_", 1)[0] for key in values if "_" in key}):
        figures = ", ".join(
            f"{_count(values.get(f'{name}_{figure}'))} {figure}"
            for figure in ("considered", "unchanged", "sent", "confirmed", "rejected")
        )
        parts.append(
            f"{name}: {figures} (crm_sync.runs, run_id"
            f" {_text(values.get(f'{name}_run_id'))})"
        )
    return "; ".join(parts) or "nothing to sync"


def _asset_list(keys: list[str]) -> str:
    """raw_crm/contacts, or raw_crm (companies, contacts, deals) for one schema's."""
    schemas = {key.split("/")[0] for key in keys}
    if len(keys) == 1 or len(schemas) > 1:
        return ", ".join(keys)
    (schema,) = schemas
    return f"{schema} ({', '.join(key.split('/', 1)[1] for key in keys)})"


def _text(value: object) -> str:
    raw = getattr(value, "value", value)
    return raw if isinstance(raw, str) else ""


def _count(value: object) -> str:
    raw = getattr(value, "value", value)
    return f"{raw:,}" if isinstance(raw, int) else "-"


def new_run_id() -> str:
    """A run id, chosen before the run so that its dbt log can be named at its start."""
    return str(uuid.uuid4())


def run_main_job(
    settings: Settings,
    selection: list[str] | None = None,
    view: RunView | None = None,
    run_id: str | None = None,
    rebuild: bool = False,
) -> RunOutcome:
    """One code path for `c360 run`, the tests and (through the schedule) production.

    `view` shows the run while it goes (by default: on stdout, live when stdout is
    a terminal); `run_id`, when given, is the run's (new_run_id()); `rebuild` builds
    with dbt even when nothing it reads changed since its last complete build.
    """
    from orchestration.definitions import build_definitions

    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(MAIN_JOB_NAME)
    asset_selection = _parse_selection(selection) if selection else None
    selected = (
        asset_selection.resolve(definitions.resolve_asset_graph())
        if asset_selection is not None
        else None
    )
    run_id = run_id or new_run_id()
    started = utc_now()
    if view is None:
        view = RunView(sys.stdout)
    if not view.plans:
        view = RunView(
            view.stream, plans=run_plan(definitions, selected), live=view.live
        )
    watch(run_id, view)
    view.open()
    try:
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                raise_on_error=False,
                # a line per step on stdout instead of Dagster's event-by-event log
                run_config={"loggers": {"progress": {"config": {"log_level": "INFO"}}}},
                asset_selection=list(selected) if selected is not None else None,
                tags={REBUILD_TAG: "true"} if rebuild else None,
            )
            outcome = _outcome(result)
    finally:
        view.close()
        unwatch(run_id)
    log = dbt_log_path(run_id)
    if log.is_file():
        outcome.dbt_log = log
        outcome.dbt_problems = dbt_problems(log.parent / "run_results.json")
        # dagster-dbt's error is the whole dbt command and its last error line:
        # what failed is listed from run_results.json, and the log says the rest
        failed = sum(status != "warn" for status, _, _ in outcome.dbt_problems)
        outcome.failures = [
            (step, f"{failed} dbt node(s) failed; dbt's log: {_display_path(log)}")
            if _step_kind(step)[0] == "dbt" and failed
            else (step, message)
            for step, message in outcome.failures
        ]
    if outcome.success:
        _read_build_tallies(settings, outcome, started)
    else:
        _report_failures(settings, outcome)
    return outcome


CUSTOMERS_KEY = "marts/customer_360"


def _read_build_tallies(
    settings: Settings, outcome: RunOutcome, started: datetime
) -> None:
    """What the identity build and the marts did in this run, from the tables
    they keep in the warehouse; nothing when the run built neither."""
    try:
        with open_for_reading(settings.warehouse_path) as warehouse:
            outcome.identity = identity_tallies(warehouse, started)
            built = {
                asset.key
                for asset in outcome.assets
                if UNCHANGED_SINCE not in asset.metadata
            }
            if CUSTOMERS_KEY in built:
                (outcome.customers,) = warehouse.execute(
                    "select count(*) from marts.customer_360"
                ).fetchone()
    except duckdb.Error:
        # the run succeeded; a summary line it cannot read is left out
        return


def _report_failures(settings: Settings, outcome: RunOutcome) -> None:
    """A failed `c360 run` is kept and sent like a failed scheduled run (the
    run-failure sensor sees only runs the Dagster instance launched)."""
    from orchestration.alerts.failures import (
        RunFailure,
        advice_for,
        now,
        post_alert,
        record_failures,
    )

    at = now()
    failures = [
        RunFailure(
            outcome.run_id, MAIN_JOB_NAME, step, message, advice_for(step, message), at
        )
        for step, message in (outcome.failures or [(None, "the run failed")])
    ]
    if settings.alert_webhook_url:
        problem = post_alert(settings.alert_webhook_url, failures)
        if problem:
            print(f"{problem}; the failure is in {FAILURES_TABLE}", file=sys.stderr)
    record_failures(
        settings.warehouse_path, failures, lambda line: print(line, file=sys.stderr)
    )


def run_plan(
    definitions: Definitions, selected: set[AssetKey] | None = None
) -> list[StepPlan]:
    """The run's steps in the order they run, each with what it materialises and
    checks (a step per asset definition: a source's landing, the dbt build, ...)."""
    graph = definitions.resolve_asset_graph()
    steps = []
    for assets_def in graph.assets_defs:
        if not assets_def.is_executable:
            continue
        keys = [k for k in assets_def.keys if selected is None or k in selected]
        checks = [
            c
            for c in assets_def.check_keys
            if selected is None or c.asset_key in selected
        ]
        if not keys and not checks:
            continue
        name = assets_def.node_def.name
        # a step of checks alone (a quality suite's @asset_check) is said as such
        kind, label = _step_kind(name) if keys else ("checks", name)
        count = len(checks)
        if kind == "dbt" and len(keys) == len(assets_def.keys):
            # dbt runs every data test; dagster-dbt makes checks of those it can
            # attach to one asset, and observations of the rest
            count = max(count, _dbt_data_tests())
        steps.append(StepPlan(name, label, kind, assets=len(keys), checks=count))
    order = {"landing": 0, "dbt": 1, "checks": 2, "other": 2, "sync": 3, "publish": 4}
    return sorted(steps, key=lambda step: (order[step.kind], step.key))


def _dbt_data_tests() -> int:
    try:
        manifest = json.loads(dbt_project().manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    # a test of macros alone (literal cases, no model) is about no asset: dagster-dbt
    # reports nothing of it
    return sum(
        node.get("resource_type") == "test"
        and bool(node.get("depends_on", {}).get("nodes"))
        for node in manifest.get("nodes", {}).values()
    )


def _step_kind(step_key: str) -> tuple[str, str]:
    if step_key.startswith("land_"):
        return "landing", f"land {step_key.removeprefix('land_')}"
    if step_key.endswith("_dbt"):
        return "dbt", "dbt build"
    if step_key == CRM_SYNC_KEY.to_python_identifier():
        return "sync", "CRM sync"
    if step_key == PUBLISHED_WAREHOUSE_KEY.to_python_identifier():
        return "publish", "publish for BI"
    return "other", step_key


def _outcome(result) -> RunOutcome:
    """What the run materialised, what its checks found and what failed, from its
    events."""
    outcome = RunOutcome(success=result.success, run_id=result.run_id)
    # each step's failed blocking checks: what its failure is said with
    blocked: dict[str, list[str]] = {}
    for event in result.all_events:
        if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            _note_check(outcome, blocked, event)
            continue
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            outcome.assets.append(
                AssetOutcome(
                    key=materialization.asset_key.to_user_string(),
                    metadata=dict(materialization.metadata),
                )
            )
        elif event.is_step_failure:
            error = event.step_failure_data.error
            message = _root_message(error)
            if error is not None and error.cls_name == "DagsterAssetCheckFailedError":
                # Dagster's words name only the checks: say what they found
                message = "; ".join(blocked.get(event.step_key or "", [])) or message
            outcome.failures.append((event.step_key or "?", message))
    return outcome


def _note_check(outcome: RunOutcome, blocked: dict[str, list[str]], event) -> None:
    evaluation = event.asset_check_evaluation_data
    if UNCHANGED_SINCE in evaluation.metadata:
        return  # a left-out build's test, passed in the build that ran it
    asset = evaluation.asset_key.to_user_string()
    description = evaluation.description or f"check {evaluation.check_name} failed"
    if evaluation.passed:
        outcome.checks_passed += 1
    elif evaluation.severity == AssetCheckSeverity.ERROR and evaluation.blocking:
        blocked.setdefault(event.step_key or "", []).append(f"{asset}: {description}")
    else:
        outcome.check_warnings.append((asset, description))


def _root_message(error) -> str:
    """The innermost user-facing message: our errors, not Dagster's wrappers."""
    message = error.message.strip() if error else "unknown error"
    in_use = warehouse_in_use(message)
    while error is not None and error.cause is not None:
        error = error.cause
        message = error.message.strip()
        in_use = in_use or warehouse_in_use(message)
    if in_use is not None:
        # DuckDB's refusal, perhaps inside dlt's guess at credentials or the
        # network: say who holds the warehouse instead
        return str(in_use)
    if error is not None and error.cls_name == "Failure":
        # raised on purpose with a message for the reader (a source that landed
        # only in part): Dagster's class name before it says nothing more
        message = message.split(": ", 1)[-1]
    return message.splitlines()[-1] if message else "unknown error"


def _parse_selection(items: list[str]) -> AssetSelection:
    selection = AssetSelection.assets()
    for item in items:
        if item.startswith("group:"):
            selection = selection | AssetSelection.groups(item.removeprefix("group:"))
        else:
            selection = selection | AssetSelection.assets(AssetKey(item.split("/")))
    return selection
