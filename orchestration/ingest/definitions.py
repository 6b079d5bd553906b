"""The ingest domain's definitions: landing assets and the settings they read."""

from __future__ import annotations

from dagster import Definitions

from customer360.settings import Settings
from orchestration.ingest.assets import build_landing_assets


def ingest_definitions(settings: Settings) -> Definitions:
    return Definitions(assets=build_landing_assets(settings))
