"""Matching runs under a memory ceiling that the operator can set."""

from __future__ import annotations

import pytest

from customer360.identity.matching_connection import (
    DEFAULT_MEMORY_LIMIT,
    MEMORY_LIMIT_ENV,
    matching_connection,
)


def _limit_bytes(con) -> int:
    [(value,)] = con.sql(
        "select value from duckdb_settings() where name = 'memory_limit'"
    ).fetchall()
    number, unit = value.split()
    return int(float(number) * {"MiB": 2**20, "GiB": 2**30, "KiB": 2**10}[unit])


def test_the_connection_is_capped_by_default_and_by_the_environment(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    default = _limit_bytes(matching_connection())
    assert default == pytest.approx(int(DEFAULT_MEMORY_LIMIT[:-2]) * 10**9, rel=0.01)
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "500MB")
    assert _limit_bytes(matching_connection()) == pytest.approx(500 * 10**6, rel=0.01)


def test_a_limit_duckdb_cannot_read_is_refused_with_the_variable_named(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "lots")
    with pytest.raises(ValueError, match=MEMORY_LIMIT_ENV):
        matching_connection()
