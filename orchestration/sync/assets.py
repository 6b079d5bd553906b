"""The CRM sync as an asset, downstream of the marts it reads."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    asset,
)

from orchestration.resources import Customer360Settings
from orchestration.retries import retry_later
from reverse_etl.configured import configured_destinations, mapping_path
from reverse_etl.destinations import DestinationError
from reverse_etl.mapping import MappingError
from reverse_etl.sync import run_sync

CRM_SYNC_KEY = AssetKey("crm_sync")
# the contracted marts the sync reads
SYNC_INPUTS = (
    AssetKey(["marts", "crm_sync_records"]),
    AssetKey(["marts", "customer_360"]),
)


def build_sync_asset() -> AssetsDefinition:
    @asset(
        key=CRM_SYNC_KEY,
        deps=list(SYNC_INPUTS),
        group_name="sync",
        description=(
            "Writes each CRM record's golden ID, LTV, churn risk, segment, data-quality"
            " flags and duplicate pointer back to the CRM, only what changed"
            " (docs/crm_sync.md); per-record results in the crm_sync schema."
        ),
    )
    def crm_sync(
        context: AssetExecutionContext, c360: Customer360Settings
    ) -> MaterializeResult:
        settings = c360.load()
        destinations = configured_destinations(settings)
        if not destinations:
            return MaterializeResult(
                metadata={"status": "absent: no CRM configured ([crm] portals)"}
            )
        metadata: dict[str, object] = {}
        failed = []
        for name, destination in destinations.items():
            try:
                report = run_sync(
                    settings.warehouse_path,
                    destination,
                    mapping_path(settings),
                    progress=_progress(context, name),
                )
            except (MappingError, DestinationError) as error:
                # a mapping that does not fit, a CRM refusing the sync as a whole:
                # trying again would not help
                raise Failure(f"{name}: {error}") from error
            context.log.info(report.format())
            counts = report.counts
            for figure in ("considered", "unchanged", "sent", "confirmed", "rejected"):
                metadata[f"{name}_{figure}"] = getattr(counts, figure)
            metadata[f"{name}_run_id"] = report.run_id
            if not report.success:
                failed.append(
                    f"{name}: "
                    + "; ".join(f"{t}: {r}" for t, r in counts.unavailable.items())
                )
        if failed:
            failure = Failure(
                "CRM sync not finished: "
                + "; ".join(failed)
                + ". What the CRMs confirmed is kept; the rest is sent next run."
            )
            # a portal that kept failing may be back in a few minutes; the next
            # try sends only what it has not confirmed
            if (retry := retry_later(context)) is not None:
                raise retry from failure
            raise failure
        return MaterializeResult(metadata=metadata)

    return crm_sync


def _progress(context: AssetExecutionContext, name: str):
    step = 2_000

    def report(done: int, total: int) -> None:
        if done >= total or done % step < 50:
            context.log.info(f"crm sync {name}: {done:,} / {total:,} records sent")

    return report
