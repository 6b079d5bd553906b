"""Materialise the asset graph in-process and summarise what it built."""

from __future__ import annotations

from dataclasses import dataclass, field

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    AssetSelection,
    DagsterEventType,
    DagsterInstance,
)

from customer360.settings import Settings
from customer360.warehouse_lock import warehouse_in_use
from orchestration.jobs import MAIN_JOB_NAME
from orchestration.publish.assets import PUBLISHED_WAREHOUSE_KEY
from orchestration.sync.assets import CRM_SYNC_KEY

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
    # (asset, what failed) of the quality checks that failed with a warning: the run
    # went on (docs/data_quality.md)
    check_warnings: list[tuple[str, str]] = field(default_factory=list)
    checks_passed: int = 0

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
        lines = ["Landed"]
        lines.append(
            f"  {'asset':34} {'read':>10} {'landed':>10} {'rejected':>9} "
            f"{'in table':>10}  status"
        )
        # (status, detail) -> the assets it applies to: an absent source says it once
        notes: dict[tuple[str, str], list[str]] = {}
        for asset in sorted(landed, key=lambda a: a.key):
            meta = asset.metadata
            status = _text(meta.get("status"))
            row = (
                f"  {asset.key:34} {_count(meta.get('rows_read')):>10} "
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
        if (synced := self.synced) is not None:
            lines.append(f"CRM sync: {_sync_line(synced.metadata)}")
        if (published := self.published) is not None:
            meta = published.metadata
            lines.append(
                f"Published for BI: {_text(meta.get('path'))} "
                f"({_count(meta.get('tables'))} tables, "
                f"{getattr(meta.get('size_mb'), 'value', '?')} MB)"
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


def run_main_job(settings: Settings, selection: list[str] | None = None) -> RunOutcome:
    """One code path for `c360 run`, the tests and (through the schedule) production."""
    from orchestration.definitions import build_definitions

    definitions = build_definitions(settings)
    job = definitions.resolve_job_def(MAIN_JOB_NAME)
    asset_selection = _parse_selection(selection) if selection else None
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            # compact progress on stdout instead of Dagster's event-by-event log
            run_config={"loggers": {"progress": {"config": {"log_level": "INFO"}}}},
            asset_selection=(
                list(asset_selection.resolve(definitions.resolve_asset_graph()))
                if asset_selection is not None
                else None
            ),
        )
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
                if (
                    error is not None
                    and error.cls_name == "DagsterAssetCheckFailedError"
                ):
                    # Dagster's words name only the checks: say what they found
                    message = (
                        "; ".join(blocked.get(event.step_key or "", [])) or message
                    )
                outcome.failures.append((event.step_key or "?", message))
    return outcome


def _note_check(outcome: RunOutcome, blocked: dict[str, list[str]], event) -> None:
    evaluation = event.asset_check_evaluation_data
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
