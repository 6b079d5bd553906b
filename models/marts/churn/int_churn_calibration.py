"""Calibration deciles of the churn model's time-based hold-out, per feature set.

The same fits as int_churn_evaluation (the fit is deterministic): customers at the
hold-out cut-off sorted by predicted probability and cut into ten groups of equal
size, mean predicted against observed churn rate. No rows when the hold-out cannot
be evaluated (int_churn_evaluation says why).
"""

import pandas as pd
import pyarrow as pa

from customer360.forecasts.churn import warehouse_holdout_report

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
    features = dbt.ref("int_churn_features").df()
    labels = dbt.ref("int_churn_labels").df()

    _, calibration, reason = warehouse_holdout_report(cutoffs, features, labels)
    if reason is not None:
        calibration = pd.DataFrame(columns=SCHEMA.names)
    return pa.Table.from_pandas(
        calibration.loc[:, SCHEMA.names], schema=SCHEMA, preserve_index=False
    )
