"""The Dagster instance's home: where `c360 ui` keeps run history and schedule state."""

from __future__ import annotations

import shutil
from pathlib import Path

from customer360.settings import Settings

# committed: the run queue that keeps runs from writing the warehouse at once
INSTANCE_CONFIG = Path(__file__).with_name("dagster.yaml")


def prepare_dagster_home(settings: Settings) -> Path:
    """The settings' DAGSTER_HOME, created, with the committed instance config in it.

    Written on every start, so that an edit of orchestration/dagster.yaml (or a
    fresh checkout) is what the instance runs with. The instance's storage is
    created here, in one process, before the UI and the daemon start: two
    processes creating a fresh SQLite storage at once collide ("table
    alembic_version already exists").
    """
    from dagster import DagsterInstance

    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
    with DagsterInstance.from_config(str(home)):
        pass
    return home
