"""Landing assets: a dagster-dlt multi-asset per source system, an asset per table."""

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
)
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData
from dlt import Pipeline
from dlt.common.pipeline import LoadInfo
from dlt.extract.source import DltSource

from customer360.settings import Settings, SettingsError
from orchestration.resources import Customer360Settings
from orchestration.retries import retry_later
from pipelines.common.destination import dataset_name, make_pipeline
from pipelines.common.tally import SourceTally
from pipelines.ingest import (
    PartlyLandedError,
    SourceReport,
    land_source,
    warehouse_row_counts,
)
from pipelines.landing_sources import SOURCES

LANDING_GROUP = "landing"


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


def declared_source(source_name: str, settings: Settings) -> DltSource:
    """The source whose resources dagster-dlt turns into this source's assets.

    Built without the CRM's portals and amoCRM accounts: declaring assets must need
    no token (`dagster dev` loads where none is set) and reach no CRM, and the CRM
    source has the same resources with or without them. Building reads nothing; each run
    builds its own source from the settings of that moment, with its own tally.
    """
    return SOURCES[source_name].build(
        replace(settings, crm_portals=(), amocrm_accounts=()),
        SourceTally(source_name),
        None,
    )


def _landing_assets_for(source_name: str, settings: Settings) -> AssetsDefinition:
    landing = SOURCES[source_name]
    # the CRM's portals and accounts, rather than files in the landing folder
    talks_to_api = landing.landing_folder is None

    @dlt_assets(
        dlt_source=declared_source(source_name, settings),
        dlt_pipeline=make_pipeline(source_name, settings),
        name=f"land_{source_name}",
        dagster_dlt_translator=LandingTranslator(),
    )
    def _land(
        context: AssetExecutionContext,
        dlt: DagsterDltResource,
        c360: Customer360Settings,
    ) -> Iterator[MaterializeResult]:
        settings_now = c360.load()
        # what dagster-dlt reports per table (load id, jobs, column schema, rows)
        dlt_metadata: dict[AssetKey, Mapping[str, Any]] = {}

        def run_through_dagster_dlt(
            pipeline: Pipeline, source: DltSource
        ) -> LoadInfo | None:
            for result in dlt.run(
                context=context, dlt_source=source, dlt_pipeline=pipeline
            ):
                if result.asset_key is not None:
                    dlt_metadata[result.asset_key] = result.metadata or {}
            return pipeline.last_trace.last_load_info

        # land_source checks what the run landed (tally, drift, new columns) and
        # finds an absent source before any run
        partly_landed: PartlyLandedError | None = None
        try:
            report = land_source(
                source_name,
                settings_now,
                progress=context.log.info,
                run=run_through_dagster_dlt,
            )
        except PartlyLandedError as error:
            # what did land is materialised; the step fails below, naming the rest
            report, partly_landed = error.report, error
        except SettingsError:
            raise  # a missing token or a bad URL: waiting does not fix it
        except Exception as error:
            # an API that did not answer (or a warehouse held by another process)
            # may be back in a few minutes; files are tried again by the next run
            if talks_to_api and (retry := retry_later(context)) is not None:
                raise retry from error
            raise
        # an absent source is materialised all the same (dbt reads its tables as
        # empty); land_source has said so through the log already
        if not report.absent:
            context.log.info(
                f"{source_name}: read {report.total_read:,}, unchanged "
                f"{report.total_unchanged:,}, landed "
                f"{report.total_landed:,}, rejected {report.total_rejected:,} "
                f"in {report.seconds:.1f} s"
            )
            for note in report.notes():
                context.log.info(note)
        in_warehouse = warehouse_row_counts(
            settings_now.warehouse_path, [dataset_name(source_name)]
        )
        for key in context.selected_asset_keys:
            yield MaterializeResult(
                asset_key=key,
                metadata={
                    **dlt_metadata.get(key, {}),
                    **_landing_metadata(report, key.path[-1], in_warehouse),
                },
            )
        if partly_landed is not None:
            failure = Failure(description=str(partly_landed))
            if talks_to_api and (retry := retry_later(context)) is not None:
                # the next try lands what is missing: dlt keeps what landed
                raise retry from failure
            raise failure

    _land.__doc__ = landing.description
    return _land


def _landing_metadata(
    report: SourceReport, table: str, in_warehouse: Mapping[str, int]
) -> dict[str, Any]:
    """Our account of one table's load, beside dagster-dlt's."""
    schema = dataset_name(report.source)
    status = "absent" if report.absent else report.table_status(table)
    detail = report.absent or ""
    if status == "absent" and table in report.absent_tables:
        detail = f"no {report.absent_tables[table]}"
    elif status == "empty":
        detail = "no record in " + ", ".join(report.empty_tables[table])
    return {
        "rows_read": report.read.get(table, 0),
        # read but already landed as they are (same content hash): not merged again
        "rows_unchanged": report.unchanged.get(table, 0),
        "rows_landed": report.landed.get(table, 0),
        "rows_rejected": report.rejected.get(table, 0),
        "rows_in_table": in_warehouse.get(f"{schema}.{table}", 0),
        "rejects_in_source": in_warehouse.get(f"{schema}.rejects", 0),
        "seconds": MetadataValue.float(round(report.seconds, 2)),
        # "absent" (no such system or export), "empty" (an export without
        # records) or "landed"
        "status": status or "landed",
        "status_detail": detail or "",
        "new_columns": ", ".join(report.new_columns.get(table, [])),
        # exports of this table that held no record this run, also when others
        # did (then the status is "landed" and only this says so)
        "empty_files": ", ".join(report.empty_tables.get(table, [])),
        # what of the source could not be landed this run, and why ('' if all was)
        "failures": "; ".join(
            f"{part}: {why}" for part, why in report.failures.items()
        ),
    }
