"""The `c360-demo` command line: the demo company's data and the CRM stand-in.

Apart from `c360` on purpose: the product's command line never imports the demo
equipment, and a company running customer360 on its own systems never needs this.
"""

from __future__ import annotations

import argparse
import sys

from c360.main import run_command
from demo.generator import commands as generator_commands
from demo.standins.amocrm import commands as amocrm_commands
from demo.standins.bitrix24 import commands as standin_commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="c360-demo",
        description=(
            "customer360's demo equipment: generate a company's source data, "
            "serve its CRM portals from a local Bitrix24 stand-in, and an amoCRM "
            "account from a local amoCRM stand-in."
        ),
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    generator_commands.register(subparsers)  # c360-demo generate
    standin_commands.register(subparsers)  # c360-demo standin serve|seed|wait
    amocrm_commands.register(subparsers)  # c360-demo amocrm serve|seed|wait
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
