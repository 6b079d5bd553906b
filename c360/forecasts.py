"""`c360 forecasts fits|refit`: the kept LTV and churn fits, and a refit on request."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from customer360.dbt_context import (
    PRODUCTION_BUILD_ARGS,
    dbt_vars,
    environment_for_dbt,
)
from customer360.settings import Settings, load_settings
from customer360.warehouse_lock import warehouse_in_use

FIT_TABLES = {
    "LTV": "intermediate.int_ltv_fits",
    "churn": "intermediate.int_churn_fits",
}
FIT_MODELS_DBT = ["int_ltv_fits", "int_churn_fits"]
BUILD_HINT = "run `c360 run` (or `dbt build`) first"


class ForecastsCommandError(Exception):
    """A user-facing failure: the message says what is wrong and what to do."""


def fit_rows(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """The fits kept on this warehouse, per forecast, oldest first."""
    import duckdb

    path = settings.warehouse_path
    if not Path(path).exists():
        raise ForecastsCommandError(f"no warehouse at {path}: {BUILD_HINT}")
    try:
        # read-write even to read: a read-only handle is refused while this process
        # holds the file (dbt in-process)
        con = duckdb.connect(str(path))
    except duckdb.IOException as error:
        if (in_use := warehouse_in_use(str(error))) is not None:
            raise in_use from error
        raise ForecastsCommandError(
            f"cannot open the warehouse {path}: {error}"
        ) from error
    try:
        found = {}
        for forecast, table in FIT_TABLES.items():
            schema, name = table.split(".")
            exists = con.execute(
                "select count(*) from information_schema.tables"
                " where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()[0][0]
            if not exists:
                found[forecast] = []
                continue
            cursor = con.execute(
                "select version, fitted_at, trigger, status, customers, data_as_of,"
                f" failed_checks from {table} order by version"
            )
            columns = [d[0] for d in cursor.description]
            found[forecast] = [
                dict(zip(columns, r, strict=True)) for r in cursor.fetchall()
            ]
        return found
    finally:
        con.close()


def _format_fit(row: dict[str, Any]) -> str:
    line = (
        f"version {row['version']}  {row['status']:<8}  fitted"
        f" {row['fitted_at']:%Y-%m-%d %H:%M} on {row['customers']:,} customers"
        f" (data to {row['data_as_of']}): {row['trigger']}"
    )
    if row["failed_checks"]:
        line += f"\n    rejected: {row['failed_checks']}"
    return line


def refit_in_warehouse(settings: Settings) -> None:
    """Fit LTV and churn again on the whole base now, through dbt."""
    from dbt.cli.main import dbtRunner

    with environment_for_dbt(settings):
        result = dbtRunner().invoke(
            [
                "build",
                *PRODUCTION_BUILD_ARGS,
                "--select", *FIT_MODELS_DBT,
                "--vars", dbt_vars(settings, refit_forecasts=True),
                "--project-dir", str(settings.project_dir),
                "--profiles-dir", str(settings.project_dir),
                "--target-path", str(settings.project_dir / "target" / "forecasts"),
                "--quiet",
            ]
        )  # fmt: skip
    if not result.success:
        raise ForecastsCommandError(
            f"the refit did not finish: {result.exception or 'see the dbt log above'}"
        )


def _fits(args: argparse.Namespace) -> int:
    for forecast, rows in fit_rows(load_settings()).items():
        print(f"{forecast}:")
        if not rows:
            print(f"  no fit on this warehouse yet: {BUILD_HINT}")
        for row in rows:
            print("  " + _format_fit(row))
    return 0


def _refit(args: argparse.Namespace) -> int:
    settings = load_settings()
    before = {forecast: len(rows) for forecast, rows in fit_rows(settings).items()}
    print("fitting LTV and churn on the whole customer base ...")
    refit_in_warehouse(settings)
    for forecast, rows in fit_rows(settings).items():
        for row in rows[before.get(forecast, 0) :]:
            print(f"{forecast}: " + _format_fit(row))
    print("The next `c360 run` (or `dbt build`) scores with the accepted fits.")
    return 0


def _guarded(handler):
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except ForecastsCommandError as error:
            print(f"c360 forecasts: {error}", file=sys.stderr)
            return 2

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "forecasts",
        help="list the kept LTV and churn fits, or fit them again now",
        description=(
            "LTV (BG/NBD, Gamma-Gamma) and churn are fitted on the whole customer "
            "base weekly, or when the base grew by a tenth ([forecasts] in "
            "c360.toml); between fits each build scores with the kept fit."
        ),
    )
    commands = parser.add_subparsers(dest="forecasts_command", metavar="COMMAND")
    parser.set_defaults(handler=lambda args: parser.print_help() or 2)
    fits = commands.add_parser(
        "fits",
        help="the fits kept on this warehouse, with when and why each ran",
    )
    fits.set_defaults(handler=_guarded(_fits))
    refit = commands.add_parser(
        "refit",
        help="fit LTV and churn again on the whole base now",
        description=(
            "Fit LTV and churn on the warehouse's customers now and keep the fits "
            "(with their checks) in intermediate.int_ltv_fits and int_churn_fits; "
            "the next build scores with them if they pass."
        ),
    )
    refit.set_defaults(handler=_guarded(_refit))
