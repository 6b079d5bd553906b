"""The registry models in a real dbt build: stable across builds and --full-refresh."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.landed_company import (
    IDENTITY_LAYERS,
    BuiltCompany,
    LandedCompany,
    build_failures,
)

pytestmark = pytest.mark.slow

REGISTRY_MODELS = "intermediate.registry"


def _assignments(warehouse: Path) -> dict[str, str]:
    with duckdb.connect(str(warehouse)) as con:
        return dict(
            con.execute(
                "select record_key, entity_id"
                " from intermediate.int_person_id_assignments"
                " union all select record_key, entity_id"
                " from intermediate.int_organisation_id_assignments"
            ).fetchall()
        )


def _registry(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse)) as con:
        return con.execute(
            "select entity_id, entity_type, issued_at, status, merged_into"
            " from intermediate.int_entity_id_registry order by entity_id"
        ).fetchall()


def _build(args: list[str], company: LandedCompany) -> None:
    result = company.dbt(args)
    assert result.success, build_failures(result)


def test_ids_survive_rebuilds_and_full_refresh(
    built_company: BuiltCompany, tmp_path: Path
) -> None:
    # the shared company has had its first build; rebuild a copy of it
    company = built_company.copy_to(tmp_path)
    warehouse = company.warehouse

    first = _assignments(warehouse)
    registry = _registry(warehouse)
    assert first and registry
    assert {i for i in first.values()} <= {row[0] for row in registry}
    assert all(row[3] == "active" for row in registry)  # nothing to merge yet

    _build(["build", *IDENTITY_LAYERS], company)
    assert _assignments(warehouse) == first
    assert _registry(warehouse) == registry

    _build(["build", "--full-refresh", *IDENTITY_LAYERS], company)
    assert _assignments(warehouse) == first
    assert _registry(warehouse) == registry

    with duckdb.connect(str(warehouse)) as con:
        crosswalk_keys = [
            key
            for (key,) in con.execute(
                "select record_key from intermediate.int_record_crosswalk"
            ).fetchall()
        ]
        clustered = {
            key
            for (key,) in con.execute(
                "select record_key from intermediate.int_person_clusters"
                " union all select record_key"
                " from intermediate.int_organisation_clusters"
            ).fetchall()
        }
        merges = con.execute(
            "select count(*) from intermediate.int_entity_id_merges"
        ).fetchone()
        leftovers = con.execute(
            "select split_part(table_name, '__dbt_tmp', 1), count(*)"
            " from information_schema.tables"
            " where table_name like 'int_%__dbt_tmp%' group by 1"
        ).fetchall()
    # the adapter leaves each incremental Python model's result behind (the state
    # models and the match models): each drops the earlier builds' copies when it
    # starts, so at most this build's one copy of each remains after three builds
    assert all(copies == 1 for _, copies in leftovers), leftovers
    assert len(crosswalk_keys) == len(set(crosswalk_keys))
    assert set(crosswalk_keys) == clustered
    assert merges == (0,)


def test_a_merge_and_a_vanished_record_are_kept_through_full_refresh(
    built_company: BuiltCompany, tmp_path: Path
) -> None:
    """A reviewer's 'same' merges two people (tie: the older ID survives); a record
    deleted in the source stays in the crosswalk, no longer seen."""
    # the shared company after its first build, copied: this test changes it
    company = built_company.copy_to(tmp_path)
    warehouse = company.warehouse

    with duckdb.connect(str(warehouse)) as con:
        # two single-record people to merge, the smaller key first
        (left, left_id), (right, right_id) = con.execute(
            """
            select a.record_key, a.entity_id
            from intermediate.int_person_id_assignments as a
            join intermediate.int_person_clusters as c using (record_key)
            where c.cluster_size = 1
            order by a.record_key
            limit 2
            """
        ).fetchall()
        con.execute(
            "insert into review.identity_decisions values"
            " ('persons', ?, ?, 'same', 'test', now(), 'registry test')",
            [left, right],
        )
        (gone,) = con.execute(
            """
            select record_key from intermediate.int_person_id_assignments
            where record_key like 'onec:contact_persons:%'
                and record_key not in (?, ?)
            order by record_key
            limit 1
            """,
            [left, right],
        ).fetchone()
        con.execute(
            "delete from raw_onec.contact_persons where trim(code) = ?",
            [gone.split(":", 2)[2]],
        )
    _build(["build", *IDENTITY_LAYERS], company)

    with duckdb.connect(str(warehouse)) as con:
        survivor = min(left_id, right_id, key=lambda i: int(i.split("_")[1]))
        merged = max(left_id, right_id, key=lambda i: int(i.split("_")[1]))
        history = con.execute(
            "select merged_id, survivor_id, records_moved, evidence"
            " from intermediate.int_entity_id_merges"
        ).fetchall()
        assert history == [(merged, survivor, 1, "review")]
        # why: the reviewer's decision on exactly that pair
        assert con.execute(
            "select merged_id, survivor_id, record_key_l, record_key_r, linked_by,"
            " reviewer from intermediate.int_entity_id_merge_reasons"
        ).fetchall() == [(merged, survivor, left, right, "review", "test")]
        assert con.execute(
            "select status, merged_into from intermediate.int_entity_id_registry"
            " where entity_id = ?",
            [merged],
        ).fetchone() == ("merged", survivor)
        assert {
            stable
            for (stable,) in con.execute(
                "select stable_id from intermediate.int_record_crosswalk"
                " where record_key in (?, ?)",
                [left, right],
            ).fetchall()
        } == {survivor}

        assert con.execute(
            "select still_seen from intermediate.int_record_crosswalk"
            " where record_key = ?",
            [gone],
        ).fetchone() == (False,)

    _build(["build", "--full-refresh", *IDENTITY_LAYERS], company)
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute(
            "select count(*) from intermediate.int_entity_id_merges"
        ).fetchone() == (1,)
        assert con.execute(
            "select count(*) from intermediate.int_entity_id_merge_reasons"
        ).fetchone() == (1,)
        assert con.execute(
            "select still_seen from intermediate.int_person_id_assignments"
            " where record_key = ?",
            [gone],
        ).fetchone() == (False,)
