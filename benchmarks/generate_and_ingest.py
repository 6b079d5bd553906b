"""Benchmark: rows per second for `c360-demo generate` and `c360 ingest`, per source.

    .venv/bin/python benchmarks/generate_and_ingest.py --customers 100000

Generates a company into a scratch folder, starts the Bitrix24 stand-in on
loopback (with Bitrix24's real rate limit unless --fast-crm), lands every
source into a scratch warehouse, lands again (nothing should change), and
prints the figures. Nothing here asserts a speed: the figures are for reading.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from customer360.settings import CrmPortal, load_settings
from demo.generator import generate
from demo.standins.bitrix24 import RateLimit, start_standin
from pipelines.ingest import land_source, warehouse_row_counts
from pipelines.landing_sources import SOURCES

TOKEN = "benchmark-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, help="keep the data here")
    parser.add_argument(
        "--fast-crm",
        action="store_true",
        help="lift the stand-in's rate limit (default: Bitrix24's 50 / 2 per s)",
    )
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="c360-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    landing, truth = workdir / "landing", workdir / "ground_truth"
    warehouse = workdir / "warehouse" / "customer360.duckdb"
    shutil.rmtree(warehouse.parent, ignore_errors=True)
    figures: list[tuple[str, str]] = []

    started = time.perf_counter()
    report = generate(landing, truth, customers=args.customers, seed=args.seed)
    seconds = time.perf_counter() - started
    figures.append(
        (
            f"generate {args.customers:,} customers",
            f"{report.total_rows:,} rows in {seconds:.1f} s = "
            f"{report.total_rows / seconds:,.0f} rows/s",
        )
    )

    rate_limit = RateLimit(50, 10_000) if args.fast_crm else RateLimit(50, 2.0)
    base = load_settings(Path(__file__).resolve().parents[1])
    with start_standin(
        workdir / "standin",
        [p.branch for p in base.crm_portals],
        token=TOKEN,
        rate_limit=rate_limit,
        seed_from=landing,
        reseed=True,
    ) as standin:
        portals = tuple(
            CrmPortal(branch=b, base_url=u, user_id=1, token=TOKEN)
            for b, u in standin.urls.items()
        )
        settings = base.__class__(
            **{
                **base.__dict__,
                "warehouse_path": warehouse,
                "landing_dir": landing,
                "ground_truth_dir": truth,
                "crm_portals": portals,
            }
        )
        total_rows = 0
        total_seconds = 0.0
        for name in SOURCES:
            result = land_source(name, settings, progress=None)
            total_rows += result.total_read
            total_seconds += result.seconds
            figures.append(
                (
                    f"ingest {name}",
                    f"{result.total_read:,} rows in {result.seconds:.1f} s = "
                    f"{result.total_read / result.seconds:,.0f} rows/s "
                    f"({result.total_rejected:,} rejected)",
                )
            )
        figures.append(
            (
                "ingest, all sources",
                f"{total_rows:,} rows in {total_seconds:.1f} s = "
                f"{total_rows / total_seconds:,.0f} rows/s",
            )
        )
        before = warehouse_row_counts(warehouse)
        started = time.perf_counter()
        again = sum(
            land_source(n, settings, progress=None).total_landed for n in SOURCES
        )
        figures.append(
            (
                "second ingest (nothing changed)",
                f"{again:,} rows landed in {time.perf_counter() - started:.1f} s, "
                "tables "
                + (
                    "unchanged"
                    if warehouse_row_counts(warehouse) == before
                    else "CHANGED"
                ),
            )
        )

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures.append(("peak memory (this process)", f"{peak_mb:,.0f} MB"))
    crm_note = "no limit" if args.fast_crm else "Bitrix24's 50 requests, 2/s"
    print(
        f"\ncustomer360 benchmark: {args.customers:,} customers, "
        f"CRM rate limit: {crm_note}"
    )
    width = max(len(label) for label, _ in figures)
    for label, value in figures:
        print(f"  {label:<{width}}  {value}")
    print(f"  data in {workdir}")


if __name__ == "__main__":
    main()
