"""The churn model's time-based hold-out: all sources against 1C only, tidy metrics.

Each feature set of WAREHOUSE_FEATURE_SETS is fitted on the features and labels at the
training cut-off and scored on the hold-out cut-off (int_churn_cutoffs). When either
cut-off cannot be used (history too short, too few labels), every feature set still
gets its roc_auc and brier_score rows, with null values and the reason.
"""

import pandas as pd
import pyarrow as pa

from customer360.forecasts.churn import (
    WAREHOUSE_FEATURE_SETS,
    warehouse_holdout_report,
)

SCHEMA = pa.schema(
    [
        ("training_cutoff_on", pa.date32()),
        ("holdout_cutoff_on", pa.date32()),
        ("window_days", pa.int32()),
        ("feature_set", pa.string()),
        ("feature_list", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("evaluation_status", pa.string()),
        ("reason", pa.string()),
    ]
)


def _cutoff_on(cutoffs, name):
    found = cutoffs.loc[cutoffs["cutoff_name"] == name, "cutoff_on"]
    return None if found.empty else found.iloc[0]


def model(dbt, session):
    dbt.config(materialized="table")
    cutoffs = dbt.ref("int_churn_cutoffs").df()
    features = dbt.ref("int_churn_features").df()
    labels = dbt.ref("int_churn_labels").df()

    metrics, _, reason = warehouse_holdout_report(cutoffs, features, labels)
    if reason is None:
        metrics["evaluation_status"] = "evaluated"
        metrics["reason"] = None
    else:
        metrics = pd.DataFrame(
            [
                {
                    "feature_set": name,
                    "feature_list": ",".join(columns),
                    "metric": metric,
                    "value": None,
                    "evaluation_status": "not_evaluated",
                    "reason": reason,
                }
                for name, columns in WAREHOUSE_FEATURE_SETS.items()
                for metric in ("roc_auc", "brier_score")
            ]
        )
    metrics["training_cutoff_on"] = _cutoff_on(cutoffs, "training")
    metrics["holdout_cutoff_on"] = _cutoff_on(cutoffs, "holdout")
    metrics["window_days"] = (
        int(cutoffs["window_days"].iloc[0]) if len(cutoffs) else None
    )
    return pa.Table.from_pandas(
        metrics.loc[:, SCHEMA.names], schema=SCHEMA, preserve_index=False
    )
