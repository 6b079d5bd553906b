"""Corruption profiles: `harsh` adds FEBRL-like errors to person and organisation data.

The default profile is the records exactly as the writers type them (mess.py). The
harsh profile then corrupts every CRM contact and company, 1C counterparty and
contact person, and the names, phones and e-mails on calls and tickets, at the
rates of harsh.py, and copies some CRM records again into their portal.

Each record is corrupted from its own random stream, seeded from the run's seed
and the record's key: corrupting one record never shifts another, and never
touches the writers' stream, so the world (customers, deals, documents, calls) is
the default profile's, and increments stay what they are.
"""

from __future__ import annotations

import random
import re
from datetime import date

from demo.generator import crm, harsh, onec
from demo.generator.clock import bitrix_date, day_of
from demo.generator.draws import below, between, pick, weighted
from demo.generator.mess import TODAY
from demo.generator.report import Tally
from demo.generator.typing_errors import digit_typo, mistyped_key, modify_text

PROFILES = ("default", "harsh")

CITY_ALIASES = {
    "Алматы": ("Алма-Ата", "Алмата", "Almaty"),
    "Астана": ("Нур-Султан", "Акмола", "Astana"),
    "Шымкент": ("Чимкент", "Shymkent"),
    "Караганда": ("Караганды", "Karaganda"),
    "Актобе": ("Актюбинск", "Aktobe"),
    "Павлодар": ("Pavlodar",),
    "Усть-Каменогорск": ("Оскемен", "Ust-Kamenogorsk"),
    "Атырау": ("Гурьев", "Atyrau"),
    "Костанай": ("Кустанай", "Kostanay"),
    "Тараз": ("Джамбул", "Taraz"),
    "Кызылорда": ("Кзыл-Орда", "Kyzylorda"),
    "Талдыкорган": ("Талды-Курган", "Taldykorgan"),
}
ABBREVIATIONS = {
    "ул": "улица",
    "пр": "проспект",
    "д": "дом",
    "кв": "квартира",
    "мкр": "микрорайон",
    "г": "город",
}
_ABBREVIATED = re.compile(r"(?<![А-Яа-яЁё])(ул|пр|д|кв|мкр|г)\. ?")
_SPELLED_OUT = re.compile(
    r"(?<![А-Яа-яЁё])(улица|проспект|дом|квартира|микрорайон|город) "
)
_STREET_TYPE_FIRST = re.compile(
    r"(?<![А-Яа-яЁё])(ул\.|пр\.|мкр\.) ?([^,\d]+?)(?=,| \d|$)"
)
_CITY_FIRST = re.compile(r"^(г\. [^,]+), (.+)$")
_HOUSE_DASH_FLAT = re.compile(r"(?<= )(\d+)-(\d+)$")
_DOT_SPACE = re.compile(r"(?<=[а-я])\. (?=\S)")
_HOUSE_AT_END = re.compile(r" \d+(-\d+)?$")
_FLAT_AT_END = re.compile(r"-\d+$")

_TEXT_KINDS = tuple(kind for kind, _ in harsh.TEXT_MODIFICATION_WEIGHTS)
_COPY_COUNTS = tuple(range(1, harsh.MAX_EXTRA_DUPLICATES + 1))
_COPY_WEIGHTS = [1 / k ** (1 - harsh.EXTRA_DUPLICATES_ZIPF_THETA) for k in _COPY_COUNTS]
_COPY_CUM = [sum(_COPY_WEIGHTS[: k + 1]) for k in range(len(_COPY_WEIGHTS))]
FIVE_OR_MORE_COPIES_SHARE = sum(_COPY_WEIGHTS[4:]) / sum(_COPY_WEIGHTS)
# FEBRL phone: sub 0.40, trans 0.30; soc_sec_id: sub 0.50, trans 0.40
_PHONE_SUBSTITUTE_SHARE = 0.40 / 0.70
_IIN_BIN_SUBSTITUTE_SHARE = 0.50 / 0.90
_EARLIEST_BIRTH_YEAR = 1900

_COUNTERPARTY_AT = {name: i for i, name in enumerate(onec.COLUMNS["counterparties"])}
_CONTACT_PERSON_AT = {name: i for i, name in enumerate(onec.COLUMNS["contact_persons"])}

# (report name, documented rate, tally name), printed after the default profile's
MEASURED_RATES = (
    (
        "harsh: CRM records copied again",
        harsh.CRM_EXTRA_DUPLICATE_RATE,
        "harsh_crm_copied",
    ),
    ("harsh: copied 5+ times", FIVE_OR_MORE_COPIES_SHARE, "harsh_crm_five_plus_copies"),
    ("harsh: name parts swapped", harsh.NAME_PARTS_SWAPPED_RATE, "harsh_name_swapped"),
    (
        "harsh: a name part missing",
        harsh.NAME_PART_MISSING_RATE,
        "harsh_name_part_missing",
    ),
    ("harsh: surnames modified", harsh.SURNAME_MODIFIED_RATE, "harsh_surname_modified"),
    (
        "harsh: first names modified",
        harsh.FIRST_NAME_MODIFIED_RATE,
        "harsh_first_modified",
    ),
    (
        "harsh: patronymics modified",
        harsh.PATRONYMIC_MODIFIED_RATE,
        "harsh_patronymic_modified",
    ),
    ("harsh: titles modified", harsh.TITLE_MODIFIED_RATE, "harsh_title_modified"),
    (
        "harsh: a title word missing",
        harsh.TITLE_WORD_MISSING_RATE,
        "harsh_title_word_missing",
    ),
    ("harsh: modified twice", harsh.SECOND_MODIFICATION_RATE, "harsh_modified_twice"),
    *(
        (f"harsh: modifications by {kind}", weight, f"harsh_text_{kind}")
        for kind, weight in harsh.TEXT_MODIFICATION_WEIGHTS
    ),
    (
        "harsh: key from the same row",
        harsh.KEYBOARD_SAME_ROW_RATE,
        "harsh_key_same_row",
    ),
    (
        "harsh: key from the same column",
        harsh.KEYBOARD_SAME_COLUMN_RATE,
        "harsh_key_same_column",
    ),
    ("harsh: addresses missing", harsh.ADDRESS_MISSING_RATE, "harsh_address_missing"),
    (
        "harsh: addresses restyled",
        harsh.ADDRESS_RESTYLED_RATE,
        "harsh_address_restyled",
    ),
    (
        "harsh: an address part missing",
        harsh.ADDRESS_PART_MISSING_RATE,
        "harsh_address_part",
    ),
    ("harsh: address typos", harsh.ADDRESS_TYPO_RATE, "harsh_address_typo"),
    ("harsh: cities missing", harsh.CITY_MISSING_RATE, "harsh_city_missing"),
    ("harsh: cities by another name", harsh.CITY_ALIAS_RATE, "harsh_city_alias"),
    ("harsh: cities modified", harsh.CITY_MODIFIED_RATE, "harsh_city_modified"),
    (
        "harsh: birth dates missing",
        harsh.BIRTH_DATE_MISSING_RATE,
        "harsh_birth_missing",
    ),
    (
        "harsh: birth date digit typos",
        harsh.BIRTH_DATE_DIGIT_TYPO_RATE,
        "harsh_birth_digit",
    ),
    (
        "harsh: birth day and month swapped",
        harsh.BIRTH_DATE_DAY_MONTH_SWAPPED_RATE,
        "harsh_birth_swapped",
    ),
    (
        "harsh: birth dates a year off",
        harsh.BIRTH_DATE_YEAR_OFF_RATE,
        "harsh_birth_year",
    ),
    ("harsh: postcodes missing", harsh.POSTCODE_MISSING_RATE, "harsh_postcode_missing"),
    ("harsh: postcode digit typos", harsh.POSTCODE_TYPO_RATE, "harsh_postcode_typo"),
    ("harsh: records without phone", harsh.PHONE_MISSING_RATE, "harsh_phone_missing"),
    ("harsh: phone digit typos", harsh.PHONE_TYPO_RATE, "harsh_phone_typo"),
    ("harsh: records without e-mail", harsh.EMAIL_MISSING_RATE, "harsh_email_missing"),
    ("harsh: e-mail typos", harsh.EMAIL_TYPO_RATE, "harsh_email_typo"),
    ("harsh: IIN/BIN missing", harsh.IIN_BIN_MISSING_RATE, "harsh_iin_bin_missing"),
    ("harsh: IIN/BIN digit typos", harsh.IIN_BIN_TYPO_RATE, "harsh_iin_bin_typo"),
)


def corruptor_for(profile: str, seed: int, tally: Tally) -> Corruptor | None:
    """The profile's corruptor; None for the default profile, which adds nothing."""
    if profile not in PROFILES:
        raise ValueError(
            f"profile must be one of {', '.join(PROFILES)}, got {profile!r}"
        )
    return Corruptor(seed, tally) if profile == "harsh" else None


class Corruptor:
    """The harsh profile, applied to records just before the writers write them."""

    def __init__(self, seed: int, tally: Tally) -> None:
        self._seed = seed
        self._tally = tally
        self._rng = random.Random()

    def _rng_for(self, key: str) -> random.Random:
        self._rng.seed(f"{self._seed}:harsh:{key}")
        return self._rng

    def _count(self, name: str, hit: bool) -> None:
        self._tally.count(f"harsh_{name}", hit)  # the names of MEASURED_RATES

    # --- the writers' hooks -------------------------------------------------------
    def crm_records(self, writer: crm.CrmWriter, pending: list[tuple]) -> None:
        """One customer's CRM records before they are written: copies, then errors.

        `pending` holds (portal, entity, record, entity type, entity id); copies are
        appended after the customer's other records, so that IDs stay in order.
        """
        originals: set[tuple[str, str, str]] = set()
        copies = []
        for portal, entity, record, entity_type, entity_id in pending:
            key = (portal.branch, entity, entity_id)
            if entity == "deals" or key in originals:
                continue  # the default profile's duplicate is not copied again
            originals.add(key)
            rng = self._rng_for(f"crm:{portal.branch}:{entity}:{record['ID']}:copies")
            copied = rng.random() < harsh.CRM_EXTRA_DUPLICATE_RATE
            self._count("crm_copied", copied)
            if not copied:
                continue
            count = weighted(rng, _COPY_COUNTS, _COPY_CUM)
            self._count("crm_five_plus_copies", count >= 5)
            for _ in range(count):
                copy = _copy_of(rng, writer, portal, entity, record)
                copies.append((portal, entity, copy, entity_type, entity_id))
        pending.extend(copies)
        for portal, entity, record, _, _ in pending:
            if entity == "deals":
                continue
            rng = self._rng_for(f"crm:{portal.branch}:{entity}:{record['ID']}")
            if entity == "contacts":
                self._crm_contact(rng, record)
            else:
                self._crm_company(rng, record)

    def counterparty(self, row: list[str]) -> None:
        """A 1C counterparty row, before any increment edits it."""
        at = _COUNTERPARTY_AT
        rng = self._rng_for(f"onec:counterparties:{row[at['Код']]}")
        name = row[at["Наименование"]]
        if row[at["ВидКонтрагента"]] == onec.KIND[None]:
            row[at["Наименование"]] = self._full_name(rng, name)
        else:
            row[at["Наименование"]] = self._title(rng, name)
        row[at["БИН_ИИН"]] = self._iin_bin(rng, row[at["БИН_ИИН"]])
        row[at["Телефон"]] = self._phone_list(rng, row[at["Телефон"]])
        row[at["ЭлектроннаяПочта"]] = (
            self._email(rng, row[at["ЭлектроннаяПочта"]]) or ""
        )
        row[at["Адрес"]] = self._address(rng, row[at["Адрес"]])
        row[at["Город"]] = self._city(rng, row[at["Город"]])
        row[at["Индекс"]] = self._postcode(rng, row[at["Индекс"]])
        born_text = row[at["ДатаРождения"]]
        if born_text:
            row[at["ДатаРождения"]] = self._onec_birth_date(rng, born_text)

    def onec_row(self, table: str, row: list[str]) -> None:
        """A 1C row as it is written: contact persons are corrupted here."""
        if table != "contact_persons":
            return
        at = _CONTACT_PERSON_AT
        rng = self._rng_for(f"onec:contact_persons:{row[at['Код']]}")
        row[at["ФИО"]] = self._full_name(rng, row[at["ФИО"]])
        row[at["Телефон"]] = self._phone_list(rng, row[at["Телефон"]])
        row[at["ЭлектроннаяПочта"]] = (
            self._email(rng, row[at["ЭлектроннаяПочта"]]) or ""
        )
        born_text = row[at["ДатаРождения"]]
        if born_text:
            row[at["ДатаРождения"]] = self._onec_birth_date(rng, born_text)

    def _onec_birth_date(self, rng: random.Random, born_text: str) -> str:
        day, month, year = map(int, born_text.split("."))
        born = self._birth_date(rng, date(year, month, day))
        return "" if born is None else f"{born.day:02d}.{born.month:02d}.{born.year}"

    def _postcode(self, rng: random.Random, postcode: str) -> str:
        """Left out, or one digit mistyped; an empty one stays empty."""
        if not postcode:
            return postcode
        missing = rng.random() < harsh.POSTCODE_MISSING_RATE
        self._count("postcode_missing", missing)
        if missing:
            return ""
        typo = rng.random() < harsh.POSTCODE_TYPO_RATE
        self._count("postcode_typo", typo)
        return digit_typo(rng, postcode, _PHONE_SUBSTITUTE_SHARE) if typo else postcode

    def caller_name(self, uniqueid: str, name: str) -> str:
        """The caller-ID name of a call ("Имя Фамилия")."""
        return self._first_last(self._rng_for(f"telephony:{uniqueid}"), name)

    def requester(self, ticket_id: int, requester: dict) -> None:
        """A ticket's requester: name, e-mail and phone, in place."""
        rng = self._rng_for(f"support:{ticket_id}")
        if requester["name"]:
            requester["name"] = self._first_last(rng, requester["name"])
        requester["email"] = self._email(rng, requester["email"])
        phone = requester["phone"]
        if phone:
            missing = rng.random() < harsh.PHONE_MISSING_RATE
            self._count("phone_missing", missing)
            requester["phone"] = None if missing else self._phone(rng, phone)

    # --- records -------------------------------------------------------------------
    def _crm_contact(self, rng: random.Random, record: dict) -> None:
        first, patronymic, last = self._person_name(
            rng, record["NAME"], record["SECOND_NAME"], record["LAST_NAME"]
        )
        record["NAME"], record["SECOND_NAME"], record["LAST_NAME"] = (
            first,
            patronymic,
            last,
        )
        if record["BIRTHDATE"]:
            born = self._birth_date(rng, date.fromisoformat(record["BIRTHDATE"][:10]))
            record["BIRTHDATE"] = "" if born is None else bitrix_date(day_of(born))
        record["ADDRESS"] = self._address(rng, record["ADDRESS"])
        record["ADDRESS_CITY"] = self._city(rng, record["ADDRESS_CITY"])
        if "ADDRESS_POSTAL_CODE" in record:
            record["ADDRESS_POSTAL_CODE"] = self._postcode(
                rng, record["ADDRESS_POSTAL_CODE"]
            )
        self._crm_multifields(rng, record)
        record["UF_CRM_IIN"] = self._iin_bin(rng, record["UF_CRM_IIN"])

    def _crm_company(self, rng: random.Random, record: dict) -> None:
        record["TITLE"] = self._title(rng, record["TITLE"])
        record["ADDRESS"] = self._address(rng, record["ADDRESS"])
        record["ADDRESS_CITY"] = self._city(rng, record["ADDRESS_CITY"])
        if "ADDRESS_POSTAL_CODE" in record:
            record["ADDRESS_POSTAL_CODE"] = self._postcode(
                rng, record["ADDRESS_POSTAL_CODE"]
            )
        self._crm_multifields(rng, record)
        record["UF_CRM_BIN"] = self._iin_bin(rng, record["UF_CRM_BIN"])

    def _crm_multifields(self, rng: random.Random, record: dict) -> None:
        if "PHONE" in record:
            missing = rng.random() < harsh.PHONE_MISSING_RATE
            self._count("phone_missing", missing)
            if missing:
                del record["PHONE"]
                record["HAS_PHONE"] = "N"
            else:
                for item in record["PHONE"]:
                    item["VALUE"] = self._phone(rng, item["VALUE"])
        if "EMAIL" in record:
            missing = rng.random() < harsh.EMAIL_MISSING_RATE
            self._count("email_missing", missing)
            if missing:
                del record["EMAIL"]
                record["HAS_EMAIL"] = "N"
            else:
                for item in record["EMAIL"]:
                    item["VALUE"] = self._email_typo(rng, item["VALUE"])

    # --- fields --------------------------------------------------------------------
    def _person_name(
        self, rng: random.Random, first: str, patronymic: str, last: str
    ) -> tuple[str, str, str]:
        """(first, patronymic, last): swapped, a part left out, letters mistyped."""
        if first and last:
            swapped = rng.random() < harsh.NAME_PARTS_SWAPPED_RATE
            self._count("name_swapped", swapped)
            if swapped:
                first, last = last, first
        parts = [first, patronymic, last]
        present = [index for index, part in enumerate(parts) if part]
        if len(present) >= 2:
            missing = rng.random() < harsh.NAME_PART_MISSING_RATE
            self._count("name_part_missing", missing)
            if missing:
                parts[pick(rng, present)] = ""
        first, patronymic, last = parts
        last = self._modified(
            rng, last, "surname_modified", harsh.SURNAME_MODIFIED_RATE
        )
        first = self._modified(
            rng, first, "first_modified", harsh.FIRST_NAME_MODIFIED_RATE
        )
        patronymic = self._modified(
            rng, patronymic, "patronymic_modified", harsh.PATRONYMIC_MODIFIED_RATE
        )
        return first, patronymic, last

    def _full_name(self, rng: random.Random, name: str) -> str:
        """1C's "Фамилия Имя Отчество"."""
        words = name.split(" ")
        last, first, patronymic = words[0], " ".join(words[1:2]), " ".join(words[2:])
        first, patronymic, last = self._person_name(rng, first, patronymic, last)
        return " ".join(part for part in (last, first, patronymic) if part)

    def _first_last(self, rng: random.Random, name: str) -> str:
        """A caller's or requester's "Имя Фамилия"."""
        first, _, last = name.partition(" ")
        first, _, last = self._person_name(rng, first, "", last)
        return " ".join(part for part in (first, last) if part)

    def _title(self, rng: random.Random, title: str) -> str:
        if not title:
            return title
        if _word_count(title) >= 2:
            missing = rng.random() < harsh.TITLE_WORD_MISSING_RATE
            self._count("title_word_missing", missing)
            if missing:
                title = _without_a_word(rng, title)
        return self._modified(rng, title, "title_modified", harsh.TITLE_MODIFIED_RATE)

    def _address(self, rng: random.Random, address: str) -> str:
        if not address:
            return address
        missing = rng.random() < harsh.ADDRESS_MISSING_RATE
        self._count("address_missing", missing)
        if missing:
            return ""
        if any(pattern.search(address) for pattern, _ in _RESTYLES):
            hit = rng.random() < harsh.ADDRESS_RESTYLED_RATE
            self._count("address_restyled", hit)
            if hit:
                address = pick(rng, _restyled(address))
        shortened = _shortened(address)
        if shortened:
            hit = rng.random() < harsh.ADDRESS_PART_MISSING_RATE
            self._count("address_part", hit)
            if hit:
                address = pick(rng, shortened)
        return self._modified(rng, address, "address_typo", harsh.ADDRESS_TYPO_RATE)

    def _city(self, rng: random.Random, city: str) -> str:
        if not city:
            return city
        missing = rng.random() < harsh.CITY_MISSING_RATE
        self._count("city_missing", missing)
        if missing:
            return ""
        aliases = CITY_ALIASES.get(city)
        if aliases:
            alias = rng.random() < harsh.CITY_ALIAS_RATE
            self._count("city_alias", alias)
            if alias:
                return pick(rng, aliases)
        return self._modified(rng, city, "city_modified", harsh.CITY_MODIFIED_RATE)

    def _birth_date(self, rng: random.Random, born: date) -> date | None:
        """None when left out; else maybe a digit wrong, day/month swapped, a year off.

        One draw decides, so that each rate holds over its own chances: a swap can
        only happen to a date whose day could be a month.
        """
        missing = rng.random() < harsh.BIRTH_DATE_MISSING_RATE
        self._count("birth_missing", missing)
        if missing:
            return None
        digit_rate = harsh.BIRTH_DATE_DIGIT_TYPO_RATE
        swap_rate = harsh.BIRTH_DATE_DAY_MONTH_SWAPPED_RATE
        year_rate = harsh.BIRTH_DATE_YEAR_OFF_RATE
        draw = rng.random()
        digit = draw < digit_rate
        swap = digit_rate <= draw < digit_rate + swap_rate
        year = digit_rate + swap_rate <= draw < digit_rate + swap_rate + year_rate
        swappable = born.day <= 12 and born.day != born.month
        self._count("birth_digit", digit)
        self._count("birth_year", year)
        if swappable:
            self._count("birth_swapped", swap)
        if digit:
            return _with_digit_typo(rng, born)
        if swap and swappable:
            return date(born.year, born.day, born.month)
        if year:
            return _year_off(rng, born)
        return born

    def _phone(self, rng: random.Random, typed: str) -> str:
        typo = rng.random() < harsh.PHONE_TYPO_RATE
        self._count("phone_typo", typo)
        if not typo:
            return typed
        # the subscriber number: a slip in the code would make another operator
        return digit_typo(rng, typed, _PHONE_SUBSTITUTE_SHARE, last_digits=7)

    def _phone_list(self, rng: random.Random, text: str) -> str:
        """1C's "number, number" free text."""
        if not text:
            return text
        missing = rng.random() < harsh.PHONE_MISSING_RATE
        self._count("phone_missing", missing)
        if missing:
            return ""
        return ", ".join(self._phone(rng, number) for number in text.split(", "))

    def _email(self, rng: random.Random, address: str | None) -> str | None:
        """Left out (None) or maybe mistyped."""
        if not address:
            return address
        missing = rng.random() < harsh.EMAIL_MISSING_RATE
        self._count("email_missing", missing)
        return None if missing else self._email_typo(rng, address)

    def _email_typo(self, rng: random.Random, address: str) -> str:
        typo = rng.random() < harsh.EMAIL_TYPO_RATE
        self._count("email_typo", typo)
        if not typo:
            return address
        local, at, domain = address.partition("@")
        return self._modify(rng, local) + at + domain

    def _iin_bin(self, rng: random.Random, number: str) -> str:
        if not number:
            return number
        missing = rng.random() < harsh.IIN_BIN_MISSING_RATE
        self._count("iin_bin_missing", missing)
        if missing:
            return ""
        typo = rng.random() < harsh.IIN_BIN_TYPO_RATE
        self._count("iin_bin_typo", typo)
        return digit_typo(rng, number, _IIN_BIN_SUBSTITUTE_SHARE) if typo else number

    def _modified(self, rng: random.Random, text: str, name: str, rate: float) -> str:
        """The text with one modification at `rate`, a second one at its own rate."""
        if not text:
            return text
        hit = rng.random() < rate
        self._count(name, hit)
        if not hit:
            return text
        text = self._modify(rng, text)
        twice = rng.random() < harsh.SECOND_MODIFICATION_RATE
        self._count("modified_twice", twice)
        return self._modify(rng, text) if twice else text

    def _modify(self, rng: random.Random, text: str) -> str:
        text, kind, key = modify_text(rng, text)
        if kind:
            for each in _TEXT_KINDS:
                self._count(f"text_{each}", each == kind)
        if kind == "substitute":
            self._count("key_same_row", key == "row")
            self._count("key_same_column", key == "column")
        return text


def _copy_of(
    rng: random.Random,
    writer: crm.CrmWriter,
    portal: crm._Portal,
    entity: str,
    record: dict,
) -> dict:
    """The record entered once more, later: a new ID, new multi-field IDs, new dates."""
    copy = dict(record)
    copy["ID"] = portal.new_id(entity)
    for multi in ("PHONE", "EMAIL"):
        if multi in record:
            copy[multi] = [
                portal.multifield(item["VALUE"], item["VALUE_TYPE"], item["TYPE_ID"])
                for item in record[multi]
            ]
    created = day_of(date.fromisoformat(record["DATE_CREATE"][:10]))
    created = min(created + between(rng, 1, 200), writer.last_day)
    modified = min(created + between(rng, 0, 120), writer.last_day)
    copy.update(crm._created_and_modified(rng, created, modified))
    return copy


def _word_count(text: str) -> int:
    return sum(any(char.isalnum() for char in word) for word in text.split(" "))


def _without_a_word(rng: random.Random, text: str) -> str:
    """One word left out, its quotes kept: ТОО «Алма Трейд» → ТОО «Алма»."""
    words = text.split(" ")
    candidates = [i for i, word in enumerate(words) if any(c.isalnum() for c in word)]
    index = pick(rng, candidates)
    word = words[index]
    core = [i for i, char in enumerate(word) if char.isalnum()]
    lead, trail = word[: core[0]], word[core[-1] + 1 :]
    del words[index]
    if lead and not trail and index < len(words):
        words[index] = lead + words[index]
    elif trail and not lead and index > 0:
        words[index - 1] += trail
    return " ".join(words)


def _spelled_out(match: re.Match) -> str:
    return ABBREVIATIONS[match.group(1)] + " "


def _abbreviated(match: re.Match) -> str:
    return _ABBREVIATION_OF[match.group(1)] + ". "


_ABBREVIATION_OF = {word: abbreviation for abbreviation, word in ABBREVIATIONS.items()}
# (pattern, replacement): each match is one way of restyling the address
_RESTYLES = (
    (_ABBREVIATED, _spelled_out),  # ул. → улица
    (_SPELLED_OUT, _abbreviated),  # проспект → пр.
    (_STREET_TYPE_FIRST, r"\2 \1"),  # ул. Абая → Абая ул.
    (_CITY_FIRST, r"\2, \1"),  # г. Алматы, ул. Абая, 5 → ул. Абая, 5, г. Алматы
    (_HOUSE_DASH_FLAT, r"д. \1, кв. \2"),  # Абая 12-5 → Абая д. 12, кв. 5
    (_DOT_SPACE, "."),  # ул. Абая → ул.Абая
)


def _restyled(address: str) -> list[str]:
    """Every way of writing the address with one abbreviation or order changed."""
    variants = []
    for pattern, replacement in _RESTYLES:
        for match in pattern.finditer(address):
            changed = (
                replacement(match)
                if callable(replacement)
                else match.expand(replacement)
            )
            variants.append(address[: match.start()] + changed + address[match.end() :])
    return variants


def _shortened(address: str) -> list[str]:
    """Every way of leaving out one part: the house number, the flat, the city."""
    parts = address.split(", ")
    if len(parts) >= 2:
        street = next(
            (i for i, part in enumerate(parts) if not part.startswith("г.")), 0
        )
        return [
            ", ".join(parts[:i] + parts[i + 1 :])
            for i in range(len(parts))
            if i != street
        ]
    variants = []
    for pattern in (_HOUSE_AT_END, _FLAT_AT_END):
        shorter = pattern.sub("", address)
        if shorter != address and shorter:
            variants.append(shorter)
    return variants


def _with_digit_typo(rng: random.Random, born: date) -> date:
    """One digit of dd.mm.yyyy mistyped into another real, past calendar date."""
    digits = f"{born.day:02d}{born.month:02d}{born.year:04d}"
    for _ in range(50):
        position = below(rng, len(digits))
        typed_digit, _ = mistyped_key(rng, digits[position])
        wrong = digits[:position] + typed_digit + digits[position + 1 :]
        try:
            typed = date(int(wrong[4:]), int(wrong[2:4]), int(wrong[:2]))
        except ValueError:
            continue  # 35.13.1985 is no date: the pipelines would reject it
        if typed.year >= _EARLIEST_BIRTH_YEAR and typed < TODAY:
            return typed
    return _year_off(rng, born)


def _year_off(rng: random.Random, born: date) -> date:
    year = born.year + (1 if rng.random() < 0.5 else -1)
    day = min(born.day, 28) if born.month == 2 else born.day
    return date(year, born.month, day)
