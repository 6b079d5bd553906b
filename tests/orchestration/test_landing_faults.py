"""Landing faults through Dagster: what landed is materialised, what did not fails."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from c360.main import main
from customer360.settings import Settings, load_settings
from demo.standins.bitrix24 import RateLimit, StandinHandle, start_standin
from demo.standins.bitrix24.samples import seed_document, write_seed
from orchestration.run import run_main_job
from tests.pipelines.file_landing_builders import call, write_cdr

PROJECT_DIR = Path(__file__).resolve().parents[2]
TOKEN = "landing-faults-token"
CONTACTS = {"almaty": 40, "astana": 20, "shymkent": 10}


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """A company with a CRM only: the seed files of its three portals."""
    folder = tmp_path / "landing"
    for branch, contacts in CONTACTS.items():
        write_seed(folder, branch, seed_document(branch, contacts, 3, 5))
    return folder


@pytest.fixture
def standin(tmp_path: Path, landing: Path) -> Iterator[StandinHandle]:
    with start_standin(
        tmp_path / "standin",
        list(CONTACTS),
        token=TOKEN,
        rate_limit=RateLimit(capacity=50, drain_per_second=200),
        seed_from=landing,
    ) as handle:
        yield handle


def _settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, landing: Path, urls: dict
) -> Settings:
    monkeypatch.setenv("C360_PROJECT_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("C360_LANDING_DIR", str(landing))
    monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", TOKEN)
    monkeypatch.setenv(
        "C360_CRM_PORTALS", ",".join(f"{b}={u}" for b, u in urls.items())
    )
    # a portal that is down fails after one quick retry, not after a minute
    monkeypatch.setenv("SOURCES__CRM__MAX_RETRIES", "1")
    monkeypatch.setenv("SOURCES__CRM__BACKOFF_SECONDS", "0.01")
    return load_settings()


def _port_nobody_listens_on() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _metadata(outcome, key: str) -> dict:
    (asset,) = [asset for asset in outcome.assets if asset.key == key]
    return {name: getattr(v, "value", v) for name, v in asset.metadata.items()}


def test_a_portal_that_is_down_fails_the_step_after_the_others_are_materialised(
    standin: StandinHandle,
    tmp_path: Path,
    landing: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    down = f"http://127.0.0.1:{_port_nobody_listens_on()}"
    settings = _settings(
        monkeypatch, tmp_path, landing, {**standin.urls, "astana": down}
    )

    outcome = run_main_job(settings, ["group:landing"])

    assert not outcome.success
    [(step, message)] = outcome.failures
    assert step == "land_crm"
    assert "portal astana" in message and down in message
    contacts = _metadata(outcome, "raw_crm/contacts")
    assert contacts["rows_in_table"] == 50 and contacts["rows_landed"] == 50
    assert "portal astana" in contacts["failures"]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        by_branch = dict(
            connection.execute(
                "select branch, count(*) from raw_crm.contacts group by 1"
            ).fetchall()
        )
    assert by_branch == {"almaty": 40, "shymkent": 10}
    # `c360 run` says it failed, and exits so
    assert main(["run", "--select", "group:landing"]) == 1
    assert "FAILED land_crm" in capsys.readouterr().out

    # back up: the next run lands astana too, and the step succeeds
    settings = _settings(monkeypatch, tmp_path, landing, standin.urls)
    outcome = run_main_job(settings, ["group:landing"])
    assert outcome.success
    contacts = _metadata(outcome, "raw_crm/contacts")
    assert (contacts["rows_landed"], contacts["rows_in_table"]) == (20, 70)
    assert contacts["failures"] == ""


def _company_without_a_crm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, landing: Path
) -> None:
    """A company of files alone: no CRM portal or account, no 1C branch names."""
    (tmp_path / "c360.toml").write_text("", encoding="utf-8")
    monkeypatch.setenv("C360_CONFIG", str(tmp_path / "c360.toml"))
    monkeypatch.setenv("C360_PROJECT_DIR", str(PROJECT_DIR))
    monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("C360_LANDING_DIR", str(landing))
    for name in ("C360_CRM_PORTALS", "C360_ONEC_BRANCHES", "C360_AMOCRM_ACCOUNTS"):
        monkeypatch.delenv(name, raising=False)


def test_a_file_that_lands_nothing_fails_the_step_and_an_empty_one_is_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    landing = tmp_path / "landing"
    write_cdr(landing, "2025-03", [call("1700000000.1"), call("1700000000.2")])
    write_cdr(landing, "2025-04", [])  # the header only: no call that month
    # binary content under an export's name
    (landing / "telephony" / "cdr-2025-05.csv").write_bytes(b"\x00\x01garbage\n")
    _company_without_a_crm(monkeypatch, tmp_path, landing)

    assert main(["run", "--select", "raw_telephony/calls"]) == 1

    printed = capsys.readouterr().out
    assert (
        "FAILED land_telephony: source 'telephony': not landed: "
        "telephony/cdr-2025-05.csv: nothing landed: not a text file" in printed
    )
    # the good month landed, the empty one is said to be empty
    calls = next(line for line in printed.splitlines() if "raw_telephony/calls" in line)
    # read, unchanged, landed, rejected, files
    assert calls.split()[1:6] == ["3", "0", "2", "1", "2"]
    assert (
        "raw_telephony/calls: empty: no record in telephony/cdr-2025-04.csv" in printed
    )


def test_a_company_with_nothing_landed_is_told_so_before_dbt_builds(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # no CRM and an empty landing folder: a new installation's first run
    landing = tmp_path / "landing"
    landing.mkdir()
    _company_without_a_crm(monkeypatch, tmp_path, landing)

    assert main(["run"]) == 1

    printed = capsys.readouterr().out
    warehouse = tmp_path / "warehouse.duckdb"
    assert (
        f"FAILED customer360_dbt: nothing has been landed in {warehouse} yet:"
        " every source is absent" in printed
    )
    assert f"under {landing}" in printed
    # the checks of the landed tables skip a warehouse that is not there
    assert "Cannot open database" not in printed
    assert "FAILED quality_raw" not in printed
