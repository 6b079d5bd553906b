"""A failed run is written down with what to do, and sent to the chat's webhook."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    Failure,
    asset,
    build_run_status_sensor_context,
    define_asset_job,
)
from dagster_dlt import DagsterDltResource

from customer360.settings import load_settings
from orchestration.alerts.failures import (
    FAILURES_TABLE,
    RunFailure,
    now,
    record_failures,
)
from orchestration.alerts.sensors import FAILURE_SENSOR_NAME, run_failures_sensor
from orchestration.ingest.assets import build_landing_assets
from orchestration.resources import Customer360Settings
from pipelines.onec.settings import EXPORT_FILES

PROJECT_DIR = Path(__file__).resolve().parents[2]
SYNC_FAILED = (
    "CRM sync not finished: bitrix24: almaty: portal http://127.0.0.1:9 did not answer"
)


@asset(name="crm_sync")
def failing_sync() -> None:
    """Fails the way the CRM sync does when a portal stays down."""
    raise Failure(SYNC_FAILED)


class Chat:
    """A chat's incoming webhook on loopback: keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        received = self.received

        class Hook(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/secret-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def chat() -> Iterator[Chat]:
    hook = Chat()
    yield hook
    hook.server.shutdown()
    hook.server.server_close()


def test_a_failed_run_is_written_to_the_warehouse_and_sent_to_the_chat(
    tmp_path: Path, chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("C360_ALERT_WEBHOOK_URL", chat.url)
    warehouse = tmp_path / "warehouse.duckdb"
    job = Definitions(
        assets=[failing_sync], jobs=[define_asset_job("nightly")]
    ).resolve_job_def("nightly")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        [run_failed] = [event for event in result.all_events if event.is_run_failure]
        context = build_run_status_sensor_context(
            sensor_name=FAILURE_SENSOR_NAME,
            dagster_event=run_failed,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            resources={
                "c360": Customer360Settings(
                    project_dir=str(PROJECT_DIR), warehouse_path=str(warehouse)
                )
            },
        ).for_run_failure()
        run_failures_sensor(context)

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            f"select run_id, job_name, failed_step, error_message, advice"
            f" from {FAILURES_TABLE}"
        ).fetchall()
    [(run_id, job_name, step, message, advice)] = rows
    assert (run_id, job_name, step) == (result.run_id, "nightly", "crm_sync")
    assert message == SYNC_FAILED
    assert "next run sends the rest" in advice
    [sent] = chat.received
    assert sent["run_id"] == result.run_id
    assert SYNC_FAILED in sent["text"] and "What to do:" in sent["text"]
    assert sent["failures"] == [
        {"failed_step": "crm_sync", "error_message": SYNC_FAILED, "advice": advice}
    ]


def test_a_drifted_1c_export_is_recorded_as_drift_with_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real landing step's failure, under dlt's wrapping: the person on duty
    reads the drift, not the pipe and generator it happened in."""
    counterparties = next(e for e in EXPORT_FILES if e.table == "counterparties")
    landing = tmp_path / "landing"
    (landing / "onec").mkdir(parents=True)
    headers = [column.header for column in counterparties.columns] + ["НовоеПоле"]
    (landing / "onec" / "counterparties.csv").write_bytes(
        (";".join(headers) + "\r\n" + ";".join(["1"] * len(headers)) + "\r\n").encode(
            "cp1251"
        )
    )
    warehouse = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("C360_LANDING_DIR", str(landing))
    monkeypatch.delenv("C360_ALERT_WEBHOOK_URL", raising=False)
    settings = load_settings(PROJECT_DIR)
    [land_onec] = [
        a for a in build_landing_assets(settings) if a.op.name == "land_onec"
    ]
    resource = Customer360Settings(project_dir=str(PROJECT_DIR))
    job = Definitions(
        assets=[land_onec],
        jobs=[define_asset_job("onec_only")],
        resources={"dlt": DagsterDltResource(), "c360": resource},
    ).resolve_job_def("onec_only")
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        [run_failed] = [event for event in result.all_events if event.is_run_failure]
        run_failures_sensor(
            build_run_status_sensor_context(
                sensor_name=FAILURE_SENSOR_NAME,
                dagster_event=run_failed,
                dagster_instance=instance,
                dagster_run=instance.get_run_by_id(result.run_id),
                resources={"c360": resource},
            ).for_run_failure()
        )

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        [(step, message, advice)] = connection.execute(
            f"select failed_step, error_message, advice from {FAILURES_TABLE}"
        ).fetchall()
    assert step == "land_onec"
    assert message.startswith(
        "schema drift in source 'onec', table 'counterparties': new column(s)"
        " 'НовоеПоле'"
    )
    assert "schema drift" in advice and "docs/ingest.md" in advice


def test_a_failure_waits_briefly_for_a_held_warehouse_then_goes_to_the_log(
    tmp_path: Path,
    warehouse_held_by_another_process: Callable[[Path], subprocess.Popen[str]],
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    holder = warehouse_held_by_another_process(warehouse)
    failure = RunFailure("r1", "customer360_main", "land_crm", "down", "wait", now())
    logged: list[str] = []

    assert not record_failures(warehouse, [failure], logged.append, wait_seconds=1)

    [line] = logged
    assert line.startswith(f"could not record the failure in {FAILURES_TABLE}")
    assert f"PID {holder.pid}" in line and "in this log only" in line
    # once the holder is gone, the next failure is written
    holder.kill()
    holder.wait()
    assert record_failures(warehouse, [failure], logged.append, wait_seconds=1)
