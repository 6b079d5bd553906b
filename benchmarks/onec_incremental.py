"""Benchmark: what a night's 1C exports cost once the previous night's are landed.

    .venv/bin/python benchmarks/onec_incremental.py --customers 100000

Generates a company into a scratch folder and lands its 1C exports into a
scratch warehouse (the first landing: every row). Then generates the same
company one day on (demo/generator/increments.py: a day's edits, new customers
and their documents; 1C exports every table in full again) and lands that: only
the rows whose content hash differs from the landed row's are merged. For
comparison, the same second landing runs on a copy of the first warehouse with
the hash lookup switched off, as 1C landed before: every row of a changed file
merged. Prints the figures; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

import pipelines.onec
from customer360.settings import Settings
from demo.generator import generate
from pipelines.ingest import SourceReport, land_source

SOURCE = "onec"
# the columns a full load and an incremental one must agree on: all but dlt's own
_COMPARED = "* exclude (_dlt_id, _dlt_load_id)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, help="keep the data here")
    parser.add_argument(
        "--no-full-merge",
        action="store_true",
        help="skip the comparison with merging every row of a changed export",
    )
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="c360-onec-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    landing, truth = workdir / "landing", workdir / "ground_truth"
    hashed = _settings(workdir, landing, truth, "warehouse")
    full_merge = _settings(workdir, landing, truth, "warehouse_full_merge")
    for settings in (hashed, full_merge):
        shutil.rmtree(settings.warehouse_path.parent, ignore_errors=True)
    figures: list[tuple[str, str]] = []

    generate(landing, truth, customers=args.customers, seed=args.seed)
    first = land_source(SOURCE, hashed, progress=None)
    figures.append(("first landing", _described(first)))
    if not args.no_full_merge:
        # the pipeline's state lives beside the warehouse file: copy both
        shutil.copytree(hashed.warehouse_path.parent, full_merge.warehouse_path.parent)

    generate(landing, truth, customers=args.customers, seed=args.seed, increments=1)
    second = land_source(SOURCE, hashed, progress=None)
    figures.append(("second landing, a day on", _described(second)))
    figures.append(
        (
            "  landed per table",
            ", ".join(f"{t} {n:,}" for t, n in sorted(second.landed.items()) if n),
        )
    )
    if not args.no_full_merge:
        with _without_hash_lookup():
            merged = land_source(SOURCE, full_merge, progress=None)
        figures.append(("the same, every row merged", _described(merged)))
        same = _contents(hashed) == _contents(full_merge)
        figures.append(
            ("tables equal", "yes" if same else "NO: the two warehouses differ")
        )

    print(f"\n1C landing: {args.customers:,} customers, seed {args.seed}")
    width = max(len(label) for label, _ in figures)
    for label, value in figures:
        print(f"  {label:<{width}}  {value}")
    print(f"  data in {workdir}")


def _settings(workdir: Path, landing: Path, truth: Path, folder: str) -> Settings:
    return Settings(
        project_dir=workdir,
        warehouse_path=workdir / folder / "customer360.duckdb",
        landing_dir=landing,
        ground_truth_dir=truth,
        crm_portals=(),
        crm_standin_dir=workdir / "crm_standin",
    )


def _described(report: SourceReport) -> str:
    return (
        f"{report.seconds:.1f} s: read {report.total_read:,}, unchanged "
        f"{report.total_unchanged:,}, landed {report.total_landed:,}, rejected "
        f"{report.total_rejected:,}"
    )


@contextmanager
def _without_hash_lookup() -> Iterator[None]:
    """1C as it landed before rows were hashed: no row is found already landed."""
    saved = pipelines.onec.LandedContent
    pipelines.onec.LandedContent = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        yield
    finally:
        pipelines.onec.LandedContent = saved  # type: ignore[assignment]


def _contents(settings: Settings) -> dict[str, tuple]:
    """A checksum of each raw_onec table's rows (but dlt's columns), for comparing."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? and not starts_with(table_name, '_dlt') "
                "and table_name != 'rejects'",
                ["raw_" + SOURCE],
            ).fetchall()
        ]
        return {
            table: connection.execute(
                f"select count(*), sum(hash(t)) from "
                f"(select {_COMPARED} from raw_{SOURCE}.{table}) as t"
            ).fetchone()
            for table in tables
        }


if __name__ == "__main__":
    main()
