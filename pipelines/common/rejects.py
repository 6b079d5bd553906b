"""Rejected records: kept with their raw content and the reason, never dropped."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import dlt
from dlt.extract.items import DataItemWithMeta

REJECTS_TABLE = "rejects"

REJECTS_COLUMNS = {
    "reject_id": {"data_type": "text", "nullable": False},
    "source": {"data_type": "text", "nullable": False},
    "source_table": {"data_type": "text", "nullable": False},
    "file": {"data_type": "text", "nullable": True},
    "line": {"data_type": "bigint", "nullable": True},
    "page": {"data_type": "bigint", "nullable": True},
    "raw": {"data_type": "text", "nullable": False},
    "reason": {"data_type": "text", "nullable": False},
    "rejected_at": {"data_type": "timestamp", "nullable": False},
}

_REJECTS_HINTS = dlt.mark.make_hints(
    table_name=REJECTS_TABLE,
    write_disposition="merge",
    primary_key="reject_id",
    columns=REJECTS_COLUMNS,
    schema_contract={"tables": "evolve", "columns": "freeze", "data_type": "freeze"},
)


def reject_id(
    source: str, file: str | None, line: int | None, page: int | None, raw: str
) -> str:
    """Same bad record read again ⇒ same id, so re-loading does not add a row."""
    key = "\x1f".join([source, file or "", str(line or ""), str(page or ""), raw])
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def reject_row(
    source: str,
    source_table: str,
    reason: str,
    raw: str | bytes,
    file: str | None = None,
    line: int | None = None,
    page: int | None = None,
) -> dict:
    """One row of the `rejects` table."""
    if isinstance(raw, bytes):
        # latin-1 maps every byte, so an undecodable line is kept exactly
        raw = raw.decode("latin-1")
    return {
        "reject_id": reject_id(source, file, line, page, raw),
        "source": source,
        "source_table": source_table,
        "file": file,
        "line": line,
        "page": page,
        "raw": raw,
        "reason": reason,
        "rejected_at": datetime.now(UTC),
    }


def reject(
    source: str,
    source_table: str,
    reason: str,
    raw: str | bytes,
    file: str | None = None,
    line: int | None = None,
    page: int | None = None,
) -> DataItemWithMeta:
    """An item any resource can yield; it lands in `rejects`, not the resource's table.

    A resource with `dlt.sources.incremental` must set
    `on_cursor_value_missing="include"` so that rejects (which have no cursor)
    pass the incremental filter.
    """
    row = reject_row(source, source_table, reason, raw, file, line, page)
    return dlt.mark.with_hints(row, _REJECTS_HINTS, create_table_variant=True)
