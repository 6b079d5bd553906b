"""The ingest domain's definitions: landing assets and the dlt resource they run on."""

from __future__ import annotations

from dagster import Definitions
from dagster_dlt import DagsterDltResource

from customer360.settings import Settings
from orchestration.ingest.assets import build_landing_assets


def ingest_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=build_landing_assets(settings),
        resources={"dlt": DagsterDltResource()},
    )
