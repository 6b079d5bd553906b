"""Churn probability and risk band per customer "now", from the all-sources model.

The model is fitted on the latest cut-off that has labels (int_churn_cutoffs: the
hold-out cut-off, whose window ends on the last observed day) and applied to the
features at the scoring cut-off. When it cannot be fitted, every customer keeps a
row with a null probability and band and the reason in unscored_reason.
"""

import pandas as pd
import pyarrow as pa

from customer360.forecasts.churn import (
    WAREHOUSE_FEATURE_SETS,
    ChurnModel,
    labelled_customers,
    risk_band,
    usable_features,
)

SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("churn_probability", pa.float64()),
        ("risk_band", pa.string()),
        ("trained_at_cutoff_on", pa.date32()),
        ("training_customers", pa.int32()),
        ("model_features", pa.string()),
        ("unscored_reason", pa.string()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    cutoffs = dbt.ref("int_churn_cutoffs").df()
    features = dbt.ref("int_churn_features").df()
    labels = dbt.ref("int_churn_labels").df()

    scoring = features.loc[features["cutoff_name"] == "scoring"].reset_index(drop=True)
    scores = pd.DataFrame({"customer_id": scoring["customer_id"]})
    labelled_cutoffs = cutoffs.loc[cutoffs["has_label_window"]].sort_values(
        "cutoff_order"
    )
    if labelled_cutoffs.empty:
        train, trained_at = None, None
        reason = (
            "no cut-off has a fully observed label window: sales are observed "
            f"from {cutoffs['history_starts_on'].min()} "
            f"to {cutoffs['observed_until'].max()}"
        )
    else:
        latest = labelled_cutoffs.iloc[-1]
        trained_at = latest["cutoff_on"]
        train, reason = labelled_customers(
            cutoffs, features, labels, latest["cutoff_name"]
        )
    if reason is None:
        columns, _ = usable_features(train, WAREHOUSE_FEATURE_SETS["all sources"])
        churn_model = ChurnModel().fit(train.loc[:, columns], train["is_churned"])
        probabilities = churn_model.predict_proba(scoring)
        scores["churn_probability"] = probabilities
        scores["risk_band"] = risk_band(probabilities)
        scores["training_customers"] = len(train)
        scores["model_features"] = ",".join(columns)
        scores["unscored_reason"] = None
    else:
        scores["churn_probability"] = None
        scores["risk_band"] = None
        scores["training_customers"] = 0 if train is None else len(train)
        scores["model_features"] = None
        scores["unscored_reason"] = reason
    scores["trained_at_cutoff_on"] = trained_at
    return pa.Table.from_pandas(
        scores.loc[:, SCHEMA.names], schema=SCHEMA, preserve_index=False
    )
