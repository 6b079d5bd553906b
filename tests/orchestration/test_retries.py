"""A CRM that does not answer: unattended runs wait and try again, a person's do not."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from dagster import (
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
from customer360.settings import load_settings
from orchestration.ingest.assets import build_landing_assets
from orchestration.jobs import SCHEDULE_NAME
from orchestration.resources import Customer360Settings
from orchestration.retries import CRM_RETRY_POLICY

PROJECT_DIR = Path(__file__).resolve().parents[2]


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
    monkeypatch.setenv("C360_CRM_PORTALS", f"astana={down}")
    monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", "t")
    # the client's own per-request retries, quick: this is about the step's
    monkeypatch.setenv("SOURCES__CRM__MAX_RETRIES", "1")
    monkeypatch.setenv("SOURCES__CRM__BACKOFF_SECONDS", "0.01")
    # the production policy's shape, in milliseconds rather than minutes
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
    settings = load_settings(PROJECT_DIR)
    [land_crm] = [a for a in build_landing_assets(settings) if a.op.name == "land_crm"]
    job = Definitions(
        assets=[land_crm],
        jobs=[define_asset_job("crm_only")],
        resources={
            "dlt": DagsterDltResource(),
            "c360": Customer360Settings(project_dir=str(PROJECT_DIR)),
        },
    ).resolve_job_def("crm_only")

    def steps(tags: dict[str, str]) -> list[str]:
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, tags=tags
            )
        assert not result.success
        failure = result.get_step_failure_events()[-1]
        assert "astana" in str(failure.step_failure_data.error.to_string())
        return [
            event.event_type_value
            for event in result.all_events
            if event.event_type
            in (DagsterEventType.STEP_UP_FOR_RETRY, DagsterEventType.STEP_FAILURE)
        ]

    assert steps({"dagster/schedule_name": SCHEDULE_NAME}) == [
        "STEP_UP_FOR_RETRY",
        "STEP_UP_FOR_RETRY",
        "STEP_FAILURE",
    ]
    # `c360 run`, or Materialize in the UI: a person is watching and decides
    assert steps({}) == ["STEP_FAILURE"]
