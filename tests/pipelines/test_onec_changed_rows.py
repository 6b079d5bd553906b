"""A 1C export that changed lands only its new and changed rows, by content hash."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
from file_landing_builders import invoice, write_onec

import pipelines.onec
import pipelines.onec.helpers
from customer360.settings import Settings
from pipelines.common.landed_content import CONTENT_HASH
from pipelines.ingest import land_source, run_ingest

INVOICES = 40
# a line 1C should not have written: 30 February
IMPOSSIBLE_INVOICE = (
    "АЛ-000042;30.02.2025;00-000001;;1,00;;KZT;;01.03.2025 12:30:00\r\n"
)


def nightly_export() -> list[list[str]]:
    """The whole invoices table, as 1C exports it every night."""
    return [
        invoice(f"АЛ-{n:06d}", amount=f"{n * 100},00", counterparty=f"00-{n % 7:06d}")
        for n in range(1, INVOICES + 1)
    ]


def next_nights_export() -> list[list[str]]:
    """The night after: three invoices changed, one added."""
    rows = nightly_export()
    rows[4] = invoice("АЛ-000005", amount="1,00", modified_at="02.03.2025 10:00:00")
    rows[11][7] = "Отгрузка перенесена"
    rows[29][2] = "00-000099"
    rows.append(invoice("АЛ-000041", amount="77,70"))
    return rows


def landed_invoices(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        return connection.execute(
            "select * exclude (_dlt_id, _dlt_load_id) from raw_onec.invoices "
            "order by number"
        ).fetchall()


def test_a_changed_export_lands_only_its_changed_and_new_rows(
    landing, settings, tmp_path, query
):
    write_onec(landing, "invoices", nightly_export())
    land_source("onec", settings, progress=None)
    write_onec(
        landing,
        "invoices",
        next_nights_export(),
        extra=IMPOSSIBLE_INVOICE.encode("cp1251"),
    )

    report = run_ingest(settings, ["onec"], progress=None)

    [onec] = report.sources
    assert report.ok, report.failures
    assert onec.read == {"invoices": INVOICES + 2}
    assert onec.unchanged == {"invoices": INVOICES - 3}
    assert onec.landed == {"invoices": 4}
    assert onec.rejected == {"invoices": 1}
    invoices_line = next(
        line.split() for line in report.format().splitlines() if " invoices " in line
    )
    # read, unchanged, landed, rejected, in warehouse
    assert invoices_line[:6] == ["invoices", "42", "37", "4", "1", "41"]
    # the unchanged rows were not merged again: they keep their first load
    assert query(
        "select count(*) from raw_onec.invoices where _dlt_load_id = "
        "(select max(load_id) from raw_onec._dlt_loads)"
    ) == [(4,)]

    # a company landing that export alone, all at once, holds the same table
    full = Settings(
        project_dir=tmp_path,
        warehouse_path=tmp_path / "full" / "customer360.duckdb",
        landing_dir=landing,
        ground_truth_dir=tmp_path / "ground_truth",
        crm_portals=(),
        crm_standin_dir=tmp_path / "crm_standin",
    )
    land_source("onec", full, progress=None)
    assert landed_invoices(settings) == landed_invoices(full)
    assert len(landed_invoices(full)) == INVOICES + 1


def test_an_export_that_only_lost_rows_lands_nothing_and_deletes_nothing(
    landing, settings, query
):
    write_onec(landing, "invoices", nightly_export())
    land_source("onec", settings, progress=None)
    write_onec(landing, "invoices", nightly_export()[1:])

    report = land_source("onec", settings, progress=None)

    # not a file that "landed nothing" by failing: its rows are all in already
    assert not report.failures
    assert (report.unchanged, report.landed) == ({"invoices": INVOICES - 1}, {})
    assert query("select count(*) from raw_onec.invoices") == [(INVOICES,)]
    # and remembered as landed: the next run skips the file
    again = land_source("onec", settings, progress=None)
    assert again.unchanged_files == ["onec/invoices.csv"]


def test_a_table_landed_before_content_hashes_gains_them(
    landing, settings, query, monkeypatch: pytest.MonkeyPatch
):
    # land as the 1C pipeline did before it hashed rows
    with monkeypatch.context() as before_hashes:
        column_hints = pipelines.onec.column_hints

        def unhashed_rows(tally, table, key_name, batch, landed) -> list[Any]:
            tally.count_read(table, len(batch))
            tally.count_landed(table, [row[key_name] for row in batch])
            return batch

        def unhashed_hints(export: Any) -> dict[str, Any]:
            hints = column_hints(export)
            hints.pop(CONTENT_HASH)
            return hints

        before_hashes.setattr(pipelines.onec.helpers, "_changed_rows", unhashed_rows)
        before_hashes.setattr(pipelines.onec, "column_hints", unhashed_hints)
        write_onec(landing, "invoices", nightly_export())
        land_source("onec", settings, progress=None)
    assert not hash_column(query)

    # nothing to compare with: every row lands once more, hashed
    write_onec(landing, "invoices", next_nights_export())
    report = land_source("onec", settings, progress=None)

    assert report.landed == {"invoices": INVOICES + 1} and not report.unchanged
    assert hash_column(query)
    assert query(f"select count({CONTENT_HASH}) from raw_onec.invoices") == [
        (INVOICES + 1,)
    ]

    # and the night after, only what changed lands
    rows = next_nights_export()
    rows[0][7] = "Возврат оформлен"
    write_onec(landing, "invoices", rows)
    report = land_source("onec", settings, progress=None)
    assert (report.unchanged, report.landed) == (
        {"invoices": INVOICES},
        {"invoices": 1},
    )


def hash_column(query) -> bool:
    return bool(
        query(
            "select 1 from information_schema.columns where table_schema = "
            f"'raw_onec' and table_name = 'invoices' and column_name = '{CONTENT_HASH}'"
        )
    )
