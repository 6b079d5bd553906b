"""`c360 forecasts fits|refit` against a copy of the built warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from c360.main import main
from tests.landed_company import BuiltCompany

pytestmark = pytest.mark.slow


def test_refit_fits_ltv_and_churn_again_and_fits_lists_them(
    built_company: BuiltCompany,
    c360_on,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    company = built_company.copy_to(tmp_path / "company")
    c360_on(company)
    assert main(["forecasts", "fits"]) == 0
    listed = capsys.readouterr().out
    assert "LTV:\n  version 1  accepted" in listed
    assert "churn:\n  version 1  accepted" in listed
    assert "no fit yet" in listed

    assert main(["forecasts", "refit"]) == 0
    out = capsys.readouterr().out
    assert "LTV: version 2  accepted" in out and ": requested" in out
    assert "churn: version 2  accepted" in out
    versions = company.query(
        "select max(version) from intermediate.int_ltv_fits"
        " union all select max(version) from intermediate.int_churn_fits"
    )
    assert versions == [(2,), (2,)]


def test_fits_says_when_there_is_no_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "none.duckdb"))
    assert main(["forecasts", "fits"]) == 2
    assert "no warehouse at" in capsys.readouterr().err
