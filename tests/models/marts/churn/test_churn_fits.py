"""The kept churn fits through real dbt builds: scored between fits with the kept
model and its hold-out, fitted again after a week, kept through a full refresh, and
a rejected fit that falls back to the last accepted one and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.landed_company import BuiltCompany, LandedCompany, build_failures

pytestmark = pytest.mark.slow

# the kept fits and what reads them: the features and labels are built already
CHURN_FIT_SELECTION = [
    "--select",
    "int_churn_fits",
    "int_churn_scores",
    "int_churn_evaluation",
    "int_churn_calibration",
    "customer_churn",
    "customer_churn_evaluation",
    "customer_churn_calibration",
    "--indirect-selection",
    "cautious",
]


def _fits(company: LandedCompany) -> list[tuple]:
    return company.query(
        "select version, trigger, status from intermediate.int_churn_fits"
        " order by version"
    )


def _scores(company: LandedCompany) -> dict[str, tuple]:
    rows = company.query(
        "select customer_id, churn_probability, risk_band, trained_at_cutoff_on"
        " from marts.customer_churn"
    )
    return {customer: rest for customer, *rest in rows}


def _evaluation(company: LandedCompany) -> set[tuple]:
    return set(
        company.query(
            "select feature_set, metric, value, evaluation_status"
            " from marts.customer_churn_evaluation"
        )
    )


def _build(company: LandedCompany, *extra: str) -> None:
    assert build_failures(company.dbt(["build", *CHURN_FIT_SELECTION, *extra])) == []


@pytest.fixture
def company(built_company: BuiltCompany, tmp_path: Path) -> LandedCompany:
    return built_company.copy_to(tmp_path)


def test_a_second_build_the_same_day_scores_with_the_kept_fit(
    built_company: BuiltCompany, company: LandedCompany
):
    _build(company, "--full-refresh")
    assert _fits(company) == [(1, "no fit yet", "accepted")]
    scores = _scores(company)
    assert scores == _scores(built_company)
    assert any(probability is not None for probability, *_ in scores.values())
    # the hold-out shown is the kept fit's, not a new one
    assert _evaluation(company) == _evaluation(built_company)


def test_a_week_after_the_last_fit_the_build_fits_again(company: LandedCompany):
    company.query(
        "update intermediate.int_churn_fits set fitted_at = fitted_at - interval 8 day"
    )
    _build(company)
    assert _fits(company) == [
        (1, "no fit yet", "accepted"),
        (2, "8 days since the last fit", "accepted"),
    ]


def test_a_rejected_fit_falls_back_to_the_last_accepted_one_and_says_so(
    built_company: BuiltCompany,
    company: LandedCompany,
    capfd: pytest.CaptureFixture[str],
):
    # labels of one class cannot train a model
    company.query("update intermediate.int_churn_labels set is_churned = false")
    _build(company, "--vars", "{refit_forecasts: true}")
    fits = _fits(company)
    assert fits == [(1, "no fit yet", "accepted"), (2, "requested", "rejected")]
    output = capfd.readouterr().out
    assert "int_churn_fits: the fit was rejected: at the holdout cut-off" in output
    assert "int_churn_scores: the churn fit of" in output
    assert "(version 2) was rejected" in output and "scoring with version 1" in output
    assert _scores(company) == _scores(built_company)
