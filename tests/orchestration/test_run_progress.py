"""`c360 run`'s view of a run: a line per step with its counts, problems as they come.

Fed by a small real Dagster job run in-process through the progress logger: real
events (a step started, an asset materialised, checks passed and failed), no dbt.
"""

import io
import re

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Definitions,
    MaterializeResult,
    asset,
    asset_check,
    define_asset_job,
)

from orchestration.progress import RunView, progress_logger, unwatch, watch
from orchestration.run import new_run_id, run_plan

MESSAGES = 200


@asset(
    key=AssetKey(["marts", "customers"]),
    check_specs=[
        AssetCheckSpec("one_row_per_customer", asset=AssetKey(["marts", "customers"])),
        AssetCheckSpec("ltv_not_negative", asset=AssetKey(["marts", "customers"])),
        AssetCheckSpec("churn_in_0_1", asset=AssetKey(["marts", "customers"])),
    ],
)
def customers(context: AssetExecutionContext):
    # a chatty step: its messages must not each become a line where no one watches
    for done in range(MESSAGES):
        context.log.info(f"scored {done} of {MESSAGES} customers")
    context.log.warning("3 customers without a branch")
    return MaterializeResult(
        check_results=[
            AssetCheckResult(check_name="one_row_per_customer", passed=True),
            AssetCheckResult(check_name="ltv_not_negative", passed=True),
            AssetCheckResult(
                check_name="churn_in_0_1",
                passed=False,
                severity=AssetCheckSeverity.WARN,
                description="2 churn probabilities above 1 (per_000007, per_000042)",
            ),
        ]
    )


@asset_check(asset=customers, blocking=False)
def no_customer_without_a_contact() -> AssetCheckResult:
    # a check of its own step, as a quality suite's are
    return AssetCheckResult(
        passed=False, description="4 customers without a phone or an e-mail"
    )


@asset(deps=[customers])
def crm_export() -> None:
    raise RuntimeError("the CRM said no")


def _run(view_stream: io.StringIO, live: bool) -> RunView:
    definitions = Definitions(
        assets=[customers, crm_export],
        asset_checks=[no_customer_without_a_contact],
        jobs=[define_asset_job("all_assets")],
        loggers={"progress": progress_logger},
    )
    view = RunView(view_stream, plans=run_plan(definitions), live=live)
    run_id = new_run_id()
    watch(run_id, view)
    view.open()
    try:
        result = definitions.resolve_job_def("all_assets").execute_in_process(
            run_id=run_id,
            raise_on_error=False,
            run_config={"loggers": {"progress": {"config": {"log_level": "INFO"}}}},
        )
    finally:
        view.close()
        unwatch(run_id)
    assert not result.success
    return view


def test_plain_lines_say_each_step_once_it_ends_with_its_checks_and_problems() -> None:
    stream = io.StringIO()
    _run(stream, live=False)
    lines = stream.getvalue().splitlines()

    ended = [
        line for line in lines if re.search(r"^\S+  marts__customers\s+ok\b", line)
    ]
    assert len(ended) == 1, lines
    assert "2/3 checks passed, 1 failed" in ended[0]
    # the failed check: named, on its asset, with its own words, as a warning
    assert any(
        "warning" in line
        and "churn_in_0_1 on marts/customers failed" in line
        and "2 churn probabilities above 1" in line
        for line in lines
    ), lines
    assert any(
        "warning [marts__customers] 3 customers without a branch" in line
        for line in lines
    )
    assert any(re.search(r"crm_export\s+FAILED", line) for line in lines), lines
    # a check in a step of its own: its own line, its failure said with its words
    checked = [line for line in lines if "no_customer_without_a_contact " in line]
    assert any(re.search(r"\sok\s+0/1 checks passed, 1 failed", x) for x in checked)
    assert any(
        "ERROR" in line and "4 customers without a phone or an e-mail" in line
        for line in lines
    ), lines
    # 200 messages from the step, and a handful of lines about it: not a redraw
    # per message where no terminal redraws
    about_customers = [line for line in lines if "marts__customers" in line]
    assert len(about_customers) < 10, lines


def test_a_terminal_gets_one_redrawn_line_per_step() -> None:
    stream = io.StringIO()
    view = _run(stream, live=True)
    output = stream.getvalue()

    # rich redraws the lines in place (cursor up, erase line) ...
    assert "\x1b[2K" in output
    # ... and what stays on the screen at the end: each step's last line, the
    # problems printed above them
    final = view.steps["marts__customers"].line()
    assert "ok" in final and "2/3 checks passed, 1 failed" in final
    assert final in output
    assert "churn_in_0_1 on marts/customers failed" in output
    assert view.steps["crm_export"].status == "failed"
    # the messages became the line's live note, none of them a line of its own
    assert output.count("scored 199 of 200") <= 5
