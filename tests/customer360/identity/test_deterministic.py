"""The must-link rules link what is certain and nothing that is merely shared."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
from identity_records import person, person_table
from identity_testkit import deterministic_pairs

VALID_IIN = "900515300018"  # its check digit is right
INVALID_IIN = "900515300012"  # one digit mistyped


def linked(rows) -> set[tuple[str, str, str]]:
    pairs = deterministic_pairs(person_table(rows), "persons").to_pylist()
    return {(p["record_key_l"], p["record_key_r"], p["rule"]) for p in pairs}


def test_the_same_valid_iin_links_differently_spelled_records():
    rows = [
        person("crm:contacts:almaty:1", "Петров Иван", iin=VALID_IIN,
               iin_is_valid=True),
        person("onec:contact_persons:00-1", "Petrov Ivan Sergeevich",
               iin=VALID_IIN, iin_is_valid=True, birth_date=date(1990, 5, 15)),
    ]  # fmt: skip
    assert linked(rows) == {
        ("crm:contacts:almaty:1", "onec:contact_persons:00-1", "same_valid_iin")
    }


def test_an_invalid_iin_never_links():
    rows = [
        person("crm:contacts:almaty:1", "Петров Иван", iin=INVALID_IIN,
               iin_is_valid=False),
        person("crm:contacts:astana:1", "Сидорова Анна", iin=INVALID_IIN,
               iin_is_valid=False),
    ]  # fmt: skip
    assert linked(rows) == set()


def test_a_generic_mailbox_does_not_link_colleagues():
    rows = [
        person("crm:contacts:almaty:1", "Петров Иван", email="info@romashka.kz"),
        person("crm:contacts:almaty:2", "Сидорова Анна", email="info@romashka.kz"),
    ]
    assert linked(rows) == set()


def test_a_personal_email_links():
    rows = [
        person("crm:contacts:almaty:1", "Петров Иван", email="i.petrov@mail.ru"),
        person("support:tickets:1", "Ivan Petrov", email="i.petrov@mail.ru"),
        person("onec:contact_persons:00-1", "Petrov Ivan", email="i.petrov@mail.ru"),
    ]
    # tickets are events, attached after clustering: they never enter the rules
    assert linked(rows) == {
        ("crm:contacts:almaty:1", "onec:contact_persons:00-1", "same_personal_email")
    }


def test_a_shared_phone_does_not_link_but_a_personal_one_does():
    switchboard, mobile = "+77272940037", "+77051234567"
    rows = [
        person("crm:contacts:almaty:1", "Петров Иван", phones=[switchboard, mobile]),
        person("onec:contact_persons:00-1", "Petrov Ivan", phones=[mobile]),
        person("crm:contacts:almaty:2", "Сидорова Анна", phones=[switchboard]),
        person("crm:contacts:almaty:3", "Ахметов Ерлан", phones=[switchboard]),
    ]
    assert linked(rows) == {
        ("crm:contacts:almaty:1", "onec:contact_persons:00-1", "same_personal_phone")
    }


ROMASHKA_CRM = "crm:companies:almaty:7"
ROMASHKA_1C = "onec:counterparties:00-7"
# both records of the company resolved into one organisation
ROMASHKA = pa.table(
    {"record_key": [ROMASHKA_CRM, ROMASHKA_1C], "cluster_id": [ROMASHKA_CRM] * 2}
)


def test_the_same_full_name_at_the_same_organisation_links_across_sources():
    rows = [
        person("crm:contacts:almaty:1", "Петров Иван Сергеевич",
               organisation_record_key=ROMASHKA_CRM, phones=["+77051234567"]),
        person("onec:contact_persons:00-1", "Petrov Ivan",
               organisation_record_key=ROMASHKA_1C, phones=["+77019876543"]),
    ]  # fmt: skip
    pairs = deterministic_pairs(person_table(rows), "persons", ROMASHKA).to_pylist()
    assert [(p["record_key_l"], p["record_key_r"], p["rule"]) for p in pairs] == [
        (
            "crm:contacts:almaty:1",
            "onec:contact_persons:00-1",
            "same_name_same_organisation",
        )
    ]
    # without the resolved organisations the two companies are different records
    assert linked(rows) == set()


def test_namesakes_at_one_organisation_stay_apart_when_anything_disagrees():
    at_romashka = {"organisation_record_key": ROMASHKA_CRM}
    rows = [
        # another patronymic
        person("crm:contacts:almaty:1", "Петров Иван Сергеевич", **at_romashka),
        person("crm:contacts:almaty:2", "Петров Иван Андреевич", **at_romashka),
        # another birth date
        person("crm:contacts:almaty:3", "Ким Виктор", **at_romashka,
               birth_date=date(1980, 1, 2)),
        person("crm:contacts:almaty:4", "Ким Виктор", **at_romashka,
               birth_date=date(1991, 7, 9)),
        # a first name alone says too little
        person("crm:contacts:almaty:5", "Айгерим", **at_romashka),
        person("crm:contacts:almaty:6", "Айгерим", **at_romashka),
        # the same name at another company
        person("crm:contacts:almaty:7", "Сидорова Анна", **at_romashka),
        person("crm:contacts:astana:8", "Сидорова Анна",
               organisation_record_key="crm:companies:astana:9"),
    ]  # fmt: skip
    assert linked(rows) == set()
