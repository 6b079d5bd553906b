"""The `c360` command line: land, run, query and review, from one entry point."""

from __future__ import annotations

import argparse
import sys

import duckdb

from c360 import (
    forecasts,
    identity,
    ingest,
    quality,
    query,
    run,
    show_settings,
    sync,
    ui,
)
from customer360.settings import SettingsError
from customer360.warehouse_lock import WarehouseInUse, warehouse_in_use

# sysexits.h's EX_TEMPFAIL: the warehouse is busy, the same command will work later
# (a scheduler or a shell loop can tell "try again" from a failure by it)
EXIT_WAREHOUSE_IN_USE = 75

# Each command module registers its own sub-commands through `register(subparsers)`;
# each parser sets `handler`. The demo's commands are `c360-demo` (demo/cli.py).
COMMAND_MODULES = (
    ingest,  # c360 ingest
    run,  # c360 run
    identity,  # c360 identity review|evaluate|train|models
    forecasts,  # c360 forecasts fits|refit
    query,  # c360 query
    quality,  # c360 quality docs
    show_settings,  # c360 settings
    sync,  # c360 sync
    ui,  # c360 ui
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="c360",
        description="customer360: one trusted profile per customer, in your warehouse.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser(), argv)


def run_command(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse `argv` and run the chosen command's handler: its exit code, or 2 with
    one line on a settings error, 75 with one line when another process holds the
    warehouse, 130 on Ctrl-C. `c360-demo` runs its commands through this too."""
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except SettingsError as error:
        print(f"{parser.prog}: settings: {error}", file=sys.stderr)
        return 2
    except WarehouseInUse as error:
        print(f"{parser.prog}: {error}", file=sys.stderr)
        return EXIT_WAREHOUSE_IN_USE
    except duckdb.IOException as error:
        # a process that took the warehouse after the command's own check
        if (in_use := warehouse_in_use(str(error))) is None:
            raise
        print(f"{parser.prog}: {in_use}", file=sys.stderr)
        return EXIT_WAREHOUSE_IN_USE
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
