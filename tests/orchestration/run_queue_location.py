"""A Dagster code location for the run-queue test: two runs that write one warehouse.

Its sensor asks for two runs of a job that holds the warehouse open for a while,
in one tick: what the schedule and the 1C sensor (or a click in the UI) do when
their runs meet.
"""

import os
import time

import duckdb
from dagster import (
    AssetExecutionContext,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    asset,
    define_asset_job,
    in_process_executor,
    sensor,
)

from orchestration.jobs import WAREHOUSE_WRITER_TAG

HOLD_SECONDS = 8.0


@asset
def warehouse_write(context: AssetExecutionContext) -> None:
    """Opens the warehouse as the landing steps do, and keeps it for a while."""
    with duckdb.connect(os.environ["C360_WAREHOUSE"]) as connection:
        started = time.time()
        time.sleep(HOLD_SECONDS)
        connection.execute(
            "create table if not exists writes"
            " (run_id varchar, started double, finished double)"
        )
        connection.execute(
            "insert into writes values (?, ?, ?)",
            [context.run_id, started, time.time()],
        )


write_job = define_asset_job(
    "warehouse_write_job",
    selection=[warehouse_write],
    tags={WAREHOUSE_WRITER_TAG: "write"},
)


@sensor(
    job=write_job,
    minimum_interval_seconds=1,
    default_status=DefaultSensorStatus.RUNNING,
)
def two_runs_at_once(context):
    if context.cursor:
        return []
    context.update_cursor("asked")
    return [RunRequest(run_key="first"), RunRequest(run_key="second")]


defs = Definitions(
    assets=[warehouse_write],
    jobs=[write_job],
    sensors=[two_runs_at_once],
    executor=in_process_executor,
)
