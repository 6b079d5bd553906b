"""Identity resolution on FEBRL person records, run the way a company runs customer360.

    .venv/bin/python benchmarks/identity_febrl.py                 # FEBRL1 and FEBRL2
    .venv/bin/python benchmarks/identity_febrl.py --datasets febrl3 febrl4

For each data set (benchmarks/febrl_landing.py) and case (a CRM portal and 1C; two
CRM portals; one portal), with the Latin records and again with half of them
re-spelled in Cyrillic by ear: the records are written as the company's exports,
the Bitrix24 stand-in serves the CRM part, and the main job (`c360 run`: dlt ingest,
then dbt build, which trains the matching model on these records) resolves them,
with no setting of this data set's. The person clusters are then scored pairwise
against FEBRL's truth, and the pairs the build kept are redrawn at each candidate
threshold, to show how the threshold the model chose without any truth compares
with the others.

FEBRL1 and FEBRL2 are the development set; FEBRL3 and FEBRL4 are the acceptance set
the maintainers run (`--datasets febrl3 febrl4`): do not tune on them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.febrl_landing import (  # noqa: E402
    CASES,
    DATASETS,
    DEVELOPMENT_DATASETS,
    load,
    respell_in_cyrillic,
    spread,
    write_company,
)
from customer360.identity.calibration import CANDIDATE_THRESHOLDS  # noqa: E402
from customer360.identity.evaluate import evaluate, load_truth  # noqa: E402
from customer360.identity.resolve import clusters_at_threshold  # noqa: E402
from customer360.settings import Settings  # noqa: E402
from demo.standins.bitrix24 import RateLimit, start_standin  # noqa: E402

TOKEN = "febrl-benchmark-token"


def run_company(root: Path, records, case: str, progress=print) -> dict[str, object]:
    """Land and build one company; return what was measured."""
    from orchestration.run import run_main_job

    landing, truth_dir = root / "landing", root / "ground_truth"
    branches = write_company(records, spread(records, case), landing, truth_dir)
    settings = Settings(
        project_dir=root,
        warehouse_path=root / "warehouse" / "customer360.duckdb",
        landing_dir=landing,
        ground_truth_dir=truth_dir,
        crm_portals=(),
        crm_standin_dir=root / "crm_standin",
    )
    standin = start_standin(
        settings.crm_standin_dir,
        branches,
        token=TOKEN,
        rate_limit=RateLimit(1000, 100000),
        seed_from=landing,
    )
    # the job's resources read the portals and the token from the environment, as
    # a company's c360.toml and secrets would give them
    environment = {
        "C360_CRM_PORTALS": ",".join(f"{b}={u}" for b, u in standin.urls.items()),
        "C360_CRM_WEBHOOK_TOKEN": TOKEN,
        "C360_LANDING_DIR": str(landing),
        "C360_WAREHOUSE": str(settings.warehouse_path),
        "C360_CRM_STANDIN_DIR": str(settings.crm_standin_dir),
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    started = time.monotonic()
    try:
        # the job's progress goes to the company's own log, not between the figures
        with (root / "run.log").open("w") as log, contextlib.redirect_stdout(log):
            outcome = run_main_job(replace(settings, crm_portals=standin.crm_portals()))
    finally:
        standin.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    seconds = time.monotonic() - started
    if not outcome.success:
        raise RuntimeError(f"the main job failed: {outcome.failures}")
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        clusters = (
            con.sql(
                "select record_key, cluster_id from intermediate.int_person_clusters"
            )
            .arrow()
            .read_all()
        )
        pairs = con.sql("select * from intermediate.int_person_match_pairs").arrow()
        pairs = pairs.read_all()
        model = con.sql(
            "select version, status, records, match_threshold, expected_precision,"
            " expected_recall, failed_checks from intermediate.int_person_match_models"
            " order by version desc limit 1"
        ).fetchall()[0]
    finally:
        con.close()
    truth = load_truth(truth_dir)
    report = evaluate(clusters, truth)
    if report.records != len(records):
        raise RuntimeError(
            f"{report.records:,} of {len(records):,} records reached the clusters"
        )
    curve = {}
    for threshold in CANDIDATE_THRESHOLDS:
        redrawn = clusters_at_threshold(
            clusters.select(["record_key"]), pairs, threshold
        )
        curve[threshold] = evaluate(redrawn, truth).as_dict()
    return {
        "records": len(records),
        "seconds": round(seconds, 1),
        "report": report.as_dict(),
        "model": dict(
            zip(
                [
                    "version",
                    "status",
                    "records",
                    "threshold",
                    "expected_precision",
                    "expected_recall",
                    "failed_checks",
                ],
                model,
                strict=True,
            )
        ),  # fmt: skip
        "curve": curve,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", choices=DATASETS,
                        default=list(DEVELOPMENT_DATASETS))  # fmt: skip
    parser.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    parser.add_argument(
        "--cyrillic-share", type=float, default=0.5,
        help="share of records re-spelled in Cyrillic in the second run (0 skips it)",
    )  # fmt: skip
    parser.add_argument("--workdir", type=Path, help="keep the companies here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="c360-febrl-"))
    results = []
    print(
        f"{'data set':<9} {'case':<13} {'script':<9} {'records':>7} {'P':>7} {'R':>7}"
        f" {'F1':>7} {'threshold':>9} {'exp. P':>7} {'exp. R':>7} {'best F1 at':>11}"
        f" {'seconds':>7}"
    )
    for dataset in args.datasets:
        latin = load(dataset)
        variants = [("latin", latin)]
        if args.cyrillic_share > 0:
            variants.append(
                ("cyrillic", respell_in_cyrillic(latin, args.cyrillic_share))
            )
        for case in args.cases:
            for script, records in variants:
                root = workdir / f"{dataset}-{case}-{script}"
                shutil.rmtree(root, ignore_errors=True)
                measured = run_company(root, records, case)
                report, model = measured["report"], measured["model"]
                best = max(measured["curve"].items(), key=lambda kv: kv[1]["f1"])
                print(
                    f"{dataset:<9} {case:<13} {script:<9} {measured['records']:>7,}"
                    f" {report['precision']:>7.4f} {report['recall']:>7.4f}"
                    f" {report['f1']:>7.4f} {model['threshold']!s:>9}"
                    f" {model['expected_precision'] or 0:>7.4f}"
                    f" {model['expected_recall'] or 0:>7.4f}"
                    f" {best[0]:>5} {best[1]['f1']:.4f} {measured['seconds']:>7.0f}",
                    flush=True,
                )
                if model["status"] != "accepted":
                    print(f"    model rejected: {model['failed_checks']}")
                results.append(
                    {"dataset": dataset, "case": case, "script": script, **measured}
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    print(f"companies in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
