"""evaluate() counts pairs exactly as documented, on clusters worked out by hand."""

from __future__ import annotations

import pyarrow as pa
import pytest

from customer360.identity.evaluate import evaluate


def truth(rows: dict[str, str]) -> pa.Table:
    return pa.table(
        {
            "record_key": list(rows),
            "entity_id": list(rows.values()),
            "entity_type": ["person"] * len(rows),
        }
    )


def clusters(rows: dict[str, str]) -> pa.Table:
    return pa.table({"record_key": list(rows), "cluster_id": list(rows.values())})


def test_pairwise_precision_recall_and_f1_on_hand_made_clusters():
    # true: {a,b,c} one person, {d,e} another, f and g unknown callers
    answer = truth({"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P2",
                    "f": "", "g": ""})  # fmt: skip
    # predicted: {a,b} | {c,d,e} | {f,g}
    predicted = clusters({"a": "1", "b": "1", "c": "2", "d": "2", "e": "2",
                          "f": "3", "g": "3"})  # fmt: skip
    report = evaluate(predicted, answer)
    # predicted pairs: ab; cd ce de; fg = 5. true pairs: ab ac bc; de = 4.
    # both: ab, de = 2
    assert (report.predicted_pairs, report.true_pairs) == (5, 4)
    assert report.true_positive_pairs == 2
    assert report.precision == pytest.approx(2 / 5)
    assert report.recall == pytest.approx(2 / 4)
    assert report.f1 == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    # unknown callers are singletons in the truth: 2 + 2 true clusters
    assert (report.predicted_clusters, report.true_clusters) == (3, 4)


def test_perfect_clusters_score_one_and_records_without_truth_are_counted_apart():
    answer = truth({"a": "P1", "b": "P1", "c": "P2"})
    predicted = clusters({"a": "x", "b": "x", "c": "y", "z": "z"})
    report = evaluate(predicted, answer)
    assert (report.precision, report.recall, report.f1) == (1.0, 1.0, 1.0)
    assert report.records == 3
    assert report.unmatched_records == 1
