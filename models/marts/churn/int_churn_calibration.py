"""Calibration deciles of the churn model's time-based hold-out, per feature set.

Kept with the fit that scores (int_churn_fits), beside the metrics that
int_churn_evaluation shows: customers at the hold-out cut-off sorted by predicted
probability and cut into ten groups of equal size, mean predicted against observed
churn rate. No rows when the hold-out could not be evaluated (int_churn_evaluation
says why).
"""

import pandas as pd
import pyarrow as pa

from customer360.forecasts.churn import kept_holdout
from customer360.forecasts.fit_store import choose_fit, latest_day

SCHEMA = pa.schema(
    [
        ("feature_set", pa.string()),
        ("bin", pa.int32()),
        ("customers", pa.int32()),
        ("min_predicted", pa.float64()),
        ("max_predicted", pa.float64()),
        ("mean_predicted", pa.float64()),
        ("observed_rate", pa.float64()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    cutoffs = dbt.ref("int_churn_cutoffs").df()
    fits = dbt.ref("int_churn_fits").arrow().read_all()

    fit = choose_fit(fits, "churn", latest_day(cutoffs["observed_until"]))
    _, calibration, reason, _ = kept_holdout(fit.parameters or fit.newest_parameters)
    if reason is not None:
        calibration = pd.DataFrame(columns=SCHEMA.names)
    return pa.Table.from_pandas(
        calibration.loc[:, SCHEMA.names], schema=SCHEMA, preserve_index=False
    )
