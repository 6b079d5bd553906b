"""Resolve records into customers: must-link rules plus the trained Splink model.

`resolve` takes the unioned records (an Arrow table or a DuckDB relation, as a dbt
Python model holds them), scores candidate pairs with the committed model JSON,
joins every must-link pair and every scored pair at or above the match threshold
into
clusters (connected components), and returns Arrow tables: record_key -> cluster_id,
and the pairs with their weights (per comparison) and decision, including the
uncertain band for clerical review.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from customer360.identity.deterministic import deterministic_pairs_sql
from customer360.identity.features import EntityType, build_match_table
from customer360.identity.train import model_path

# Thresholds on Splink's match probability, chosen from the precision/recall curves
# measured on generated data (10,000 customers, seed 1; table in docs/identity.md).
# A scored pair at or above the threshold joins a cluster. Persons: 0.95 is the lowest
# threshold with pairwise precision >= 0.99 (0.9957, recall 0.964, F1 0.980); at 0.9
# precision is 0.988. Organisations: 0.8 is the lowest with precision 1.0000 (recall
# 0.988, F1 0.994); 0.7 gives 0.9985 and 0.3 gives 0.9936 for +0.7 points of recall.
PERSON_MATCH_THRESHOLD = 0.95
ORGANISATION_MATCH_THRESHOLD = 0.8
# Pairs from here up to the match threshold (and any pair whose names disagree) are
# the uncertain band for clerical review. Below 0.2 the persons curve shows most
# added pairs are false (precision drops from 0.959 at 0.2 to 0.786 at 0.1), so a
# reviewer would mostly reject them.
REVIEW_LOWER_THRESHOLD = 0.2


def match_threshold_for(entity_type: EntityType) -> float:
    if entity_type == "persons":
        return PERSON_MATCH_THRESHOLD
    return ORGANISATION_MATCH_THRESHOLD


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, duckdb.DuckDBPyRelation):
        return table.arrow().read_all()
    return pa.table(table)


def _comparison_weight_columns(columns: list[str]) -> str:
    """Per comparison: its level (gamma_) and the match weight it contributed (mw_,
    with its term-frequency adjustment folded in), for the review queue."""
    parts = []
    for column in columns:
        if column.startswith("gamma_"):
            parts.append(column)
        elif column.startswith("mw_") and not column.startswith("mw_tf_adj_"):
            tf = f"mw_tf_adj_{column[3:]}"
            parts.append(f"{column} + {tf} as {column}" if tf in columns else column)
    return ", ".join(parts)


def resolve(
    records: pa.Table | duckdb.DuckDBPyRelation,
    entity_type: EntityType,
    model_json_path: Path | None = None,
    match_threshold: float | None = None,
    review_lower_threshold: float = REVIEW_LOWER_THRESHOLD,
) -> tuple[pa.Table, pa.Table]:
    """Cluster `records`; return (clusters, pairs) as Arrow tables.

    clusters: record_key, cluster_id (the smallest record_key in the cluster), one
    row per record that takes part in matching (calls and tickets are attached
    later by events.attribute_events).
    pairs: record_key_l, record_key_r, match_probability, match_weight, rule (the
    must-link rules that fired, or null), decision (`match` or `review`), mw_<x> and
    gamma_<x> per comparison. Pairs below review_lower_threshold are not returned.
    """
    if match_threshold is None:
        match_threshold = match_threshold_for(entity_type)
    con = duckdb.connect()
    con.register("input_records", _as_arrow(records))
    match_table = build_match_table(con, "input_records", entity_type)

    con.execute(
        "create table must_link as " + deterministic_pairs_sql(match_table, entity_type)
    )

    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        db_api.register(match_table, dataset_display_name=f"{entity_type}_records"),
        str(model_json_path or model_path(entity_type)),
        log_level=logging.WARNING,
    )
    predictions = linker.inference.predict(
        threshold_match_probability=review_lower_threshold, warning_mode="never"
    )
    con.execute(f"create table scored as select * from {predictions.physical_name}")
    scored_columns = [row[0] for row in con.execute("describe scored").fetchall()]
    weights = _comparison_weight_columns(scored_columns)

    con.execute(
        f"""
        create table pairs as
        select
            coalesce(s.record_key_l, m.record_key_l) as record_key_l,
            coalesce(s.record_key_r, m.record_key_r) as record_key_r,
            s.match_probability,
            s.match_weight,
            m.rule,
            -- colleagues share a switchboard and the office mailbox: however
            -- strong that looks to the model, two records whose names disagree
            -- entirely are only merged by a must-link rule or a reviewer
            coalesce(s.gamma_name_core = 0, false) as names_disagree,
            case
                when m.rule is not null then 'match'
                when s.match_probability >= {match_threshold}
                    and not coalesce(s.gamma_name_core = 0, false) then 'match'
                else 'review'
            end as decision,
            {weights}
        from (
            select * from scored
            -- Splink orders each pair by its own rule; make l < r like must_link
            where record_key_l < record_key_r
            union all by name
            select * replace (record_key_r as record_key_l, record_key_l as
                record_key_r)
            from scored where record_key_l > record_key_r
        ) as s
        full outer join must_link as m
          on s.record_key_l = m.record_key_l and s.record_key_r = m.record_key_r
        """
    )
    pairs = (
        con.sql("select * from pairs order by record_key_l, record_key_r")
        .arrow()
        .read_all()
    )
    record_keys = con.sql(f"select record_key from {match_table}").arrow().read_all()
    clusters = clusters_at_threshold(record_keys, pairs, match_threshold)
    return clusters, pairs


def clusters_at_threshold(
    record_keys: pa.Table, pairs: pa.Table, match_threshold: float
) -> pa.Table:
    """Connected components of the must-link pairs and the scored pairs at or above
    `match_threshold`: record_key -> cluster_id (the smallest record_key in it).

    Used by resolve, and to redraw the clusters at another threshold from the same
    pairs (the precision/recall curve, a reviewer's what-if) without rescoring.
    """
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while parent.get(key, key) != key:
            parent[key] = parent.get(parent[key], parent[key])  # path halving
            key = parent[key]
        return key

    disagree = pairs.column("names_disagree").to_pylist()
    rules = pairs.column("rule").to_pylist()
    probabilities = pairs.column("match_probability").to_pylist()
    lefts = pairs.column("record_key_l").to_pylist()
    rights = pairs.column("record_key_r").to_pylist()
    for left, right, rule, probability, names_disagree in zip(
        lefts, rights, rules, probabilities, disagree, strict=True
    ):
        if rule is None and (
            probability is None or probability < match_threshold or names_disagree
        ):
            continue
        a, b = root(left), root(right)
        if a != b:
            # the smaller key becomes the root, so cluster ids do not depend on
            # the order pairs arrive in
            parent[max(a, b)] = min(a, b)
    keys = record_keys.column("record_key").to_pylist()
    return pa.table({"record_key": keys, "cluster_id": [root(key) for key in keys]})


def review_queue(pairs: pa.Table) -> pa.Table:
    """The uncertain pairs for a person to decide, most likely matches first."""
    con = duckdb.connect()
    con.register("pairs", pairs)
    return (
        con.sql(
            "select * from pairs where decision = 'review'"
            " order by match_probability desc, record_key_l, record_key_r"
        )
        .arrow()
        .read_all()
    )
