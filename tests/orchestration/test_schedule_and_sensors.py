"""The daily schedule follows the settings; the 1C sensor starts a run per new file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_sensor_context

from customer360.settings import load_settings
from orchestration.ingest.sensors import (
    EXPORTS_TAG,
    SETTLE_SECONDS,
    onec_exports_sensor,
)
from orchestration.jobs import MAIN_JOB_NAME, build_schedule
from orchestration.resources import Customer360Settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_schedule_runs_the_main_job_at_the_cron_and_time_zone_of_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c360.toml"
    config.write_text('[schedule]\ncron = "30 4 * * 1-5"\ntimezone = "Asia/Aqtobe"\n')
    monkeypatch.setenv("C360_CONFIG", str(config))

    schedule = build_schedule(load_settings(PROJECT_DIR))
    assert (schedule.job_name, schedule.cron_schedule, schedule.execution_timezone) == (
        MAIN_JOB_NAME,
        "30 4 * * 1-5",
        "Asia/Aqtobe",
    )
    # the environment wins over the file, as for every setting
    monkeypatch.setenv("C360_SCHEDULE_CRON", "15 2 * * *")
    monkeypatch.setenv("C360_SCHEDULE_TIMEZONE", "Europe/Moscow")
    schedule = build_schedule(load_settings(PROJECT_DIR))
    assert (schedule.cron_schedule, schedule.execution_timezone) == (
        "15 2 * * *",
        "Europe/Moscow",
    )


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    (folder / "onec").mkdir(parents=True)
    return folder


class OnecSensor:
    """The sensor evaluated tick after tick on a real instance, cursor carried over."""

    def __init__(self, landing: Path, instance: DagsterInstance):
        self.instance = instance
        self.resource = Customer360Settings(
            project_dir=str(PROJECT_DIR), landing_dir=str(landing)
        )
        self.cursor: str | None = None

    def tick(self) -> list[dict[str, str]]:
        """The tags of the runs this evaluation asks for."""
        context = build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={"c360": self.resource},
        )
        result = onec_exports_sensor.evaluate_tick(context)
        self.cursor = result.cursor
        return [dict(request.tags) for request in result.run_requests or []]


def _export(landing: Path, name: str, text: str, age_seconds: float = 600) -> Path:
    """An export 1C finished writing `age_seconds` ago."""
    path = landing / "onec" / name
    path.write_bytes(text.encode("cp1251"))
    written = time.time() - age_seconds
    os.utime(path, (written, written))
    return path


def test_the_1c_sensor_starts_one_run_per_new_or_changed_export_and_none_for_old_ones(
    landing: Path,
) -> None:
    _export(landing, "counterparties.csv", "Код;Наименование\r\n1;ТОО Ромашка\r\n")
    with DagsterInstance.ephemeral() as instance:
        sensor = OnecSensor(landing, instance)
        # the first look: what is already there starts nothing
        assert sensor.tick() == []
        assert sensor.tick() == []

        _export(landing, "invoices.csv", "Номер;Дата\r\n1;01.03.2025\r\n")
        [run] = sensor.tick()
        assert run[EXPORTS_TAG] == "invoices.csv"
        # once per file: the next evaluations find nothing new
        assert sensor.tick() == []

        # an old export written anew (tonight's export replacing last night's)
        _export(
            landing,
            "counterparties.csv",
            "Код;Наименование\r\n1;ТОО Ромашка\r\n2;ИП\r\n",
        )
        [run] = sensor.tick()
        assert run[EXPORTS_TAG] == "counterparties.csv"

        # a file that is not one of 1C's exports starts nothing
        (landing / "onec" / "readme.txt").write_text("notes")
        assert sensor.tick() == []


def test_the_1c_sensor_waits_until_1c_has_finished_writing_the_exports(
    landing: Path,
) -> None:
    with DagsterInstance.ephemeral() as instance:
        sensor = OnecSensor(landing, instance)
        assert sensor.tick() == []  # an empty folder: nothing to start

        _export(landing, "invoices.csv", "Номер\r\n")
        payments = _export(landing, "payments.csv", "Номер\r\n", age_seconds=0)
        # 1C may still be writing payments: one run for both, once it is done
        assert sensor.tick() == []
        written = time.time() - SETTLE_SECONDS - 1
        os.utime(payments, (written, written))
        [run] = sensor.tick()
        assert run[EXPORTS_TAG] == "invoices.csv, payments.csv"
        assert sensor.tick() == []
