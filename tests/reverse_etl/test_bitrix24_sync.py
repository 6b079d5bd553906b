"""The sync against the Bitrix24 stand-in: only what changed, nothing lost."""

from __future__ import annotations

import duckdb
import pytest

from demo.standins.bitrix24.entities import CONTACT
from reverse_etl.destinations import DestinationError, RecordUpdate, bitrix24
from reverse_etl.mapping import MappingError
from reverse_etl.state import MAX_ATTEMPTS
from reverse_etl.sync import run_sync
from tests.reverse_etl.conftest import (
    SyncWorld,
    add_company,
    add_contacts,
    contact_row,
)


def _sync(world: SyncWorld, **options):
    destination = options.pop("destination", None) or world.destination()
    return run_sync(world.warehouse, destination, **options)


def test_the_first_run_sends_everything_and_the_crm_holds_it(world: SyncWorld) -> None:
    ids = add_contacts(world, 120)
    company = add_company(world, 'ТОО "Достык"')
    world.mart(
        [contact_row(crm_id, n) for n, crm_id in enumerate(ids)]
        + [
            contact_row(
                company,
                entity_type="company",
                c360_id="org_000001",
                rfm_segment="At Risk",
            )
        ]
    )

    report = _sync(world)

    counts = report.counts
    assert (counts.considered, counts.sent, counts.confirmed) == (121, 121, 121)
    assert counts.rejected == counts.unchanged == 0
    # the custom fields were created, and the portal kept what was written in them
    # (a portal ignores fields it does not have: only reading back shows it)
    assert counts.fields_created == 2 * 7
    contact = world.record("contact", ids[7])
    assert contact["UF_CRM_C360_ID"] == f"per_{ids[7]:06d}"
    assert float(contact["UF_CRM_C360_LTV"]) == pytest.approx(1007.5)
    assert contact["UF_CRM_C360_SEGMENT"] == "Champions"
    assert world.record("company", company)["UF_CRM_C360_SEGMENT"] == "At Risk"
    # every record written once, in batches of 50
    assert set(world.updates_applied().values()) == {1}
    assert len(world.updates_applied()) == 120
    # and the audit says so
    [(sent, confirmed, status)] = world.state(
        "select sent, confirmed, status from crm_sync.runs"
    )
    assert (sent, confirmed, status) == (121, 121, "succeeded")
    [(logged,)] = world.state(
        "select count(*) from crm_sync.row_log where outcome = 'confirmed'"
    )
    assert logged == 121


def test_a_second_run_sends_nothing_and_a_change_sends_only_itself(
    world: SyncWorld,
) -> None:
    ids = add_contacts(world, 200)
    rows = [contact_row(crm_id, n) for n, crm_id in enumerate(ids)]
    world.mart(rows)
    _sync(world)
    requests_before = world.portal.stats()["requests"]

    again = _sync(world)
    assert (again.counts.sent, again.counts.unchanged) == (0, 200)
    # nothing sent means no update request either (the field lists are read)
    assert set(world.updates_applied().values()) == {1}

    rows[3]["rfm_segment"] = "At Risk"
    rows[150]["ltv_12m_kzt"] = 99.0
    world.mart(rows)
    changed = _sync(world)
    assert (changed.counts.sent, changed.counts.unchanged) == (2, 198)
    applied = world.updates_applied()
    assert applied[str(ids[3])] == applied[str(ids[150])] == 2
    assert sum(applied.values()) == 202
    assert world.record("contact", ids[3])["UF_CRM_C360_SEGMENT"] == "At Risk"
    assert world.portal.stats()["requests"] > requests_before


def test_a_forecast_that_drifts_within_its_share_is_not_resent_until_it_adds_up(
    world: SyncWorld,
) -> None:
    ids = add_contacts(world, 3)
    rows = [contact_row(crm_id, ltv_12m_kzt=100_000.0) for crm_id in ids]
    world.mart(rows)
    _sync(world)

    # a day passes: every forecast moves by 2%, under the shipped 5%
    for row in rows:
        row["ltv_12m_kzt"] = 98_000.0
    world.mart(rows)
    day = _sync(world)
    assert (day.counts.sent, day.counts.unchanged) == (0, 3)
    assert day.counts.within_tolerance == 3
    assert "3 of them with numbers moved less than" in day.format()
    assert float(world.record("contact", ids[0])["UF_CRM_C360_LTV"]) == 100_000.0

    # measured from what the CRM confirmed, not from yesterday: 2% and 2% more is
    # sent once it passes 5%; another field's change sends the record, LTV and all
    rows[0]["ltv_12m_kzt"] = 94_000.0
    rows[1]["rfm_segment"] = "At Risk"
    world.mart(rows)
    later = _sync(world)
    assert (later.counts.sent, later.counts.within_tolerance) == (2, 1)
    assert float(world.record("contact", ids[0])["UF_CRM_C360_LTV"]) == 94_000.0
    assert float(world.record("contact", ids[1])["UF_CRM_C360_LTV"]) == 98_000.0
    assert float(world.record("contact", ids[2])["UF_CRM_C360_LTV"]) == 100_000.0
    [(within,)] = world.state(
        "select within_tolerance from crm_sync.runs order by started_at desc limit 1"
    )
    assert within == 1


def test_a_dry_run_says_what_would_change_and_sends_nothing(world: SyncWorld) -> None:
    ids = add_contacts(world, 3)
    rows = [contact_row(crm_id, n) for n, crm_id in enumerate(ids)]
    world.mart(rows)
    first = _sync(world, dry_run=True)
    assert first.counts.sent == 3  # would be
    assert world.updates_applied() == {}
    assert "UF_CRM_C360_ID" in " ".join(first.fields_to_create)
    assert world.record("contact", ids[0]).get("UF_CRM_C360_ID") in (None, "")

    _sync(world)
    rows[1]["rfm_segment"] = "Hibernating"
    world.mart(rows)
    dry = _sync(world, dry_run=True)
    printed = dry.format()
    assert "would update 1, unchanged 2" in printed
    assert "UF_CRM_C360_SEGMENT: 'Champions' -> 'Hibernating'" in printed
    assert world.record("contact", ids[1])["UF_CRM_C360_SEGMENT"] == "Champions"


def test_fill_if_empty_never_writes_over_a_managers_value(world: SyncWorld) -> None:
    [typed] = add_contacts(
        world, 1, PHONE=[{"VALUE": "+77010000001", "VALUE_TYPE": "WORK"}]
    )
    [empty] = add_contacts(world, 1)
    [typed_since] = add_contacts(world, 1)
    world.mart(
        [
            # the mart knows the manager's phone
            contact_row(
                typed,
                golden_phone_e164="+77019999999",
                crm_phone_e164="+77010000001",
            ),
            contact_row(empty, golden_phone_e164="+77012223344"),
            # the mart saw no phone, but a manager typed one since the last ingest
            contact_row(typed_since, golden_phone_e164="+77015556677"),
        ]
    )
    world.portal.store.update(
        CONTACT,
        typed_since,
        {"PHONE": [{"VALUE": "+77018887766", "VALUE_TYPE": "MOBILE"}]},
    )

    report = _sync(world)
    assert report.counts.confirmed == 3
    phones = {
        crm_id: [item["VALUE"] for item in world.record("contact", crm_id)["PHONE"]]
        for crm_id in (typed, empty, typed_since)
    }
    assert phones == {
        typed: ["+77010000001"],
        empty: ["+77012223344"],
        typed_since: ["+77018887766"],
    }

    # the sync's memory lost (a crash before it was kept): sent again, the phone is
    # read back first and not added a second time
    with duckdb.connect(str(world.warehouse)) as connection:
        connection.execute("delete from crm_sync.record_state")
    _sync(world)
    phones_after = [item["VALUE"] for item in world.record("contact", empty)["PHONE"]]
    assert phones_after == ["+77012223344"]


def test_one_bad_record_never_fails_its_neighbours_and_is_given_up_on(
    world: SyncWorld,
) -> None:
    ids = add_contacts(world, 50)
    bad, gone = ids[10], ids[20]
    world.portal.fail_record("contact", bad, description="Value is not allowed")
    world.portal.delete_record("contact", gone)
    rows = [contact_row(crm_id, n) for n, crm_id in enumerate(ids)]
    world.mart(rows)

    first = _sync(world)
    assert (first.counts.sent, first.counts.confirmed, first.counts.rejected) == (
        50,
        48,
        2,
    )
    reasons = dict(
        world.state(
            "select crm_id, error from crm_sync.row_log where outcome = 'rejected'"
        )
    )
    assert "Value is not allowed" in reasons[bad]
    assert "not found" in reasons[gone].lower()
    assert "rejected: almaty contact" in first.format()

    # retried on the next runs, the others left alone, until it is given up on
    for attempt in range(2, MAX_ATTEMPTS + 1):
        retry = _sync(world)
        assert (retry.counts.sent, retry.counts.retried) == (2, 2), attempt
    given_up = _sync(world)
    assert (given_up.counts.sent, given_up.counts.given_up) == (0, 2)
    assert world.state(
        "select distinct status, attempts from crm_sync.record_state"
        f" where crm_id in ({bad}, {gone})"
    ) == [("given_up", MAX_ATTEMPTS)]

    # once the CRM takes it again and its values change, it is sent again
    world.portal.clear_record_failures()
    rows[10]["rfm_segment"] = "Loyal"
    world.mart(rows)
    revived = _sync(world)
    assert (revived.counts.sent, revived.counts.confirmed) == (1, 1)


def test_gateway_errors_dropped_connections_and_the_rate_limit_are_retried(
    world: SyncWorld,
) -> None:
    ids = add_contacts(world, 150)
    world.mart([contact_row(crm_id, n) for n, crm_id in enumerate(ids)])
    world.portal.inject("http_503", "http_500", "drop", "http_502", "slow:0.2")
    report = _sync(world, destination=world.destination(timeout=5))
    assert report.counts.confirmed == 150
    assert set(world.updates_applied().values()) == {1}


def test_a_method_blocked_for_its_operating_time_is_paused_then_resumed(
    world: SyncWorld,
) -> None:
    ids = add_contacts(world, 60)
    world.mart([contact_row(crm_id, n) for n, crm_id in enumerate(ids)])
    _sync(world, dry_run=True)  # fields listed, nothing sent
    world.portal.block_method("crm.contact.update", 2.5)
    report = _sync(world)
    assert report.counts.confirmed == 60
    assert report.seconds >= 2.0
    assert set(world.updates_applied().values()) == {1}


def test_a_wrong_token_stops_the_sync_with_a_clear_message(world: SyncWorld) -> None:
    ids = add_contacts(world, 2)
    world.mart([contact_row(crm_id) for crm_id in ids])
    destination = world.destination()
    for client in destination._clients.values():
        client.portal = client.portal.__class__(
            client.portal.branch, client.portal.base_url, 1, token="wrong-token"
        )
    with pytest.raises(DestinationError, match="refused the webhook"):
        _sync(world, destination=destination)
    assert world.updates_applied() == {}
    assert world.state("select status from crm_sync.runs") == [("failed",)]


def test_a_bad_mapping_sends_nothing(world: SyncWorld, tmp_path) -> None:
    ids = add_contacts(world, 2)
    world.mart([contact_row(crm_id) for crm_id in ids])
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(
        "bitrix24:\n  contact:\n"
        "    - {column: c360_id, field: UF_CRM_C360_ID, type: string,"
        " mode: overwrite}\n"
        "    - {column: c360_id, field: ID, type: string, mode: overwrite}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match="mapping.yml:4: ID is read-only"):
        _sync(world, mapping_path=mapping)
    assert world.updates_applied() == {}


def test_the_records_to_fill_are_read_for_many_batches_in_one_call(
    world: SyncWorld,
) -> None:
    # one read call a batch would halve the sync's rate against the portal's
    # 2 calls a second: 120 records to fill are 3 write calls and 1 read call
    ids = add_contacts(world, 120)
    world.mart(
        [contact_row(crm_id, golden_phone_e164=f"+7701{crm_id:07d}") for crm_id in ids]
    )
    world.portal.reset_stats()
    report = _sync(world)
    assert report.counts.confirmed == 120
    assert world.portal.stats()["methods"]["batch"] == 4
    phones = {
        crm_id: [item["VALUE"] for item in world.record("contact", crm_id)["PHONE"]]
        for crm_id in (ids[0], ids[75], ids[-1])
    }
    assert phones == {crm_id: [f"+7701{crm_id:07d}"] for crm_id in phones}


def test_a_read_older_than_its_age_is_read_again_before_the_write(
    world: SyncWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    [crm_id] = add_contacts(world, 1)
    update = RecordUpdate("contact", crm_id, {}, {"PHONE": "+77012223344"})
    destination = world.destination()
    destination.prepare("almaty", [update])
    # typed by a manager after the read ahead, before the write
    world.portal.store.update(
        CONTACT, crm_id, {"PHONE": [{"VALUE": "+77018887766", "VALUE_TYPE": "MOBILE"}]}
    )
    monkeypatch.setattr(bitrix24, "MAX_READ_AGE_SECONDS", 0.0)
    [result] = destination.send("almaty", [update])
    assert result.confirmed
    phones = [item["VALUE"] for item in world.record("contact", crm_id)["PHONE"]]
    assert phones == ["+77018887766"]
