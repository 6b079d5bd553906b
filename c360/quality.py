"""`c360 quality docs`: where the expectation suites' Data Docs are, built fresh."""

from __future__ import annotations

import argparse
import sys
import webbrowser

from customer360.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    quality = subparsers.add_parser(
        "quality",
        help="the quality gates' results: Great Expectations' Data Docs",
        description=(
            "The expectation suites run as checks in every run (docs/data_quality.md);"
            " their results are in the warehouse's data_quality.validations and in"
            " Great Expectations' Data Docs beside the warehouse."
        ),
    )
    commands = quality.add_subparsers(dest="quality_command", metavar="COMMAND")
    docs = commands.add_parser(
        "docs",
        help="build the Data Docs from the results kept and print where they are",
    )
    docs.add_argument(
        "--open", action="store_true", help="and open them in the web browser"
    )
    docs.set_defaults(handler=_docs)
    quality.set_defaults(handler=lambda _args: quality.print_help() or 2)


def _docs(args: argparse.Namespace) -> int:
    # imported when run: Great Expectations takes seconds to load
    from expectations.validate import build_docs, quality_dir

    settings = load_settings()
    if not (quality_dir(settings.warehouse_path) / "gx").is_dir():
        print(
            "No validation has run on this warehouse yet"
            f" ({settings.warehouse_path}): `c360 run` runs the suites.",
            file=sys.stderr,
        )
        return 1
    index = build_docs(settings.warehouse_path)
    print(f"Data Docs: {index}")
    print(f"  open {index.as_uri()} in a browser")
    if args.open:
        webbrowser.open(index.as_uri())
    return 0
