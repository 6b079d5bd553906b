"""The checks a model trained on a company's records must pass before it is used.

A model estimated by EM can be wrong without any error: a pass that never settles,
a level that EM explains backwards (a disagreement that counts as evidence of a
match), or parameters that do not separate the pairs at all. Each check here returns
a named result with the figures it rests on, so that a rejected model says why.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

# The weights of the scored pairs (blocked pairs, and a random sample of pairs for the
# non-match mode) are binned in BIN_BITS-wide bins and smoothed over SMOOTHING_BINS.
# They are bimodal when, at some positive weight, the smoothed histogram dips to at
# most MAX_VALLEY_RATIO of the lower of the highest bins on either side: a non-match
# mode, a valley, and a match mode. Measured: FEBRL1/2 and the demo's persons and
# organisations at 10,000 and 100,000 customers dip to 0.00-0.14; weights of a model
# that separates nothing (one mode around 0) never dip below 1.
BIN_BITS = 2.0
SMOOTHING_BINS = 3
MAX_VALLEY_RATIO = 0.5
# each mode must hold at least this many pairs in its highest bin: fewer cannot tell
# a mode from a handful of outliers
MIN_MODE_PAIRS = 5


@dataclass(frozen=True)
class ModelCheck:
    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def em_converged(passes: list[dict[str, Any]]) -> ModelCheck:
    """Every EM pass that ran settled before its iteration limit; at least one ran."""
    ran = [p for p in passes if p["status"] != "skipped"]
    failed = [p for p in ran if p["status"] != "converged"]
    if not ran:
        return ModelCheck(
            "em_converged",
            False,
            "no EM pass could run: no training rule found pairs in these records",
        )
    if failed:
        listed = "; ".join(f"{p['rule']}: {p['status']}" for p in failed)
        return ModelCheck("em_converged", False, f"did not settle: {listed}")
    listed = ", ".join(f"{p['rule']} ({p['iterations']} iterations)" for p in ran)
    return ModelCheck("em_converged", True, listed)


def agreement_is_evidence(model: dict[str, Any]) -> ModelCheck:
    """Each comparison's closest agreement level is more likely among matches than
    among non-matches (m > u), and its last level, where the values disagree, less."""
    backwards = []
    for comparison in model.get("comparisons", []):
        name = comparison.get("output_column_name", "?")
        levels = [
            lvl
            for lvl in comparison.get("comparison_levels", [])
            if not lvl.get("is_null_level")
        ]
        if len(levels) < 2:
            continue
        first, last = levels[0], levels[-1]
        for level, should_exceed in ((first, True), (last, False)):
            m, u = level.get("m_probability"), level.get("u_probability")
            # m = u: nothing was learned about the level (no such values here)
            if m is None or u is None or m == u:
                continue
            if (m > u) != should_exceed:
                label = level.get("label_for_charts") or level.get("sql_condition")
                backwards.append(f"{name} / {label}: m {m:.3g}, u {u:.3g}")
    if backwards:
        return ModelCheck(
            "agreement_is_evidence",
            False,
            "levels that count the wrong way: " + "; ".join(backwards),
        )
    return ModelCheck(
        "agreement_is_evidence",
        True,
        "every comparison's closest level has m > u and its last level m < u",
    )


def weights_are_bimodal(weights: np.ndarray) -> ModelCheck:
    """The pairs' match weights (without the prior) form a non-match mode and a
    match mode with a valley between them at a positive weight."""
    weights = np.asarray(weights, dtype=float)
    weights = weights[np.isfinite(weights)]
    if len(weights) < 2 * MIN_MODE_PAIRS:
        return ModelCheck(
            "weights_are_bimodal",
            False,
            f"only {len(weights)} scored pairs: too few to see two modes",
        )
    edges = np.arange(
        math.floor(weights.min()), math.ceil(weights.max()) + 2 * BIN_BITS, BIN_BITS
    )
    counts, edges = np.histogram(weights, bins=edges)
    smoothed = np.convolve(counts, np.ones(SMOOTHING_BINS) / SMOOTHING_BINS, "same")
    best: tuple[float, float, int] | None = None
    for index in range(1, len(smoothed) - 1):
        if edges[index] < 0:
            continue
        left, right = smoothed[:index].max(), smoothed[index + 1 :].max()
        if min(left, right) < MIN_MODE_PAIRS:
            continue
        ratio = float(smoothed[index] / min(left, right))
        if best is None or ratio < best[0]:
            best = (ratio, float(edges[index]), int(counts[index + 1 :].sum()))
    if best is None:
        return ModelCheck(
            "weights_are_bimodal",
            False,
            f"no match mode: of {len(weights):,} pairs, none form a second peak at a"
            " positive weight",
        )
    ratio, at, above = best
    detail = (
        f"valley at {at:+.0f} bits, {ratio:.2f} of the lower peak (needed <="
        f" {MAX_VALLEY_RATIO}); {above:,} of {len(weights):,} pairs above it"
    )
    return ModelCheck("weights_are_bimodal", ratio <= MAX_VALLEY_RATIO, detail)
