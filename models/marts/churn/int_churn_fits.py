"""The churn model's fits on this warehouse, kept for good: one row per fit.

A build fits the scoring model and its hold-out (customer360.forecasts.churn
`warehouse_fit`) when customer360.forecasts.fit_store says it is time (no fit yet, a
week since the last, the base grown by a tenth, `refit_forecasts` requested, data
ending before the last fit's); otherwise it adds nothing, and int_churn_scores,
int_churn_evaluation and int_churn_calibration read the kept fit.
"""

import time

from customer360.dbt_stdout import report
from customer360.forecasts.churn import warehouse_fit
from customer360.forecasts.fit_store import (
    empty_fits,
    fit_row,
    kept_fits,
    latest_day,
    policy_from_config,
    refit_reason,
    utc_now,
)
from customer360.identity.stable_ids import drop_leftover_temp_tables


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        unique_key="version",
        # the fits are state: a rebuild keeps them and their dates
        full_refresh=False,
    )
    drop_leftover_temp_tables(session, dbt.this)
    previous = kept_fits(dbt, session)
    cutoffs = dbt.ref("int_churn_cutoffs").df()
    features = dbt.ref("int_churn_features").df()
    customers = int((features["cutoff_name"] == "scoring").sum())
    as_of = latest_day(cutoffs["observed_until"])
    started, fitted_at = time.perf_counter(), utc_now()
    # dbt hands a Python model only the config keys it finds written out here
    policy = policy_from_config(
        {
            "refit_days": dbt.config.get("refit_days"),
            "refit_growth": dbt.config.get("refit_growth"),
            "refit_requested": dbt.config.get("refit_requested"),
        }
    )
    reason = refit_reason(previous, customers, as_of, fitted_at, policy)
    if reason is None:
        return empty_fits()
    report("int_churn_fits", f"fitting the churn model ({reason})")
    labels = dbt.ref("int_churn_labels").df()
    parameters, failed = warehouse_fit(cutoffs, features, labels)
    if failed:
        report("int_churn_fits", f"the fit was rejected: {failed}")
    return fit_row(
        previous,
        fitted_at=fitted_at,
        trigger=reason,
        customers=customers,
        data_as_of=as_of,
        parameters=parameters,
        failed_checks=failed,
        seconds=time.perf_counter() - started,
    )
