"""Train the Splink model in Splink's order and write it as a committed JSON file.

Order: the prior from deterministic rules, u by random sampling, then one EM pass per
training blocking rule (at least two, on different rules). The JSON under
`customer360/identity/trained/` is the model; prediction only reads it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from splink import DuckDBAPI, Linker

from customer360.identity.engine import matching_connection
from customer360.identity.features import EntityType, build_match_table
from customer360.identity.settings import (
    prediction_blocking_rules,
    prior_rules,
    splink_settings,
    training_blocking_rules,
)

TRAINED_DIR = Path(__file__).parent / "trained"
PRIOR_KEY = "probability_two_random_records_match"
# Our own entry in the model JSON, taken out before Splink reads the model: how many
# records the prior was estimated on (see model_for).
RECORDS_KEY = "customer360_records_trained_on"
# the prior never rises above this however small the batch: two records are never
# presumed to be the same before any field is compared
MAX_PRIOR = 0.5
# Splink's own advice is 1e7..1e9 sampled pairs for u; 1e7 keeps training under a
# minute at 100,000 customers and the u values stable to the third decimal
U_SAMPLE_PAIRS = 1e7
DEFAULT_SEED = 1


def model_path(entity_type: EntityType) -> Path:
    return TRAINED_DIR / f"{entity_type}.json"


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, duckdb.DuckDBPyRelation):
        return table.arrow().read_all()
    return pa.table(table)


def train(
    table: pa.Table | duckdb.DuckDBPyRelation,
    entity_type: EntityType,
    output_path: Path | None = None,
    seed: int = DEFAULT_SEED,
) -> dict[str, Any]:
    """Train on `table` (unioned records) and write the model JSON; return the model.

    Deterministic for a given input and seed: u sampling is seeded and EM is
    deterministic on the same pairs.
    """
    records = _as_arrow(table)
    con = matching_connection()
    con.register("input_records", records)
    match_table = build_match_table(con, "input_records", entity_type)
    db_api = DuckDBAPI(connection=con)
    linker = Linker(
        db_api.register(match_table, dataset_display_name=f"{entity_type}_records"),
        splink_settings(entity_type),
        log_level=logging.WARNING,
    )
    rules, recall = prior_rules(entity_type)
    linker.training.estimate_probability_two_random_records_match(rules, recall=recall)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=U_SAMPLE_PAIRS, seed=seed
    )
    for blocking_rule in training_blocking_rules(entity_type):
        linker.training.estimate_parameters_using_expectation_maximisation(
            blocking_rule, estimate_without_term_frequencies=True
        )
    model = linker.misc.save_model_to_json()
    # the linker uid is random per run; without it the same data gives the same file
    model.pop("linker_uid", None)
    # sql(), not execute(): an unfetched execute() result blocks the connection
    count = con.sql(f"select count(*) from {match_table}").fetchall()
    model[RECORDS_KEY] = count[0][0]
    path = output_path or model_path(entity_type)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, indent=2, ensure_ascii=False) + "\n")
    return model


def model_for(
    model: dict[str, Any] | Path,
    records: int,
    entity_type: EntityType | None = None,
) -> dict[str, Any]:
    """The trained model as Splink settings for a batch of `records` records.

    The prior (the probability that two random records are the same) is not a
    property of the model but of the batch: each customer has about the same number
    of duplicates in a company of any size, so the matching pairs grow with n while
    all pairs grow with n^2, and the prior falls as 1/n. Estimated on one size and
    used on another unchanged, it would make every pair of namesakes a match in a
    ten times bigger company (measured: person precision 0.92 instead of 0.99 at
    100,000 customers with the prior of 10,000). It is rescaled here by
    (n_trained - 1) / (n - 1); a model without its record count is used as it is.

    With `entity_type`, the prediction blocking rules come from settings.py, so that
    changing which pairs are scored does not need a retrained model.
    """
    settings = json.loads(model.read_text()) if isinstance(model, Path) else dict(model)
    trained_on = settings.pop(RECORDS_KEY, None)
    if trained_on and records > 1 and PRIOR_KEY in settings:
        scaled = settings[PRIOR_KEY] * (trained_on - 1) / (records - 1)
        settings[PRIOR_KEY] = min(scaled, MAX_PRIOR)
    if entity_type is not None:
        rules = prediction_blocking_rules(entity_type)
        settings["blocking_rules_to_generate_predictions"] = rules
    return settings


def _parameters(model: dict[str, Any]) -> dict[tuple[str, str], tuple[Any, Any]]:
    found = {}
    for comparison in model.get("comparisons", []):
        name = comparison.get("output_column_name", "?")
        for level in comparison.get("comparison_levels", []):
            if level.get("is_null_level"):
                continue
            label = level.get("label_for_charts") or level.get("sql_condition", "")
            found[(name, label)] = (
                level.get("m_probability"),
                level.get("u_probability"),
            )
    return found


def describe_changes(
    previous: dict[str, Any] | Path | None, current: dict[str, Any] | Path
) -> list[str]:
    """What changed between two trained models: the prior and m/u per level.

    Lines read `name_core / Exact match: m 0.912 -> 0.934, u 0.0010 -> 0.0009`; a new
    or removed level or comparison is reported as such. Empty when nothing changed.
    """

    def load(model: dict[str, Any] | Path | None) -> dict[str, Any]:
        if model is None:
            return {}
        if isinstance(model, Path):
            return json.loads(model.read_text()) if model.exists() else {}
        return model

    before, after = load(previous), load(current)
    lines = []
    if before.get(PRIOR_KEY) != after.get(PRIOR_KEY):
        lines.append(f"prior: {before.get(PRIOR_KEY)} -> {after.get(PRIOR_KEY)}")
    if before.get(RECORDS_KEY) != after.get(RECORDS_KEY):
        lines.append(
            f"records trained on: {before.get(RECORDS_KEY)} -> {after.get(RECORDS_KEY)}"
        )
    old, new = _parameters(before), _parameters(after)
    for key in sorted(old.keys() | new.keys()):
        name = f"{key[0]} / {key[1]}"
        if key not in old:
            lines.append(f"{name}: new level, m {new[key][0]}, u {new[key][1]}")
        elif key not in new:
            lines.append(f"{name}: level removed")
        elif old[key] != new[key]:
            (m0, u0), (m1, u1) = old[key], new[key]
            lines.append(
                f"{name}: m {_fmt(m0)} -> {_fmt(m1)}, u {_fmt(u0)} -> {_fmt(u1)}"
            )
    return lines


def _fmt(value: Any) -> str:
    return "none" if value is None else f"{value:.4g}"
