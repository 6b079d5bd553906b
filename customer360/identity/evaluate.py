"""Measure record clusters against the generator's ground truth: pairwise P/R/F1.

How pairs are counted (per entity type): the records are exactly the rows of the
clusters table that appear in `source_records.csv`. Two records form a *predicted
pair* when they share a cluster_id, and a *true pair* when they share a non-empty
entity_id; a record whose entity_id is empty (an unknown caller or requester) is its
own singleton in the truth, so it is in no true pair. Each unordered pair counts once:
a cluster of n records holds n(n-1)/2 pairs. True positives are pairs that are both.
precision = TP / predicted pairs, recall = TP / true pairs, F1 their harmonic mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from customer360.dbt_stdout import quiet_connection

GROUND_TRUTH_FILE = "source_records.csv"


@dataclass(frozen=True)
class ClusterReport:
    records: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int
    predicted_clusters: int
    true_clusters: int
    unmatched_records: int  # clustered records missing from the ground truth

    @property
    def precision(self) -> float:
        return (
            self.true_positive_pairs / self.predicted_pairs
            if self.predicted_pairs
            else 1.0
        )

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            **asdict(self),
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
        }

    def format(self) -> str:
        return (
            f"records {self.records:,}  clusters {self.predicted_clusters:,} "
            f"(true {self.true_clusters:,})  precision {self.precision:.4f}  "
            f"recall {self.recall:.4f}  F1 {self.f1:.4f}"
        )


_PAIR_COUNTS_SQL = """
with labelled as (
    select
        c.record_key,
        c.cluster_id,
        -- an unknown caller/requester is their own entity
        coalesce(nullif(t.entity_id, ''), 'unknown:' || c.record_key) as entity_id
    from clusters as c
    join truth as t on c.record_key = t.record_key
),
predicted as (select count(*) as n from labelled group by cluster_id),
actual as (select count(*) as n from labelled group by entity_id),
both_ as (select count(*) as n from labelled group by cluster_id, entity_id)
select
    (select count(*) from labelled),
    (select coalesce(sum(n * (n - 1) / 2), 0) from predicted),
    (select coalesce(sum(n * (n - 1) / 2), 0) from actual),
    (select coalesce(sum(n * (n - 1) / 2), 0) from both_),
    (select count(*) from predicted),
    (select count(*) from actual),
    (select count(*) from clusters) - (select count(*) from labelled)
"""


def load_truth(ground_truth_dir: Path) -> pa.Table:
    """record_key (source_system:source_table:source_record_id) -> entity_id."""
    path = Path(ground_truth_dir) / GROUND_TRUTH_FILE
    return (
        duckdb.sql(
            "select source_system || ':' || source_table || ':' || source_record_id"
            " as record_key, coalesce(entity_id, '') as entity_id, entity_type"
            f" from read_csv('{path}', all_varchar = true)"
        )
        .arrow()
        .read_all()
    )


def evaluate(
    clusters: pa.Table | duckdb.DuckDBPyRelation,
    ground_truth: Path | pa.Table,
) -> ClusterReport:
    """Pairwise precision, recall, F1 and cluster counts of `clusters`
    (record_key, cluster_id) against the ground truth folder or table."""
    truth = (
        ground_truth if isinstance(ground_truth, pa.Table) else load_truth(ground_truth)
    )
    if isinstance(clusters, duckdb.DuckDBPyRelation):
        clusters = clusters.arrow().read_all()
    con = quiet_connection()
    con.register("clusters", clusters)
    con.register("truth", truth)
    row = con.execute(_PAIR_COUNTS_SQL).fetchall()[0]
    return ClusterReport(*(int(value) for value in row))


@dataclass(frozen=True)
class LabelReport:
    """The engine's own decisions (before any reviewer's) on the pairs reviewers
    decided: precision and recall estimated from those labels, with how many labels
    each figure rests on and a 95% Wilson interval."""

    labels: int
    merged_and_same: int
    merged_not_same: int
    apart_but_same: int
    apart_not_same: int
    labels_on_missing_records: int

    @property
    def precision(self) -> float | None:
        merged = self.merged_and_same + self.merged_not_same
        return self.merged_and_same / merged if merged else None

    @property
    def recall(self) -> float | None:
        same = self.merged_and_same + self.apart_but_same
        return self.merged_and_same / same if same else None

    def interval(self, hits: int, total: int) -> tuple[float, float] | None:
        from scipy.stats import binomtest

        if not total:
            return None
        ci = binomtest(hits, total).proportion_ci(method="wilson")
        return (ci.low, ci.high)

    def as_dict(self) -> dict[str, Any]:
        merged = self.merged_and_same + self.merged_not_same
        same = self.merged_and_same + self.apart_but_same
        return {
            **asdict(self),
            "precision": self.precision,
            "precision_labels": merged,
            "precision_interval": self.interval(self.merged_and_same, merged),
            "recall": self.recall,
            "recall_labels": same,
            "recall_interval": self.interval(self.merged_and_same, same),
        }

    def format(self) -> str:
        if not self.labels:
            return "no reviewer decisions yet: `c360 identity review` to make some"
        merged = self.merged_and_same + self.merged_not_same
        same = self.merged_and_same + self.apart_but_same

        def figure(value: float | None, hits: int, total: int, what: str) -> str:
            if value is None:
                return f"{what} -  (no labels)"
            low, high = self.interval(hits, total) or (0.0, 0.0)
            return f"{what} {value:.4f} [{low:.3f}-{high:.3f}] on {total:,} labels"

        return (
            f"{self.labels:,} labelled pairs: "
            + figure(self.precision, self.merged_and_same, merged, "precision")
            + "; "
            + figure(self.recall, self.merged_and_same, same, "recall")
        )


def evaluate_against_labels(
    record_keys: pa.Table,
    pairs: pa.Table,
    decisions: pa.Table,
    match_threshold: float,
) -> LabelReport:
    """Compare the engine's clusters (must-link and scored pairs at the threshold,
    without reviewers' decisions) with the latest reviewer decision on each pair."""
    from customer360.identity.resolve import clusters_at_threshold

    clusters = clusters_at_threshold(record_keys, pairs, match_threshold)
    cluster_of = dict(
        zip(
            clusters.column("record_key").to_pylist(),
            clusters.column("cluster_id").to_pylist(),
            strict=True,
        )
    )
    latest: dict[tuple[str, str], tuple[Any, str]] = {}
    for row in decisions.to_pylist():
        key = tuple(sorted((row["record_key_l"], row["record_key_r"])))
        seen = latest.get(key)
        if seen is None or (row["decided_at"] or 0) >= (seen[0] or 0):
            latest[key] = (row["decided_at"], row["decision"])
    counts = {"tp": 0, "fp": 0, "fn": 0, "tn": 0, "missing": 0}
    for (left, right), (_, decision) in latest.items():
        if left not in cluster_of or right not in cluster_of:
            counts["missing"] += 1
            continue
        merged = cluster_of[left] == cluster_of[right]
        same = decision == "same"
        key = ("tp" if same else "fp") if merged else ("fn" if same else "tn")
        counts[key] += 1
    return LabelReport(
        labels=len(latest) - counts["missing"],
        merged_and_same=counts["tp"],
        merged_not_same=counts["fp"],
        apart_but_same=counts["fn"],
        apart_not_same=counts["tn"],
        labels_on_missing_records=counts["missing"],
    )
