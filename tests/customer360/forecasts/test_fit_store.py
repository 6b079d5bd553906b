"""Kept forecast fits: when a build fits again, which fit scores, and that kept
parameters score exactly as the fit that made them."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from customer360.forecasts import ltv
from customer360.forecasts.churn import ChurnModel
from customer360.forecasts.fit_store import (
    RefitPolicy,
    choose_fit,
    empty_fits,
    fit_row,
    policy_from_config,
    refit_reason,
)
from customer360.forecasts.ltv import BGNBDParams, GammaGammaParams
from customer360.forecasts.simulate import simulate_transactions

MONDAY = dt.datetime(2026, 11, 30, 3, 0)
AS_OF = dt.date(2026, 11, 29)


def kept(*fits: dict) -> pa.Table:
    """Kept fits made one after another, as the fits model appends them."""
    table = empty_fits()
    for fit in fits:
        row = fit_row(
            table,
            fitted_at=fit.get("fitted_at", MONDAY),
            trigger=fit.get("trigger", "no fit yet"),
            customers=fit.get("customers", 1000),
            data_as_of=fit.get("data_as_of", AS_OF),
            parameters=fit.get("parameters", {"fit": len(table) + 1}),
            failed_checks=fit.get("failed_checks"),
            seconds=1.0,
        )
        table = pa.concat_tables([table, row])
    return table


def test_a_build_fits_when_nothing_was_fitted_yet():
    policy = RefitPolicy()
    assert refit_reason(None, 10, AS_OF, MONDAY, policy) == "no fit yet"
    assert refit_reason(empty_fits(), 10, AS_OF, MONDAY, policy) == "no fit yet"


def test_a_second_build_the_same_day_keeps_the_fit():
    later = MONDAY + dt.timedelta(hours=5)
    assert refit_reason(kept({}), 1050, AS_OF, later, RefitPolicy()) is None


def test_a_week_after_the_last_fit_the_build_fits_again():
    fits = kept({})
    policy = RefitPolicy()
    six_days = MONDAY + dt.timedelta(days=6, hours=23)
    assert refit_reason(fits, 1000, AS_OF, six_days, policy) is None
    eight_days = MONDAY + dt.timedelta(days=8)
    assert (
        refit_reason(fits, 1000, AS_OF, eight_days, policy)
        == "8 days since the last fit"
    )
    monthly = RefitPolicy(interval_days=30)
    assert refit_reason(fits, 1000, AS_OF, eight_days, monthly) is None


def test_a_base_grown_by_the_share_fits_again_and_a_smaller_growth_does_not():
    fits = kept({"customers": 1000})
    policy = RefitPolicy(growth_share=0.10)
    assert refit_reason(fits, 1099, AS_OF, MONDAY, policy) is None
    assert (
        refit_reason(fits, 1120, AS_OF, MONDAY, policy)
        == "base grew 12% since the last fit"
    )
    # a shrinking base (customers merged by identity resolution) is no reason
    assert refit_reason(fits, 800, AS_OF, MONDAY, policy) is None


def test_a_requested_refit_and_data_ending_earlier_fit_again():
    fits = kept({})
    requested = RefitPolicy(requested=True)
    assert refit_reason(fits, 1000, AS_OF, MONDAY, requested) == "requested"
    earlier = AS_OF - dt.timedelta(days=200)
    assert refit_reason(fits, 1000, earlier, MONDAY, RefitPolicy()) == (
        f"the data end on {earlier}, before the last fit's {AS_OF}"
    )


def test_a_rejected_fit_is_kept_and_the_last_accepted_one_scores_with_a_message():
    fits = kept(
        {"parameters": {"r": 1}},
        {
            "fitted_at": MONDAY + dt.timedelta(days=7),
            "trigger": "7 days since the last fit",
            "parameters": None,
            "failed_checks": "the BG/NBD fit did not converge",
        },
    )
    assert fits.column("version").to_pylist() == [1, 2]
    assert fits.column("status").to_pylist() == ["accepted", "rejected"]
    choice = choose_fit(fits, "LTV", AS_OF)
    assert (choice.version, choice.parameters) == (1, {"r": 1})
    assert choice.message == (
        "the LTV fit of 2026-12-07 03:00 (version 2) was rejected (the BG/NBD fit"
        " did not converge); scoring with version 1, fitted 2026-11-30 03:00"
    )
    # the rejected fit still counts for the schedule: no retry on every build
    tomorrow = MONDAY + dt.timedelta(days=8)
    assert refit_reason(fits, 1000, AS_OF, tomorrow, RefitPolicy()) is None


def test_without_an_accepted_fit_nothing_scores_and_the_reason_is_given():
    fits = kept({"parameters": None, "failed_checks": "7 repeat buyers"})
    choice = choose_fit(fits, "LTV", AS_OF)
    assert choice.parameters is None
    assert choice.message == "no accepted LTV fit to score with (7 repeat buyers)"
    assert choose_fit(None, "churn", AS_OF).message == "no churn fit yet"


def test_a_fit_that_saw_later_data_never_scores_earlier_data():
    fits = kept({"data_as_of": AS_OF})
    choice = choose_fit(fits, "churn", AS_OF - dt.timedelta(days=1))
    assert choice.parameters is None
    assert "saw data after" in choice.message
    assert choose_fit(fits, "churn", AS_OF).version == 1


def test_the_policy_comes_from_the_models_config_and_bad_values_are_named():
    config = {"refit_days": "14", "refit_growth": "0.25", "refit_requested": "True"}
    assert policy_from_config(config) == RefitPolicy(14, 0.25, True)
    assert policy_from_config({}) == RefitPolicy(7, 0.10, False)
    with pytest.raises(ValueError, match="forecast_refit_days='a week'"):
        policy_from_config({"refit_days": "a week"})
    with pytest.raises(ValueError, match="forecast_refit_growth=-0.1"):
        policy_from_config({"refit_growth": "-0.1"})


def test_kept_ltv_parameters_score_as_the_fit_that_made_them():
    sales = simulate_transactions(
        np.random.default_rng(7),
        600,
        BGNBDParams(r=0.5, alpha=20.0, a=0.8, b=4.0),
        GammaGammaParams(p=6.0, q=4.0, v=300.0),
        first_day=dt.date(2023, 1, 1),
        acquisition_days=365,
        last_day=dt.date(2024, 12, 31),
    )
    summary = ltv.summarise(sales, dt.date(2024, 12, 31))
    parameters, failed = ltv.fit_parameters(summary)
    assert failed is None
    bgnbd, gamma_gamma = ltv.parameters_from(json.loads(json.dumps(parameters)))
    fresh = ltv.score_customers(
        summary, ltv.fit_bgnbd(summary), ltv.fit_gamma_gamma(summary)
    )
    kept_scores = ltv.score_customers(summary, bgnbd, gamma_gamma)
    np.testing.assert_allclose(
        kept_scores.drop(columns="customer_id").to_numpy(dtype=float),
        fresh.drop(columns="customer_id").to_numpy(dtype=float),
    )
    one_timers = summary.loc[summary["frequency"] == 0].head(30)
    too_few, reason = ltv.fit_parameters(one_timers)
    assert too_few is None and "repeat buyers" in reason


def test_a_kept_churn_model_predicts_as_the_fitted_one():
    rng = np.random.default_rng(3)
    features = {
        "recency_days": rng.uniform(0, 365, 500),
        "calls": rng.poisson(3, 500).astype(float),
    }
    frame = pd.DataFrame(features)
    churned = rng.random(500) < 1 / (1 + np.exp(-(frame["recency_days"] / 100 - 2)))
    model = ChurnModel().fit(frame, churned)
    again = ChurnModel.from_dict(json.loads(json.dumps(model.as_dict())))
    np.testing.assert_allclose(again.predict_proba(frame), model.predict_proba(frame))
    assert again.feature_names == model.feature_names
