"""The Dagster spine: definitions load, and the real graph materialises end to end."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from dagster import MetadataValue

from c360.main import main
from c360.run import not_published_line
from customer360.identity.build_tallies import IdentityTally
from customer360.settings import CrmPortal, Settings, load_settings
from demo.generator import generate
from demo.standins.bitrix24 import RateLimit, start_standin
from orchestration.alerts import failures
from orchestration.definitions import build_definitions
from orchestration.jobs import MAIN_JOB_NAME
from orchestration.progress import RunView
from orchestration.run import AssetOutcome, RunOutcome, run_main_job
from orchestration.transform.assets import KEEP_RUN_TARGETS, RUN_TARGETS

PROJECT_DIR = Path(__file__).resolve().parents[2]
TOKEN = "test-webhook-token"
LANDED_TABLES = {
    "raw_crm": {"contacts", "companies", "deals"},
    "raw_onec": {
        "counterparties",
        "contact_persons",
        "invoices",
        "payments",
        "shipments",
        "returns",
        "discounts",
    },
    "raw_telephony": {"calls"},
    "raw_support": {"tickets"},
}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One small generated company: landing files, ground truth, a seeded CRM."""
    root = tmp_path_factory.mktemp("company")
    generate(root / "landing", root / "ground_truth", customers=300, seed=11)
    yield root


@pytest.fixture
def settings(
    company: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    landing = tmp_path / "landing"
    shutil.copytree(company / "landing", landing)
    with start_standin(
        tmp_path / "standin",
        ["almaty", "astana", "shymkent"],
        token=TOKEN,
        rate_limit=RateLimit(capacity=50, drain_per_second=100),
        seed_from=landing,
    ) as standin:
        monkeypatch.setenv("C360_PROJECT_DIR", str(PROJECT_DIR))
        monkeypatch.setenv("C360_WAREHOUSE", str(tmp_path / "warehouse.duckdb"))
        monkeypatch.setenv("C360_LANDING_DIR", str(landing))
        monkeypatch.setenv(
            "C360_CRM_PORTALS", ",".join(f"{b}={u}" for b, u in standin.urls.items())
        )
        monkeypatch.setenv("C360_CRM_WEBHOOK_TOKEN", TOKEN)
        yield load_settings()


def _table_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema like 'raw_%' and table_schema not like '%_staging'"
            " and table_name not like '_dlt%'"
        ).fetchall()
        return {
            f"{schema}.{table}": connection.execute(
                f'select count(*) from "{schema}"."{table}"'
            ).fetchone()[0]
            for schema, table in tables
        }


def test_definitions_hold_one_asset_per_landed_table_and_the_schedule(
    settings: Settings,
) -> None:
    definitions = build_definitions(settings)
    keys = {
        tuple(key.path)
        for key in definitions.resolve_asset_graph().get_all_asset_keys()
    }
    expected = {
        (schema, table) for schema, tables in LANDED_TABLES.items() for table in tables
    }
    assert expected <= keys
    # the main job builds everything that can be built: every landed table, every
    # dbt model, seed and test (the rejects tables and the reviewers' decisions are
    # read, never built, by the graph)
    graph = definitions.resolve_asset_graph()
    job = definitions.resolve_job_def(MAIN_JOB_NAME)
    selected = set(job.asset_layer.selected_asset_keys)
    assert selected == set(graph.materializable_asset_keys)
    assert {("staging", "stg_onec__invoices"), ("marts", "customer_360")} <= {
        tuple(key.path) for key in selected
    }
    schedule = definitions.resolve_schedule_def("customer360_nightly")
    assert schedule.job_name == MAIN_JOB_NAME
    assert schedule.cron_schedule == "0 3 * * *"
    assert schedule.execution_timezone == "Asia/Almaty"
    # the 1C sensor starts the same job; the failure sensor watches every run
    assert definitions.resolve_sensor_def("onec_exports").job_name == MAIN_JOB_NAME
    assert definitions.resolve_sensor_def("run_failures") is not None
    # one step at a time within a run: they all write the one warehouse
    assert job.executor_def.name == "in_process"


def test_dagster_loads_the_project_definitions_module(tmp_path: Path) -> None:
    """What `dagster dev` does first: import and validate orchestration.definitions."""
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "C360_CRM_WEBHOOK_TOKEN": TOKEN,
            "DAGSTER_HOME": str(tmp_path),
        },
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Validation successful for code location orchestration.definitions" in output


def test_definitions_load_where_no_crm_token_is_set(tmp_path: Path) -> None:
    """`dagster dev` starts before anyone has set the webhook token."""
    tokenless = CrmPortal("almaty", "http://127.0.0.1:9", 1, token=None)
    settings = Settings(
        project_dir=PROJECT_DIR,
        warehouse_path=tmp_path / "warehouse.duckdb",
        landing_dir=tmp_path / "landing",
        ground_truth_dir=tmp_path / "ground_truth",
        crm_portals=(tokenless,),
        crm_standin_dir=tmp_path / "standin",
    )
    definitions = build_definitions(settings)
    keys = {
        tuple(key.path)
        for key in definitions.resolve_asset_graph().get_all_asset_keys()
    }
    assert {("raw_crm", table) for table in LANDED_TABLES["raw_crm"]} <= keys


def _landed(key: str, rows: int, status: str = "landed") -> AssetOutcome:
    return AssetOutcome(
        key,
        {
            "rows_landed": MetadataValue.int(rows),
            "status": MetadataValue.text(status),
        },
    )


def test_the_summary_says_what_changed_and_what_identity_and_the_marts_redid() -> None:
    outcome = RunOutcome(
        success=True,
        assets=[
            _landed("raw_crm/contacts", 90),
            _landed("raw_crm/companies", 3),
            _landed("raw_onec/invoices", 1_600),
            _landed("raw_onec/payments", 7),
            _landed("raw_support/tickets", 40),
            _landed("raw_telephony/calls", 312),
            # a system the company does not have says nothing here
            _landed("raw_amocrm/leads", 0, status="absent"),
        ],
        identity=[
            IdentityTally("persons", 10_000, 93, 1, 105, "", 9_000, 41, 1),
            IdentityTally(
                "organisations", 2_000, 2_000, 0, 1_500, "first build or --full-refresh"
            ),
        ],
        customers=10_000,
    )

    lines = outcome.format().splitlines()

    assert (
        "Changed since the last run: crm 93 records, onec 1,607 rows,"
        " telephony 312 calls, support 40 tickets"
    ) in lines
    assert (
        "Identity: persons 93 of 10,000 records new or changed, 1 gone,"
        " 105 pairs scored, 41 clusters touched, 1 gone with all their records;"
        " organisations all 2,000 records"
        " scored (first build or --full-refresh), 1,500 pairs scored"
    ) in lines
    assert (
        "Customers recomputed: 10,000 of 10,000 (the marts rebuild every customer)"
        in lines
    )


def test_a_summary_without_identity_or_marts_leaves_their_lines_out() -> None:
    summary = RunOutcome(
        success=True, assets=[_landed("raw_onec/invoices", 5)]
    ).format()
    assert "Changed since the last run: onec 5 rows" in summary
    assert "Identity:" not in summary
    assert "Customers recomputed" not in summary


# a BI tool: holds the published copy open, and opens it afresh again and again,
# counting customers, until told to stop; prints every count it saw, or the error
BI_READER = """
import sys, time, pathlib, duckdb
path, stop = sys.argv[1], pathlib.Path(sys.argv[2])
held = duckdb.connect(path, read_only=True)
count = "select count(*) from marts.customer_360"
seen = []
while not stop.exists():
    try:
        with duckdb.connect(path, read_only=True) as fresh:
            seen.append(fresh.execute(count).fetchone()[0])
    except Exception as error:
        seen.append(repr(error))
    time.sleep(0.2)
seen.append(held.execute(count).fetchone()[0])
print("\\n".join(map(str, seen)))
"""


@pytest.mark.slow
def test_c360_run_lands_every_source_and_a_second_run_changes_nothing(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["run"]) == 0
    printed = capsys.readouterr().out
    assert "all assets materialised" in printed
    assert "raw_onec/invoices" in printed
    assert f"Published for BI: {settings.published_path}" in printed
    _assert_a_line_per_step_and_dbt_in_its_log(printed)
    first = _table_counts(settings.warehouse_path)
    for schema, tables in LANDED_TABLES.items():
        for table in tables:
            assert first[f"{schema}.{table}"] > 0, f"{schema}.{table} is empty"
    with duckdb.connect(str(settings.published_path), read_only=True) as published:
        (customers,) = published.execute(
            "select count(*) from marts.customer_360"
        ).fetchone()
    assert customers > 0
    _assert_the_first_run_said_it_scored_everything(printed, customers)

    # a BI tool reads the published copy across the whole second run: it blocks
    # nothing, and is never refused nor shown a half-built warehouse
    stop = tmp_path / "stop-reading"
    reader = subprocess.Popen(
        [sys.executable, "-c", BI_READER, str(settings.published_path), str(stop)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        outcome = run_main_job(settings)
    finally:
        stop.touch()
        seen, _ = reader.communicate(timeout=60)
    assert outcome.success
    assert outcome.published is not None
    assert len(seen.split()) > 10, seen
    assert set(seen.split()) == {str(customers)}, seen
    # the build's artefacts under the run's id, where someone debugging it looks,
    # and only the last few runs' of them
    results = json.loads(
        (RUN_TARGETS / outcome.run_id / "run_results.json").read_text("utf-8")
    )["results"]
    # the models' unit tests run in the test suite, not every night
    ran = {result["unique_id"].split(".")[0] for result in results}
    assert {"model", "test"} <= ran and "unit_test" not in ran, ran
    assert len(list(RUN_TARGETS.iterdir())) <= KEEP_RUN_TARGETS
    assert not list(RUN_TARGETS.parent.glob("customer360_dbt-*"))
    landed = [asset for asset in outcome.assets if asset.key.startswith("raw_")]
    assert len(landed) == sum(len(t) for t in LANDED_TABLES.values())
    # dbt builds on what was landed, in the same run
    built = {asset.key for asset in outcome.assets} - {a.key for a in landed}
    assert {
        "staging/stg_onec__invoices",
        "intermediate/int_person_records_unioned",
    } <= built
    # the first run's CRM sync wrote every CRM record: only the records it gave a
    # missing phone or e-mail (a real change) land again
    assert "CRM sync: bitrix24:" in outcome.format()
    for asset in landed:
        meta = {k: getattr(v, "value", v) for k, v in asset.metadata.items()}
        assert meta["rows_read"] == (
            meta["rows_unchanged"] + meta["rows_landed"] + meta["rows_rejected"]
        )
        if not asset.key.startswith("raw_crm/"):
            assert meta["rows_landed"] == 0, f"{asset.key} landed rows twice"
        # dlt ran through dagster-dlt, which describes the table beside our tally
        assert "dagster/column_schema" in meta
    assert _table_counts(settings.warehouse_path) == first
    synced = {k: getattr(v, "value", v) for k, v in outcome.synced.metadata.items()}
    # (what the fills taught the build, a phone now shared, may change a few
    # records' values once: sent in this run, and then no more)
    assert synced["bitrix24_considered"] > 0
    # what the sync wrote back came back as changed CRM records: the identity
    # build rescored those, not the company
    summary = outcome.format()
    crm_changed = sum(
        getattr(asset.metadata["rows_landed"], "value", 0)
        for asset in landed
        if asset.key.startswith("raw_crm/")
    )
    assert (
        f"Changed since the last run: crm {crm_changed:,} records, onec 0 rows,"
        " telephony 0 calls, support 0 tickets"
    ) in summary.splitlines(), summary
    # the phones and e-mails filled in change enough records that the matching
    # model may be trained again, and a new model scores every pair; otherwise
    # only the changed records are rescored
    persons = re.search(
        r"^Identity: persons (?:([\d,]+) of ([\d,]+) records new or changed"
        r"|all [\d,]+ records scored \(the model changed)",
        summary,
        re.M,
    )
    assert persons, summary
    if persons[1] is not None:
        changed, records = (int(n.replace(",", "")) for n in persons.groups())
        assert changed < records / 10, summary
    assert f"Customers recomputed: {customers:,} of {customers:,}" in summary

    # and the run after lands nothing at all: the sync's writes do not come back
    invocations = _dbt_invocations(settings.warehouse_path)
    screen = io.StringIO()
    third = run_main_job(settings, view=RunView(screen, live=False))
    assert third.success
    for asset in third.assets:
        if asset.key.startswith("raw_"):
            landed_again = getattr(asset.metadata["rows_landed"], "value", None)
            assert landed_again == 0, f"{asset.key} landed {landed_again} again"
    # so dbt does not run: what it would build stands as the second run built it,
    # and what comes after the build (the checks, the sync, the BI copy) still runs
    summary = third.format()
    assert _dbt_invocations(settings.warehouse_path) == invocations
    assert (
        f"dbt build left out: nothing it reads (the landed tables, the review"
        f" decisions, the project, its settings) changed since run {outcome.run_id}"
    ) in summary, summary
    assert "Built by dbt" not in summary and "Customers recomputed" not in summary
    assert re.search(
        rf"dbt build\s+ok\s+left out: nothing it reads changed since run"
        rf" {outcome.run_id}, whose \d+ models and seeds stand",
        screen.getvalue(),
    ), screen.getvalue()
    assert getattr(third.synced.metadata["bitrix24_sent"], "value", None) == 0
    assert third.published is not None
    assert (
        "Changed since the last run: crm 0 records, onec 0 rows, telephony 0 calls,"
        " support 0 tickets"
    ) in summary.splitlines(), summary

    # asked to, it builds all the same: nothing rescored, no cluster touched
    fourth = run_main_job(settings, rebuild=True)
    assert fourth.success
    assert _dbt_invocations(settings.warehouse_path) == invocations + 1
    summary = fourth.format()
    assert "dbt build left out" not in summary
    assert re.search(
        r"^Identity: persons 0 of [\d,]+ records new or changed, 0 pairs scored,"
        r" 0 clusters touched; organisations 0 of [\d,]+ records new or changed,"
        r" 0 pairs scored, 0 clusters touched$",
        summary,
        re.M,
    ), summary


def _dbt_invocations(warehouse: Path) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select count(*) from ops.dbt_invocations"
        ).fetchall()[0][0]


def _assert_the_first_run_said_it_scored_everything(
    printed: str, customers: int
) -> None:
    changed = re.search(
        r"^Changed since the last run: crm ([\d,]+) records, onec ([\d,]+) rows,"
        r" telephony ([\d,]+) calls, support ([\d,]+) tickets$",
        printed,
        re.M,
    )
    assert changed and all(n != "0" for n in changed.groups()), printed
    identity = re.search(
        r"^Identity: persons all ([\d,]+) records scored \(first build or"
        r" --full-refresh\), [\d,]+ pairs scored, ([\d,]+) clusters touched;"
        r" organisations all [\d,]+ records scored",
        printed,
        re.M,
    )
    assert identity, printed
    records, clusters = (int(n.replace(",", "")) for n in identity.groups())
    # every cluster of a first build is new, and there are fewer than records
    assert 0 < clusters < records, printed
    assert (
        f"Customers recomputed: {customers:,} of {customers:,}"
        " (the marts rebuild every customer)"
    ) in printed


def _assert_a_line_per_step_and_dbt_in_its_log(printed: str) -> None:
    """What a person sees of `c360 run` (stdout not a terminal here: plain lines)."""
    lines = printed.splitlines()

    def ended(label: str) -> str:
        found = [line for line in lines if re.search(rf"^\S+  {label}\s+ok\b", line)]
        assert len(found) == 1, f"{label}: {found}\n{printed}"
        return found[0]

    for source in ("crm", "onec", "telephony", "support"):
        assert re.search(r"\d+ tables, [\d,]+ rows landed", ended(f"land {source}"))
    crm = ended("land crm")
    landed = int(re.search(r"([\d,]+) rows landed", crm)[1].replace(",", ""))
    assert landed > 0, crm
    dbt = ended("dbt build")
    built = re.search(r"(\d+)/(\d+) models and seeds;", dbt)
    assert built and built[1] == built[2] and int(built[1]) > 50, dbt
    checks = re.search(r"(\d+)/(\d+) checks passed", dbt)
    assert checks and checks[1] == checks[2] and int(checks[1]) > 100, dbt
    assert re.search(r"[\d,]+ records sent of [\d,]+ considered", ended("CRM sync"))
    ended("publish for BI")

    # dbt's full log, named at the start and in the summary, holds dbt's own
    # line for each model; the screen holds none of them
    named = re.findall(r"target/runs/[0-9a-f-]+/dbt\.log", printed)
    assert len(named) >= 2 and len(set(named)) == 1, printed
    log = PROJECT_DIR / named[0]
    assert log.is_file()
    model_lines = [
        line
        for line in log.read_text(encoding="utf-8").splitlines()
        if re.search(r"\d+ of \d+ OK created sql \w+ model staging\.stg_", line)
    ]
    assert len(model_lines) > 10
    assert not any("OK created sql" in line for line in lines)
    assert len(lines) < 120, printed
    assert len(log.read_text(encoding="utf-8").splitlines()) > 10 * len(lines)


def test_a_failing_dbt_model_is_named_with_the_log_to_read(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """A landed table dbt cannot read (here a view over a table gone since): its
    staging model fails, and the screen names it, says why, and where dbt's log is."""
    with duckdb.connect(str(settings.warehouse_path)) as warehouse:
        warehouse.execute("create schema raw_support")
        warehouse.execute("create table raw_support.tickets_gone (id varchar)")
        warehouse.execute(
            "create view raw_support.tickets as select * from raw_support.tickets_gone"
        )
        warehouse.execute("drop table raw_support.tickets_gone")
    capsys.readouterr()

    assert main(["run", "--select", "staging/stg_support__tickets"]) == 1

    printed = capsys.readouterr().out
    assert re.search(r"ERROR \[dbt build\] dbt: .*stg_support__tickets", printed)
    # and the summary lists it from dbt's run results
    assert "dbt ERROR model stg_support__tickets:" in printed
    failed = [line for line in printed.splitlines() if "stg_support__tickets" in line]
    assert any("tickets_gone" in line for line in failed), printed
    log = re.search(r"FAILED customer360_dbt: .*dbt's log: (\S+dbt\.log)", printed)
    assert log, printed
    assert "stg_support__tickets" in (PROJECT_DIR / log[1]).read_text("utf-8")


def test_a_drifted_source_fails_its_asset_with_a_clear_message_and_others_land(
    settings: Settings,
) -> None:
    counterparties = settings.landing_dir / "onec" / "counterparties.csv"
    lines = counterparties.read_bytes().split(b"\r\n")
    lines[0] += b";" + "НовоеПоле".encode("cp1251")
    lines[1:] = [line + b";x" if line else line for line in lines[1:]]
    counterparties.write_bytes(b"\r\n".join(lines))
    # yesterday's good copy, which BI must keep
    with duckdb.connect(str(settings.published_path)) as yesterday:
        yesterday.execute("create schema marts")
        yesterday.execute("create table marts.customer_360 as select 'per_1' as id")
    published_before = settings.published_path.read_bytes()

    outcome = run_main_job(settings)
    assert outcome.published is None
    assert settings.published_path.read_bytes() == published_before
    assert "BI keeps reading" in not_published_line(settings)
    assert not outcome.success
    [(step, message)] = outcome.failures
    assert step == "land_onec"
    assert "onec" in message and "counterparties" in message and "НовоеПоле" in message
    landed = {asset.key for asset in outcome.assets}
    assert {"raw_crm/contacts", "raw_telephony/calls", "raw_support/tickets"} <= landed
    assert "raw_onec/counterparties" not in landed
    # kept where someone on duty looks, as a scheduled run's failure is
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as warehouse:
        recorded = warehouse.execute(
            "select failed_step, error_message, advice from ops.run_failures"
            " where run_id = ?",
            [outcome.run_id],
        ).fetchall()
    [(failed_step, error_message, advice)] = recorded
    assert failed_step == "land_onec" and "НовоеПоле" in error_message
    assert "schema drift" in advice


def test_a_warehouse_taken_before_the_landing_fails_each_step_naming_the_holder(
    settings: Settings,
    warehouse_held_by_another_process: Callable[[Path], subprocess.Popen[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The run itself (Dagster, a schedule), past `c360 run`'s own check: each step's
    failure names the holder, not DuckDB's or dlt's words for it."""
    holder = warehouse_held_by_another_process(settings.warehouse_path)
    # the failures then wait for the warehouse to record them: not for long here
    monkeypatch.setattr(failures, "RECORD_WAIT_SECONDS", 0.5)

    outcome = run_main_job(settings, selection=["group:landing"])

    assert not outcome.success
    assert {step for step, _ in outcome.failures} == {
        "land_crm",
        "land_onec",
        "land_telephony",
        "land_support",
    }
    for _, message in outcome.failures:
        assert message.startswith(
            f"the warehouse {settings.warehouse_path} is in use by another process,"
            f" PID {holder.pid} ("
        )
    # and, the warehouse still held, the failures went to the log
    assert "could not record the failure in ops.run_failures" in capsys.readouterr().err
