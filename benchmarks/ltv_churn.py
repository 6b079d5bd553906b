"""Benchmark: LTV and churn engines on simulated customers, time and back-test error.

    .venv/bin/python benchmarks/ltv_churn.py --customers 100000

Simulates transactions from known BG/NBD and Gamma-Gamma parameters (2022 acquisition,
calibration to the end of 2023, hold-out 2024), times summarise / each fit / scoring,
prints the fitted parameters against the true ones and the back-test table; then
fits and evaluates the churn model on simulated features with churn labels built from
the same transactions. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd

from customer360.forecasts.churn import (
    ChurnModel,
    churn_labels,
    compare_feature_sets,
    evaluate,
)
from customer360.forecasts.ltv import (
    BGNBDParams,
    GammaGammaParams,
    backtest,
    fit_bgnbd,
    fit_gamma_gamma,
    score_customers,
    summarise,
)
from customer360.forecasts.simulate import simulate_transactions

TRUE_BGNBD = BGNBDParams(r=0.5, alpha=20.0, a=0.8, b=4.0)
TRUE_GAMMA_GAMMA = GammaGammaParams(p=6.0, q=4.0, v=300.0)


def timed(label: str, work):
    started = time.perf_counter()
    result = work()
    print(f"  {label:<28} {time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    print(f"{args.customers:,} simulated customers (seed {args.seed})")
    transactions = timed(
        "simulate",
        lambda: simulate_transactions(
            rng,
            args.customers,
            TRUE_BGNBD,
            TRUE_GAMMA_GAMMA,
            dt.date(2022, 1, 1),
            365,
            dt.date(2024, 12, 31),
        ),
    )
    print(f"  {len(transactions):,} transactions")
    summary = timed("summarise", lambda: summarise(transactions, "2023-12-31"))
    bgnbd = timed("fit BG/NBD", lambda: fit_bgnbd(summary))
    gamma_gamma = timed("fit Gamma-Gamma", lambda: fit_gamma_gamma(summary))
    timed("score customers", lambda: score_customers(summary, bgnbd, gamma_gamma))
    report = timed(
        "back-test (all of the above)",
        lambda: backtest(transactions, "2023-12-31", "2024-12-31"),
    )
    print("\nparameters     true     fitted")
    for name in ("r", "alpha", "a", "b"):
        print(
            f"  {name:<10} {getattr(TRUE_BGNBD, name):8.3f} {getattr(bgnbd, name):9.3f}"
        )
    for name in ("p", "q", "v"):
        true, fitted = getattr(TRUE_GAMMA_GAMMA, name), getattr(gamma_gamma, name)
        print(f"  {name:<10} {true:8.3f} {fitted:9.3f}")
    print(f"\nback-test, hold-out of {report.holdout_days} days:")
    print(report.as_table().to_string(index=False))

    # churn: labels from the simulated purchases, features from the summary plus
    # simulated "other source" signals correlated with the label
    print("\nchurn (180-day window)")
    train_labels = labels_and_features(transactions, "2023-06-30", rng)
    holdout_labels = labels_and_features(transactions, "2024-06-30", rng)
    one_c = ["days_since_last_purchase", "frequency", "T"]
    all_sources = [*one_c, "tickets", "satisfaction"]
    model = timed(
        "fit churn model",
        lambda: ChurnModel().fit(train_labels[all_sources], train_labels["churned"]),
    )
    result = evaluate(model, holdout_labels[all_sources], holdout_labels["churned"])
    print(
        f"  hold-out: {result.customers:,} customers, churn rate "
        f"{result.churn_rate:.3f}, ROC AUC {result.roc_auc:.3f}, "
        f"Brier {result.brier_score:.4f}"
    )
    print(result.calibration.to_string(index=False))
    comparison = compare_feature_sets(
        train_labels,
        train_labels["churned"],
        holdout_labels,
        holdout_labels["churned"],
        {"all sources": all_sources, "1C only": one_c},
    )
    print(comparison.to_string(index=False))


def labels_and_features(
    transactions: pd.DataFrame, cutoff: str, rng: np.random.Generator
) -> pd.DataFrame:
    labels = churn_labels(transactions, cutoff, active_within_days=365)
    summary = summarise(transactions, cutoff)
    table = labels.merge(summary, on="customer_id")
    churned = table["churned"].to_numpy()
    # stand-ins for support and telephony: noisy, but informative about churn
    table["tickets"] = rng.poisson(1.0 + 1.0 * churned)
    table["satisfaction"] = rng.normal(4.0 - 0.5 * churned, 0.8)
    table["days_since_last_purchase"] = table["T"] - table["recency"]
    return table


if __name__ == "__main__":
    main()
