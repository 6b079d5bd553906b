"""`c360 ui`: the Dagster UI on this machine, on the instance that queues the runs."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from customer360.settings import Settings, load_settings

# loopback only: the UI starts runs and shows customer data, and has no login
HOST = "127.0.0.1"
DEFAULT_PORT = 3000
DEFINITIONS_MODULE = "orchestration.definitions"


def register(subparsers: argparse._SubParsersAction) -> None:
    ui = subparsers.add_parser(
        "ui",
        help="the Dagster UI (asset graph, checks, schedule, sensors) on 127.0.0.1",
        description=(
            "Run `dagster dev` on loopback with DAGSTER_HOME set to the project's"
            " Dagster folder ([orchestration] dagster_home), whose instance config"
            " queues runs so that one at a time writes the warehouse. The daemon it"
            " starts runs the schedule and the sensors once they are turned on."
        ),
    )
    ui.add_argument("--port", type=int, default=DEFAULT_PORT, help="default 3000")
    ui.set_defaults(handler=_ui)


def ui_command(settings: Settings, port: int) -> tuple[list[str], dict[str, str]]:
    """The `dagster dev` command line and its environment; prepares DAGSTER_HOME."""
    from orchestration.instance import prepare_dagster_home

    home = prepare_dagster_home(settings)
    dagster = Path(sys.executable).parent / "dagster"
    command = [str(dagster), "dev", "-m", DEFINITIONS_MODULE, "-h", HOST]
    command += ["-p", str(port)]
    environment = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        # the definitions, the runs and the sensors read this project's settings
        "C360_PROJECT_DIR": str(settings.project_dir),
    }
    return command, environment


def _ui(args: argparse.Namespace) -> int:
    settings = load_settings()
    command, environment = ui_command(settings, args.port)
    print(
        f"Dagster UI: http://{HOST}:{args.port} (Ctrl-C stops it)\n"
        f"  instance: {environment['DAGSTER_HOME']} (run history, schedule and"
        " sensor state; runs queue, one at a time)\n"
        f"  schedule customer360_nightly: {settings.schedule_cron!r}"
        f" {settings.schedule_timezone}; it and the 1C sensor start stopped:"
        " turn them on under Automation"
    )
    ui = subprocess.Popen(command, env=environment, cwd=settings.project_dir)
    try:
        return ui.wait()
    except KeyboardInterrupt:
        # dagster dev got the Ctrl-C too and is stopping its webserver and daemon
        ui.wait()
        return 0
