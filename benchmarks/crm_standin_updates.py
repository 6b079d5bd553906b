"""Benchmark: how fast the Bitrix24 stand-in applies the CRM sync's batched updates.

    .venv/bin/python benchmarks/crm_standin_updates.py --batches 2000

Seeds one portal with as many contacts as there are updates, creates the sync's
custom fields with crm.contact.userfield.add, then sends `--batches` batch calls
of 50 crm.contact.update commands each (every contact written once), over
loopback HTTP with the rate limit lifted, and prints the figures: wall time,
updates a second, batch latency, and the store alone with one commit per batch
against one per update. Nothing here asserts a speed: the figures are for reading.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import requests

from demo.standins.bitrix24 import PortalStore, RateLimit, start_standin
from demo.standins.bitrix24.entities import CONTACT
from demo.standins.bitrix24.samples import seed_document, write_seed

TOKEN = "benchmark-token"
BATCH_SIZE = 50
BITRIX_REQUESTS_PER_SECOND = 2.0  # the leaky bucket's drain on most plans
SYNC_FIELDS = (
    ("C360_GOLDEN_ID", "string"),
    ("C360_LTV", "double"),
    ("C360_CHURN_RISK", "double"),
    ("C360_SEGMENT_CODE", "string"),
    ("C360_DUPLICATE_OF", "string"),
)


def _fields(contact_id: int) -> dict[str, str]:
    return {
        "UF_CRM_C360_GOLDEN_ID": f"C360-{contact_id:08d}",
        "UF_CRM_C360_LTV": f"{contact_id * 13.37 % 100000:.2f}",
        "UF_CRM_C360_CHURN_RISK": f"{contact_id % 97 / 97:.4f}",
        "UF_CRM_C360_SEGMENT_CODE": ("vip", "loyal", "at_risk", "new")[contact_id % 4],
        "UF_CRM_C360_DUPLICATE_OF": ""
        if contact_id % 10
        else f"C360-{contact_id - 1:08d}",
    }


def _command(contact_id: int) -> str:
    query = [("id", contact_id)] + [
        (f"fields[{name}]", value) for name, value in _fields(contact_id).items()
    ]
    return "crm.contact.update?" + urlencode(query)


def _over_http(workdir: Path, batches: int) -> dict[str, str]:
    contacts = batches * BATCH_SIZE
    landing = workdir / "landing"
    write_seed(landing, "bench", seed_document("bench", contacts=contacts))
    began = time.perf_counter()
    handle = start_standin(
        workdir / "standin",
        ["bench"],
        token=TOKEN,
        rate_limit=RateLimit.lifted(),
        seed_from=landing,
        reseed=True,
    )
    seeded = time.perf_counter() - began
    figures: dict[str, str] = {"contacts seeded": f"{contacts:,} in {seeded:.1f} s"}
    with handle:
        base = f"{handle.urls['bench']}/rest/1/{TOKEN}"
        session = requests.Session()
        for name, user_type in SYNC_FIELDS:
            answer = session.post(
                f"{base}/crm.contact.userfield.add.json",
                json={"fields": {"FIELD_NAME": name, "USER_TYPE_ID": user_type}},
                timeout=30,
            )
            answer.raise_for_status()
        latencies = []
        errors = 0
        began = time.perf_counter()
        for batch in range(batches):
            first = batch * BATCH_SIZE + 1
            commands = {f"c{i}": _command(i) for i in range(first, first + BATCH_SIZE)}
            sent = time.perf_counter()
            answer = session.post(
                f"{base}/batch.json", json={"cmd": commands}, timeout=60
            )
            latencies.append(time.perf_counter() - sent)
            result = answer.json()["result"]
            errors += len(result["result_error"] or {})
        wall = time.perf_counter() - began
        server = handle.portal("bench")
        applied = server.stats()["updates_applied"]
        operating, _ = server.operating_usage("crm.contact.update")
        last = server.store.get(CONTACT, contacts)
    updates = batches * BATCH_SIZE
    latencies.sort()
    figures.update(
        {
            "batch calls (50 updates each)": f"{batches:,}",
            "wall time": f"{wall:.1f} s",
            "updates a second": f"{updates / wall:,.0f}",
            "batch calls a second": f"{batches / wall:,.1f}",
            "batch latency median / p95 / max": (
                f"{statistics.median(latencies) * 1000:.1f} / "
                f"{latencies[int(len(latencies) * 0.95) - 1] * 1000:.1f} / "
                f"{latencies[-1] * 1000:.1f} ms"
            ),
            "updates applied (audit) / errors": f"{applied:,} / {errors:,}",
            "last contact's LTV read back": str(last.get("UF_CRM_C360_LTV")),
            "operating time of crm.contact.update": f"{operating:.1f} s",
            "same updates at Bitrix24's 2 req/s": (
                f"{batches / BITRIX_REQUESTS_PER_SECOND / 60:,.1f} min"
            ),
        }
    )
    return figures


def _store_alone(workdir: Path, updates: int) -> dict[str, str]:
    """The store without HTTP: a commit per batch of 50 against a commit each."""
    figures = {}
    for label, per_batch in (("one commit per batch", True), ("one per update", False)):
        store = PortalStore(workdir / f"store-{per_batch}.sqlite3")
        store.upsert(CONTACT, seed_document("s", contacts=updates)["contacts"])
        store.add_user_field(
            CONTACT, {"FIELD_NAME": "C360_LTV", "USER_TYPE_ID": "double"}
        )
        began = time.perf_counter()
        for first in range(1, updates + 1, BATCH_SIZE):
            ids = range(first, min(first + BATCH_SIZE, updates + 1))
            if per_batch:
                with store.transaction():
                    for i in ids:
                        store.apply_update(CONTACT, i, {"UF_CRM_C360_LTV": i / 7})
            else:
                for i in ids:
                    store.apply_update(CONTACT, i, {"UF_CRM_C360_LTV": i / 7})
        elapsed = time.perf_counter() - began
        store.close()
        figures[f"store alone, {label}"] = (
            f"{updates:,} updates in {elapsed:.1f} s ({updates / elapsed:,.0f}/s)"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=2000)
    parser.add_argument(
        "--store-updates",
        type=int,
        default=20_000,
        help="updates for the store-alone comparison (0: skip it)",
    )
    parser.add_argument("--workdir", type=Path, help="keep the data here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="c360-standin-bench-") as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        figures = _over_http(workdir, args.batches)
        if args.store_updates:
            figures.update(_store_alone(workdir, args.store_updates))
    width = max(len(label) for label in figures)
    print("Bitrix24 stand-in, batched crm.contact.update (rate limit lifted):")
    for label, value in figures.items():
        print(f"  {label:<{width}}  {value}")


if __name__ == "__main__":
    main()
