"""Benchmark: how the demo generator's time, memory and output grow with customers.

    .venv/bin/python benchmarks/generator_scale.py 100000 1000000

For each size (default 100,000 and 1,000,000) a fresh process generates the
base world (no increments, default profile) into a scratch folder, and prints:
customers, wall time, customers a second, the process's peak resident memory,
and the bytes written to the landing folder and the ground truth. Each size
runs in its own process because peak RSS only ever grows within one. The
scratch folder is removed after each size unless --keep is given.

Nothing here asserts a figure: they are for reading and quoting.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _bytes_under(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _one_size(customers: int, seed: int, workdir: Path) -> dict:
    """Runs in the child process: generate, then measure what it cost."""
    from demo.generator import generate

    landing, truth = workdir / "landing", workdir / "ground_truth"
    started = time.perf_counter()
    report = generate(landing, truth, customers=customers, seed=seed)
    seconds = time.perf_counter() - started
    return {
        "customers": customers,
        "seconds": seconds,
        "rows": report.total_rows,
        # Linux reports ru_maxrss in KiB
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "landing_bytes": _bytes_under(landing),
        "truth_bytes": _bytes_under(truth),
    }


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "sizes", type=int, nargs="*", default=[100_000, 1_000_000], metavar="CUSTOMERS"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, help="scratch folder (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        (size,) = args.sizes
        print(json.dumps(_one_size(size, args.seed, args.workdir)))
        return

    root = args.workdir or Path(tempfile.mkdtemp(prefix="c360-genscale-"))
    print(f"demo generator, seed {args.seed}, base world without increments")
    print(
        f"  {'customers':>12}  {'wall time':>10}  {'customers/s':>11}  "
        f"{'peak RSS':>12}  {'written':>12}  {'bytes/customer':>14}"
    )
    for size in args.sizes:
        workdir = root / f"{size}"
        shutil.rmtree(workdir, ignore_errors=True)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                str(size),
                "--seed",
                str(args.seed),
                "--workdir",
                str(workdir),
                "--child",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        written = figures["landing_bytes"] + figures["truth_bytes"]
        print(
            f"  {size:>12,}  {figures['seconds']:>8.1f} s  "
            f"{size / figures['seconds']:>11,.0f}  "
            f"{_mib(figures['peak_rss_bytes']):>12}  {_mib(written):>12}  "
            f"{written / size:>14,.0f}",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.keep:
        print(f"  data in {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
