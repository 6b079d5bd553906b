"""Row accounting per source: every record read is either landed or rejected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class SourceTally:
    """Counts of records read, landed and rejected, per source table.

    Resources count as they yield, so the tally is exact even when the load
    fails half-way; `unbalanced()` proves that nothing was lost silently.
    """

    source: str
    read: Counter[str] = field(default_factory=Counter)
    landed: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    # landing files skipped because their content did not change since the last load
    unchanged_files: list[str] = field(default_factory=list)
    # tables with no export to read (table -> what was looked for), and tables whose
    # export held no record (table -> which export): reported, never silent
    absent_tables: dict[str, str] = field(default_factory=dict)
    empty_tables: dict[str, list[str]] = field(default_factory=dict)
    # fields a source sent beyond its contract, as landed column names, per table
    extra_fields: dict[str, set[str]] = field(default_factory=dict)

    def count_read(self, table: str, n: int = 1) -> None:
        self.read[table] += n

    def count_landed(self, table: str, n: int = 1) -> None:
        self.landed[table] += n

    def count_rejected(self, table: str, n: int = 1) -> None:
        self.rejected[table] += n

    def note_unchanged(self, file: str) -> None:
        self.unchanged_files.append(file)

    def note_absent(self, table: str, looked_for: str) -> None:
        self.absent_tables[table] = looked_for

    def note_empty(self, table: str, export: str) -> None:
        self.empty_tables.setdefault(table, []).append(export)

    def note_extra_fields(self, table: str, columns: set[str]) -> None:
        self.extra_fields.setdefault(table, set()).update(columns)

    @property
    def tables(self) -> list[str]:
        return sorted(set(self.read) | set(self.landed) | set(self.rejected))

    def unbalanced(self) -> dict[str, tuple[int, int, int]]:
        """Tables where read != landed + rejected, as (read, landed, rejected)."""
        return {
            table: (self.read[table], self.landed[table], self.rejected[table])
            for table in self.tables
            if self.read[table] != self.landed[table] + self.rejected[table]
        }

    @property
    def total_read(self) -> int:
        return sum(self.read.values())

    @property
    def total_landed(self) -> int:
        return sum(self.landed.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())
