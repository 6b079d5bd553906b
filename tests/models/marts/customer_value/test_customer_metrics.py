"""customer_rfm, customer_revenue_pareto, customer_ltv and customer_ltv_backtest on the
shared generated company, checked against figures booked independently from fct_sales;
and the LTV Python models' own code on simulated purchases where the engine must fit,
and on too little data where it must not crash."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
from collections import defaultdict
from decimal import Decimal
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from customer360.forecasts.fit_store import FitChoice, choose_fit, fit_row
from customer360.forecasts.ltv import (
    BGNBDParams,
    GammaGammaParams,
    fit_parameters,
    summarise,
)
from customer360.forecasts.simulate import simulate_transactions
from tests.landed_company import PROJECT_DIR, BuiltCompany

MODELS_DIR = PROJECT_DIR / "models" / "marts" / "customer_value"


def _load_model(name: str) -> ModuleType:
    """A dbt Python model's module, for testing its functions without dbt."""
    spec = importlib.util.spec_from_file_location(name, MODELS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kzt_revenue_by_purchasing_customer(company: BuiltCompany) -> dict[str, Decimal]:
    """Net KZT revenue per customer with at least one positive-net KZT invoice, summed
    here in Python from the fct_sales rows."""
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    purchasing: set[str] = set()
    for customer_id, net in company.query(
        "select customer_id, net_amount_kzt from marts.fct_sales "
        "where customer_id is not null and is_kzt"
    ):
        revenue[customer_id] += net
        if net > 0:
            purchasing.add(customer_id)
    return {customer: revenue[customer] for customer in purchasing}


# -- on the shared generated company ---------------------------------------------------


@pytest.mark.slow
def test_ltv_revenue_and_orders_add_up_to_fct_sales_kzt_net_for_the_same_customers(
    built_company: BuiltCompany,
):
    expected = _kzt_revenue_by_purchasing_customer(built_company)
    rows = built_company.query(
        "select customer_id, net_revenue_kzt, orders from marts.customer_ltv"
    )
    published = {customer: revenue for customer, revenue, _ in rows}
    assert len(expected) > 100
    assert published == expected
    positive_invoices = built_company.query(
        "select count(*) from marts.fct_sales "
        "where customer_id is not null and is_kzt and net_amount_kzt > 0"
    )[0][0]
    assert sum(orders for _, _, orders in rows) == positive_invoices
    # RFM's monetary is the same figure for the same customers
    rfm = dict(
        built_company.query("select customer_id, monetary_kzt from marts.customer_rfm")
    )
    assert rfm == expected


@pytest.mark.slow
@pytest.mark.parametrize(
    ("score", "measure", "best"),
    [
        ("r_score", "recency_days", "lowest"),
        ("f_score", "frequency", "highest"),
        ("m_score", "monetary_kzt", "highest"),
    ],
)
def test_rfm_quintiles_hold_a_fifth_each_and_5_is_the_best(
    built_company: BuiltCompany, score: str, measure: str, best: str
):
    rows = built_company.query(f"select {score}, {measure} from marts.customer_rfm")
    by_score: dict[int, list] = defaultdict(list)
    for value_score, value in rows:
        by_score[value_score].append(value)
    assert sorted(by_score) == [1, 2, 3, 4, 5]
    sizes = [len(by_score[s]) for s in range(1, 6)]
    assert max(sizes) - min(sizes) <= 1, sizes
    # a better score never holds a worse value than a lower score (ties may straddle)
    sign = 1 if best == "highest" else -1
    for lower in range(1, 5):
        worst_of_higher = min(sign * v for v in by_score[lower + 1])
        best_of_lower = max(sign * v for v in by_score[lower])
        assert worst_of_higher >= best_of_lower, (lower, measure)


@pytest.mark.slow
def test_every_scored_customer_has_the_seed_segment_of_its_r_and_f_scores(
    built_company: BuiltCompany,
):
    seed = pd.read_csv(PROJECT_DIR / "seeds" / "rfm_segments.csv")
    rows = built_company.query(
        "select r_score, f_score, segment from marts.customer_rfm"
    )
    for r_score, f_score, segment in rows:
        matches = seed.loc[
            seed["r_score_min"].le(r_score)
            & seed["r_score_max"].ge(r_score)
            & seed["f_score_min"].le(f_score)
            & seed["f_score_max"].ge(f_score),
            "segment",
        ].tolist()
        assert matches == [segment], (r_score, f_score)


@pytest.mark.slow
def test_pareto_share_of_the_top_fifth_matches_a_computation_from_fct_sales(
    built_company: BuiltCompany,
):
    revenue = sorted(
        _kzt_revenue_by_purchasing_customer(built_company).values(), reverse=True
    )
    top = math.ceil(len(revenue) * 0.2)
    expected_share = float(sum(revenue[:top]) / sum(revenue))
    running, needed_for_80 = Decimal(0), None
    for rank, amount in enumerate(revenue, start=1):
        running += amount
        if needed_for_80 is None and running >= Decimal("0.8") * sum(revenue):
            needed_for_80 = rank
    ((customers, top_customers, share, for_80, total),) = built_company.query(
        "select scored_customers, top_20_pct_customers, top_20_pct_revenue_share, "
        "customers_for_80_pct_revenue, total_revenue_kzt "
        "from marts.customer_revenue_pareto"
    )
    assert 0.2 <= share <= 1.0
    assert (customers, top_customers, for_80, total) == (
        len(revenue),
        top,
        needed_for_80,
        sum(revenue),
    )
    assert share == pytest.approx(expected_share, rel=1e-12)
    # the per-customer curve ends at the whole revenue
    last_share = built_company.query(
        "select cumulative_revenue_share from marts.customer_rfm "
        "order by revenue_rank desc limit 1"
    )[0][0]
    assert last_share == pytest.approx(1.0)


@pytest.mark.slow
def test_ltv_backtest_publishes_its_window_and_either_errors_or_the_reason(
    built_company: BuiltCompany,
):
    rows = built_company.query(
        "select measure, as_of_date, cutoff_date, holdout_days, customers_scored, "
        "mae_per_customer, predicted_total, actual_total, total_error_pct, "
        "fit_status, fit_note from marts.customer_ltv_backtest order by measure"
    )
    assert [row[0] for row in rows] == ["purchases", "value"]
    ((first_sale, as_of),) = built_company.query(
        "select min(invoiced_on), max(invoiced_on) from marts.fct_sales "
        "where customer_id is not null and is_kzt"
    )
    for _, row_as_of, cutoff, holdout_days, customers, *figures, status, note in rows:
        assert row_as_of == as_of
        assert holdout_days == min(365, (as_of - first_sale).days // 2)
        assert cutoff == as_of - dt.timedelta(days=holdout_days)
        assert note
        if status == "fitted":
            mae, predicted, actual, error_pct = figures
            assert customers > 0 and mae >= 0 and predicted > 0 and actual > 0
            assert error_pct == pytest.approx(100 * (predicted - actual) / actual)
        else:
            assert status == "not_fitted"
            assert figures == [None] * 4 and "fit" in note


@pytest.mark.slow
def test_ltv_predictions_are_all_there_or_all_null_with_the_reason(
    built_company: BuiltCompany,
):
    rows = built_company.query(
        "select prediction_status, prediction_note, probability_alive, "
        "expected_purchases_12m, predicted_value_12m_kzt from marts.customer_ltv"
    )
    statuses = {row[0] for row in rows}
    assert len(statuses) == 1, statuses
    for status, note, alive, purchases, value in rows:
        assert note
        if status == "fitted":
            assert 0 <= alive <= 1 and purchases >= 0 and value >= 0
        else:
            assert (alive, purchases, value) == (None, None, None)


@pytest.mark.slow
def test_ltv_engine_fits_on_the_shared_test_company(built_company: BuiltCompany):
    statuses = built_company.query(
        "select distinct prediction_status from marts.customer_ltv "
        "union all select distinct fit_status from marts.customer_ltv_backtest"
    )
    assert statuses == [("fitted",), ("fitted",)]


# -- the Python models' code, without dbt ----------------------------------------------


@pytest.fixture(scope="module")
def simulated_sales() -> pd.DataFrame:
    """2,000 customers from known BG/NBD / Gamma-Gamma parameters, over three years."""
    return simulate_transactions(
        np.random.default_rng(11),
        2000,
        BGNBDParams(r=0.5, alpha=20.0, a=0.8, b=4.0),
        GammaGammaParams(p=6.0, q=4.0, v=300.0),
        first_day=dt.date(2022, 1, 1),
        acquisition_days=365,
        last_day=dt.date(2024, 12, 31),
    )


def test_backtest_model_publishes_the_engines_errors_when_it_fits(
    simulated_sales: pd.DataFrame,
):
    module = _load_model("customer_ltv_backtest")
    table = module.customer_ltv_backtest(simulated_sales, dt.date(2024, 12, 31))
    rows = table.to_pylist()
    assert [row["measure"] for row in rows] == ["purchases", "value"]
    for row in rows:
        assert row["fit_status"] == "fitted"
        assert row["cutoff_date"] == dt.date(2023, 12, 31) + dt.timedelta(days=1)
        assert row["holdout_days"] == 365
        assert row["actual_total"] > 0
        # data from the model itself: the total is predicted within 15%
        assert abs(row["total_error_pct"]) < 15


def test_ltv_model_predicts_every_customer_when_it_fits(simulated_sales):
    module = _load_model("customer_ltv")
    history = _history(simulated_sales, dt.date(2024, 12, 31))
    table = module.customer_ltv(
        history, simulated_sales, _kept_fit(simulated_sales, dt.date(2024, 12, 31))
    ).to_pandas()
    assert set(table["prediction_status"]) == {"fitted"}
    assert table["predicted_value_12m_kzt"].notna().all()
    assert table["probability_alive"].between(0, 1).all()
    # the more a customer is expected to buy, the more they are worth, on average
    correlation = np.corrcoef(
        table["expected_purchases_12m"], table["predicted_value_12m_kzt"]
    )[0, 1]
    assert correlation > 0.5


def test_ltv_models_build_with_null_predictions_and_the_reason_on_tiny_data():
    sales = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "purchased_on": pd.to_datetime(
                ["2024-01-05", "2024-03-01", "2024-02-01", "2024-06-01"]
            ),
            "net_amount": [100.0, 50.0, 70.0, 20.0],
        }
    )
    ltv_table = _load_model("customer_ltv").customer_ltv(
        _history(sales, dt.date(2024, 6, 30)),
        sales,
        _kept_fit(sales, dt.date(2024, 6, 30)),
    )
    ltv_rows = ltv_table.to_pylist()
    assert len(ltv_rows) == 3
    assert all(row["prediction_status"] == "not_fitted" for row in ltv_rows)
    assert all(row["predicted_value_12m_kzt"] is None for row in ltv_rows)
    assert "repeat buyers" in ltv_rows[0]["prediction_note"]
    backtest = _load_model("customer_ltv_backtest").customer_ltv_backtest(
        sales, dt.date(2024, 6, 30)
    )
    assert [row["fit_status"] for row in backtest.to_pylist()] == ["not_fitted"] * 2
    assert all(row["total_error_pct"] is None for row in backtest.to_pylist())
    empty = _load_model("customer_ltv_backtest").customer_ltv_backtest(
        sales.iloc[0:0], None
    )
    assert empty.num_rows == 2


def _kept_fit(sales: pd.DataFrame, as_of: dt.date) -> FitChoice:
    """The fit int_ltv_fits would keep on these sales, as customer_ltv gets it."""
    parameters, failed = fit_parameters(summarise(sales, as_of))
    fits = fit_row(
        None,
        fitted_at=dt.datetime(2025, 1, 1),
        trigger="no fit yet",
        customers=sales["customer_id"].nunique(),
        data_as_of=as_of,
        parameters=parameters,
        failed_checks=failed,
        seconds=0.0,
    )
    return choose_fit(fits, "LTV", as_of)


def _history(sales: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The int_customer_purchase_history columns customer_ltv reads, for model tests
    (only the columns it copies; their arithmetic is unit-tested in dbt)."""
    frame = sales.assign(purchased_on=pd.to_datetime(sales["purchased_on"]))
    grouped = frame.groupby("customer_id")
    history = pd.DataFrame(
        {
            "first_purchase_on": grouped["purchased_on"].min(),
            "last_purchase_on": grouped["purchased_on"].max(),
            "purchase_count": grouped.size(),
            "purchase_day_count": grouped["purchased_on"].nunique(),
            "net_revenue_kzt": grouped["net_amount"].sum().round(2),
        }
    ).reset_index()
    history["as_of_date"] = pd.Timestamp(as_of)
    tenure = history["as_of_date"] - history["first_purchase_on"]
    history["tenure_days"] = tenure.dt.days
    history["average_order_value_kzt"] = (
        history["net_revenue_kzt"] / history["purchase_count"]
    ).round(2)
    history["purchases_per_month"] = history["purchase_count"] / np.maximum(
        history["tenure_days"] / 30.4375, 1.0
    )
    return history
