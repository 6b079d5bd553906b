"""The kept LTV and churn fits through real dbt builds: scored with the kept fit the
same day and through a full refresh, fitted again a week later or when the base
grows past the share, and a rejected fit that falls back to the last accepted one
and says so.

Each build runs both forecasts, and the builds follow one another on one copy of the
company, as the nights of a warehouse do: each parses the whole dbt project, which
costs more than the fits themselves.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from dataclasses import dataclass

import pytest

from tests.landed_company import BuiltCompany, LandedCompany, build_failures

pytestmark = pytest.mark.slow

# the kept fits and what reads them: everything upstream is built already; cautious:
# no test that also reads a mart left as it was (churn's coverage of the customers
# with purchases fails once the rejected LTV fit's sales are gone), but the one that
# ties the LTV customers to dim_customers, as they are written anew
FITS_SELECTION = [
    "--select",
    "relationships_customer_ltv_customer_id__customer_id__ref_dim_customers_",
    "int_ltv_fits",
    "customer_ltv",
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
FIT_COLUMNS = "version, trigger, status, customers, fitted_at, failed_checks"


def _fits(company: LandedCompany, model: str) -> list[tuple]:
    return company.query(
        f"select {FIT_COLUMNS} from intermediate.{model} order by version"
    )


def _ltv_predictions(company: LandedCompany) -> dict[str, tuple]:
    rows = company.query(
        "select customer_id, probability_alive, predicted_value_12m_kzt,"
        " prediction_status from marts.customer_ltv"
    )
    return {customer: rest for customer, *rest in rows}


def _churn_scores(company: LandedCompany) -> dict[str, tuple]:
    rows = company.query(
        "select customer_id, churn_probability, risk_band, trained_at_cutoff_on"
        " from marts.customer_churn"
    )
    return {customer: rest for customer, *rest in rows}


def _churn_evaluation(company: LandedCompany) -> set[tuple]:
    return set(
        company.query(
            "select feature_set, metric, value, evaluation_status"
            " from marts.customer_churn_evaluation"
        )
    )


@dataclass(frozen=True)
class AfterBuild:
    """What one build of the fits left in the warehouse, and what it printed."""

    ltv_fits: list[tuple]
    churn_fits: list[tuple]
    ltv_predictions: dict[str, tuple]
    # distinct prediction_note of customer_ltv
    ltv_notes: list[str]
    # distinct (prediction_status, prediction_note) of the customers scored
    ltv_scored_notes: list[tuple]
    ltv_customers: int
    churn_scores: dict[str, tuple]
    churn_evaluation: set[tuple]
    output: str


def _build(company: LandedCompany, *extra: str) -> AfterBuild:
    # the models report fallbacks and rejected fits on stdout, in this process
    printed = io.StringIO()
    with redirect_stdout(printed):
        result = company.dbt(["build", *FITS_SELECTION, *extra])
    assert build_failures(result) == [], printed.getvalue()
    return AfterBuild(
        ltv_fits=_fits(company, "int_ltv_fits"),
        churn_fits=_fits(company, "int_churn_fits"),
        ltv_predictions=_ltv_predictions(company),
        ltv_notes=[
            note
            for (note,) in company.query(
                "select distinct prediction_note from marts.customer_ltv"
            )
        ],
        ltv_scored_notes=company.query(
            "select distinct prediction_status, prediction_note"
            " from marts.customer_ltv where probability_alive is not null"
        ),
        ltv_customers=company.query("select count(*) from marts.customer_ltv")[0][0],
        churn_scores=_churn_scores(company),
        churn_evaluation=_churn_evaluation(company),
        output=printed.getvalue(),
    )


@dataclass(frozen=True)
class Builds:
    """The fits before the first build, and after each build of the sequence."""

    fits_before: dict[str, list[tuple]]
    same_day_full_refresh: AfterBuild
    a_week_later: AfterBuild
    grown_larger_share: AfterBuild
    grown: AfterBuild
    rejected: AfterBuild


@pytest.fixture(scope="module")
def builds(
    built_company: BuiltCompany, tmp_path_factory: pytest.TempPathFactory
) -> Builds:
    """One copy of the built company through five builds of both forecasts, each
    starting from what the one before left."""
    company = built_company.copy_to(tmp_path_factory.mktemp("forecast_fits"))
    fits_before = {
        model: _fits(company, model) for model in ("int_ltv_fits", "int_churn_fits")
    }
    # the same day: the fits ignore a full refresh, and what reads them is a table
    same_day_full_refresh = _build(company, "--full-refresh")

    for model in ("int_ltv_fits", "int_churn_fits"):
        company.query(
            f"update intermediate.{model} set fitted_at = fitted_at - interval 8 day"
        )
    a_week_later = _build(company)

    # as if the last LTV fit had seen 15% fewer customers than there are now
    company.query(
        "update intermediate.int_ltv_fits set customers = round(customers * 0.85)"
    )
    grown_larger_share = _build(company, "--vars", "{forecast_refit_growth: 0.5}")
    grown = _build(company)

    # too few repeat buyers left for an LTV fit: the sales of all but a handful of
    # customers are gone; and labels of one class cannot train a churn model
    company.query(
        "delete from marts.fct_sales where customer_id not in"
        " (select customer_id from marts.customer_ltv order by customer_id limit 15)"
    )
    company.query("update intermediate.int_churn_labels set is_churned = false")
    rejected = _build(company, "--vars", "{refit_forecasts: true}")
    return Builds(
        fits_before,
        same_day_full_refresh,
        a_week_later,
        grown_larger_share,
        grown,
        rejected,
    )


def _printed(output: str, model: str) -> str:
    """The lines a model printed during a build."""
    return "\n".join(
        line for line in output.splitlines() if line.startswith(f"{model}: ")
    )


def _versions(fits: list[tuple]) -> list[tuple]:
    return [(version, trigger, status) for version, trigger, status, *_ in fits]


def test_a_second_build_the_same_day_scores_ltv_with_the_kept_fit(
    built_company: BuiltCompany, builds: Builds
):
    after = builds.same_day_full_refresh
    assert _versions(after.ltv_fits) == [(1, "no fit yet", "accepted")]
    # the kept parameters score exactly as the fit that made them did
    assert after.ltv_predictions == _ltv_predictions(built_company)
    assert len(after.ltv_notes) == 1 and "int_ltv_fits version 1" in after.ltv_notes[0]


def test_a_second_build_the_same_day_scores_churn_with_the_kept_fit(
    built_company: BuiltCompany, builds: Builds
):
    after = builds.same_day_full_refresh
    assert _versions(after.churn_fits) == [(1, "no fit yet", "accepted")]
    assert after.churn_scores == _churn_scores(built_company)
    assert any(
        probability is not None for probability, *_ in after.churn_scores.values()
    )
    # the hold-out shown is the kept fit's, not a new one
    assert after.churn_evaluation == _churn_evaluation(built_company)


def test_a_full_refresh_keeps_the_fits(builds: Builds):
    after = builds.same_day_full_refresh
    assert after.ltv_fits == builds.fits_before["int_ltv_fits"]
    assert after.churn_fits == builds.fits_before["int_churn_fits"]


def test_a_week_after_the_last_ltv_fit_the_build_fits_again(builds: Builds):
    after = builds.a_week_later
    assert [(v, trigger) for v, trigger, *_ in after.ltv_fits] == [
        (1, "no fit yet"),
        (2, "8 days since the last fit"),
    ]
    assert "int_ltv_fits version 2" in after.ltv_notes[0]


def test_a_week_after_the_last_churn_fit_the_build_fits_again(builds: Builds):
    assert _versions(builds.a_week_later.churn_fits) == [
        (1, "no fit yet", "accepted"),
        (2, "8 days since the last fit", "accepted"),
    ]


def test_a_base_grown_by_more_than_the_share_fits_ltv_again(builds: Builds):
    # a larger share in the settings waits for more growth
    assert len(builds.grown_larger_share.ltv_fits) == len(builds.a_week_later.ltv_fits)
    after = builds.grown
    assert len(after.ltv_fits) == len(builds.a_week_later.ltv_fits) + 1
    newest = after.ltv_fits[-1]
    assert newest[1] == "base grew 18% since the last fit"
    assert newest[3] == after.ltv_customers


def test_a_rejected_ltv_fit_falls_back_to_the_last_accepted_one_and_says_so(
    builds: Builds,
):
    after = builds.rejected
    assert _versions(after.ltv_fits) == [
        *_versions(builds.grown.ltv_fits),
        (4, "requested", "rejected"),
    ]
    assert "repeat buyers" in after.ltv_fits[-1][5]
    assert "the fit was rejected" in _printed(after.output, "int_ltv_fits")
    printed = _printed(after.output, "customer_ltv")
    assert "(version 4) was rejected" in printed
    assert "scoring with version 3" in printed
    assert len(after.ltv_scored_notes) == 1
    status, note = after.ltv_scored_notes[0]
    assert status == "fitted"
    assert "(version 4) was rejected" in note and "scoring with version 3" in note


def test_a_rejected_churn_fit_falls_back_to_the_last_accepted_one_and_says_so(
    builds: Builds,
):
    after = builds.rejected
    assert _versions(after.churn_fits) == [
        *_versions(builds.grown.churn_fits),
        (3, "requested", "rejected"),
    ]
    assert "the fit was rejected: at the holdout cut-off" in _printed(
        after.output, "int_churn_fits"
    )
    printed = _printed(after.output, "int_churn_scores")
    assert "the churn fit of" in printed
    assert "(version 3) was rejected" in printed
    assert "scoring with version 2" in printed
    # scored as the build before scored with the same accepted fit
    assert after.churn_scores == builds.grown.churn_scores
