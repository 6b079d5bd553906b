"""The stand-in takes amoCRM's writes: PATCH batches, custom fields, validation."""

from __future__ import annotations

from collections.abc import Callable

from amocrm_testkit import Account

from demo.standins.amocrm import AmoCrmStandin
from demo.standins.amocrm.samples import seed_document


def _create_field(account: Account, name: str, code: str, type_: str = "text") -> int:
    answer = account.post(
        "/api/v4/contacts/custom_fields", [{"name": name, "type": type_, "code": code}]
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["_embedded"]["custom_fields"][0]["id"]


def test_a_batch_of_fifty_is_applied_and_reads_back(account: Account) -> None:
    segment = _create_field(account, "C360 segment", "C360_SEGMENT")
    batch = [
        {
            "id": i,
            "custom_fields_values": [
                {"field_id": segment, "values": [{"value": f"segment-{i % 3}"}]}
            ],
        }
        for i in range(1, 51)
    ]
    answer = account.patch("/api/v4/contacts", batch)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "application/hal+json"
    written = answer.json()["_embedded"]["contacts"]
    assert [w["id"] for w in written] == list(range(1, 51))
    assert [w["request_id"] for w in written] == [str(i) for i in range(50)]
    assert all(isinstance(w["updated_at"], int) for w in written)
    assert account.values(7, "C360_SEGMENT") == [{"value": "segment-1"}]
    assert account.values(51, "C360_SEGMENT") is None  # not in the batch
    assert account.handle.store.patch_counts("contacts") == dict.fromkeys(
        range(1, 51), 1
    )


def test_the_request_id_a_client_passes_comes_back(account: Account) -> None:
    answer = account.patch(
        "/api/v4/contacts",
        [
            {"id": 3, "name": "Three", "request_id": "golden-3"},
            {"id": 4, "name": "Four"},
        ],
    )
    assert [w["request_id"] for w in answer.json()["_embedded"]["contacts"]] == [
        "golden-3",
        "1",
    ]
    assert account.contact(3)["name"] == "Three"


def test_values_for_a_field_replace_that_fields_values_only(account: Account) -> None:
    before = account.contact(1)
    answer = account.patch(
        "/api/v4/contacts",
        [
            {
                "id": 1,
                "custom_fields_values": [
                    {
                        "field_code": "PHONE",
                        "values": [{"value": "+7 705 0000000", "enum_code": "WORK"}],
                    }
                ],
            }
        ],
    )
    assert answer.status_code == 200, answer.text
    # the one phone sent is now the only phone; the other fields are untouched
    assert [(v["value"], v["enum_code"]) for v in account.values(1, "PHONE")] == [
        ("+7 705 0000000", "WORK")
    ]
    assert (
        account.values(1, "EMAIL")
        == [
            v["values"]
            for v in before["custom_fields_values"]
            if v["field_code"] == "EMAIL"
        ][0]
    )
    assert account.contact(1)["updated_at"] >= before["updated_at"]
    cleared = account.patch(
        "/api/v4/contacts",
        [{"id": 1, "custom_fields_values": [{"field_code": "EMAIL", "values": None}]}],
    )
    assert cleared.status_code == 200
    assert account.values(1, "EMAIL") is None
    assert account.values(1, "PHONE") is not None


def test_more_entities_than_a_request_may_carry_are_refused_whole(
    start: Callable[..., AmoCrmStandin],
) -> None:
    account = Account(start(seed_from=seed_document(contacts=300)))
    too_many = [{"id": i, "name": f"n{i}"} for i in range(1, 252)]
    answer = account.patch("/api/v4/contacts", too_many)
    assert answer.status_code == 422
    assert answer.json() == {
        "title": "Unprocessable Entity",
        "type": "https://httpstatus.es/422",
        "status": 422,
        "detail": "Limit 250 per page",
    }
    assert account.handle.patches() == []
    strict = Account(start(seed_from=seed_document(contacts=60), max_batch=50))
    assert strict.patch("/api/v4/contacts", too_many[:51]).status_code == 422
    assert strict.patch("/api/v4/contacts", too_many[:50]).status_code == 200


def test_one_invalid_entity_fails_the_batch_and_nothing_is_written(
    account: Account,
) -> None:
    before = [account.contact(i) for i in (1, 2, 3)]
    batch = [
        {"id": 1, "name": "changed"},
        {
            "id": 2,
            "custom_fields_values": [
                {"field_id": 123, "values": [{"value": "x"}]},
            ],
        },
        {"id": 3, "name": "changed"},
    ]
    answer = account.patch("/api/v4/contacts", batch)
    assert answer.status_code == 400
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json() == {
        "validation-errors": [
            {
                "request_id": "1",
                "errors": [
                    {
                        "code": "NotSupportedChoice",
                        "path": "custom_fields_values.0.field_id",
                        "detail": "The value you selected is not a valid choice.",
                    }
                ],
            }
        ],
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }
    assert [account.contact(i) for i in (1, 2, 3)] == before
    assert account.handle.patches() == []


def test_every_invalid_entity_is_named_with_its_own_errors(account: Account) -> None:
    answer = account.patch(
        "/api/v4/contacts",
        [
            {"id": 999, "name": "nobody"},
            {"name": "no id"},
            {"id": 2, "custom_fields_values": [{"field_code": "PHONE", "values": "x"}]},
            {
                "id": 3,
                "custom_fields_values": [
                    {
                        "field_code": "PHONE",
                        "values": [{"value": "1", "enum_code": "?"}],
                    }
                ],
            },
        ],
    )
    assert answer.status_code == 400
    errors = {e["request_id"]: e["errors"] for e in answer.json()["validation-errors"]}
    assert errors["0"] == [
        {
            "code": "NotSupportedChoice",
            "path": "id",
            "detail": "The value you selected is not a valid choice.",
        }
    ]
    assert errors["1"][0]["code"] == "FieldMissing"
    assert errors["1"][0]["path"] == "id"
    assert errors["2"][0] == {
        "code": "InvalidType",
        "path": "custom_fields_values.0.values",
        "detail": "This value should be of type array.",
    }
    assert errors["3"][0]["path"] == "custom_fields_values.0.values.0.enum_code"


def test_typed_fields_check_their_values(account: Account) -> None:
    visits = _create_field(account, "Visits", "VISITS", "numeric")
    good = account.patch(
        "/api/v4/contacts",
        [
            {
                "id": 1,
                "custom_fields_values": [
                    {"field_id": visits, "values": [{"value": 12}]}
                ],
            }
        ],
    )
    assert good.status_code == 200
    assert account.values(1, "VISITS") == [{"value": "12"}]  # amoCRM answers strings
    bad = account.patch(
        "/api/v4/contacts",
        [
            {
                "id": 1,
                "custom_fields_values": [
                    {"field_id": visits, "values": [{"value": "many"}]}
                ],
            }
        ],
    )
    assert bad.status_code == 400
    assert bad.json()["validation-errors"][0]["errors"][0]["code"] == "InvalidType"


def test_one_record_can_be_patched_by_its_path(account: Account) -> None:
    answer = account.patch("/api/v4/companies/4", {"name": "ТОО «Новое имя»"})
    assert answer.status_code == 200
    assert answer.json()["id"] == 4
    assert account.get("/api/v4/companies/4").json()["name"] == "ТОО «Новое имя»"
    assert account.patch("/api/v4/companies/999", {"name": "x"}).status_code == 400


def test_an_empty_or_unreadable_body_is_a_bad_request(account: Account) -> None:
    expected = {
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request data can not be empty",
    }
    assert account.patch("/api/v4/contacts", []).json() == expected
    raw = account.session.patch(
        f"{account.base}/api/v4/contacts", data=b"{not json", timeout=10
    )
    assert raw.status_code == 400
    assert raw.json() == expected


def test_phone_and_email_fields_exist_from_the_start(
    start: Callable[..., AmoCrmStandin],
) -> None:
    account = Account(start())
    for entity in ("contacts", "companies"):
        body = account.get(f"/api/v4/{entity}/custom_fields").json()
        fields = {f["code"]: f for f in body["_embedded"]["custom_fields"]}
        assert fields["PHONE"]["type"] == "multitext"
        assert [e["value"] for e in fields["PHONE"]["enums"]] == [
            "WORK",
            "WORKDD",
            "MOB",
            "FAX",
            "HOME",
            "OTHER",
        ]
        assert [e["value"] for e in fields["EMAIL"]["enums"]] == [
            "WORK",
            "PRIV",
            "OTHER",
        ]
        assert fields["EMAIL"]["is_predefined"] is True
        assert fields["EMAIL"]["is_deletable"] is False
        assert fields["PHONE"]["entity_type"] == entity


def test_custom_fields_are_created_and_listed_in_pages(
    start: Callable[..., AmoCrmStandin],
) -> None:
    account = Account(start())
    answer = account.post(
        "/api/v4/companies/custom_fields",
        [
            {"name": "C360 ID", "type": "text", "code": "C360_ID", "is_api_only": True},
            {
                "name": "Tier",
                "type": "select",
                "enums": [{"value": "gold"}, {"value": "silver"}],
                "request_id": "tier",
            },
        ],
    )
    assert answer.status_code == 200, answer.text
    created = answer.json()["_embedded"]["custom_fields"]
    assert [f["request_id"] for f in created] == ["0", "tier"]
    assert created[0]["is_api_only"] is True
    assert created[0]["entity_type"] == "companies"
    assert [e["value"] for e in created[1]["enums"]] == ["gold", "silver"]
    assert len({f["id"] for f in created}) == 2
    listed = []
    page = 1
    while True:
        got = account.get("/api/v4/companies/custom_fields", {"limit": 2, "page": page})
        if got.status_code == 204:
            break
        body = got.json()
        assert body["_total_items"] == 6  # PHONE, EMAIL, WEB, ADDRESS + two
        listed += [f["id"] for f in body["_embedded"]["custom_fields"]]
        page += 1
    assert page == 4
    assert {f["id"] for f in created} <= set(listed)
    one = account.get(f"/api/v4/companies/custom_fields/{created[0]['id']}").json()
    assert one["code"] == "C360_ID"
    # the select takes one of its values, by enum id or by value
    tier = created[1]["id"]
    account.handle.store.upsert("companies", [{"id": 1, "updated_at": 1, "name": "A"}])
    written = account.patch(
        "/api/v4/companies",
        [
            {
                "id": 1,
                "custom_fields_values": [
                    {"field_id": tier, "values": [{"value": "gold"}]}
                ],
            }
        ],
    )
    assert written.status_code == 200, written.text
    values = account.get("/api/v4/companies/1").json()["custom_fields_values"][0]
    assert values["values"][0]["enum_id"] == created[1]["enums"][0]["id"]


def test_field_creation_is_validated(start: Callable[..., AmoCrmStandin]) -> None:
    account = Account(start())
    answer = account.post(
        "/api/v4/contacts/custom_fields",
        [
            {"name": "Dup", "type": "text", "code": "PHONE"},
            {"name": "Odd", "type": "hologram"},
            {"type": "text"},
        ],
    )
    assert answer.status_code == 400
    errors = {e["request_id"]: e["errors"] for e in answer.json()["validation-errors"]}
    assert errors["0"][0]["path"] == "code"
    assert errors["1"][0] == {
        "code": "NotSupportedChoice",
        "path": "type",
        "detail": "The value you selected is not a valid choice.",
    }
    assert errors["2"][0]["code"] == "FieldMissing"
    body = account.get("/api/v4/contacts/custom_fields").json()
    assert body["_total_items"] == 3  # POSITION, PHONE, EMAIL: nothing was created
