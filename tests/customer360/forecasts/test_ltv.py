"""LTV engine: the summary, both likelihoods, parameter recovery and the back-test."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate

from customer360.forecasts.ltv import (
    BGNBDParams,
    GammaGammaParams,
    backtest,
    bgnbd_log_likelihood,
    expected_average_spend,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_log_likelihood,
    predicted_value,
    probability_alive,
    score_customers,
    summarise,
)
from customer360.forecasts.simulate import simulate_transactions

TRUE_BGNBD = BGNBDParams(r=0.5, alpha=20.0, a=0.8, b=4.0)
TRUE_GAMMA_GAMMA = GammaGammaParams(p=6.0, q=4.0, v=300.0)
CALIBRATION_END = "2023-12-31"
HOLDOUT_END = "2024-12-31"


def transactions(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "purchased_on", "net_amount"])


def summary(rows: list[tuple[int, int, int, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["frequency", "recency", "T", "monetary_value"])
    frame.insert(0, "customer_id", [f"C{i}" for i in range(len(rows))])
    return frame


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    """5,000 customers acquired during 2022, purchases to the end of 2024 (seed 7)."""
    return simulate_transactions(
        np.random.default_rng(7),
        5000,
        TRUE_BGNBD,
        TRUE_GAMMA_GAMMA,
        first_day=dt.date(2022, 1, 1),
        acquisition_days=365,
        last_day=dt.date(2024, 12, 31),
    )


@pytest.fixture(scope="module")
def simulated_summary(simulated: pd.DataFrame) -> pd.DataFrame:
    return summarise(simulated, CALIBRATION_END)


# -- summarise -------------------------------------------------------------------------


def test_summary_counts_purchase_days_recency_and_age_per_customer():
    rows = [
        # two documents on one day are one purchase day of 150
        ("A", "2024-01-01", 100.0),
        ("A", "2024-01-01", 50.0),
        ("A", "2024-01-11", 40.0),
        ("A", "2024-01-31", 60.0),
        ("A", "2024-03-01", 999.0),  # after the observation end
        ("B", "2024-01-21", 80.0),
        ("C", "2024-01-05", 200.0),
        ("C", "2024-01-15", -200.0),  # a return day is not a purchase
        ("C", "2024-01-20", 30.0),
        ("C", "2024-01-20", -10.0),  # nets to a purchase day of 20
        ("D", "2024-02-15", 70.0),  # first purchase after the end: not a customer yet
        ("E", "2024-01-03", -50.0),  # only a return: never bought
    ]
    result = summarise(transactions(rows), dt.date(2024, 2, 10))
    expected = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C"],
            "frequency": [2, 0, 1],
            "recency": [30, 0, 15],
            "T": [40, 20, 36],
            "monetary_value": [50.0, 0.0, 20.0],
            "first_purchase_on": [
                dt.date(2024, 1, 1),
                dt.date(2024, 1, 21),
                dt.date(2024, 1, 5),
            ],
        }
    )
    pd.testing.assert_frame_equal(result, expected)


def test_summary_refuses_input_it_cannot_read():
    good = transactions([("A", "2024-01-01", 10.0)])
    with pytest.raises(ValueError, match="lack column"):
        summarise(good.drop(columns="net_amount"), "2024-02-01")
    with pytest.raises(ValueError, match="no purchase on or before"):
        summarise(good, "2023-12-31")
    with pytest.raises(ValueError, match="not dates"):
        summarise(transactions([("A", "yesterday-ish", 10.0)]), "2024-02-01")
    with pytest.raises(ValueError, match="without a customer_id"):
        summarise(transactions([(None, "2024-01-01", 10.0)]), "2024-02-01")
    with pytest.raises(ValueError, match="observation_end must be a date"):
        summarise(good, "not a date")


# -- the likelihoods against a direct evaluation ---------------------------------------


def test_bgnbd_log_likelihood_matches_the_papers_formula_evaluated_directly():
    r, alpha, a, b = 0.7, 5.0, 1.3, 2.4

    def beta(p: float, q: float) -> float:
        return math.gamma(p) * math.gamma(q) / math.gamma(p + q)

    def direct(x: int, t_x: float, T: float) -> float:
        # Fader, Hardie & Lee (2005), eq. 6, term by term without logs
        purchase = math.gamma(r + x) * alpha**r / math.gamma(r)
        alive = beta(a, b + x) / beta(a, b) * purchase / (alpha + T) ** (r + x)
        dropped = (
            beta(a + 1, b + x - 1) / beta(a, b) * purchase / (alpha + t_x) ** (r + x)
            if x > 0
            else 0.0
        )
        return math.log(alive + dropped)

    customers = [(0, 0.0, 10.0), (1, 2.0, 9.0), (3, 8.0, 12.0), (6, 30.0, 31.0)]
    x, t_x, T = (
        np.array(column, dtype=float) for column in zip(*customers, strict=True)
    )
    result = bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T)
    np.testing.assert_allclose(result, [direct(*c) for c in customers], rtol=1e-12)


def test_gamma_gamma_log_likelihood_matches_the_formula_and_is_a_density():
    p, q, v = 2.5, 3.0, 40.0
    x, m = 3.0, 17.0
    direct = (
        math.gamma(p * x + q)
        / (math.gamma(p * x) * math.gamma(q))
        * v**q
        * (m * x) ** (p * x - 1)
        * x
        / (v + m * x) ** (p * x + q)
    )
    assert gamma_gamma_log_likelihood(p, q, v, np.array([x]), np.array([m]))[
        0
    ] == pytest.approx(math.log(direct), rel=1e-12)
    # a density of the mean spend: it integrates to 1 over m for any x
    total, _ = integrate.quad(
        lambda mean: math.exp(
            gamma_gamma_log_likelihood(p, q, v, np.array([x]), np.array([mean]))[0]
        ),
        0,
        np.inf,
    )
    assert total == pytest.approx(1.0, abs=1e-7)


# -- fitting recovers the parameters that made the data --------------------------------


def test_bgnbd_fit_recovers_the_simulated_parameters(simulated_summary):
    fitted = fit_bgnbd(simulated_summary)
    assert fitted.customers == 5000
    # relative tolerances: r and alpha are sharply identified by 5,000 customers;
    # the dropout's Beta(a, b) rests on fewer events and wanders more between seeds
    assert fitted.r == pytest.approx(TRUE_BGNBD.r, rel=0.10)
    assert fitted.alpha == pytest.approx(TRUE_BGNBD.alpha, rel=0.10)
    assert fitted.a == pytest.approx(TRUE_BGNBD.a, rel=0.25)
    assert fitted.b == pytest.approx(TRUE_BGNBD.b, rel=0.30)
    # the maximum is a maximum: the true parameters explain the data less well
    x, t_x, T = (simulated_summary[c].to_numpy() for c in ("frequency", "recency", "T"))
    at_truth = bgnbd_log_likelihood(0.5, 20.0, 0.8, 4.0, x, t_x, T).sum()
    assert fitted.log_likelihood >= at_truth


def test_gamma_gamma_fit_recovers_the_simulated_parameters(simulated_summary):
    fitted = fit_gamma_gamma(simulated_summary)
    repeat_buyers = int((simulated_summary["frequency"] > 0).sum())
    assert fitted.customers == repeat_buyers
    assert fitted.excluded_non_positive == 0
    assert fitted.p == pytest.approx(TRUE_GAMMA_GAMMA.p, rel=0.15)
    assert fitted.q == pytest.approx(TRUE_GAMMA_GAMMA.q, rel=0.15)
    assert fitted.v == pytest.approx(TRUE_GAMMA_GAMMA.v, rel=0.20)
    assert fitted.population_mean_spend == pytest.approx(6.0 * 300 / 3, rel=0.05)
    assert abs(fitted.frequency_monetary_correlation) < 0.1


def test_backtest_on_simulated_data_predicts_the_holdout_closely(simulated):
    report = backtest(simulated, CALIBRATION_END, HOLDOUT_END)
    assert report.customers == simulated["customer_id"].nunique()
    assert report.holdout_days == 366
    assert abs(report.purchases_error_pct) < 8.0
    assert abs(report.value_error_pct) < 10.0
    # per customer, better than carrying each customer's past rate forward
    per_customer = report.per_customer.merge(
        summarise(simulated, CALIBRATION_END), on="customer_id"
    )
    naive = per_customer["frequency"] / per_customer["T"].clip(lower=1) * 366
    naive_mae = np.mean(np.abs(naive - per_customer["actual_purchases"]))
    assert report.mae_purchases < naive_mae
    table = report.as_table()
    assert list(table["measure"]) == ["purchases", "value"]
    assert table.loc[0, "actual_total"] == report.actual_purchases


# -- predictions -----------------------------------------------------------------------


def test_expected_purchases_of_a_new_customer_match_a_simulation_of_the_model():
    rng = np.random.default_rng(11)
    people, horizon = 100_000, 365.0
    rate = rng.gamma(TRUE_BGNBD.r, 1 / TRUE_BGNBD.alpha, people)
    dropout = rng.beta(TRUE_BGNBD.a, TRUE_BGNBD.b, people)
    clock, purchases = np.zeros(people), np.zeros(people)
    active = np.arange(people)
    while active.size:
        clock[active] += rng.exponential(1 / rate[active])
        within = clock[active] <= horizon
        purchases[active[within]] += 1
        stays = rng.random(active.size) >= dropout[active]
        active = active[within & stays]
    simulated_mean = purchases.mean()
    standard_error = purchases.std() / math.sqrt(people)
    newcomer = summary([(0, 0, 0, 0.0)])
    predicted = expected_purchases(newcomer, TRUE_BGNBD, horizon)[0]
    assert abs(predicted - simulated_mean) < 4 * standard_error


def test_probability_alive_falls_with_time_since_the_last_purchase():
    customers = summary(
        [(0, 0, 200, 0.0), (5, 190, 200, 10.0), (5, 60, 200, 10.0), (5, 10, 200, 10.0)]
    )
    alive = probability_alive(customers, TRUE_BGNBD)
    assert alive[0] == 1.0  # no repeat purchase yet: BG/NBD has had no chance to drop
    assert alive[1] > alive[2] > alive[3]
    r, alpha, a, b = 0.5, 20.0, 0.8, 4.0
    by_hand = 1 / (1 + a / (b + 5 - 1) * ((alpha + 200) / (alpha + 60)) ** (r + 5))
    assert alive[2] == pytest.approx(by_hand, rel=1e-12)
    purchases = expected_purchases(customers, TRUE_BGNBD, 365)
    assert purchases[1] > purchases[2] > purchases[3] > 0
    assert np.all(expected_purchases(customers, TRUE_BGNBD, 0) == 0)


def test_expected_spend_shrinks_a_customers_mean_towards_the_population_mean():
    params = GammaGammaParams(p=2.0, q=3.0, v=10.0)
    customers = summary([(0, 0, 50, 0.0), (2, 20, 50, 20.0), (400, 49, 50, 20.0)])
    spend = expected_average_spend(customers, params)
    assert spend[0] == pytest.approx(10.0)  # p v / (q - 1)
    assert spend[1] == pytest.approx(2 * (10 + 2 * 20) / (2 * 2 + 3 - 1))
    assert 20.0 > spend[2] > spend[1]  # many purchases: close to the customer's own


def test_predicted_value_is_purchases_times_spend_and_discounting_lowers_it():
    params = GammaGammaParams(p=2.0, q=3.0, v=10.0)
    customers = summary([(0, 0, 50, 0.0), (3, 40, 50, 30.0)])
    plain = predicted_value(customers, TRUE_BGNBD, params)
    np.testing.assert_allclose(
        plain,
        expected_purchases(customers, TRUE_BGNBD, 365)
        * expected_average_spend(customers, params),
    )
    # twelve discounted steps add up to the undiscounted value at a zero rate...
    nearly_plain = predicted_value(customers, TRUE_BGNBD, params, 365, 1e-12)
    np.testing.assert_allclose(nearly_plain, plain, rtol=1e-9)
    # ...and to less than it, but more than the whole year discounted, at 20%
    discounted = predicted_value(customers, TRUE_BGNBD, params, 365, 0.20)
    assert np.all(discounted < plain)
    assert np.all(discounted > plain / 1.20)
    scores = score_customers(customers, TRUE_BGNBD, params)
    np.testing.assert_allclose(scores["predicted_value"], plain)


# -- clear errors on data the models cannot use ----------------------------------------


def test_fits_refuse_a_base_without_repeat_buyers():
    one_timers = summary([(0, 0, 30, 0.0), (0, 0, 90, 0.0)])
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        fit_bgnbd(one_timers)
    with pytest.raises(ValueError, match="no customer has a repeat purchase"):
        fit_gamma_gamma(one_timers)


def test_gamma_gamma_excludes_non_positive_spend_and_counts_it(simulated_summary):
    refunds = summary([(2, 10, 20, -15.0), (1, 5, 20, 0.0)])
    with_refunds = pd.concat([simulated_summary, refunds], ignore_index=True)
    fitted = fit_gamma_gamma(with_refunds)
    assert fitted.excluded_non_positive == 2
    assert fitted.customers == int((simulated_summary["frequency"] > 0).sum())
    with pytest.raises(ValueError, match="2 excluded for spend <= 0"):
        fit_gamma_gamma(refunds)


def test_models_refuse_impossible_summaries():
    with pytest.raises(ValueError, match="recency must lie between 0 and T"):
        fit_bgnbd(summary([(2, 40, 30, 5.0)]))
    with pytest.raises(ValueError, match="whole number"):
        fit_bgnbd(summary([(-1, 0, 30, 5.0)]))
    with pytest.raises(ValueError, match="lacks column"):
        fit_bgnbd(pd.DataFrame({"frequency": [1], "T": [3]}))
    with pytest.raises(ValueError, match="infinite"):
        expected_average_spend(
            summary([(1, 1, 2, 5.0)]), GammaGammaParams(p=1.0, q=0.9, v=1.0)
        )
    with pytest.raises(ValueError, match="days must be >= 0"):
        expected_purchases(summary([(1, 1, 2, 5.0)]), TRUE_BGNBD, -1)
    with pytest.raises(ValueError, match="holdout_end must be after cutoff"):
        backtest(transactions([("A", "2024-01-01", 1.0)]), "2024-02-01", "2024-01-01")
