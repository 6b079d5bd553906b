"""The transform domain's definitions: the dbt assets and the dbt CLI resource."""

from __future__ import annotations

from dagster import Definitions

from customer360.settings import Settings
from orchestration.transform.assets import build_dbt_assets, dbt_cli


def transform_definitions(settings: Settings) -> Definitions:
    return Definitions(
        assets=build_dbt_assets(settings),
        resources={"dbt": dbt_cli()},
    )
