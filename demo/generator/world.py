"""The true customers behind the records: organisations, people, private persons."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from demo.generator import identifiers, mess, names
from demo.generator.draws import below, between, inclusive, pick, weighted
from demo.generator.mess import TODAY
from demo.generator.phones import PhoneBook

LEGAL_FORM_FULL = {
    "ТОО": "Товарищество с ограниченной ответственностью",
    "АО": "Акционерное общество",
    "ИП": "Индивидуальный предприниматель",
}
LEGAL_FORM_LATIN = {"ТОО": ("LLP", "TOO"), "АО": ("JSC", "AO"), "ИП": ("IE", "IP")}
DEAL_TITLES = (
    "Поставка оборудования",
    "Поставка расходных материалов",
    "Сервисное обслуживание",
    "Годовой договор",
    "Монтаж и пусконаладка",
    "Консультационные услуги",
    "Поставка товара",
    "Аренда техники",
    "Подписка на ПО",
    "Ремонт",
)
# (stage, weight): open stages are more frequent for recent deals, see _deal_stage
CLOSED_STAGES = (("WON", 0.62), ("LOSE", 0.30), ("APOLOGY", 0.08))
OPEN_STAGES = (
    "NEW",
    "PREPARATION",
    "PREPAYMENT_INVOICE",
    "EXECUTING",
    "FINAL_INVOICE",
)


@dataclass(slots=True)
class Person:
    """A real human: a private customer or a contact person of an organisation."""

    entity_id: str
    female: bool
    kazakh: bool
    first: str
    patronymic: str
    last: str
    birth: date
    iin: str
    phone: str  # current mobile, 10-digit national
    email: str  # personal mailbox or ""
    position: str = ""
    organisation_id: str = ""
    stale_phone: str = ""  # the number used before phone_changed_day
    phone_changed_day: int = 0
    stale_recycled: bool = False  # the stale number now belongs to a stranger
    family_phone: str = ""  # another customer's number this person also gives out
    uses_switchboard: bool = False
    shared_mailbox: str = ""  # info@/buh@ address given instead of a personal one

    @property
    def full_name(self) -> str:
        return f"{self.last} {self.first} {self.patronymic}".rstrip()

    def phone_on(self, day: int) -> str:
        """The number this person used on that day."""
        if self.stale_phone and day < self.phone_changed_day:
            return self.stale_phone
        return self.phone


@dataclass(slots=True)
class Organisation:
    entity_id: str
    form: str  # ТОО, АО, ИП
    stem: str  # the name without the legal form: Ромашка
    bin: str
    registered: date
    industry: str
    switchboard: str  # office landline, 10-digit national
    domain: str  # own mail domain or "" (uses a public mailbox)
    mailboxes: dict[str, str]  # info/buh/office/sales → address
    contacts: list[Person] = field(default_factory=list)

    @property
    def canonical_name(self) -> str:
        if self.form == "ИП":
            return f"ИП {self.stem}"
        return f"{self.form} «{self.stem}»"


@dataclass(slots=True)
class Deal:
    """A sales opportunity: in the CRM, and once invoiced its documents in 1C."""

    branch: str
    title: str
    stage: str
    amount_kzt: int  # tiyn-free whole tenge
    currency: str
    rate: float  # tenge per unit of currency
    created_day: int
    begin_day: int
    close_day: int
    modified_day: int
    invoice_number: str = ""
    invoice_code: str = ""  # the counterparty code the invoice was written to


@dataclass(slots=True)
class Customer:
    index: int
    entity_id: str
    organisation: Organisation | None
    person: Person | None  # the private person, for a person customer
    city: str
    street: str
    house: int
    flat: int
    home_branch: str
    branches: tuple[str, ...]  # CRM portals holding the customer; () = 1C only
    in_onec: bool
    created_day: int
    deals: list[Deal] = field(default_factory=list)

    @property
    def is_organisation(self) -> bool:
        return self.organisation is not None

    @property
    def canonical_name(self) -> str:
        if self.organisation is not None:
            return self.organisation.canonical_name
        assert self.person is not None
        return self.person.full_name

    @property
    def iin_bin(self) -> str:
        if self.organisation is not None:
            return self.organisation.bin
        assert self.person is not None
        return self.person.iin

    @property
    def people(self) -> list[Person]:
        if self.organisation is not None:
            return self.organisation.contacts
        assert self.person is not None
        return [self.person]


def _cumulative(
    pairs: tuple[tuple[str, float], ...],
) -> tuple[tuple[str, ...], list[float]]:
    items, cum, total = [], [], 0.0
    for item, weight in pairs:
        total += weight
        items.append(item)
        cum.append(total)
    return tuple(items), cum


_FORMS, _FORM_CUM = _cumulative(mess.LEGAL_FORM_WEIGHTS)
_CITIES, _CITY_CUM = _cumulative(tuple((c, w) for c, w, _ in names.CITIES))
_CITY_BRANCH = {c: b for c, _, b in names.CITIES}
_MAIL_DOMAINS, _MAIL_CUM = _cumulative(names.PUBLIC_MAIL_DOMAINS)
_CLOSED, _CLOSED_CUM = _cumulative(CLOSED_STAGES)
_BIRTH_START = date(1955, 1, 1).toordinal()
_BIRTH_SPAN = date(2004, 12, 31).toordinal() - _BIRTH_START
# recent private persons, so that a new one can share a family number with them
_FAMILY_POOL_SIZE = 64


class WorldBuilder:
    """Draws true customers one at a time; keeps phones and mailboxes unique."""

    def __init__(self, seed: int) -> None:
        self.phone_book = PhoneBook(seed)
        self.used_emails: set[str] = set()
        self.used_domains: set[str] = set()
        self._family_pool: list[str] = []

    # --- people -------------------------------------------------------------------
    def person(
        self, rng: random.Random, entity_id: str, adult_before: int = 0
    ) -> Person:
        female = rng.random() < 0.5
        kazakh = rng.random() < mess.KAZAKH_NAME_SHARE
        if kazakh:
            first = pick(rng, names.KAZAKH_FEMALE if female else names.KAZAKH_MALE)
            father = pick(rng, names.KAZAKH_MALE)
            patronymic = names.kazakh_patronymic(father, female)
            last = pick(rng, names.KAZAKH_SURNAMES)
        else:
            first = pick(rng, names.RUSSIAN_FEMALE if female else names.RUSSIAN_MALE)
            patronymic = pick(rng, names.RUSSIAN_PATRONYMICS)[female]
            last = (
                pick(rng, names.INVARIANT_SURNAMES)
                if rng.random() < 0.06
                else pick(rng, names.RUSSIAN_SURNAMES)
            )
        if female:
            last = names.female_surname(last)
        birth = date.fromordinal(_BIRTH_START + below(rng, _BIRTH_SPAN))
        person = Person(
            entity_id=entity_id,
            female=female,
            kazakh=kazakh,
            first=first,
            patronymic=patronymic,
            last=last,
            birth=birth,
            iin=identifiers.make_iin(rng, birth, female),
            phone=self.phone_book.mobile(rng),
            email=""
            if rng.random() < 0.25
            else self._personal_email(rng, first, last, birth),
        )
        if rng.random() < mess.STALE_PHONE_RATE:
            person.stale_phone = self.phone_book.mobile(rng)
            person.phone_changed_day = -between(rng, 30, mess.HISTORY_DAYS)
            person.stale_recycled = rng.random() < mess.RECYCLED_PHONE_RATE
        return person

    def _personal_email(
        self, rng: random.Random, first: str, last: str, birth: date
    ) -> str:
        first_l = names.transliterate(names.flatten_kazakh(first)).lower()
        last_l = names.transliterate(names.flatten_kazakh(last)).lower()
        pattern = rng.random()
        if pattern < 0.35:
            local = f"{first_l}.{last_l}"
        elif pattern < 0.6:
            local = f"{last_l}{birth.year % 100:02d}"
        elif pattern < 0.8:
            local = f"{first_l[0]}.{last_l}"
        else:
            local = f"{first_l}_{last_l}{birth.day}"
        domain = weighted(rng, _MAIL_DOMAINS, _MAIL_CUM)
        email = f"{local}@{domain}"
        # two different people never share a personal mailbox by accident
        suffix = 1
        while email in self.used_emails:
            suffix += between(rng, 1, 9)
            email = f"{local}{suffix}@{domain}"
        self.used_emails.add(email)
        return email

    # --- organisations ---------------------------------------------------------
    def organisation(
        self, rng: random.Random, entity_id: str, city: str, created_day: int
    ) -> Organisation:
        form = weighted(rng, _FORMS, _FORM_CUM)
        registered = TODAY - timedelta(days=between(rng, -created_day + 30, 9000))
        if form == "ИП":
            owner = self.person(rng, f"{entity_id}-P1")
            stem = owner.full_name
            bin_ = owner.iin  # an ИП is registered under its owner's IIN
            owner.position = "Индивидуальный предприниматель"
            owner.organisation_id = entity_id
            contacts = [owner]
        else:
            stem = (
                pick(rng, names.COMPANY_STEM_FIRST)
                + pick(rng, ("", " ", "-"))
                + pick(rng, names.COMPANY_STEM_SECOND)
                + pick(rng, names.COMPANY_STEM_SUFFIX)
            )
            bin_ = identifiers.make_bin(rng, registered)
            contacts = []
        domain = ""
        if form != "ИП" and rng.random() < 0.55:
            domain = self._domain(rng, stem)
        if domain:
            mailboxes = {box: f"{box}@{domain}" for box in names.SHARED_MAILBOXES}
        else:
            base = names.transliterate(names.flatten_kazakh(stem)).lower()
            base = "".join(ch for ch in base if ch.isalnum()) or "firma"
            public = weighted(rng, _MAIL_DOMAINS, _MAIL_CUM)
            address = f"{base}_{form_latin(form)}@{public}"
            suffix = 0
            while address in self.used_emails:
                suffix += 1
                address = f"{base}_{form_latin(form)}{suffix}@{public}"
            self.used_emails.add(address)
            mailboxes = {
                "info": address,
                "buh": address,
                "office": address,
                "sales": address,
            }
        organisation = Organisation(
            entity_id=entity_id,
            form=form,
            stem=stem,
            bin=bin_,
            registered=registered,
            industry=pick(rng, names.INDUSTRIES),
            switchboard=self.phone_book.landline(rng, city),
            domain=domain,
            mailboxes=mailboxes,
            contacts=contacts,
        )
        if form != "ИП":
            low, high = mess.CONTACT_PERSONS_PER_ORGANISATION
            for number in range(1, inclusive(rng, low, high) + 1):
                contact = self.person(rng, f"{entity_id}-P{number}")
                contact.organisation_id = entity_id
                contact.position = pick(rng, names.POSITIONS)
                organisation.contacts.append(contact)
        for contact in organisation.contacts:
            contact.uses_switchboard = rng.random() < mess.SWITCHBOARD_PHONE_RATE
            if rng.random() < mess.SHARED_MAILBOX_RATE:
                box = (
                    "buh"
                    if "бухгалтер" in contact.position
                    else pick(rng, names.SHARED_MAILBOXES)
                )
                contact.shared_mailbox = mailboxes[box]
        return organisation

    def _domain(self, rng: random.Random, stem: str) -> str:
        base = names.transliterate(names.flatten_kazakh(stem)).lower()
        base = "".join(ch if ch.isalnum() else "-" for ch in base).strip("-")
        tld = pick(rng, (".kz", ".kz", ".kz", ".com"))
        domain = base + tld
        suffix = 0
        while domain in self.used_domains:
            suffix += 1
            domain = f"{base}{suffix}{tld}"
        self.used_domains.add(domain)
        return domain

    # --- customers ------------------------------------------------------------
    def customer(
        self,
        rng: random.Random,
        index: int,
        created_day: int | None = None,
        last_day: int = -1,
        max_deals: int = mess.DEALS_PER_CUSTOMER[1],
    ) -> Customer:
        """Customer number `index`: created at created_day (or some time in the past),
        with deals begun no later than last_day."""
        entity_id = f"C{index + 1:07d}"
        if created_day is None:
            created_day = -between(rng, 10, mess.HISTORY_DAYS + 400)
        city = weighted(rng, _CITIES, _CITY_CUM)
        organisation = person = None
        if rng.random() < mess.ORGANISATION_SHARE:
            organisation = self.organisation(rng, entity_id, city, created_day)
        else:
            person = self.person(rng, entity_id)
            # a family number: this person also gives out a relative's phone
            if self._family_pool and rng.random() < mess.FAMILY_PHONE_RATE:
                person.family_phone = pick(rng, self._family_pool)
            elif not person.stale_phone:
                if len(self._family_pool) >= _FAMILY_POOL_SIZE:
                    self._family_pool[below(rng, _FAMILY_POOL_SIZE)] = person.phone
                else:
                    self._family_pool.append(person.phone)
        home = _CITY_BRANCH[city]
        in_crm = rng.random() < mess.CRM_PRESENCE_RATE
        branches: tuple[str, ...] = ()
        if in_crm:
            spread = rng.random()
            if spread < mess.ALL_BRANCHES_RATE:
                branches = mess.BRANCHES
            elif spread < mess.MULTI_BRANCH_RATE:
                other = pick(rng, [b for b in mess.BRANCHES if b != home])
                branches = (home, other)
            else:
                branches = (home,)
        customer = Customer(
            index=index,
            entity_id=entity_id,
            organisation=organisation,
            person=person,
            city=city,
            street=pick(rng, names.STREETS),
            house=inclusive(rng, 1, 250),
            flat=inclusive(rng, 1, 180),
            home_branch=home,
            branches=branches,
            in_onec=(not in_crm) or rng.random() < _ONEC_GIVEN_CRM,
            created_day=created_day,
        )
        first_day = max(created_day, -mess.HISTORY_DAYS)
        customer.deals = [
            self.deal(rng, customer, first_day, last_day)
            for _ in range(inclusive(rng, mess.DEALS_PER_CUSTOMER[0], max_deals))
        ]
        return customer

    def deal(
        self, rng: random.Random, customer: Customer, first_day: int, last_day: int
    ) -> Deal:
        """One opportunity begun between first_day and last_day (inclusive)."""
        begin = inclusive(rng, min(first_day, last_day), last_day)
        branch = (
            pick(rng, customer.branches) if customer.branches else customer.home_branch
        )
        length = between(rng, 3, 90)
        close = begin + length
        # a deal whose close date has passed is mostly decided; a future one is open
        closed = close <= last_day and rng.random() < 0.9
        if closed:
            stage = weighted(rng, _CLOSED, _CLOSED_CUM)
        else:
            stage = pick(rng, OPEN_STAGES)
        currency, rate = "KZT", 1.0
        if rng.random() < mess.NON_KZT_DEAL_RATE:
            currency, rate = pick(rng, (("USD", 505.0), ("RUB", 6.2)))
        amount = int(rng.lognormvariate(12.5, 1.0)) // 100 * 100 + 100
        return Deal(
            branch=branch,
            title=pick(rng, DEAL_TITLES),
            stage=stage,
            amount_kzt=amount,
            currency=currency,
            rate=rate,
            created_day=begin,
            begin_day=begin,
            close_day=close,
            modified_day=min(
                close if closed else begin + between(rng, 0, 10), last_day
            ),
        )


# CRM-less customers are always in 1C; this keeps the overall 1C share at the rate
_ONEC_GIVEN_CRM = (
    mess.ONEC_PRESENCE_RATE - (1 - mess.CRM_PRESENCE_RATE)
) / mess.CRM_PRESENCE_RATE


def form_latin(form: str) -> str:
    return LEGAL_FORM_LATIN[form][1].lower()
