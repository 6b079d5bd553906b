"""`c360 query`: one read-only SQL query against the warehouse, printed."""

from __future__ import annotations

import argparse
import sys

import duckdb

from customer360.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    query = subparsers.add_parser(
        "query", help="run one SQL query against the warehouse (read-only) and print it"
    )
    query.add_argument("sql", help='e.g. "select count(*) from raw_crm.contacts"')
    query.add_argument("--max-rows", type=int, default=40)
    query.set_defaults(handler=_query)


def _query(args: argparse.Namespace) -> int:
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
