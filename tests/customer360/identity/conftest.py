"""Fixtures for identity resolution: a small generated company whose record unions
were built by dbt. The hand-made records are in identity_records.py."""

from __future__ import annotations

import pytest

from tests.landed_company import BuiltCompany, build_failures, land_and_build

# not the shared `built_company` (seed 3): test_small_company's floors were set on
# this company, and training on seed 3 stopped in Splink's EM (an m probability of 0)
CUSTOMERS = 400
SEED = 7
# the two unions and everything upstream (seeds included), with the tests on those
# alone: tests that also read the identity models would fail on a missing table
RECORD_UNIONS = [
    "--select",
    "+int_person_records_unioned",
    "+int_organisation_records_unioned",
    "--indirect-selection",
    "cautious",
]


@pytest.fixture(scope="session")
def small_company(tmp_path_factory: pytest.TempPathFactory) -> BuiltCompany:
    """400 generated customers (seed 7), landed through the real pipelines, with the
    person and organisation record unions built by dbt (about 10 s)."""
    company = land_and_build(
        tmp_path_factory.mktemp("identity_company"),
        CUSTOMERS,
        SEED,
        ["build", *RECORD_UNIONS],
    )
    assert company.build.success, build_failures(company.build)
    return company
