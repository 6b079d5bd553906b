"""`c360 sync`: write the golden record's attributes back to the CRMs."""

from __future__ import annotations

import argparse
import sys

from customer360.settings import load_settings
from customer360.warehouse_lock import ensure_writable


def register(subparsers: argparse._SubParsersAction) -> None:
    sync = subparsers.add_parser(
        "sync",
        help="write golden IDs, LTV, churn risk, segments back to the CRMs",
        description=(
            "Send each CRM record the values of marts.crm_sync_records that differ"
            " from what the CRM last confirmed, in batches, within the CRM's rate"
            " limit; records are kept in the warehouse's crm_sync schema"
            " (docs/crm_sync.md)."
        ),
    )
    sync.add_argument(
        "--destination",
        action="append",
        metavar="NAME",
        help="only this CRM (bitrix24, amocrm); every configured one by default",
    )
    sync.add_argument(
        "--dry-run",
        action="store_true",
        help="say what would be sent, with a sample of the differences; send nothing",
    )
    sync.set_defaults(handler=_sync)


def _sync(args: argparse.Namespace) -> int:
    from reverse_etl.configured import configured_destinations, mapping_path
    from reverse_etl.destinations import DestinationError
    from reverse_etl.mapping import MappingError
    from reverse_etl.sync import run_sync

    settings = load_settings()
    ensure_writable(settings.warehouse_path)
    destinations = configured_destinations(settings)
    names = args.destination or list(destinations)
    unknown = [name for name in names if name not in destinations]
    if unknown or not names:
        print(
            f"c360 sync: no CRM configured as {', '.join(unknown) or 'any destination'}"
            f" (configured: {', '.join(destinations) or 'none'};"
            " see [crm] portals and [amocrm] accounts)",
            file=sys.stderr,
        )
        return 2
    failed = False
    for name in names:
        try:
            report = run_sync(
                settings.warehouse_path,
                destinations[name],
                mapping_path(settings),
                dry_run=args.dry_run,
                progress=_progress(name),
            )
        except MappingError as error:
            print(f"c360 sync: {error}", file=sys.stderr)
            return 2
        except DestinationError as error:
            print(f"c360 sync: {name}: stopped: {error}", file=sys.stderr)
            return 1
        print(report.format())
        failed |= not report.success
    return 1 if failed else 0


def _progress(name: str):
    def show(done: int, total: int) -> None:
        end = "\n" if done >= total else ""
        print(f"\r  {name}: {done:,}/{total:,} records sent", end=end, flush=True)

    return show
