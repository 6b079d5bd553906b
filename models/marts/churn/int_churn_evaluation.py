"""The churn model's time-based hold-out: all sources against 1C only, tidy metrics.

Each feature set of WAREHOUSE_FEATURE_SETS is fitted on the features and labels at the
training cut-off and scored on the hold-out cut-off (int_churn_cutoffs) when the churn
model is fitted (int_churn_fits); this model shows the hold-out of the fit that
scores. When either cut-off could not be used (history too short, too few labels),
every feature set still gets its roc_auc and brier_score rows, with null values and
the reason.
"""

import pandas as pd
import pyarrow as pa

from customer360.forecasts.churn import WAREHOUSE_FEATURE_SETS, kept_holdout
from customer360.forecasts.fit_store import choose_fit, latest_day

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


def model(dbt, session):
    dbt.config(materialized="table")
    cutoffs = dbt.ref("int_churn_cutoffs").df()
    fits = dbt.ref("int_churn_fits").arrow().read_all()

    fit = choose_fit(fits, "churn", latest_day(cutoffs["observed_until"]))
    metrics, _, reason, dates = kept_holdout(fit.parameters or fit.newest_parameters)
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
    metrics["training_cutoff_on"] = dates.get("training_cutoff_on")
    metrics["holdout_cutoff_on"] = dates.get("holdout_cutoff_on")
    metrics["window_days"] = dates.get("window_days")
    return pa.Table.from_pandas(
        metrics.loc[:, SCHEMA.names], schema=SCHEMA, preserve_index=False
    )
