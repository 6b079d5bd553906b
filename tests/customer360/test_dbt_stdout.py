"""A dbt Python model's line reaches stdout in one write, so that dbt's JSON events,
written by other threads to the same stdout, are never split by it."""

from __future__ import annotations

import io
import sys

import pytest
import yaml

from customer360.dbt_stdout import quiet_connection, report
from customer360.identity.matching_connection import matching_connection
from tests.landed_company import PROJECT_DIR


class _Writes(io.StringIO):
    """stdout that remembers each write call."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return super().write(text)


def test_a_report_is_one_write_of_a_whole_line(monkeypatch: pytest.MonkeyPatch):
    stdout = _Writes()
    monkeypatch.setattr(sys, "stdout", stdout)
    report("int_ltv_fits", "the fit was rejected: 3 repeat buyers")
    assert stdout.calls == ["int_ltv_fits: the fit was rejected: 3 repeat buyers\n"]


def _progress_bar(connection) -> bool:
    return connection.execute(
        "select current_setting('enable_progress_bar')"
    ).fetchone()[0]


def test_connections_opened_in_dbt_models_draw_no_progress_bar():
    assert _progress_bar(quiet_connection()) is False
    assert _progress_bar(matching_connection("500MB")) is False


def test_the_dbt_session_draws_no_progress_bar():
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text("utf-8"))
    for output in profile["customer360"]["outputs"].values():
        assert output["settings"]["enable_progress_bar"] is False
