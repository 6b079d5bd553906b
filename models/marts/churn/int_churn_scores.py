"""Churn probability and risk band per customer "now", from the kept all-sources fit.

int_churn_fits keeps the model fitted on the latest cut-off that has labels (the
hold-out cut-off, whose window ends on the last observed day); this model applies
the newest accepted fit to the features at the scoring cut-off, so scoring costs no
fit. When there is no fit to score with, every customer keeps a row with a null
probability and band and the reason in unscored_reason.
"""

import datetime as dt

import pandas as pd
import pyarrow as pa

from customer360.dbt_stdout import report
from customer360.forecasts.churn import ChurnModel, risk_band
from customer360.forecasts.fit_store import choose_fit, latest_day

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
    fits = dbt.ref("int_churn_fits").arrow().read_all()

    fit = choose_fit(fits, "churn", latest_day(cutoffs["observed_until"]))
    if fit.message:
        # a fallback or a missing fit is news for whoever reads the build's output
        report("int_churn_scores", fit.message)

    scoring = features.loc[features["cutoff_name"] == "scoring"].reset_index(drop=True)
    scores = pd.DataFrame({"customer_id": scoring["customer_id"]})
    parameters = fit.parameters or fit.newest_parameters or {}
    reason = None if fit.parameters else fit.message
    if reason is None:
        churn_model = ChurnModel.from_dict(parameters["model"])
        try:
            probabilities = churn_model.predict_proba(scoring)
        except ValueError as error:  # a feature the fit used is missing here
            reason = f"scoring failed: {error}"
    if reason is None:
        scores["churn_probability"] = probabilities
        scores["risk_band"] = risk_band(probabilities)
        scores["model_features"] = ",".join(churn_model.feature_names)
        scores["unscored_reason"] = None
    else:
        scores["churn_probability"] = None
        scores["risk_band"] = None
        scores["model_features"] = None
        scores["unscored_reason"] = reason
    scores["training_customers"] = parameters.get("training_customers") or 0
    trained_at = parameters.get("trained_at_cutoff_on")
    scores["trained_at_cutoff_on"] = (
        dt.date.fromisoformat(trained_at) if trained_at else None
    )
    return pa.Table.from_pandas(
        scores.loc[:, SCHEMA.names], schema=SCHEMA, preserve_index=False
    )
