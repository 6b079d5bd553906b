"""The demo generator's files land through the same pipelines a company's exports do."""

from __future__ import annotations

from demo import generator
from pipelines.ingest import run_ingest

FILE_SOURCES = ["onec", "telephony", "support"]


def test_generated_files_land_completely_and_increments_land_only_changes(
    tmp_path, settings
):
    generator.generate(settings.landing_dir, tmp_path / "ground_truth", 1_000, seed=42)

    first = run_ingest(settings, FILE_SOURCES, progress=None)

    assert first.ok, first.failures
    for report in first.sources:
        assert report.total_read > 0
        assert report.total_read == report.total_landed + report.total_rejected
    # the generator's only records the contract forbids: invoices dated 30.02
    invoices = (settings.landing_dir / "onec" / "invoices.csv").read_text("cp1251")
    impossible = sum(
        1
        for line in invoices.splitlines()[1:]
        if line.split(";")[1].startswith("30.02.")
    )
    assert impossible > 0, "the generator should write a few impossible dates"
    rejected = {r.source: r.rejected for r in first.sources}
    assert rejected == {
        "onec": {"invoices": impossible},
        "telephony": {},
        "support": {},
    }
    assert (
        first.warehouse_rows["raw_onec.invoices"] == first.sources[0].landed["invoices"]
    )

    generator.generate(
        settings.landing_dir, tmp_path / "ground_truth", 1_000, seed=42, increments=1
    )
    second = run_ingest(settings, FILE_SOURCES, progress=None)

    assert second.ok, second.failures
    assert all(r.unchanged_files for r in second.sources)
    for report in second.sources:
        assert report.total_read == (
            report.total_unchanged + report.total_landed + report.total_rejected
        )
    # 1C exports every table in full each day: most of a changed export is the
    # rows landed the day before, and they are not merged again
    onec = second.sources[0]
    assert onec.source == "onec"
    assert onec.total_landed < onec.total_unchanged
    for table, rows in first.warehouse_rows.items():
        assert second.warehouse_rows[table] >= rows
    assert sum(r.total_read for r in second.sources) < sum(
        r.total_read for r in first.sources
    )
