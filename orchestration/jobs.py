"""The main job and its schedule: every asset in the graph, once a night."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
)

MAIN_JOB_NAME = "customer360_main"

main_job = define_asset_job(
    MAIN_JOB_NAME,
    selection=AssetSelection.all(),
    description="Land every source, then build everything downstream of it.",
)

# 03:00 in Almaty: after the branches close and 1C's nightly export is written
nightly_schedule = ScheduleDefinition(
    name="customer360_nightly",
    job=main_job,
    cron_schedule="0 3 * * *",
    execution_timezone="Asia/Almaty",
    default_status=DefaultScheduleStatus.STOPPED,
)
