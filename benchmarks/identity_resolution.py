"""Benchmark: customer360's person resolution against bare Splink on the same records.

    .venv/bin/python benchmarks/identity_resolution.py --customers 330000

Generates a company (about three person records per customer, calls and tickets
aside), lands it, builds the person records and the organisation clusters with dbt,
then times on the same records, each in a process of its own (for its own peak
memory):
  - ours: training on these records as a build does (`customer360.identity.train`:
    u sampling, EM passes, the prior from the scored pairs, the checks), then
    `customer360.identity.resolve` with that model (must-link rules, Splink predict,
    the batch's own prior, clustering, review queue);
  - bare Splink: the same match table, comparisons and blocking, trained the way
    Splink's tutorials do (prior from deterministic rules, u by random sampling on
    as many pairs, EM on the same rules), predict at the match threshold plus
    Splink's own clustering.
Pass --warehouse to reuse a warehouse that already holds
intermediate.int_person_records_unioned and int_organisation_clusters. Prints the
figures; asserts nothing.

    .venv/bin/python benchmarks/identity_resolution.py --incremental --customers 100000

--incremental times a nightly run instead: a full scoring of the records with the
committed model, then a day's changes (CHANGED_SHARE of the records get another
phone number) rescored against the rest as an incremental build does, and the
clustering of every kept pair that follows either.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
from splink import DuckDBAPI, Linker, block_on

from customer360.dbt_context import dbt_vars, environment_for_dbt
from customer360.identity.features import EVENT_SOURCE_SYSTEMS, build_match_table
from customer360.identity.model_definition import (
    splink_settings,
    training_blocking_rules,
)
from customer360.identity.resolve import (
    PERSON_MATCH_THRESHOLD,
    PreviousScoring,
    clusters_with_decisions,
    match_pairs,
    score_pairs,
)
from customer360.identity.train import EM_MAX_PAIRS, U_SAMPLE_PAIRS, train

PROJECT_DIR = Path(__file__).resolve().parents[1]
# a day of a company's changes: the share of person records edited, from the demo
# generator's daily increments (about 0.3% of the records)
CHANGED_SHARE = 0.003


def build_warehouse(customers: int, workdir: Path) -> Path:
    """Generate, land every source and build the person records with dbt."""
    from dbt.cli.main import dbtRunner

    from customer360.settings import Settings
    from demo.generator import generate
    from demo.standins.bitrix24 import RateLimit, start_standin
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
    with environment_for_dbt(settings):
        result = dbtRunner().invoke(
            [
                "build",
                "--select",
                "+int_person_records_unioned",
                "+int_organisation_clusters",
                "--exclude",
                "resource_type:test",
                "--vars",
                dbt_vars(settings),
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


def _person_records(warehouse: Path):
    # not read_only: dbt-duckdb may keep its own handle open in this process
    with duckdb.connect(str(warehouse)) as connection:
        records = (
            connection.sql(
                "select * from intermediate.int_person_records_unioned "
                f"where source_system not in {tuple(EVENT_SOURCE_SYSTEMS)}"
            )
            .arrow()
            .read_all()
        )
        organisations = (
            connection.sql(
                "select record_key, cluster_id"
                " from intermediate.int_organisation_clusters"
            )
            .arrow()
            .read_all()
        )
    return records, organisations


def ours(warehouse: Path) -> dict:
    """Training as int_person_match_models does, then the pairs as
    int_person_match_pairs scores them and the clusters int_person_clusters draws."""
    records, organisations = _person_records(warehouse)
    started = time.perf_counter()
    trained = train(records, "persons", organisation_clusters=organisations)
    trained_in = time.perf_counter() - started
    pairs = match_pairs(
        records, "persons", model=trained, organisation_clusters=organisations
    )
    record_keys = sorted(records.column("record_key").to_pylist())
    clusters = clusters_with_decisions(record_keys, pairs)
    seconds = time.perf_counter() - started
    return {
        **_accuracy(clusters, warehouse),
        "records": records.num_rows,
        "seconds": seconds,
        "training_seconds": trained_in,
        "accepted": trained.accepted,
        "threshold": trained.match_threshold,
        "clusters": len(set(clusters.column("cluster_id").to_pylist())),
        "pairs": pairs.num_rows,
    }


def bare_splink(warehouse: Path) -> dict:
    """Splink alone: the same features, comparisons and blocking, trained in
    Splink's documented order, predict + cluster at the threshold."""
    records, _ = _person_records(warehouse)
    started = time.perf_counter()
    con = duckdb.connect()
    con.register("input_records", records)
    table = build_match_table(con, "input_records", "persons")
    linker = Linker(
        DuckDBAPI(connection=con).register(table, dataset_display_name="persons"),
        splink_settings("persons"),
        log_level=logging.WARNING,
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("iin_valid"), block_on("email_personal")], recall=0.4
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=1)
    failed_passes = 0
    for rule in training_blocking_rules("persons"):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS
            )
        except Exception:  # a pass that finds no pairs, or whose EM diverges
            failed_passes += 1
    predictions = linker.inference.predict(
        threshold_match_probability=PERSON_MATCH_THRESHOLD, warning_mode="never"
    )
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=PERSON_MATCH_THRESHOLD
    )
    seconds = time.perf_counter() - started
    found = con.sql(
        f"select count(distinct cluster_id) from {clusters.physical_name}"
    ).fetchall()[0][0]
    assigned = (
        con.sql(f"select record_key, cluster_id from {clusters.physical_name}")
        .arrow()
        .read_all()
    )
    return {
        **_accuracy(assigned, warehouse),
        "records": records.num_rows,
        "seconds": seconds,
        "clusters": found,
        "failed_em_passes": failed_passes,
    }


def incremental(warehouse: Path) -> dict:
    """A full scoring, then a day's changes rescored as an incremental build does
    (changed records against all, the full scoring's prior), and the clustering of
    every kept pair that int_person_clusters then draws."""
    import pyarrow as pa

    records, organisations = _person_records(warehouse)
    started = time.perf_counter()
    full = score_pairs(records, "persons", organisation_clusters=organisations)
    full_seconds = time.perf_counter() - started

    step = round(1 / CHANGED_SHARE)
    phones = records.column("phones_e164").to_pylist()
    first = records.column("phone_e164").to_pylist()
    for index in range(0, records.num_rows, step):
        number = f"+7701{index:07d}"
        phones[index], first[index] = [number], number
    changed = records.set_column(
        records.column_names.index("phones_e164"),
        "phones_e164",
        pa.array(phones, records.schema.field("phones_e164").type),
    )
    changed = changed.set_column(
        changed.column_names.index("phone_e164"),
        "phone_e164",
        pa.array(first, records.schema.field("phone_e164").type),
    )
    started = time.perf_counter()
    increment = score_pairs(
        changed,
        "persons",
        organisation_clusters=organisations,
        previous=PreviousScoring(full.record_hashes, full.prior),
    )
    increment_seconds = time.perf_counter() - started

    record_keys = sorted(records.column("record_key").to_pylist())
    started = time.perf_counter()
    clusters_with_decisions(record_keys, full.pairs)
    clustering_seconds = time.perf_counter() - started
    return {
        "records": records.num_rows,
        "full_seconds": full_seconds,
        "full_pairs": full.pairs.num_rows,
        "changed_records": increment.changed_records,
        "incremental_seconds": increment_seconds,
        "rescored_pairs": increment.pairs.num_rows,
        "clustering_seconds": clustering_seconds,
    }


def _accuracy(clusters, warehouse: Path) -> dict:
    """Pairwise precision and recall against the generator's truth beside the
    warehouse, when there is one (timed apart: evaluation is not resolution)."""
    from customer360.identity.evaluate import evaluate

    truth = warehouse.parent / "ground_truth"
    if not (truth / "source_records.csv").exists():
        return {}
    report = evaluate(clusters, truth)
    return {"precision": report.precision, "recall": report.recall, "f1": report.f1}


def _run_apart(side: str, warehouse: Path) -> dict:
    """Run one side in a fresh process, so that each has its own peak memory."""
    # stderr goes through, so that a side that fails says why
    output = subprocess.run(
        [sys.executable, __file__, "--side", side, "--warehouse", str(warehouse)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=330_000)
    parser.add_argument("--warehouse", type=Path, help="reuse this warehouse")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="time a full scoring against an incremental one instead",
    )
    parser.add_argument(
        "--side", choices=["ours", "bare", "incremental"], help=argparse.SUPPRESS
    )
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.build_only:  # a child process: dbt-duckdb keeps the warehouse open
        build_warehouse(args.customers, args.workdir)
        return

    if args.side:  # a child process: one side, its figures as one JSON line
        side = {"ours": ours, "bare": bare_splink, "incremental": incremental}
        figures = side[args.side](args.warehouse)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({**figures, "peak_mb": peak}))
        return

    warehouse = args.warehouse
    if warehouse is None:
        workdir = args.workdir or Path(tempfile.mkdtemp(prefix="c360-identity-"))
        workdir.mkdir(parents=True, exist_ok=True)
        # built in a process of its own: dbt-duckdb keeps its handle on the
        # warehouse open for the life of the process, which would lock out the sides
        subprocess.run(
            [sys.executable, __file__, "--build-only"]
            + ["--customers", str(args.customers), "--workdir", str(workdir)],
            check=True,
        )
        warehouse = workdir / "warehouse.duckdb"
    if args.incremental:
        figures = _run_apart("incremental", warehouse)
        print(f"\nnightly identity run on {figures['records']:,} person records")
        print(
            f"  full scoring         {figures['full_seconds']:7.1f} s"
            f"  {figures['full_pairs']:,} pairs"
        )
        print(
            f"  incremental scoring  {figures['incremental_seconds']:7.1f} s"
            f"  {figures['changed_records']:,} changed records,"
            f" {figures['rescored_pairs']:,} pairs rescored"
        )
        print(
            f"  clustering all pairs {figures['clustering_seconds']:7.1f} s"
            f"  peak {figures['peak_mb']:,.0f} MB"
        )
        return
    ours_figures = _run_apart("ours", warehouse)
    bare_figures = _run_apart("bare", warehouse)
    print(f"\nidentity resolution on {ours_figures['records']:,} person records")
    print(
        f"  customer360 train+resolve {ours_figures['seconds']:7.1f} s"
        f" (training {ours_figures['training_seconds']:.1f} s, model"
        f" {'accepted' if ours_figures['accepted'] else 'REJECTED'}, threshold"
        f" {ours_figures['threshold']})  peak {ours_figures['peak_mb']:,.0f} MB"
        f"  {ours_figures['clusters']:,} clusters, {ours_figures['pairs']:,} pairs"
    )
    print(
        f"  bare Splink train+predict+cluster {bare_figures['seconds']:7.1f} s"
        f"  peak {bare_figures['peak_mb']:,.0f} MB"
        f"  {bare_figures['clusters']:,} clusters"
        f"  ({bare_figures['failed_em_passes']} EM passes failed)"
    )
    sides = (("customer360", ours_figures), ("bare Splink", bare_figures))
    for label, figures in sides:
        if "f1" in figures:
            print(
                f"  {label:<12} against the truth: precision {figures['precision']:.4f}"
                f"  recall {figures['recall']:.4f}  F1 {figures['f1']:.4f}"
            )
    ratio = ours_figures["seconds"] / bare_figures["seconds"]
    print(f"  ratio                 {ratio:7.2f}x (target: at most 2x)")
    print("  (peak memory includes loading the records from the warehouse)")


if __name__ == "__main__":
    main()
