"""`c360 run`: the main job in-process, then what it built and where to look next."""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path

from c360.identity import IdentityCommandError, status_lines
from customer360.settings import Settings, load_settings
from customer360.warehouse_lock import ensure_writable


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="run the main job: land every source and build everything downstream",
        description=(
            "Materialise the whole asset graph in-process (the same graph that "
            "`c360 ui` shows and the daily schedule runs), then print a summary."
        ),
    )
    run.add_argument(
        "--select",
        nargs="+",
        metavar="ASSET_GROUP_OR_KEY",
        help="only these assets, e.g. raw_onec/invoices or group:landing",
    )
    run.add_argument(
        "--rebuild",
        action="store_true",
        help=(
            "build with dbt even when nothing it reads changed since the last"
            " complete build (by default that build is left out)"
        ),
    )
    run.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    # before Dagster loads and dbt parses: a warehouse in use is said in a second,
    # not by every landing step failing
    ensure_writable(settings.warehouse_path)

    # imported when run, not when `c360 --help` is: Dagster takes seconds to load
    from orchestration.run import new_run_id, run_main_job
    from orchestration.transform.assets import dbt_log_path

    started = time.monotonic()
    run_id = new_run_id()
    print(
        f"Run {run_id}: a line per step below; dbt's full log goes to"
        f" {_display_path(dbt_log_path(run_id))}"
    )
    outcome = run_main_job(
        settings, selection=args.select, run_id=run_id, rebuild=args.rebuild
    )
    print()
    print(outcome.format())
    if outcome.published is None:
        print(not_published_line(settings))
    for line in _identity_status(settings):
        print(line)
    if not outcome.success:
        return 1
    absent = {
        asset.key.split("/")[0]
        for asset in outcome.assets
        if getattr(asset.metadata.get("status"), "value", None) == "absent"
    }
    print(next_steps(settings, time.monotonic() - started, absent))
    return 0


def not_published_line(settings: Settings) -> str:
    """What BI reads after a run that did not publish (failed, or a --select)."""
    from customer360.warehouse_publish import published_at

    path = _display_path(settings.published_path)
    when = published_at(settings.published_path)
    if when is None:
        return (
            "Not published for BI by this run, and no copy has been published yet"
            f" ({path}): a run that builds everything publishes it."
        )
    return (
        f"Not published for BI by this run: BI keeps reading {path}, published"
        f" {datetime.fromtimestamp(when):%Y-%m-%d %H:%M}."
    )


def _identity_status(settings: Settings) -> list[str]:
    """Which matching model each entity type used, and any that failed its checks."""
    try:
        return status_lines(settings)
    except IdentityCommandError:
        return []  # nothing built yet: the run's own failure says why


def next_steps(
    settings: Settings, seconds: float, absent_schemas: set[str] = frozenset()
) -> str:
    """What to look at next; no query on a source the company does not have."""
    warehouse = _display_path(settings.warehouse_path)
    published = _display_path(settings.published_path)
    queries = [
        '  c360 query "select customer_type, count(*) from marts.customer_360 '
        'group by 1"'
    ]
    if "raw_crm" not in absent_schemas:
        queries.append(
            '  c360 query "select branch, count(*) from raw_crm.contacts group by 1"'
        )
    if "raw_onec" not in absent_schemas:
        queries.append('  c360 query "select reason, file, line from raw_onec.rejects"')
    return "\n".join(
        [
            f"Done in {seconds:.0f} s. The warehouse is {warehouse}; BI tools open"
            f" its read-only copy {published} (docs/marts.md).",
            "Next (after `source .venv/bin/activate`):",
            *queries,
            "  c360 identity evaluate   # matching accuracy against the demo's truth",
            "  c360 identity review     # pairs waiting for a person's decision",
            "  c360 ui                  # the asset graph and schedule in a browser",
            "  make test                # the test suite",
        ]
    )


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
