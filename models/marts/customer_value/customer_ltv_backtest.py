"""How well the LTV engine predicts: fit on the history up to a cut-off, predict the
hold-out that follows (up to the as-of date), publish the errors of ltv.backtest."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

from customer360.forecasts import ltv

# the hold-out is the last year of the history, or its second half when the history
# is shorter than two years, so that the fit always sees at least as much as it predicts
HOLDOUT_DAYS = 365

SCHEMA = pa.schema(
    [
        ("measure", pa.string()),
        ("as_of_date", pa.date32()),
        ("cutoff_date", pa.date32()),
        ("holdout_end_date", pa.date32()),
        ("holdout_days", pa.int32()),
        ("customers_scored", pa.int32()),
        ("mae_per_customer", pa.float64()),
        ("predicted_total", pa.float64()),
        ("actual_total", pa.float64()),
        ("total_error_pct", pa.float64()),
        ("fit_status", pa.string()),
        ("fit_note", pa.string()),
    ]
)
MEASURES = ("purchases", "value")
FIGURES = ("mae_per_customer", "predicted_total", "actual_total", "total_error_pct")


def backtest_window(
    first_purchase_on: dt.date, as_of: dt.date
) -> tuple[dt.date, dt.date]:
    """(cut-off, hold-out end): as-of minus a year, or half the history if shorter."""
    history_days = (as_of - first_purchase_on).days
    holdout_days = min(HOLDOUT_DAYS, history_days // 2)
    return as_of - dt.timedelta(days=holdout_days), as_of


def customer_ltv_backtest(
    transactions: pd.DataFrame, as_of: dt.date | None
) -> pa.Table:
    """One row per measure (purchases, value); null figures and the reason when the
    back-test cannot run (no history, too short, or the fit fails).

    `as_of` is the warehouse's as-of date (the latest sale date, as in
    int_customer_purchase_history); the hold-out ends there.
    """
    cutoff = holdout_end = None
    report = None
    if transactions.empty or as_of is None:
        note = "no purchase to back-test"
    else:
        first_purchase_on = pd.to_datetime(transactions["purchased_on"]).min().date()
        cutoff, holdout_end = backtest_window(first_purchase_on, as_of)
        if cutoff >= holdout_end:
            note = "history shorter than two days: nothing to hold out"
        else:
            try:
                report = ltv.backtest(transactions, cutoff, holdout_end)
                note = (
                    f"BG/NBD r={report.bgnbd.r:.4g} alpha={report.bgnbd.alpha:.4g} "
                    f"a={report.bgnbd.a:.4g} b={report.bgnbd.b:.4g}; Gamma-Gamma p="
                    f"{report.gamma_gamma.p:.4g} q={report.gamma_gamma.q:.4g} "
                    f"v={report.gamma_gamma.v:.4g}"
                )
            except (ValueError, RuntimeError) as error:  # the engine's "cannot fit"
                note = f"fit failed: {error}"
    if report is None:
        figures = pd.DataFrame({"measure": list(MEASURES)})
        for column in FIGURES:
            figures[column] = None
        customers = None
    else:
        figures = report.as_table()
        customers = report.customers
    rows = {
        "measure": figures["measure"].tolist(),
        "as_of_date": [holdout_end] * len(figures),
        "cutoff_date": [cutoff] * len(figures),
        "holdout_end_date": [holdout_end] * len(figures),
        "holdout_days": [(holdout_end - cutoff).days if cutoff is not None else None]
        * len(figures),
        "customers_scored": [customers] * len(figures),
        **{
            column: [
                None if value is None or pd.isna(value) else float(value)
                for value in figures[column]
            ]
            for column in FIGURES
        },
        "fit_status": ["fitted" if report is not None else "not_fitted"] * len(figures),
        "fit_note": [note] * len(figures),
    }
    return pa.table(rows, schema=SCHEMA)


def model(dbt, session):
    dbt.config(materialized="table")
    sales = (
        dbt.ref("fct_sales")
        .filter("customer_id is not null and is_kzt")
        .project(
            "customer_id, invoiced_on as purchased_on, "
            "cast(net_amount_kzt as double) as net_amount"
        )
        .df()
    )
    ((as_of,),) = dbt.ref("fct_sales").aggregate("max(invoiced_on)").fetchall()
    return customer_ltv_backtest(sales, as_of)
