"""The BI copy of the warehouse, published once everything upstream has built."""

from collections.abc import Iterable

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from customer360.warehouse_publish import publish
from orchestration.resources import Customer360Settings

PUBLISHED_WAREHOUSE_KEY = AssetKey("published_warehouse")


def build_publish_asset(upstream: Iterable[AssetsDefinition]) -> AssetsDefinition:
    """Downstream of every asset in `upstream` (the dbt project's): Dagster runs it
    only when all of them materialised, so a failed build never reaches BI."""
    deps = sorted({key for assets in upstream for key in assets.keys})

    @asset(
        key=PUBLISHED_WAREHOUSE_KEY,
        deps=deps,
        group_name="publish",
        description=(
            "The read-only copy of the warehouse BI tools open ([warehouse]"
            " published_path), replaced in one step at the end of a successful run."
        ),
    )
    def published_warehouse(
        context: AssetExecutionContext, c360: Customer360Settings
    ) -> MaterializeResult:
        settings = c360.load()
        published = publish(settings.warehouse_path, settings.published_path)
        context.log.info(
            f"published for BI: {published.path} ({published.tables} tables,"
            f" {published.size_bytes / 1e6:,.0f} MB, {published.seconds:.1f} s)"
        )
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(published.path)),
                "tables": published.tables,
                "size_mb": round(published.size_bytes / 1e6, 1),
                "seconds": round(published.seconds, 2),
            }
        )

    return published_warehouse
