"""The run-failure sensor: each failed run said in the warehouse, the log and a chat."""

import re
from typing import TYPE_CHECKING

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    run_failure_sensor,
)

from customer360.warehouse_lock import warehouse_in_use
from orchestration.alerts.failures import (
    FAILURES_TABLE,
    RunFailure,
    advice_for,
    now,
    post_alert,
    record_failures,
)
from orchestration.resources import Customer360Settings

if TYPE_CHECKING:
    from dagster_shared.error import SerializableErrorInfo

FAILURE_SENSOR_NAME = "run_failures"
_DLT_WRAPPER = "caused an exception: "
_CLASS_PREFIX = re.compile(r"^[\w.]*(Error|Exception|Failure|Interrupt): ")


@run_failure_sensor(
    name=FAILURE_SENSOR_NAME,
    # on from the start: it writes a row and a message only when a run has failed
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=30,
    description=(
        f"Writes each failed step of a failed run, and what to do about it, to"
        f" {FAILURES_TABLE} and the log, and sends it to [alerts] webhook_url"
        " when one is set."
    ),
)
def run_failures_sensor(
    context: RunFailureSensorContext, c360: Customer360Settings
) -> None:
    settings = c360.load()
    failures = failures_of(context)
    for failure in failures:
        context.log.error(failure.line())
    # the chat first: recording may wait for the next run to let go of the warehouse
    if settings.alert_webhook_url:
        problem = post_alert(settings.alert_webhook_url, failures)
        if problem:
            context.log.error(f"{problem}; the failure is in this log")
    record_failures(settings.warehouse_path, failures, context.log.error)


def failures_of(context: RunFailureSensorContext) -> list[RunFailure]:
    """One per failed step, each with its innermost message and the advice for it."""
    run = context.dagster_run
    at = now()
    failures = []
    for event in context.get_step_failure_events():
        message = innermost_message(event.step_failure_data.error)
        failures.append(
            RunFailure(
                run_id=run.run_id,
                job_name=run.job_name,
                failed_step=event.step_key,
                error_message=message,
                advice=advice_for(event.step_key, message),
                failed_at=at,
            )
        )
    if not failures:
        # the run failed outside any step (its process died, it was refused)
        message = context.failure_event.message or "the run failed"
        failures.append(
            RunFailure(
                run_id=run.run_id,
                job_name=run.job_name,
                failed_step=None,
                error_message=message,
                advice=advice_for(None, message),
                failed_at=at,
            )
        )
    return failures


def innermost_message(error: "SerializableErrorInfo | None") -> str:
    """Our own message under Dagster's wrappers; the holder for a warehouse in use."""
    if error is None:
        return "unknown error"
    chain = [error]
    while chain[-1].cause is not None:
        chain.append(chain[-1].cause)
    for link in chain:
        if (in_use := warehouse_in_use(link.message)) is not None:
            return str(in_use)
    message = chain[-1].message.strip() or "unknown error"
    # dlt wraps the source's own words: "...: In processing pipe `x`: extraction
    # of resource `x` ... caused an exception: <ours>"
    message = message.rsplit(_DLT_WRAPPER, 1)[-1]
    # `dagster._core.definitions.events.Failure: ...`: the class name says nothing
    # to the person on duty
    return _CLASS_PREFIX.sub("", message, count=1)
