"""Churn: its definition, labels at a cut-off, a logistic-regression model, its audit.

Definition (`CHURN_DEFINITION`): a customer is *churned at a cut-off date* when they
made at least one purchase day on or before the cut-off and none in the
`window_days` (default 180) days after it. Purchase days are those of
`customer360.forecasts.transactions` (returns are not purchases). `active_within_days`
narrows the population to customers whose last purchase is recent enough to matter.

Model: L2-regularised logistic regression on standardised features, fitted with
scipy.optimize (L-BFGS on the exact gradient). The features arrive as a DataFrame
(recency, frequency, monetary trend, calls, tickets, satisfaction, unresolved
complaints...; the warehouse builds them), so the model knows nothing of their
meaning. Assumptions: churn log-odds are linear in the standardised features; the
penalty (`l2`, on the coefficients, never on the intercept) keeps correlated
features from blowing up.

Evaluation must be on a *time-based* hold-out: fit on features and labels at an
earlier cut-off, evaluate on a later cut-off whose features use only data up to it
(and whose window starts after the training window ends, so no label leaks into
training). Reported: ROC AUC by the rank (Mann-Whitney U) formula with average ranks
for ties (Hanley & McNeil 1982), the Brier score (Brier 1950) and a calibration table
by deciles of predicted probability.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from customer360.forecasts.transactions import as_date, purchase_days

DEFAULT_CHURN_WINDOW_DAYS = 180
CHURN_DEFINITION = (
    "A customer is churned at a cut-off date if they made at least one purchase on or "
    "before the cut-off and no purchase in the {window_days} days after it."
)

# Risk bands on the predicted churn probability, [lower, upper). Not yet measured:
# starting points, to be reset from the first real hold-out's calibration table and
# the cost of a retention contact. "high" (>= 0.6) is where churn is clearly the more
# likely outcome, "low" (< 0.3) where staying is more than twice as likely; "medium"
# is the band between, where a well-calibrated model's decile rates are still mixed.
RISK_BANDS: tuple[tuple[str, float, float], ...] = (
    ("low", 0.0, 0.3),
    ("medium", 0.3, 0.6),
    ("high", 0.6, 1.0 + 1e-12),
)


# -- labels ----------------------------------------------------------------------------


def churn_labels(
    transactions: pd.DataFrame,
    cutoff: dt.date | str,
    window_days: int = DEFAULT_CHURN_WINDOW_DAYS,
    observed_until: dt.date | str | None = None,
    active_within_days: int | None = None,
) -> pd.DataFrame:
    """customer_id, last_purchase_on, churned (bool) for customers seen by `cutoff`.

    `observed_until` is the last day the transactions are complete for (default: the
    latest purchase day in them); the label needs the whole window (cutoff,
    cutoff + window_days] observed, or a customer who will still buy would be
    labelled churned, so a shorter history is an error. `active_within_days` keeps only
    customers whose last purchase is at most that many days before the cut-off.
    """
    if window_days <= 0:
        raise ValueError("window_days must be a positive number of days")
    start = as_date(cutoff, "cutoff")
    days = purchase_days(transactions)
    if days.empty:
        raise ValueError("the transactions hold no purchase")
    complete_until = (
        days["purchased_on"].max()
        if observed_until is None
        else as_date(observed_until, "observed_until")
    )
    window_end = start + pd.Timedelta(days=window_days)
    if complete_until < window_end:
        raise ValueError(
            f"the churn window ends {window_end.date()} but the transactions are "
            f"complete only until {complete_until.date()}: use an earlier cut-off or "
            "a shorter window"
        )
    before = days.loc[days["purchased_on"] <= start]
    if before.empty:
        raise ValueError(f"no customer bought on or before the cut-off {start.date()}")
    last = before.groupby("customer_id", sort=True)["purchased_on"].max()
    if active_within_days is not None:
        last = last.loc[last >= start - pd.Timedelta(days=active_within_days)]
    in_window = days.loc[
        (days["purchased_on"] > start) & (days["purchased_on"] <= window_end),
        "customer_id",
    ].unique()
    return pd.DataFrame(
        {
            "customer_id": last.index,
            "last_purchase_on": last.dt.date.to_numpy(),
            "churned": ~last.index.isin(in_window),
        }
    ).reset_index(drop=True)


# -- the model -------------------------------------------------------------------------


def _feature_matrix(features: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise ValueError(f"the features lack column(s) {missing}")
    try:
        matrix = features.loc[:, list(columns)].to_numpy(dtype=float)
    except (TypeError, ValueError) as error:
        raise ValueError("every feature must be numeric") from error
    if not np.all(np.isfinite(matrix)):
        bad = [c for c in columns if not np.all(np.isfinite(features[c].astype(float)))]
        raise ValueError(f"features with missing or infinite values: {bad}")
    return matrix


def _label_vector(labels: Sequence[bool] | np.ndarray | pd.Series, rows: int):
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != rows:
        raise ValueError(f"labels must be one value per row ({rows}), got {y.shape}")
    if pd.isna(y).any() or not np.isin(y, [0, 1]).all():
        raise ValueError("labels must be 0/1 or booleans, without missing values")
    return y.astype(float)


class ChurnModel:
    """L2-regularised logistic regression on standardised features.

    Minimises  sum_i [log(1 + exp(z_i)) - y_i z_i] + l2/2 * ||w||^2  with
    z = intercept + X_std w; `coefficients` are per original feature unit,
    `standardised_coefficients` per standard deviation (comparable across features).
    """

    def __init__(self, l2: float = 1.0) -> None:
        if not l2 >= 0:
            raise ValueError("l2 must be >= 0")
        self.l2 = l2
        self.feature_names: list[str] = []
        self._mean = np.empty(0)
        self._scale = np.empty(0)
        self._intercept = 0.0
        self._weights = np.empty(0)

    def fit(
        self, features: pd.DataFrame, labels: Sequence[bool] | np.ndarray | pd.Series
    ) -> ChurnModel:
        if len(features) == 0:
            raise ValueError("no rows to fit on")
        names = [str(c) for c in features.columns]
        if not names:
            raise ValueError("no feature columns to fit on")
        matrix = _feature_matrix(features, list(features.columns))
        y = _label_vector(labels, len(matrix))
        if y.min() == y.max():
            raise ValueError("labels hold one class only: nothing to separate")
        mean = matrix.mean(axis=0)
        scale = matrix.std(axis=0)
        constant = [n for n, s in zip(names, scale, strict=True) if s == 0]
        if constant:
            raise ValueError(f"features with one value on every row: {constant}")
        standard = (matrix - mean) / scale
        design = np.column_stack([np.ones(len(standard)), standard])
        penalty = np.r_[0.0, np.full(standard.shape[1], self.l2)]

        def loss_and_gradient(beta: np.ndarray) -> tuple[float, np.ndarray]:
            z = design @ beta
            loss = np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(
                penalty * beta**2
            )
            gradient = design.T @ (special.expit(z) - y) + penalty * beta
            return float(loss), gradient

        start = np.zeros(design.shape[1])
        base_rate = y.mean()
        start[0] = np.log(base_rate / (1 - base_rate))
        result = optimize.minimize(
            loss_and_gradient,
            start,
            jac=True,
            method="L-BFGS-B",
            options={"maxiter": 1000, "gtol": 1e-8},
        )
        if not result.success:
            raise RuntimeError(f"the churn model did not converge: {result.message}")
        self.feature_names = names
        self._mean, self._scale = mean, scale
        self._intercept, self._weights = float(result.x[0]), result.x[1:]
        return self

    def _check_fitted(self) -> None:
        if not self.feature_names:
            raise RuntimeError("fit the model before using it")

    @property
    def standardised_coefficients(self) -> pd.Series:
        self._check_fitted()
        return pd.Series(self._weights, index=self.feature_names)

    @property
    def coefficients(self) -> pd.Series:
        """Change in churn log-odds per unit of each feature."""
        self._check_fitted()
        return pd.Series(self._weights / self._scale, index=self.feature_names)

    @property
    def intercept(self) -> float:
        """Log-odds at all features zero, in original units."""
        self._check_fitted()
        return float(self._intercept - np.sum(self._weights * self._mean / self._scale))

    def as_dict(self) -> dict[str, Any]:
        """The fitted model as plain numbers, to keep with a fit (`from_dict`)."""
        self._check_fitted()
        return {
            "l2": self.l2,
            "feature_names": list(self.feature_names),
            "mean": [float(value) for value in self._mean],
            "scale": [float(value) for value in self._scale],
            "intercept": self._intercept,
            "weights": [float(value) for value in self._weights],
        }

    @classmethod
    def from_dict(cls, parameters: Mapping[str, Any]) -> ChurnModel:
        """A model fitted earlier, from its `as_dict`: scores without fitting."""
        model = cls(l2=float(parameters["l2"]))
        model.feature_names = [str(name) for name in parameters["feature_names"]]
        model._mean = np.asarray(parameters["mean"], dtype=float)
        model._scale = np.asarray(parameters["scale"], dtype=float)
        model._intercept = float(parameters["intercept"])
        model._weights = np.asarray(parameters["weights"], dtype=float)
        return model

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """P(churn) per row; columns are matched by name, extra columns are ignored."""
        self._check_fitted()
        matrix = _feature_matrix(features, self.feature_names)
        z = self._intercept + ((matrix - self._mean) / self._scale) @ self._weights
        return special.expit(z)


# -- evaluation ------------------------------------------------------------------------


def roc_auc(labels: Sequence[bool] | np.ndarray, scores: Sequence[float]) -> float:
    """ROC AUC = P(score of a churner > score of a stayer), ties counting one half.

    By the Mann-Whitney statistic: (sum of the positives' average ranks
    - n1 (n1 + 1) / 2) / (n1 n0); average ranks give tied pairs exactly 1/2.
    """
    y = _label_vector(labels, len(np.asarray(labels)))
    s = np.asarray(scores, dtype=float)
    if s.shape != y.shape:
        raise ValueError("labels and scores must have the same length")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite numbers")
    positives = int(y.sum())
    negatives = len(y) - positives
    if positives == 0 or negatives == 0:
        raise ValueError("ROC AUC needs both churners and stayers in the labels")
    ranks = stats.rankdata(s)  # average ranks for ties
    u = ranks[y == 1].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def brier_score(labels: Sequence[bool] | np.ndarray, probabilities) -> float:
    """Mean squared difference between predicted probability and the 0/1 outcome."""
    y = _label_vector(labels, len(np.asarray(labels)))
    p = np.asarray(probabilities, dtype=float)
    if p.shape != y.shape:
        raise ValueError("labels and probabilities must have the same length")
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError("probabilities must lie in [0, 1]")
    return float(np.mean((p - y) ** 2))


def calibration_table(
    labels: Sequence[bool] | np.ndarray, probabilities, bins: int = 10
) -> pd.DataFrame:
    """Mean predicted vs observed churn rate per bin of equal size (deciles).

    Rows are sorted by predicted probability and cut into `bins` groups of as equal
    a size as possible (sizes differ by at most one), so every row is in exactly one
    bin, ties included.
    """
    y = _label_vector(labels, len(np.asarray(labels)))
    p = np.asarray(probabilities, dtype=float)
    if p.shape != y.shape:
        raise ValueError("labels and probabilities must have the same length")
    if not 1 <= bins <= len(y):
        raise ValueError(f"bins must be between 1 and the number of rows ({len(y)})")
    order = np.argsort(p, kind="stable")
    rows = []
    for number, members in enumerate(np.array_split(order, bins), start=1):
        rows.append(
            {
                "bin": number,
                "customers": len(members),
                "min_predicted": float(p[members].min()),
                "max_predicted": float(p[members].max()),
                "mean_predicted": float(p[members].mean()),
                "observed_rate": float(y[members].mean()),
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ChurnEvaluation:
    """How a fitted churn model does on a hold-out."""

    customers: int
    churn_rate: float
    roc_auc: float
    brier_score: float
    calibration: pd.DataFrame


def evaluate(
    model: ChurnModel,
    features: pd.DataFrame,
    labels: Sequence[bool] | np.ndarray | pd.Series,
    bins: int = 10,
) -> ChurnEvaluation:
    """ROC AUC, Brier score and calibration deciles of `model` on a hold-out."""
    probabilities = model.predict_proba(features)
    y = _label_vector(labels, len(probabilities))
    return ChurnEvaluation(
        customers=len(y),
        churn_rate=float(y.mean()),
        roc_auc=roc_auc(y, probabilities),
        brier_score=brier_score(y, probabilities),
        calibration=calibration_table(y, probabilities, bins=min(bins, len(y))),
    )


def compare_feature_sets(
    train_features: pd.DataFrame,
    train_labels: Sequence[bool] | np.ndarray | pd.Series,
    holdout_features: pd.DataFrame,
    holdout_labels: Sequence[bool] | np.ndarray | pd.Series,
    feature_sets: Mapping[str, Sequence[str]],
    l2: float = 1.0,
) -> pd.DataFrame:
    """Fit one model per feature set, evaluate all on the same hold-out rows.

    For example {"all sources": [...], "1C only": ["recency", "frequency", ...]}:
    one row per set with its ROC AUC, Brier score and sizes, side by side.
    """
    if not feature_sets:
        raise ValueError("give at least one feature set")
    rows = []
    for name, columns in feature_sets.items():
        if not columns:
            raise ValueError(f"feature set {name!r} has no columns")
        model = ChurnModel(l2=l2).fit(
            train_features.loc[:, list(columns)], train_labels
        )
        result = evaluate(model, holdout_features, holdout_labels)
        rows.append(
            {
                "feature_set": name,
                "features": len(columns),
                "train_customers": len(train_features),
                "holdout_customers": result.customers,
                "holdout_churn_rate": result.churn_rate,
                "roc_auc": result.roc_auc,
                "brier_score": result.brier_score,
            }
        )
    return pd.DataFrame(rows)


def risk_band(probabilities) -> np.ndarray:
    """The `RISK_BANDS` name for each churn probability."""
    p = np.asarray(probabilities, dtype=float)
    if np.any((p < 0) | (p > 1)) or not np.all(np.isfinite(p)):
        raise ValueError("probabilities must lie in [0, 1]")
    names = np.array([name for name, _, _ in RISK_BANDS], dtype=object)
    uppers = np.array([upper for _, _, upper in RISK_BANDS])
    return names[np.searchsorted(uppers, p, side="right")]


# -- the warehouse's feature sets and hold-out report ----------------------------------

# Columns of int_churn_features (dbt) that the models fit on. "1C only" is what a
# churn model could use without the customer 360: purchases alone. "all sources" adds
# the calls, tickets and CRM deals that identity resolution joins to the customer, so
# the hold-out comparison measures what the joining is worth. Amounts enter as
# ln(1 + KZT): they are heavy-tailed and the log-odds are assumed linear in them.
ONEC_FEATURES: tuple[str, ...] = (
    "recency_days",
    "tenure_days",
    "purchase_days_total",
    "purchase_days_last_90",
    "purchase_days_previous_90",
    "purchase_days_last_180",
    "purchase_days_previous_180",
    "log_net_revenue_last_180",
    "log_net_revenue_previous_180",
    "log_average_purchase",
)
OTHER_SOURCE_FEATURES: tuple[str, ...] = (
    "calls_last_90",
    "calls_last_180",
    "unanswered_calls_last_180",
    "tickets_last_180",
    "complaints_last_180",
    "unresolved_complaints",
    "low_satisfaction_tickets",
    "open_deals",
    "lost_deals_last_180",
    "won_deals_last_180",
)
WAREHOUSE_FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "all sources": ONEC_FEATURES + OTHER_SOURCE_FEATURES,
    "1C only": ONEC_FEATURES,
}

# Below this many labelled customers, or this many of the rarer class, a fit and an
# AUC are noise: the marts record the reason instead of a number.
MIN_LABELLED_CUSTOMERS = 20
MIN_CUSTOMERS_PER_CLASS = 5


def labels_problem(labels: Sequence[bool] | np.ndarray | pd.Series) -> str | None:
    """Why these labels cannot train or evaluate a model, or None when they can."""
    y = np.asarray(labels, dtype=bool)
    if len(y) < MIN_LABELLED_CUSTOMERS:
        return (
            f"{len(y)} labelled customers, fewer than the {MIN_LABELLED_CUSTOMERS} "
            "needed"
        )
    rarer = int(min(y.sum(), (~y).sum()))
    if rarer < MIN_CUSTOMERS_PER_CLASS:
        return (
            f"only {rarer} customers in the rarer class (churned or not), fewer than "
            f"the {MIN_CUSTOMERS_PER_CLASS} needed"
        )
    return None


def usable_features(
    features: pd.DataFrame, columns: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(usable, dropped): the columns a model can fit on in these rows, in order.

    A column is dropped when it is absent, has a missing value, or holds one value on
    every row (a source with no events before the training cut-off): the fit would
    refuse it, and it carries no information there.
    """
    usable, dropped = [], []
    for column in columns:
        values = (
            pd.to_numeric(features[column], errors="coerce")
            if column in features.columns
            else None
        )
        if values is None or values.isna().any() or values.nunique() < 2:
            dropped.append(column)
        else:
            usable.append(column)
    return usable, dropped


def holdout_report(
    train_features: pd.DataFrame,
    train_labels: Sequence[bool] | np.ndarray | pd.Series,
    holdout_features: pd.DataFrame,
    holdout_labels: Sequence[bool] | np.ndarray | pd.Series,
    feature_sets: Mapping[str, Sequence[str]],
    l2: float = 1.0,
    bins: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(metrics, calibration) of one model per feature set on the same hold-out.

    metrics is tidy, one row per feature set and metric (`compare_feature_sets`'s
    roc_auc, brier_score, sizes and churn rates, plus reference_brier_score: the Brier
    score of predicting the training churn rate for everyone, the bar a model must
    clear), with the feature list used. Columns that `usable_features` drops from a
    set on the training rows are left out of it. calibration holds the deciles of
    each set, with a feature_set column.
    """
    usable = {}
    for name, columns in feature_sets.items():
        kept, _ = usable_features(train_features, columns)
        if not kept:
            raise ValueError(f"feature set {name!r} has no usable column")
        usable[name] = kept
    compared = compare_feature_sets(
        train_features, train_labels, holdout_features, holdout_labels, usable, l2=l2
    )
    train_y = _label_vector(train_labels, len(train_features))
    holdout_y = _label_vector(holdout_labels, len(holdout_features))
    reference = brier_score(holdout_y, np.full(len(holdout_y), train_y.mean()))
    metrics, calibrations = [], []
    for row in compared.to_dict("records"):
        name = row["feature_set"]
        values = {
            "roc_auc": row["roc_auc"],
            "brier_score": row["brier_score"],
            "reference_brier_score": reference,
            "holdout_churn_rate": row["holdout_churn_rate"],
            "train_churn_rate": float(train_y.mean()),
            "train_customers": row["train_customers"],
            "holdout_customers": row["holdout_customers"],
            "features": row["features"],
        }
        for metric, value in values.items():
            metrics.append(
                {
                    "feature_set": name,
                    "feature_list": ",".join(usable[name]),
                    "metric": metric,
                    "value": float(value),
                }
            )
        model = ChurnModel(l2=l2).fit(train_features.loc[:, usable[name]], train_y)
        table = evaluate(model, holdout_features, holdout_y, bins=bins).calibration
        calibrations.append(table.assign(feature_set=name))
    return pd.DataFrame(metrics), pd.concat(calibrations, ignore_index=True)


def labelled_customers(
    cutoffs: pd.DataFrame,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    cutoff_name: str,
) -> tuple[pd.DataFrame, str | None]:
    """Features joined to churn labels at one named cut-off, or why there are none.

    The frames are the warehouse's int_churn_cutoffs, int_churn_features and
    int_churn_labels. Returns the labelled rows (features plus `is_churned`) and
    None, or an empty frame and the reason the cut-off cannot train or evaluate.
    """
    found = cutoffs.loc[cutoffs["cutoff_name"] == cutoff_name]
    if found.empty:
        return features.iloc[0:0], f"no {cutoff_name} cut-off: fct_sales holds no sale"
    cutoff = found.iloc[0]
    if not bool(cutoff["has_label_window"]):
        return features.iloc[0:0], (
            f"the {cutoff_name} cut-off {cutoff['cutoff_on']} needs sales until "
            f"{cutoff['label_window_ends_on']} ({cutoff['window_days']}-day window) "
            f"but they are observed only until {cutoff['observed_until']}"
        )
    at_cutoff = features.loc[features["cutoff_name"] == cutoff_name]
    labelled = at_cutoff.merge(
        labels.loc[labels["cutoff_name"] == cutoff_name, ["customer_id", "is_churned"]],
        on="customer_id",
        how="inner",
        validate="one_to_one",
    )
    problem = labels_problem(labelled["is_churned"])
    if problem is not None:
        return labelled.iloc[0:0], f"at the {cutoff_name} cut-off: {problem}"
    return labelled.reset_index(drop=True), None


def warehouse_holdout_report(
    cutoffs: pd.DataFrame, features: pd.DataFrame, labels: pd.DataFrame
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str | None]:
    """The time-based hold-out of WAREHOUSE_FEATURE_SETS on the warehouse's frames.

    Fits at the training cut-off, scores the hold-out cut-off: (metrics, calibration,
    None), or (None, None, reason) when either cut-off cannot be used. Shared by the
    evaluation and calibration models, so both report the same fits.
    """
    train, train_reason = labelled_customers(cutoffs, features, labels, "training")
    holdout, holdout_reason = labelled_customers(cutoffs, features, labels, "holdout")
    reason = train_reason or holdout_reason
    if reason is not None:
        return None, None, reason
    metrics, calibration = holdout_report(
        train, train["is_churned"], holdout, holdout["is_churned"],
        WAREHOUSE_FEATURE_SETS,
    )  # fmt: skip
    return metrics, calibration, None


# -- the warehouse's kept fit (customer360.forecasts.fit_store) ------------------------


def _iso(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def _cutoff_on(cutoffs: pd.DataFrame, name: str) -> str | None:
    found = cutoffs.loc[cutoffs["cutoff_name"] == name, "cutoff_on"]
    return None if found.empty else _iso(found.iloc[0])


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if frame is None:
        return None
    return json.loads(frame.to_json(orient="records"))


def warehouse_fit(
    cutoffs: pd.DataFrame, features: pd.DataFrame, labels: pd.DataFrame
) -> tuple[dict[str, Any], str | None]:
    """The churn fit the warehouse keeps, and why it is rejected (None: accepted).

    The frames are int_churn_cutoffs, int_churn_features and int_churn_labels. The
    scoring model (all sources) is fitted on the latest cut-off with labels; the
    time-based hold-out of WAREHOUSE_FEATURE_SETS (`warehouse_holdout_report`) is
    kept beside it, so that the evaluation describes the fit that scores. The
    parameters always hold the hold-out, or why it could not run; the fit is
    rejected when the scoring model cannot be fitted or scores its own training
    customers with anything but probabilities.
    """
    metrics, calibration, holdout_reason = warehouse_holdout_report(
        cutoffs, features, labels
    )
    parameters: dict[str, Any] = {
        "model": None,
        "trained_at_cutoff_on": None,
        "training_customers": 0,
        "holdout": {
            "training_cutoff_on": _cutoff_on(cutoffs, "training"),
            "holdout_cutoff_on": _cutoff_on(cutoffs, "holdout"),
            "window_days": (
                int(cutoffs["window_days"].iloc[0]) if len(cutoffs) else None
            ),
            "metrics": _records(metrics),
            "calibration": _records(calibration),
            "reason": holdout_reason,
        },
    }
    labelled_cutoffs = cutoffs.loc[cutoffs["has_label_window"].astype(bool)]
    if labelled_cutoffs.empty:
        return parameters, (
            "no cut-off has a fully observed label window: sales are observed "
            f"from {_iso(cutoffs['history_starts_on'].min())} "
            f"to {_iso(cutoffs['observed_until'].max())}"
        )
    latest = labelled_cutoffs.sort_values("cutoff_order").iloc[-1]
    parameters["trained_at_cutoff_on"] = _iso(latest["cutoff_on"])
    train, reason = labelled_customers(cutoffs, features, labels, latest["cutoff_name"])
    parameters["training_customers"] = len(train)
    if reason is not None:
        return parameters, reason
    columns, _ = usable_features(train, WAREHOUSE_FEATURE_SETS["all sources"])
    try:
        model = ChurnModel().fit(train.loc[:, columns], train["is_churned"])
        probabilities = model.predict_proba(train)
    except (ValueError, RuntimeError) as error:  # cannot fit, did not converge
        return parameters, f"fit failed: {error}"
    if not np.all(np.isfinite(probabilities)):
        return parameters, "the fitted model gives training customers no probability"
    parameters["model"] = model.as_dict()
    return parameters, None


def kept_holdout(
    parameters: Mapping[str, Any] | None,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, str | None, dict[str, Any]]:
    """(metrics, calibration, reason, cut-offs) of the hold-out a kept fit
    (`warehouse_fit`'s parameters) carries, as `warehouse_holdout_report` gave them;
    cut-offs holds training_cutoff_on, holdout_cutoff_on and window_days."""
    holdout = dict((parameters or {}).get("holdout") or {})
    if not holdout:
        return None, None, "no churn fit yet", {}
    dates = {
        key: holdout.get(key)
        for key in ("training_cutoff_on", "holdout_cutoff_on", "window_days")
    }
    for key in ("training_cutoff_on", "holdout_cutoff_on"):
        dates[key] = dt.date.fromisoformat(dates[key]) if dates[key] else None
    if holdout.get("reason"):
        return None, None, holdout["reason"], dates
    return (
        pd.DataFrame(holdout["metrics"]),
        pd.DataFrame(holdout["calibration"]),
        None,
        dates,
    )
