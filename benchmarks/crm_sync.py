"""Benchmark: the CRM sync against the Bitrix24 stand-in at Bitrix24's standard limits.

    .venv/bin/python benchmarks/crm_sync.py --customers 10000 100000 --without-phone 0.3

For each size: a portal seeded with that many contacts, a warehouse whose
marts.crm_sync_records holds one row per contact, and the sync as `c360 sync`
runs it (batches of 50, the client-side bucket of 50 draining 2 requests a
second, the portal's own bucket the same). Prints, per size:

- the first sync (every record sent): wall time, updates a second, and that
  against the ceiling of 100 updates a second (2 requests x 50); the first 49
  requests go at once (the bucket's burst), so the steady rate over the second
  half of the run is printed too (from 10,000 customers up);
- a second sync right after: records sent (0 is right) and its time;
- a sync after 1% of the customers changed: records sent.

`--without-phone SHARE`: that share of the portal's contacts has no phone, and the
golden record has one for them, so the first sync fills it (fill_if_empty): the
sync reads those records back before writing, which costs calls of its own.

Nothing here asserts a figure: they are for reading and quoting.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import duckdb

from demo.standins.bitrix24 import RateLimit, start_standin
from demo.standins.bitrix24.samples import seed_document, write_seed
from reverse_etl.destinations.bitrix24 import Bitrix24Destination
from reverse_etl.pacing import BucketLimit
from reverse_etl.sync import run_sync

TOKEN = "benchmark-token"
CEILING = 100.0  # updates a second: 2 requests x 50 commands
BURST = 49  # requests the bucket lets through at once
MART = """
create schema marts;
create table marts.crm_sync_records as
select
    'bench' as branch, 'contact' as entity_type, id as crm_id,
    'crm:contacts:bench:' || id as record_key,
    'per_' || lpad(id::varchar, 7, '0') as c360_id,
    'org_' || lpad((id // 3)::varchar, 7, '0') as customer_id,
    null::varchar as customer_name, 0::decimal(18,2) as net_revenue_kzt,
    ['low', 'medium', 'high'][1 + id % 3] as churn_risk_band,
    ['Champions', 'Loyal', 'At Risk'][1 + id % 3] as rfm_segment,
    null::varchar as crm_phone_e164, null::varchar as crm_email,
    round(1000 + id * 1.5, 2)::double as ltv_12m_kzt,
    0.1::double as churn_probability, null::bigint as duplicate_of_crm_id,
    null::varchar as data_quality_flags,
    case when list_contains(?::bigint[], id) then '+7701' || lpad(id::varchar, 7, '0')
    end as golden_phone_e164,
    null::varchar as golden_email
from (select unnest(?::bigint[]) as id)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000])
    parser.add_argument(
        "--without-phone",
        type=float,
        default=0.0,
        help="share of contacts with no phone in the CRM, filled by the sync",
    )
    args = parser.parse_args()
    for customers in args.customers:
        with tempfile.TemporaryDirectory() as folder:
            _one_size(Path(folder), customers, args.without_phone)


def _one_size(folder: Path, customers: int, without_phone: float) -> None:
    landing = folder / "landing"
    document = seed_document("bench", contacts=customers)
    to_fill = random.Random(3).sample(
        range(1, customers + 1), round(customers * without_phone)
    )
    for crm_id in to_fill:
        document["contacts"][crm_id - 1].pop("PHONE", None)
        document["contacts"][crm_id - 1]["HAS_PHONE"] = "N"
    write_seed(landing, "bench", document)
    with start_standin(
        folder / "standin",
        ["bench"],
        token=TOKEN,
        rate_limit=RateLimit(capacity=50, drain_per_second=2.0),
        seed_from=landing,
        reseed=True,
    ) as standin:
        ids = [int(contact["ID"]) for contact in document["contacts"]]
        warehouse = folder / "warehouse.duckdb"
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(MART, [to_fill, ids])

        def destination() -> Bitrix24Destination:
            return Bitrix24Destination(
                standin.crm_portals(), BucketLimit(capacity=50, drain_per_second=2.0)
            )

        # (seconds since start, records sent) after each batch
        marks: list[tuple[float, int]] = []
        began = time.monotonic()
        first = run_sync(
            warehouse,
            destination(),
            progress=lambda done, total: marks.append((time.monotonic() - began, done)),
        )
        sent = first.counts.confirmed
        rate = sent / first.seconds
        print(
            f"{customers:,} customers, {len(to_fill):,} of them without a phone in"
            " the CRM (filled by the sync)"
        )
        print(
            f"  first sync: {sent:,} records confirmed in {first.seconds:.1f} s:"
            f" {rate:,.1f} updates/s = {rate / CEILING:.0%} of the ceiling"
            f" ({first.counts.requests:,} requests, the bucket's burst included)"
        )
        if len(marks) > 4 * BURST:
            # the second half of the run, long after the bucket's burst is spent:
            # what a sync holds to for as long as it runs
            (t0, n0), (t1, n1) = marks[len(marks) // 2], marks[-1]
            steady = (n1 - n0) / (t1 - t0)
            print(
                f"  second half of the run: {steady:,.1f} updates/s ="
                f" {steady / CEILING:.0%} of the ceiling"
            )
        second = run_sync(warehouse, destination())
        print(
            f"  second sync, nothing changed: {second.counts.sent:,} sent,"
            f" {second.counts.unchanged:,} unchanged, {second.seconds:.1f} s"
        )
        changed = random.Random(7).sample(ids, max(1, customers // 100))
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute(
                "update marts.crm_sync_records set rfm_segment = 'Hibernating'"
                " where crm_id in (select unnest(?::bigint[]))",
                [changed],
            )
        third = run_sync(warehouse, destination())
        print(
            f"  after {len(changed):,} customers changed"
            f" ({len(changed) / customers:.1%}):"
            f" {third.counts.sent:,} sent ({third.counts.sent / customers:.2%} of the"
            f" records), {third.seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
