"""Reviewers' decisions: recorded with `c360 identity review --decide`, applied by the
next dbt build, and never dropped by a rebuild."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from c360.main import main
from customer360.identity.resolve import clusters_with_decisions
from tests.landed_company import BuiltCompany, LandedCompany, build_failures

# the identity models and everything upstream of them (with their tests): models
# downstream of identity (registry, marts) have tests of their own
IDENTITY_MODELS = ["--select", "+path:models/intermediate/identity"]


def _cluster_of(warehouse: LandedCompany, record_key: str) -> str:
    return warehouse.query(
        "select cluster_id from intermediate.int_person_clusters"
        f" where record_key = '{record_key}'"
    )[0][0]


def test_decisions_split_and_merge_on_the_next_build_and_survive_full_refresh(
    built_company: BuiltCompany,
    c360_on,
    tmp_path: Path,
    capsys: pytest.CaptureFixture,
) -> None:
    warehouse = built_company.copy_to(tmp_path / "reviewed")
    c360_on(warehouse)
    # a Splink match that is the only link of a two-record person
    split_l, split_r = warehouse.query(
        """
        select p.record_key_l, p.record_key_r
        from intermediate.int_person_match_pairs as p
        join intermediate.int_person_clusters as c on c.record_key = p.record_key_l
        where p.decision = 'match' and c.cluster_size = 2
        order by p.rule nulls first, p.record_key_l limit 1
        """
    )[0]
    # a Splink match inside a bigger cluster: the two still meet through others
    cut_l, cut_r = warehouse.query(
        """
        select p.record_key_l, p.record_key_r
        from intermediate.int_person_match_pairs as p
        join intermediate.int_person_clusters as c on c.record_key = p.record_key_l
        where p.decision = 'match' and p.rule is null and c.cluster_size >= 3
        order by p.record_key_l limit 1
        """
    )[0]
    # an uncertain pair the engine left in two clusters
    merge_l, merge_r = warehouse.query(
        """
        select p.record_key_l, p.record_key_r
        from intermediate.int_person_match_pairs as p
        join intermediate.int_person_clusters as l on l.record_key = p.record_key_l
        join intermediate.int_person_clusters as r on r.record_key = p.record_key_r
        where p.decision = 'review' and l.cluster_id <> r.cluster_id
        order by p.match_probability desc limit 1
        """
    )[0]
    assert _cluster_of(warehouse, split_l) == _cluster_of(warehouse, split_r)
    assert _cluster_of(warehouse, cut_l) == _cluster_of(warehouse, cut_r)
    assert _cluster_of(warehouse, merge_l) != _cluster_of(warehouse, merge_r)
    queued = warehouse.query(
        "select count(*) from intermediate.int_identity_review_queue"
    )[0][0]

    # keys in either order; the reviewer is $USER
    for left, right, decision in (
        (split_r, split_l, "not_same"),
        (cut_l, cut_r, "not_same"),
        (merge_l, merge_r, "same"),
    ):
        code = main(
            ["identity", "review", "--decide", left, right, decision, "--note", "test"]
        )
        assert code == 0, capsys.readouterr().err
    assert "by reviewer-in-test" in capsys.readouterr().out

    build = warehouse.dbt(["build", "--full-refresh", *IDENTITY_MODELS])
    assert build.success, build_failures(build)

    assert _cluster_of(warehouse, split_l) != _cluster_of(warehouse, split_r)
    assert _cluster_of(warehouse, cut_l) != _cluster_of(warehouse, cut_r)
    assert _cluster_of(warehouse, merge_l) == _cluster_of(warehouse, merge_r)
    assert warehouse.query(
        "select linked_by from intermediate.int_person_clusters"
        f" where record_key in ('{merge_l}', '{merge_r}')"
    ) == [("review",), ("review",)]
    # the decided pair left the queue; the decisions outlived --full-refresh
    assert (
        warehouse.query("select count(*) from intermediate.int_identity_review_queue")[
            0
        ][0]
        == queued - 1
    )
    assert warehouse.query(
        "select record_key_l, record_key_r, decision, reviewer, note"
        " from review.identity_decisions order by decided_at"
    ) == [
        (*sorted((split_l, split_r)), "not_same", "reviewer-in-test", "test"),
        (cut_l, cut_r, "not_same", "reviewer-in-test", "test"),
        (merge_l, merge_r, "same", "reviewer-in-test", "test"),
    ]  # fmt: skip


@pytest.fixture(autouse=True)
def _reviewer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("USER", "reviewer-in-test")


def _pairs(*rows: tuple[str, str, str | None, float | None, str]) -> pa.Table:
    names = ["record_key_l", "record_key_r", "rule", "match_probability", "decision"]
    return pa.table(
        {
            name: list(column)
            for name, column in zip(names, zip(*rows, strict=True), strict=True)
        }
    )


def _decisions(*rows: tuple[str, str, str, int]) -> pa.Table:
    names = ["record_key_l", "record_key_r", "decision", "decided_at"]
    return pa.table(
        {
            name: list(column)
            for name, column in zip(names, zip(*rows, strict=True), strict=True)
        }
    )


def test_a_cannot_link_cuts_the_weakest_link_on_the_path() -> None:
    pairs = _pairs(
        ("a", "b", "same_valid_iin", None, "match"),
        ("b", "c", None, 0.99, "match"),
        ("c", "d", None, 0.999, "match"),
    )
    clusters = clusters_with_decisions(
        ["a", "b", "c", "d"], pairs, _decisions(("a", "d", "not_same", 1))
    ).to_pylist()
    by_key = {row["record_key"]: row for row in clusters}
    assert [by_key[k]["cluster_id"] for k in "abcd"] == ["a", "a", "c", "c"]
    assert by_key["a"]["linked_by"] == "rule"
    assert by_key["c"]["linked_by"] == "probabilistic"
    assert all(by_key[k]["cut_by_review"] for k in "abcd")


def test_the_latest_decision_on_a_pair_wins_and_same_joins() -> None:
    pairs = _pairs(("a", "b", None, 0.5, "review"))
    clusters = clusters_with_decisions(
        ["a", "b", "c"],
        pairs,
        _decisions(("b", "a", "not_same", 1), ("a", "b", "same", 2)),
    ).to_pylist()
    assert [(r["cluster_id"], r["cluster_size"], r["linked_by"]) for r in clusters] == [
        ("a", 2, "review"),
        ("a", 2, "review"),
        ("c", 1, "singleton"),
    ]
