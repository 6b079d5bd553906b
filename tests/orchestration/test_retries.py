"""A CRM that does not answer: unattended runs wait and try again, a person's do not."""

from __future__ import annotations

import socket
from collections.abc import Callable
from functools import partial
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetsDefinition,
    Backoff,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    Jitter,
    RetryPolicy,
    define_asset_job,
)
from dagster_dlt import DagsterDltResource

import orchestration.retries
import reverse_etl.configured
from customer360.settings import load_settings
from orchestration.ingest.assets import build_landing_assets
from orchestration.jobs import SCHEDULE_NAME
from orchestration.resources import Customer360Settings
from orchestration.retries import CRM_RETRY_POLICY
from orchestration.sync.assets import build_sync_asset
from reverse_etl.destinations.bitrix24 import Bitrix24Destination
from tests.reverse_etl.conftest import MART_DDL, contact_row

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _quick_retries(monkeypatch: pytest.MonkeyPatch, down: str) -> None:
    """Settings with one portal nobody answers at, and the production retry
    policy's shape in milliseconds rather than minutes."""
    monkeypatch.setenv("C360_CRM_PORTALS", f"astana={down}")
    monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", "t")
    monkeypatch.setattr(
        orchestration.retries,
        "CRM_RETRY_POLICY",
        RetryPolicy(
            max_retries=2,
            delay=0.05,
            backoff=Backoff.EXPONENTIAL,
            jitter=Jitter.PLUS_MINUS,
        ),
    )


def _steps_of(
    asset: AssetsDefinition, expected_in_error: str
) -> Callable[[dict[str, str]], list[str]]:
    """Run `asset` alone with the given run tags: its retry and failure events."""
    job = Definitions(
        assets=[asset],
        jobs=[define_asset_job("alone")],
        resources={
            "dlt": DagsterDltResource(),
            "c360": Customer360Settings(project_dir=str(PROJECT_DIR)),
        },
    ).resolve_job_def("alone")

    def steps(tags: dict[str, str]) -> list[str]:
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, tags=tags
            )
        assert not result.success
        failure = result.get_step_failure_events()[-1]
        assert expected_in_error in str(failure.step_failure_data.error.to_string())
        return [
            event.event_type_value
            for event in result.all_events
            if event.event_type
            in (DagsterEventType.STEP_UP_FOR_RETRY, DagsterEventType.STEP_FAILURE)
        ]

    return steps


def _port_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_crm_steps_wait_longer_each_time_with_jitter() -> None:
    assert CRM_RETRY_POLICY.max_retries >= 3
    assert CRM_RETRY_POLICY.backoff is Backoff.EXPONENTIAL
    assert CRM_RETRY_POLICY.jitter is Jitter.PLUS_MINUS
    assert CRM_RETRY_POLICY.delay >= 30


def test_a_scheduled_run_tries_the_crm_again_after_a_wait_a_persons_run_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://127.0.0.1:{_port_nobody_listens_on()}"
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("C360_LANDING_DIR", str(tmp_path / "landing"))
    _quick_retries(monkeypatch, down)
    # the client's own per-request retries, quick: this is about the step's
    monkeypatch.setenv("SOURCES__CRM__MAX_RETRIES", "1")
    monkeypatch.setenv("SOURCES__CRM__BACKOFF_SECONDS", "0.01")
    settings = load_settings(PROJECT_DIR)
    [land_crm] = [a for a in build_landing_assets(settings) if a.op.name == "land_crm"]
    steps = _steps_of(land_crm, expected_in_error="astana")
    assert steps({"dagster/schedule_name": SCHEDULE_NAME}) == [
        "STEP_UP_FOR_RETRY",
        "STEP_UP_FOR_RETRY",
        "STEP_FAILURE",
    ]
    # `c360 run`, or Materialize in the UI: a person is watching and decides
    assert steps({}) == ["STEP_FAILURE"]


def test_a_scheduled_sync_tries_a_crm_that_is_down_again_a_persons_does_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync after a build whose portal went down meanwhile: the next try sends
    what was not confirmed, so waiting for the portal costs nothing."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(MART_DDL)
        row = {**contact_row(7), "branch": "astana"}
        connection.execute(
            f"insert into marts.crm_sync_records ({', '.join(row)})"
            f" values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
    _quick_retries(monkeypatch, f"http://127.0.0.1:{_port_nobody_listens_on()}")
    # the client's own per-request retries, quick: this is about the step's
    monkeypatch.setattr(
        reverse_etl.configured,
        "Bitrix24Destination",
        partial(Bitrix24Destination, max_retries=1, backoff_seconds=0.01),
    )
    steps = _steps_of(build_sync_asset(), expected_in_error="astana")

    assert steps({"dagster/sensor_name": "onec_exports"}) == [
        "STEP_UP_FOR_RETRY",
        "STEP_UP_FOR_RETRY",
        "STEP_FAILURE",
    ]
    assert steps({}) == ["STEP_FAILURE"]
