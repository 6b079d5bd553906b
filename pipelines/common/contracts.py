"""Schema contracts at the door: a change that breaks what dbt reads stops the load."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


class SchemaDriftError(RuntimeError):
    """A source's columns no longer match what the warehouse models expect."""

    def __init__(
        self,
        source: str,
        table: str,
        appeared: list[str],
        missing: list[str],
        changed: Mapping[str, str] | None = None,
    ):
        self.source = source
        self.table = table
        self.appeared = appeared
        self.missing = missing
        self.changed = dict(changed or {})
        parts = []
        if appeared:
            parts.append("new column(s) " + ", ".join(repr(c) for c in appeared))
        if missing:
            parts.append("missing column(s) " + ", ".join(repr(c) for c in missing))
        if self.changed:
            parts.append(
                "column(s) that changed type: "
                + ", ".join(f"{c!r} ({how})" for c, how in self.changed.items())
            )
        super().__init__(
            f"schema drift in source {source!r}, table {table!r}: {'; '.join(parts)}. "
            "The load was stopped so that nothing downstream reads a changed shape; "
            "update the source's expected columns (and the models that read them) "
            "if the change is intended."
        )


def compare_columns(
    expected: Iterable[str], actual: Iterable[str], optional: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """(columns `actual` has beyond `expected`, expected columns it lacks).

    `optional` columns may be absent, and are not new when present.
    """
    expected_list = list(expected)
    known = set(expected_list) | set(optional)
    actual_list = list(actual)
    actual_set = set(actual_list)
    appeared = [c for c in actual_list if c not in known]
    missing = [c for c in expected_list if c not in actual_set]
    return appeared, missing


def check_columns(
    source: str,
    table: str,
    expected: Iterable[str],
    actual: Iterable[str],
    optional: Iterable[str] = (),
) -> None:
    """Raise SchemaDriftError unless `actual` holds every expected column and no other.

    `optional` columns may be absent (an older 1C configuration does not export
    them) but are not new when present.
    """
    appeared, missing = compare_columns(expected, actual, optional)
    if appeared or missing:
        raise SchemaDriftError(source, table, appeared, missing)
