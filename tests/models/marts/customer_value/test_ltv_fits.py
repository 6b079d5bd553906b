"""The kept LTV fits through real dbt builds: a fit a week, or when the base grows,
scored between fits, kept through a full refresh, and a rejected fit that falls back
to the last accepted one and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.landed_company import BuiltCompany, LandedCompany, build_failures

pytestmark = pytest.mark.slow

# the kept fits and the mart they score: everything upstream is built already
LTV_SELECTION = ["--select", "int_ltv_fits", "customer_ltv"]


def _fits(company: LandedCompany) -> list[tuple]:
    return company.query(
        "select version, trigger, status, customers, fitted_at"
        " from intermediate.int_ltv_fits order by version"
    )


def _predictions(company: LandedCompany) -> dict[str, tuple]:
    rows = company.query(
        "select customer_id, probability_alive, predicted_value_12m_kzt,"
        " prediction_status from marts.customer_ltv"
    )
    return {customer: rest for customer, *rest in rows}


def _build(company: LandedCompany, *extra: str) -> None:
    assert build_failures(company.dbt(["build", *LTV_SELECTION, *extra])) == []


@pytest.fixture
def company(built_company: BuiltCompany, tmp_path: Path) -> LandedCompany:
    return built_company.copy_to(tmp_path)


def test_a_second_build_the_same_day_scores_with_the_kept_fit(
    built_company: BuiltCompany, company: LandedCompany
):
    _build(company)
    fits = _fits(company)
    assert [(v, trigger, status) for v, trigger, status, *_ in fits] == [
        (1, "no fit yet", "accepted")
    ]
    # the kept parameters score exactly as the fit that made them did
    assert _predictions(company) == _predictions(built_company)
    notes = company.query("select distinct prediction_note from marts.customer_ltv")
    assert len(notes) == 1 and "int_ltv_fits version 1" in notes[0][0]


def test_a_week_after_the_last_fit_the_build_fits_again(company: LandedCompany):
    company.query(
        "update intermediate.int_ltv_fits set fitted_at = fitted_at - interval 8 day"
    )
    _build(company)
    assert [(v, trigger) for v, trigger, *_ in _fits(company)] == [
        (1, "no fit yet"),
        (2, "8 days since the last fit"),
    ]
    notes = company.query("select distinct prediction_note from marts.customer_ltv")
    assert "int_ltv_fits version 2" in notes[0][0]


def test_a_base_grown_by_more_than_the_share_fits_again(company: LandedCompany):
    # as if the last fit had seen 15% fewer customers than there are now
    company.query(
        "update intermediate.int_ltv_fits set customers = round(customers * 0.85)"
    )
    # a larger share in the settings waits for more growth
    _build(company, "--vars", "{forecast_refit_growth: 0.5}")
    assert len(_fits(company)) == 1
    _build(company)
    fits = _fits(company)
    assert len(fits) == 2
    assert fits[1][1] == "base grew 18% since the last fit"
    assert fits[1][3] == company.query("select count(*) from marts.customer_ltv")[0][0]


def test_a_full_refresh_keeps_the_fits(company: LandedCompany):
    before = _fits(company)
    _build(company, "--full-refresh")
    assert _fits(company) == before


def test_a_rejected_fit_falls_back_to_the_last_accepted_one_and_says_so(
    company: LandedCompany, capfd: pytest.CaptureFixture[str]
):
    # too few repeat buyers left for a fit: the sales of all but a handful of
    # customers are gone
    company.query(
        "delete from marts.fct_sales where customer_id not in"
        " (select customer_id from marts.customer_ltv order by customer_id limit 15)"
    )
    _build(company, "--vars", "{refit_forecasts: true}")
    fits = _fits(company)
    assert [(v, trigger, status) for v, trigger, status, *_ in fits] == [
        (1, "no fit yet", "accepted"),
        (2, "requested", "rejected"),
    ]
    failed = company.query(
        "select failed_checks from intermediate.int_ltv_fits where version = 2"
    )[0][0]
    assert "repeat buyers" in failed
    output = capfd.readouterr().out
    assert "int_ltv_fits: the fit was rejected" in output
    assert "was rejected" in output and "scoring with version 1" in output
    scored = company.query(
        "select distinct prediction_status, prediction_note from marts.customer_ltv"
        " where probability_alive is not null"
    )
    assert len(scored) == 1 and scored[0][0] == "fitted"
    assert "(version 2) was rejected" in scored[0][1]
    assert "scoring with version 1" in scored[0][1]
