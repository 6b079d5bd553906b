"""1C exports land typed, once, with every bad line kept as a reject."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from file_landing_builders import (
    ONEC_HEADERS,
    counterparty,
    invoice,
    landed_tables,
    write_onec,
)

from pipelines.common.contracts import SchemaDriftError
from pipelines.ingest import PartlyLandedError, land_source
from pipelines.onec import onec_source

INVOICE_COLUMNS = (
    "number, date, counterparty_code, amount, vat_amount, comment, modified_at"
)


def invoices(query) -> list[tuple]:
    return query(f"select {INVOICE_COLUMNS} from raw_onec.invoices order by number")


def rejects(query) -> list[tuple]:
    return query(
        "select source_table, file, line, reason, raw "
        "from raw_onec.rejects order by line"
    )


def test_exports_land_with_decimals_dates_and_almaty_timestamps(landing, land, query):
    write_onec(
        landing,
        "invoices",
        [
            invoice("АЛ-000001", amount="1\u00a0234\u00a0567,89", vat="148 148,15"),
            invoice("АЛ-000002", date="29.02.2024", amount="100", vat=""),
        ],
    )
    write_onec(landing, "counterparties", [counterparty()])

    tally, info = land(onec_source, "onec")

    assert not info.has_failed_jobs
    assert tally.read == {"invoices": 2, "counterparties": 1}
    assert tally.landed == tally.read
    assert invoices(query) == [
        (
            "АЛ-000001",
            date(2025, 3, 1),
            "00-000001",
            Decimal("1234567.89"),
            Decimal("148148.15"),
            "Поставка; срочно",
            datetime(2025, 3, 1, 7, 30, tzinfo=UTC),  # 12:30 in Almaty (UTC+5)
        ),
        (
            "АЛ-000002",
            date(2024, 2, 29),
            "00-000001",
            Decimal("100.00"),
            None,
            "Поставка; срочно",
            datetime(2025, 3, 1, 7, 30, tzinfo=UTC),
        ),
    ]
    types = dict(
        query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_onec' and table_name = 'invoices'"
        )
    )
    assert types["amount"] == "DECIMAL(18,2)"
    assert types["date"] == "DATE"
    assert types["modified_at"] == "TIMESTAMP WITH TIME ZONE"
    assert query(
        "select name, created_date, deletion_mark from raw_onec.counterparties"
    ) == [("ТОО «Ромашка»", date(2020, 1, 15), "Нет")]


def test_loading_the_same_exports_twice_changes_nothing(landing, land, query):
    write_onec(landing, "invoices", [invoice("АЛ-1"), invoice("АЛ-2", amount="abc")])
    land(onec_source, "onec")
    before = (invoices(query), rejects(query))

    tally, _ = land(onec_source, "onec")

    assert tally.total_read == 0
    assert tally.unchanged_files == ["onec/invoices.csv"]
    assert (invoices(query), rejects(query)) == before
    assert len(before[0]) == 1 and len(before[1]) == 1


def test_a_changed_and_a_new_invoice_are_picked_up_by_the_next_load(
    landing, land, query
):
    write_onec(landing, "invoices", [invoice("АЛ-1"), invoice("АЛ-2")])
    land(onec_source, "onec")
    write_onec(
        landing,
        "invoices",
        [
            invoice("АЛ-1"),
            invoice("АЛ-2", amount="99,99", modified_at="05.03.2025 08:00:00"),
            invoice("АЛ-3", amount="5 000,00"),
        ],
    )

    tally, _ = land(onec_source, "onec")

    assert tally.read == {"invoices": 3}
    assert (tally.unchanged, tally.landed) == ({"invoices": 1}, {"invoices": 2})
    rows = {row[0]: row[3] for row in invoices(query)}
    assert rows == {
        "АЛ-1": Decimal("150000.50"),
        "АЛ-2": Decimal("99.99"),
        "АЛ-3": Decimal("5000.00"),
    }


def test_a_truncated_export_rejects_the_cut_record_and_lands_the_rest(
    landing, land, query
):
    write_onec(
        landing,
        "invoices",
        [invoice("АЛ-1"), invoice("АЛ-2")],
        extra="АЛ-3;01.0".encode("cp1251"),
    )

    tally, _ = land(onec_source, "onec")

    assert (tally.read, tally.landed, tally.rejected) == (
        {"invoices": 3},
        {"invoices": 2},
        {"invoices": 1},
    )
    assert [row[0] for row in invoices(query)] == ["АЛ-1", "АЛ-2"]
    assert rejects(query) == [
        (
            "invoices",
            "onec/invoices.csv",
            4,
            "truncated file: the last record has no line end",
            "АЛ-3;01.0",
        )
    ]


@pytest.mark.parametrize(
    "mark", [b"", codecs.BOM_UTF8], ids=["UTF-8", "UTF-8 with a byte-order mark"]
)
def test_a_1c_export_saved_as_utf8_lands_read_as_utf8(landing, settings, query, mark):
    path = write_onec(
        landing, "invoices", [invoice("АЛ-1"), invoice("АЛ-2")], encoding="utf-8"
    )
    # Excel's "CSV UTF-8" starts the file with a byte-order mark
    path.write_bytes(mark + path.read_bytes())
    messages: list[str] = []

    report = land_source("onec", settings, progress=messages.append)

    assert (report.read, report.landed) == ({"invoices": 2}, {"invoices": 2})
    assert not report.total_rejected
    assert [(row[0], row[5]) for row in invoices(query)] == [
        ("АЛ-1", "Поставка; срочно"),
        ("АЛ-2", "Поставка; срочно"),
    ]
    assert "onec/invoices.csv: read as UTF-8, not windows-1251" in messages


def test_a_utf8_export_with_a_corrupt_line_lands_the_rest_read_as_utf8(
    landing, land, query
):
    # a windows-1251 line pasted into a UTF-8 export: the file is still UTF-8
    pasted = ";".join(invoice("АЛ-9")).encode("cp1251") + b"\r\n"
    write_onec(
        landing,
        "invoices",
        [invoice("АЛ-1"), invoice("АЛ-2")],
        encoding="utf-8",
        extra=pasted,
    )

    tally, _ = land(onec_source, "onec")

    assert (tally.landed, tally.rejected) == ({"invoices": 2}, {"invoices": 1})
    assert [row[0] for row in invoices(query)] == ["АЛ-1", "АЛ-2"]
    [(_, _, line, reason, raw)] = rejects(query)
    assert (line, reason) == (4, "undecodable as UTF-8")
    assert raw.encode("latin-1") == pasted.rstrip(b"\r\n")


def test_an_export_of_nothing_but_a_byte_order_mark_is_reported_empty(
    landing, settings
):
    (landing / "onec").mkdir()
    (landing / "onec" / "invoices.csv").write_bytes(codecs.BOM_UTF8)

    report = land_source("onec", settings, progress=None)

    assert report.empty_tables == {"invoices": ["onec/invoices.csv"]}
    assert "onec invoices: empty: no record in onec/invoices.csv" in report.notes()
    assert not report.total_rejected


def test_a_file_that_is_not_text_fails_the_run_by_name_and_lands_in_rejects(
    landing, settings, query
):
    write_onec(landing, "counterparties", [counterparty()])
    # an Excel workbook (a zip archive) saved under the export's name
    workbook = b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 8
    (landing / "onec" / "invoices.csv").write_bytes(workbook)

    with pytest.raises(PartlyLandedError) as failed:
        land_source("onec", settings, progress=None)

    assert (
        "not landed: onec/invoices.csv: nothing landed: not a text file: "
        "it holds NUL bytes" in str(failed.value)
    )
    assert failed.value.report.landed == {"counterparties": 1}
    assert query(
        "select source_table, file, line, reason, raw from raw_onec.rejects"
    ) == [
        (
            "invoices",
            "onec/invoices.csv",
            None,
            "not a text file: it holds NUL bytes",
            workbook[:1000].decode("latin-1"),
        )
    ]

    # not remembered as landed: read again, failing again, with no second reject
    with pytest.raises(PartlyLandedError, match="onec/invoices.csv"):
        land_source("onec", settings, progress=None)
    assert len(rejects(query)) == 1

    # the export saved again as it should be lands
    write_onec(landing, "invoices", [invoice("АЛ-1")])
    report = land_source("onec", settings, progress=None)
    assert report.landed == {"invoices": 1} and not report.failures


def test_a_stray_nul_byte_in_one_record_does_not_make_the_file_binary(
    landing, land, query
):
    write_onec(
        landing,
        "invoices",
        [invoice("АЛ-1"), invoice("АЛ-2", comment="a\x00b"), invoice("АЛ-3")],
    )

    tally, _ = land(onec_source, "onec")

    assert tally.landed == {"invoices": 3} and not tally.failures


def test_an_export_whose_every_record_is_rejected_fails_the_run_by_name(
    landing, settings, query
):
    write_onec(landing, "counterparties", [counterparty()])
    write_onec(
        landing,
        "invoices",
        [invoice("АЛ-1", amount="abc"), invoice("АЛ-2", date="31.02.2025")],
    )

    with pytest.raises(PartlyLandedError) as failed:
        land_source("onec", settings, progress=None)

    assert (
        "onec/invoices.csv: nothing landed: all 2 records were rejected; "
        "the first, line 2: amount 'abc' in Сумма" in str(failed.value)
    )
    report = failed.value.report
    assert (report.landed, report.rejected) == (
        {"counterparties": 1},
        {"invoices": 2},
    )
    assert len(rejects(query)) == 2


def test_a_line_with_a_byte_undefined_in_windows_1251_is_rejected(landing, land, query):
    bad_line = "АЛ-9;01.03.2025;00-1;Алматы;1,00;;KZT;".encode("cp1251") + b"\x98;x\r\n"
    write_onec(landing, "invoices", [invoice("АЛ-1")], extra=bad_line)
    with (landing / "onec" / "invoices.csv").open("ab") as export:
        export.write(";".join(invoice("АЛ-2", comment="ok")).encode("cp1251") + b"\r\n")

    tally, _ = land(onec_source, "onec")

    assert tally.landed == {"invoices": 2} and tally.rejected == {"invoices": 1}
    [(_, file, line, reason, raw)] = rejects(query)
    assert (file, line, reason) == (
        "onec/invoices.csv",
        3,
        "undecodable as windows-1251",
    )
    # raw keeps every byte (as latin-1), so the line can be recovered exactly
    assert raw.encode("latin-1") == bad_line.rstrip(b"\r\n")


def test_impossible_dates_bad_amounts_and_broken_lines_are_rejected(
    landing, land, query
):
    write_onec(
        landing,
        "invoices",
        [
            invoice("АЛ-1", date="31.02.2025"),
            invoice("АЛ-2", amount="abc"),
            invoice("АЛ-3", modified_at="2025-03-01 12:30"),
            invoice("АЛ-4")[:5],
            invoice("АЛ-5"),
        ],
    )

    tally, _ = land(onec_source, "onec")

    assert tally.read == {"invoices": 5} and tally.landed == {"invoices": 1}
    assert [(r[2], r[3]) for r in rejects(query)] == [
        (2, "impossible date 31.02.2025 in Дата"),
        (3, "amount 'abc' in Сумма"),
        (4, "date-time '2025-03-01 12:30' in ДатаИзменения is not dd.mm.yyyy HH:MM:SS"),
        (5, "wrong number of fields: 5, expected 9"),
    ]


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ([*ONEC_HEADERS["invoices"], "Менеджер"], "Менеджер"),
        ([h for h in ONEC_HEADERS["invoices"] if h != "СуммаНДС"], "СуммаНДС"),
    ],
    ids=["new column", "missing column"],
)
def test_a_changed_header_stops_the_load_and_lands_nothing(
    landing, settings, query, header, column
):
    write_onec(landing, "counterparties", [counterparty()])
    rows = [invoice()[: len(header)] + [""] * (len(header) - 9)]
    write_onec(landing, "invoices", rows, header=header)

    with pytest.raises(SchemaDriftError) as drift:
        land_source("onec", settings, progress=None)

    assert (drift.value.source, drift.value.table) == ("onec", "invoices")
    assert column in str(drift.value) and "'onec'" in str(drift.value)
    assert landed_tables(query, "raw_onec") == []


# a newer 1C configuration exports the postcode and a private person's birth date
COUNTERPARTY_HEADERS_WITH_POSTCODE = [
    *ONEC_HEADERS["counterparties"],
    "Индекс",
    "ДатаРождения",
]


def private_person(code: str, birth_date: str, postcode: str = "050010") -> list[str]:
    row = counterparty(code, "Петров Иван Сергеевич")
    row[3] = "Физическое лицо"
    return [*row, postcode, birth_date]


def test_counterparties_land_their_postcode_and_birth_date(landing, land, query):
    write_onec(
        landing,
        "counterparties",
        [
            [*counterparty("00-000001"), "050000", ""],
            private_person("00-000002", "18.03.1979"),
            private_person("00-000003", "", postcode=""),
        ],
        header=COUNTERPARTY_HEADERS_WITH_POSTCODE,
    )

    tally, _ = land(onec_source, "onec", "counterparties")

    assert tally.rejected == {}
    assert query(
        "select code, postcode, birth_date from raw_onec.counterparties order by code"
    ) == [
        ("00-000001", "050000", None),  # a code keeps its leading zero
        ("00-000002", "050010", date(1979, 3, 18)),
        ("00-000003", "", None),
    ]


def test_an_older_export_without_postcode_and_birth_date_still_lands(
    landing, land, query
):
    write_onec(landing, "counterparties", [counterparty("00-000001")])

    tally, _ = land(onec_source, "onec", "counterparties")

    assert tally.landed == {"counterparties": 1}
    assert query("select code, postcode, birth_date from raw_onec.counterparties") == [
        ("00-000001", None, None)
    ]
    types = dict(
        query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw_onec' and table_name = 'counterparties'"
        )
    )
    assert (types["postcode"], types["birth_date"]) == ("VARCHAR", "DATE")


def test_one_optional_column_in_any_position_is_read_by_its_header(
    landing, land, query
):
    header = ["Индекс", *ONEC_HEADERS["counterparties"]]
    write_onec(
        landing, "counterparties", [["100008", *counterparty("00-000001")]], header
    )

    land(onec_source, "onec", "counterparties")

    assert query(
        "select code, city, postcode, birth_date from raw_onec.counterparties"
    ) == [("00-000001", "Алматы", "100008", None)]


def test_a_bad_birth_date_is_rejected_like_any_bad_date(landing, land, query):
    write_onec(
        landing,
        "counterparties",
        [
            private_person("00-000001", "31.02.1990"),
            private_person("00-000002", "1990-05-01"),
            private_person("00-000003", "01.05.1990"),
        ],
        header=COUNTERPARTY_HEADERS_WITH_POSTCODE,
    )

    tally, _ = land(onec_source, "onec", "counterparties")

    assert (tally.landed, tally.rejected) == (
        {"counterparties": 1},
        {"counterparties": 2},
    )
    assert [(line, reason) for _, _, line, reason, _ in rejects(query)] == [
        (2, "impossible date 31.02.1990 in ДатаРождения"),
        (3, "date '1990-05-01' in ДатаРождения is not dd.mm.yyyy"),
    ]
