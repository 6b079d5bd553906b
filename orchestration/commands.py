"""`c360 run` (the main job, in-process), `c360 query` and `c360 settings`."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from customer360.settings import Settings, load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser(
        "run",
        help="run the main job: land every source and build everything downstream",
        description=(
            "Materialise the whole asset graph in-process (the same graph that "
            "`dagster dev` shows and the nightly schedule runs), then print a summary."
        ),
    )
    run.add_argument(
        "--select",
        nargs="+",
        metavar="ASSET_GROUP_OR_KEY",
        help="only these assets, e.g. raw_onec/invoices or group:landing",
    )
    run.set_defaults(handler=_run)

    query = subparsers.add_parser(
        "query", help="run one SQL query against the warehouse (read-only) and print it"
    )
    query.add_argument("sql", help='e.g. "select count(*) from raw_crm.contacts"')
    query.add_argument("--max-rows", type=int, default=40)
    query.set_defaults(handler=_query)

    show = subparsers.add_parser(
        "settings", help="show where the warehouse, landing data and CRMs are"
    )
    show.add_argument(
        "--exports",
        action="store_true",
        help="print `export C360_...` lines for a shell (for running dbt by hand)",
    )
    show.set_defaults(handler=_settings)


def _run(args: argparse.Namespace) -> int:
    from orchestration.run import run_main_job

    settings = load_settings()
    started = time.monotonic()
    outcome = run_main_job(settings, selection=args.select)
    print()
    print(outcome.format())
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


def _identity_status(settings: Settings) -> list[str]:
    """Which matching model each entity type used, and any that failed its checks."""
    from customer360.identity.commands import IdentityCommandError, status_lines

    try:
        return status_lines(settings)
    except IdentityCommandError:
        return []  # nothing built yet: the run's own failure says why


def next_steps(
    settings: Settings, seconds: float, absent_schemas: set[str] = frozenset()
) -> str:
    """What to look at next; no query on a source the company does not have."""
    warehouse = _display_path(settings.warehouse_path)
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
            f"Done in {seconds:.0f} s. The warehouse is {warehouse}.",
            "Next (after `source .venv/bin/activate`):",
            *queries,
            "  c360 identity evaluate   # matching accuracy against the demo's truth",
            "  c360 identity review     # pairs waiting for a person's decision",
            "  dagster dev              # the asset graph in a browser",
            "  make test                # the test suite",
        ]
    )


def _display_path(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _query(args: argparse.Namespace) -> int:
    import duckdb

    settings = load_settings()
    if not settings.warehouse_path.exists():
        print(
            f"c360: no warehouse at {settings.warehouse_path}: run `c360 run` first",
            file=sys.stderr,
        )
        return 2
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        try:
            relation = connection.sql(args.sql)
        except duckdb.Error as error:
            print(f"c360: query failed: {error}", file=sys.stderr)
            return 1
        if relation is None:
            return 0
        relation.show(max_rows=args.max_rows, max_width=200)
    return 0


def _settings(args: argparse.Namespace) -> int:
    settings = load_settings()
    values = {
        "C360_PROJECT_DIR": settings.project_dir,
        "C360_WAREHOUSE": settings.warehouse_path,
        "C360_LANDING_DIR": settings.landing_dir,
        "C360_GROUND_TRUTH_DIR": settings.ground_truth_dir,
        "C360_CRM_STANDIN_DIR": settings.crm_standin_dir,
        "C360_CRM_PORTALS": ",".join(
            f"{p.branch}={p.base_url}" for p in settings.crm_portals
        ),
        # dbt reads the branches from these two when run by hand
        "C360_ONEC_BRANCHES": ",".join(
            f"{name}={code}" for name, code in settings.onec_branches.items()
        ),
    }
    if args.exports:
        for name, value in values.items():
            print(f"export {name}={shlex.quote(str(value))}")
        return 0
    for name, value in values.items():
        print(f"{name:24} {value}")
    print(f"{'branches':24} {', '.join(settings.branches) or '(none)'}")
    tokens = {p.branch: "set" if p.token else "MISSING" for p in settings.crm_portals}
    print(
        f"{'CRM webhook tokens':24} "
        + ", ".join(f"{b}: {s}" for b, s in tokens.items())
    )
    return 0
