"""CDR exports: every call landed once, however many exports repeat it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from file_landing_builders import CDR_HEADER, call, landed_tables, write_cdr

from pipelines.common.contracts import SchemaDriftError
from pipelines.ingest import PartlyLandedError, land_source
from pipelines.telephony import telephony_source


def calls(query) -> list[tuple]:
    return query(
        "select uniqueid, calldate, duration, billsec "
        "from raw_telephony.calls order by uniqueid"
    )


def test_calls_land_typed(landing, land, query):
    write_cdr(
        landing, "2025-03", [call("1700000000.1"), call("1700000000.2", duration="")]
    )

    tally, info = land(telephony_source, "telephony")

    assert not info.has_failed_jobs and tally.landed == {"calls": 2}
    assert calls(query) == [
        ("1700000000.1", datetime(2025, 3, 1, 5, 0, tzinfo=UTC), 65, 60),
        ("1700000000.2", datetime(2025, 3, 1, 5, 0, tzinfo=UTC), None, 60),
    ]
    assert query("select clid from raw_telephony.calls limit 1") == [
        ('"Иван Петров" <87771234567>',)
    ]


def test_a_call_repeated_by_later_exports_lands_once(landing, land, query):
    late_march = call("1700000000.9", calldate="2025-03-31 23:59:00")
    write_cdr(landing, "2025-03", [call("1700000000.1"), late_march])
    # the April export repeats the last March call, in the same run...
    write_cdr(
        landing, "2025-04", [late_march, call("1700000001.1", "2025-04-01 09:00:00")]
    )
    land(telephony_source, "telephony")
    assert len(calls(query)) == 3

    # ...and a May export repeats it again in a later run, with a new call
    write_cdr(
        landing, "2025-05", [late_march, call("1700000002.1", "2025-05-02 09:00:00")]
    )
    tally, _ = land(telephony_source, "telephony")

    assert tally.unchanged_files == [
        "telephony/cdr-2025-03.csv",
        "telephony/cdr-2025-04.csv",
    ]
    assert tally.read == {"calls": 2}
    assert [row[0] for row in calls(query)] == [
        "1700000000.1",
        "1700000000.9",
        "1700000001.1",
        "1700000002.1",
    ]


def test_loading_the_same_exports_twice_changes_nothing(landing, land, query):
    write_cdr(landing, "2025-03", [call("1700000000.1")], extra=b"broken,line\n")
    land(telephony_source, "telephony")
    before = (calls(query), query("select * from raw_telephony.rejects"))

    tally, _ = land(telephony_source, "telephony")

    assert tally.total_read == 0
    assert (calls(query), query("select * from raw_telephony.rejects")) == before


def test_bad_call_records_are_rejected_with_their_line(landing, land, query):
    write_cdr(
        landing,
        "2025-03",
        [
            call("1700000000.1", calldate="2025-02-30 10:00:00"),
            call("1700000000.2", duration="1m5s"),
            call("1700000000.3"),
        ],
        extra=b"2025-03-02 10:00:00,\xff\xfe,1\n" + b'2025-03-02 11:00:00,"cut',
    )

    tally, _ = land(telephony_source, "telephony")

    assert tally.read == {"calls": 5} and tally.landed == {"calls": 1}
    assert query("select line, reason from raw_telephony.rejects order by line") == [
        (2, "impossible calldate 2025-02-30 10:00:00"),
        (3, "duration '1m5s' is not whole seconds"),
        (5, "undecodable as UTF-8"),
        (6, "truncated file: the last record has no line end"),
    ]


def test_a_new_cdr_column_stops_the_load(landing, settings, query):
    write_cdr(landing, "2025-03", [call("1700000000.1")])
    write_cdr(
        landing,
        "2025-04",
        [[*call("1700000001.1"), "x"]],
        header=[*CDR_HEADER, "peeraccount"],
    )

    with pytest.raises(SchemaDriftError, match="peeraccount") as drift:
        land_source("telephony", settings, progress=None)

    assert (drift.value.source, drift.value.table) == ("telephony", "calls")
    assert landed_tables(query, "raw_telephony") == []


def test_a_late_export_with_older_calls_is_not_lost(landing, land, query):
    write_cdr(landing, "2025-05", [call("1700000005.1", "2025-05-10 09:00:00")])
    land(telephony_source, "telephony")

    # April's export arrives after May's was landed: its calls are older than
    # the newest landed call but within the late-call window
    write_cdr(
        landing,
        "2025-04",
        [
            call("1700000004.1", "2025-04-20 09:00:00"),
            call("1700000005.1", "2025-05-10 09:00:00"),
        ],
    )
    tally, _ = land(telephony_source, "telephony")

    assert tally.read == {"calls": 2}
    assert [row[0] for row in calls(query)] == ["1700000004.1", "1700000005.1"]


def test_an_export_months_older_than_the_newest_call_lands_every_call(
    landing, settings, query
):
    write_cdr(landing, "2025-05", [call("1700000005.1", "2025-05-10 09:00:00")])
    land_source("telephony", settings, progress=None)

    # a branch's December export, found and sent five months late
    december = [
        call(f"1700000001.{n}", f"2024-12-{n % 28 + 1:02} 09:00:00") for n in range(50)
    ]
    write_cdr(landing, "2024-12", december)
    report = land_source("telephony", settings, progress=None)

    assert (report.read, report.landed) == ({"calls": 50}, {"calls": 50})
    assert len(calls(query)) == 51
    # and it is not read again
    assert land_source("telephony", settings, progress=None).read == {}


def test_bad_rows_appended_to_a_loaded_export_are_rejected_and_later_runs_go_on(
    landing, settings, query
):
    march = [call("1700000000.1"), call("1700000000.2", "2025-03-02 10:00:00")]
    write_cdr(landing, "2025-03", march)
    land_source("telephony", settings, progress=None)

    # the PBX appends to the month's file: a good call and three broken rows
    write_cdr(
        landing,
        "2025-03",
        [
            *march,
            call("1700000000.3", "2025-03-03 10:00:00"),
            [*call("1700000000.4", "2025-03-04 10:00:00"), "extra"],
            call("1700000000.5", "2025-03-05 10:00:00")[:-1],
            call("1700000000.6", "2025-03-32 10:00:00"),
        ],
    )
    report = land_source("telephony", settings, progress=None)

    assert report.read == {"calls": 6}
    assert (report.landed, report.rejected) == ({"calls": 3}, {"calls": 3})
    assert query(
        "select file, line, reason from raw_telephony.rejects order by line"
    ) == [
        ("telephony/cdr-2025-03.csv", 5, "wrong number of fields: 17, expected 16"),
        ("telephony/cdr-2025-03.csv", 6, "wrong number of fields: 15, expected 16"),
        ("telephony/cdr-2025-03.csv", 7, "impossible calldate 2025-03-32 10:00:00"),
    ]
    assert [row[0] for row in calls(query)][-1] == "1700000000.3"

    # the next month's export lands as usual, nothing of March again
    write_cdr(landing, "2025-04", [call("1700000001.1", "2025-04-01 09:00:00")])
    report = land_source("telephony", settings, progress=None)
    assert (report.read, report.landed) == ({"calls": 1}, {"calls": 1})
    assert len(calls(query)) == 4


def test_a_cdr_export_written_in_windows_1251_lands_read_so(landing, settings, query):
    path = write_cdr(landing, "2025-03", [call("1700000000.1"), call("1700000000.2")])
    # a PBX that writes its caller names in windows-1251
    path.write_bytes(path.read_bytes().decode("utf-8").encode("cp1251"))
    messages: list[str] = []

    report = land_source("telephony", settings, progress=messages.append)

    assert (report.read, report.landed) == ({"calls": 2}, {"calls": 2})
    assert query("select distinct clid from raw_telephony.calls") == [
        ('"Иван Петров" <87771234567>',)
    ]
    assert "telephony/cdr-2025-03.csv: read as windows-1251, not UTF-8" in messages


def test_a_cdr_export_saved_as_utf16_fails_the_run_by_name_and_the_rest_lands(
    landing, settings, query
):
    write_cdr(landing, "2025-03", [call("1700000000.1")])
    april = write_cdr(landing, "2025-04", [call("1700000001.1", "2025-04-01 09:00:00")])
    # Excel's "Unicode text": UTF-16 with a byte-order mark
    april.write_bytes(april.read_bytes().decode("utf-8").encode("utf-16"))

    with pytest.raises(PartlyLandedError) as failed:
        land_source("telephony", settings, progress=None)

    assert (
        "telephony/cdr-2025-04.csv: nothing landed: file is UTF-16 (its byte-order "
        "mark says so): save it as windows-1251 or UTF-8" in str(failed.value)
    )
    assert [row[0] for row in calls(query)] == ["1700000000.1"]
    assert query("select file, line from raw_telephony.rejects") == [
        ("telephony/cdr-2025-04.csv", None)
    ]
