"""The stand-in answers the Bitrix24 REST methods the CRM pipeline and sync use."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from standin_testkit import TOKEN, Portal

from demo.standins.bitrix24.samples import seed_document, stamp, write_seed


def test_list_pages_fifty_at_a_time_with_next_and_total(portal: Portal) -> None:
    seen, start = [], 0
    while True:
        body = portal.get("crm.contact.list", {"start": start}).json()
        seen += [int(r["ID"]) for r in body["result"]]
        assert body["total"] == 120
        assert len(body["result"]) <= 50
        if "next" not in body:
            break
        start = body["next"]
    assert seen == list(range(1, 121))
    assert {"start", "finish", "duration"} <= set(body["time"])


def test_list_filters_dates_as_instants_and_scalar_fields(portal: Portal) -> None:
    # 13:00+05:00 is 08:00Z: the same instant written with another offset
    after = portal.get(
        "crm.contact.list", {"filter[>DATE_MODIFY]": "2025-03-01T08:00:00Z"}
    ).json()
    assert after["total"] == 60  # contacts 61..120 are modified after minute 60
    at_or_after = portal.get(
        "crm.contact.list", {"filter[>=DATE_MODIFY]": stamp(60)}
    ).json()
    assert at_or_after["total"] == 61
    cases = {
        "filter[<ID]": ("10", 9),
        "filter[<=ID]": ("10", 10),
        "filter[=ID]": ("7", 1),
        "filter[ID]": ("7", 1),
        "filter[!ID]": ("7", 119),
        "filter[COMPANY_ID]": ("3", 17),
        "filter[NAME]": ("Иван5", 1),
        "filter[<DATE_MODIFY]": (stamp(3), 2),
    }
    for key, (value, expected) in cases.items():
        body = portal.get("crm.contact.list", {key: value}).json()
        assert body["total"] == expected, key


def test_list_orders_and_selects_like_bitrix24(portal: Portal) -> None:
    plain = portal.get("crm.contact.list", {"order[ID]": "DESC"}).json()["result"]
    assert plain[0]["ID"] == "120"
    # without asking, Bitrix24 leaves out multi-fields and custom fields
    assert "PHONE" not in plain[0] and "UF_CRM_IIN" not in plain[0]
    assert "NAME" in plain[0]
    query = urlencode(
        [("select[]", s) for s in ("*", "UF_*", "PHONE", "EMAIL")] + [("start", 0)]
    )
    full = portal.session.get(portal.url("crm.contact.list") + "?" + query).json()
    record = full["result"][0]
    assert record["PHONE"][0]["VALUE"] == "+7 777 0000001"
    assert "EMAIL" not in record  # absent on a contact that has none
    assert record["UF_CRM_IIN"] == "900501300001"
    narrow = portal.post(
        "crm.contact.list", {"select": ["NAME"], "filter": {"ID": 2}}
    ).json()
    assert narrow["result"] == [{"ID": "2", "NAME": "Иван2"}]


def test_get_returns_the_whole_record_or_not_found(portal: Portal) -> None:
    record = portal.get("crm.deal.get", {"id": 4}).json()["result"]
    assert record["OPPORTUNITY"] == "4000.00"
    assert record["UF_CRM_1C_INVOICE"] == "АЛ-000004"
    missing = portal.get("crm.deal.get", {"id": 999})
    assert missing.status_code == 400
    assert missing.json() == {"error": "", "error_description": "Not found"}


def test_update_changes_only_the_passed_fields(portal: Portal) -> None:
    before = portal.get("crm.contact.get", {"id": 5}).json()["result"]
    answer = portal.post(
        "crm.contact.update",
        {
            "id": 5,
            "fields": {
                "NAME": "Пётр",
                "UF_CRM_C360_ID": "C360-000042",
                "PHONE": [{"VALUE": "+7 701 555 00 00", "VALUE_TYPE": "MOBILE"}],
                "EMAIL": [{"VALUE": "petr@mail.kz", "VALUE_TYPE": "WORK"}],
                "NO_SUCH_FIELD": "ignored like Bitrix24 does",
            },
        },
    )
    assert answer.status_code == 200 and answer.json()["result"] is True
    after = portal.get("crm.contact.get", {"id": 5}).json()["result"]
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {
        "NAME",
        "UF_CRM_C360_ID",
        "PHONE",
        "EMAIL",
        "HAS_EMAIL",
        "DATE_MODIFY",
    }
    assert [p["VALUE"] for p in after["PHONE"]] == [
        "+7 777 0000005",
        "+7 701 555 00 00",
    ]
    assert after["HAS_EMAIL"] == "Y"
    assert after["DATE_MODIFY"] > before["DATE_MODIFY"]
    assert "NO_SUCH_FIELD" not in after
    # the neighbours are untouched
    assert portal.get("crm.contact.get", {"id": 6}).json()["result"]["NAME"] == "Иван6"


def test_update_form_encoded_and_multi_field_edit_delete(portal: Portal) -> None:
    form = {
        "id": "1",
        "fields[PHONE][0][ID]": "1001",
        "fields[PHONE][0][DELETE]": "Y",
        "fields[UF_CRM_C360_SEGMENT]": "vip",
    }
    answer = portal.session.post(portal.url("crm.contact.update"), data=form)
    assert answer.status_code == 200, answer.text
    after = portal.get("crm.contact.get", {"id": 1}).json()["result"]
    assert "PHONE" not in after and after["HAS_PHONE"] == "N"
    assert after["UF_CRM_C360_SEGMENT"] == "vip"


def test_update_of_an_unknown_record_is_a_bitrix_error(portal: Portal) -> None:
    # each entity words it its own way (Bitrix24's REST reference)
    for method, description in (
        ("crm.company.update", "Company is not found"),
        ("crm.contact.update", "Contact is not found"),
        ("crm.deal.update", "Not found"),
    ):
        answer = portal.post(method, {"id": 4040, "fields": {"TITLE": "x"}})
        assert answer.status_code == 400
        assert answer.json() == {"error": "", "error_description": description}


def test_add_returns_a_new_id_and_a_complete_record(portal: Portal) -> None:
    answer = portal.post("crm.contact.add", {"fields": {"NAME": "Айгуль"}}).json()
    assert answer["result"] == 121
    record = portal.get("crm.contact.get", {"id": 121}).json()["result"]
    assert record["NAME"] == "Айгуль" and record["LAST_NAME"] == ""
    assert record["UF_CRM_IIN"] == "" and record["DATE_MODIFY"] == record["DATE_CREATE"]
    assert (
        portal.post("crm.deal.add", {"fields": {"TITLE": "Новая"}}).json()["result"]
        == 31
    )
    assert portal.post("crm.company.add", {"fields": {}}).json()["result"] == 11


def test_batch_runs_commands_and_reports_each(portal: Portal) -> None:
    cmd = {
        "page2": "crm.contact.list?start=50&order[ID]=ASC&select[]=ID",
        "deal": "crm.deal.get?id=3",
        "missing": "crm.deal.get?id=999",
        "bogus": "crm.nothing.list",
    }
    answer = portal.post("batch", {"halt": 0, "cmd": cmd})
    assert answer.status_code == 200
    body = answer.json()["result"]
    assert [r["ID"] for r in body["result"]["page2"]] == [
        str(i) for i in range(51, 101)
    ]
    assert body["result_total"]["page2"] == 120
    assert body["result_next"]["page2"] == 100
    assert body["result"]["deal"]["ID"] == "3"
    assert body["result_error"]["missing"]["error_description"] == "Not found"
    assert body["result_error"]["bogus"]["error"] == "ERROR_METHOD_NOT_FOUND"
    assert set(body["result_time"]) == {"page2", "deal"}
    halted = portal.post("batch", {"halt": 1, "cmd": cmd}).json()["result"]
    assert set(halted["result"]) == {"page2", "deal"}
    assert set(halted["result_error"]) == {"missing"}


def test_batch_refuses_more_than_fifty_commands(portal: Portal) -> None:
    cmd = {f"c{i}": f"crm.contact.get?id={i + 1}" for i in range(51)}
    answer = portal.post("batch", {"cmd": cmd})
    assert answer.status_code == 400
    assert answer.json() == {
        "error": "ERROR_BATCH_LENGTH_EXCEEDED",
        "error_description": "Max batch length exceeded",
    }
    del cmd["c50"]
    assert len(portal.post("batch", {"cmd": cmd}).json()["result"]["result"]) == 50


def test_wrong_token_and_unknown_method_answer_json_errors(portal: Portal) -> None:
    wrong = portal.get("crm.contact.list", token="not-" + TOKEN)
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": "INVALID_CREDENTIALS",
        "error_description": "Invalid request credentials",
    }
    unknown = portal.get("crm.lead.teleport")
    assert unknown.status_code == 404
    assert unknown.json()["error"] == "ERROR_METHOD_NOT_FOUND"
    without_suffix = portal.session.get(f"{portal.base}/rest/1/{TOKEN}/crm.deal.list")
    assert without_suffix.json()["total"] == 30


def test_list_serves_every_field_a_seed_record_carries(start, tmp_path: Path) -> None:
    """A real portal answers `*` with all its standard fields, address parts
    included: the stand-in serves whatever the seed records hold, even a field it
    does not model, and a record without them is served without them."""
    landing = tmp_path / "extra"
    document = seed_document("almaty", contacts=2, companies=1)
    document["contacts"][0].update(
        ADDRESS_2="кв. 12",
        ADDRESS_POSTAL_CODE="050000",
        ADDRESS_PROVINCE="Алматинская область",
        ADDRESS_COUNTRY="Казахстан",
        COMMENTS="постоянный клиент",
    )
    document["companies"][0].update(ADDRESS_POSTAL_CODE="100008")
    write_seed(landing, "almaty", document)
    portal = Portal(start(seed_from=landing), "almaty")

    contacts = portal.post("crm.contact.list", {"select": ["*", "UF_*"]}).json()
    first, second = contacts["result"]
    assert {
        key: first[key]
        for key in (
            "ADDRESS_2",
            "ADDRESS_POSTAL_CODE",
            "ADDRESS_PROVINCE",
            "ADDRESS_COUNTRY",
            "COMMENTS",
        )
    } == {
        "ADDRESS_2": "кв. 12",
        "ADDRESS_POSTAL_CODE": "050000",
        "ADDRESS_PROVINCE": "Алматинская область",
        "ADDRESS_COUNTRY": "Казахстан",
        "COMMENTS": "постоянный клиент",
    }
    assert "ADDRESS_POSTAL_CODE" not in second and "COMMENTS" not in second
    company = portal.post("crm.company.list", {"select": ["*"]}).json()["result"][0]
    assert company["ADDRESS_POSTAL_CODE"] == "100008"

    # a record the portal makes itself carries every address part, empty, as on
    # Bitrix24, and takes a value for one
    added = portal.post(
        "crm.contact.add",
        {"fields": {"NAME": "Айгерим", "ADDRESS_POSTAL_CODE": "010000"}},
    ).json()["result"]
    record = portal.get("crm.contact.get", {"id": added}).json()["result"]
    assert record["ADDRESS_POSTAL_CODE"] == "010000"
    assert record["ADDRESS_2"] == "" and record["ADDRESS_COUNTRY_CODE"] == ""
