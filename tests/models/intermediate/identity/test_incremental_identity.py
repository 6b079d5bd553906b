"""Nightly identity runs rescore only what changed and end where full runs end.

Two copies of one built company get the same days of source changes (new contacts,
changed phones and names, a deleted contact, a renamed company). One is built
incrementally, the other with --full-refresh each day (the registry and the trained
models keep their rows through it, as in production). Both must give the same
clusters and the same stable IDs, while the incremental builds score only the pairs
of the changed records.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.landed_company import BuiltCompany, LandedCompany, build_failures

# run, not build: the models' own tests run once at the end, on the incremental copy
RUN_IDENTITY = ["run", "--select", "+path:models/intermediate"]

pytestmark = pytest.mark.slow


def _phone(number: str) -> str:
    """A Bitrix24 multifield holding one work number, as the CRM lands it."""
    return (
        f'[{{"ID": "1", "VALUE_TYPE": "WORK", "VALUE": "{number}",'
        ' "TYPE_ID": "PHONE"}]'
    )


# one day's changes per entry, as the sources would land them (SQL on the raw tables,
# which is what a landed increment amounts to for dbt)
DAYS: list[list[str]] = [
    [
        # a new contact: an existing customer typed in again under another id
        """
        insert into raw_crm.contacts
        select * replace (id + 1000000 as id)
        from raw_crm.contacts order by branch, id limit 1
        """,
        # two customers change their phone, one their surname
        f"""
        update raw_crm.contacts set phone = '{_phone("+77015550101")}'
        where rowid in (
            select rowid from raw_crm.contacts order by branch, id limit 2 offset 5)
        """,
        """
        update raw_crm.contacts set last_name = last_name || 'ова'
        where rowid = (
            select rowid from raw_crm.contacts order by branch, id limit 1 offset 9)
        """,
    ],
    [
        # a contact deleted in the CRM
        """
        delete from raw_crm.contacts
        where rowid = (
            select rowid from raw_crm.contacts order by branch, id limit 1 offset 12)
        """,
        # a company renamed
        """
        update raw_crm.companies set title = title || ' Холдинг'
        where rowid = (
            select rowid from raw_crm.companies order by branch, id limit 1 offset 3)
        """,
        # a contact takes over the number of another: a new must-link pair
        """
        update raw_crm.contacts set phone = (
            select phone from raw_crm.contacts where phone is not null
            order by branch, id limit 1 offset 20)
        where rowid = (
            select rowid from raw_crm.contacts order by branch, id limit 1 offset 30)
        """,
    ],
]


def _apply(warehouse: LandedCompany, statements: list[str]) -> None:
    for statement in statements:
        warehouse.query(statement)


def _clusters(warehouse: LandedCompany, entity: str) -> set[frozenset[str]]:
    rows = warehouse.query(
        f"select cluster_id, record_key from intermediate.int_{entity}_clusters"
    )
    members: dict[str, set[str]] = {}
    for cluster_id, record_key in rows:
        members.setdefault(cluster_id, set()).add(record_key)
    return {frozenset(keys) for keys in members.values()}


def _stable_ids(warehouse: LandedCompany) -> dict[str, str]:
    return dict(
        warehouse.query(
            "select record_key, stable_id from intermediate.int_record_crosswalk"
        )
    )


def _pairs(warehouse: LandedCompany, entity: str) -> dict[tuple[str, str], str]:
    return {
        (left, right): decision
        for left, right, decision in warehouse.query(
            "select record_key_l, record_key_r, decision"
            f" from intermediate.int_{entity}_match_pairs"
        )
    }


def _scored_hashes(warehouse: LandedCompany, entity: str) -> dict[str, str]:
    return dict(
        warehouse.query(
            "select record_key, content_hash"
            f" from intermediate.int_{entity}_match_pairs__scored_records"
        )
    )


def _last_scoring(warehouse: LandedCompany, entity: str) -> dict[str, object]:
    [row] = warehouse.query(
        "select records, changed_records, gone_records, pairs_scored, full_scoring,"
        f" full_reason from intermediate.int_{entity}_match_pairs__scorings"
        " order by scored_at desc limit 1"
    )
    names = ("records", "changed", "gone", "pairs", "full", "reason")
    return dict(zip(names, row, strict=True))


def _last_changes(warehouse: LandedCompany, entity: str) -> tuple[int, int, int, int]:
    [row] = warehouse.query(
        "select clusters, clusters_touched, records_in_touched_clusters, clusters_gone"
        f" from intermediate.int_{entity}_clusters__changes"
        " order by built_at desc limit 1"
    )
    return row


def _assert_the_build_kept_what_it_did(
    warehouse: LandedCompany,
    entity: str,
    hashes_before: dict[str, str],
    clusters_before: set[frozenset[str]],
    full: bool,
) -> None:
    """The rows the build appended to the side tables (build_tallies) say what it
    did, measured here from the tables themselves."""
    hashes = _scored_hashes(warehouse, entity)
    changed = {key for key, value in hashes.items() if hashes_before.get(key) != value}
    gone = set(hashes_before) - set(hashes)
    pairs = _pairs(warehouse, entity)
    scoring = _last_scoring(warehouse, entity)
    if full:
        assert scoring == {
            "records": len(hashes),
            "changed": len(hashes),
            "gone": 0,
            "pairs": len(pairs),
            "full": True,
            "reason": "first build or --full-refresh",
        }
    else:
        # the pairs appended are those of the changed and gone records: every kept
        # pair of theirs was deleted first
        appended = [pair for pair in pairs if set(pair) & (changed | gone)]
        assert scoring == {
            "records": len(hashes),
            "changed": len(changed),
            "gone": len(gone),
            "pairs": len(appended),
            "full": False,
            "reason": "",
        }
    clusters = _clusters(warehouse, entity)
    touched = clusters - clusters_before
    records_now = set().union(*clusters)
    gone_clusters = [c for c in clusters_before if not c & records_now]
    assert _last_changes(warehouse, entity) == (
        len(clusters),
        len(touched),
        sum(len(cluster) for cluster in touched),
        len(gone_clusters),
    )


def test_incremental_days_give_the_clusters_and_ids_of_full_runs(
    built_company: BuiltCompany, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    incremental = built_company.copy_to(tmp_path / "incremental")
    full = built_company.copy_to(tmp_path / "full")
    for entity in ("person", "organisation"):
        # the first build touched every cluster
        [(clusters, touched)] = incremental.query(
            "select clusters, clusters_touched"
            f" from intermediate.int_{entity}_clusters__changes"
        )
        assert touched == clusters == len(_clusters(incremental, entity)) > 0

    for day, statements in enumerate(DAYS, start=1):
        _apply(incremental, statements)
        _apply(full, statements)
        before = {
            (copy, entity): (_scored_hashes(copy, entity), _clusters(copy, entity))
            for copy in (incremental, full)
            for entity in ("person", "organisation")
        }
        assert build_failures(incremental.dbt(RUN_IDENTITY)) == [], f"day {day}"
        output = capsys.readouterr().out
        assert build_failures(full.dbt([*RUN_IDENTITY, "--full-refresh"])) == []
        capsys.readouterr()

        changed = {
            entity: re.search(
                rf"identity: {entity}: (\d+) of (\d+) records new or changed", output
            )
            for entity in ("persons", "organisations")
        }
        assert changed["persons"], output
        rescored, records = map(int, changed["persons"].groups())
        # the day's handful of contacts (and the people of a renamed company), not
        # the company
        assert 0 < rescored < records / 20, output
        for (copy, entity), (hashes, clusters) in before.items():
            _assert_the_build_kept_what_it_did(
                copy, entity, hashes, clusters, full=copy is full
            )
        # the day's people are re-clustered, not the company; on day 1 the contact
        # typed again joins its customer's cluster (day 2's changes only remove a
        # singleton and leave the clusters as they were)
        _, touched, _, gone = _last_changes(incremental, "person")
        assert touched < len(_clusters(incremental, "person")) / 20
        assert touched > 0 or day == 2
        # and the deleted contact's cluster is counted gone, not lost from sight
        assert gone == (1 if day == 2 else 0), f"day {day}"

        for entity in ("person", "organisation"):
            assert _clusters(incremental, entity) == _clusters(full, entity), (
                f"day {day}: {entity} clusters"
            )
            # the prior of the last full scoring is kept: the incremental pairs are
            # the full run's pairs, decisions included
            assert _pairs(incremental, entity) == _pairs(full, entity), (
                f"day {day}: {entity} pairs"
            )
        assert _stable_ids(incremental) == _stable_ids(full), f"day {day}: IDs"

    tests = incremental.dbt(
        ["test", "--select", "int_person_match_pairs", "int_organisation_match_pairs"]
    )
    assert build_failures(tests) == []


def test_a_day_without_changes_scores_nothing(
    built_company: BuiltCompany, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    warehouse = built_company.copy_to(tmp_path / "quiet")
    select = ["--select", "int_person_match_pairs", "int_organisation_match_pairs"]
    assert build_failures(warehouse.dbt(["run", *select, "--full-refresh"])) == []
    before = _pairs(warehouse, "person")
    capsys.readouterr()
    assert build_failures(warehouse.dbt(["run", *select])) == []
    output = capsys.readouterr().out
    assert "identity: persons: 0 of" in output, output
    assert "0 pairs rescored" in output, output
    assert _last_scoring(warehouse, "person") == {
        "records": len(_scored_hashes(warehouse, "person")),
        "changed": 0,
        "gone": 0,
        "pairs": 0,
        "full": False,
        "reason": "",
    }
    assert _pairs(warehouse, "person") == before
