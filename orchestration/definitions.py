"""The one Definitions object: every domain's assets merged into a single graph.

`dagster dev` (`c360 ui`) loads `defs` from here (see [tool.dagster] in
pyproject.toml); `c360 run` and the tests call `build_definitions(settings)` for
their own warehouse.
"""

from __future__ import annotations

from dagster import Definitions, colored_console_logger, in_process_executor

from customer360.settings import Settings, load_settings
from orchestration.alerts.definitions import alerts_definitions
from orchestration.ingest.definitions import ingest_definitions
from orchestration.jobs import build_schedule, main_job
from orchestration.progress import progress_logger
from orchestration.publish.definitions import publish_definitions
from orchestration.quality.definitions import quality_definitions
from orchestration.resources import Customer360Settings
from orchestration.sync.definitions import sync_definitions
from orchestration.transform.definitions import transform_definitions


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or load_settings()
    shared = Definitions(
        jobs=[main_job],
        schedules=[build_schedule(settings)],
        # one step at a time within a run, as `c360 run` does: DuckDB lets one
        # process write the warehouse, and the landing steps and dbt all write it
        # (the instance's run queue keeps runs apart: orchestration/dagster.yaml)
        executor=in_process_executor,
        resources={
            "c360": Customer360Settings(
                project_dir=str(settings.project_dir),
                warehouse_path=str(settings.warehouse_path),
                landing_dir=str(settings.landing_dir),
                published_path=str(settings.published_path),
            )
        },
        # "console" stays Dagster's default; `c360 run` selects "progress"
        loggers={"console": colored_console_logger, "progress": progress_logger},
    )
    ingest = ingest_definitions(settings)
    transform = transform_definitions(settings)
    return Definitions.merge(
        shared,
        ingest,
        transform,
        quality_definitions([*(ingest.assets or []), *(transform.assets or [])]),
        publish_definitions(list(transform.assets or [])),
        sync_definitions(),
        alerts_definitions(),
    )


defs = build_definitions()
