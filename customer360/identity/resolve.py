"""Resolve records into customers: must-link rules plus the trained Splink model.

`match_pairs` takes the unioned records (an Arrow table or a DuckDB relation, as a
dbt Python model holds them), finds the must-link pairs, scores candidate pairs with
a trained model and returns them with their weights (per comparison) and decision,
the uncertain band for clerical review included. `clusters_with_decisions` joins
the matches and the reviewers' decisions into clusters; `clusters_at_threshold`
redraws them at another threshold.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from customer360.identity.calibration import estimate_prior
from customer360.identity.deterministic import deterministic_pairs_sql
from customer360.identity.features import EntityType, build_match_table
from customer360.identity.matching_connection import matching_connection
from customer360.identity.model_definition import identifying_agreement_sql
from customer360.identity.train import (
    PRIOR_KEY,
    TrainedModel,
    load_model,
    match_threshold_of,
    model_for,
    model_path,
)

# Thresholds of the committed starting models, for a model that carries none of its
# own (a model trained here chooses its threshold on the data it was trained on:
# calibration.choose_threshold). They were chosen from the precision/recall curves
# measured on generated data at 10,000 customers (seed 1) and 100,000 (seed 42);
# tables in docs/identity.md.
PERSON_MATCH_THRESHOLD = 0.95
ORGANISATION_MATCH_THRESHOLD = 0.8
# Pairs from here up to the match threshold (and any pair whose names disagree) are
# the uncertain band for clerical review. Below 0.2 the persons curve shows most
# added pairs are false (precision drops from 0.959 at 0.2 to 0.786 at 0.1), so a
# reviewer would mostly reject them.
REVIEW_LOWER_THRESHOLD = 0.2
# The batch's prior is estimated from the pairs with a Bayes factor of at least 2^4.
# A pair below that has a match probability of at most 16 x the prior (about 7e-5 at
# 100,000 customers): the 1.5 million such pairs among 100,000 demo customers add 40
# expected matches to 193,000, and leaving them out of the scored table makes
# resolving the persons 20% faster (32.5 s -> 26.5 s).
PRIOR_MIN_LOG2_BAYES_FACTOR = 4.0


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


def _model_settings(
    model: TrainedModel | dict[str, Any] | Path | None, entity_type: EntityType
) -> dict[str, Any]:
    if isinstance(model, TrainedModel):
        return model.settings
    return load_model(model if model is not None else model_path(entity_type))


# The column of the match table that marks an incremental run's changed records:
# blocking and the must-link rules keep only pairs where it is true on one side.
CHANGED_COLUMN = "is_changed_record"


@dataclass(frozen=True)
class PreviousScoring:
    """What the last scoring kept: each matched record's content hash, and the prior
    of the last full scoring, which an incremental run keeps (re-estimating it on
    the changed records alone would mean nothing: they are not a random batch)."""

    record_hashes: pa.Table  # record_key, content_hash
    prior: float


@dataclass(frozen=True)
class Scoring:
    """One scoring run: the pairs it scored and what the next run compares with.

    `pairs` holds only the pairs this run scored: on an incremental run, those with
    at least one record of `rescored_keys`; a caller keeps its other pairs and drops
    every kept pair that involves one of them (changed, new or gone records).
    """

    pairs: pa.Table
    record_hashes: pa.Table
    prior: float
    records: int
    incremental: bool
    rescored_keys: list[str] = field(default_factory=list)
    changed_records: int = 0


def match_pairs(
    records: pa.Table | duckdb.DuckDBPyRelation,
    entity_type: EntityType,
    model: TrainedModel | dict[str, Any] | Path | None = None,
    match_threshold: float | None = None,
    review_lower_threshold: float = REVIEW_LOWER_THRESHOLD,
    organisation_clusters: pa.Table | None = None,
) -> pa.Table:
    """The pairs of `records` that are the same customer, or may be, as an Arrow table.

    `model`: a TrainedModel, a model JSON (dict or path); default the committed
    starting model. Its prior is re-estimated on this batch
    (calibration.estimate_prior), and a pair is a match at or above
    `match_threshold`: default the model's own threshold, else the constants above.

    The pairs: record_key_l, record_key_r, match_probability, match_weight, rule (the
    must-link rules that fired, or null), decision (`match` or `review`), mw_<x> and
    gamma_<x> per comparison. Pairs below review_lower_threshold are not returned.
    organisation_clusters (persons only): record_key, cluster_id of the resolved
    organisations, for the same-name-same-organisation rule across sources.
    `clusters_with_decisions` turns the pairs into clusters, with reviewers'
    decisions; calls and tickets are attached later by events.attribute_events.
    """
    return score_pairs(
        records,
        entity_type,
        model=model,
        match_threshold=match_threshold,
        review_lower_threshold=review_lower_threshold,
        organisation_clusters=organisation_clusters,
    ).pairs


def score_pairs(
    records: pa.Table | duckdb.DuckDBPyRelation,
    entity_type: EntityType,
    model: TrainedModel | dict[str, Any] | Path | None = None,
    match_threshold: float | None = None,
    review_lower_threshold: float = REVIEW_LOWER_THRESHOLD,
    organisation_clusters: pa.Table | None = None,
    previous: PreviousScoring | None = None,
) -> Scoring:
    """`match_pairs`, full or incremental, with what the next run needs.

    Without `previous`, every pair is scored and the prior estimated on the batch.
    With it, only the records whose match-table row (every feature and blocking key,
    the resolved organisation included) differs from the hash kept, or that are new,
    are changed: blocking and the must-link rules look only at pairs with at least
    one changed record, against all records, and the kept prior is used. Term
    frequencies are counted on all records, as in a full run.
    """
    settings = _model_settings(model, entity_type)
    if match_threshold is None:
        match_threshold = match_threshold_of(settings) or match_threshold_for(
            entity_type
        )
    con = matching_connection()
    con.register("input_records", _as_arrow(records))
    organisations = None
    if organisation_clusters is not None:
        con.register("organisation_clusters", _as_arrow(organisation_clusters))
        organisations = "organisation_clusters"
    match_table = build_match_table(
        con, "input_records", entity_type, organisation_clusters=organisations
    )
    # a record is rescored when anything the matching reads of it changes: its
    # fields, its blocking keys (a key purged because its block grew) or its
    # organisation's cluster
    con.execute(
        "create table record_hashes as select record_key,"
        f" md5(cast(m as varchar)) as content_hash from {match_table} as m"
    )
    records_count = con.sql(f"select count(*) from {match_table}").fetchall()[0][0]
    record_hashes = con.sql("select * from record_hashes").arrow().read_all()

    involving = None
    rescored_keys: list[str] = []
    changed_records = records_count
    if previous is not None:
        con.register("previous_hashes", _as_arrow(previous.record_hashes))
        con.execute(
            """
            create table changed_records as
            select now.record_key
            from record_hashes as now
            left join previous_hashes as before using (record_key)
            where before.content_hash is distinct from now.content_hash
            """
        )
        rescored_keys = [
            row[0]
            for row in con.execute(
                """
                select record_key from changed_records
                union
                select record_key from previous_hashes
                where record_key not in (select record_key from record_hashes)
                order by record_key
                """
            ).fetchall()
        ]
        changed_records = con.execute(
            "select count(*) from changed_records"
        ).fetchone()[0]
        con.execute(
            f"""
            create or replace table {match_table} as
            select m.*, c.record_key is not null as {CHANGED_COLUMN}
            from {match_table} as m
            left join changed_records as c using (record_key)
            """
        )
        involving = CHANGED_COLUMN
        if changed_records == 0:
            return Scoring(
                pairs=_empty_pairs(),
                record_hashes=record_hashes,
                prior=previous.prior,
                records=records_count,
                incremental=True,
                rescored_keys=rescored_keys,
                changed_records=0,
            )

    con.execute(
        "create table must_link as "
        + deterministic_pairs_sql(match_table, entity_type, involving=involving)
    )

    db_api = DuckDBAPI(connection=con)
    batch_settings = model_for(settings, records_count, entity_type)
    if previous is not None:
        batch_settings[PRIOR_KEY] = previous.prior
        only = f" and (l.{CHANGED_COLUMN} or r.{CHANGED_COLUMN})"
        batch_settings["blocking_rules_to_generate_predictions"] = [
            {**rule, "blocking_rule": f"({rule['blocking_rule']}){only}"}
            for rule in batch_settings["blocking_rules_to_generate_predictions"]
        ]
    start_prior = batch_settings[PRIOR_KEY]
    linker = Linker(
        db_api.register(match_table, dataset_display_name=f"{entity_type}_records"),
        batch_settings,
        log_level=logging.WARNING,
    )
    # the pairs the batch's own prior is estimated from: every pair the model finds
    # at least PRIOR_MIN_LOG2_BAYES_FACTOR bits more likely the same than not
    start_weight = math.log2(start_prior / (1 - start_prior))
    predictions = linker.inference.predict(
        threshold_match_weight=start_weight + PRIOR_MIN_LOG2_BAYES_FACTOR,
        warning_mode="never",
    )
    con.execute(
        f"create table bayes as select *, match_weight - {start_weight} as log2_bf"
        f" from {predictions.physical_name}"
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    if previous is not None:
        prior_value = previous.prior
    else:
        log2_bayes_factors = con.sql("select log2_bf from bayes").fetchnumpy()[
            "log2_bf"
        ]
        prior_value = estimate_prior(
            log2_bayes_factors, records_count, start=start_prior
        ).prior
    prior_weight = math.log2(prior_value / (1 - prior_value))
    con.execute(
        f"""
        create table scored as
        select * exclude (log2_bf, match_weight, match_probability),
            log2_bf + {prior_weight} as match_weight,
            1 / (1 + pow(2, -(log2_bf + {prior_weight}))) as match_probability
        from bayes
        where 1 / (1 + pow(2, -(log2_bf + {prior_weight}))) >= {review_lower_threshold}
        """
    )
    scored_columns = [row[0] for row in con.execute("describe scored").fetchall()]
    weights = _comparison_weight_columns(scored_columns)
    identifying = identifying_agreement_sql(entity_type)

    con.execute(
        f"""
        create table pairs as
        select
            coalesce(s.record_key_l, m.record_key_l) as record_key_l,
            coalesce(s.record_key_r, m.record_key_r) as record_key_r,
            s.match_probability,
            s.match_weight,
            m.rule,
            -- colleagues share a switchboard, the office mailbox and its address:
            -- however strong that looks to the model, two records whose names
            -- share no word, even approximately, are merged on the score alone
            -- only when something of their own agrees (a birth date, a personal
            -- number or mailbox, an IIN/BIN); otherwise a reviewer decides
            coalesce(s.gamma_name_core = 0 and not {identifying}, false)
                as names_disagree,
            case
                when m.rule is not null then 'match'
                when s.match_probability >= {match_threshold}
                    and not coalesce(s.gamma_name_core = 0 and not {identifying}, false)
                    then 'match'
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
    return Scoring(
        pairs=pairs,
        record_hashes=record_hashes,
        prior=prior_value,
        records=records_count,
        incremental=previous is not None,
        rescored_keys=rescored_keys,
        changed_records=changed_records,
    )


def _empty_pairs() -> pa.Table:
    # an incremental run with nothing changed: the caller appends nothing
    return pa.table({"record_key_l": pa.array([], pa.string())})


def clusters_at_threshold(
    record_keys: pa.Table, pairs: pa.Table, match_threshold: float
) -> pa.Table:
    """Connected components of the must-link pairs and the scored pairs at or above
    `match_threshold`: record_key -> cluster_id (the smallest record_key in it).

    Redraws the clusters at another threshold from the same pairs (the
    precision/recall curve, a reviewer's what-if) without rescoring.
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


# Strength of an accepted link, strongest first: the order in which clustering with
# reviewer decisions joins records, so that a cannot-link cuts the weakest evidence.
_LINK_STRENGTH = {"review": 0, "rule": 1, "probabilistic": 2}


def clusters_with_decisions(
    record_keys: list[str],
    pairs: pa.Table,
    decisions: pa.Table | None = None,
) -> pa.Table:
    """Clusters from the scored pairs plus reviewers' decisions.

    `pairs` as resolve returns them (record_key_l, record_key_r, rule,
    match_probability, decision). `decisions`: record_key_l, record_key_r, decision
    ('same' | 'not_same'), decided_at; the latest decision per pair wins.

    - 'same' is a must-link: the pair is joined whatever its score;
    - 'not_same' is a cannot-link: that pair's own edge is dropped and, should the two
      records still meet through other edges, the cluster is cut. Links are joined
      strongest first (reviewer 'same', then must-link rules, then Splink matches by
      falling probability), and a link that would put two records of a cannot-link
      pair into one cluster is skipped: the weakest links on the path give way,
      reviewer decisions never do (a 'same' chain that contradicts a 'not_same' loses
      its last link).

    Returns record_key, cluster_id (the smallest record_key in the cluster),
    cluster_size, linked_by (`review`, `rule`, `probabilistic` or `singleton`: the
    strongest link joining the record to its cluster) and cut_by_review (the record
    is in a 'not_same' decision, or a link of it was skipped to honour one).
    """
    keys = list(record_keys)
    known = set(keys)
    latest: dict[tuple[str, str], str] = {}
    if decisions is not None and decisions.num_rows:
        rows = sorted(
            decisions.to_pylist(),
            key=lambda row: (row["decided_at"] is None, row["decided_at"]),
        )
        for row in rows:  # oldest first: a later decision replaces an earlier one
            left, right = sorted((row["record_key_l"], row["record_key_r"]))
            latest[(left, right)] = row["decision"]
    cannot: dict[str, set[str]] = {}
    for (left, right), decision in latest.items():
        if decision == "not_same" and left in known and right in known:
            cannot.setdefault(left, set()).add(right)
            cannot.setdefault(right, set()).add(left)

    links: list[tuple[int, float, str, str, str]] = []
    for row in pairs.select(
        ["record_key_l", "record_key_r", "rule", "match_probability", "decision"]
    ).to_pylist():
        left, right = sorted((row["record_key_l"], row["record_key_r"]))
        if (left, right) in latest or row["decision"] != "match":
            continue
        kind = "rule" if row["rule"] is not None else "probabilistic"
        links.append(
            (
                _LINK_STRENGTH[kind],
                -(row["match_probability"] or 1.0),
                left,
                right,
                kind,
            )
        )
    for (left, right), decision in latest.items():
        if decision == "same" and left in known and right in known:
            links.append((_LINK_STRENGTH["review"], -1.0, left, right, "review"))
    links.sort()

    parent: dict[str, str] = {key: key for key in keys}
    members: dict[str, list[str]] = {}  # root -> its records under a cannot-link

    def root(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for key in cannot:
        members[key] = [key]
    cut: set[str] = {key for key in cannot}
    linked_by: dict[str, str] = {}
    for _, _, left, right, kind in links:
        if left not in known or right not in known:
            continue
        a, b = root(left), root(right)
        if a == b:
            accepted = True
        elif any(
            root(other) == b for key in members.get(a, []) for other in cannot[key]
        ):
            cut.update((left, right))
            accepted = False
        else:
            small, large = min(a, b), max(a, b)
            parent[large] = small
            members[small] = members.get(small, []) + members.pop(large, [])
            accepted = True
        if accepted:
            for key in (left, right):
                current = linked_by.get(key)
                if current is None or _LINK_STRENGTH[kind] < _LINK_STRENGTH[current]:
                    linked_by[key] = kind

    cluster_ids = [root(key) for key in keys]
    sizes: dict[str, int] = {}
    for cluster_id in cluster_ids:
        sizes[cluster_id] = sizes.get(cluster_id, 0) + 1
    return pa.table(
        {
            "record_key": keys,
            "cluster_id": cluster_ids,
            "cluster_size": [sizes[c] for c in cluster_ids],
            "linked_by": [
                linked_by.get(key, "singleton") if sizes[c] > 1 else "singleton"
                for key, c in zip(keys, cluster_ids, strict=True)
            ],
            "cut_by_review": [key in cut for key in keys],
        }
    )
