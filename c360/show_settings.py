"""`c360 settings`: where the warehouse, the landing data and the CRMs are."""

from __future__ import annotations

import argparse
import shlex

from customer360.dbt_context import dbt_environment
from customer360.settings import load_settings


def register(subparsers: argparse._SubParsersAction) -> None:
    show = subparsers.add_parser(
        "settings", help="show where the warehouse, landing data and CRMs are"
    )
    show.add_argument(
        "--exports",
        action="store_true",
        help="print `export C360_...` lines for a shell (for running dbt by hand)",
    )
    show.set_defaults(handler=_settings)


def _settings(args: argparse.Namespace) -> int:
    settings = load_settings()
    # what dbt reads (the same values every dbt run that c360 starts gets), then
    # where the rest of the product looks
    values = {
        **dbt_environment(settings),
        "C360_LANDING_DIR": str(settings.landing_dir),
        "C360_GROUND_TRUTH_DIR": str(settings.ground_truth_dir),
        "C360_CRM_STANDIN_DIR": str(settings.crm_standin_dir),
    }
    if args.exports:
        for name, value in values.items():
            print(f"export {name}={shlex.quote(str(value))}")
        return 0
    # where BI reads: shown, not exported, so that it keeps following the warehouse
    values["C360_PUBLISHED_WAREHOUSE"] = str(settings.published_path)
    for name, value in values.items():
        print(f"{name:27} {value}")
    print(f"{'branches':27} {', '.join(settings.branches) or '(none)'}")
    tokens = {p.branch: "set" if p.token else "MISSING" for p in settings.crm_portals}
    print(
        f"{'CRM webhook tokens':27} "
        + ", ".join(f"{b}: {s}" for b, s in tokens.items())
    )
    print(
        f"{'daily schedule':27} {settings.schedule_cron!r} {settings.schedule_timezone}"
    )
    # the URL carries the chat's token: whether it is set, never what it is
    print(
        f"{'failure alerts webhook':27} "
        + ("set" if settings.alert_webhook_url else "not set (ops.run_failures, log)")
    )
    print(f"{'Dagster home (c360 ui)':27} {settings.dagster_home}")
    if settings.amocrm_accounts:
        print(
            f"{'amoCRM tokens':27} "
            + ", ".join(
                f"{a.branch}: {'set' if a.token else 'MISSING'}"
                for a in settings.amocrm_accounts
            )
        )
    return 0
