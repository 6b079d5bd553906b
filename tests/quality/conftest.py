"""Copies of the session's built company, corrupted one way each, for the suites."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.landed_company import BuiltCompany, copy_warehouse


@pytest.fixture
def warehouse_copy(built_company: BuiltCompany, tmp_path: Path) -> Callable[..., Path]:
    """A fresh copy of the built warehouse, with `sql` run on it first."""

    def copy(*sql: str) -> Path:
        warehouse = copy_warehouse(built_company.warehouse, tmp_path / "warehouse")
        if sql:
            with duckdb.connect(str(warehouse)) as connection:
                for statement in sql:
                    connection.execute(statement)
        return warehouse

    return copy
