"""Benchmark: what a night's `c360 run` costs against a full run of the same data.

    .venv/bin/python benchmarks/nightly_runs.py --customers 100000 --fast-crm

Generates a company, serves its CRMs through the Bitrix24 stand-in (at Bitrix24's
real rate limit unless --fast-crm, which lets the figures measure us rather than
the portal) and runs the main job as `c360 run` does:

1. a first run on the base data;
2. a second run, which lands what the first run's CRM sync wrote (the phones and
   e-mails it filled in: a real change to the CRM records), and up to three more
   while the run before landed anything (the fills change a few golden values once
   more, whose writes land on the run after);
3. a run with nothing changed;
4. a run after one day of changes (the generator's first increment, about 0.3%
   of the records: CRM edits reach the portals, 1C and the PBX write new files);
5. a full run of the same day-one data on a new warehouse.

It prints each run's wall time and peak memory per step (the largest resident
size of this process and its children, sampled while the step ran) and the
ratios the incremental runs are judged by. Nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from customer360.settings import Settings, load_settings
from demo.generator import generate
from demo.standins.bitrix24 import RateLimit, start_standin
from demo.standins.bitrix24.server import seed_portal
from orchestration.definitions import build_definitions
from orchestration.progress import RunView
from orchestration.run import RunOutcome, run_main_job, run_plan

TOKEN = "benchmark-token"
PROJECT_DIR = Path(__file__).resolve().parents[1]


@dataclass
class MemorySampler:
    """The peak resident size of this process and its children per running step.

    dbt runs as a child process (orchestration/dbt_child.py), so the process's
    own getrusage peak would miss the build.
    """

    view: RunView
    interval: float = 0.5
    peaks: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> MemorySampler:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(self.interval):
            rss = _tree_rss(me)
            for step in list(self.view.steps.values()):
                if step.status == "running":
                    label = step.plan.label
                    self.peaks[label] = max(self.peaks.get(label, 0), rss)


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        # a child may end between the listing and the reading
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


@dataclass
class Measured:
    name: str
    outcome: RunOutcome
    seconds: float
    steps: list[tuple[str, float, int]]  # label, seconds, peak bytes


def _run(name: str, settings: Settings) -> Measured:
    print(f"\n== {name}", flush=True)
    plans = run_plan(build_definitions(settings), None)
    view = RunView(sys.stdout, plans=plans, live=False)
    started = time.perf_counter()
    with MemorySampler(view) as sampler:
        outcome = run_main_job(settings, view=view)
    seconds = time.perf_counter() - started
    if not outcome.success:
        print(outcome.format(), file=sys.stderr)
        raise SystemExit(f"{name}: the run failed")
    steps = [
        (step.plan.label, step.seconds, sampler.peaks.get(step.plan.label, 0))
        for step in view.steps.values()
    ]
    return Measured(name, outcome, seconds, steps)


@contextlib.contextmanager
def company_environment(
    workdir: Path, warehouse: Path, urls: dict[str, str], fast_crm: bool
) -> Iterator[Settings]:
    """The company's settings as its c360.toml and secrets would give them: the
    job's resources read them from the environment, not from the caller."""
    environment = {
        "C360_WAREHOUSE": str(warehouse),
        "C360_PUBLISHED_WAREHOUSE": str(warehouse.with_name("published.duckdb")),
        "C360_LANDING_DIR": str(workdir / "landing"),
        "C360_GROUND_TRUTH_DIR": str(workdir / "ground_truth"),
        "C360_CRM_STANDIN_DIR": str(workdir / "standin"),
        "C360_CRM_PORTALS": ",".join(f"{b}={u}" for b, u in urls.items()),
        "C360_CRM_WEBHOOK_TOKEN": TOKEN,
    }
    if fast_crm:
        # the sync's own client-side bucket follows the stand-in's lifted limit
        environment["C360_CRM_RATE_DRAIN"] = "10000"
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        yield load_settings(PROJECT_DIR)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


MAX_SETTLING_RUNS = 3


def _rows_landed(outcome: RunOutcome) -> int:
    """The rows a run landed from every source (new or changed since the last)."""
    return sum(
        getattr(asset.metadata.get("rows_landed"), "value", 0) or 0
        for asset in outcome.assets
        if asset.key.startswith("raw_")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workdir", type=Path, help="keep the data here")
    parser.add_argument(
        "--fast-crm",
        action="store_true",
        help="lift the stand-in's rate limit and the sync's (default: Bitrix24's)",
    )
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="c360-nightly-"))
    workdir.mkdir(parents=True, exist_ok=True)
    landing, truth = workdir / "landing", workdir / "ground_truth"
    for stale in ("warehouse", "full", "standin"):
        shutil.rmtree(workdir / stale, ignore_errors=True)
    started = time.perf_counter()
    generate(landing, truth, customers=args.customers, seed=args.seed)
    seconds = time.perf_counter() - started
    print(f"generated {args.customers:,} customers in {seconds:.0f} s")

    base = load_settings(PROJECT_DIR)
    rate_limit = RateLimit(50, 10_000) if args.fast_crm else RateLimit(50, 2.0)
    branches = [portal.branch for portal in base.crm_portals]
    with start_standin(
        workdir / "standin",
        branches,
        token=TOKEN,
        rate_limit=rate_limit,
        seed_from=landing,
        reseed=True,
    ) as standin:
        nightly = workdir / "warehouse" / "customer360.duckdb"
        with company_environment(
            workdir, nightly, standin.urls, args.fast_crm
        ) as settings:
            runs = [_run("first run, base data", settings)]
            # the first sync fills phones and e-mails missing in the CRMs: they
            # land on the next run, a real change, and then the CRMs stay still
            runs.append(_run("second run, the first sync's fills landed", settings))
            # what the fills taught the build (a phone now shared) changes a few
            # golden values once more: their writes land on the run after, and so
            # on, fewer each time; "nothing changed" is measured once a run landed
            # nothing
            for settling in range(1, MAX_SETTLING_RUNS + 1):
                if _rows_landed(runs[-1].outcome) == 0:
                    break
                runs.append(_run(f"settling run {settling}", settings))
            idle = _run("nothing changed", settings)
            runs.append(idle)
        generate(landing, truth, customers=args.customers, seed=args.seed, increments=1)
        for branch in branches:
            seed_portal(standin.portal(branch).store, landing, branch)
        with company_environment(
            workdir, nightly, standin.urls, args.fast_crm
        ) as settings:
            day = _run("after one day of changes", settings)
            runs.append(day)
        full = workdir / "full" / "customer360.duckdb"
        with company_environment(
            workdir, full, standin.urls, args.fast_crm
        ) as settings:
            full_run = _run("full run, the same day-one data, new warehouse", settings)
            runs.append(full_run)

    print(
        f"\ncustomer360 nightly runs: {args.customers:,} customers, CRM rate limit: "
        + ("lifted" if args.fast_crm else "Bitrix24's 50 requests, 2/s")
    )
    for run in runs:
        print(f"  {run.name}: {run.seconds:.1f} s")
        for label, seconds, peak in run.steps:
            print(f"    {label:<15} {seconds:8.1f} s  peak {peak / 2**30:5.2f} GB")
    print(f"  one day of changes / full run: {day.seconds / full_run.seconds:.2f}")
    print(f"  nothing changed / full run:    {idle.seconds / full_run.seconds:.2f}")
    if _rows_landed(idle.outcome):
        print(
            f"  (the 'nothing changed' run landed {_rows_landed(idle.outcome):,} rows:"
            f" the sync's writes had not settled after {MAX_SETTLING_RUNS} runs)"
        )
    synced = day.outcome.synced
    if synced is not None:
        sent = {k: getattr(v, "value", v) for k, v in synced.metadata.items()}
        print(
            "  CRM sync after the day's changes: "
            + ", ".join(f"{k}={v}" for k, v in sent.items() if k.endswith("_sent"))
        )
    print(f"  data in {workdir}")


if __name__ == "__main__":
    main()
