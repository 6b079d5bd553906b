"""The sensor that starts the main job when 1C writes new export files."""

import hashlib
import json
import time
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    sensor,
)

from orchestration.jobs import main_job
from orchestration.resources import Customer360Settings
from pipelines.onec.settings import EXPORT_FILES, SUBDIR

ONEC_SENSOR_NAME = "onec_exports"
# an export written less than this long ago may still be being written (1C writes
# a big one for minutes): the run waits until none has changed for this long
SETTLE_SECONDS = 60
# the tag on a run this sensor starts: which exports it was started for
EXPORTS_TAG = "customer360/onec_exports"


def exports_in(landing_dir: Path) -> dict[str, str]:
    """Each 1C export in the landing folder -> its fingerprint (mtime, size).

    Only the files the 1C pipeline reads (docs/landing_formats.md): another file
    put beside them starts nothing.
    """
    folder = landing_dir / SUBDIR
    found = {}
    for export in EXPORT_FILES:
        try:
            stat = (folder / export.file_name).stat()
        except OSError:
            continue
        found[export.file_name] = f"{stat.st_mtime_ns}:{stat.st_size}"
    return found


@sensor(
    name=ONEC_SENSOR_NAME,
    job=main_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description=(
        "Starts the main job when a 1C export in <landing>/onec/ is new or has"
        " changed since the last evaluation; the exports already there when the"
        " sensor first runs start nothing (the schedule or a person lands them)."
    ),
)
def onec_exports_sensor(
    context: SensorEvaluationContext, c360: Customer360Settings
) -> SensorResult:
    settings = c360.load()
    folder = settings.landing_dir / SUBDIR
    now = time.time()
    present = exports_in(settings.landing_dir)
    if context.cursor is None:
        # the first look: what is already there has been (or will be) landed by
        # the schedule or a person; only what comes after starts a run
        return SensorResult(
            skip_reason=(
                f"watching {folder}: {len(present)} 1C export(s) already there"
                " start nothing; a new or changed one starts a run"
            ),
            cursor=json.dumps(present, sort_keys=True),
        )
    seen: dict[str, str] = json.loads(context.cursor)
    # a removed export is forgotten: back in another state, it starts a run
    seen = {name: fingerprint for name, fingerprint in seen.items() if name in present}
    arrived = sorted(name for name in present if seen.get(name) != present[name])
    if not arrived:
        return SensorResult(
            skip_reason=f"no new or changed 1C export in {folder}",
            cursor=json.dumps(seen, sort_keys=True),
        )
    # 1C writes its exports one after another, a big one for minutes: the run
    # starts once none has changed for a while, so that it lands them all
    writing = sorted(
        name
        for name in arrived
        if now - int(present[name].split(":")[0]) / 1e9 < SETTLE_SECONDS
    )
    if writing:
        return SensorResult(
            skip_reason=(
                f"waiting for 1C to finish writing {', '.join(writing)} in {folder}"
            ),
            cursor=json.dumps(seen, sort_keys=True),
        )
    context.log.info(f"new or changed 1C exports in {folder}: {', '.join(arrived)}")
    # the same files in the same state never start a second run
    run_key = hashlib.sha256(
        json.dumps({name: present[name] for name in arrived}, sort_keys=True).encode()
    ).hexdigest()[:16]
    return SensorResult(
        run_requests=[
            RunRequest(run_key=run_key, tags={EXPORTS_TAG: ", ".join(arrived)})
        ],
        cursor=json.dumps(present, sort_keys=True),
    )
