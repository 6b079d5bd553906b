"""What failed in a run and what to do: kept in the warehouse, sent to a chat."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import requests

from customer360.warehouse_lock import warehouse_in_use

FAILURES_TABLE = "ops.run_failures"
# how long a failure waits for a run that holds the warehouse before it goes to
# the log only: the run queue starts the next run as soon as one fails
RECORD_WAIT_SECONDS = 30.0
WEBHOOK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class RunFailure:
    """One failed step of a run (the run's own failure when no step failed)."""

    run_id: str
    job_name: str
    failed_step: str | None
    error_message: str
    advice: str
    failed_at: datetime

    def line(self) -> str:
        where = f"step {self.failed_step}" if self.failed_step else "the run"
        return (
            f"run {self.run_id} of {self.job_name} failed at {where}:"
            f" {self.error_message} What to do: {self.advice}"
        )


def advice_for(step: str | None, message: str) -> str:
    """What a person on duty does about this failure, in one or two sentences."""
    text = message.lower()
    if warehouse_in_use(message) is not None or "is in use by another process" in text:
        return (
            "Another process held the warehouse (named in the error). Close it (a"
            " notebook or BI tool on the working warehouse, a left-over `c360 run`),"
            " then re-run; Dagster's own runs queue one at a time."
        )
    if "settings" in text or "c360.toml" in text or "c360_" in text:
        return (
            "Fix the setting the error names (c360.toml, .secrets.toml or the C360_*"
            " variables; `c360 settings` shows what is in force), then re-run."
        )
    if "schema drift" in text:
        return (
            "The export's columns changed (schema drift), so its table was not"
            " landed. If the change is intended, add the column to the source's"
            " expected columns and the models that read it; if not, have the export"
            " fixed. Then re-run (docs/ingest.md)."
        )
    if step and ("quality" in step or "check" in step) or "critical" in text:
        return (
            "A critical data-quality check failed: the CRM sync and the BI copy did"
            " not run, so BI keeps yesterday's copy. See data_quality.validations and"
            " docs/data_quality.md, fix the data at its source, then re-run."
        )
    if step == "land_crm":
        return (
            "A CRM portal or amoCRM account did not answer or refused: check that it"
            " is up and its URL and token (`c360 settings`). What landed is kept; the"
            " next run lands the rest (docs/ingest.md)."
        )
    if step == "crm_sync":
        return (
            "The CRM sync did not finish: check the CRM is up and the webhook may"
            " write the UF_CRM_C360_* fields. What the CRM confirmed is kept; the next"
            " run sends the rest (docs/crm_sync.md, crm_sync.runs)."
        )
    if step and step.startswith("land_"):
        return (
            "A landing export could not be landed as it is: see the error and the"
            " source's rejects table, fix or replace the export in the landing folder,"
            " then re-run (docs/ingest.md, docs/landing_formats.md)."
        )
    if step and "dbt" in step:
        return (
            "A dbt model or test failed: its log is under target/runs/<run id>;"
            " fix the model or the data it names, then re-run. BI keeps yesterday's"
            " copy until a run builds everything."
        )
    return (
        "Open the run in the Dagster UI (`c360 ui`) for its full log, fix the cause,"
        " then re-run."
    )


def record_failures(
    warehouse_path: Path,
    failures: Sequence[RunFailure],
    log: Callable[[str], None],
    wait_seconds: float | None = None,
) -> bool:
    """Append the failures to ops.run_failures; False (and a log line) when the
    warehouse stayed held by another process for `wait_seconds` (by default
    RECORD_WAIT_SECONDS)."""
    if wait_seconds is None:
        wait_seconds = RECORD_WAIT_SECONDS
    deadline = time.monotonic() + wait_seconds
    pause = 0.5
    warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        try:
            with duckdb.connect(str(warehouse_path)) as connection:
                connection.execute("create schema if not exists ops")
                connection.execute(
                    f"create table if not exists {FAILURES_TABLE} ("
                    " run_id varchar not null, job_name varchar not null,"
                    " failed_step varchar, error_message varchar not null,"
                    " advice varchar not null, failed_at timestamptz not null)"
                )
                connection.executemany(
                    f"insert into {FAILURES_TABLE} values (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            f.run_id,
                            f.job_name,
                            f.failed_step,
                            f.error_message,
                            f.advice,
                            f.failed_at,
                        )
                        for f in failures
                    ],
                )
            return True
        except duckdb.IOException as error:
            in_use = warehouse_in_use(str(error))
            if in_use is None:
                raise
            if time.monotonic() + pause > deadline:
                log(
                    f"could not record the failure in {FAILURES_TABLE} after"
                    f" {wait_seconds:.0f} s: {in_use} It is in this log only."
                )
                return False
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def alert_payload(failures: Sequence[RunFailure]) -> dict[str, object]:
    """The JSON a chat's incoming webhook gets: `text` for the chat (Slack,
    Mattermost, Rocket.Chat read it), the fields for anything that parses it."""
    first = failures[0]
    return {
        "text": "customer360: " + " | ".join(failure.line() for failure in failures),
        "run_id": first.run_id,
        "job_name": first.job_name,
        "failed_at": first.failed_at.isoformat(),
        "failures": [
            {
                key: value
                for key, value in asdict(failure).items()
                if key in ("failed_step", "error_message", "advice")
            }
            for failure in failures
        ],
    }


def post_alert(url: str, failures: Sequence[RunFailure]) -> str | None:
    """POST the failures to the webhook; why it did not go through, or None."""
    try:
        response = requests.post(
            url, json=alert_payload(failures), timeout=WEBHOOK_TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        # the URL carries the chat's token: the error's class, not its text
        return f"could not reach the alert webhook ({type(error).__name__})"
    if response.status_code >= 300:
        return f"the alert webhook answered HTTP {response.status_code}"
    return None


def now() -> datetime:
    return datetime.now(UTC)
