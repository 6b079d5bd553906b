"""Bitrix24 seed files, one per branch portal: contacts, companies and deals."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from demo.generator import mess, spelling
from demo.generator.clock import bitrix_date, bitrix_datetime, day_of
from demo.generator.draws import below, between, inclusive, pick
from demo.generator.ground_truth import GroundTruthWriter
from demo.generator.phones import international, random_mobile, typed
from demo.generator.report import Tally
from demo.generator.world import Customer, Deal, Person

ENTITIES = ("contacts", "companies", "deals")
SOURCE_IDS = (
    "CALL",
    "WEB",
    "EMAIL",
    "ADVERTISING",
    "RECOMMENDATION",
    "PARTNER",
    "OTHER",
)
CLOSED_STAGES = frozenset(("WON", "LOSE", "APOLOGY"))

# Kazpost's six-digit postcodes: the city's first, a district added per customer
POSTCODE_BASE = {
    "Алматы": 50000,
    "Астана": 10000,
    "Шымкент": 160000,
    "Караганда": 100000,
    "Актобе": 30000,
    "Павлодар": 140000,
    "Усть-Каменогорск": 70000,
    "Атырау": 60000,
    "Костанай": 110000,
    "Тараз": 80000,
    "Кызылорда": 120000,
    "Талдыкорган": 40000,
}
# the oblast (ADDRESS_PROVINCE); Almaty, Astana and Shymkent belong to none
PROVINCE = {
    "Караганда": "Карагандинская область",
    "Актобе": "Актюбинская область",
    "Павлодар": "Павлодарская область",
    "Усть-Каменогорск": "Восточно-Казахстанская область",
    "Атырау": "Атырауская область",
    "Костанай": "Костанайская область",
    "Тараз": "Жамбылская область",
    "Кызылорда": "Кызылординская область",
    "Талдыкорган": "Жетысуская область",
}
# portals whose records carry every address part; the others send only the postcode
FULL_ADDRESS_PORTALS = frozenset({"astana"})
POSTCODE_FILLED_RATE = 0.75  # of records with an address
SECOND_LINE_RATE = 0.30
PROVINCE_FILLED_RATE = 0.60
COUNTRY_FILLED_RATE = 0.50


def postcode(customer: Customer) -> str:
    """The customer's true postcode, the same in every system that knows it."""
    # a generator of its own, so that the main draws (and all else generated) stay
    district = random.Random(f"{customer.entity_id}:postcode").randrange(40)
    return f"{POSTCODE_BASE[customer.city] + district:06d}"


def _address_parts(
    branch: str, record_id: str, customer: Customer, has_address: bool
) -> dict[str, str]:
    """Bitrix24's address parts beside ADDRESS, filled now and then."""
    rng = random.Random(f"{branch}:{record_id}:{customer.entity_id}:address")
    filled = has_address and rng.random() < POSTCODE_FILLED_RATE
    parts = {"ADDRESS_POSTAL_CODE": postcode(customer) if filled else ""}
    if branch in FULL_ADDRESS_PORTALS:
        second_line = (
            f"офис {rng.randint(1, 450)}"
            if customer.is_organisation
            else f"кв. {customer.flat}"
        )
        parts["ADDRESS_2"] = (
            second_line if has_address and rng.random() < SECOND_LINE_RATE else ""
        )
        province = PROVINCE.get(customer.city, "")
        parts["ADDRESS_PROVINCE"] = (
            province if has_address and rng.random() < PROVINCE_FILLED_RATE else ""
        )
        parts["ADDRESS_COUNTRY"] = (
            "Казахстан" if has_address and rng.random() < COUNTRY_FILLED_RATE else ""
        )
    return parts


@dataclass
class BranchFootprint:
    """Where one customer sits in one portal, so that later records can point at it."""

    company_id: str = ""
    contact_ids: dict[str, str] = field(default_factory=dict)  # person entity → ID


class _Portal:
    """One branch's seed file, streamed as three part files and joined on close."""

    def __init__(self, folder: Path, branch: str) -> None:
        self.branch = branch
        self.path = folder / f"{branch}.json"
        self.parts = {
            entity: folder / f".{branch}.{entity}.part" for entity in ENTITIES
        }
        self.files = {
            entity: path.open("w", encoding="utf-8", newline="\n")
            for entity, path in self.parts.items()
        }
        self.rows = dict.fromkeys(ENTITIES, 0)
        self.next_id = dict.fromkeys(ENTITIES, 1)
        self.next_multifield_id = 1

    def new_id(self, entity: str) -> str:
        value = self.next_id[entity]
        self.next_id[entity] = value + 1
        return str(value)

    def multifield(self, value: str, value_type: str, type_id: str) -> dict[str, str]:
        field_id = self.next_multifield_id
        self.next_multifield_id += 1
        return {
            "ID": str(field_id),
            "VALUE_TYPE": value_type,
            "VALUE": value,
            "TYPE_ID": type_id,
        }

    def write(self, entity: str, record: dict) -> None:
        handle = self.files[entity]
        handle.write(",\n" if self.rows[entity] else "\n")
        handle.write(json.dumps(record, ensure_ascii=False))
        self.rows[entity] += 1

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
        with self.path.open("w", encoding="utf-8", newline="\n") as out:
            out.write(json.dumps({"portal": self.branch})[:-1])
            for entity in ENTITIES:
                out.write(f',\n "{entity}": [')
                with self.parts[entity].open(encoding="utf-8") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
                out.write("\n]" if self.rows[entity] else "]")
            out.write("}\n")
        for part in self.parts.values():
            part.unlink()


class CrmWriter:
    corruption = None  # a corruption.Corruptor when a harsher profile is chosen

    def __init__(
        self, landing_dir: Path, truth: GroundTruthWriter, tally: Tally
    ) -> None:
        folder = landing_dir / "crm"
        folder.mkdir(parents=True, exist_ok=True)
        self.portals = {branch: _Portal(folder, branch) for branch in mess.BRANCHES}
        self.truth = truth
        self.tally = tally
        # the last day records may carry: -1 in the base, the increment's day after
        self.last_day = -1

    # --- records ----------------------------------------------------------------
    def _phones(
        self,
        rng: random.Random,
        portal: _Portal,
        person: Person,
        created_day: int,
        work: str,
    ) -> list[dict[str, str]]:
        missing = rng.random() < mess.MISSING_PHONE_RATE
        self.tally.count("crm_missing_phone", missing)
        if missing:
            return []
        numbers: list[tuple[str, str]] = []
        if person.family_phone:
            numbers.append((person.family_phone, "HOME"))
            if rng.random() < 0.5:
                numbers.append((person.phone, "MOBILE"))
        else:
            current = person.phone_on(created_day)
            numbers.append((current, "MOBILE"))
            if current != person.phone and rng.random() < 0.3:
                numbers.append((person.phone, "MOBILE"))
        if work and person.uses_switchboard:
            if rng.random() < 0.4:
                numbers.clear()
            numbers.append((work, "WORK"))
        return [
            portal.multifield(typed(rng, number), kind, "PHONE")
            for number, kind in numbers
        ]

    def _contact(
        self,
        rng: random.Random,
        portal: _Portal,
        customer: Customer,
        person: Person,
        company_id: str,
        duplicate: bool,
    ) -> dict:
        first, patronymic, last = spelling.person_name(rng, person, self.tally, "crm")
        if patronymic and rng.random() < mess.MISSING_PATRONYMIC_RATE:
            patronymic = ""
        if rng.random() < mess.SWAPPED_NAME_FIELDS_RATE:
            first, last = last, first
        created = max(customer.created_day, -mess.HISTORY_DAYS - 400) + (
            between(rng, 1, 200) if duplicate else between(rng, 0, 10)
        )
        created = min(created, self.last_day)
        modified = min(created + between(rng, 0, 120), self.last_day)
        organisation = customer.organisation
        phones = self._phones(
            rng,
            portal,
            person,
            created,
            organisation.switchboard if organisation else "",
        )
        email = person.shared_mailbox or person.email
        if not email or rng.random() < mess.MISSING_EMAIL_RATE:
            emails = []
        else:
            emails = [
                portal.multifield(email, "WORK" if organisation else "HOME", "EMAIL")
            ]
        private = organisation is None
        record = {
            "ID": portal.new_id("contacts"),
            "NAME": first,
            "SECOND_NAME": patronymic,
            "LAST_NAME": last,
            "BIRTHDATE": ""
            if rng.random() < 0.6
            else bitrix_date(day_of(person.birth)),
            "TYPE_ID": "CLIENT",
            "SOURCE_ID": pick(rng, SOURCE_IDS),
            "POST": person.position,
            "ADDRESS": _address(rng, customer) if private else "",
            "ADDRESS_CITY": customer.city if private or rng.random() < 0.3 else "",
            "COMPANY_ID": company_id,
            "ASSIGNED_BY_ID": str(inclusive(rng, 1, 30)),
            **_created_and_modified(rng, created, modified),
            "HAS_PHONE": "Y" if phones else "N",
            "HAS_EMAIL": "Y" if emails else "N",
            "UF_CRM_IIN": spelling.iin_bin(
                rng,
                person.iin,
                # a contact person's own IIN is rarely asked for
                mess.MISSING_CRM_IIN_BIN_RATE if private else 0.9,
                self.tally,
                "crm" if private else "crm_contact_person",
            ),
            "UF_CRM_C360_ID": "",
            "UF_CRM_C360_SEGMENT": "",
        }
        record.update(
            _address_parts(
                portal.branch, record["ID"], customer, bool(record["ADDRESS"])
            )
        )
        if phones:
            record["PHONE"] = phones
        if emails:
            record["EMAIL"] = emails
        return record

    def _company(
        self, rng: random.Random, portal: _Portal, customer: Customer, duplicate: bool
    ) -> dict:
        organisation = customer.organisation
        assert organisation is not None
        created = max(customer.created_day, -mess.HISTORY_DAYS - 400) + (
            between(rng, 1, 200) if duplicate else 0
        )
        created = min(created, self.last_day)
        modified = min(created + between(rng, 0, 200), self.last_day)
        phones = []
        if rng.random() >= mess.MISSING_PHONE_RATE:
            phones.append(
                portal.multifield(typed(rng, organisation.switchboard), "WORK", "PHONE")
            )
            if organisation.contacts and rng.random() < 0.3:
                mobile = organisation.contacts[0].phone_on(created)
                phones.append(portal.multifield(typed(rng, mobile), "MOBILE", "PHONE"))
        emails = []
        if rng.random() >= mess.MISSING_EMAIL_RATE:
            box = pick(rng, ("info", "info", "office", "sales"))
            emails.append(
                portal.multifield(organisation.mailboxes[box], "WORK", "EMAIL")
            )
        record = {
            "ID": portal.new_id("companies"),
            "TITLE": spelling.organisation_title(rng, organisation, self.tally),
            "COMPANY_TYPE": "CUSTOMER",
            "INDUSTRY": organisation.industry,
            "ADDRESS": _address(rng, customer),
            "ADDRESS_CITY": customer.city if rng.random() < 0.8 else "",
            "ASSIGNED_BY_ID": str(inclusive(rng, 1, 30)),
            **_created_and_modified(rng, created, modified),
            "HAS_PHONE": "Y" if phones else "N",
            "HAS_EMAIL": "Y" if emails else "N",
            "UF_CRM_BIN": spelling.iin_bin(
                rng, organisation.bin, mess.MISSING_CRM_IIN_BIN_RATE, self.tally, "crm"
            ),
            "UF_CRM_C360_ID": "",
            "UF_CRM_C360_SEGMENT": "",
        }
        record.update(_address_parts(portal.branch, record["ID"], customer, True))
        if phones:
            record["PHONE"] = phones
        if emails:
            record["EMAIL"] = emails
        return record

    def deal_record(
        self,
        rng: random.Random,
        portal: _Portal,
        deal: Deal,
        footprint: BranchFootprint,
    ) -> dict:
        closed = deal.stage in CLOSED_STAGES
        amount = deal.amount_kzt / deal.rate
        contact_id = ""
        if footprint.contact_ids and (not footprint.company_id or rng.random() < 0.7):
            contact_id = next(iter(footprint.contact_ids.values()))
        return {
            "ID": portal.new_id("deals"),
            "TITLE": deal.title,
            "STAGE_ID": deal.stage,
            "CATEGORY_ID": "0",
            "OPPORTUNITY": f"{amount:.2f}",
            "CURRENCY_ID": deal.currency,
            "CLOSED": "Y" if closed else "N",
            "CLOSEDATE": bitrix_date(deal.close_day),
            "BEGINDATE": bitrix_date(deal.begin_day),
            "CONTACT_ID": contact_id,
            "COMPANY_ID": footprint.company_id,
            "ASSIGNED_BY_ID": str(inclusive(rng, 1, 30)),
            **_created_and_modified(rng, deal.created_day, deal.modified_day),
            "UF_CRM_1C_INVOICE": deal.invoice_number
            if deal.invoice_number and rng.random() < mess.DEAL_INVOICE_LINK_RATE
            else "",
        }

    # --- one customer -----------------------------------------------------------
    def add_customer(
        self,
        rng: random.Random,
        customer: Customer,
        changes: list[tuple[int, random.Random]] = (),  # type: ignore[assignment]
    ) -> dict[str, BranchFootprint]:
        """Write the customer's records in each of its portals, with increment edits."""
        footprints: dict[str, BranchFootprint] = {}
        pending: list[
            tuple[_Portal, str, dict, str, str]
        ] = []  # portal, entity, record, type, id
        organisation = customer.organisation
        for position, branch in enumerate(customer.branches):
            portal = self.portals[branch]
            footprint = footprints[branch] = BranchFootprint()
            if organisation is not None:
                duplicate = rng.random() < mess.CRM_DUPLICATE_RATE
                self.tally.count("crm_duplicate_record", duplicate)
                company = self._company(rng, portal, customer, False)
                footprint.company_id = company["ID"]
                pending.append(
                    (portal, "companies", company, "organisation", customer.entity_id)
                )
                if duplicate:
                    again = self._company(rng, portal, customer, True)
                    pending.append(
                        (portal, "companies", again, "organisation", customer.entity_id)
                    )
                people = organisation.contacts
                if position > 0 and len(people) > 1:
                    # another branch usually knows only some of the people
                    people = people[: inclusive(rng, 1, len(people))]
            else:
                people = customer.people
            for person in people:
                duplicate = rng.random() < mess.CRM_DUPLICATE_RATE
                self.tally.count("crm_duplicate_record", duplicate)
                contact = self._contact(
                    rng, portal, customer, person, footprint.company_id, False
                )
                footprint.contact_ids[person.entity_id] = contact["ID"]
                pending.append(
                    (portal, "contacts", contact, "person", person.entity_id)
                )
                if duplicate:
                    again = self._contact(
                        rng,
                        portal,
                        customer,
                        person,
                        footprint.company_id if rng.random() < 0.5 else "",
                        True,
                    )
                    pending.append(
                        (portal, "contacts", again, "person", person.entity_id)
                    )
        customer_type = "organisation" if organisation is not None else "person"
        for deal in customer.deals:
            if deal.branch in footprints:
                portal = self.portals[deal.branch]
                record = self.deal_record(rng, portal, deal, footprints[deal.branch])
                pending.append(
                    (portal, "deals", record, customer_type, customer.entity_id)
                )
        if self.corruption is not None:
            self.corruption.crm_records(self, pending)
        for day, change_rng in changes:
            _apply_change(
                change_rng,
                day,
                [item[2] for item in pending],
                [item[1] for item in pending],
            )
        for portal, entity, record, entity_type, entity_id in pending:
            portal.write(entity, record)
            self.truth.record(
                "crm", entity, f"{portal.branch}:{record['ID']}", entity_type, entity_id
            )
        return footprints

    def add_deal(
        self,
        rng: random.Random,
        customer: Customer,
        deal: Deal,
        footprint: BranchFootprint,
    ) -> None:
        """A deal opened during an increment, for a customer already in the portal."""
        portal = self.portals[deal.branch]
        record = self.deal_record(rng, portal, deal, footprint)
        portal.write("deals", record)
        entity_type = "organisation" if customer.is_organisation else "person"
        self.truth.record(
            "crm",
            "deals",
            f"{portal.branch}:{record['ID']}",
            entity_type,
            customer.entity_id,
        )

    def rows(self) -> dict[str, int]:
        return {
            f"crm/{branch}.json:{entity}": portal.rows[entity]
            for branch, portal in self.portals.items()
            for entity in ENTITIES
        }

    def close(self) -> None:
        for portal in self.portals.values():
            portal.close()


def _apply_change(
    rng: random.Random, day: int, records: list[dict], entities: list[str]
) -> None:
    """One increment day's edit to one of the customer's records (DATE_MODIFY moves)."""
    if not records:
        return
    index = below(rng, len(records))
    record, entity = records[index], entities[index]
    stamp = bitrix_datetime(day, between(rng, 9 * 3600, 19 * 3600))
    if entity == "deals":
        if record["CLOSED"] == "N":
            record["STAGE_ID"] = pick(
                rng, ("WON", "WON", "LOSE", "EXECUTING", "FINAL_INVOICE")
            )
            record["CLOSED"] = "Y" if record["STAGE_ID"] in CLOSED_STAGES else "N"
            if record["CLOSED"] == "Y":
                record["CLOSEDATE"] = bitrix_date(day)
        else:
            record["OPPORTUNITY"] = (
                f"{float(record['OPPORTUNITY']) * rng.uniform(0.9, 1.2):.2f}"
            )
    elif rng.random() < 0.6:
        # a new number: appended, as a manager does when a customer calls from it
        phones = record.setdefault("PHONE", [])
        # above any base multi-field ID and unique per (day, entity, record)
        field_id = (day + 1) * 1_000_000_000 + (entity == "companies") * 500_000_000
        phones.append(
            {
                "ID": str(field_id + int(record["ID"])),
                "VALUE_TYPE": "MOBILE",
                "VALUE": international(random_mobile(rng)),
                "TYPE_ID": "PHONE",
            }
        )
        record["HAS_PHONE"] = "Y"
    else:
        record["ASSIGNED_BY_ID"] = str(inclusive(rng, 1, 30))
    record["DATE_MODIFY"] = stamp


def _address(rng: random.Random, customer: Customer) -> str:
    style = rng.random()
    if style < 0.5:
        return f"{customer.street}, {customer.house}"
    if style < 0.8:
        return (
            f"г. {customer.city}, {customer.street}, д. {customer.house}, "
            f"кв. {customer.flat}"
        )
    return f"{customer.street.split('. ', 1)[-1]} {customer.house}-{customer.flat}"


def _created_and_modified(
    rng: random.Random, created: int, modified: int
) -> dict[str, str]:
    """DATE_CREATE and DATE_MODIFY in working hours, the modification never earlier."""
    create_seconds = between(rng, 9 * 3600, 19 * 3600)
    low = create_seconds if modified == created else 9 * 3600
    return {
        "DATE_CREATE": bitrix_datetime(created, create_seconds),
        "DATE_MODIFY": bitrix_datetime(modified, between(rng, low, 20 * 3600)),
    }
