"""What dbt needs from the settings, handed over one way: environment and vars.

dbt reads the warehouse path in `profiles.yml` and the company's branches in
`macros/branches.sql` from `C360_*` variables, and the dbt Python models read the
rest through `load_settings()`, which reads the same variables. Every dbt run that
customer360 starts (Dagster, `c360 identity train`, the tests, the benchmarks) and
`c360 settings --exports` for a run by hand take them from here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from customer360.settings import Settings

# dbt's unit tests check the models' SQL on fixed rows, not the company's data: they
# belong to `make test` and CI (the test company's `dbt build` runs them all), and in
# a nightly build or a retrain they were a fixed cost of every run, changed data or not
PRODUCTION_BUILD_ARGS = ("--exclude-resource-type", "unit_test")


def dbt_environment(settings: Settings) -> dict[str, str]:
    """The `C360_*` variables a dbt run reads, from the resolved settings."""
    return {
        "C360_PROJECT_DIR": str(settings.project_dir),
        "C360_WAREHOUSE": str(settings.warehouse_path),
        "C360_CRM_PORTALS": ",".join(
            f"{portal.branch}={portal.base_url}" for portal in settings.crm_portals
        ),
        "C360_AMOCRM_ACCOUNTS": ",".join(
            f"{account.branch}={account.base_url}"
            for account in settings.amocrm_accounts
        ),
        "C360_ONEC_BRANCHES": ",".join(
            f"{name}={code}" for name, code in settings.onec_branches.items()
        ),
        "C360_IDENTITY_MEMORY_LIMIT": settings.identity_memory_limit,
        # for a dbt run by hand; runs that customer360 starts also pass them as vars
        "C360_FORECAST_REFIT_DAYS": str(settings.forecast_refit_days),
        "C360_FORECAST_REFIT_GROWTH": str(settings.forecast_refit_growth),
    }


def dbt_vars(settings: Settings, **extra: Any) -> str:
    """The company's shape as dbt `--vars`: its branches and 1C's names for them,
    and when the LTV and churn models are fitted again.

    Given to parse and build alike (a change of vars makes dbt parse the whole
    project again); `extra` adds a run's own vars, such as `identity_retrain` or
    `refit_forecasts`.
    """
    return json.dumps(
        {
            "c360_branches": list(settings.branches),
            "c360_onec_branches": dict(settings.onec_branches),
            "forecast_refit_days": settings.forecast_refit_days,
            "forecast_refit_growth": settings.forecast_refit_growth,
            **extra,
        },
        ensure_ascii=False,
    )


@contextmanager
def environment_for_dbt(settings: Settings) -> Iterator[None]:
    """Set `dbt_environment(settings)` for an in-process dbt run, then put back
    what was there before."""
    values = dbt_environment(settings)
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
