"""Churn engine: labels at a cut-off, the logistic model, AUC, calibration, bands."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from customer360.forecasts.churn import (
    CHURN_DEFINITION,
    DEFAULT_CHURN_WINDOW_DAYS,
    ChurnModel,
    brier_score,
    calibration_table,
    churn_labels,
    compare_feature_sets,
    evaluate,
    holdout_report,
    labelled_customers,
    labels_problem,
    risk_band,
    roc_auc,
    usable_features,
)

TRUE_INTERCEPT = 0.5
TRUE_COEFFICIENTS = {"recency_days": 0.008, "calls": -0.25, "satisfaction": -0.4}

LABEL_ROWS = [
    ("A", "2024-01-10", 100.0),
    ("A", "2024-08-01", 50.0),  # back 32 days after the cut-off
    ("B", "2024-03-01", 80.0),  # never back
    ("C", "2024-06-30", 20.0),  # on the cut-off day: counts as before it
    ("C", "2024-12-27", 20.0),  # the window's last day
    ("D", "2024-05-01", 60.0),
    ("D", "2024-12-28", 60.0),  # one day after the window
    ("E", "2024-07-15", 90.0),  # first bought after the cut-off
    ("F", "2024-02-01", 40.0),
    ("F", "2024-09-01", -30.0),  # a return is not a purchase
]
CUTOFF = dt.date(2024, 6, 30)


def label_transactions() -> pd.DataFrame:
    return pd.DataFrame(
        LABEL_ROWS, columns=["customer_id", "purchased_on", "net_amount"]
    )


def simulated_customers(seed: int, rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Features on three scales and churn drawn from known log-odds."""
    rng = np.random.default_rng(seed)
    features = pd.DataFrame(
        {
            "recency_days": rng.uniform(0, 365, rows),
            "calls": rng.poisson(3, rows).astype(float),
            "satisfaction": rng.normal(4.0, 0.8, rows),
        }
    )
    log_odds = TRUE_INTERCEPT + sum(
        weight * features[name] for name, weight in TRUE_COEFFICIENTS.items()
    )
    churned = rng.random(rows) < 1 / (1 + np.exp(-log_odds))
    return features, churned


# -- labels ----------------------------------------------------------------------------


def test_churn_labels_follow_the_written_definition_at_a_cutoff():
    labels = churn_labels(label_transactions(), CUTOFF)
    assert DEFAULT_CHURN_WINDOW_DAYS == 180
    assert dict(zip(labels["customer_id"], labels["churned"], strict=True)) == {
        "A": False,
        "B": True,
        "C": False,
        "D": True,
        "F": True,
    }
    assert labels.set_index("customer_id").loc["C", "last_purchase_on"] == CUTOFF
    assert "180 days" in CHURN_DEFINITION.format(window_days=180)


def test_churn_window_and_active_population_are_parameters():
    short = churn_labels(label_transactions(), CUTOFF, window_days=30)
    assert short.set_index("customer_id").loc["A", "churned"]  # back on day 32
    recent = churn_labels(label_transactions(), CUTOFF, active_within_days=100)
    assert list(recent["customer_id"]) == ["C", "D"]


def test_churn_labels_refuse_a_window_the_data_do_not_cover():
    with pytest.raises(ValueError, match="complete only until 2024-12-28"):
        churn_labels(label_transactions(), "2024-08-01")
    with pytest.raises(ValueError, match="complete only until"):
        churn_labels(label_transactions(), CUTOFF, observed_until="2024-12-01")
    with pytest.raises(ValueError, match="no customer bought on or before"):
        churn_labels(label_transactions(), "2023-01-01")
    with pytest.raises(ValueError, match="window_days"):
        churn_labels(label_transactions(), CUTOFF, window_days=0)


# -- ROC AUC, Brier, calibration -------------------------------------------------------


def test_roc_auc_on_a_hand_computed_example_with_ties():
    labels = [1, 1, 0, 0, 1, 0]
    scores = [0.9, 0.5, 0.5, 0.2, 0.3, 0.3]
    # pairs (churner, stayer): 0.9 beats all three = 3; 0.5 ties 0.5, beats 0.2 and
    # 0.3 = 2.5; 0.3 loses to 0.5, beats 0.2, ties 0.3 = 1.5; (3 + 2.5 + 1.5) / 9
    assert roc_auc(labels, scores) == pytest.approx(7 / 9, abs=1e-15)
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert roc_auc([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == 0.0
    assert roc_auc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]) == 0.5


def test_roc_auc_equals_the_pairwise_definition_on_random_data():
    rng = np.random.default_rng(5)
    labels = rng.random(400) < 0.3
    scores = np.round(rng.random(400) + 0.3 * labels, 1)  # coarse: many ties
    positives, negatives = scores[labels], scores[~labels]
    wins = (positives[:, None] > negatives[None, :]).sum()
    ties = (positives[:, None] == negatives[None, :]).sum()
    pairwise = (wins + 0.5 * ties) / (len(positives) * len(negatives))
    assert roc_auc(labels, scores) == pytest.approx(pairwise, abs=1e-12)


def test_roc_auc_refuses_labels_of_one_class_and_bad_input():
    with pytest.raises(ValueError, match="both churners and stayers"):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="0/1 or booleans"):
        roc_auc([1, 2, 0], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="same length"):
        roc_auc([1, 0, 0], [0.1, 0.2])


def test_brier_score_by_hand():
    assert brier_score([1, 0], [0.8, 0.4]) == pytest.approx((0.2**2 + 0.4**2) / 2)
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        brier_score([1, 0], [1.2, 0.4])


def test_calibration_deciles_cover_every_customer_once():
    rng = np.random.default_rng(9)
    probabilities = np.round(rng.random(1003), 2)  # with ties across bin edges
    labels = rng.random(1003) < probabilities
    table = calibration_table(labels, probabilities)
    assert len(table) == 10
    assert table["customers"].sum() == 1003
    assert table["customers"].max() - table["customers"].min() <= 1
    weighted_rate = (table["observed_rate"] * table["customers"]).sum() / 1003
    assert weighted_rate == pytest.approx(labels.mean())
    assert table["mean_predicted"].is_monotonic_increasing
    with pytest.raises(ValueError, match="bins must be between 1"):
        calibration_table(labels[:5], probabilities[:5], bins=10)


# -- the model -------------------------------------------------------------------------


def test_logistic_regression_recovers_known_coefficients():
    features, churned = simulated_customers(seed=1, rows=20_000)
    model = ChurnModel(l2=1.0).fit(features, churned)
    for name, weight in TRUE_COEFFICIENTS.items():
        assert model.coefficients[name] == pytest.approx(weight, rel=0.12), name
    assert model.intercept == pytest.approx(TRUE_INTERCEPT, abs=0.25)


def test_a_model_fitted_on_one_period_is_calibrated_on_the_next():
    train, train_labels = simulated_customers(seed=2, rows=20_000)
    holdout, holdout_labels = simulated_customers(seed=3, rows=20_000)
    result = evaluate(ChurnModel().fit(train, train_labels), holdout, holdout_labels)
    assert result.customers == 20_000
    calibration = result.calibration
    gap = (calibration["mean_predicted"] - calibration["observed_rate"]).abs()
    assert gap.max() < 0.05
    assert 0.6 < result.roc_auc < 1.0
    assert result.brier_score < result.churn_rate * (1 - result.churn_rate)


def test_stronger_regularisation_shrinks_coefficients_towards_the_base_rate():
    features, churned = simulated_customers(seed=4, rows=2_000)
    loose = ChurnModel(l2=0.01).fit(features, churned).standardised_coefficients
    tight = ChurnModel(l2=2_000).fit(features, churned).standardised_coefficients
    assert np.all(tight.abs() < loose.abs())
    # the intercept is never penalised: fully shrunk, the model predicts the base rate
    rare = np.random.default_rng(4).random(2_000) < 0.15
    flat = ChurnModel(l2=1e9).fit(features, rare).predict_proba(features)
    np.testing.assert_allclose(flat, rare.mean(), atol=1e-4)


def test_predictions_match_columns_by_name_not_position():
    features, churned = simulated_customers(seed=5, rows=1_000)
    model = ChurnModel().fit(features, churned)
    shuffled = features[["satisfaction", "calls", "recency_days"]].assign(extra=1.0)
    np.testing.assert_allclose(
        model.predict_proba(shuffled), model.predict_proba(features)
    )


def test_churn_model_refuses_features_it_cannot_use():
    features, churned = simulated_customers(seed=6, rows=200)
    with pytest.raises(ValueError, match="one value on every row: \\['flat'\\]"):
        ChurnModel().fit(features.assign(flat=3.0), churned)
    with pytest.raises(ValueError, match="missing or infinite values: \\['calls'\\]"):
        ChurnModel().fit(features.assign(calls=np.nan), churned)
    with pytest.raises(ValueError, match="one class only"):
        ChurnModel().fit(features, np.zeros(200, dtype=bool))
    with pytest.raises(ValueError, match="one value per row"):
        ChurnModel().fit(features, churned[:10])
    with pytest.raises(RuntimeError, match="fit the model"):
        ChurnModel().predict_proba(features)
    model = ChurnModel().fit(features, churned)
    with pytest.raises(ValueError, match="lack column"):
        model.predict_proba(features.drop(columns="calls"))


def test_feature_sets_are_compared_on_the_same_holdout():
    # 1C sees recency only; calls and satisfaction come from the other sources
    train, train_labels = simulated_customers(seed=7, rows=5_000)
    holdout, holdout_labels = simulated_customers(seed=8, rows=5_000)
    comparison = compare_feature_sets(
        train,
        train_labels,
        holdout,
        holdout_labels,
        {
            "all sources": ["recency_days", "calls", "satisfaction"],
            "1C only": ["recency_days"],
        },
    ).set_index("feature_set")
    assert list(comparison.index) == ["all sources", "1C only"]
    assert set(comparison["holdout_customers"]) == {5_000}
    assert comparison.loc["all sources", "features"] == 3
    assert (
        comparison.loc["all sources", "roc_auc"] > comparison.loc["1C only", "roc_auc"]
    )
    assert (
        comparison.loc["all sources", "brier_score"]
        < comparison.loc["1C only", "brier_score"]
    )


# -- risk bands ------------------------------------------------------------------------


def test_risk_bands_split_at_the_documented_thresholds():
    probabilities = [0.0, 0.29, 0.3, 0.59, 0.6, 1.0]
    assert list(risk_band(probabilities)) == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]
    with pytest.raises(ValueError, match=r"lie in \[0, 1\]"):
        risk_band([1.2])


def test_every_probability_gets_exactly_one_band():
    grid = np.linspace(0, 1, 1001)
    bands = risk_band(grid)
    assert set(bands) == {"low", "medium", "high"}
    # bands are ordered: once a probability is high, every larger one is too
    order = {"low": 0, "medium": 1, "high": 2}
    ranks = [order[band] for band in bands]
    assert all(a <= b for a, b in itertools.pairwise(ranks))


# -- hold-out report for the warehouse -------------------------------------------------


def test_holdout_report_is_tidy_and_agrees_with_compare_feature_sets():
    train, train_labels = simulated_customers(seed=7, rows=2_000)
    holdout, holdout_labels = simulated_customers(seed=8, rows=2_000)
    train["no_calls_yet"] = 0.0  # a source with nothing before the training cut-off
    sets = {
        "all sources": ["recency_days", "calls", "satisfaction", "no_calls_yet"],
        "1C only": ["recency_days"],
    }
    metrics, calibration = holdout_report(
        train, train_labels, holdout, holdout_labels, sets
    )
    values = metrics.pivot(index="feature_set", columns="metric", values="value")
    usable = {**sets, "all sources": sets["all sources"][:3]}
    compared = compare_feature_sets(
        train, train_labels, holdout, holdout_labels, usable
    ).set_index("feature_set")
    for name in sets:
        assert values.loc[name, "roc_auc"] == compared.loc[name, "roc_auc"]
        assert values.loc[name, "brier_score"] == compared.loc[name, "brier_score"]
    assert values.loc["all sources", "features"] == 3
    assert "no_calls_yet" not in metrics.loc[0, "feature_list"]
    # predicting the base rate for everyone is the bar; the true features clear it
    assert (values["brier_score"] < values["reference_brier_score"]).all()
    assert calibration.groupby("feature_set")["customers"].sum().to_dict() == {
        "all sources": 2_000,
        "1C only": 2_000,
    }


def test_usable_features_drop_constant_missing_and_absent_columns():
    frame = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "b": [0.0, 0.0, 0.0], "c": [1.0, None, 2.0]}
    )
    assert usable_features(frame, ["a", "b", "c", "d"]) == (["a"], ["b", "c", "d"])


def test_labels_problem_names_too_few_customers_or_one_class():
    assert labels_problem([True, False] * 20) is None
    assert "fewer than" in labels_problem([True, False] * 5)
    assert "rarer class" in labels_problem([True] * 40 + [False] * 2)


def test_labelled_customers_say_why_a_cutoff_cannot_be_used():
    cutoffs = pd.DataFrame(
        {
            "cutoff_name": ["training", "holdout"],
            "cutoff_on": [dt.date(2025, 1, 1), dt.date(2025, 7, 1)],
            "window_days": [180, 180],
            "label_window_ends_on": [dt.date(2025, 6, 30), dt.date(2025, 12, 28)],
            "observed_until": [dt.date(2025, 9, 1)] * 2,
            "has_label_window": [True, False],
        }
    )
    features = pd.DataFrame(
        {
            "cutoff_name": ["training"] * 40,
            "customer_id": [f"c{i}" for i in range(40)],
            "recency_days": range(40),
        }
    )
    labels = features.loc[:, ["cutoff_name", "customer_id"]].assign(
        is_churned=[i % 2 == 0 for i in range(40)]
    )
    rows, reason = labelled_customers(cutoffs, features, labels, "training")
    assert reason is None and len(rows) == 40
    assert rows["is_churned"].sum() == 20
    rows, reason = labelled_customers(cutoffs, features, labels, "holdout")
    assert rows.empty and "observed only until 2025-09-01" in reason
    rows, reason = labelled_customers(cutoffs, features, labels.iloc[:10], "training")
    assert rows.empty and "10 labelled customers" in reason
