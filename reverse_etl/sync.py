"""One sync of one destination: check the mapping, plan, send in batches, keep."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import duckdb

from reverse_etl.destinations import (
    Destination,
    DestinationError,
    RecordUpdate,
    TargetUnavailable,
)
from reverse_etl.mapping import (
    SYNC_MART,
    MappingError,
    SyncMapping,
    check_against_crm,
    check_against_mart,
    load_mapping,
)
from reverse_etl.plan import PlannedRecord, mart_columns, plan_sync
from reverse_etl.state import (
    SCHEMA,
    Outcome,
    RunCounts,
    ensure_tables,
    finish_run,
    load_state,
    log_invalid,
    record_outcomes,
    start_run,
)

DEFAULT_MAPPING = Path(__file__).with_name("mapping.yml")
# how many differences a dry run shows
SAMPLE_SIZE = 10
# batches a destination is told of ahead (`Destination.prepare`): Bitrix24 reads
# the fields a fill needs for all of them in one call instead of one a batch
PREPARE_BATCHES = 20

Progress = Callable[[int, int], None]


@dataclass
class SyncReport:
    destination: str
    run_id: str
    dry_run: bool
    counts: RunCounts
    seconds: float
    fields_to_create: list[str] = field(default_factory=list)
    # (target, entity_type, crm_id, {field: (old, new)})
    sample: list[tuple[str, str, int, dict[str, tuple[Any, Any]]]] = field(
        default_factory=list
    )
    invalid_sample: list[tuple[str, str, int, str]] = field(default_factory=list)
    rejected_sample: list[tuple[str, str, int, str]] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return not self.counts.unavailable

    def format(self) -> str:
        c = self.counts
        if self.dry_run:
            lines = [
                f"Dry run of the {self.destination} sync: nothing was sent.",
                f"  would update {c.sent:,}, unchanged {c.unchanged:,}"
                f"{_drifted(c)},"
                f" invalid {c.invalid:,}, given up {c.given_up:,}"
                f" (of {c.considered:,} records)",
            ]
            if self.fields_to_create:
                lines.append(
                    "  fields to create: "
                    + ", ".join(sorted(set(self.fields_to_create)))
                )
            if self.sample:
                lines.append("  a sample of the differences (old -> new):")
            for target, entity, crm_id, diff in self.sample:
                changes = "; ".join(
                    f"{name}: {_show(old)} -> {_show(new)}"
                    for name, (old, new) in diff.items()
                )
                lines.append(f"    {target} {entity} {crm_id}: {changes}")
        else:
            lines = [
                f"{self.destination} sync in {self.seconds:.0f} s:"
                f" {c.considered:,} records considered, {c.unchanged:,} unchanged"
                f"{_drifted(c)},"
                f" {c.sent:,} sent, {c.confirmed:,} confirmed, {c.rejected:,} rejected"
                f" ({c.retried:,} of the sent were retries), {c.invalid:,} invalid,"
                f" {c.given_up:,} given up, {c.not_sent:,} not sent;"
                f" {c.fields_created} fields created, {c.requests:,} requests",
            ]
            for target, entity, crm_id, reason in self.rejected_sample:
                lines.append(f"  rejected: {target} {entity} {crm_id}: {reason}")
        for target, entity, crm_id, reason in self.invalid_sample:
            lines.append(f"  invalid: {target} {entity} {crm_id}: {reason}")
        for target, reason in c.unavailable.items():
            lines.append(f"  FAILED {target}: {reason}; its records go next run")
        lines.append(
            f"  audit: select * from {SCHEMA}.runs where run_id = '{self.run_id}'"
        )
        return "\n".join(lines)


def run_sync(
    warehouse: Path,
    destination: Destination,
    mapping_path: Path = DEFAULT_MAPPING,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Sync one destination; MappingError / DestinationError stop it before or
    while sending, with what was confirmed until then kept."""
    started = time.monotonic()
    run_id = uuid.uuid4().hex[:12]
    mapping = load_mapping(mapping_path, destination.name)
    counts = RunCounts()
    report = SyncReport(destination.name, run_id, dry_run, counts, 0.0)
    with duckdb.connect(str(warehouse)) as connection:
        columns = mart_columns(connection)
        if not columns:
            raise MappingError(
                [f"{SYNC_MART} is not in {warehouse}: build the marts first (c360 run)"]
            )
        check_against_mart(mapping, columns)
        ensure_tables(connection)
        start_run(connection, run_id, destination.name, dry_run)
        status, message = "failed", None
        try:
            targets = _prepare_targets(destination, mapping, dry_run, report)
            state = load_state(connection, destination.name)
            plan = plan_sync(connection, mapping, set(targets), state)
            counts.unchanged, counts.given_up = plan.unchanged, plan.given_up
            counts.within_tolerance = plan.within_tolerance
            counts.invalid = len(plan.invalid)
            counts.considered = plan.considered
            report.invalid_sample = plan.invalid[:SAMPLE_SIZE]
            if plan.invalid and not dry_run:
                log_invalid(connection, run_id, destination.name, plan.invalid)
            if dry_run:
                counts.sent = len(plan.to_send)
                report.sample = _differences(connection, destination.name, plan.to_send)
            else:
                _send(connection, destination, run_id, plan.to_send, report, progress)
            status = "succeeded" if report.success else "partly failed"
        except (DestinationError, MappingError) as error:
            message = str(error)
            raise
        finally:
            counts.requests = getattr(destination, "requests_sent", 0)
            report.seconds = time.monotonic() - started
            if counts.unavailable and message is None:
                message = "; ".join(f"{t}: {r}" for t, r in counts.unavailable.items())
            finish_run(connection, run_id, counts, report.seconds, status, message)
    return report


def _prepare_targets(
    destination: Destination, mapping: SyncMapping, dry_run: bool, report: SyncReport
) -> list[str]:
    """Check the mapping against every target's fields and create the sync's own
    fields where missing; a target that cannot be reached is left for next run."""
    ready = []
    for target in destination.targets():
        try:
            for entity_type in mapping.entity_types:
                where = f"the {target} {destination.name}"
                missing = check_against_crm(
                    mapping, entity_type, destination.fields(target, entity_type), where
                )
                for mapped in missing:
                    report.fields_to_create.append(f"{entity_type}.{mapped.field}")
                    if not dry_run:
                        destination.create_field(target, entity_type, mapped)
                        report.counts.fields_created += 1
        except TargetUnavailable as error:
            report.counts.unavailable[target] = str(error)
            continue
        ready.append(target)
    return ready


def _send(
    connection: duckdb.DuckDBPyConnection,
    destination: Destination,
    run_id: str,
    records: list[PlannedRecord],
    report: SyncReport,
    progress: Progress | None,
) -> None:
    counts = report.counts
    done = 0
    key = lambda record: (record.target, record.entity_type)  # noqa: E731
    for (target, _entity_type), group in groupby(records, key=key):
        group = list(group)
        window = destination.batch_size * PREPARE_BATCHES
        for start in range(0, len(group), destination.batch_size):
            batch = group[start : start + destination.batch_size]
            if target in counts.unavailable:
                counts.not_sent += len(batch)
                continue
            try:
                if start % window == 0:
                    ahead = group[start : start + window]
                    destination.prepare(target, [_update(r) for r in ahead])
                results = destination.send(target, [_update(r) for r in batch])
            except TargetUnavailable as error:
                counts.unavailable[target] = str(error)
                counts.not_sent += len(batch)
                continue
            by_id = {result.crm_id: result for result in results}
            outcomes = []
            for record in batch:
                result = by_id.get(record.crm_id)
                confirmed = result is not None and result.confirmed
                error = None if confirmed else (result.error if result else "no result")
                outcomes.append(
                    Outcome(
                        target=record.target,
                        entity_type=record.entity_type,
                        crm_id=record.crm_id,
                        fingerprint=record.fingerprint,
                        values=record.values,
                        confirmed=confirmed,
                        error=error,
                        attempts=record.attempts_before + 1,
                    )
                )
                counts.sent += 1
                counts.retried += record.retry
                if confirmed:
                    counts.confirmed += 1
                else:
                    counts.rejected += 1
                    if len(report.rejected_sample) < SAMPLE_SIZE:
                        report.rejected_sample.append(
                            (record.target, record.entity_type, record.crm_id, error)
                        )
            # kept before the next batch goes: a kill loses at most the batch in flight
            record_outcomes(connection, run_id, destination.name, outcomes)
            done += len(batch)
            if progress is not None:
                progress(done, len(records))


def _update(record: PlannedRecord) -> RecordUpdate:
    return RecordUpdate(
        entity_type=record.entity_type,
        crm_id=record.crm_id,
        values=record.overwrite,
        fills=record.fills,
    )


def _differences(
    connection: duckdb.DuckDBPyConnection,
    destination: str,
    records: list[PlannedRecord],
) -> list[tuple[str, str, int, dict[str, tuple[Any, Any]]]]:
    sample = []
    for record in records[:SAMPLE_SIZE]:
        row = connection.execute(
            f"select confirmed_values from {SCHEMA}.record_state where destination = ?"
            " and target = ? and entity_type = ? and crm_id = ?",
            [destination, record.target, record.entity_type, record.crm_id],
        ).fetchone()
        old = json.loads(row[0]) if row and row[0] else {}
        diff = {
            name: (old.get(name), value)
            for name, value in record.values.items()
            if old.get(name) != value
        }
        sample.append((record.target, record.entity_type, record.crm_id, diff))
    return sample


def _drifted(counts: RunCounts) -> str:
    if not counts.within_tolerance:
        return ""
    return (
        f" ({counts.within_tolerance:,} of them with numbers moved less than their"
        " resend_when_changed_by)"
    )


def _show(value: Any) -> str:
    return "(none)" if value is None else repr(value)
