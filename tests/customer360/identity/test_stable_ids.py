"""The stable-ID rules: additions, merges, splits, vanished records, rebuilds."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from customer360.identity.stable_ids import (
    CHANGE_MERGED,
    CHANGE_NEW_RECORD,
    CHANGE_SPLIT,
    STATUS_ACTIVE,
    STATUS_MERGED,
    Assignment,
    AssignmentRun,
    RegistryEntry,
    crosswalk,
    format_id,
    id_number,
    merged_into_map,
    merges_from_assignments,
    next_number_after,
    registry_from_assignments,
    resolve_id,
)
from customer360.identity.stable_ids import (
    assign_ids as _assign_ids,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(run: int) -> datetime:
    return T0 + timedelta(days=run)


def clusters(*groups: str) -> dict[str, str]:
    """Clusters as the resolver makes them: 'a b c' -> every key to the smallest."""
    out = {}
    for group in groups:
        keys = group.split()
        for key in keys:
            out[key] = min(keys)
    return out


def registry_changes_of_run(
    registry: Mapping[str, RegistryEntry],
    entity_type: str,
    run: AssignmentRun,
) -> dict[str, RegistryEntry]:
    """The registry entries a run adds or changes, from what the run itself says it
    issued and merged: the oracle that the production model's derivation from the
    assignments (`registry_from_assignments`) is checked against."""
    changed: dict[str, RegistryEntry] = {}
    for issued in run.issued:
        changed[issued.entity_id] = RegistryEntry(
            issued.entity_id,
            entity_type,
            issued.issued_at,
            split_from=issued.split_from,
        )
    for merge in run.merges:
        entry = changed.get(merge.merged_id) or registry[merge.merged_id]
        changed[merge.merged_id] = replace(
            entry,
            status=STATUS_MERGED,
            merged_into=merge.survivor_id,
            merged_at=merge.merged_at,
        )
    return changed


class Warehouse:
    """Runs builds one after another, keeping the registry like the dbt models do."""

    def __init__(self, prefix: str = "per") -> None:
        self.prefix = prefix
        self.assignments: dict[str, Assignment] = {}
        self.registry: dict[str, RegistryEntry] = {}
        self.runs = 0

    def build(self, *groups: str, linked_by: dict[str, str] | None = None):
        self.runs += 1
        run = _assign_ids(
            self.assignments,
            clusters(*groups),
            prefix=self.prefix,
            next_number=next_number_after(self.registry),
            now=at(self.runs),
            merged_into=merged_into_map(self.registry.values()),
            linked_by=linked_by,
        )
        self.registry.update(registry_changes_of_run(self.registry, "person", run))
        self.assignments = run.assignments
        return run

    def id_of(self, record_key: str) -> str:
        return self.assignments[record_key].entity_id

    def stable_id(self, record_key: str) -> str:
        return resolve_id(
            self.id_of(record_key), merged_into_map(self.registry.values())
        )


def test_ids_are_zero_padded_per_entity_type() -> None:
    assert format_id("org", 1) == "org_000001"
    assert format_id("per", 42) == "per_000042"
    assert id_number("per_1000000") == 1_000_000


def test_first_build_issues_one_id_per_cluster_in_cluster_order() -> None:
    wh = Warehouse()
    run = wh.build("a b", "c", "d e f")
    assert {wh.id_of(k) for k in "ab"} == {"per_000001"}
    assert wh.id_of("c") == "per_000002"
    assert {wh.id_of(k) for k in "def"} == {"per_000003"}
    assert [i.entity_id for i in run.issued] == [
        "per_000001",
        "per_000002",
        "per_000003",
    ]
    assert run.merges == [] and run.splits == []
    assert all(a.change == CHANGE_NEW_RECORD for a in run.assignments.values())


def test_records_added_to_an_entity_keep_its_id() -> None:
    wh = Warehouse()
    wh.build("b c")
    run = wh.build("a b c")  # a sorts first, so the cluster id changes to "a"
    assert {wh.id_of(k) for k in "abc"} == {"per_000001"}
    assert run.issued == []
    assert wh.assignments["a"].first_assigned_at == at(2)
    assert wh.assignments["b"].first_assigned_at == at(1)


def test_new_entity_gets_the_next_number() -> None:
    wh = Warehouse()
    wh.build("a", "b")
    run = wh.build("a", "b", "c")
    assert wh.id_of("c") == "per_000003"
    assert [i.entity_id for i in run.issued] == ["per_000003"]


def test_merge_of_two_the_larger_survives() -> None:
    wh = Warehouse()
    wh.build("a", "b c d")  # per_1 = a, per_2 = b c d
    run = wh.build("a b c d", linked_by={"a": "rule:same_valid_iin"})
    assert {wh.id_of(k) for k in "abcd"} == {"per_000002"}
    assert len(run.merges) == 1
    merge = run.merges[0]
    assert (merge.merged_id, merge.survivor_id, merge.records_moved) == (
        "per_000001",
        "per_000002",
        1,
    )
    assert merge.evidence == "rule:same_valid_iin"
    assert merge.merged_at == at(2)
    assert wh.registry["per_000001"].status == STATUS_MERGED
    assert wh.registry["per_000001"].merged_into == "per_000002"
    assert wh.registry["per_000002"].status == STATUS_ACTIVE
    moved = wh.assignments["a"]
    assert (moved.change, moved.previous_entity_id) == (CHANGE_MERGED, "per_000001")


def test_merge_of_two_equal_sizes_the_older_id_survives() -> None:
    wh = Warehouse()
    wh.build("a b", "c d")
    run = wh.build("a b c d")
    assert [(m.merged_id, m.survivor_id) for m in run.merges] == [
        ("per_000002", "per_000001")
    ]
    assert {wh.id_of(k) for k in "abcd"} == {"per_000001"}


def test_merge_survivor_counts_records_in_the_new_cluster_not_the_key_order() -> None:
    wh = Warehouse()
    wh.build("z y", "a")  # cluster "a" first: per_1 = a, per_2 = y z
    run = wh.build("a y z")
    assert run.merges[0].survivor_id == "per_000002"


def test_merge_of_three_keeps_the_largest_and_records_two_merges() -> None:
    wh = Warehouse()
    wh.build("a", "b c", "d e f")
    run = wh.build(
        "a b c d e f", linked_by={"a": "probabilistic", "b": "review_decision"}
    )
    assert {wh.id_of(k) for k in "abcdef"} == {"per_000003"}
    assert sorted(
        (m.merged_id, m.survivor_id, m.records_moved) for m in run.merges
    ) == [
        ("per_000001", "per_000003", 1),
        ("per_000002", "per_000003", 2),
    ]
    assert all(m.evidence == "probabilistic, review_decision" for m in run.merges)


def test_split_the_larger_part_keeps_the_id_the_rest_gets_a_new_one() -> None:
    wh = Warehouse()
    wh.build("a b c d e")
    run = wh.build("a b", "c d e")
    assert {wh.id_of(k) for k in "cde"} == {"per_000001"}
    assert {wh.id_of(k) for k in "ab"} == {"per_000002"}
    assert run.merges == []
    assert [(s.original_id, s.receiving_id, s.records_moved) for s in run.splits] == [
        ("per_000001", "per_000002", 2)
    ]
    assert run.issued[0].split_from == "per_000001"
    assert wh.registry["per_000002"].split_from == "per_000001"
    assert wh.assignments["a"].change == CHANGE_SPLIT
    assert wh.assignments["a"].previous_entity_id == "per_000001"


def test_split_into_equal_parts_the_part_with_the_smallest_key_keeps_the_id() -> None:
    wh = Warehouse()
    wh.build("a b c d")
    wh.build("c d", "a b")
    assert wh.id_of("a") == "per_000001"
    assert wh.id_of("c") == "per_000002"


def test_split_into_three_issues_two_new_ids() -> None:
    wh = Warehouse()
    wh.build("a b c d e f")
    run = wh.build("a", "b c", "d e f")
    assert wh.id_of("d") == "per_000001"
    assert {wh.id_of("a"), wh.id_of("b")} == {"per_000002", "per_000003"}
    assert len(run.issued) == 2 and len(run.splits) == 2


def test_split_and_merge_in_the_same_run() -> None:
    wh = Warehouse()
    wh.build("a b c", "x y z")  # per_1 = a b c, per_2 = x y z
    # c leaves per_1 and joins x y z: per_2 keeps its id and gains c
    run = wh.build("a b", "c x y z")
    assert {wh.id_of(k) for k in "ab"} == {"per_000001"}
    assert {wh.id_of(k) for k in "cxyz"} == {"per_000002"}
    assert run.merges == [] and run.issued == []
    assert [(s.original_id, s.receiving_id) for s in run.splits] == [
        ("per_000001", "per_000002")
    ]

    # per_1 (a b) merges into the larger part of per_2 (c x y) while z splits off
    run = wh.build("a b c x y", "z")
    assert [(m.merged_id, m.survivor_id, m.records_moved) for m in run.merges] == [
        ("per_000001", "per_000002", 2)
    ]
    assert {wh.id_of(k) for k in "abcxy"} == {"per_000002"}
    assert wh.id_of("z") == "per_000003"
    assert run.issued[0].split_from == "per_000002"


def test_a_merged_entitys_minority_part_is_a_split_as_well() -> None:
    wh = Warehouse()
    wh.build("a b c", "p q r s")  # per_1 = a b c, per_2 = p q r s
    # a b join per_2 (per_1 merges into it), c goes alone
    run = wh.build("a b p q r s", "c")
    assert [(m.merged_id, m.survivor_id) for m in run.merges] == [
        ("per_000001", "per_000002")
    ]
    assert wh.id_of("c") == "per_000003"
    assert [(s.original_id, s.receiving_id) for s in run.splits] == [
        ("per_000001", "per_000003")
    ]


def test_a_vanished_record_keeps_its_last_assignment_flagged_unseen() -> None:
    wh = Warehouse()
    wh.build("a b", "c")
    wh.build("a", "c")
    gone = wh.assignments["b"]
    assert (gone.entity_id, gone.still_seen, gone.last_seen_at) == (
        "per_000001",
        False,
        at(1),
    )
    assert wh.assignments["a"].last_seen_at == at(2)
    assert len(wh.assignments) == 3


def test_an_entity_whose_records_all_vanish_is_not_reissued() -> None:
    wh = Warehouse()
    wh.build("a", "b")
    wh.build("b")
    run = wh.build("b", "c")
    assert wh.id_of("c") == "per_000003"
    assert wh.assignments["a"].entity_id == "per_000001"
    assert run.issued[0].entity_id == "per_000003"


def test_a_returning_record_resolves_through_merges_made_while_it_was_away() -> None:
    wh = Warehouse()
    wh.build("a b", "c d e")  # per_1 = a b, per_2 = c d e
    wh.build("a c d e")  # b away; per_1 merges into per_2
    assert wh.assignments["b"].entity_id == "per_000001"
    assert wh.stable_id("b") == "per_000002"
    run = wh.build("a b c d e")
    # b comes back: it joins per_2, and per_1 does not come back to life
    assert wh.id_of("b") == "per_000002"
    assert run.merges == [] and run.issued == []
    assert wh.registry["per_000001"].status == STATUS_MERGED


def test_a_returning_record_alone_does_not_revive_its_merged_id() -> None:
    wh = Warehouse()
    wh.build("a b", "c d e")
    wh.build("a c d e")  # b away; per_1 merges into per_2
    run = wh.build("a c d e", "b")  # b back, but in a cluster of its own
    # b's entity is per_2 now, and b is its smaller part: a split, not a revival
    assert wh.id_of("b") == "per_000003"
    assert run.issued[0].split_from == "per_000002"
    assert wh.registry["per_000001"].status == STATUS_MERGED


def test_rebuild_with_identical_clusters_changes_nothing_but_last_seen() -> None:
    wh = Warehouse()
    wh.build("a b", "c", "d e")
    wh.build("a b c", "d e")
    before = dict(wh.assignments)
    registry_before = dict(wh.registry)
    run = wh.build("a b c", "d e")
    assert run.issued == [] and run.merges == [] and run.splits == []
    assert wh.registry == registry_before
    for key, assignment in wh.assignments.items():
        assert assignment.entity_id == before[key].entity_id
        assert assignment.assigned_at == before[key].assigned_at
        assert assignment.change == before[key].change


def test_merged_ids_resolve_through_chains() -> None:
    wh = Warehouse()
    wh.build("a", "b c", "d e f g")  # per_1, per_2, per_3
    wh.build("a b c", "d e f g")  # per_1 into per_2
    wh.build("a b c d e f g")  # per_2 (3 records) into per_3 (4)
    assert wh.registry["per_000001"].merged_into == "per_000002"
    assert wh.registry["per_000002"].merged_into == "per_000003"
    merged_into = merged_into_map(wh.registry.values())
    assert resolve_id("per_000001", merged_into) == "per_000003"
    assert resolve_id("per_000003", merged_into) == "per_000003"


def test_a_merge_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        resolve_id(
            "per_000001", {"per_000001": "per_000002", "per_000002": "per_000001"}
        )


def test_ids_are_never_reused_after_a_merge() -> None:
    wh = Warehouse()
    wh.build("a", "b", "c")
    wh.build("a b c")  # per_2, per_3 merged into per_1
    run = wh.build("a b c", "d")
    assert run.issued[0].entity_id == "per_000004"


def test_the_caller_high_water_mark_wins_over_the_assignments() -> None:
    run = _assign_ids({}, clusters("a"), prefix="org", next_number=17, now=T0)
    assert run.assignments["a"].entity_id == "org_000017"
    assert run.next_number == 18


def test_results_do_not_depend_on_the_order_records_arrive_in() -> None:
    previous = _assign_ids(
        {}, clusters("a b c", "d e"), prefix="per", next_number=1, now=at(1)
    ).assignments
    groups = clusters("a b", "c d e")
    forward = _assign_ids(previous, groups, prefix="per", next_number=3, now=at(2))
    backward = _assign_ids(
        dict(reversed(previous.items())),
        dict(reversed(groups.items())),
        prefix="per",
        next_number=3,
        now=at(2),
    )
    assert forward.assignments == backward.assignments


def test_registry_and_merges_read_off_assignments_match_the_run() -> None:
    wh = Warehouse()
    derived: dict[str, RegistryEntry] = {}
    recorded: list[str] = []
    history = []
    steps = [
        ("a", "b c", "d e f"),
        ("a b c", "d e f", "g"),
        ("a b c d e f", "g"),
        ("a b", "c d e f g"),
        ("a b", "c d e f g"),
    ]
    for groups in steps:
        run = wh.build(*groups, linked_by={"a": "rule", "d": "probabilistic"})
        derived.update(
            registry_from_assignments(derived, "person", run.assignments.values())
        )
        new = merges_from_assignments(run.assignments.values(), recorded)
        recorded += [m.merged_id for m in new]
        history += new
        assert new == run.merges
    assert derived == wh.registry
    assert [m.merged_id for m in history] == ["per_000001", "per_000003", "per_000004"]
    assert wh.registry["per_000005"].split_from == "per_000002"


def test_registry_from_assignments_is_idempotent() -> None:
    wh = Warehouse()
    wh.build("a", "b c")
    run = wh.build("a b c")
    first = registry_from_assignments({}, "person", run.assignments.values())
    again = registry_from_assignments(first, "person", run.assignments.values())
    assert again == {}


def test_crosswalk_has_every_record_once_with_its_active_id() -> None:
    wh = Warehouse()
    wh.build("a b", "c d e", "x")
    wh.build("a c d e", "x")  # b vanishes; per_1 merges into per_2
    rows = crosswalk(wh.assignments.values(), merged_into_map(wh.registry.values()))
    assert [r["record_key"] for r in rows] == ["a", "b", "c", "d", "e", "x"]
    by_key = {r["record_key"]: r for r in rows}
    assert by_key["b"]["assigned_id"] == "per_000001"
    assert by_key["b"]["stable_id"] == "per_000002"
    assert by_key["b"]["still_seen"] is False
    assert {r["stable_id"] for r in rows} == {"per_000002", "per_000003"}


def test_an_id_merged_before_the_registry_saw_it_is_registered_late() -> None:
    wh = Warehouse()
    wh.build("a", "b c")
    run = wh.build("a b c")
    # a registry that missed the first build: per_1 only shows as a merged change
    late = registry_from_assignments(
        {"per_000002": wh.registry["per_000002"]}, "person", run.assignments.values()
    )
    assert late["per_000001"].status == STATUS_MERGED
    assert late["per_000001"].merged_into == "per_000002"


def test_a_piece_split_off_by_a_returning_record_names_the_active_donor() -> None:
    wh = Warehouse()
    derived: dict[str, RegistryEntry] = {}
    for groups in [("a b", "c d e"), ("a c d e",), ("a c d e", "b")]:
        run = wh.build(*groups)
        derived.update(
            registry_from_assignments(derived, "person", run.assignments.values())
        )
    # b still names per_1 (merged into per_2 while b was away)
    assert wh.assignments["b"].previous_entity_id == "per_000001"
    assert derived["per_000003"].split_from == "per_000002"
    assert derived == wh.registry
