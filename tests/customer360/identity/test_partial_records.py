"""Records that carry only part of a person match on what they do carry.

Hand-made records, not generator output: a company whose CRM keeps only names,
addresses and birth dates, and a support desk that knows only phones and e-mails,
must still be resolved by the committed model without joining different people.
"""

from __future__ import annotations

from datetime import date

from identity_records import person, person_table
from identity_testkit import resolve


def _clusters(rows) -> dict[str, str]:
    clusters, _ = resolve(person_table(rows), "persons")
    return {r["record_key"]: r["cluster_id"] for r in clusters.to_pylist()}


def test_names_addresses_and_birth_dates_alone_join_one_person_and_part_namesakes():
    address = "г. Алматы, ул. Жандосова, д. 58, кв. 14"
    rows = [
        person("crm:contacts:almaty:11", "Сейткали Динара Маратовна",
               address=address, birth_date=date(1979, 11, 4)),
        # the same woman typed in Latin in another branch, no patronymic
        person("crm:contacts:astana:12", "Seitkali Dinara",
               address=address, birth_date=date(1979, 11, 4)),
        # a namesake: same name, another birth date and address
        person("crm:contacts:almaty:13", "Сейткали Динара",
               address="г. Шымкент, пр. Тауке хана, д. 3",
               birth_date=date(1992, 2, 17)),
        # someone else at the same address (family), another name and birth date
        person("crm:contacts:almaty:14", "Оспанов Бауыржан Ерланович",
               address=address, birth_date=date(1976, 6, 30)),
    ]  # fmt: skip
    cluster_of = _clusters(rows)
    assert cluster_of["crm:contacts:almaty:11"] == cluster_of["crm:contacts:astana:12"]
    assert len(set(cluster_of.values())) == 3


def test_phones_and_emails_alone_join_one_person_and_keep_strangers_apart():
    rows = [
        person("crm:contacts:almaty:21", None, phones=["+77015550123"],
               email="d.seitkali@mail.ru"),
        person("onec:contact_persons:00-21", None, phones=["+77015550123"]),
        person("crm:contacts:astana:22", None, email="d.seitkali@mail.ru"),
        # a stranger with a different phone and mailbox
        person("crm:contacts:astana:23", None, phones=["+77772001122"],
               email="ospanov.b@gmail.com"),
    ]  # fmt: skip
    cluster_of = _clusters(rows)
    same = {
        cluster_of[key]
        for key in (
            "crm:contacts:almaty:21",
            "onec:contact_persons:00-21",
            "crm:contacts:astana:22",
        )
    }
    assert len(same) == 1
    assert cluster_of["crm:contacts:astana:23"] not in same
