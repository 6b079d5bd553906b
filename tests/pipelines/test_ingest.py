"""`c360 ingest`: every source landed and accounted for; one failure hides no other."""

from __future__ import annotations

import pytest
from file_landing_builders import (
    ONEC_HEADERS,
    call,
    invoice,
    landed_tables,
    ticket,
    write_cdr,
    write_onec,
    write_tickets,
)

from c360.main import main
from customer360.warehouse_lock import WarehouseInUse
from pipelines.ingest import (
    UnbalancedTallyError,
    land_source,
    run_ingest,
    run_with_dlt,
)

FILE_SOURCES = ["onec", "telephony", "support"]


def write_one_of_each(landing) -> None:
    write_onec(landing, "invoices", [invoice("АЛ-1"), invoice("АЛ-2", amount="abc")])
    write_cdr(landing, "2025-03", [call("1700000000.1"), call("1700000000.2")])
    write_tickets(landing, "2025-03", [ticket(1)])


def test_the_summary_shows_read_landed_rejected_per_table_and_the_total(
    landing, settings
):
    write_one_of_each(landing)
    messages: list[str] = []

    report = run_ingest(settings, FILE_SOURCES, progress=messages.append)

    assert report.ok
    assert "onec/invoices.csv: 2 rows read" in messages
    by_source = {r.source: r for r in report.sources}
    assert by_source["onec"].read == {"invoices": 2}
    assert by_source["onec"].rejected == {"invoices": 1}
    assert report.warehouse_rows["raw_telephony.calls"] == 2
    assert report.warehouse_rows["raw_onec.rejects"] == 1
    lines = report.format().splitlines()
    assert lines[0].split() == [
        "source", "table", "read", "unchanged", "landed", "rejected", "in",
        "warehouse", "seconds", "status",
    ]  # fmt: skip
    invoices = next(line for line in lines if " invoices " in line).split()
    assert invoices[:6] == ["invoices", "2", "0", "1", "1", "1"]
    # the six 1C exports this company did not put in the landing folder
    assert sum(line.split()[-1] == "absent" for line in lines) == 6
    total = next(line for line in lines if line.startswith("total")).split()
    assert total[1:5] == ["5", "0", "4", "1"]

    again = run_ingest(settings, FILE_SOURCES, progress=None)
    assert sum(r.total_read for r in again.sources) == 0
    assert "files unchanged since the last load, skipped: onec 1" in again.format()


def test_a_failing_source_is_reported_and_the_others_still_land(landing, settings):
    write_one_of_each(landing)
    write_onec(
        landing,
        "invoices",
        [invoice()],
        header=[*ONEC_HEADERS["invoices"][:-1], "Дата2"],
    )

    report = run_ingest(settings, FILE_SOURCES, progress=None)

    assert not report.ok
    assert list(report.failures) == ["onec"]
    assert "schema drift in source 'onec', table 'invoices'" in report.failures["onec"]
    assert "'Дата2'" in report.failures["onec"]
    assert [r.source for r in report.sources] == ["telephony", "support"]
    assert report.warehouse_rows["raw_support.tickets"] == 1
    assert "FAILED onec: schema drift" in report.format()


def test_a_warehouse_taken_during_a_load_is_named_not_blamed_on_credentials(
    landing, settings, warehouse, warehouse_held_by_another_process
):
    """dlt says a refused connection may be credentials or the internet; a DuckDB
    file held by another process is neither, and the failure names the holder."""
    write_one_of_each(landing)
    holders = []

    def load_after_another_process_took_the_warehouse(pipeline, source):
        # the first load: dlt's own connection is the first to open the file
        holders.append(warehouse_held_by_another_process(warehouse))
        return run_with_dlt(pipeline, source)

    with pytest.raises(WarehouseInUse) as failed:
        land_source(
            "telephony",
            settings,
            progress=None,
            run=load_after_another_process_took_the_warehouse,
        )

    [holder] = holders
    message = str(failed.value)
    assert f"in use by another process, PID {holder.pid} (" in message
    assert "credentials" not in message and "internet" not in message


@pytest.fixture
def c360_env(monkeypatch, tmp_path, landing, warehouse):
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("C360_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("C360_LANDING_DIR", str(landing))


def test_c360_ingest_exits_0_when_all_land_and_1_when_one_fails(
    landing, c360_env, capsys
):
    write_one_of_each(landing)

    assert main(["ingest", "--source", "onec", "telephony", "support"]) == 0
    out = capsys.readouterr().out
    assert "telephony/cdr-2025-03.csv: 2 rows read" in out
    assert "total" in out and "calls" in out

    # an April export that lost every column but calldate
    write_cdr(landing, "2025-04", [["2025-04-01 09:00:00"]], header=["calldate"])
    assert main(["ingest", "--source", "telephony"]) == 1
    captured = capsys.readouterr()
    assert "telephony failed: schema drift in source 'telephony', table 'calls'" in (
        captured.err
    )


def test_c360_ingest_exits_1_naming_a_file_that_landed_nothing(
    landing, c360_env, capsys, query
):
    write_one_of_each(landing)
    # binary content under an export's name: rejected whole, which is no success
    (landing / "telephony" / "cdr-2025-04.csv").write_bytes(b"\x00\x01\x02garbage\n")

    assert main(["ingest", "--source", "onec", "telephony", "support"]) == 1

    captured = capsys.readouterr()
    assert (
        "c360 ingest: telephony failed: source 'telephony': not landed: "
        "telephony/cdr-2025-04.csv: nothing landed: not a text file: it holds NUL "
        "bytes. Everything else of the source was landed." in captured.err
    )
    assert "FAILED telephony:" in captured.out
    # the good export of the same source, and the other sources, landed
    assert query("select count(*) from raw_telephony.calls") == [(2,)]
    assert query("select count(*) from raw_support.tickets") == [(1,)]
    assert query("select file, reason from raw_telephony.rejects") == [
        ("telephony/cdr-2025-04.csv", "not a text file: it holds NUL bytes")
    ]


def test_c360_ingest_rejects_an_unknown_source(c360_env, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ingest", "--source", "ledger"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'ledger'" in capsys.readouterr().err


def test_a_missing_landing_folder_is_reported_absent_with_where_it_looked(
    settings, tmp_path
):
    from dataclasses import replace

    elsewhere = replace(settings, landing_dir=tmp_path / "no-such-landing")

    report = run_ingest(elsewhere, ["onec", "telephony"], progress=None)

    # not a failure, since a company has some systems, not all, but not silent
    assert report.ok
    assert set(report.absent) == {"onec", "telephony"}
    assert str(tmp_path / "no-such-landing" / "onec") in report.absent["onec"]
    assert "C360_LANDING_DIR" in report.absent["onec"]
    summary = report.format()
    assert f"onec: absent: no folder {tmp_path / 'no-such-landing' / 'onec'}" in (
        summary
    )
    assert "nothing landed: every source is absent" in summary
    assert report.warehouse_rows == {}


def test_no_configured_crm_portal_is_reported_absent_not_an_empty_load(settings):
    report = run_ingest(settings, ["crm"], progress=None)  # settings has no portals

    assert report.ok
    assert "no CRM portals configured" in report.absent["crm"]
    rows = [line.split() for line in report.format().splitlines()]
    assert ["crm", "-", "absent"] in rows
    assert any(
        line.startswith("crm: absent: no CRM portals")
        for line in (report.format().splitlines())
    )


def test_a_missing_export_is_absent_and_an_export_without_records_is_empty(
    landing, settings, query
):
    write_onec(landing, "invoices", [invoice("АЛ-1")])
    write_onec(landing, "payments", [])  # the header only
    (landing / "telephony").mkdir()  # the folder, no export yet
    write_tickets(landing, "2025-03", [])  # a zero-byte export

    report = run_ingest(settings, FILE_SOURCES, progress=None)

    assert report.ok and report.absent == {}
    by_source = {r.source: r for r in report.sources}
    onec = by_source["onec"]
    assert onec.table_status("invoices") == ""
    assert onec.table_status("payments") == "empty"
    assert onec.empty_tables == {"payments": ["onec/payments.csv"]}
    assert set(onec.absent_tables) == {
        "counterparties", "contact_persons", "shipments", "returns", "discounts"
    }  # fmt: skip
    assert onec.absent_tables["returns"] == "onec/returns.csv"
    assert by_source["telephony"].absent_tables == {"calls": "telephony/cdr-*.csv"}
    assert by_source["support"].table_status("tickets") == "empty"
    summary = report.format()
    assert "onec returns: absent: no onec/returns.csv" in summary
    assert "onec payments: empty: no record in onec/payments.csv" in summary
    assert "telephony calls: absent: no telephony/cdr-*.csv" in summary
    assert "support tickets: empty: no record in support/tickets-2025-03.jsonl" in (
        summary
    )
    status = {
        line.split()[0]: line.split()[-1]
        for line in summary.splitlines()
        if line.startswith(" ")
    }
    assert (status["payments"], status["returns"]) == ("empty", "absent")
    assert status["invoices"] == "1"  # in warehouse: landed, no status
    assert landed_tables(query, "raw_onec") == [
        "_dlt_loads", "_dlt_pipeline_state", "_dlt_version", "invoices"
    ]  # fmt: skip


def test_c360_ingest_exits_0_with_some_sources_absent_and_1_with_all(
    landing, c360_env, capsys, monkeypatch
):
    monkeypatch.delenv("C360_CRM_PORTALS", raising=False)
    monkeypatch.setenv("C360_CONFIG", str(landing / "no-c360.toml"))
    write_onec(landing, "invoices", [invoice("АЛ-1")])

    assert main(["ingest"]) == 0
    out = capsys.readouterr().out
    assert "crm: absent: no CRM portals configured" in out
    assert "telephony: absent: no folder" in out

    assert main(["ingest", "--source", "crm", "telephony"]) == 1
    assert "every source is absent" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("source", "table", "key", "dropped"),
    [
        ("onec", "invoices", "number", "АЛ-2"),
        ("telephony", "calls", "uniqueid", "1700000000.2"),
        ("support", "tickets", "id", 2),
    ],
)
def test_a_record_lost_between_the_source_and_the_table_fails_naming_both(
    landing, settings, source, table, key, dropped
):
    write_onec(landing, "invoices", [invoice("АЛ-1"), invoice("АЛ-2")])
    write_cdr(landing, "2025-03", [call("1700000000.1"), call("1700000000.2")])
    write_tickets(landing, "2025-03", [ticket(1), ticket(2)])

    def run_losing_one_record(pipeline, built):
        # stands in for anything that drops a record after the source counted it
        built.resources[table].add_filter(lambda row: row.get(key) != dropped)
        return pipeline.run(built)

    with pytest.raises(UnbalancedTallyError) as error:
        land_source(source, settings, progress=None, run=run_losing_one_record)

    message = str(error.value)
    assert f"source {source!r}" in message and f"raw_{source}.{table}" in message
    assert "read 2, in the table 1 landed + 0 rejected; missing 1" in message
    assert f"missing 1, e.g. {key}={dropped}" in message
