"""The stand-in answers amoCRM's reads: HAL pages, 204 past the end, one record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from amocrm_testkit import Account

from demo.standins.amocrm import AmoCrmStandin
from demo.standins.amocrm.samples import seed_document
from demo.standins.bitrix24 import samples as bitrix_samples


def test_list_pages_by_limit_then_answers_204_with_no_body(account: Account) -> None:
    seen, url, pages = [], f"{account.base}/api/v4/contacts?limit=50", 0
    while url:
        answer = account.session.get(url, timeout=10)
        assert answer.status_code == 200
        assert answer.headers["Content-Type"] == "application/hal+json"
        body = answer.json()
        pages += 1
        assert body["_page"] == pages
        seen += [c["id"] for c in body["_embedded"]["contacts"]]
        url = body["_links"].get("next", {}).get("href")
    assert seen == list(range(1, 121))
    assert pages == 3  # 50 + 50 + 20: the short last page links nowhere
    past_the_end = account.get("/api/v4/contacts", {"page": 4, "limit": 50})
    assert past_the_end.status_code == 204
    assert past_the_end.content == b""


def test_a_full_last_page_links_to_a_204(start: Callable[..., AmoCrmStandin]) -> None:
    account = Account(start(seed_from=seed_document(contacts=100)))
    second = account.get("/api/v4/contacts", {"page": 2, "limit": 50}).json()
    assert len(second["_embedded"]["contacts"]) == 50
    following = account.session.get(second["_links"]["next"]["href"], timeout=10)
    assert following.status_code == 204


def test_default_page_is_fifty_and_limit_stops_at_250(account: Account) -> None:
    plain = account.get("/api/v4/contacts").json()
    assert len(plain["_embedded"]["contacts"]) == 50
    assert "page=2" in plain["_links"]["next"]["href"]
    wide = account.get("/api/v4/contacts", {"limit": 1000}).json()
    assert len(wide["_embedded"]["contacts"]) == 120  # all there is, up to 250
    assert "next" not in wide["_links"]


def test_filter_by_ids_and_order(account: Account) -> None:
    query = "filter[id][]=7&filter[id][]=3&filter[id][]=999"
    body = account.session.get(f"{account.base}/api/v4/contacts?{query}").json()
    assert [c["id"] for c in body["_embedded"]["contacts"]] == [3, 7]
    newest = account.get("/api/v4/contacts", {"order[updated_at]": "desc", "limit": 2})
    assert [c["id"] for c in newest.json()["_embedded"]["contacts"]] == [120, 119]


def test_a_record_has_amocrm_fields_and_named_custom_fields(account: Account) -> None:
    contact = account.contact(5)
    assert contact["id"] == 5
    assert contact["name"] == "Иван5 Петров5"
    assert (contact["first_name"], contact["last_name"]) == ("Иван5", "Петров5")
    assert isinstance(contact["updated_at"], int)
    assert contact["_links"]["self"]["href"].endswith("/api/v4/contacts/5")
    by_code = {f["field_code"]: f for f in contact["custom_fields_values"]}
    phone = by_code["PHONE"]
    assert phone["field_type"] == "multitext"
    assert phone["field_name"] == "Телефон"
    assert phone["values"] == [
        {
            "value": "+7 777 0000005",
            "enum_id": phone["values"][0]["enum_id"],
            "enum_code": "MOB",
        }
    ]
    assert by_code["EMAIL"]["values"][0]["enum_code"] == "WORK"  # the default
    assert by_code["IIN"]["values"] == [{"value": "900501300005"}]
    company = account.get("/api/v4/companies/3").json()
    assert company["name"] == "ТОО «Ромашка-3»"
    assert "first_name" not in company


def test_a_missing_record_is_204(account: Account) -> None:
    assert account.get("/api/v4/contacts/999").status_code == 204
    assert account.get("/api/v4/companies/999").status_code == 204


def test_an_account_without_custom_values_answers_null(
    start: Callable[..., AmoCrmStandin],
) -> None:
    account = Account(
        start(seed_from={"contacts": [{"id": 1, "first_name": "Айгерим"}]})
    )
    contact = account.contact(1)
    assert contact["custom_fields_values"] is None
    assert contact["name"] == "Айгерим"


def test_an_empty_account_answers_204(start: Callable[..., AmoCrmStandin]) -> None:
    account = Account(start())
    assert account.get("/api/v4/contacts").status_code == 204
    assert account.get("/api/v4/companies").status_code == 204


def test_the_demo_generators_bitrix24_records_seed_an_amocrm_account(
    start: Callable[..., AmoCrmStandin], tmp_path: Path
) -> None:
    document = bitrix_samples.seed_document("almaty", contacts=3, companies=2)
    document["contacts"][0]["PHONE"].append(
        {
            "ID": "77",
            "VALUE_TYPE": "MOBILE",
            "VALUE": "+7 701 1112233",
            "TYPE_ID": "PHONE",
        }
    )
    document["contacts"][0]["EMAIL"] = [
        {"ID": "78", "VALUE_TYPE": "HOME", "VALUE": "ivan@mail.kz", "TYPE_ID": "EMAIL"}
    ]
    bitrix_samples.write_seed(tmp_path / "landing", "almaty", document)
    account = Account(start(seed_from=tmp_path / "landing", seed_branch="almaty"))
    contact = account.contact(1)
    assert (contact["first_name"], contact["last_name"]) == ("Иван1", "Петров1")
    assert contact["name"] == "Иван1 Петров1"
    assert contact["_embedded"]["companies"][0]["id"] == 2
    assert [(v["value"], v["enum_code"]) for v in account.values(1, "PHONE")] == [
        ("+7 777 0000001", "WORK"),
        ("+7 701 1112233", "MOB"),
    ]
    assert account.values(1, "EMAIL")[0]["enum_code"] == "PRIV"
    assert account.values(1, "IIN") == [{"value": "900501300001"}]
    # the fields the sync will write start absent: empty UF_CRM_* make no field
    assert account.values(1, "C360_ID") is None
    company = account.get("/api/v4/companies/1").json()
    assert company["name"] == "ТОО «Ромашка-1»"
    codes = {f["field_code"] for f in company["custom_fields_values"]}
    assert codes == {"EMAIL", "ADDRESS", "BIN"}


def test_unknown_paths_and_methods_answer_problem_json(account: Account) -> None:
    missing = account.get("/api/v4/leads/unknown/thing")
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "application/problem+json"
    assert missing.json()["title"] == "Not Found"
    wrong = account.session.delete(f"{account.base}/api/v4/contacts", timeout=10)
    assert wrong.status_code == 405
    assert wrong.json()["type"] == "https://httpstatus.es/405"
