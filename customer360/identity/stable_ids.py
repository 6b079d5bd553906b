"""Stable customer IDs over unstable clusters: assignment, merges, splits, crosswalk.

Identity resolution redraws its clusters on every build, and a cluster id (the smallest
record_key in it) changes whenever records join or clusters merge or split. This module
carries stable IDs (`per_000001`, `org_000001`) from one build to the next:

- an entity keeps its ID when records are added;
- when entities merge, the one with more records in the new cluster survives (tie: the
  older ID, the smaller number) and the others are recorded as merged into it;
- when an entity splits, its largest part keeps the ID (tie: the part holding the
  smallest record_key) and the other parts join the ID of their new cluster, or get a
  new one;
- a record that disappears from the sources keeps its last assignment, flagged as no
  longer seen;
- IDs are never reused: numbers only go up, from the registry's high-water mark.

Everything here is pure (plain Python structures in and out) so that the rules can be
unit-tested; the dbt models in models/intermediate/registry/ convert to and from Arrow
with the `*_arrow` helpers at the end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pyarrow as pa

EntityType = Literal["person", "organisation"]

ID_PREFIXES: dict[str, str] = {"person": "per", "organisation": "org"}
ID_DIGITS = 6

# why a record's entity_id was last set
CHANGE_NEW_RECORD = "new_record"
CHANGE_MERGED = "merged"
CHANGE_SPLIT = "split"

STATUS_ACTIVE = "active"
STATUS_MERGED = "merged"


@dataclass(frozen=True)
class Assignment:
    """One source record's stable ID, and the last change to it."""

    record_key: str
    entity_id: str
    first_assigned_at: datetime
    assigned_at: datetime  # when entity_id was last set
    last_seen_at: datetime
    still_seen: bool
    previous_entity_id: str | None = None
    change: str = CHANGE_NEW_RECORD
    # the evidence of the whole cluster when entity_id was set, so that a merge
    # read back off the assignments carries the same evidence as the run reported
    linked_by: str | None = None


@dataclass(frozen=True)
class IssuedId:
    """A stable ID issued in this run; split_from names the entity it was cut from."""

    entity_id: str
    issued_at: datetime
    split_from: str | None = None


@dataclass(frozen=True)
class Merge:
    """merged_id was merged into survivor_id; its records now carry survivor_id."""

    merged_at: datetime
    merged_id: str
    survivor_id: str
    records_moved: int
    evidence: str | None


@dataclass(frozen=True)
class Split:
    """records_moved records of original_id left it for receiving_id."""

    split_at: datetime
    original_id: str
    receiving_id: str
    records_moved: int
    receiving_is_new: bool


@dataclass(frozen=True)
class AssignmentRun:
    """The result of one run of `assign_ids`."""

    assignments: dict[str, Assignment]
    issued: list[IssuedId]
    merges: list[Merge]
    splits: list[Split]
    next_number: int


@dataclass(frozen=True)
class RegistryEntry:
    """Every ID ever issued: active, or merged into another ID."""

    entity_id: str
    entity_type: str
    issued_at: datetime
    status: str = STATUS_ACTIVE
    merged_into: str | None = None
    merged_at: datetime | None = None
    split_from: str | None = None


def format_id(prefix: str, number: int) -> str:
    """`per_000042` from ("per", 42); numbers past 999999 simply grow wider."""
    return f"{prefix}_{number:0{ID_DIGITS}d}"


def id_number(entity_id: str) -> int:
    """The number in a stable ID: the order IDs were issued in."""
    return int(entity_id.rsplit("_", 1)[1])


def next_number_after(entity_ids: Iterable[str | None]) -> int:
    """The first number above every ID given: the high-water mark, never reused."""
    return max((id_number(i) for i in entity_ids if i), default=0) + 1


def resolve_id(entity_id: str, merged_into: Mapping[str, str]) -> str:
    """Follow merges (A into B, B into C) to the active ID; a cycle is a bug."""
    seen = {entity_id}
    while entity_id in merged_into:
        entity_id = merged_into[entity_id]
        if entity_id in seen:
            raise ValueError(f"merge cycle through {entity_id}")
        seen.add(entity_id)
    return entity_id


def _evidence(values: Iterable[str | None]) -> str | None:
    parts = sorted({part for value in values if value for part in _split(value)})
    return ", ".join(parts) if parts else None


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def assign_ids(
    previous: Mapping[str, Assignment],
    clusters: Mapping[str, str],
    *,
    prefix: str,
    next_number: int,
    now: datetime,
    merged_into: Mapping[str, str] | None = None,
    linked_by: Mapping[str, str | None] | None = None,
) -> AssignmentRun:
    """Give every clustered record a stable ID, carrying IDs over from `previous`.

    previous: record_key -> its assignment after the last run (seen or not).
    clusters: record_key -> cluster_id for every record in the sources now.
    merged_into: the registry's merged ID -> survivor, to resolve the stale IDs of
    records that were away when their entity merged.
    linked_by: record_key -> the evidence that put it in its cluster (rule,
    probabilistic, review decision), kept on merges and changed assignments.
    next_number: the registry's high-water mark + 1 (`next_number_after`).
    """
    merged_into = merged_into or {}
    linked_by = linked_by or {}
    # never below an ID the assignments still hold, should the caller's mark lag
    held = [i for a in previous.values() for i in (a.entity_id, a.previous_entity_id)]
    next_number = max(next_number, next_number_after(held))

    members: dict[str, list[str]] = defaultdict(list)
    for record_key, cluster_id in clusters.items():
        members[cluster_id].append(record_key)

    # where each previous entity's records are now, resolved through merges
    current_of: dict[str, str] = {}
    parts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for record_key, cluster_id in clusters.items():
        if record_key in previous:
            entity_id = resolve_id(previous[record_key].entity_id, merged_into)
            current_of[record_key] = entity_id
            parts[entity_id][cluster_id].append(record_key)

    # an entity claims the cluster holding its largest part: the larger part of a
    # split keeps the ID; on a tie the part with the smallest record_key, so that
    # the choice does not depend on the order records arrive in
    claimants: dict[str, list[str]] = defaultdict(list)
    for entity_id, by_cluster in parts.items():
        kept = min(by_cluster, key=lambda c: (-len(by_cluster[c]), min(by_cluster[c])))
        claimants[kept].append(entity_id)

    issued: list[IssuedId] = []
    merges: list[Merge] = []
    splits: list[Split] = []
    entity_of_cluster: dict[str, str] = {}
    evidence_of_cluster: dict[str, str | None] = {}
    merged_now: dict[str, str] = {}
    for cluster_id in sorted(members):
        records = members[cluster_id]
        evidence = _evidence(linked_by.get(r) for r in records)
        contenders = claimants.get(cluster_id, [])
        if contenders:
            # survivor: more records in this cluster; tie: the older ID
            ranked = sorted(
                contenders,
                key=lambda e: (-len(parts[e][cluster_id]), id_number(e)),
            )
            survivor = ranked[0]
            for loser in ranked[1:]:
                merged_now[loser] = survivor
                merges.append(
                    Merge(now, loser, survivor, len(parts[loser][cluster_id]), evidence)
                )
        else:
            survivor = format_id(prefix, next_number)
            next_number += 1
            # a cluster nobody claims but holding records of known entities is a
            # piece split off them; the biggest contributor (tie: older) is named
            donors = sorted(
                {current_of[r] for r in records if r in current_of},
                key=lambda e: (-len(parts[e][cluster_id]), id_number(e)),
            )
            issued.append(IssuedId(survivor, now, donors[0] if donors else None))
        entity_of_cluster[cluster_id] = survivor
        evidence_of_cluster[cluster_id] = evidence
        for donor in sorted(
            {current_of[r] for r in records if r in current_of} - {survivor},
            key=id_number,
        ):
            if merged_now.get(donor) != survivor:
                splits.append(
                    Split(
                        now,
                        donor,
                        survivor,
                        len(parts[donor][cluster_id]),
                        receiving_is_new=not contenders,
                    )
                )

    assignments: dict[str, Assignment] = {}
    for record_key, old in previous.items():
        if record_key not in clusters:
            # gone from the sources: keeps its last assignment, no longer seen
            assignments[record_key] = replace(old, still_seen=False)
    for cluster_id, records in members.items():
        entity_id = entity_of_cluster[cluster_id]
        for record_key in records:
            old = previous.get(record_key)
            if old is None:
                assignments[record_key] = Assignment(
                    record_key,
                    entity_id,
                    first_assigned_at=now,
                    assigned_at=now,
                    last_seen_at=now,
                    still_seen=True,
                    change=CHANGE_NEW_RECORD,
                    linked_by=evidence_of_cluster[cluster_id],
                )
            elif old.entity_id == entity_id:
                assignments[record_key] = replace(
                    old, last_seen_at=now, still_seen=True
                )
            else:
                resolved = current_of[record_key]
                # the record's own entity merged (now, or while it was away) or its
                # entity split and this record went with a smaller part
                was_merged = resolved == entity_id or merged_now.get(resolved) == (
                    entity_id
                )
                assignments[record_key] = Assignment(
                    record_key,
                    entity_id,
                    first_assigned_at=old.first_assigned_at,
                    assigned_at=now,
                    last_seen_at=now,
                    still_seen=True,
                    previous_entity_id=old.entity_id,
                    change=CHANGE_MERGED if was_merged else CHANGE_SPLIT,
                    linked_by=evidence_of_cluster[cluster_id],
                )
    return AssignmentRun(assignments, issued, merges, splits, next_number)


def registry_from_assignments(
    registry: Mapping[str, RegistryEntry],
    entity_type: str,
    assignments: Iterable[Assignment],
) -> dict[str, RegistryEntry]:
    """Registry entries to add or change, read off the assignments of the last run.

    The dbt registry model runs after the assignment models, which hold the last
    change of every record (`change`, `previous_entity_id`, `assigned_at`): an ID not
    yet registered was issued, and a `merged` change names an ID that merged. It is
    idempotent: running it twice over the same assignments changes nothing.
    """
    assignments = list(assignments)  # read twice below
    # a record that was away when its entity merged still names the merged ID
    merged_into = merged_into_map(registry.values())
    changed: dict[str, RegistryEntry] = {}
    by_entity: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        by_entity[assignment.entity_id].append(assignment)
    for entity_id, rows in by_entity.items():
        if entity_id in registry:
            continue
        # records that came from an older entity, not via a merge, say where a
        # split-off piece came from
        donors = [
            resolve_id(r.previous_entity_id, merged_into)
            for r in rows
            if r.change == CHANGE_SPLIT and r.previous_entity_id
        ]
        changed[entity_id] = RegistryEntry(
            entity_id,
            entity_type,
            issued_at=min(r.assigned_at for r in rows),
            split_from=min(donors, key=id_number) if donors else None,
        )
    for merge in merges_from_assignments(assignments, already_recorded=()):
        entry = changed.get(merge.merged_id) or registry.get(merge.merged_id)
        if entry is None:
            # issued and merged away while the registry was not built (a partial
            # `dbt build --select`): register it late rather than let it be reused
            entry = RegistryEntry(merge.merged_id, entity_type, merge.merged_at)
        elif entry.status == STATUS_MERGED:
            continue
        changed[merge.merged_id] = replace(
            entry,
            status=STATUS_MERGED,
            merged_into=merge.survivor_id,
            merged_at=merge.merged_at,
        )
    return changed


def merges_from_assignments(
    assignments: Iterable[Assignment], already_recorded: Iterable[str]
) -> list[Merge]:
    """Merge events read off the assignments, leaving out merged IDs already recorded.

    A record that was away when its entity merged and comes back later also carries
    `change = merged`, with the same merged ID: already_recorded (an ID merges only
    once) keeps that from counting as a second merge.
    """
    recorded = set(already_recorded)
    moved: dict[tuple[str, str], list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        if (
            assignment.change == CHANGE_MERGED
            and assignment.previous_entity_id
            and assignment.previous_entity_id not in recorded
        ):
            moved[(assignment.previous_entity_id, assignment.entity_id)].append(
                assignment
            )
    merges = []
    for (merged_id, survivor_id), rows in sorted(moved.items()):
        merges.append(
            Merge(
                merged_at=min(r.assigned_at for r in rows),
                merged_id=merged_id,
                survivor_id=survivor_id,
                records_moved=len(rows),
                evidence=_evidence(r.linked_by for r in rows),
            )
        )
    return merges


def crosswalk(
    assignments: Iterable[Assignment], merged_into: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Every record -> its current active stable ID (merged IDs resolved)."""
    return [
        {
            "record_key": a.record_key,
            "stable_id": resolve_id(a.entity_id, merged_into),
            "assigned_id": a.entity_id,
            "still_seen": a.still_seen,
            "last_seen_at": a.last_seen_at,
        }
        for a in sorted(assignments, key=lambda a: a.record_key)
    ]


def merged_into_map(registry: Iterable[RegistryEntry]) -> dict[str, str]:
    """merged ID -> the ID it merged into (one step; `resolve_id` follows chains)."""
    return {e.entity_id: e.merged_into for e in registry if e.merged_into}


# Arrow in and out, for the dbt Python models in models/intermediate/registry/: the
# schemas are explicit so that a first run with no rows still creates typed tables

_TS = pa.timestamp("us", tz="UTC")

ASSIGNMENT_SCHEMA = pa.schema(
    [
        ("record_key", pa.string()),
        ("entity_id", pa.string()),
        ("first_assigned_at", _TS),
        ("assigned_at", _TS),
        ("last_seen_at", _TS),
        ("still_seen", pa.bool_()),
        ("previous_entity_id", pa.string()),
        ("change", pa.string()),
        ("linked_by", pa.string()),
    ]
)
REGISTRY_SCHEMA = pa.schema(
    [
        ("entity_id", pa.string()),
        ("entity_type", pa.string()),
        ("issued_at", _TS),
        ("status", pa.string()),
        ("merged_into", pa.string()),
        ("merged_at", _TS),
        ("split_from", pa.string()),
    ]
)
MERGE_SCHEMA = pa.schema(
    [
        ("merged_id", pa.string()),
        ("entity_type", pa.string()),
        ("merged_at", _TS),
        ("survivor_id", pa.string()),
        ("records_moved", pa.int64()),
        ("evidence", pa.string()),
    ]
)
CROSSWALK_SCHEMA = pa.schema(
    [
        ("record_key", pa.string()),
        ("entity_type", pa.string()),
        ("stable_id", pa.string()),
        ("assigned_id", pa.string()),
        ("still_seen", pa.bool_()),
        ("last_seen_at", _TS),
    ]
)


def _linked_by_text(value: Any) -> str | None:
    # the clusters model may hold the evidence as text or as a list of rules
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return _evidence(str(v) for v in value)
    return str(value)


def assign_ids_arrow(
    previous: pa.Table | None,
    registry: pa.Table | None,
    clusters: pa.Table,
    entity_type: EntityType,
    now: datetime,
) -> pa.Table:
    """`assign_ids` over Arrow: the assignment model's whole table for this run.

    previous: the model's own rows (ASSIGNMENT_SCHEMA), or None on the first run.
    registry: the registry's rows before this run (any entity type), or None.
    clusters: record_key, cluster_id and, if present, linked_by.
    """
    prefix = ID_PREFIXES[entity_type]
    entries = registry_from_table(registry) if registry is not None else {}
    own = [e for e in entries.values() if e.entity_type == entity_type]
    has_linked_by = "linked_by" in clusters.column_names
    rows = clusters.select(
        ["record_key", "cluster_id", *(["linked_by"] if has_linked_by else [])]
    ).to_pylist()
    run = assign_ids(
        assignments_from_table(previous) if previous is not None else {},
        {row["record_key"]: row["cluster_id"] for row in rows},
        prefix=prefix,
        next_number=next_number_after(e.entity_id for e in own),
        now=now,
        merged_into=merged_into_map(own),
        linked_by={r["record_key"]: _linked_by_text(r.get("linked_by")) for r in rows},
    )
    ordered = sorted(run.assignments.values(), key=lambda a: a.record_key)
    return to_table(ordered, ASSIGNMENT_SCHEMA)


def registry_changes_arrow(
    registry: pa.Table | None, assignments: Mapping[str, pa.Table]
) -> pa.Table:
    """New and changed registry rows, read off each entity type's assignments."""
    entries = registry_from_table(registry) if registry is not None else {}
    changed: dict[str, RegistryEntry] = {}
    for entity_type, table in assignments.items():
        rows = assignments_from_table(table).values()
        changed.update(registry_from_assignments(entries, entity_type, rows))
    ordered = sorted(changed.values(), key=lambda e: (e.entity_type, e.entity_id))
    return to_table(ordered, REGISTRY_SCHEMA)


def merges_arrow(
    recorded: pa.Table | None, assignments: Mapping[str, pa.Table]
) -> pa.Table:
    """Merges not yet in the history (`recorded`), read off the assignments."""
    done = recorded.column("merged_id").to_pylist() if recorded is not None else []
    rows = []
    for entity_type, table in assignments.items():
        found = assignments_from_table(table).values()
        for merge in merges_from_assignments(found, done):
            rows.append({**asdict(merge), "entity_type": entity_type})
    return pa.Table.from_pylist(rows, schema=MERGE_SCHEMA)


def crosswalk_arrow(
    registry: pa.Table, assignments: Mapping[str, pa.Table]
) -> pa.Table:
    """Every record of every entity type -> its current active stable ID."""
    merged_into = merged_into_map(registry_from_table(registry).values())
    rows = []
    for entity_type, table in assignments.items():
        found = assignments_from_table(table).values()
        for row in crosswalk(found, merged_into):
            rows.append({**row, "entity_type": entity_type})
    return pa.Table.from_pylist(rows, schema=CROSSWALK_SCHEMA)


def drop_leftover_temp_tables(session: Any, this: Any) -> list[str]:
    """Drop the `<model>__dbt_tmp<timestamp>` tables earlier builds left in `main`.

    dbt-duckdb 1.11 writes an incremental Python model's result to a real table in
    `main` and treats it as temporary, so nothing drops it: without this, every
    build would leave one more full copy of each registry model behind. Called at
    the start of the model, when this build's copy does not exist yet.
    """
    prefix = f"{this.identifier}__dbt_tmp"
    rows = session.sql(
        "select table_schema, table_name from information_schema.tables"
        f" where table_catalog = '{this.database}'"
        f" and starts_with(table_name, '{prefix}')"
    ).fetchall()
    for schema, name in rows:
        session.sql(f'drop table if exists "{this.database}"."{schema}"."{name}"')
    return [name for _, name in rows]


# conversions for the dbt Python models: column by column, because a row of dicts
# per record (to_pylist, dataclasses.asdict) costs minutes at a million records


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _column_values(column: pa.ChunkedArray) -> list[Any]:
    if not pa.types.is_timestamp(column.type):
        return column.to_pylist()
    # a tz-aware to_pylist costs 3 s per million values; a build stamps all its
    # rows with one `now`, so decode each distinct instant once and share it
    micros = column.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
    instants = {
        v: _EPOCH + timedelta(microseconds=v) for v in set(micros) if v is not None
    }
    return [None if v is None else instants[v] for v in micros]


def _rows_of(table: pa.Table, cls: type) -> Iterable[dict[str, Any]]:
    names = [f.name for f in fields(cls) if f.name in table.column_names]
    columns = [_column_values(table.column(name)) for name in names]
    return (
        dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)
    )


def assignments_from_table(table: pa.Table) -> dict[str, Assignment]:
    """Assignments keyed by record_key from a table with the Assignment columns."""
    return {row["record_key"]: Assignment(**row) for row in _rows_of(table, Assignment)}


def registry_from_table(table: pa.Table) -> dict[str, RegistryEntry]:
    """Registry entries keyed by entity_id from a table with the registry columns."""
    return {
        row["entity_id"]: RegistryEntry(**row) for row in _rows_of(table, RegistryEntry)
    }


def to_table(items: list[Any], schema: pa.Schema) -> pa.Table:
    """Dataclass instances as an Arrow table with `schema`'s columns."""
    return pa.table(
        {name: [getattr(item, name) for item in items] for name in schema.names},
        schema=schema,
    )
