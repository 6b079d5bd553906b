"""One generation run: the base world customer by customer, then each increment day."""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from demo.generator import corruption, mess
from demo.generator.crm import BranchFootprint, CrmWriter
from demo.generator.ground_truth import GroundTruthWriter
from demo.generator.increments import DayPlan, IncrementPlan
from demo.generator.onec import OnecFootprint, OnecWriter
from demo.generator.report import GenerationReport, MessRate, Tally
from demo.generator.support import (
    BASE_EXPORT_ENDS,
    TicketState,
    TicketWriter,
    ticket_count,
)
from demo.generator.telephony import CdrWriter, poisson_small
from demo.generator.world import Customer, WorldBuilder

MAX_CUSTOMERS = 10_000_000
LANDING_FOLDERS = ("crm", "onec", "telephony", "support")
GROUND_TRUTH_FILES = ("entities.csv", "source_records.csv")

# (report name, documented rate, tally name)
MEASURED_RATES = (
    ("organisations", mess.ORGANISATION_SHARE, "organisation"),
    ("customers in 2+ CRM portals", mess.MULTI_BRANCH_RATE, "multi_branch"),
    ("customers in 1C", mess.ONEC_PRESENCE_RATE, "in_onec"),
    ("CRM duplicate records", mess.CRM_DUPLICATE_RATE, "crm_duplicate_record"),
    (
        "1C duplicate counterparties",
        mess.ONEC_DUPLICATE_RATE,
        "onec_duplicate_counterparty",
    ),
    ("CRM names in Latin", mess.LATIN_SPELLING_RATE, "crm_latin_spelling"),
    ("1C names in Latin", mess.LATIN_SPELLING_RATE, "onec_latin_spelling"),
    (
        "organisation titles in Latin",
        dict(mess.ORGANISATION_TITLE_STYLE_WEIGHTS)["latin"],
        "organisation_title_latin",
    ),
    (
        "Kazakh letters flattened",
        mess.KAZAKH_LETTERS_FLATTENED_RATE,
        "kazakh_letters_flattened",
    ),
    ("name typos", mess.TYPO_RATE, "name_typo"),
    ("CRM IIN/BIN empty", mess.MISSING_CRM_IIN_BIN_RATE, "crm_iin_bin_missing"),
    ("1C БИН_ИИН empty", mess.MISSING_ONEC_IIN_BIN_RATE, "onec_iin_bin_missing"),
    ("filled IIN/BIN failing checksum", mess.INVALID_IIN_BIN_RATE, "iin_bin_invalid"),
    ("CRM records without phone", mess.MISSING_PHONE_RATE, "crm_missing_phone"),
    ("persons with a stale phone", mess.STALE_PHONE_RATE, "stale_phone"),
    (
        "1C invoices with an impossible date",
        mess.IMPOSSIBLE_INVOICE_DATE_RATE,
        "impossible_invoice_date",
    ),
    ("private persons on a family phone", mess.FAMILY_PHONE_RATE, "family_phone"),
    ("contacts on the switchboard", mess.SWITCHBOARD_PHONE_RATE, "switchboard_phone"),
    ("contacts on a shared mailbox", mess.SHARED_MAILBOX_RATE, "shared_mailbox"),
    ("calls from unknown numbers", mess.UNKNOWN_CALLER_RATE, "unknown_caller"),
    ("tickets from non-customers", mess.UNKNOWN_REQUESTER_RATE, "unknown_requester"),
    ("tickets updated late", mess.LATE_UPDATE_RATE, "ticket_late_update"),
)


@dataclass
class _Remembered:
    """What an increment needs of a base customer: the truth and where it landed."""

    customer: Customer
    crm: dict[str, BranchFootprint]
    onec: OnecFootprint
    tickets: list[TicketState] = field(default_factory=list)


def _clear(landing_dir: Path, ground_truth_dir: Path) -> None:
    # replace our own output only: the landing folder may hold other things
    for name in LANDING_FOLDERS:
        shutil.rmtree(landing_dir / name, ignore_errors=True)
    for name in GROUND_TRUTH_FILES:
        (ground_truth_dir / name).unlink(missing_ok=True)


def _tally_customer(tally: Tally, customer: Customer) -> None:
    tally.count("organisation", customer.is_organisation)
    if customer.branches:
        tally.count("multi_branch", len(customer.branches) > 1)
    tally.count("in_onec", customer.in_onec)
    for person in customer.people:
        tally.count("stale_phone", bool(person.stale_phone))
        if customer.is_organisation:
            tally.count("switchboard_phone", person.uses_switchboard)
            tally.count("shared_mailbox", bool(person.shared_mailbox))
        else:
            tally.count("family_phone", bool(person.family_phone))


def generate(
    landing_dir: Path,
    ground_truth_dir: Path,
    customers: int,
    seed: int = 42,
    increments: int = 0,
    progress: Callable[[str], None] | None = None,
    profile: str = "default",
) -> GenerationReport:
    """Write one company's source data: `customers` customers, `increments` days on.

    `profile` "harsh" corrupts the person and organisation records further
    (corruption.py); "default" writes exactly what the writers type.
    """
    if not 1 <= customers <= MAX_CUSTOMERS:
        raise ValueError(
            f"customers must be between 1 and {MAX_CUSTOMERS:,}, got {customers:,}"
        )
    if increments < 0:
        raise ValueError(f"increments must be 0 or more, got {increments}")
    tally = Tally()
    corruptor = corruption.corruptor_for(profile, seed, tally)  # checks the name
    started = time.perf_counter()
    landing_dir, ground_truth_dir = Path(landing_dir), Path(ground_truth_dir)
    _clear(landing_dir, ground_truth_dir)
    truth = GroundTruthWriter(ground_truth_dir)
    world = WorldBuilder(seed)
    crm = CrmWriter(landing_dir, truth, tally)
    onec = OnecWriter(landing_dir, truth, tally)
    cdr = CdrWriter(landing_dir, truth, tally, world.phone_book)
    tickets = TicketWriter(landing_dir, truth, tally)
    crm.corruption = onec.corruption = cdr.corruption = corruptor
    tickets.corruption = corruptor
    plan = IncrementPlan(seed, customers, increments)
    remembered: dict[int, _Remembered] = {}

    rng = random.Random(seed)
    step = max(1, customers // 10)
    for index in range(customers):
        customer = world.customer(rng, index)
        truth.customer(customer)
        _tally_customer(tally, customer)
        # 1C first: it numbers the invoices that CRM deals point at
        onec_footprint = onec.add_customer(
            rng, customer, -1, plan.changes(plan.onec_changes, index, "onec")
        )
        crm_footprint = crm.add_customer(
            rng, customer, plan.changes(plan.crm_changes, index, "crm")
        )
        cdr.customer_calls(
            rng,
            customer,
            -mess.HISTORY_DAYS,
            -1,
            poisson_small(rng, mess.CALLS_PER_CUSTOMER),
        )
        states = tickets.customer_tickets(
            rng,
            customer,
            -mess.HISTORY_DAYS,
            -1,
            BASE_EXPORT_ENDS,
            ticket_count(rng, mess.TICKETS_PER_CUSTOMER),
        )
        if index in plan.remembered:
            remembered[index] = _Remembered(
                customer, crm_footprint, onec_footprint, states
            )
        if progress and (index + 1) % step == 0:
            progress(
                f"{index + 1:,} of {customers:,} customers "
                f"({(index + 1) * 100 // customers}%)"
            )

    next_index = customers
    for day_plan in plan.days:
        day = day_plan.day
        day_rng = random.Random(f"{seed}:day:{day_plan.number}")
        crm.last_day = day
        tickets.open_export(day)
        for _ in range(day_plan.new_customers):
            customer = world.customer(
                day_rng, next_index, created_day=day, last_day=day, max_deals=2
            )
            next_index += 1
            truth.customer(customer)
            onec.add_customer(day_rng, customer, day)
            crm.add_customer(day_rng, customer)
            cdr.customer_calls(day_rng, customer, day, day, poisson_small(day_rng, 0.3))
            tickets.customer_tickets(
                day_rng, customer, day, day, [day], ticket_count(day_rng, 0.1)
            )
        for index in day_plan.new_deals:
            known = remembered[index]
            deal = world.deal(day_rng, known.customer, day, day)
            if day_rng.random() < 0.3:
                # a quick sale: won the same day, so 1C documents follow at once
                deal.stage, deal.close_day, deal.modified_day = "WON", day, day
            onec.add_documents(day_rng, known.customer, deal, known.onec, day)
            if deal.branch in known.crm:
                crm.add_deal(day_rng, known.customer, deal, known.crm[deal.branch])
        for index in day_plan.callers:
            cdr.customer_calls(day_rng, remembered[index].customer, day, day, 1)
        for index in day_plan.requesters:
            known = remembered[index]
            known.tickets += tickets.customer_tickets(
                day_rng, known.customer, day, day, [day], 1
            )
        for index in day_plan.late_updates:
            states = _earlier_tickets(remembered, day_plan, index, day)
            if states:
                tickets.late_update(day_rng, day_rng.choice(states), day, day)
        if progress:
            progress(f"increment {day_plan.number} of {increments} written")

    crm.close()
    onec.close()
    cdr.close()
    tickets.close()
    truth.close()
    report = GenerationReport(
        customers=customers, seed=seed, increments=increments, profile=profile
    )
    report.rows_per_file.update(crm.rows())
    report.rows_per_file.update(onec.file_rows())
    report.rows_per_file.update(cdr.file_rows())
    report.rows_per_file.update(tickets.file_rows())
    report.rows_per_file["ground_truth/entities.csv"] = truth.entity_rows
    report.rows_per_file["ground_truth/source_records.csv"] = truth.record_rows
    report.mess_rates = [
        MessRate(name, documented, tally.rate(key), tally.chances[key])
        for name, documented, key in MEASURED_RATES
    ]
    if corruptor is not None:
        report.mess_rates += [
            MessRate(name, documented, tally.rate(key), tally.chances[key])
            for name, documented, key in corruption.MEASURED_RATES
        ]
    report.seconds = time.perf_counter() - started
    return report


def _earlier_tickets(
    remembered: dict[int, _Remembered], day_plan: DayPlan, planned: int, day: int
) -> list:
    """The planned customer's older tickets, or those of another customer of the day.

    A customer drawn for a late update may have no ticket at all; handing the
    update to another customer in the same day's plan keeps every day's export
    repeating an old ticket, and depends only on that day's plan, so day 1 is
    the same whatever the number of increments.
    """
    candidates = (planned, *day_plan.late_updates, *day_plan.requesters)
    candidates += (*day_plan.callers, *day_plan.new_deals)
    for key in candidates:
        states = [s for s in remembered[key].tickets if s.updated_day < day]
        if states:
            return states
    return []
