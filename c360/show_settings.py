"""`c360 settings`: where the warehouse, the landing data and the CRMs are."""

from __future__ import annotations

import argparse
import shlex

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
    values = {
        "C360_PROJECT_DIR": settings.project_dir,
        "C360_WAREHOUSE": settings.warehouse_path,
        "C360_LANDING_DIR": settings.landing_dir,
        "C360_GROUND_TRUTH_DIR": settings.ground_truth_dir,
        "C360_CRM_STANDIN_DIR": settings.crm_standin_dir,
        "C360_CRM_PORTALS": ",".join(
            f"{p.branch}={p.base_url}" for p in settings.crm_portals
        ),
        # dbt reads the branches from these two when run by hand
        "C360_ONEC_BRANCHES": ",".join(
            f"{name}={code}" for name, code in settings.onec_branches.items()
        ),
    }
    if args.exports:
        for name, value in values.items():
            print(f"export {name}={shlex.quote(str(value))}")
        return 0
    for name, value in values.items():
        print(f"{name:24} {value}")
    print(f"{'branches':24} {', '.join(settings.branches) or '(none)'}")
    tokens = {p.branch: "set" if p.token else "MISSING" for p in settings.crm_portals}
    print(
        f"{'CRM webhook tokens':24} "
        + ", ".join(f"{b}: {s}" for b, s in tokens.items())
    )
    return 0
