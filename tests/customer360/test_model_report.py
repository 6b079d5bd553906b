"""A dbt Python model's line reaches stdout in one write, so that dbt's JSON events,
written by other threads to the same stdout, are never split by it."""

from __future__ import annotations

import io
import sys

import pytest

from customer360.model_report import report


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

