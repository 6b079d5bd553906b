"""The ingest domain's definitions: landing assets, the dlt resource they run on,
and the sensor that starts a run when 1C writes new exports."""

from __future__ import annotations

from dagster import Definitions
from dagster_dlt import DagsterDltResource

from customer360.settings import Settings
from orchestration.ingest.assets import build_landing_assets
from orchestration.ingest.sensors import onec_exports_sensor


def ingest_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=build_landing_assets(settings),
        resources={"dlt": DagsterDltResource()},
        sensors=[onec_exports_sensor],
    )
