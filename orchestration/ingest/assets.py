"""Landing assets: a dagster-dlt multi-asset per source system, an asset per table."""

from collections.abc import Iterator
from dataclasses import replace

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
)
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from customer360.settings import CrmPortal, Settings
from orchestration.resources import Customer360Settings
from pipelines.common.destination import dataset_name, make_pipeline
from pipelines.common.tally import SourceTally
from pipelines.ingest import land_source, warehouse_row_counts
from pipelines.landing_sources import SOURCES

LANDING_GROUP = "landing"
_SHAPE_ONLY_PORTAL = CrmPortal("shape", "http://127.0.0.1", 1, token="never-sent")


class LandingTranslator(DagsterDltTranslator):
    """Asset keys `raw_<source>/<table>`: the same keys dbt gives its sources."""

    def get_asset_spec(self, data: DltResourceTranslatorData):
        spec = super().get_asset_spec(data)
        resource = data.resource
        return spec.replace_attributes(
            key=AssetKey([dataset_name(resource.source_name), resource.name]),
            deps=[],
            group_name=LANDING_GROUP,
        )


def build_landing_assets(settings: Settings) -> list[AssetsDefinition]:
    return [_landing_assets_for(name, settings) for name in SOURCES]


def _landing_assets_for(source_name: str, settings: Settings) -> AssetsDefinition:
    landing = SOURCES[source_name]
    # the source is built here only for its shape (resource names become asset
    # keys); each run builds a fresh one with its own tally. Building makes no
    # request, so a placeholder portal stands in: `dagster dev` must load where
    # the CRM token is not set.
    shape = landing.build(
        replace(settings, crm_portals=(_SHAPE_ONLY_PORTAL,)),
        SourceTally(source_name),
        None,
    )

    @dlt_assets(
        dlt_source=shape,
        dlt_pipeline=make_pipeline(source_name, settings),
        name=f"land_{source_name}",
        dagster_dlt_translator=LandingTranslator(),
    )
    def _land(
        context: AssetExecutionContext, c360: Customer360Settings
    ) -> Iterator[MaterializeResult]:
        settings_now = c360.load()
        report = land_source(source_name, settings_now, progress=context.log.info)
        schema = dataset_name(source_name)
        in_warehouse = warehouse_row_counts(settings_now.warehouse_path, [schema])
        # an absent source is materialised all the same (dbt reads its tables as
        # empty); land_source has said so through the log already
        if not report.absent:
            context.log.info(
                f"{source_name}: read {report.total_read:,}, landed "
                f"{report.total_landed:,}, rejected {report.total_rejected:,} "
                f"in {report.seconds:.1f} s"
            )
            for note in report.notes():
                context.log.info(note)
        for key in context.selected_asset_keys:
            table = key.path[-1]
            status = "absent" if report.absent else report.table_status(table)
            detail = report.absent or ""
            if status == "absent" and table in report.absent_tables:
                detail = f"no {report.absent_tables[table]}"
            elif status == "empty":
                detail = "no record in " + ", ".join(report.empty_tables[table])
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    "rows_read": report.read.get(table, 0),
                    "rows_landed": report.landed.get(table, 0),
                    "rows_rejected": report.rejected.get(table, 0),
                    "rows_in_table": in_warehouse.get(f"{schema}.{table}", 0),
                    "rejects_in_source": in_warehouse.get(f"{schema}.rejects", 0),
                    "seconds": MetadataValue.float(round(report.seconds, 2)),
                    # "absent" (no such system or export), "empty" (an export
                    # without records) or "landed"
                    "status": status or "landed",
                    "status_detail": detail or "",
                    "new_columns": ", ".join(report.new_columns.get(table, [])),
                },
            )

    _land.__doc__ = landing.description
    return _land
