"""The Arrow side the dbt models use: first builds, typed empty tables, evidence."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa

from customer360.identity.stable_ids import (
    ASSIGNMENT_SCHEMA,
    CROSSWALK_SCHEMA,
    MERGE_SCHEMA,
    REGISTRY_SCHEMA,
    assign_ids_arrow,
    crosswalk_arrow,
    merges_arrow,
    registry_changes_arrow,
)

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 1, 2, tzinfo=UTC)


def clusters(rows: list[tuple[str, str, object]]) -> pa.Table:
    return pa.table(
        {
            "record_key": [r[0] for r in rows],
            "cluster_id": [r[1] for r in rows],
            "cluster_size": [sum(x[1] == r[1] for x in rows) for r in rows],
            "linked_by": [r[2] for r in rows],
        }
    )


def build(previous, registry, rows, now, entity_type="organisation"):
    assignments = assign_ids_arrow(previous, registry, clusters(rows), entity_type, now)
    changes = registry_changes_arrow(registry, {entity_type: assignments})
    if registry is None:
        registry = changes
    else:
        kept = registry.filter(
            pa.compute.invert(
                pa.compute.is_in(registry["entity_id"], changes["entity_id"])
            )
        )
        registry = pa.concat_tables([kept, changes])
    return assignments, registry


def test_a_first_build_with_no_clusters_gives_typed_empty_tables() -> None:
    assignments = assign_ids_arrow(None, None, clusters([]), "person", T1)
    assert assignments.schema == ASSIGNMENT_SCHEMA and assignments.num_rows == 0
    registry = registry_changes_arrow(None, {"person": assignments})
    assert registry.schema == REGISTRY_SCHEMA
    assert merges_arrow(None, {"person": assignments}).schema == MERGE_SCHEMA
    assert crosswalk_arrow(registry, {"person": assignments}).schema == (
        CROSSWALK_SCHEMA
    )


def test_organisation_ids_merge_history_and_crosswalk_over_two_builds() -> None:
    first, registry = build(
        None,
        None,
        [("c:1", "c:1", "singleton"), ("c:2", "c:2", "rule"), ("c:3", "c:2", "rule")],
        T1,
    )
    assert sorted(set(first["entity_id"].to_pylist())) == ["org_000001", "org_000002"]
    assert registry["entity_type"].to_pylist() == ["organisation"] * 2

    rows = [("c:1", "c:1", "review"), ("c:2", "c:1", "rule"), ("c:3", "c:1", "rule")]
    second, registry = build(first, registry, rows, T2)
    merges = merges_arrow(None, {"organisation": second}).to_pylist()
    assert [(m["merged_id"], m["survivor_id"], m["evidence"]) for m in merges] == [
        ("org_000001", "org_000002", "review, rule")
    ]
    assert (
        merges_arrow(
            pa.table({"merged_id": ["org_000001"]}), {"organisation": second}
        ).num_rows
        == 0
    )
    crosswalk = crosswalk_arrow(registry, {"organisation": second}).to_pylist()
    assert {r["stable_id"] for r in crosswalk} == {"org_000002"}
    assert [r["record_key"] for r in crosswalk] == ["c:1", "c:2", "c:3"]


def test_linked_by_as_a_list_of_rules_is_kept_as_text() -> None:
    table = assign_ids_arrow(
        None, None, clusters([("p:1", "p:1", ["rule", "review"])]), "person", T1
    )
    assert table["linked_by"].to_pylist() == ["review, rule"]
    assert table["entity_id"].to_pylist() == ["per_000001"]


def test_the_registry_of_the_other_entity_type_does_not_move_the_numbers() -> None:
    registry = pa.Table.from_pylist(
        [
            {
                "entity_id": "org_000040",
                "entity_type": "organisation",
                "issued_at": T1,
                "status": "active",
            }
        ],
        schema=REGISTRY_SCHEMA,
    )
    table = assign_ids_arrow(
        None, registry, clusters([("p:1", "p:1", None)]), "person", T2
    )
    assert table["entity_id"].to_pylist() == ["per_000001"]
