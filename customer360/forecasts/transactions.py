"""The purchase days that the LTV and churn models count, from a transactions table.

Both models read the same input: one row per sale document with `customer_id`,
`purchased_on` (a date) and `net_amount`. A *purchase day* is a customer's calendar
day whose rows sum to a positive net amount: several documents on one day are one
purchase (BG/NBD counts purchase occasions, and a same-day correction is not a second
visit), and a day whose net total is zero or negative (a return, a cancelled sale) is
not a purchase. Returns on another day than the sale are therefore not netted off the
spend: the LTV figures are gross of later returns.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

TRANSACTION_COLUMNS = ("customer_id", "purchased_on", "net_amount")


def as_date(value: dt.date | str | pd.Timestamp, name: str) -> pd.Timestamp:
    """A date argument as a midnight Timestamp; a clear error for anything else."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a date, got {value!r}") from error
    if pd.isna(stamp):
        raise ValueError(f"{name} must be a date, got {value!r}")
    return stamp.normalize()


def purchase_days(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and purchase day: customer_id, purchased_on, amount.

    Raises ValueError on missing columns, empty customer ids or dates, and amounts
    that are not numbers.
    """
    missing = [c for c in TRANSACTION_COLUMNS if c not in transactions.columns]
    if missing:
        raise ValueError(
            f"transactions lack column(s) {missing}; "
            f"expected {list(TRANSACTION_COLUMNS)}"
        )
    frame = transactions.loc[:, list(TRANSACTION_COLUMNS)].copy()
    if frame["customer_id"].isna().any():
        raise ValueError("transactions have rows without a customer_id")
    try:
        frame["purchased_on"] = pd.to_datetime(frame["purchased_on"]).dt.normalize()
    except (TypeError, ValueError) as error:
        raise ValueError("purchased_on holds values that are not dates") from error
    if frame["purchased_on"].isna().any():
        raise ValueError("transactions have rows without a purchased_on date")
    try:
        frame["net_amount"] = pd.to_numeric(frame["net_amount"]).astype(float)
    except (TypeError, ValueError) as error:
        raise ValueError("net_amount holds values that are not numbers") from error
    if frame["net_amount"].isna().any():
        raise ValueError("transactions have rows without a net_amount")
    days = (
        frame.groupby(["customer_id", "purchased_on"], as_index=False, sort=True)[
            "net_amount"
        ]
        .sum()
        .rename(columns={"net_amount": "amount"})
    )
    return days.loc[days["amount"] > 0].reset_index(drop=True)
