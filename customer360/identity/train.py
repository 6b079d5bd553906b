"""Estimate the Splink model from the records at hand, and check it before it is used.

Order, as Splink advises: u by random sampling, m by EM on several blocking rules,
then the prior from the scored pairs themselves (calibration.py). Each EM pass starts
from the same model (the committed one under `customer360/identity/trained/`, trained
on generated data: the starting point, not the answer) and estimates the comparisons
its rule does not block on; the passes are combined per level by their median, as
Splink does, but without one pass's degenerate estimate seeding the next.

m probabilities are floored (M_FLOOR): EM on records where true pairs never
disagree on a field (generated data copies a city exactly) drives that level's m to
zero, and the model would then veto every true pair with a typo in it.

The result carries its checks (checks.py); resolve and the dbt models use a model
only when every check passed.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
from splink import DuckDBAPI, Linker

from customer360.identity.calibration import (
    ExpectedAccuracy,
    choose_threshold,
    estimate_prior,
    expected_curve,
    posterior,
    starting_prior,
    total_pairs,
)
from customer360.identity.checks import (
    ModelCheck,
    agreement_is_evidence,
    em_converged,
    weights_are_bimodal,
)
from customer360.identity.features import EntityType, build_match_table
from customer360.identity.matching_connection import matching_connection
from customer360.identity.model_definition import (
    MAX_EM_ITERATIONS,
    prediction_blocking_rules,
    splink_settings,
    training_blocking_rules,
)

logger = logging.getLogger(__name__)

TRAINED_DIR = Path(__file__).parent / "trained"
PRIOR_KEY = "probability_two_random_records_match"
# Our own entries in the model JSON, taken out before Splink reads the model: how
# many records the prior was estimated on (see model_for) and the match threshold
# chosen for the model (calibration.choose_threshold).
RECORDS_KEY = "customer360_records_trained_on"
THRESHOLD_KEY = "customer360_match_threshold"
OWN_KEYS = (RECORDS_KEY, THRESHOLD_KEY)
# Splink's own advice is 1e6..1e8 sampled pairs for u; 5e6 keeps u stable to the
# third decimal on the demo and on FEBRL2 and costs about 12 s on two cores
U_SAMPLE_PAIRS = 5e6
DEFAULT_SEED = 1
# Floor of every m probability: at least one true pair in a thousand may fall in any
# level (a typo'd city, another street spelling). It bounds what one disagreement can
# weigh against a pair to about -10 bits.
M_FLOOR = 1e-3
# EM passes sample their blocked pairs down to about this many (Splink's EM
# sampling): a rule such as "same city and street start" makes 10^8 pairs at
# 100,000 customers (475 s for one pass), where 2e6 estimate m as well
EM_MAX_PAIRS = 2e6
# Fewer records than this give EM too few pairs to estimate anything: such a batch is
# resolved with the last good model (or the committed one).
MIN_TRAINING_RECORDS = 100
# The training's own scoring keeps pairs down to this Bayes factor (2^-10): enough of
# the non-match mode for the bimodality check, without keeping every blocked pair.
CHECK_MIN_LOG2_BAYES_FACTOR = -10.0
# Above this many records, the training's own scoring (prior, threshold, checks)
# runs on a sample of this many: at 1,000,000 person records it was half of the
# training time, and the figures it gives are shares, the same on a sample
SCORING_SAMPLE_RECORDS = 250_000
# random pairs scored beside the blocked ones for the bimodality check
RANDOM_PAIRS_MIN = 1_000
RANDOM_PAIRS_MAX = 200_000


def model_path(entity_type: EntityType) -> Path:
    """The committed starting model of an entity type."""
    return TRAINED_DIR / f"{entity_type}.json"


def load_model(model: dict[str, Any] | Path | str) -> dict[str, Any]:
    if isinstance(model, dict):
        return copy.deepcopy(model)
    return json.loads(Path(model).read_text())


def _as_arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, duckdb.DuckDBPyRelation):
        return table.arrow().read_all()
    return pa.table(table)


def _rule_sql(rule: Any) -> str:
    return rule.create_blocking_rule_dict("duckdb")["blocking_rule"]


@dataclass
class TrainedModel:
    """A model estimated on one batch of records, with what it rests on."""

    entity_type: EntityType
    settings: dict[str, Any]
    records: int
    trained_at: datetime
    prior: float = 0.0
    expected_matches: float = 0.0
    match_threshold: float | None = None
    curve: list[ExpectedAccuracy] = field(default_factory=list)
    passes: list[dict[str, Any]] = field(default_factory=list)
    checks: list[ModelCheck] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def failed_checks(self) -> list[ModelCheck]:
        return [check for check in self.checks if not check.passed]

    @property
    def chosen(self) -> ExpectedAccuracy | None:
        return next(
            (p for p in self.curve if p.threshold == self.match_threshold), None
        )

    def summary(self) -> str:
        """One paragraph a person reads in the build log."""
        head = (
            f"{self.entity_type}: trained on {self.records:,} records in"
            f" {self.seconds:.1f} s, prior {self.prior:.3g}"
            f" ({self.expected_matches:,.0f} expected matching pairs)"
        )
        chosen = self.chosen
        if chosen is not None:
            head += (
                f", threshold {chosen.threshold} (expected precision"
                f" {chosen.expected_precision:.4f},"
                f" recall {chosen.expected_recall:.4f})"
            )
        lines = [head]
        for check in self.checks:
            mark = "ok" if check.passed else "FAILED"
            lines.append(f"  {mark:<6} {check.name}: {check.detail}")
        return "\n".join(lines)


def _starting_settings(
    entity_type: EntityType, starting: dict[str, Any] | None
) -> dict[str, Any]:
    """The code's settings, with m and u copied from `starting` wherever a level is
    the same (same comparison, same conditions in the same order)."""
    settings = splink_settings(entity_type).create_settings_dict("duckdb")
    if not starting:
        return settings
    previous = {c.get("output_column_name"): c for c in starting.get("comparisons", [])}
    for comparison in settings["comparisons"]:
        old = previous.get(comparison.get("output_column_name"))
        if old is None:
            continue
        new_levels = comparison["comparison_levels"]
        old_levels = old.get("comparison_levels", [])
        if [lvl.get("sql_condition") for lvl in new_levels] != [
            lvl.get("sql_condition") for lvl in old_levels
        ]:
            continue
        for new, was in zip(new_levels, old_levels, strict=True):
            for key in ("m_probability", "u_probability"):
                if was.get(key) is not None:
                    new[key] = was[key]
    return settings


def _levels(model: dict[str, Any]) -> list[tuple[str, int, dict[str, Any]]]:
    return [
        (comparison["output_column_name"], index, level)
        for comparison in model["comparisons"]
        for index, level in enumerate(comparison["comparison_levels"])
        if not level.get("is_null_level")
    ]


def _level_indexes(model: dict[str, Any], name: str) -> dict[str, int]:
    """sql_condition -> index of the level in the comparison `name` of `model`."""
    for comparison in model["comparisons"]:
        if comparison["output_column_name"] == name:
            return {
                level.get("sql_condition"): index
                for index, level in enumerate(comparison["comparison_levels"])
            }
    return {}


def _learned_in(model: dict[str, Any] | None, level: dict[str, Any], name: str) -> bool:
    """The starting model has this level (same comparison, same condition) with an m
    that differs from its u: it learned something about it."""
    if not model:
        return False
    for comparison in model.get("comparisons", []):
        if comparison.get("output_column_name") != name:
            continue
        for old in comparison.get("comparison_levels", []):
            if old.get("sql_condition") == level.get("sql_condition"):
                m, u = old.get("m_probability"), old.get("u_probability")
                return (
                    isinstance(m, float | int)
                    and isinstance(u, float | int)
                    and (m != u)
                )
    return False


def _fill_unobserved_u(model: dict[str, Any], sampled_pairs: float) -> None:
    # a level never seen among the sampled random pairs is rarer than one in the
    # sample: half a pair's worth, rather than Splink's untrained default
    for _, _, level in _levels(model):
        if not isinstance(level.get("u_probability"), float | int):
            level["u_probability"] = 0.5 / max(sampled_pairs, 1.0)


def _floored(model: dict[str, Any], learned: set[tuple[str, int]]) -> None:
    """Floor every m at M_FLOOR and make each comparison's m sum to one.

    A level that EM never saw among its matches, in a comparison it learned
    something about, gets the floor: no true pair fell there. A comparison nothing
    was learned about (no such values in the records, and none in the starting
    model) gets m = u on every level: no evidence either way.
    """
    for comparison in model["comparisons"]:
        name = comparison["output_column_name"]
        levels = [
            (index, level)
            for index, level in enumerate(comparison["comparison_levels"])
            if not level.get("is_null_level")
        ]
        if not any((name, index) in learned for index, _ in levels):
            for _, level in levels:
                level["m_probability"] = level["u_probability"]
            continue
        for index, level in levels:
            m = level.get("m_probability") if (name, index) in learned else None
            level["m_probability"] = max(float(m or 0.0), M_FLOOR)
        total = sum(level["m_probability"] for _, level in levels)
        for _, level in levels:
            level["m_probability"] /= total


_em_floor_lock = threading.Lock()


@contextlib.contextmanager
def _floored_em_steps() -> Iterator[None]:
    """Splink's EM with every m floored at M_FLOOR in each maximisation step.

    Written here because Splink's EM has no smoothing: a level whose pairs are all
    non-matches (two different valid IINs) sees its m shrink by orders of magnitude
    per iteration until it underflows and Splink raises (at 100,000 demo customers,
    m 9e-312 in the name pass). A floor in each step is EM with a small
    pseudo-count, and keeps the pass's other estimates meaningful.
    """
    from splink.internals import expectation_maximisation as em

    original = em.compute_proportions_for_new_parameters

    def floored(df_params: Any) -> list[dict[str, Any]]:
        records = original(df_params)
        by_comparison: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            name = record["output_column_name"]
            if name != "_probability_two_random_records_match":
                by_comparison.setdefault(name, []).append(record)
        for levels in by_comparison.values():
            known = [r for r in levels if r["m_probability"] is not None]
            for record in known:
                record["m_probability"] = max(record["m_probability"], M_FLOOR)
            total = sum(r["m_probability"] for r in known)
            for record in known:
                record["m_probability"] /= total
        return records

    with _em_floor_lock:
        em.compute_proportions_for_new_parameters = floored
        try:
            yield
        finally:
            em.compute_proportions_for_new_parameters = original


def _em_pass(
    registered: Any,
    settings: dict[str, Any],
    rule: Any,
) -> tuple[dict[str, Any], dict[tuple[str, int], float]]:
    """One EM pass from `settings`: its report and the m it estimated per level."""
    from splink.internals.exceptions import EMTrainingException
    from splink.internals.expectation_maximisation import (
        _max_change_in_parameters_comparison_levels,
    )

    report: dict[str, Any] = {"rule": _rule_sql(rule), "iterations": 0}
    linker = Linker(registered, copy.deepcopy(settings), log_level=logging.ERROR)
    try:
        with _floored_em_steps():
            session = (
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS
                )
            )
    except EMTrainingException:
        report["status"] = "skipped"
        report["detail"] = "the rule finds no pairs in these records"
        return report, {}
    except Exception as error:  # EM diverging raises from deep inside Splink
        report["status"] = "failed"
        report["detail"] = f"{type(error).__name__}: {error}"[:300]
        return report, {}
    history = session._core_model_settings_history
    iterations = len(history) - 1
    settled = (
        iterations < MAX_EM_ITERATIONS
        or _max_change_in_parameters_comparison_levels(history)["max_abs_change_value"]
        < session.training_settings.em_convergence
    )
    report["iterations"] = iterations
    report["status"] = "converged" if settled else "not converged"
    report["match_share_in_block"] = history[-1].probability_two_random_records_match
    blocked = {
        info["comparison"].output_column_name
        for info in session._comparison_levels_to_reverse_blocking_rule
    }
    report["estimated"] = sorted(
        c["output_column_name"]
        for c in settings["comparisons"]
        if c["output_column_name"] not in blocked
    )
    # the pass's own estimates: a level EM never saw among these pairs keeps
    # Splink's "not observed" mark there, not a number
    from splink.internals.constants import LEVEL_NOT_OBSERVED_TEXT

    estimates = {}
    for comparison in session.core_model_settings.comparisons:
        name = comparison.output_column_name
        if name in blocked:
            continue
        conditions = _level_indexes(settings, name)
        for level in comparison._comparison_levels_excluding_null:
            m = level._m_probability
            if m == LEVEL_NOT_OBSERVED_TEXT or not isinstance(m, float | int):
                continue
            index = conditions.get(level.sql_condition)
            if index is not None:
                estimates[(name, index)] = float(m)
    return report, estimates


def train(
    table: pa.Table | duckdb.DuckDBPyRelation,
    entity_type: EntityType,
    starting_model: dict[str, Any] | Path | None = None,
    seed: int = DEFAULT_SEED,
    organisation_clusters: pa.Table | None = None,
    output_path: Path | None = None,
) -> TrainedModel:
    """Estimate and check a model on `table` (unioned records).

    `starting_model`: the model EM starts from (default: the committed one).
    `organisation_clusters` (persons): record_key, cluster_id of the resolved
    organisations, as in resolve. With `output_path`, the model JSON is written
    there (how the committed starting point is made). Deterministic for a given
    input and seed.
    """
    started = time.monotonic()
    trained_at = datetime.now(UTC).replace(tzinfo=None)
    con = matching_connection()
    con.register("input_records", _as_arrow(table))
    organisations = None
    if organisation_clusters is not None:
        con.register("organisation_clusters", _as_arrow(organisation_clusters))
        organisations = "organisation_clusters"
    match_table = build_match_table(
        con, "input_records", entity_type, organisation_clusters=organisations
    )
    records = con.sql(f"select count(*) from {match_table}").fetchall()[0][0]
    if starting_model is None:
        start_path = model_path(entity_type)
        starting_model = start_path if start_path.exists() else None
    starting = load_model(starting_model) if starting_model is not None else None
    settings = _starting_settings(entity_type, starting)
    result = TrainedModel(entity_type, settings, records, trained_at)
    if records < MIN_TRAINING_RECORDS:
        result.checks = [
            ModelCheck(
                "enough_records",
                False,
                f"{records:,} records; at least {MIN_TRAINING_RECORDS} are needed",
            )
        ]
        result.seconds = time.monotonic() - started
        return result

    db_api = DuckDBAPI(connection=con)
    prior0 = starting_prior(records)
    settings[PRIOR_KEY] = prior0
    sampled = min(U_SAMPLE_PAIRS, total_pairs(records))
    registered = db_api.register(
        match_table, dataset_display_name=f"{entity_type}_records"
    )
    linker = Linker(registered, copy.deepcopy(settings), log_level=logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=sampled, seed=seed)
    settings = linker.misc.save_model_to_json()
    _fill_unobserved_u(settings, sampled)

    estimates: dict[tuple[str, int], list[float]] = {}
    for rule in training_blocking_rules(entity_type):
        report, found = _em_pass(registered, settings, rule)
        result.passes.append(report)
        for key, m in found.items():
            estimates.setdefault(key, []).append(m)
    learned = set()
    for name, index, level in _levels(settings):
        if (name, index) in estimates:
            level["m_probability"] = statistics.median(estimates[(name, index)])
            learned.add((name, index))
        elif _learned_in(starting, level, name):
            learned.add((name, index))
    _floored(settings, learned)
    settings.pop("linker_uid", None)
    settings["blocking_rules_to_generate_predictions"] = prediction_blocking_rules(
        entity_type
    )

    # the prior, the threshold and the bimodality check need the scored pairs, not
    # all of them: on a large batch they are taken from a sample of its records (a
    # pair is kept when both its records are, so matches and pairs shrink alike and
    # the prior is the batch's)
    scoring_table, scored_records = match_table, records
    if records > SCORING_SAMPLE_RECORDS:
        share = SCORING_SAMPLE_RECORDS / records
        con.execute(
            f"create or replace table scoring_sample as select * from {match_table}"
            f" where hash(record_key || 'sample{seed}') % 1000000 < {share * 1e6:.0f}"
        )
        scoring_table = "scoring_sample"
        scored_records = con.sql("select count(*) from scoring_sample").fetchall()
        scored_records = scored_records[0][0]
        registered = db_api.register(
            scoring_table, dataset_display_name=f"{entity_type}_sample"
        )
    log2_bayes_factors = _scored_bayes_factors(registered, db_api, settings, prior0)
    estimate = estimate_prior(
        log2_bayes_factors, scored_records, start=starting_prior(scored_records)
    )
    probabilities = posterior(log2_bayes_factors, estimate.prior)
    result.curve = expected_curve(probabilities)
    chosen = choose_threshold(result.curve)
    settings[PRIOR_KEY] = estimate.prior
    settings[RECORDS_KEY] = records
    settings[THRESHOLD_KEY] = chosen.threshold
    result.settings = settings
    result.prior = estimate.prior
    result.expected_matches = estimate.prior * total_pairs(records)
    result.match_threshold = chosen.threshold
    random_weights = _random_pair_bayes_factors(
        con, db_api, scoring_table, settings, len(log2_bayes_factors), seed
    )
    result.checks = [
        em_converged(result.passes),
        agreement_is_evidence(settings),
        weights_are_bimodal(np.concatenate([log2_bayes_factors, random_weights])),
    ]
    result.seconds = time.monotonic() - started
    if output_path is not None:
        output_path.parent.mkdir(parents=True, exist_ok=True)
        output_path.write_text(
            json.dumps(settings, indent=2, ensure_ascii=False) + "\n"
        )
    return result


def _scored_bayes_factors(
    registered: Any, db_api: DuckDBAPI, settings: dict[str, Any], prior: float
) -> np.ndarray:
    """log2 Bayes factors of the blocked pairs down to CHECK_MIN_LOG2_BAYES_FACTOR."""
    scoring = copy.deepcopy(settings)
    for key in OWN_KEYS:
        scoring.pop(key, None)
    scoring[PRIOR_KEY] = prior
    scoring["retain_intermediate_calculation_columns"] = False
    scoring["retain_matching_columns"] = False
    scoring["additional_columns_to_retain"] = []
    linker = Linker(registered, scoring, log_level=logging.ERROR)
    prior_weight = math.log2(prior / (1 - prior))
    scored = linker.inference.predict(
        threshold_match_weight=prior_weight + CHECK_MIN_LOG2_BAYES_FACTOR,
        warning_mode="never",
    )
    column = db_api._con.sql(
        f"select match_weight - {prior_weight} as w from {scored.physical_name}"
    ).fetchnumpy()["w"]
    scored.drop_table_from_database_and_remove_from_cache()
    return np.asarray(column, dtype=float)


def _random_pair_bayes_factors(
    con: duckdb.DuckDBPyConnection,
    db_api: DuckDBAPI,
    match_table: str,
    settings: dict[str, Any],
    wanted: int,
    seed: int,
) -> np.ndarray:
    """log2 Bayes factors of random pairs, about as many as the blocked ones (at
    least RANDOM_PAIRS_MIN): the non-match mode of the weights, which blocking
    mostly keeps out of the scored pairs."""
    records = con.sql(f"select count(*) from {match_table}").fetchall()[0][0]
    wanted = int(min(max(wanted, RANDOM_PAIRS_MIN), RANDOM_PAIRS_MAX))
    blocks = max(1, round(total_pairs(records) / wanted))
    con.execute(
        f"create or replace table random_pair_records as select *,"
        f" hash(record_key || '{seed}') % {blocks} as random_block from {match_table}"
    )
    scoring = copy.deepcopy(settings)
    scoring[PRIOR_KEY] = 0.5
    scoring["blocking_rules_to_generate_predictions"] = [
        {"blocking_rule": 'l."random_block" = r."random_block"'}
    ]
    scoring["retain_intermediate_calculation_columns"] = False
    scoring["retain_matching_columns"] = False
    scoring["additional_columns_to_retain"] = []
    for key in OWN_KEYS:
        scoring.pop(key, None)
    linker = Linker(
        db_api.register("random_pair_records", dataset_display_name="random_pairs"),
        scoring,
        log_level=logging.ERROR,
    )
    scored = linker.inference.predict(warning_mode="never")
    column = con.sql(f"select match_weight from {scored.physical_name}").fetchnumpy()
    scored.drop_table_from_database_and_remove_from_cache()
    return np.asarray(column["match_weight"], dtype=float)


def model_for(
    model: dict[str, Any] | Path,
    records: int,
    entity_type: EntityType | None = None,
) -> dict[str, Any]:
    """The model as Splink settings for a batch of `records` records.

    The prior (the probability that two random records are the same) is not a
    property of the model but of the batch: each customer has about the same number
    of duplicates in a company of any size, so the matching pairs grow with n while
    all pairs grow with n^2, and the prior falls as 1/n. It is rescaled here by
    (n_trained - 1) / (n - 1) as a starting point; resolve then re-estimates it on
    the batch (calibration.estimate_prior). A model without its record count is used
    as it is.

    With `entity_type`, the prediction blocking rules come from settings.py, so that
    changing which pairs are scored does not need a retrained model.
    """
    from customer360.identity.calibration import MAX_PRIOR

    settings = load_model(model)
    for key in OWN_KEYS:
        settings.pop(key, None)
    trained_on = load_model(model).get(RECORDS_KEY)
    if trained_on and records > 1 and PRIOR_KEY in settings:
        scaled = settings[PRIOR_KEY] * (trained_on - 1) / (records - 1)
        settings[PRIOR_KEY] = min(scaled, MAX_PRIOR)
    if entity_type is not None:
        rules = prediction_blocking_rules(entity_type)
        settings["blocking_rules_to_generate_predictions"] = rules
    return settings


def match_threshold_of(model: dict[str, Any] | Path) -> float | None:
    """The threshold chosen when the model was trained, if it says."""
    return load_model(model).get(THRESHOLD_KEY)


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
    """What changed between two models: the prior, the threshold and m/u per level.

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
    for key, label in (
        (PRIOR_KEY, "prior"),
        (RECORDS_KEY, "records trained on"),
        (THRESHOLD_KEY, "match threshold"),
    ):
        if before.get(key) != after.get(key):
            lines.append(f"{label}: {before.get(key)} -> {after.get(key)}")
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
