"""`c360 ingest`: land the sources into the warehouse and print what happened."""

from __future__ import annotations

import argparse
import sys

from customer360.settings import load_settings
from customer360.warehouse_lock import ensure_writable
from pipelines.landing_sources import SOURCES


def _ingest(args: argparse.Namespace) -> int:
    from pipelines.ingest import run_ingest

    settings = load_settings()
    ensure_writable(settings.warehouse_path)
    report = run_ingest(settings, args.source or None, progress=print)
    print()
    print(report.format())
    if not report.ok:
        for source, message in report.failures.items():
            print(f"c360 ingest: {source} failed: {message}", file=sys.stderr)
        return 1
    if report.nothing_present:
        # each absent source is fine on its own; all of them is a setting to check
        print("c360 ingest: every source is absent, nothing landed", file=sys.stderr)
        return 1
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ingest",
        help="land CRM, 1C, telephony and support data into the warehouse",
        description=(
            "Land each source into its raw_<source> schema. Unchanged files are "
            "skipped; bad records go to raw_<source>.rejects; a changed file shape "
            "stops that source's load."
        ),
    )
    parser.add_argument(
        "--source",
        nargs="+",
        action="extend",
        choices=list(SOURCES),
        metavar="NAME",
        help=f"only these sources ({', '.join(SOURCES)}); default: all",
    )
    parser.set_defaults(handler=_ingest)
