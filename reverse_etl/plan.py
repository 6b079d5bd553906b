"""What a sync sends: the mart's mapped values against what the CRM confirmed."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

from reverse_etl.mapping import KEY_COLUMNS, SYNC_MART, FieldMapping, SyncMapping
from reverse_etl.state import MAX_ATTEMPTS, RecordState

# a text longer than this is refused by the CRMs' string fields
MAX_TEXT_LENGTH = 255


@dataclass(frozen=True)
class PlannedRecord:
    target: str
    entity_type: str
    crm_id: int
    fingerprint: str
    # every mapped field's value, for the state and the dry run's differences
    values: Mapping[str, Any]
    # what is written: overwrite fields, and fills where the mart saw no value
    overwrite: Mapping[str, Any]
    fills: Mapping[str, Any]
    attempts_before: int  # earlier failed attempts at these very values
    retry: bool  # it failed before


@dataclass
class SyncPlan:
    to_send: list[PlannedRecord] = field(default_factory=list)
    unchanged: int = 0
    # of the unchanged: records whose only changes are numbers within their
    # field's resend_when_changed_by
    within_tolerance: int = 0
    given_up: int = 0
    # (target, entity_type, crm_id, reason)
    invalid: list[tuple[str, str, int, str]] = field(default_factory=list)
    # (target, entity_type, crm_id) -> values last confirmed (for the dry run)
    confirmed_values: dict[tuple[str, str, int], dict[str, Any]] = field(
        default_factory=dict
    )

    @property
    def considered(self) -> int:
        return len(self.to_send) + self.unchanged + self.given_up + len(self.invalid)


def mart_columns(connection: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The sync mart's columns and their DuckDB types; {} if it is not built."""
    schema, table = SYNC_MART.split(".")
    return dict(
        connection.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
    )


def plan_sync(
    connection: duckdb.DuckDBPyConnection,
    mapping: SyncMapping,
    targets: set[str],
    state: Mapping[tuple[str, str, int], RecordState],
) -> SyncPlan:
    columns = ", ".join(f'"{c}"' for c in (*KEY_COLUMNS, *mapping.columns))
    entity_types = list(mapping.entity_types)
    placeholders = ", ".join("?" for _ in entity_types)
    rows = connection.execute(
        f"select {columns} from {SYNC_MART}"
        f" where entity_type in ({placeholders}) order by branch, entity_type, crm_id",
        entity_types,
    ).fetchall()
    names = [*KEY_COLUMNS, *mapping.columns]
    plan = SyncPlan()
    for row in rows:
        record = dict(zip(names, row, strict=True))
        target, entity_type, crm_id = (record[k] for k in KEY_COLUMNS)
        if target not in targets:
            continue  # a portal no longer configured: nowhere to write
        planned = _planned(mapping, record, state.get((target, entity_type, crm_id)))
        if isinstance(planned, str):
            plan.invalid.append((target, entity_type, crm_id, planned))
            continue
        known = state.get((target, entity_type, crm_id))
        if known is not None and known.confirmed_fingerprint == planned.fingerprint:
            plan.unchanged += 1
        elif known is not None and _moved_within_tolerance(
            mapping.for_entity(entity_type), planned.values, known
        ):
            # only numbers that drift a little every day (a forecast as days
            # pass): the CRM keeps the confirmed value, which later drifts are
            # measured from, so a slow drift is sent once it adds up
            plan.unchanged += 1
            plan.within_tolerance += 1
        elif planned.attempts_before >= MAX_ATTEMPTS:
            plan.given_up += 1
        else:
            plan.to_send.append(planned)
    return plan


def _moved_within_tolerance(
    fields: tuple[FieldMapping, ...],
    values: Mapping[str, Any],
    known: RecordState,
) -> bool:
    """Every value that differs from the confirmed one is a number of a field with
    a tolerance, and moved by no more than it."""
    confirmed = known.confirmed_values
    if known.status != "confirmed" or confirmed is None:
        return False
    tolerance = {f.field: f.resend_when_changed_by for f in fields}
    changed = [name for name, value in values.items() if confirmed.get(name) != value]
    for name in changed:
        share, old, new = tolerance.get(name), confirmed.get(name), values[name]
        if share is None or not _number(old) or not _number(new):
            return False
        if abs(new - old) > share * abs(old):
            return False
    return bool(changed)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _planned(
    mapping: SyncMapping, record: Mapping[str, Any], known: RecordState | None
) -> PlannedRecord | str:
    """The record's planned write, or why its values cannot be written."""
    values, overwrite, fills = {}, {}, {}
    for mapped in mapping.for_entity(record["entity_type"]):
        value = _plain(record[mapped.column])
        problem = _invalid(value, mapped.type)
        if problem:
            return f"{mapped.column} -> {mapped.field}: {problem}"
        values[mapped.field] = value
        if mapped.ours:
            overwrite[mapped.field] = value
        elif value is not None and _empty(record[mapped.empty_when]):
            fills[mapped.field] = value
    fingerprint = hashlib.sha256(
        json.dumps(values, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()
    retry = known is not None and known.status in ("failed", "given_up")
    attempts = (
        known.attempts
        if known is not None and retry and known.attempted_fingerprint == fingerprint
        else 0
    )
    return PlannedRecord(
        target=record["branch"],
        entity_type=record["entity_type"],
        crm_id=int(record["crm_id"]),
        fingerprint=fingerprint,
        values=values,
        overwrite=overwrite,
        fills=fills,
        attempts_before=attempts,
        retry=retry,
    )


def _plain(value: Any) -> Any:
    """A JSON-able value as the CRM is sent it."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _invalid(value: Any, field_type: str) -> str | None:
    if value is None:
        return None
    if field_type == "double" and (
        not isinstance(value, int | float) or not math.isfinite(value)
    ):
        return f"{value!r} is not a finite number"
    if field_type == "integer" and not isinstance(value, int):
        return f"{value!r} is not a whole number"
    if field_type == "string" and len(str(value)) > MAX_TEXT_LENGTH:
        return f"{len(str(value))} characters, the field takes {MAX_TEXT_LENGTH}"
    return None


def _empty(value: Any) -> bool:
    return value is None or str(value).strip() == ""
