"""Matching runs under a memory ceiling that the operator sets in the settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from customer360.identity.matching_connection import matching_connection
from customer360.settings import DEFAULT_IDENTITY_MEMORY_LIMIT, SettingsError

VARIABLE = "C360_IDENTITY_MEMORY_LIMIT"


def _limit_bytes(con) -> int:
    [(value,)] = con.sql(
        "select value from duckdb_settings() where name = 'memory_limit'"
    ).fetchall()
    number, unit = value.split()
    return int(float(number) * {"MiB": 2**20, "GiB": 2**30, "KiB": 2**10}[unit])


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A company's project folder with its own c360.toml, and no override set."""
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))
    monkeypatch.delenv("C360_CONFIG", raising=False)
    monkeypatch.delenv(VARIABLE, raising=False)
    return tmp_path


def test_the_connection_is_capped_by_default(project: Path) -> None:
    expected = int(DEFAULT_IDENTITY_MEMORY_LIMIT[:-2]) * 10**9
    assert _limit_bytes(matching_connection()) == pytest.approx(expected, rel=0.01)


def test_c360_toml_sets_the_ceiling_and_the_environment_overrides_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "c360.toml").write_text('[identity]\nmemory_limit = "700MB"\n')
    assert _limit_bytes(matching_connection()) == pytest.approx(700 * 10**6, rel=0.01)
    monkeypatch.setenv(VARIABLE, "500MB")
    assert _limit_bytes(matching_connection()) == pytest.approx(500 * 10**6, rel=0.01)
    # a caller that was handed the settings passes the value itself
    assert _limit_bytes(matching_connection("300MB")) == pytest.approx(
        300 * 10**6, rel=0.01
    )


def test_a_limit_duckdb_cannot_read_is_refused_with_where_it_was_set(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, "lots")
    with pytest.raises(SettingsError, match=VARIABLE):
        matching_connection()
    monkeypatch.delenv(VARIABLE)
    (project / "c360.toml").write_text('[identity]\nmemory_limit = "4 gigs"\n')
    with pytest.raises(SettingsError, match=r"\[identity\] memory_limit"):
        matching_connection()
