"""Per-customer lifetime value: the purchase history, and BG/NBD + Gamma-Gamma's
predicted next 12 months (customer360.forecasts.ltv), scored with the fit kept in
int_ltv_fits (refitted on all history weekly, or when the base grows: see
customer360.forecasts.fit_store)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pyarrow as pa

from customer360.dbt_stdout import report
from customer360.forecasts import ltv
from customer360.forecasts.fit_store import FitChoice, choose_fit, latest_day

HORIZON_DAYS = 365
CENT = Decimal("0.01")

SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("as_of_date", pa.date32()),
        ("first_purchase_on", pa.date32()),
        ("last_purchase_on", pa.date32()),
        ("tenure_days", pa.int32()),
        ("orders", pa.int32()),
        ("purchase_days", pa.int32()),
        ("net_revenue_kzt", pa.decimal128(18, 2)),
        ("average_order_value_kzt", pa.decimal128(18, 2)),
        ("purchases_per_month", pa.float64()),
        ("probability_alive", pa.float64()),
        ("expected_purchases_12m", pa.float64()),
        ("expected_average_spend_kzt", pa.float64()),
        ("predicted_value_12m_kzt", pa.float64()),
        ("prediction_status", pa.string()),
        ("prediction_note", pa.string()),
    ]
)
PREDICTED = (
    "probability_alive",
    "expected_purchases_12m",
    "expected_average_spend_kzt",
    "predicted_value_12m_kzt",
)


def kzt_transactions(sales: pd.DataFrame) -> pd.DataFrame:
    """fct_sales rows as the engine's transactions: customer_id, purchased_on,
    net_amount."""
    return pd.DataFrame(
        {
            "customer_id": sales["customer_id"],
            "purchased_on": pd.to_datetime(sales["invoiced_on"]),
            "net_amount": sales["net_amount_kzt"].astype(float),
        }
    )


def predict(
    transactions: pd.DataFrame, as_of: dt.date, fit: FitChoice
) -> tuple[pd.DataFrame | None, str]:
    """The scores as of `as_of` with the kept fit, or None and why there are none."""
    if fit.parameters is None:
        return None, fit.message or "no LTV fit"
    if transactions.empty:
        return None, "no purchase to score"
    try:
        bgnbd, gamma_gamma = ltv.parameters_from(fit.parameters)
        summary = ltv.summarise(transactions, as_of)
        scores = ltv.score_customers(summary, bgnbd, gamma_gamma, HORIZON_DAYS)
    except (ValueError, RuntimeError) as error:
        return None, f"scoring failed: {error}"
    note = (
        f"{ltv.describe_parameters(fit.parameters)}; fitted"
        f" {fit.fitted_at:%Y-%m-%d} (int_ltv_fits version {fit.version})"
    )
    if fit.message:
        note = f"{note}; {fit.message}"
    return scores, note


def customer_ltv(
    history: pd.DataFrame, transactions: pd.DataFrame, fit: FitChoice
) -> pa.Table:
    """History rows (int_customer_purchase_history) with the predictions of the kept
    fit (int_ltv_fits, chosen by `choose_fit`) joined on."""
    table = pd.DataFrame(
        {
            "customer_id": history["customer_id"],
            "as_of_date": history["as_of_date"],
            "first_purchase_on": history["first_purchase_on"],
            "last_purchase_on": history["last_purchase_on"],
            "tenure_days": history["tenure_days"],
            "orders": history["purchase_count"],
            "purchase_days": history["purchase_day_count"],
            "net_revenue_kzt": history["net_revenue_kzt"],
            "average_order_value_kzt": history["average_order_value_kzt"],
            "purchases_per_month": history["purchases_per_month"],
        }
    )
    if history.empty:
        scores, note = None, "no customer with a purchase"
    else:
        scores, note = predict(transactions, history["as_of_date"].max(), fit)
    if scores is None:
        for column in PREDICTED:
            table[column] = None
        table["prediction_status"] = "not_fitted"
    else:
        scores = scores.rename(
            columns={
                "expected_purchases": "expected_purchases_12m",
                "expected_average_spend": "expected_average_spend_kzt",
                "predicted_value": "predicted_value_12m_kzt",
            }
        )
        table = table.merge(
            scores[["customer_id", *PREDICTED]], on="customer_id", how="left"
        )
        table["prediction_status"] = "fitted"
    table["prediction_note"] = note
    return as_arrow(table, SCHEMA)


def as_arrow(table: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """The frame in the published column types (dates, DECIMAL(18,2) money)."""
    columns = {}
    for field in schema:
        values = table[field.name]
        if pa.types.is_date(field.type):
            values = pd.to_datetime(values).dt.date
        elif pa.types.is_decimal(field.type):
            values = values.map(_money)
        values = values.astype(object).where(values.notna(), None)
        columns[field.name] = pa.array(values.tolist(), type=field.type)
    return pa.table(columns, schema=schema)


def _money(value: object) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(str(value)).quantize(CENT)


def model(dbt, session):
    dbt.config(materialized="table")
    history = dbt.ref("int_customer_purchase_history").df()
    sales = (
        dbt.ref("fct_sales")
        .filter("customer_id is not null and is_kzt")
        .project("customer_id, invoiced_on, net_amount_kzt")
        .df()
    )
    fits = dbt.ref("int_ltv_fits").arrow().read_all()
    fit = choose_fit(fits, "LTV", latest_day(history["as_of_date"]))
    if fit.message:
        # a fallback or a missing fit is news for whoever reads the build's output
        report("customer_ltv", fit.message)
    return customer_ltv(history, kzt_transactions(sales), fit)
