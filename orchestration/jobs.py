"""The main job and its daily schedule: every asset in the graph, once a day."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
)

from customer360.settings import Settings

MAIN_JOB_NAME = "customer360_main"
SCHEDULE_NAME = "customer360_nightly"
# every run of the main job carries it; the instance config (orchestration/
# dagster.yaml) lets one such run at a time write the warehouse, the rest queue
WAREHOUSE_WRITER_TAG = "customer360/warehouse"

main_job = define_asset_job(
    MAIN_JOB_NAME,
    selection=AssetSelection.all(),
    description="Land every source, then build everything downstream of it.",
    tags={WAREHOUSE_WRITER_TAG: "write"},
)


def build_schedule(settings: Settings) -> ScheduleDefinition:
    """The main job at the settings' cron time ([schedule] cron and timezone).

    Stopped until someone turns it on in the UI (`c360 ui`, Automation): a
    `dagster dev` started to look at the graph must not start writing the warehouse.
    """
    return ScheduleDefinition(
        name=SCHEDULE_NAME,
        job=main_job,
        cron_schedule=settings.schedule_cron,
        execution_timezone=settings.schedule_timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description=(
            f"The main job at {settings.schedule_cron!r}"
            f" ({settings.schedule_timezone}); [schedule] in c360.toml"
        ),
    )
