"""Match probabilities that mean what they say on a company's own records.

A Splink score is a Bayes factor (how much more likely the pair's agreement pattern
is among matches than among non-matches) times the prior odds that two records of
this batch are the same. Neither the prior nor a threshold can be carried from one
company to another, so both are taken from the batch at hand:

- the prior is the share of all pairs that the model itself expects to be matches:
  starting from a guess, each pair's match probability under the current prior is
  summed and divided by the number of pairs, until the prior stops moving (the EM
  update of a mixture's weight, with the model's m and u fixed). Pairs that no
  blocking rule brings together, and pairs below the Bayes factor the caller scores
  down to, are taken to be non-matches: a pair with a Bayes factor b has a
  probability of about b x the prior, so they add a few matches in all;
- a threshold is chosen on the expected precision and recall that the same
  probabilities imply: with calibrated probabilities, a pair at 0.9 is a wrong
  merge one time in ten, so the expected number of wrong merges above a threshold is
  the sum of (1 - probability) over the pairs above it.

Both rest on the model fitting the data, which training checks (checks.py) before a
model is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# the prior never rises above this however small the batch: two records are never
# presumed to be the same before any field is compared
MAX_PRIOR = 0.5
# stop iterating the prior when it moves by less than this share of itself
_PRIOR_TOLERANCE = 1e-6
_PRIOR_MAX_ITERATIONS = 500
# Bayes factors are capped before exponentiating; 2^60 is certainty for any batch
_MAX_LOG2_BAYES_FACTOR = 60.0

# The thresholds a model may choose between. Below 0.5 a pair is more likely not
# the same than the same; above 0.99 almost every pair the model is unsure of waits
# for a reviewer.
CANDIDATE_THRESHOLDS: tuple[float, ...] = (
    0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99,
)  # fmt: skip
# A threshold is chosen as the lowest candidate whose expected precision reaches
# this floor (a wrong merge costs more than a missed one: it mixes two customers'
# money and contacts, while a missed pair waits in the review queue); when none
# reaches it, the highest candidate. The floor is on pairs, and clusters join pairs
# transitively: one wrong link between clusters of a and b records makes a x b wrong
# pairs, so a pairwise 0.999 gives about 0.99-0.995 on the clusters (measured on the
# demo's persons, where the probabilities are most overconfident: namesakes with the
# same patronymic score as if name and patronymic were independent).
TARGET_PRECISION = 0.999


def total_pairs(records: int) -> float:
    return records * (records - 1) / 2


def starting_prior(records: int) -> float:
    """A first guess for the prior: one record in five has one duplicate."""
    if records < 2:
        return MAX_PRIOR
    return min(0.2 / (records - 1), MAX_PRIOR)


def posterior(log2_bayes_factors: np.ndarray, prior: float) -> np.ndarray:
    """Match probabilities of pairs with these Bayes factors under `prior`."""
    log2_odds = np.minimum(log2_bayes_factors, _MAX_LOG2_BAYES_FACTOR) + math.log2(
        prior / (1 - prior)
    )
    return 1.0 / (1.0 + np.power(2.0, -np.clip(log2_odds, -1000, 1000)))


@dataclass(frozen=True)
class PriorEstimate:
    prior: float
    expected_matches: float
    iterations: int
    converged: bool


def estimate_prior(
    log2_bayes_factors: np.ndarray, records: int, start: float | None = None
) -> PriorEstimate:
    """The prior at which the expected number of matching pairs, summed over the
    scored pairs, equals prior x all pairs (see the module docstring)."""
    pairs = total_pairs(records)
    if pairs <= 0 or len(log2_bayes_factors) == 0:
        return PriorEstimate(start or starting_prior(records), 0.0, 0, True)
    prior = start or starting_prior(records)
    for iteration in range(1, _PRIOR_MAX_ITERATIONS + 1):
        expected = float(posterior(log2_bayes_factors, prior).sum())
        updated = min(max(expected / pairs, 1.0 / (pairs * 1e6)), MAX_PRIOR)
        if abs(updated - prior) <= _PRIOR_TOLERANCE * prior:
            return PriorEstimate(updated, expected, iteration, True)
        prior = updated
    expected = float(posterior(log2_bayes_factors, prior).sum())
    return PriorEstimate(prior, expected, _PRIOR_MAX_ITERATIONS, False)


@dataclass(frozen=True)
class ExpectedAccuracy:
    """What the probabilities imply at one threshold, without any ground truth."""

    threshold: float
    pairs_above: int
    expected_precision: float
    expected_recall: float

    @property
    def expected_f1(self) -> float:
        p, r = self.expected_precision, self.expected_recall
        return 2 * p * r / (p + r) if p + r else 0.0


def expected_curve(
    probabilities: np.ndarray,
    thresholds: tuple[float, ...] = CANDIDATE_THRESHOLDS,
) -> list[ExpectedAccuracy]:
    """Expected precision and recall of the scored pairs at each threshold: expected
    true matches above it / pairs above it, and / all expected matches."""
    expected_matches = float(probabilities.sum())
    curve = []
    for threshold in thresholds:
        above = probabilities[probabilities >= threshold]
        precision = float(above.mean()) if len(above) else 1.0
        recall = float(above.sum()) / expected_matches if expected_matches else 1.0
        curve.append(ExpectedAccuracy(threshold, len(above), precision, recall))
    return curve


def choose_threshold(curve: list[ExpectedAccuracy]) -> ExpectedAccuracy:
    """The lowest threshold whose expected precision reaches TARGET_PRECISION."""
    for point in curve:
        if point.expected_precision >= TARGET_PRECISION:
            return point
    return curve[-1]
