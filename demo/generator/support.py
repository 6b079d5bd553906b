"""Help-desk ticket exports (JSON lines), late updates included."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from demo.generator import mess, names
from demo.generator.clock import day_date, day_of, utc_iso
from demo.generator.draws import below, between, inclusive, pick
from demo.generator.ground_truth import GroundTruthWriter
from demo.generator.phones import international, typed
from demo.generator.report import Tally
from demo.generator.world import Customer, Person

SUBJECTS = (
    ("Не пришла накладная", ["invoice"]),
    ("Ошибка в счёте", ["invoice"]),
    ("Прошу выслать акт сверки", ["accounting"]),
    ("Задержка доставки", ["delivery"]),
    ("Не работает оборудование", ["repair"]),
    ("Вопрос по оплате", ["payment"]),
    ("Возврат товара", ["return"]),
    ("Изменить реквизиты", ["accounting"]),
    ("Консультация по продукту", ["question"]),
    ("Жалоба на менеджера", ["complaint"]),
    ("Не могу войти в личный кабинет", ["account"]),
    ("Продление договора", ["contract"]),
)
DESCRIPTIONS = (
    "Добрый день! Прошу разобраться.",
    "Здравствуйте, уже третий раз пишу по этому вопросу.",
    "Срочно, пожалуйста.",
    "Подробности во вложении.",
    "Перезвоните мне, пожалуйста.",
)
CHANNELS = ("email", "email", "web", "phone")
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")


def _quarter_ends(first_day: int, last_day: int) -> list[int]:
    """The last day of each quarter, and last_day for the open quarter."""
    ends = []
    year, quarter_month = day_date(first_day).year, 3
    while True:
        end_month = quarter_month
        next_first = date(year + (end_month == 12), end_month % 12 + 1, 1)
        end = day_of(next_first) - 1
        if end >= first_day:
            ends.append(min(end, last_day))
        if end >= last_day:
            return ends
        quarter_month += 3
        if quarter_month > 12:
            quarter_month, year = 3, year + 1


# base exports: one file per quarter, named for the last day it covers, so that the
# names sort in time order together with the daily increment exports
BASE_EXPORT_ENDS = _quarter_ends(-mess.HISTORY_DAYS - 1, -1)


@dataclass
class TicketState:
    """The newest exported version of a ticket, for an increment to update late."""

    ticket: dict
    updated_day: int


class TicketWriter:
    corruption = None  # a corruption.Corruptor when a harsher profile is chosen

    def __init__(
        self, landing_dir: Path, truth: GroundTruthWriter, tally: Tally
    ) -> None:
        self.folder = landing_dir / "support"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.truth = truth
        self.tally = tally
        self._files: dict[int, object] = {}
        self.rows: dict[str, int] = {}
        self._next_id = 10_001

    def _export(self, end_day: int, ticket: dict) -> None:
        handle = self._files.get(end_day)
        name = f"tickets-{day_date(end_day).isoformat()}.jsonl"
        if handle is None:
            handle = self._files[end_day] = (self.folder / name).open(
                "w", encoding="utf-8", newline="\n"
            )
            self.rows[name] = 0
        handle.write(json.dumps(ticket, ensure_ascii=False) + "\n")  # type: ignore[attr-defined]
        self.rows[name] += 1

    def open_export(self, end_day: int) -> None:
        """Make sure an export file exists even on a day without tickets."""
        if end_day not in self._files:
            name = f"tickets-{day_date(end_day).isoformat()}.jsonl"
            self._files[end_day] = (self.folder / name).open(
                "w", encoding="utf-8", newline="\n"
            )
            self.rows[name] = 0

    def _requester(
        self, rng: random.Random, customer: Customer, person: Person, day: int
    ) -> dict:
        name: str | None = f"{person.first} {person.last}"
        if rng.random() < mess.LATIN_SPELLING_RATE:
            name = names.transliterate(name)
        if rng.random() < 0.1:
            name = None
        email = person.shared_mailbox or person.email
        if not email and customer.organisation is not None:
            email = customer.organisation.mailboxes["info"]
        phone_number = person.phone_on(day)
        return {
            "name": name,
            "email": email or None,
            "phone": (
                typed(rng, phone_number)
                if rng.random() < 0.5
                else international(phone_number)
            )
            if rng.random() < 0.6
            else None,
        }

    def new_ticket(
        self,
        rng: random.Random,
        requester: dict,
        entity_id: str,
        day: int,
        last_day: int,
        exports: list[int],
    ) -> TicketState:
        """A ticket created on `day`, in each export (to last_day) it changed in."""
        subject, tags = pick(rng, SUBJECTS)
        ticket_id = self._next_id
        self._next_id += 1
        if entity_id and self.corruption is not None:
            self.corruption.requester(ticket_id, requester)
        created_seconds = between(rng, 3 * 3600, 21 * 3600)
        updated = min(day + between(rng, 0, 6), last_day)
        if updated == day:
            updated_seconds = created_seconds + between(rng, 600, 7200)
        else:
            updated_seconds = between(rng, 3 * 3600, 22 * 3600)
        age = last_day - day
        if age > 14:
            status = pick(rng, ("solved", "closed", "closed"))
        else:
            status = pick(rng, ("new", "open", "pending", "solved"))
        ticket = {
            "id": ticket_id,
            "subject": subject,
            "description": pick(rng, DESCRIPTIONS),
            "status": status,
            "priority": pick(rng, PRIORITIES),
            "channel": pick(rng, CHANNELS),
            "requester": requester,
            "satisfaction_score": inclusive(rng, 1, 5)
            if status in ("solved", "closed") and rng.random() < 0.5
            else None,
            "tags": list(tags),
            "created_at": utc_iso(day, created_seconds),
            "updated_at": utc_iso(updated, updated_seconds),
        }
        self.truth.record("support", "tickets", str(ticket_id), "person", entity_id)
        export = next(end for end in exports if end >= updated)
        self._export(export, ticket)
        state = TicketState(ticket, updated)
        late = rng.random() < mess.LATE_UPDATE_RATE
        self.tally.count("ticket_late_update", late)
        if late:
            # a later export repeats it: closed at last, reopened, or rated afterwards
            later = [end for end in exports if end > export]
            if later:
                late_export = pick(rng, later)
                late_day = inclusive(rng, max(export + 1, updated + 1), late_export)
                self.late_update(rng, state, late_day, late_export)
        return state

    def late_update(
        self, rng: random.Random, state: TicketState, day: int, export_end: int
    ) -> None:
        ticket = dict(state.ticket)
        ticket["status"] = pick(rng, ("closed", "closed", "open", "solved"))
        if ticket["satisfaction_score"] is None and ticket["status"] != "open":
            ticket["satisfaction_score"] = inclusive(rng, 1, 5)
        ticket["updated_at"] = utc_iso(day, between(rng, 6 * 3600, 23 * 3600))
        state.ticket, state.updated_day = ticket, day
        self._export(export_end, ticket)

    def customer_tickets(
        self,
        rng: random.Random,
        customer: Customer,
        first_day: int,
        last_day: int,
        exports: list[int],
        count: int,
    ) -> list[TicketState]:
        """`count` tickets by the customer's people (now and then by a stranger)."""
        states = []
        first_day = max(first_day, min(customer.created_day, last_day))
        for _ in range(count):
            day = inclusive(rng, first_day, last_day)
            if rng.random() < mess.UNKNOWN_REQUESTER_RATE:
                mailbox = (
                    f"client{below(rng, 10**6)}@{pick(rng, ('mail.ru', 'gmail.com'))}"
                )
                requester = {"name": None, "email": mailbox, "phone": None}
                self.tally.count("unknown_requester", True)
                self.new_ticket(rng, requester, "", day, last_day, exports)
                continue
            self.tally.count("unknown_requester", False)
            person = pick(rng, customer.people)
            requester = self._requester(rng, customer, person, day)
            states.append(
                self.new_ticket(
                    rng, requester, person.entity_id, day, last_day, exports
                )
            )
        return states

    def file_rows(self) -> dict[str, int]:
        return {f"support/{name}": rows for name, rows in self.rows.items()}

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()  # type: ignore[attr-defined]


def ticket_count(rng: random.Random, mean: float) -> int:
    """0 to 3 tickets, with probabilities that give `mean` (for means up to 1.3)."""
    r = rng.random()
    # P(>=1) + P(>=2) + P(>=3) = mean * (0.75 + 0.2 + 0.05) = mean
    if r > mean * 0.75:
        return 0
    if r > mean * 0.2:
        return 1
    return 2 if r > mean * 0.05 else 3
