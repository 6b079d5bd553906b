"""The stand-in keeps its account: records and the PATCH journal survive restarts."""

from __future__ import annotations

from collections.abc import Callable

from amocrm_testkit import Account

from demo.standins.amocrm import AmoCrmStandin
from demo.standins.amocrm.samples import contact, seed_document


def test_writes_and_the_journal_survive_a_restart_and_a_reseed(
    start: Callable[..., AmoCrmStandin],
) -> None:
    seed = seed_document(contacts=5)
    first = start(seed_from=seed)
    Account(first).patch(
        "/api/v4/contacts",
        [
            {
                "id": 2,
                "custom_fields_values": [
                    {"field_code": "IIN", "values": [{"value": "1"}]}
                ],
            },
            {"id": 3, "name": "Сохранён"},
        ],
    )
    first.stop()
    # started again on the same folder and seeded from the same (older) records
    again = start(seed_from=seed)
    account = Account(again)
    assert account.contact(3)["name"] == "Сохранён"
    assert account.values(2, "IIN") == [{"value": "1"}]
    journal = again.patches("contacts")
    assert [(p.entity_id, p.request_id) for p in journal] == [(2, "0"), (3, "1")]
    assert journal[1].fields == {"name": "Сохранён"}
    assert journal[0].updated_at == account.contact(2)["updated_at"]
    assert again.store.patch_counts("contacts") == {2: 1, 3: 1}
    assert again.patches("contacts", 3)[0].seq == journal[1].seq


def test_a_newer_seed_record_replaces_the_stored_one(
    start: Callable[..., AmoCrmStandin],
) -> None:
    start(seed_from=seed_document(contacts=2)).stop()
    newer = {"contacts": [contact(1, minutes=10_000, first_name="Новый")]}
    account = Account(start(seed_from=newer))
    assert account.contact(1)["first_name"] == "Новый"
    assert account.contact(2)["first_name"] == "Иван2"


def test_reseed_starts_the_account_afresh(start: Callable[..., AmoCrmStandin]) -> None:
    first = start(seed_from=seed_document(contacts=2))
    Account(first).patch("/api/v4/contacts", [{"id": 1, "name": "x"}])
    Account(first).post(
        "/api/v4/contacts/custom_fields", [{"name": "Tmp", "type": "text", "code": "T"}]
    )
    first.stop()
    again = start(reseed=True)
    assert again.patches() == []
    assert again.store.count("contacts") == 0
    codes = [f["code"] for f in again.store.fields("contacts")]
    assert codes == ["POSITION", "PHONE", "EMAIL"]
