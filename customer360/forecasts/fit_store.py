"""The kept fits of a forecast (LTV, churn): when to refit, and which fit scores.

Fitting BG/NBD, Gamma-Gamma or the churn model reads the whole customer base;
scoring a customer with fitted parameters is cheap. So each forecast keeps its fits
in the warehouse (`intermediate.int_ltv_fits`, `intermediate.int_churn_fits`: one row
per fit, with its parameters as JSON, when it was fitted, the base it saw, why it
ran and whether it passed its checks), and a build fits again only when

- no fit was made on this warehouse yet,
- a refit was requested (dbt var `refit_forecasts`),
- the data end before the last fit's (a rebuild on older data: the kept fit has
  seen the future of this build),
- `interval_days` (setting forecast refit_days, default 7) have passed since the
  last fit, or
- the base grew by `growth_share` (setting forecast refit_growth, default 0.10)
  since the last fit.

The timing counts from the last fit, accepted or rejected: a fit that fails its
checks is not retried on every build, but at the next interval, growth or request.
Between fits every build scores every customer with the newest accepted fit that did
not see data after this build's; when the newest fit was rejected, the build says so
and scores with the previous accepted one.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

DEFAULT_REFIT_INTERVAL_DAYS = 7
DEFAULT_REFIT_GROWTH_SHARE = 0.10
ACCEPTED = "accepted"
REJECTED = "rejected"

FIT_COLUMNS: dict[str, pa.DataType] = {
    "version": pa.int64(),
    "fitted_at": pa.timestamp("us"),
    "trigger": pa.string(),
    "status": pa.string(),
    "customers": pa.int64(),
    "data_as_of": pa.date32(),
    "parameters": pa.string(),
    "failed_checks": pa.string(),
    "seconds": pa.float64(),
}


def empty_fits() -> pa.Table:
    return pa.schema(FIT_COLUMNS).empty_table()


@dataclass(frozen=True)
class RefitPolicy:
    """When a forecast is fitted again; from the settings, through dbt vars."""

    interval_days: int = DEFAULT_REFIT_INTERVAL_DAYS
    growth_share: float = DEFAULT_REFIT_GROWTH_SHARE
    requested: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.interval_days, int) and self.interval_days > 0):
            raise ValueError(
                f"forecast_refit_days={self.interval_days!r}: expected a whole number"
                " of days above 0"
            )
        if not (
            isinstance(self.growth_share, float)
            and math.isfinite(self.growth_share)
            and self.growth_share > 0
        ):
            raise ValueError(
                f"forecast_refit_growth={self.growth_share!r}: expected a share above"
                " 0, e.g. 0.1 for 10%"
            )


def kept_fits(dbt: Any, session: Any) -> pa.Table | None:
    """The fits a fits model kept in its own table (None on its first build), read
    inside its dbt build."""
    if not dbt.is_incremental:
        return None
    return session.sql(f"select * from {dbt.this}").arrow().read_all()


def policy_from_config(config: Mapping[str, Any]) -> RefitPolicy:
    """The policy a dbt Python model's config holds: its refit_days, refit_growth
    and refit_requested, set from vars in the model's yml (as text)."""

    def number(key: str, kind: type, default: float) -> Any:
        raw = config.get(key)
        if raw is None or str(raw).strip() == "":
            return default
        try:
            value = kind(str(raw).strip())
        except ValueError:
            value = raw
        return value

    return RefitPolicy(
        interval_days=number("refit_days", int, DEFAULT_REFIT_INTERVAL_DAYS),
        growth_share=number("refit_growth", float, DEFAULT_REFIT_GROWTH_SHARE),
        requested=str(config.get("refit_requested")).strip().lower() == "true",
    )


def _rows(fits: pa.Table | None) -> list[dict[str, Any]]:
    if fits is None or fits.num_rows == 0:
        return []
    return sorted(fits.to_pylist(), key=lambda row: row["version"])


def refit_reason(
    fits: pa.Table | None,
    customers: int,
    data_as_of: dt.date | None,
    now: dt.datetime,
    policy: RefitPolicy,
) -> str | None:
    """Why this build fits again, or None to score with the kept fit."""
    rows = _rows(fits)
    if not rows:
        return "no fit yet"
    if policy.requested:
        return "requested"
    last = rows[-1]
    if data_as_of and last["data_as_of"] and data_as_of < last["data_as_of"]:
        return (
            f"the data end on {data_as_of}, before the last fit's {last['data_as_of']}"
        )
    age = now - last["fitted_at"]
    if age >= dt.timedelta(days=policy.interval_days):
        return f"{age.days} days since the last fit"
    before = last["customers"] or 0
    if before == 0 and customers > 0:
        return f"base grew from none to {customers} customers since the last fit"
    if before > 0:
        growth = (customers - before) / before
        if growth >= policy.growth_share:
            return f"base grew {growth:.0%} since the last fit"
    return None


def fit_row(
    fits: pa.Table | None,
    *,
    fitted_at: dt.datetime,
    trigger: str,
    customers: int,
    data_as_of: dt.date | None,
    parameters: dict[str, Any] | None,
    failed_checks: str | None,
    seconds: float,
) -> pa.Table:
    """This build's fit, as the one new row of the kept fits; rejected when it
    failed a check (`failed_checks` says which)."""
    rows = _rows(fits)
    row = {
        "version": rows[-1]["version"] + 1 if rows else 1,
        "fitted_at": fitted_at,
        "trigger": trigger,
        "status": REJECTED if failed_checks else ACCEPTED,
        "customers": customers,
        "data_as_of": data_as_of,
        "parameters": (
            json.dumps(parameters, ensure_ascii=False, default=str)
            if parameters is not None
            else None
        ),
        "failed_checks": failed_checks,
        "seconds": seconds,
    }
    return pa.Table.from_pylist([row], schema=pa.schema(FIT_COLUMNS))


@dataclass(frozen=True)
class FitChoice:
    """The fit a build scores with, and what a person should know about it."""

    version: int | None
    fitted_at: dt.datetime | None
    parameters: dict[str, Any] | None
    # a fallback that needs attention, or why nothing can score; None when the
    # newest fit is used
    message: str | None
    # the newest fit's parameters whatever its status, for what a rejected fit
    # still knows (why it failed, its hold-out); None without any fit
    newest_parameters: dict[str, Any] | None = None


def choose_fit(
    fits: pa.Table | None, what: str, data_as_of: dt.date | None
) -> FitChoice:
    """The newest accepted fit that saw no data after `data_as_of`."""
    rows = _rows(fits)
    if not rows:
        return FitChoice(None, None, None, f"no {what} fit yet")
    newest = rows[-1]
    newest_parameters = json.loads(newest["parameters"] or "null")
    usable = [
        row
        for row in rows
        if row["status"] == ACCEPTED
        and not (data_as_of and row["data_as_of"] and row["data_as_of"] > data_as_of)
    ]
    if not usable:
        reason = (
            newest["failed_checks"]
            if newest["status"] == REJECTED
            else f"every accepted fit saw data after {data_as_of}"
        )
        return FitChoice(
            None,
            None,
            None,
            f"no accepted {what} fit to score with ({reason})",
            newest_parameters,
        )
    chosen = usable[-1]
    message = None
    if chosen is not newest:
        why = (
            f"was rejected ({newest['failed_checks']})"
            if newest["status"] == REJECTED
            else f"saw data after {data_as_of}"
        )
        message = (
            f"the {what} fit of {_when(newest['fitted_at'])} (version"
            f" {newest['version']}) {why}; scoring with version {chosen['version']},"
            f" fitted {_when(chosen['fitted_at'])}"
        )
    return FitChoice(
        chosen["version"],
        chosen["fitted_at"],
        json.loads(chosen["parameters"]),
        message,
        newest_parameters,
    )


def latest_day(values: pd.Series) -> dt.date | None:
    """The latest date of a column (the day the data end), None when it has none."""
    latest = values.max() if len(values) else None
    if latest is None or pd.isna(latest):
        return None
    return pd.Timestamp(latest).date()


def utc_now() -> dt.datetime:
    """Now in UTC, without a zone: how `fitted_at` is kept."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "?"
