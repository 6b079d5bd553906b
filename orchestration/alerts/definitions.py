"""The alerts domain's definitions: the run-failure sensor."""

from __future__ import annotations

from dagster import Definitions

from orchestration.alerts.sensors import run_failures_sensor


def alerts_definitions() -> Definitions:
    return Definitions(sensors=[run_failures_sensor])
