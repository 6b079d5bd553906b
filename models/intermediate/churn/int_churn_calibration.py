"""Calibration deciles of the churn model's time-based hold-out, per feature set.

The same fits as int_churn_evaluation (the fit is deterministic): customers at the
hold-out cut-off sorted by predicted probability and cut into ten groups of equal
size, mean predicted against observed churn rate. No rows when the hold-out cannot
be evaluated (int_churn_evaluation says why).
"""

import pandas as pd
import pyarrow as pa

from customer360.metrics.churn import (
    WAREHOUSE_FEATURE_SETS,
    holdout_report,
    labelled_customers,
)

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

    train, train_reason = labelled_customers(cutoffs, features, labels, "training")
    holdout, holdout_reason = labelled_customers(cutoffs, features, labels, "holdout")
    if train_reason or holdout_reason:
        calibration = pd.DataFrame(columns=SCHEMA.names)
    else:
        _, calibration = holdout_report(
            train, train["is_churned"], holdout, holdout["is_churned"],
            WAREHOUSE_FEATURE_SETS,
        )  # fmt: skip
    return pa.Table.from_pandas(
        calibration.loc[:, SCHEMA.names], schema=SCHEMA, preserve_index=False
    )
