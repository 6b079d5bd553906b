"""The BG/NBD + Gamma-Gamma fits of this warehouse, kept for good: one row per fit.

A build fits on all purchases when customer360.forecasts.fit_store says it is time
(no fit yet, a week since the last, the base grown by a tenth, `refit_forecasts`
requested); otherwise it adds nothing and customer_ltv scores with the kept fit.
"""

import time

from customer360.dbt_stdout import report
from customer360.forecasts import ltv
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
    history = dbt.ref("int_customer_purchase_history").df()
    customers = len(history)
    as_of = latest_day(history["as_of_date"])
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
    report("int_ltv_fits", f"fitting BG/NBD + Gamma-Gamma ({reason})")
    sales = (
        dbt.ref("fct_sales")
        .filter("customer_id is not null and is_kzt")
        .project(
            "customer_id, invoiced_on as purchased_on,"
            " net_amount_kzt::double as net_amount"
        )
        .df()
    )
    parameters, failed = None, "no purchase to fit"
    if as_of is not None and not sales.empty:
        try:
            parameters, failed = ltv.fit_parameters(ltv.summarise(sales, as_of))
        except ValueError as error:  # purchases that net to nothing by as_of
            failed = f"no summary to fit: {error}"
    if failed:
        report("int_ltv_fits", f"the fit was rejected: {failed}")
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
