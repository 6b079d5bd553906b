"""The `c360` command line: generate, serve, land and run, from one entry point."""

from __future__ import annotations

import argparse
import importlib
import sys

from customer360.settings import SettingsError

# Each command group lives beside the code it drives and registers its own
# sub-commands through `register(subparsers)`; each parser sets `handler`.
COMMAND_MODULES = (
    "customer360.generator.commands",  # c360 generate
    "customer360.bitrix24_standin.commands",  # c360 crm serve|seed
    "pipelines.commands",  # c360 ingest
    "orchestration.commands",  # c360 run
    "customer360.identity.commands",  # c360 identity review|evaluate|train
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="c360",
        description="customer360: one trusted profile per customer, in your warehouse.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except SettingsError as error:
        print(f"c360: settings: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("c360: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
