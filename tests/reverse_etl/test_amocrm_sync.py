"""The sync against the amoCRM stand-in: only what changed, nothing lost or doubled."""

from __future__ import annotations

import duckdb
import pytest
import requests

from customer360.settings import AmoCrmAccount
from demo.standins.amocrm import RateLimit
from reverse_etl.destinations import DestinationError
from reverse_etl.sync import run_sync
from tests.reverse_etl.conftest import (
    AMO_BRANCH,
    AMO_COMPANIES,
    AMO_CONTACTS,
    AMO_WITH_PHONE,
    TOKEN,
    AmoSyncWorld,
    amo_row,
)

OWN_FIELDS = 7  # per entity type, in reverse_etl/mapping.yml's amocrm section


def _sync(world: AmoSyncWorld, **options):
    destination = options.pop("destination", None) or world.destination()
    return run_sync(world.warehouse, destination, **options)


def _contacts(count: int = AMO_CONTACTS, **values) -> list[dict]:
    return [amo_row(crm_id, crm_id, **values) for crm_id in range(1, count + 1)]


def _companies() -> list[dict]:
    return [
        amo_row(crm_id, entity_type="company", c360_id=f"org_{crm_id:06d}")
        for crm_id in range(1, AMO_COMPANIES + 1)
    ]


def test_the_first_run_sends_everything_in_batches_of_50_and_amocrm_holds_it(
    amo_world: AmoSyncWorld,
) -> None:
    rows = _contacts() + _companies()
    rows[6]["duplicate_of_crm_id"] = 3
    rows[6]["data_quality_flags"] = "missing_email"
    amo_world.mart(rows)

    report = _sync(amo_world)

    counts = report.counts
    total = AMO_CONTACTS + AMO_COMPANIES
    assert (counts.considered, counts.sent, counts.confirmed) == (total, total, total)
    assert counts.rejected == counts.unchanged == 0
    assert counts.fields_created == 2 * OWN_FIELDS
    # read back from the account: what a manager sees
    seventh = amo_world.values("contacts", 7)
    assert seventh["C360_ID"] == ["per_000007"]
    assert float(seventh["C360_LTV"][0]) == pytest.approx(1007.5)
    assert seventh["C360_SEGMENT"] == ["Champions"]
    assert seventh["C360_DQ_FLAGS"] == ["missing_email"]
    assert float(seventh["C360_DUPLICATE_OF"][0]) == 3
    assert seventh["PHONE"] == ["+7 777 0000007"]  # untouched
    assert amo_world.values("companies", 2)["C360_ID"] == ["org_000002"]
    # the sync's fields are numeric where amoCRM holds numbers
    created = {
        f["code"]: f["type"]
        for f in amo_world.standin.store.fields("contacts")
        if f["code"]
    }
    assert created["C360_LTV"] == created["C360_DUPLICATE_OF"] == "numeric"
    assert created["C360_SEGMENT"] == "text"
    # every record written once, in PATCHes of at most 50
    assert set(amo_world.patch_counts().values()) == {1}
    assert len(amo_world.patch_counts()) == AMO_CONTACTS
    assert sorted(amo_world.patch_sizes(), reverse=True) == [50, 50, 20, 3]
    assert amo_world.standin.stats()["patched_entities"] == total
    [(sent, confirmed, status)] = amo_world.state(
        "select sent, confirmed, status from crm_sync.runs"
    )
    assert (sent, confirmed, status) == (total, total, "succeeded")


def test_a_second_run_sends_nothing_and_a_change_sends_only_itself(
    amo_world: AmoSyncWorld,
) -> None:
    rows = _contacts()
    amo_world.mart(rows)
    _sync(amo_world)
    fields_before = len(amo_world.standin.store.fields("contacts"))
    methods_before = dict(amo_world.standin.stats()["methods"])

    again = _sync(amo_world)
    assert (again.counts.sent, again.counts.unchanged) == (0, AMO_CONTACTS)
    assert again.counts.fields_created == 0
    assert len(amo_world.standin.store.fields("contacts")) == fields_before
    methods = amo_world.standin.stats()["methods"]
    assert methods.get("PATCH contacts") == methods_before.get("PATCH contacts")
    assert methods.get("POST contacts/custom_fields") == methods_before.get(
        "POST contacts/custom_fields"
    )

    rows[3]["rfm_segment"] = "At Risk"
    rows[80]["ltv_12m_kzt"] = 99.0
    amo_world.mart(rows)
    changed = _sync(amo_world)
    assert (changed.counts.sent, changed.counts.unchanged) == (2, AMO_CONTACTS - 2)
    counts = amo_world.patch_counts()
    assert counts[4] == counts[81] == 2
    assert sum(counts.values()) == AMO_CONTACTS + 2
    assert amo_world.values("contacts", 4)["C360_SEGMENT"] == ["At Risk"]
    assert float(amo_world.values("contacts", 81)["C360_LTV"][0]) == 99.0


def test_a_dry_run_says_what_would_change_and_sends_nothing(
    amo_world: AmoSyncWorld,
) -> None:
    amo_world.mart(_contacts(3))
    dry = _sync(amo_world, dry_run=True)
    assert dry.counts.sent == 3  # would be
    assert "contact.C360_LTV" in dry.fields_to_create
    assert amo_world.patch_counts() == {}
    assert "C360_ID" not in amo_world.values("contacts", 1)


def test_fill_if_empty_writes_a_missing_phone_and_never_overwrites_one(
    amo_world: AmoSyncWorld,
) -> None:
    has_phone, empty, typed_since = 5, AMO_WITH_PHONE + 1, AMO_WITH_PHONE + 2
    amo_world.mart(
        [
            # the mart knows the record's own phone
            amo_row(
                has_phone,
                golden_phone_e164="+77019999999",
                crm_phone_e164="+77770000005",
            ),
            amo_row(empty, golden_phone_e164="+77012223344", golden_email="a@b.kz"),
            # the mart saw no phone, but a manager typed one since the last ingest
            amo_row(typed_since, golden_phone_e164="+77015556677"),
        ]
    )
    typed = requests.patch(
        f"{amo_world.standin.url}/api/v4/contacts",
        json=[
            {
                "id": typed_since,
                "custom_fields_values": [
                    {
                        "field_code": "PHONE",
                        "values": [{"value": "+77018887766", "enum_code": "MOB"}],
                    }
                ],
            }
        ],
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    typed.raise_for_status()

    report = _sync(amo_world)
    assert report.counts.confirmed == 3
    assert amo_world.values("contacts", has_phone)["PHONE"] == ["+7 777 0000005"]
    assert amo_world.values("contacts", empty)["PHONE"] == ["+77012223344"]
    assert amo_world.values("contacts", empty)["EMAIL"] == ["a@b.kz"]
    assert amo_world.values("contacts", typed_since)["PHONE"] == ["+77018887766"]
    # written as a work phone
    [phone] = [
        entry
        for entry in amo_world.record("contacts", empty)["custom_fields_values"]
        if entry["field_code"] == "PHONE"
    ]
    assert phone["values"][0]["enum_code"] == "WORK"
    # the PATCHes never carried PHONE for the records that had one
    phone_field = amo_world.standin.store.field_by_code("contacts", "PHONE")["id"]
    for crm_id in (has_phone, typed_since):
        synced = amo_world.standin.patches("contacts", crm_id)[-1]
        sent = {v["field_id"] for v in synced.fields["custom_fields_values"]}
        assert len(sent) == OWN_FIELDS and phone_field not in sent

    # the sync's memory lost: sent again, the phone is read first and left alone
    with duckdb.connect(str(amo_world.warehouse)) as connection:
        connection.execute("delete from crm_sync.record_state")
    _sync(amo_world)
    assert amo_world.values("contacts", empty)["PHONE"] == ["+77012223344"]
    assert amo_world.values("contacts", typed_since)["PHONE"] == ["+77018887766"]


def test_a_record_amocrm_refuses_is_rejected_with_its_reason_and_its_neighbours_go(
    amo_world: AmoSyncWorld,
) -> None:
    bad, unknown = 10, 9999
    amo_world.standin.fail_record(
        "contacts",
        bad,
        code="InvalidType",
        path="custom_fields_values.2.values.0.value",
        detail="This value should be of type numeric.",
    )
    amo_world.mart(_contacts(49) + [amo_row(unknown)])

    report = _sync(amo_world)

    counts = report.counts
    assert (counts.sent, counts.confirmed, counts.rejected) == (50, 48, 2)
    reasons = dict(
        amo_world.state(
            "select crm_id, error from crm_sync.row_log where outcome = 'rejected'"
        )
    )
    assert "InvalidType" in reasons[bad]
    assert "This value should be of type numeric." in reasons[bad]
    assert "C360_LTV" in reasons[bad]  # the field, by its code
    assert "NotSupportedChoice" in reasons[unknown]
    assert f"amoCRM has no contact {unknown}" in reasons[unknown]
    # the 48 others were written, once, and carry their values
    written = amo_world.patch_counts()
    assert set(written) == set(range(1, 50)) - {bad}
    assert set(written.values()) == {1}
    assert amo_world.values("contacts", 11)["C360_ID"] == ["per_000011"]
    assert "C360_ID" not in amo_world.values("contacts", bad)
    assert f"rejected: {AMO_BRANCH} contact {bad}" in report.format()

    # next run: only the two are tried again
    amo_world.standin.clear_record_failures()
    retry = _sync(amo_world)
    assert (retry.counts.sent, retry.counts.confirmed) == (2, 1)


def test_429s_are_waited_out(amo_world: AmoSyncWorld) -> None:
    rows = _contacts()
    amo_world.mart(rows)
    _sync(amo_world)  # the fields made, the values sent
    amo_world.standin.set_rate_limit(RateLimit(per_second=2, block_after=0))
    amo_world.mart(_contacts(rfm_segment="Loyal"))

    # a client far faster than the account allows
    report = _sync(amo_world, destination=amo_world.destination())

    assert report.counts.confirmed == AMO_CONTACTS
    assert amo_world.standin.stats()["rate_limited"] > 0
    assert set(amo_world.patch_counts().values()) == {2}
    assert amo_world.values("contacts", 120)["C360_SEGMENT"] == ["Loyal"]


def test_the_client_keeps_to_the_accounts_rate_without_a_429(
    amo_world: AmoSyncWorld,
) -> None:
    amo_world.mart(_contacts())
    _sync(amo_world)
    amo_world.standin.set_rate_limit(RateLimit(per_second=20, block_after=1))
    amo_world.mart(_contacts(rfm_segment="Loyal"))
    report = _sync(amo_world, destination=amo_world.destination(requests_per_second=20))
    assert report.counts.confirmed == AMO_CONTACTS
    assert amo_world.standin.stats()["rate_limited"] == 0


def test_a_blocked_account_stops_the_whole_sync_and_confirms_only_what_was_written(
    amo_world: AmoSyncWorld,
) -> None:
    amo_world.mart(_contacts())
    _sync(amo_world)
    before = amo_world.patch_counts()
    # 3 requests a second: the two field lists and the first PATCH pass, then two
    # 429s (amocrm.ru's HTML ones, which say nothing of when to come back) and
    # the account is blocked
    amo_world.standin.set_rate_limit(
        RateLimit(per_second=3, block_after=2, block_seconds=60, refusal_body="html")
    )
    amo_world.mart(_contacts(rfm_segment="Loyal"))

    with pytest.raises(DestinationError, match="blocked") as stopped:
        _sync(amo_world)

    assert "do not retry at once" in str(stopped.value)
    assert amo_world.standin.blocked
    written = {
        crm_id
        for crm_id, count in amo_world.patch_counts().items()
        if count > before[crm_id]
    }
    assert written == set(range(1, 51))
    confirmed = {
        crm_id
        for (crm_id,) in amo_world.state(
            "select s.crm_id from crm_sync.record_state s, crm_sync.runs r"
            " where s.status = 'confirmed' and s.confirmed_at >= r.started_at"
            " and r.status = 'failed'"
        )
    }
    assert confirmed == written
    [(status, message)] = amo_world.state(
        "select status, message from crm_sync.runs where status <> 'succeeded'"
    )
    assert status == "failed" and "403" in message


def test_a_wrong_token_stops_the_sync_with_a_clear_message(
    amo_world: AmoSyncWorld,
) -> None:
    amo_world.mart(_contacts(2))
    wrong = AmoCrmAccount(AMO_BRANCH, amo_world.standin.url, token="wrong-token")
    with pytest.raises(DestinationError, match="C360_AMOCRM_TOKEN_ASTANA"):
        _sync(amo_world, destination=amo_world.destination(account=wrong))
    missing = AmoCrmAccount(AMO_BRANCH, amo_world.standin.url, token=None)
    with pytest.raises(DestinationError, match="C360_AMOCRM_TOKEN"):
        _sync(amo_world, destination=amo_world.destination(account=missing))
    assert amo_world.patch_counts() == {}
    assert amo_world.state("select distinct status from crm_sync.runs") == [("failed",)]


def test_a_lost_answer_is_read_back_and_nothing_is_written_twice(
    amo_world: AmoSyncWorld,
) -> None:
    amo_world.mart([])
    _sync(amo_world)  # the fields made, nothing to send
    rows = _contacts()
    for row in rows[AMO_WITH_PHONE:]:
        row["golden_phone_e164"] = f"+7701{row['crm_id']:07d}"
    amo_world.mart(rows)
    # the two field lists pass; the first PATCH is applied and its answer lost,
    # the read-back meets a gateway error, the second PATCH's connection drops
    # unapplied; the third batch's fills read passes, its PATCH applied and lost
    amo_world.standin.inject(
        "ok", "ok", "lost_answer", "http_504", "ok", "drop", "ok", "ok", "lost_answer"
    )

    report = _sync(amo_world)

    assert report.counts.confirmed == AMO_CONTACTS
    assert amo_world.standin.stats()["faults"]
    # every record written exactly once, the filled phone once and alone
    assert set(amo_world.patch_counts().values()) == {1}
    assert len(amo_world.patch_counts()) == AMO_CONTACTS
    assert amo_world.values("contacts", AMO_CONTACTS)["PHONE"] == [
        f"+7701{AMO_CONTACTS:07d}"
    ]
