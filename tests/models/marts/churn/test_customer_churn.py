"""customer_churn on the shared generated company: labels as the engine computes them
from fct_sales, a hold-out that scores both feature sets, one banded probability per
customer with purchases, and a short history that builds with reasons, not numbers."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from customer360.forecasts.churn import churn_labels, risk_band
from customer360.forecasts.transactions import purchase_days
from tests.landed_company import BuiltCompany, LandedCompany, build_failures

pytestmark = pytest.mark.slow

CHURN_SELECTION = [
    "--select",
    "path:models/marts/churn",
    "path:tests/models/marts/churn",
]
FEATURE_SETS = {"all sources", "1C only"}


@pytest.fixture(scope="module")
def churn_company(
    built_company: BuiltCompany, tmp_path_factory: pytest.TempPathFactory
) -> LandedCompany:
    company = built_company.copy_to(tmp_path_factory.mktemp("churn"))
    assert build_failures(company.dbt(["build", *CHURN_SELECTION])) == []
    return company


def _frame(company: LandedCompany, sql: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(company.query(sql), columns=columns)


def _transactions(company: LandedCompany) -> pd.DataFrame:
    return _frame(
        company,
        "select customer_id, invoiced_on, net_amount_kzt from marts.fct_sales"
        " where customer_id is not null and net_amount_kzt is not null",
        ["customer_id", "purchased_on", "net_amount"],
    )


def _cutoffs(company: LandedCompany) -> dict[str, tuple]:
    rows = company.query(
        "select cutoff_name, cutoff_on, window_days, observed_until, has_label_window"
        " from intermediate.int_churn_cutoffs"
    )
    return {name: rest for name, *rest in rows}


def test_cutoffs_leave_a_full_window_after_training_and_after_the_holdout(
    churn_company: LandedCompany,
):
    cutoffs = _cutoffs(churn_company)
    last_sale = max(_transactions(churn_company)["purchased_on"])
    (training, window, observed, _) = cutoffs["training"]
    (holdout, _, _, _) = cutoffs["holdout"]
    (scoring, _, _, scoring_labelled) = cutoffs["scoring"]
    assert observed >= last_sale and scoring == observed
    assert holdout + dt.timedelta(days=window) == observed
    assert training + dt.timedelta(days=window) == holdout
    assert cutoffs["training"][3] and cutoffs["holdout"][3] and not scoring_labelled


def test_labels_agree_with_the_engine_on_fct_sales_at_each_cutoff(
    churn_company: LandedCompany,
):
    transactions = _transactions(churn_company)
    labelled = [n for n, row in _cutoffs(churn_company).items() if row[3]]
    assert sorted(labelled) == ["holdout", "training"]
    for name in labelled:
        cutoff_on, window, observed, _ = _cutoffs(churn_company)[name]
        expected = churn_labels(
            transactions, cutoff_on, window_days=window, observed_until=observed
        )
        warehouse = _frame(
            churn_company,
            "select customer_id, is_churned from intermediate.int_churn_labels"
            f" where cutoff_name = '{name}'",
            ["customer_id", "churned"],
        )
        assert len(warehouse) == warehouse["customer_id"].nunique()
        assert dict(
            zip(warehouse["customer_id"], warehouse["churned"], strict=True)
        ) == {
            c: bool(v)
            for c, v in zip(expected["customer_id"], expected["churned"], strict=True)
        }
        # both outcomes occur, so the labels say something
        assert 0 < warehouse["churned"].mean() < 1


def test_evaluation_scores_both_feature_sets_on_the_same_holdout(
    churn_company: LandedCompany,
):
    evaluation = _frame(
        churn_company,
        "select feature_set, metric, value, evaluation_status, reason"
        " from marts.customer_churn_evaluation",
        ["feature_set", "metric", "value", "status", "reason"],
    )
    assert set(evaluation["feature_set"]) == FEATURE_SETS
    assert set(evaluation["status"]) == {"evaluated"}
    metrics = evaluation.pivot(index="feature_set", columns="metric", values="value")
    for name in FEATURE_SETS:
        assert 0 <= metrics.loc[name, "roc_auc"] <= 1
        assert 0 <= metrics.loc[name, "brier_score"] <= 1
    assert metrics.loc["all sources", "features"] > metrics.loc["1C only", "features"]
    holdout = churn_company.query(
        "select count(*), avg(case when is_churned then 1.0 else 0 end)"
        " from intermediate.int_churn_labels where cutoff_name = 'holdout'"
    )[0]
    for name in FEATURE_SETS:
        assert metrics.loc[name, "holdout_customers"] == holdout[0]
        assert math.isclose(metrics.loc[name, "holdout_churn_rate"], holdout[1])
    calibration = _frame(
        churn_company,
        "select feature_set, count(*), sum(customers),"
        " sum(customers * observed_rate) from marts.customer_churn_calibration"
        " group by feature_set",
        ["feature_set", "bins", "customers", "churners"],
    ).set_index("feature_set")
    assert set(calibration.index) == FEATURE_SETS
    assert (calibration["bins"] == 10).all()
    assert (calibration["customers"] == holdout[0]).all()
    assert calibration["churners"].round().eq(round(holdout[0] * holdout[1])).all()


def test_every_customer_with_purchases_has_one_banded_probability(
    churn_company: LandedCompany,
):
    scores = _frame(
        churn_company,
        "select customer_id, churn_probability, risk_band, purchase_days_total,"
        " last_purchase_on, unscored_reason from marts.customer_churn",
        ["customer_id", "p", "band", "purchase_days", "last_purchase_on", "reason"],
    )
    days = purchase_days(_transactions(churn_company))
    expected = days.groupby("customer_id").agg(
        purchase_days=("purchased_on", "size"), last=("purchased_on", "max")
    )
    assert scores["customer_id"].is_unique
    assert set(scores["customer_id"]) == set(expected.index)
    assert scores["reason"].isna().all()
    assert scores["p"].between(0, 1).all()
    assert scores["p"].nunique() > 1, "every customer got the same probability"
    assert list(scores["band"]) == list(risk_band(scores["p"].to_numpy()))
    by_customer = scores.set_index("customer_id")
    assert (
        by_customer["purchase_days"] == expected.loc[by_customer.index, "purchase_days"]
    ).all()
    assert (
        pd.to_datetime(by_customer["last_purchase_on"])
        == expected.loc[by_customer.index, "last"]
    ).all()


def test_a_history_too_short_for_the_windows_builds_with_reasons(
    built_company: BuiltCompany, tmp_path
):
    company = built_company.copy_to(tmp_path)
    (first_sale,) = company.query("select min(invoiced_on) from marts.fct_sales")[0]
    observed = first_sale + dt.timedelta(days=200)
    result = company.dbt(
        ["build", *CHURN_SELECTION, "--vars", f"{{churn_observed_until: '{observed}'}}"]
    )
    assert build_failures(result) == []
    scores = company.query(
        "select count(*), count(churn_probability), count(unscored_reason)"
        " from marts.customer_churn"
    )[0]
    assert scores[0] > 0 and scores[1] == 0 and scores[2] == scores[0]
    evaluation = company.query(
        "select distinct feature_set, evaluation_status, reason is not null"
        " from marts.customer_churn_evaluation"
    )
    assert {(s, status, has) for s, status, has in evaluation} == {
        (name, "not_evaluated", True) for name in FEATURE_SETS
    }
    assert company.query("select count(*) from marts.customer_churn_calibration") == [
        (0,)
    ]
