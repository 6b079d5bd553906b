"""The sources work for a dlt user: config and secrets the dlt way, no c360 settings."""

from __future__ import annotations

import inspect
import json
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path

import dlt
import duckdb
import pytest
from dlt.common.typing import ConfigValueSentinel
from file_landing_builders import ticket, write_tickets

from demo.standins.bitrix24 import RateLimit, StandinHandle, start_standin
from demo.standins.bitrix24.entities import COMPANY, DEAL
from demo.standins.bitrix24.samples import seed_document, write_seed
from pipelines.crm import crm_source
from pipelines.onec import onec_source
from pipelines.support import support_source
from pipelines.telephony import telephony_source

PROJECT_DIR = Path(__file__).resolve().parents[2]
TOKEN = "dlt-user-token-7c1e"
CONTACTS = {"almaty": 60, "astana": 7}


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandinHandle]:
    seeds = tmp_path / "seeds"
    for branch, contacts in CONTACTS.items():
        document = seed_document(branch, contacts, contacts // 10 + 1, contacts // 2)
        write_seed(seeds, branch, document)
    with start_standin(
        tmp_path / "standin",
        list(CONTACTS),
        token=TOKEN,
        rate_limit=RateLimit(capacity=10_000, drain_per_second=10_000),
        seed_from=seeds,
    ) as handle:
        yield handle


@pytest.fixture
def dlt_project(
    tmp_path: Path, standin: StandinHandle, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A dlt user's folder: no c360.toml, no C360_* variable, config in SOURCES__*."""
    for name in list(os.environ):
        if name.startswith(("C360_", "SOURCES__")):
            monkeypatch.delenv(name)
    project = tmp_path / "project"
    landing = project / "exports"
    write_tickets(landing, "2025-03", [ticket(1), ticket(2), ticket(3)])
    monkeypatch.setenv("SOURCES__CRM__PORTALS", json.dumps(standin.urls))
    monkeypatch.setenv("SOURCES__CRM__WEBHOOK_TOKEN", TOKEN)
    monkeypatch.setenv("SOURCES__SUPPORT__LANDING_DIR", str(landing))
    # destination="duckdb" writes <pipeline name>.duckdb into the working folder
    monkeypatch.chdir(project)
    return project


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


LANDED = ("contacts", "companies", "deals", "tickets")


def _sizes(database: Path) -> dict[str, int]:
    return {
        table: _rows(database, f"select count(*) from landing.{table}")[0][0]
        for table in LANDED
    }


def test_a_dlt_pipeline_lands_the_crm_and_a_file_source_from_dlt_config_alone(
    dlt_project: Path, standin: StandinHandle, tmp_path: Path
) -> None:
    pipeline = dlt.pipeline(
        pipeline_name="company_sources",
        destination="duckdb",
        dataset_name="landing",
        pipelines_dir=str(tmp_path / "dlt_pipelines"),
    )

    loads = [pipeline.run(crm_source()), pipeline.run(support_source())]

    assert all(info.loads_ids and not info.has_failed_jobs for info in loads)
    database = dlt_project / "company_sources.duckdb"
    by_branch = "select branch, count(*) from landing.contacts group by 1"
    assert dict(_rows(database, by_branch)) == CONTACTS
    for table, entity in (("companies", COMPANY), ("deals", DEAL)):
        in_crm = sum(standin.portal(b).store.count(entity) for b in CONTACTS)
        assert _rows(database, f"select count(*) from landing.{table}") == [(in_crm,)]
    tickets = _rows(database, "select id from landing.tickets order by id")
    assert tickets == [(1,), (2,), (3,)]
    sizes = _sizes(database)

    landed_again = {}
    for source in (crm_source(), support_source()):
        pipeline.run(source)
        landed_again |= pipeline.last_trace.last_normalize_info.row_counts

    assert not any(landed_again.get(table) for table in LANDED)
    assert _sizes(database) == sizes


def test_the_committed_dlt_files_show_every_setting_the_sources_need() -> None:
    """`.dlt/config.toml` and `.dlt/example.secrets.toml` name each key to fill."""
    config = tomllib.loads((PROJECT_DIR / ".dlt" / "config.toml").read_text())
    secrets = tomllib.loads((PROJECT_DIR / ".dlt" / "example.secrets.toml").read_text())
    sources = {
        "crm": crm_source,
        "onec": onec_source,
        "telephony": telephony_source,
        "support": support_source,
    }
    for name, source in sources.items():
        injected = {
            parameter.name: parameter.default
            for parameter in inspect.signature(source).parameters.values()
            if isinstance(parameter.default, ConfigValueSentinel)
        }
        assert injected, f"{name}_source takes nothing from dlt's config"
        for key, default in injected.items():
            shown_in = secrets if default is dlt.secrets.value else config
            assert key in shown_in["sources"][name], f"sources.{name}.{key}"
    # optional, with a default: shown all the same
    assert config["sources"]["crm"]["user_id"] == 1
