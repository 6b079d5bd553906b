"""The publish domain's definitions: the BI copy, downstream of the dbt assets."""

from __future__ import annotations

from dagster import AssetsDefinition, Definitions

from orchestration.publish.assets import build_publish_asset


def publish_definitions(upstream: list[AssetsDefinition]) -> Definitions:
    return Definitions(assets=[build_publish_asset(upstream)])
