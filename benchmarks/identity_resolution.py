"""Benchmark: customer360's person resolution against bare Splink on the same records.

    .venv/bin/python benchmarks/identity_resolution.py --customers 330000

Generates a company (about three person records per customer, calls and tickets
aside), lands it, builds the person records with dbt, then times on the same
table, in the same process:
  - ours: `customer360.identity.resolve` (must-link rules, Splink predict down to
    the review band, clustering, review queue);
  - bare Splink: the same match table and the same trained model, predict at the
    match threshold plus Splink's own clustering.
Pass --warehouse to reuse a warehouse that already holds
intermediate.int_person_records_unioned. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import tempfile
import time
from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker

from customer360.identity.features import EVENT_SOURCE_SYSTEMS, build_match_table
from customer360.identity.resolve import PERSON_MATCH_THRESHOLD, resolve
from customer360.identity.train import model_path

PROJECT_DIR = Path(__file__).resolve().parents[1]


def build_warehouse(customers: int, workdir: Path) -> Path:
    """Generate, land every source and build the person records with dbt."""
    from dbt.cli.main import dbtRunner

    from customer360.bitrix24_standin import RateLimit, start_standin
    from customer360.generator import generate
    from customer360.settings import Settings
    from pipelines.ingest import land_source

    landing, truth = workdir / "landing", workdir / "ground_truth"
    warehouse = workdir / "warehouse.duckdb"
    started = time.perf_counter()
    generate(landing, truth, customers=customers, seed=42)
    print(f"generated {customers:,} customers in {time.perf_counter() - started:.0f} s")
    with start_standin(
        workdir / "standin",
        ["almaty", "astana", "shymkent"],
        token="benchmark",
        rate_limit=RateLimit(50, 10_000),
        seed_from=landing,
        reseed=True,
    ) as standin:
        settings = Settings(
            project_dir=PROJECT_DIR,
            warehouse_path=warehouse,
            landing_dir=landing,
            ground_truth_dir=truth,
            crm_portals=standin.crm_portals(),
            crm_standin_dir=workdir / "standin",
        )
        for source in ("crm", "onec", "telephony", "support"):
            land_source(source, settings, progress=None)
    print(f"landed in {time.perf_counter() - started:.0f} s (cumulative)")
    os.environ["C360_WAREHOUSE"] = str(warehouse)
    result = dbtRunner().invoke(
        [
            "build",
            "--select",
            "+int_person_records_unioned",
            "--exclude",
            "resource_type:test",
            "--project-dir",
            str(PROJECT_DIR),
            "--profiles-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(workdir / "target"),
            "--quiet",
        ]
    )
    if not result.success:
        raise SystemExit(f"dbt build failed: {result.exception}")
    print(f"built person records in {time.perf_counter() - started:.0f} s (cumulative)")
    return warehouse


def bare_splink(records) -> tuple[float, int]:
    """Splink alone: the same features and model, predict + cluster at the threshold."""
    started = time.perf_counter()
    con = duckdb.connect()
    con.register("input_records", records)
    table = build_match_table(con, "input_records", "persons")
    linker = Linker(
        DuckDBAPI(connection=con).register(table, dataset_display_name="persons"),
        str(model_path("persons")),
        log_level=logging.WARNING,
    )
    predictions = linker.inference.predict(
        threshold_match_probability=PERSON_MATCH_THRESHOLD, warning_mode="never"
    )
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=PERSON_MATCH_THRESHOLD
    )
    count = con.execute(
        f"select count(distinct cluster_id) from {clusters.physical_name}"
    ).fetchone()[0]
    return time.perf_counter() - started, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=330_000)
    parser.add_argument("--warehouse", type=Path, help="reuse this warehouse")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()

    warehouse = args.warehouse
    if warehouse is None:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="c360-identity-"))
        workdir.mkdir(parents=True, exist_ok=True)
        warehouse = build_warehouse(args.customers, workdir)
    # not read_only: dbt-duckdb keeps its own handle open in this process
    with duckdb.connect(str(warehouse)) as connection:
        records = (
            connection.sql(
                "select * from intermediate.int_person_records_unioned "
                f"where source_system not in {tuple(EVENT_SOURCE_SYSTEMS)}"
            )
            .arrow()
            .read_all()
        )
    print(f"person records (calls and tickets aside): {records.num_rows:,}")

    started = time.perf_counter()
    clusters, pairs = resolve(records, "persons")
    ours = time.perf_counter() - started
    ours_clusters = len(set(clusters.column("cluster_id").to_pylist()))
    bare, bare_clusters = bare_splink(records)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nidentity resolution on {records.num_rows:,} person records")
    print(
        f"  customer360 resolve   {ours:7.1f} s  {ours_clusters:,} clusters, "
        f"{pairs.num_rows:,} scored pairs"
    )
    print(f"  bare Splink           {bare:7.1f} s  {bare_clusters:,} clusters")
    print(f"  ratio                 {ours / bare:7.2f}x (target: at most 2x)")
    print(f"  peak memory           {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
