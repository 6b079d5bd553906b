"""Each expectation suite as two asset checks on the asset it guards.

`expectations_critical` is blocking: when one of its critical expectations fails,
Dagster runs nothing downstream of the asset, so neither the CRM sync nor the BI
publish runs (BI keeps the last good copy). `expectations_warnings` reports the
warnings and lets the run go on. Both results, with the observed values, are
appended to data_quality.validations (expectations/validations.py).
"""

from collections.abc import Iterable

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from expectations.catalog import SUITES
from expectations.suite import Suite
from expectations.validate import docs_index, run_suite
from expectations.validations import TABLE, record
from orchestration.resources import Customer360Settings
from reverse_etl.configured import mapping_path

CRITICAL_CHECK = "expectations_critical"
WARNING_CHECK = "expectations_warnings"
# what a failed critical check tells the person reading the run
WHAT_TO_DO = (
    "The CRM sync and the BI publish did not run; see docs/data_quality.md"
    " (When a critical check fails)."
)


def build_quality_checks(asset_keys: Iterable[AssetKey]) -> list[AssetChecksDefinition]:
    """The checks of every suite whose asset is in the graph."""
    present = set(asset_keys)
    return [
        _suite_checks(suite)
        for suite in SUITES
        if AssetKey(list(suite.asset)) in present
    ]


def _suite_checks(suite: Suite) -> AssetChecksDefinition:
    key = AssetKey(list(suite.asset))

    @multi_asset_check(
        name=f"quality_{suite.name.replace('.', '__')}",
        description=f"Expectation suite {suite.name}: {suite.description}",
        specs=[
            AssetCheckSpec(
                CRITICAL_CHECK,
                asset=key,
                blocking=True,
                description=f"The critical expectations of suite {suite.name}",
            ),
            AssetCheckSpec(
                WARNING_CHECK,
                asset=key,
                description=f"The warnings of suite {suite.name}",
            ),
        ],
    )
    def quality_checks(context: AssetCheckExecutionContext, c360: Customer360Settings):
        settings = c360.load()
        outcome = run_suite(
            suite, settings.warehouse_path, mapping_path(settings), context.run.run_id
        )
        record(settings.warehouse_path, outcome.rows())
        context.log.info(outcome.summary())
        metadata = {
            "suite": suite.name,
            "validations": MetadataValue.text(
                f"select * from {TABLE} where run_id = '{context.run.run_id}'"
                f" and suite = '{suite.name}'"
            ),
            "data_docs": MetadataValue.path(str(docs_index(settings.warehouse_path))),
        }
        if outcome.skipped:
            context.log.info(f"suite {suite.name} skipped: {outcome.skipped}")
            for name in (CRITICAL_CHECK, WARNING_CHECK):
                yield AssetCheckResult(
                    asset_key=key,
                    check_name=name,
                    passed=True,
                    description=f"Skipped: {outcome.skipped}",
                    metadata={**metadata, "status": "skipped"},
                )
            return
        critical = [e for e in outcome.expectations if e.severity == "critical"]
        warnings = [e for e in outcome.expectations if e.severity != "critical"]
        failed = outcome.critical_failures
        for line in failed:
            context.log.error(line.line())
        for line in outcome.warnings:
            context.log.warning(line.line())
        yield AssetCheckResult(
            asset_key=key,
            check_name=CRITICAL_CHECK,
            passed=not failed,
            severity=AssetCheckSeverity.ERROR,
            description=(
                "; ".join(e.line() for e in failed) + ". " + WHAT_TO_DO
                if failed
                else f"{len(critical)} critical expectations passed"
            ),
            metadata={
                **metadata,
                "expectations": len(critical),
                "failed": len(failed),
            },
        )
        yield AssetCheckResult(
            asset_key=key,
            check_name=WARNING_CHECK,
            passed=not outcome.warnings,
            severity=AssetCheckSeverity.WARN,
            description=(
                "; ".join(e.line() for e in outcome.warnings)
                if outcome.warnings
                else f"{len(warnings)} warning expectations passed"
            ),
            metadata={
                **metadata,
                "expectations": len(warnings),
                "failed": len(outcome.warnings),
            },
        )

    return quality_checks
