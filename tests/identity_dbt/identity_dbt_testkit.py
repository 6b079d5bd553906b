"""Helpers for the identity models, the review workflow and the `c360 identity`
commands, run against the shared company (`built_company`, tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.landed_company import LandedCompany

# the identity models and everything upstream of them (with their tests): models
# downstream of identity (registry, marts) have tests of their own
IDENTITY_MODELS = ["--select", "+path:models/intermediate/identity"]


@pytest.fixture
def c360_on(monkeypatch: pytest.MonkeyPatch):
    """Point the `c360` settings at a warehouse, as `c360.toml` would."""

    def point(company: LandedCompany, ground_truth_dir: Path | None = None):
        monkeypatch.setenv("C360_WAREHOUSE", str(company.warehouse))
        monkeypatch.setenv(
            "C360_GROUND_TRUTH_DIR", str(ground_truth_dir or company.ground_truth_dir)
        )

    return point
