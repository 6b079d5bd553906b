"""A sync killed mid-run (kill -9) and run again: nothing lost, nothing doubled."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from demo.standins.bitrix24.entities import CONTACT
from reverse_etl.sync import run_sync
from tests.reverse_etl.conftest import TOKEN, SyncWorld, add_contacts, contact_row

PROJECT_DIR = Path(__file__).resolve().parents[2]
RECORDS = 2_000
BATCH = 50


@pytest.mark.slow
def test_a_sync_killed_mid_run_and_run_again_loses_and_doubles_nothing(
    world: SyncWorld, tmp_path: Path
) -> None:
    ids = add_contacts(world, RECORDS)
    world.mart(
        [
            contact_row(crm_id, n, golden_phone_e164=f"+7701{n:07d}")
            for n, crm_id in enumerate(ids)
        ]
    )
    [portal] = world.standin.crm_portals()
    environment = {
        **os.environ,
        "C360_PROJECT_DIR": str(PROJECT_DIR),
        "C360_WAREHOUSE": str(world.warehouse),
        "C360_CRM_PORTALS": f"almaty={portal.base_url}",
        "C360_CRM_WEBHOOK_TOKEN": TOKEN,
        # slow enough to be killed in the middle: 8 batch calls a second
        "C360_CRM_RATE_CAPACITY": "2",
        "C360_CRM_RATE_DRAIN": "8",
    }
    sync = subprocess.Popen(
        [str(Path(sys.executable).parent / "c360"), "sync"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while sum(world.updates_applied().values()) < RECORDS // 3:
            assert sync.poll() is None, sync.stderr.read()
            assert time.monotonic() < deadline, "the sync did not get going"
            time.sleep(0.05)
        sync.send_signal(signal.SIGKILL)
        sync.wait(timeout=10)
    finally:
        sync.kill()
    written_before = dict(world.updates_applied())
    assert 0 < len(written_before) < RECORDS

    report = run_sync(world.warehouse, world.destination())

    # nothing lost: every record carries its values, and its phone
    applied = world.updates_applied()
    assert len(applied) == RECORDS
    for n in (0, len(ids) // 2, len(ids) - 1):
        record = world.record("contact", ids[n])
        assert record["UF_CRM_C360_ID"] == f"per_{ids[n]:06d}"
        assert [item["VALUE"] for item in record["PHONE"]] == [f"+7701{n:07d}"]
    # nothing doubled: no record has two phones, and what the killed run had kept
    # was not sent again; only the batch in flight when it died went twice
    doubled = [crm_id for crm_id, count in applied.items() if count > 1]
    assert len(doubled) <= BATCH
    assert report.counts.sent == RECORDS - len(written_before) + len(doubled)
    store = world.portal.store
    assert all(len(store.get(CONTACT, crm_id)["PHONE"]) == 1 for crm_id in ids)
    assert world.state(
        "select status, count(*) from crm_sync.runs group by 1 order by 1"
    ) == [("interrupted", 1), ("succeeded", 1)]
