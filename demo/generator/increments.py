"""What each increment day after the base changes, planned before the base."""

from __future__ import annotations

import random
from dataclasses import dataclass

from demo.generator import mess


@dataclass(frozen=True)
class DayPlan:
    """Increment number `number` (1-based); its events happen on day `number - 1`."""

    number: int
    crm_changes: tuple[int, ...]  # base customer indices whose CRM record is edited
    onec_changes: tuple[int, ...]  # ... whose 1C counterparty is edited
    new_deals: tuple[int, ...]  # ... who open a new deal
    callers: tuple[int, ...]  # ... who call or are called
    requesters: tuple[int, ...]  # ... who write a new ticket
    late_updates: tuple[int, ...]  # ... whose latest ticket changes late
    new_customers: int

    @property
    def day(self) -> int:
        return self.number - 1


def _sample(rng: random.Random, population: int, rate: float) -> tuple[int, ...]:
    # at least one per day even for tiny worlds, so every increment changes something
    count = min(population, max(1, round(population * rate)))
    return tuple(sorted(rng.sample(range(population), count)))


def plan_day(seed: int, customers: int, number: int) -> DayPlan:
    """Depends only on (seed, customers, number): day 1 is the same whatever K is."""
    rng = random.Random(f"{seed}:increment:{number}")
    return DayPlan(
        number=number,
        crm_changes=_sample(rng, customers, mess.DAILY_CRM_CHANGE_RATE),
        onec_changes=_sample(rng, customers, mess.DAILY_ONEC_CHANGE_RATE),
        new_deals=_sample(rng, customers, mess.DAILY_NEW_DEAL_RATE),
        callers=_sample(rng, customers, mess.CALLS_PER_CUSTOMER / mess.HISTORY_DAYS),
        requesters=_sample(
            rng, customers, mess.TICKETS_PER_CUSTOMER / mess.HISTORY_DAYS
        ),
        late_updates=_sample(rng, customers, mess.DAILY_LATE_TICKET_UPDATE_RATE),
        new_customers=max(1, round(customers * mess.DAILY_NEW_CUSTOMER_RATE)),
    )


class IncrementPlan:
    """All days' plans, indexed by customer for the base pass."""

    def __init__(self, seed: int, customers: int, increments: int) -> None:
        self.seed = seed
        self.days = [
            plan_day(seed, customers, number) for number in range(1, increments + 1)
        ]
        self.crm_changes: dict[int, list[int]] = {}
        self.onec_changes: dict[int, list[int]] = {}
        self.remembered: set[int] = set()
        for plan in self.days:
            for index in plan.crm_changes:
                self.crm_changes.setdefault(index, []).append(plan.day)
            for index in plan.onec_changes:
                self.onec_changes.setdefault(index, []).append(plan.day)
            self.remembered.update(
                plan.new_deals, plan.callers, plan.requesters, plan.late_updates
            )

    def changes(
        self, table: dict[int, list[int]], index: int, system: str
    ) -> list[tuple[int, random.Random]]:
        """(day, rng) for each planned edit; each edit has its own generator, so editing
        never shifts the random stream the base records are drawn from."""
        days = table.get(index)
        if not days:
            return []
        return [
            (day, random.Random(f"{self.seed}:{system}:{day}:{index}")) for day in days
        ]
