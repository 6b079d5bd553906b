"""What a generation run wrote: rows per file and the mess rates it produced."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class Tally:
    """How often each documented kind of mess happened, out of how many chances."""

    def __init__(self) -> None:
        self.hits: Counter[str] = Counter()
        self.chances: Counter[str] = Counter()

    def count(self, name: str, hit: bool) -> None:
        self.chances[name] += 1
        if hit:
            self.hits[name] += 1

    def rate(self, name: str) -> float:
        chances = self.chances[name]
        return self.hits[name] / chances if chances else 0.0


@dataclass
class MessRate:
    name: str
    documented: float
    measured: float
    out_of: int


@dataclass
class GenerationReport:
    customers: int
    seed: int
    increments: int
    profile: str = "default"
    seconds: float = 0.0
    rows_per_file: dict[str, int] = field(default_factory=dict)
    mess_rates: list[MessRate] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows_per_file.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0

    def format(self) -> str:
        lines = [
            f"generated {self.customers:,} customers (seed {self.seed}, "
            f"{self.increments} increments"
            + (f", profile {self.profile}" if self.profile != "default" else "")
            + f") in {self.seconds:.1f} s: "
            f"{self.total_rows:,} rows, {self.rows_per_second:,.0f} rows/s",
            "",
            "rows per file:",
        ]
        width = max((len(name) for name in self.rows_per_file), default=0)
        for name, rows in sorted(self.rows_per_file.items()):
            lines.append(f"  {name:<{width}}  {rows:>10,}")
        lines += ["", "mess rates (documented → measured, out of):"]
        width = max((len(rate.name) for rate in self.mess_rates), default=0)
        for rate in self.mess_rates:
            lines.append(
                f"  {rate.name:<{width}}  {rate.documented:6.1%} → "
                f"{rate.measured:6.1%}  ({rate.out_of:,})"
            )
        return "\n".join(lines)
