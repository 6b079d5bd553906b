"""`c360 query`: one read-only SQL query against the warehouse, printed."""

from __future__ import annotations

import argparse
import sys

import duckdb

from customer360.settings import load_settings
from customer360.warehouse_readers import open_for_reading

# what a query may be: a select (show, describe and summarize are selects too) or
# the plan of one; anything else is refused before it runs
READING_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class QueryRefused(Exception):
    """The query is not one read-only statement; the message says why."""


def register(subparsers: argparse._SubParsersAction) -> None:
    query = subparsers.add_parser(
        "query",
        help="run one SQL query against the warehouse (read-only) and print it",
        description=(
            "Run one select (or explain) against the warehouse, read-only, with no "
            "access to files, the network or extensions, and print the result. It "
            "reads what BI reads: the copy published at the end of the last "
            "successful run (--working: the warehouse being built)."
        ),
    )
    query.add_argument("sql", help='e.g. "select count(*) from raw_crm.contacts"')
    query.add_argument("--max-rows", type=int, default=40)
    query.add_argument(
        "--working",
        action="store_true",
        help=(
            "read the working warehouse the build writes, not the copy published"
            " for BI at the end of the last successful run (fails while a run"
            " holds it)"
        ),
    )
    query.set_defaults(handler=_query)


def checked_statement(connection: duckdb.DuckDBPyConnection, sql: str) -> str:
    """`sql` when it is exactly one reading statement; QueryRefused otherwise."""
    try:
        statements = connection.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryRefused(f"not valid SQL: {error}") from error
    if len(statements) != 1:
        raise QueryRefused(
            f"one statement at a time, got {len(statements)} (run each on its own)"
        )
    [statement] = statements
    if statement.type not in READING_STATEMENTS:
        # the statement's own first word (install, attach, copy), as the user wrote it
        kind = statement.query.split(maxsplit=1)[0].lower()
        raise QueryRefused(
            f"{kind} does not read: c360 query runs a select, show, describe,"
            " summarize or explain"
        )
    return sql


def _query(args: argparse.Namespace) -> int:
    settings = load_settings()
    path = settings.warehouse_path if args.working else settings.published_path
    if not path.exists():
        if args.working:
            advice = "run `c360 run` first"
        elif settings.warehouse_path.exists():
            advice = (
                "a run publishes it when it builds everything; until then query"
                " the working warehouse with --working"
            )
        else:
            advice = "run `c360 run` first"
        what = "warehouse" if args.working else "published copy of the warehouse"
        print(f"c360 query: no {what} at {path}: {advice}", file=sys.stderr)
        return 2
    try:
        connection = open_for_reading(path)
    except duckdb.IOException as error:
        # only the working warehouse is ever locked: the build is writing it
        print(
            f"c360 query: cannot read {path} while a run writes it ({error});"
            " query the published copy (without --working)",
            file=sys.stderr,
        )
        return 1
    with connection:
        try:
            relation = connection.sql(checked_statement(connection, args.sql))
        except QueryRefused as error:
            print(f"c360 query: refused: {error}", file=sys.stderr)
            return 2
        except duckdb.PermissionException as error:
            print(
                "c360 query: refused: queries read the warehouse's tables only, with"
                f" no access to files, the network or extensions ({error})",
                file=sys.stderr,
            )
            return 2
        except duckdb.Error as error:
            print(f"c360 query: query failed: {error}", file=sys.stderr)
            return 1
        if relation is not None:
            relation.show(max_rows=args.max_rows, max_width=200)
    return 0
