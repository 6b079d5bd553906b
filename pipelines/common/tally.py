"""Row accounting per source: every record read is unchanged, landed or rejected."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

# joins the values of a composite primary key into one text key, as the warehouse
# check rebuilds it from the landed columns (concat_ws with the same character)
KEY_SEPARATOR = "\x1f"


def record_key(*values: object) -> str:
    """A record's primary key as one text value: ('almaty', 7) -> 'almaty\\x1f7'."""
    return KEY_SEPARATOR.join(str(value) for value in values)


@dataclass
class SourceTally:
    """Counts of records read, unchanged, landed and rejected, per source table.

    Resources count as they yield, so the tally is exact even when the load
    fails half-way; `unbalanced()` proves that nothing was lost on the way to
    dlt. Each record counted as landed or rejected is counted by its key, so
    that the runner can also prove, after the load, that it is in the warehouse.
    """

    source: str
    read: Counter[str] = field(default_factory=Counter)
    # records read whose content is the landed row's (by content hash): not
    # handed to dlt, the warehouse already holds them as they are
    unchanged: Counter[str] = field(default_factory=Counter)
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
    # the primary key columns of each table, and the key of every record counted
    # as landed (`record_key`), and of every reject (its reject_id), per table
    key_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    landed_keys: dict[str, list[str]] = field(default_factory=dict)
    reject_ids: dict[str, list[str]] = field(default_factory=dict)
    # parts of the source that could not be landed (a file, a CRM portal) -> why;
    # the rest of the source is landed, and whoever runs it reports these
    failures: dict[str, str] = field(default_factory=dict)

    def count_read(self, table: str, n: int = 1) -> None:
        self.read[table] += n

    def keyed_by(self, table: str, *columns: str) -> None:
        """Declare `table`'s primary key columns, in the order `record_key` joins."""
        self.key_columns[table] = columns

    def count_unchanged(self, table: str, n: int) -> None:
        """Count records of `table` read but not handed to dlt: already landed."""
        self.unchanged[table] += n

    def count_landed(self, table: str, keys: Sequence[str]) -> None:
        """Count records handed to dlt for `table`, by their `record_key`."""
        self.landed[table] += len(keys)
        self.landed_keys.setdefault(table, []).extend(keys)

    def count_rejected(self, table: str, reject_ids: Sequence[str]) -> None:
        """Count records of `table` handed to dlt as rejects, by their reject_id."""
        self.rejected[table] += len(reject_ids)
        self.reject_ids.setdefault(table, []).extend(reject_ids)

    def note_unchanged(self, file: str) -> None:
        self.unchanged_files.append(file)

    def note_absent(self, table: str, looked_for: str) -> None:
        self.absent_tables[table] = looked_for

    def note_empty(self, table: str, export: str) -> None:
        self.empty_tables.setdefault(table, []).append(export)

    def note_extra_fields(self, table: str, columns: set[str]) -> None:
        self.extra_fields.setdefault(table, set()).update(columns)

    def note_failure(self, part: str, why: str) -> None:
        self.failures[part] = why

    @property
    def tables(self) -> list[str]:
        return sorted(
            set(self.read) | set(self.unchanged) | set(self.landed) | set(self.rejected)
        )

    def unbalanced(self) -> dict[str, tuple[int, int, int, int]]:
        """Tables where read != unchanged + landed + rejected, as
        (read, unchanged, landed, rejected)."""
        return {
            table: (
                self.read[table],
                self.unchanged[table],
                self.landed[table],
                self.rejected[table],
            )
            for table in self.tables
            if self.read[table]
            != self.unchanged[table] + self.landed[table] + self.rejected[table]
        }

    @property
    def total_read(self) -> int:
        return sum(self.read.values())

    @property
    def total_unchanged(self) -> int:
        return sum(self.unchanged.values())

    @property
    def total_landed(self) -> int:
        return sum(self.landed.values())

    @property
    def total_rejected(self) -> int:
        return sum(self.rejected.values())
