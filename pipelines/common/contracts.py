"""Schema contracts at the door: a column that appears or disappears stops the load."""

from __future__ import annotations

from collections.abc import Iterable


class SchemaDriftError(RuntimeError):
    """A source's columns no longer match what the warehouse models expect."""

    def __init__(
        self, source: str, table: str, appeared: list[str], missing: list[str]
    ):
        self.source = source
        self.table = table
        self.appeared = appeared
        self.missing = missing
        parts = []
        if appeared:
            parts.append("new column(s) " + ", ".join(repr(c) for c in appeared))
        if missing:
            parts.append("missing column(s) " + ", ".join(repr(c) for c in missing))
        super().__init__(
            f"schema drift in source {source!r}, table {table!r}: {'; '.join(parts)}. "
            "The load was stopped so that nothing downstream reads a changed shape; "
            "update the source's expected columns (and the models that read them) "
            "if the change is intended."
        )


def check_columns(
    source: str,
    table: str,
    expected: Iterable[str],
    actual: Iterable[str],
    optional: Iterable[str] = (),
) -> None:
    """Raise SchemaDriftError unless `actual` holds every expected column and no other.

    `optional` columns may be absent (Bitrix24 omits empty multi-fields) but are
    not new when present.
    """
    expected_set = set(expected)
    optional_set = set(optional)
    actual_list = list(actual)
    actual_set = set(actual_list)
    appeared = [c for c in actual_list if c not in expected_set | optional_set]
    missing = [c for c in expected if c not in actual_set]
    if appeared or missing:
        raise SchemaDriftError(source, table, appeared, missing)
