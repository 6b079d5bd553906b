"""1C exports: counterparties, contact persons and documents as windows-1251 CSV."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from demo.generator import mess, names, spelling
from demo.generator.clock import day_of, ru_date, ru_datetime
from demo.generator.crm import postcode
from demo.generator.draws import between, inclusive, pick
from demo.generator.ground_truth import GroundTruthWriter
from demo.generator.phones import typed
from demo.generator.report import Tally
from demo.generator.world import LEGAL_FORM_FULL, Customer, Deal

COLUMNS = {
    "counterparties": [
        "Код",
        "Наименование",
        "НаименованиеПолное",
        "ВидКонтрагента",
        "БИН_ИИН",
        "Телефон",
        "ЭлектроннаяПочта",
        "Адрес",
        "Город",
        "ДатаСоздания",
        "ДатаИзменения",
        "ПометкаУдаления",
        # a newer 1C configuration's columns, after the older ones
        "Индекс",
        "ДатаРождения",
    ],
    "contact_persons": [
        "Код",
        "КодКонтрагента",
        "ФИО",
        "Должность",
        "Телефон",
        "ЭлектроннаяПочта",
        "ДатаРождения",
        "ДатаИзменения",
    ],
    "invoices": [
        "Номер",
        "Дата",
        "КодКонтрагента",
        "Филиал",
        "Сумма",
        "СуммаНДС",
        "Валюта",
        "Комментарий",
        "ДатаИзменения",
    ],
    "payments": [
        "Номер",
        "Дата",
        "КодКонтрагента",
        "НомерСчета",
        "Сумма",
        "Валюта",
        "ФормаОплаты",
        "ДатаИзменения",
    ],
    "shipments": [
        "Номер",
        "Дата",
        "КодКонтрагента",
        "НомерСчета",
        "Сумма",
        "Валюта",
        "Склад",
        "ДатаИзменения",
    ],
    "returns": [
        "Номер",
        "Дата",
        "КодКонтрагента",
        "НомерРеализации",
        "Сумма",
        "Валюта",
        "Причина",
        "ДатаИзменения",
    ],
    "discounts": [
        "Номер",
        "Дата",
        "КодКонтрагента",
        "НомерСчета",
        "Сумма",
        "ВидСкидки",
        "ДатаИзменения",
    ],
}
KIND = {
    "ТОО": "Юридическое лицо",
    "АО": "Юридическое лицо",
    "ИП": "Индивидуальный предприниматель",
    None: "Физическое лицо",
}
BRANCH_CITY = {"almaty": "Алматы", "astana": "Астана", "shymkent": "Шымкент"}
BRANCH_PREFIX = {"almaty": "АЛ", "astana": "АС", "shymkent": "ШМ"}
PAYMENT_METHODS = ("Безналичная", "Безналичная", "Безналичная", "Наличная", "Карта")
RETURN_REASONS = (
    "Брак",
    "Пересорт",
    "Не соответствует заказу",
    "Отказ покупателя",
    "Повреждение при доставке",
)
DISCOUNT_KINDS = (
    "Скидка постоянному клиенту",
    "Сезонная скидка",
    "Скидка за объём",
    "Промокод",
)
POSTCODE_FILLED_RATE = 0.85  # of counterparties: Индекс filled
BIRTH_DATE_FILLED_RATE = 0.80  # of private persons: ДатаРождения filled
# Kazakhstan's VAT: 12% until the 2026 tax code raised it to 16%
_VAT_2026_DAY = day_of(__import__("datetime").date(2026, 1, 1))


@dataclass
class OnecFootprint:
    """The customer's counterparty codes (the first is the main one)."""

    codes: list[str] = field(default_factory=list)


class OnecWriter:
    corruption = None  # a corruption.Corruptor when a harsher profile is chosen

    def __init__(
        self, landing_dir: Path, truth: GroundTruthWriter, tally: Tally
    ) -> None:
        folder = landing_dir / "onec"
        folder.mkdir(parents=True, exist_ok=True)
        self.truth = truth
        self.tally = tally
        self.rows = dict.fromkeys(COLUMNS, 0)
        self._files = {}
        self._writers = {}
        for table, columns in COLUMNS.items():
            # 1C writes windows-1251; Kazakh letters it cannot hold are flattened first
            handle = (folder / f"{table}.csv").open("w", encoding="cp1251", newline="")
            self._files[table] = handle
            self._writers[table] = csv.writer(
                handle, delimiter=";", lineterminator="\r\n"
            )
            self._writers[table].writerow(columns)
        self._next_code = 1
        self._next_contact_code = 1
        self._next_number: dict[tuple[str, str], int] = {}

    def _write(self, table: str, row: list[str]) -> None:
        if self.corruption is not None:
            self.corruption.onec_row(table, row)
        self._writers[table].writerow(row)
        self.rows[table] += 1

    def _number(self, table: str, branch: str) -> str:
        key = (table, branch)
        value = self._next_number.get(key, 1)
        self._next_number[key] = value + 1
        return f"{BRANCH_PREFIX[branch]}-{value:06d}"

    # --- catalogues ---------------------------------------------------------------
    def add_customer(
        self,
        rng: random.Random,
        customer: Customer,
        last_day: int = -1,
        changes: list[tuple[int, random.Random]] = (),  # type: ignore[assignment]
    ) -> OnecFootprint:
        """The counterparty (now and then twice), its people, its deals' documents."""
        footprint = OnecFootprint()
        if not customer.in_onec:
            return footprint
        copies = 1
        duplicate = rng.random() < mess.ONEC_DUPLICATE_RATE
        self.tally.count("onec_duplicate_counterparty", duplicate)
        if duplicate:
            copies = 2
        entity_type = "organisation" if customer.is_organisation else "person"
        for copy in range(copies):
            code = f"00-{self._next_code:06d}"
            self._next_code += 1
            footprint.codes.append(code)
            row = self._counterparty(rng, customer, code, copy > 0, last_day)
            if self.corruption is not None:
                self.corruption.counterparty(row)
            if copy == 0:
                for day, change_rng in changes:
                    _change_counterparty(change_rng, day, row)
            self._write("counterparties", row)
            self.truth.record(
                "onec", "counterparties", code, entity_type, customer.entity_id
            )
        if customer.organisation is not None:
            for person in customer.organisation.contacts:
                self._contact_person(
                    rng, customer, person, footprint.codes[0], last_day
                )
        for deal in customer.deals:
            self.add_documents(rng, customer, deal, footprint, last_day)
        return footprint

    def _counterparty(
        self,
        rng: random.Random,
        customer: Customer,
        code: str,
        duplicate: bool,
        last_day: int,
    ) -> list[str]:
        organisation = customer.organisation
        if organisation is not None:
            name = spelling.organisation_title(rng, organisation, self.tally)
            if organisation.form == "ИП":
                full = f"{LEGAL_FORM_FULL['ИП']} {organisation.stem}"
            else:
                full = f"{LEGAL_FORM_FULL[organisation.form]} «{organisation.stem}»"
            numbers = [organisation.switchboard]
            if organisation.contacts and rng.random() < 0.4:
                numbers.append(organisation.contacts[0].phone)
            email = organisation.mailboxes["buh" if rng.random() < 0.5 else "info"]
            kind = KIND[organisation.form]
            true_number = organisation.bin
        else:
            person = customer.person
            assert person is not None
            first, patronymic, last = spelling.person_name(
                rng, person, self.tally, "onec"
            )
            name = f"{last} {first} {patronymic}".rstrip()
            full = name
            numbers = [person.family_phone or person.phone_on(customer.created_day)]
            if person.stale_phone and rng.random() < 0.3:
                numbers.append(person.phone)
            email = person.email
            kind = KIND[None]
            true_number = person.iin
        if rng.random() < mess.MISSING_PHONE_RATE:
            numbers = []
        if not email or rng.random() < mess.MISSING_EMAIL_RATE:
            email = ""
        created = min(max(customer.created_day, -mess.HISTORY_DAYS - 400), last_day)
        if duplicate:
            created = min(created + between(rng, 1, 300), last_day)
        modified = min(created + between(rng, 0, 300), last_day)
        return [
            code,
            names.flatten_kazakh(name),
            names.flatten_kazakh(full),
            kind,
            spelling.iin_bin(
                rng,
                true_number,
                # whoever created the duplicate rarely had the number to hand
                0.5 if duplicate else mess.MISSING_ONEC_IIN_BIN_RATE,
                self.tally,
                "onec_duplicate" if duplicate else "onec",
            ),
            ", ".join(typed(rng, number) for number in numbers),
            email,
            names.flatten_kazakh(
                f"{customer.street}, д. {customer.house}"
                + (f", кв. {customer.flat}" if organisation is None else "")
            ),
            customer.city,
            ru_date(created),
            ru_datetime(modified, between(rng, 8 * 3600, 20 * 3600)),
            "Да" if rng.random() < mess.DELETION_MARK_RATE else "Нет",
            *_postcode_and_birth_date(customer, code),
        ]

    def _contact_person(
        self,
        rng: random.Random,
        customer: Customer,
        person,
        counterparty_code: str,
        last_day: int,
    ) -> None:
        code = f"00-{self._next_contact_code:06d}"
        self._next_contact_code += 1
        first, patronymic, last = spelling.person_name(rng, person, self.tally, "onec")
        numbers = []
        if rng.random() >= mess.MISSING_PHONE_RATE:
            numbers.append(person.phone_on(customer.created_day))
            if person.uses_switchboard and customer.organisation is not None:
                numbers.append(customer.organisation.switchboard)
        email = person.shared_mailbox or person.email
        if rng.random() < mess.MISSING_EMAIL_RATE:
            email = ""
        modified = min(
            max(customer.created_day, -mess.HISTORY_DAYS) + between(rng, 0, 400),
            last_day,
        )
        self._write(
            "contact_persons",
            [
                code,
                counterparty_code,
                names.flatten_kazakh(f"{last} {first} {patronymic}".rstrip()),
                person.position,
                ", ".join(typed(rng, number) for number in numbers),
                email,
                "" if rng.random() < 0.5 else ru_date(day_of(person.birth)),
                ru_datetime(modified, between(rng, 8 * 3600, 20 * 3600)),
            ],
        )
        self.truth.record("onec", "contact_persons", code, "person", person.entity_id)

    # --- documents -------------------------------------------------------------
    def add_documents(
        self,
        rng: random.Random,
        customer: Customer,
        deal: Deal,
        footprint: OnecFootprint,
        last_day: int,
    ) -> None:
        """An invoiced deal's invoice, payments, shipment, maybe return and discount."""
        if deal.stage not in mess.INVOICED_STAGES or not footprint.codes:
            return
        invoice_day = (
            deal.close_day
            if deal.stage == "WON"
            else deal.begin_day + between(rng, 1, 5)
        )
        if invoice_day > last_day:
            return
        entity_type = "organisation" if customer.is_organisation else "person"
        entity_id = customer.entity_id
        # invoices of a duplicated customer sometimes go to the duplicate counterparty
        code = (
            footprint.codes[-1]
            if len(footprint.codes) > 1 and rng.random() < 0.3
            else footprint.codes[0]
        )
        number = self._number("invoices", deal.branch)
        deal.invoice_number, deal.invoice_code = number, code
        amount = deal.amount_kzt
        vat = 16 if invoice_day >= _VAT_2026_DAY else 12
        impossible_date = rng.random() < mess.IMPOSSIBLE_INVOICE_DATE_RATE
        self.tally.count("impossible_invoice_date", impossible_date)
        self._write(
            "invoices",
            [
                number,
                _impossible_date(invoice_day)
                if impossible_date
                else ru_date(invoice_day),
                code,
                BRANCH_CITY[deal.branch],
                _money(rng, amount),
                _money(rng, round(amount * vat / (100 + vat), 2)),
                "KZT",
                pick(
                    rng,
                    (
                        "",
                        "",
                        deal.title,
                        f"Оплата по договору {inclusive(rng, 1, 999)}",
                    ),
                ),
                _stamp(rng, invoice_day, last_day),
            ],
        )
        self.truth.record("onec", "invoices", number, entity_type, entity_id)
        # payments
        paid = rng.random()
        if paid < mess.FULL_PAYMENT_RATE:
            parts = [amount]
        elif paid < mess.FULL_PAYMENT_RATE + mess.SPLIT_PAYMENT_RATE:
            first_part = round(amount * rng.uniform(0.3, 0.7))
            parts = [first_part, amount - first_part]
        else:
            parts = []
        pay_day = invoice_day
        for part in parts:
            pay_day += between(rng, 0, 20)
            if pay_day > last_day:
                break
            on_account = rng.random() < mess.PAYMENT_ON_ACCOUNT_RATE
            pay_number = self._number("payments", deal.branch)
            self._write(
                "payments",
                [
                    pay_number,
                    ru_date(pay_day),
                    code,
                    "" if on_account else number,
                    _money(rng, part),
                    "KZT",
                    pick(rng, PAYMENT_METHODS),
                    _stamp(rng, pay_day, last_day),
                ],
            )
            self.truth.record("onec", "payments", pay_number, entity_type, entity_id)
        if rng.random() < mess.DISCOUNT_RATE:
            discount_number = self._number("discounts", deal.branch)
            self._write(
                "discounts",
                [
                    discount_number,
                    ru_date(invoice_day),
                    code,
                    number,
                    _money(rng, round(amount * pick(rng, (0.03, 0.05, 0.1, 0.15)))),
                    pick(rng, DISCOUNT_KINDS),
                    _stamp(rng, invoice_day, last_day),
                ],
            )
            self.truth.record(
                "onec", "discounts", discount_number, entity_type, entity_id
            )
        if rng.random() >= mess.SHIPMENT_RATE:
            return
        ship_day = invoice_day + between(rng, 0, 15)
        if ship_day > last_day:
            return
        shipment_number = self._number("shipments", deal.branch)
        self._write(
            "shipments",
            [
                shipment_number,
                ru_date(ship_day),
                code,
                number,
                _money(rng, amount),
                "KZT",
                f"Основной склад {BRANCH_CITY[deal.branch]}",
                _stamp(rng, ship_day, last_day),
            ],
        )
        self.truth.record("onec", "shipments", shipment_number, entity_type, entity_id)
        if rng.random() >= mess.RETURN_RATE:
            return
        return_day = ship_day + between(rng, 1, 30)
        if return_day > last_day:
            return
        return_number = self._number("returns", deal.branch)
        self._write(
            "returns",
            [
                return_number,
                ru_date(return_day),
                code,
                shipment_number,
                _money(rng, round(amount * rng.uniform(0.05, 1.0))),
                "KZT",
                pick(rng, RETURN_REASONS),
                _stamp(rng, return_day, last_day),
            ],
        )
        self.truth.record("onec", "returns", return_number, entity_type, entity_id)

    def file_rows(self) -> dict[str, int]:
        return {f"onec/{table}.csv": rows for table, rows in self.rows.items()}

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


def _money(rng: random.Random, amount: float) -> str:
    """Decimal comma; now and then with a (non-breaking) space between thousands."""
    text = f"{amount:.2f}".replace(".", ",")
    if amount >= 10_000 and rng.random() < mess.THOUSANDS_SEPARATOR_RATE:
        whole, cents = text.split(",")
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        text = pick(rng, (" ", "\u00a0")).join(groups) + "," + cents
    return text


def _impossible_date(day: int) -> str:
    """30 February of the invoice's year: what a hand edit in Excel leaves behind."""
    return f"30.02.{ru_date(day)[-4:]}"


def _stamp(rng: random.Random, day: int, last_day: int) -> str:
    """ДатаИзменения: the document's day or a few days later (posted, corrected)."""
    modified = min(day + (between(rng, 0, 5) if rng.random() < 0.3 else 0), last_day)
    return ru_datetime(modified, between(rng, 8 * 3600, 20 * 3600))


def _postcode_and_birth_date(customer: Customer, code: str) -> tuple[str, str]:
    """Индекс for most counterparties, ДатаРождения for most private persons."""
    # a generator of its own, so that the main draws (and all else generated) stay
    rng = random.Random(f"{code}:{customer.entity_id}:onec-address")
    index = postcode(customer) if rng.random() < POSTCODE_FILLED_RATE else ""
    birth = ""
    if customer.person is not None and rng.random() < BIRTH_DATE_FILLED_RATE:
        birth = ru_date(day_of(customer.person.birth))
    return index, birth


def _change_counterparty(rng: random.Random, day: int, row: list[str]) -> None:
    """An increment day's edit in 1C: new phone or address; ДатаИзменения moves on."""
    if rng.random() < 0.6:
        from demo.generator.phones import random_mobile

        extra = typed(rng, random_mobile(rng))
        row[5] = f"{row[5]}, {extra}" if row[5] else extra
    else:
        row[7] = (
            f"ул. {pick(rng, names.STREETS).split('. ', 1)[-1]}, "
            f"д. {inclusive(rng, 1, 250)}"
        )
    row[10] = ru_datetime(day, between(rng, 8 * 3600, 20 * 3600))
