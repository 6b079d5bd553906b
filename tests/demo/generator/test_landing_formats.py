"""The generated files follow docs/landing_formats.md byte for byte."""

from __future__ import annotations

import json
import re

import pytest

from demo.generator.onec import COLUMNS as ONEC_COLUMNS
from tests.demo.generator.conftest import DataSet

CRM_FIELDS = {
    "contacts": [
        "ID",
        "NAME",
        "SECOND_NAME",
        "LAST_NAME",
        "BIRTHDATE",
        "TYPE_ID",
        "SOURCE_ID",
        "POST",
        "ADDRESS",
        "ADDRESS_CITY",
        "ADDRESS_POSTAL_CODE",
        "COMPANY_ID",
        "ASSIGNED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "HAS_PHONE",
        "HAS_EMAIL",
        "UF_CRM_IIN",
        "UF_CRM_C360_ID",
        "UF_CRM_C360_SEGMENT",
    ],
    "companies": [
        "ID",
        "TITLE",
        "COMPANY_TYPE",
        "INDUSTRY",
        "ADDRESS",
        "ADDRESS_CITY",
        "ADDRESS_POSTAL_CODE",
        "ASSIGNED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "HAS_PHONE",
        "HAS_EMAIL",
        "UF_CRM_BIN",
        "UF_CRM_C360_ID",
        "UF_CRM_C360_SEGMENT",
    ],
    "deals": [
        "ID",
        "TITLE",
        "STAGE_ID",
        "CATEGORY_ID",
        "OPPORTUNITY",
        "CURRENCY_ID",
        "CLOSED",
        "CLOSEDATE",
        "BEGINDATE",
        "CONTACT_ID",
        "COMPANY_ID",
        "ASSIGNED_BY_ID",
        "DATE_CREATE",
        "DATE_MODIFY",
        "UF_CRM_1C_INVOICE",
    ],
}
# the headers exactly as the contract lists them, written out rather than imported
ONEC_HEADERS = {
    "counterparties": "Код;Наименование;НаименованиеПолное;ВидКонтрагента;БИН_ИИН;"
    "Телефон;ЭлектроннаяПочта;Адрес;Город;ДатаСоздания;ДатаИзменения;ПометкаУдаления;"
    "Индекс;ДатаРождения",
    "contact_persons": "Код;КодКонтрагента;ФИО;Должность;Телефон;ЭлектроннаяПочта;"
    "ДатаРождения;ДатаИзменения",
    "invoices": "Номер;Дата;КодКонтрагента;Филиал;Сумма;СуммаНДС;Валюта;Комментарий;"
    "ДатаИзменения",
    "payments": "Номер;Дата;КодКонтрагента;НомерСчета;Сумма;Валюта;ФормаОплаты;"
    "ДатаИзменения",
    "shipments": "Номер;Дата;КодКонтрагента;НомерСчета;Сумма;Валюта;Склад;"
    "ДатаИзменения",
    "returns": "Номер;Дата;КодКонтрагента;НомерРеализации;Сумма;Валюта;Причина;"
    "ДатаИзменения",
    "discounts": "Номер;Дата;КодКонтрагента;НомерСчета;Сумма;ВидСкидки;ДатаИзменения",
}
FULL_ADDRESS_FIELDS = ["ADDRESS_2", "ADDRESS_PROVINCE", "ADDRESS_COUNTRY"]
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:00$")
RU_DATE = re.compile(r"^(0[1-9]|[12]\d|3[01])\.(0[1-9]|1[0-2])\.20\d\d$")
RU_DATETIME = re.compile(r"^\d\d\.\d\d\.\d{4} ([01]\d|2[0-3]):[0-5]\d:[0-5]\d$")
AMOUNT = re.compile(r"^\d{1,3}(?:[ \u00a0]?\d{3})*,\d\d$")


@pytest.mark.parametrize("branch", ["almaty", "astana", "shymkent"])
def test_every_crm_record_has_every_contract_field_as_strings(
    base: DataSet, branch: str
) -> None:
    seed = base.crm(branch)
    assert seed["portal"] == branch
    for entity, fields in CRM_FIELDS.items():
        assert seed[entity], f"no {entity} in {branch}"
        # the astana portal sends every address part, the others only the postcode
        if branch == "astana" and entity != "deals":
            fields = [*fields, *FULL_ADDRESS_FIELDS]
        for record in seed[entity]:
            missing = [name for name in fields if name not in record]
            assert not missing, (
                f"{branch} {entity} {record.get('ID')}: missing {missing}"
            )
            extra = set(record) - set(fields) - {"PHONE", "EMAIL"}
            assert not extra, f"{branch} {entity}: unexpected {extra}"
            for name in fields:
                assert isinstance(record[name], str), (entity, name, record[name])
            assert ISO_WITH_OFFSET.match(record["DATE_CREATE"])
            assert record["DATE_MODIFY"] >= record["DATE_CREATE"]
            for multi in ("PHONE", "EMAIL"):
                if multi in record:
                    assert record[multi], "an empty list must be omitted, not written"
                    for item in record[multi]:
                        assert set(item) == {"ID", "VALUE_TYPE", "VALUE", "TYPE_ID"}
                        assert item["TYPE_ID"] == multi
            if entity != "deals":
                assert (
                    record["UF_CRM_C360_ID"] == ""
                    and record["UF_CRM_C360_SEGMENT"] == ""
                )
                assert record["HAS_PHONE"] == ("Y" if "PHONE" in record else "N")
        ids = [int(record["ID"]) for record in seed[entity]]
        assert ids == sorted(set(ids))


def test_crm_deals_carry_stage_amount_currency_and_some_invoice_links(
    base: DataSet,
) -> None:
    deals = [
        deal
        for branch in ("almaty", "astana", "shymkent")
        for deal in base.crm(branch)["deals"]
    ]
    stages = {deal["STAGE_ID"] for deal in deals}
    assert stages <= {
        "NEW",
        "PREPARATION",
        "PREPAYMENT_INVOICE",
        "EXECUTING",
        "FINAL_INVOICE",
        "WON",
        "LOSE",
        "APOLOGY",
    }
    assert {"WON", "LOSE", "NEW"} <= stages
    assert all(re.fullmatch(r"\d+\.\d\d", deal["OPPORTUNITY"]) for deal in deals)
    currencies = [deal["CURRENCY_ID"] for deal in deals]
    assert currencies.count("KZT") > 0.85 * len(deals) and {"USD", "RUB"} & set(
        currencies
    )
    invoice_numbers = {row["Номер"] for row in base.onec("invoices")}
    linked = [deal["UF_CRM_1C_INVOICE"] for deal in deals if deal["UF_CRM_1C_INVOICE"]]
    assert linked and set(linked) <= invoice_numbers


@pytest.mark.parametrize("table", list(ONEC_HEADERS))
def test_onec_files_are_windows_1251_with_exact_headers_and_crlf(
    base: DataSet, table: str
) -> None:
    raw = (base.landing / "onec" / f"{table}.csv").read_bytes()
    text = raw.decode("cp1251")  # raises if not windows-1251
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # Cyrillic in windows-1251 is not valid UTF-8
    assert text.split("\r\n", 1)[0] == ONEC_HEADERS[table]
    assert ";".join(ONEC_COLUMNS[table]) == ONEC_HEADERS[table]
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")


def test_onec_amounts_use_a_decimal_comma_and_dates_are_dd_mm_yyyy(
    base: DataSet,
) -> None:
    for table in ("invoices", "payments", "shipments", "returns", "discounts"):
        rows = base.onec(table)
        assert rows, table
        for row in rows:
            assert AMOUNT.match(row["Сумма"]), (table, row["Сумма"])
            assert RU_DATE.match(row["Дата"]), (table, row["Дата"])
            assert RU_DATETIME.match(row["ДатаИзменения"]), (
                table,
                row["ДатаИзменения"],
            )
    for row in base.onec("counterparties"):
        assert RU_DATE.match(row["ДатаСоздания"]) and RU_DATETIME.match(
            row["ДатаИзменения"]
        )
        assert row["ВидКонтрагента"] in {
            "Юридическое лицо",
            "Индивидуальный предприниматель",
            "Физическое лицо",
        }
        assert row["ПометкаУдаления"] in {"Да", "Нет"}
        assert row["БИН_ИИН"] == "" or re.fullmatch(r"\d{12}", row["БИН_ИИН"])
    kinds = {row["ВидКонтрагента"] for row in base.onec("counterparties")}
    assert len(kinds) == 3


def test_cdr_files_have_the_asterisk_header_and_unique_ids(base: DataSet) -> None:
    files = sorted((base.landing / "telephony").glob("cdr-*.csv"))
    assert len(files) >= 24
    for path in files:
        header = path.read_text("utf-8").split("\n", 1)[0]
        assert header == (
            "calldate,clid,src,dst,dcontext,channel,dstchannel,lastapp,lastdata,"
            "duration,billsec,disposition,amaflags,accountcode,uniqueid,userfield"
        )
    calls = base.calls()
    assert len({call["uniqueid"] for call in calls}) == len(calls)
    assert {call["disposition"] for call in calls} == {
        "ANSWERED",
        "NO ANSWER",
        "BUSY",
        "FAILED",
    }
    customer_numbers = [
        call["src"] if call["dcontext"] == "from-trunk" else call["dst"]
        for call in calls
    ]
    forms = {
        "+7 777 123 45 67": r"\+7 \d{3} \d{3} \d\d \d\d",
        "8 (777) 123-45-67": r"8 \(\d{3}\) \d{3}-\d\d-\d\d",
        "87771234567": r"8\d{10}",
        "7771234567": r"\d{10}",
    }
    for form, pattern in forms.items():
        assert any(re.fullmatch(pattern, number) for number in customer_numbers), form
    assert any(n.lstrip("+78 (").startswith("9") for n in customer_numbers)  # Russian
    inbound = [call for call in calls if call["dcontext"] == "from-trunk"]
    assert 0.4 < len(inbound) / len(calls) < 0.8
    for path in files:
        lines = path.read_text("utf-8").splitlines()[1:]
        assert lines == sorted(lines), f"{path.name} is not in calldate order"


def test_ticket_exports_repeat_some_tickets_with_a_newer_updated_at(
    base: DataSet,
) -> None:
    files = sorted((base.landing / "support").glob("tickets-*.jsonl"))
    assert len(files) >= 8
    seen: dict[int, str] = {}
    repeated = 0
    for path in files:
        for line in path.read_text("utf-8").splitlines():
            ticket = json.loads(line)
            assert ticket["status"] in {"new", "open", "pending", "solved", "closed"}
            assert ticket["priority"] in {"low", "normal", "high", "urgent"}
            assert ticket["channel"] in {"email", "phone", "web"}
            assert ticket["satisfaction_score"] in {None, 1, 2, 3, 4, 5}
            assert set(ticket["requester"]) == {"name", "email", "phone"}
            assert re.search("[а-яА-Я]", ticket["subject"])
            assert ticket["updated_at"] >= ticket["created_at"]
            if ticket["id"] in seen:
                repeated += 1
                assert ticket["updated_at"] > seen[ticket["id"]]
            seen[ticket["id"]] = ticket["updated_at"]
    assert repeated > 0.05 * len(seen)


def _iin_birth_date(iin: str) -> str:
    """dd.mm.yyyy from an IIN's YYMMDD and its 7th digit (3-4: 1900s, 5-6: 2000s)."""
    century = {"3": "19", "4": "19", "5": "20", "6": "20"}[iin[6]]
    return f"{iin[4:6]}.{iin[2:4]}.{century}{iin[:2]}"


def test_postcodes_and_1c_birth_dates_are_the_customers_own(base: DataSet) -> None:
    truth = {row["entity_id"]: row for row in base.entities()}
    owner = {
        (row["source_system"], row["source_table"], row["source_record_id"]): row[
            "entity_id"
        ]
        for row in base.source_records()
    }
    postcodes: dict[str, set[str]] = {}
    counterparties = base.onec("counterparties")
    private = filled_birth_dates = 0
    for row in counterparties:
        entity = truth[owner["onec", "counterparties", row["Код"]]]
        if row["Индекс"]:
            postcodes.setdefault(entity["entity_id"], set()).add(row["Индекс"])
        if entity["entity_type"] == "person":
            private += 1
            if row["ДатаРождения"]:
                filled_birth_dates += 1
                assert row["ДатаРождения"] == _iin_birth_date(entity["true_iin_bin"])
        else:
            assert row["ДатаРождения"] == "", row["Код"]
    assert 0.7 < filled_birth_dates / private < 0.9
    assert sum(bool(r["Индекс"]) for r in counterparties) / len(counterparties) > 0.75
    crm_filled = 0
    for branch in ("almaty", "astana", "shymkent"):
        for entity_name in ("contacts", "companies"):
            for record in base.crm(branch)[entity_name]:
                if code := record["ADDRESS_POSTAL_CODE"]:
                    crm_filled += 1
                    assert record["ADDRESS"], "a postcode without an address"
                    key = ("crm", entity_name, f"{branch}:{record['ID']}")
                    postcodes.setdefault(owner[key], set()).add(code)
    assert crm_filled > 0
    # one customer, one true postcode, whichever system has it
    assert all(re.fullmatch(r"\d{6}", c) for codes in postcodes.values() for c in codes)
    shared = [codes for codes in postcodes.values() if len(codes) > 1]
    assert not shared, shared[:3]
    astana = base.crm("astana")["companies"] + base.crm("astana")["contacts"]
    assert {r["ADDRESS_COUNTRY"] for r in astana} == {"", "Казахстан"}
    assert any(r["ADDRESS_PROVINCE"].endswith(" область") for r in astana)
    assert any(r["ADDRESS_2"] for r in astana)
