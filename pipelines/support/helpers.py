"""Reading help-desk ticket exports (JSON lines): flattened tickets and rejects."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
from dlt.common.destination.exceptions import SqlClientNotAvailable
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from pipelines.common.contracts import check_columns
from pipelines.common.rejects import reject
from pipelines.common.tally import SourceTally, record_key
from pipelines.support.settings import (
    BATCH_ROWS,
    CURSOR,
    PRIMARY_KEY,
    PROGRESS_EVERY_ROWS,
    REQUESTER_KEYS,
    SOURCE_NAME,
    TABLE,
    TEXT_KEYS,
    TICKET_KEYS,
    TIMESTAMP_KEYS,
)

_REQUESTER_COLUMNS = tuple(f"requester.{key}" for key in REQUESTER_KEYS)


class BadTicket(ValueError):
    """A ticket whose values cannot be typed; the message is the reject reason."""


def _timestamp(ticket: dict[str, Any], key: str) -> datetime | None:
    value = ticket[key]
    if value is None and key != "updated_at":
        return None
    if not isinstance(value, str):
        raise BadTicket(f"{key} {value!r} is not an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadTicket(f"{key} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise BadTicket(f"{key} {value!r} has no time zone")
    return parsed


def flatten_ticket(ticket: dict[str, Any]) -> dict[str, Any]:
    """The landed row: requester flattened, values checked against the column types."""
    ticket_id = ticket["id"]
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise BadTicket(f"id {ticket_id!r} is not a whole number")
    row: dict[str, Any] = {"id": ticket_id}
    for key in TEXT_KEYS:
        value = ticket[key]
        if value is not None and not isinstance(value, str):
            raise BadTicket(f"{key} {value!r} is not text")
        row[key] = value
    requester = ticket["requester"] or {}
    for key in REQUESTER_KEYS:
        value = requester.get(key)
        if value is not None and not isinstance(value, str):
            raise BadTicket(f"requester.{key} {value!r} is not text")
        row[f"requester_{key}"] = value
    score = ticket["satisfaction_score"]
    if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
        raise BadTicket(f"satisfaction_score {score!r} is not a whole number")
    row["satisfaction_score"] = score
    tags = ticket["tags"]
    if tags is not None and not isinstance(tags, list):
        raise BadTicket(f"tags {tags!r} is not a list")
    row["tags"] = tags
    for key in TIMESTAMP_KEYS:
        row[key] = _timestamp(ticket, key)
    return row


def read_ticket_file(
    path: Path,
    relative_name: str,
    tally: SourceTally,
    progress: Callable[[str], None] | None,
) -> Iterator[Any]:
    """Tickets of one export in lists, and a reject for every bad line.

    Every object's keys (and its requester's) are checked against the contract
    before it is read; a key that appeared or disappeared raises SchemaDriftError.
    """
    batch: list[dict[str, Any]] = []
    read = 0
    tally.keyed_by(TABLE, PRIMARY_KEY)
    with path.open("rb") as stream:
        for line_no, raw in enumerate(stream, start=1):
            if not raw.strip():
                continue  # a blank line carries no ticket
            read += 1
            problem = None
            row = None
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                problem = "undecodable as UTF-8"
            else:
                try:
                    ticket = json.loads(text)
                except json.JSONDecodeError as error:
                    problem = f"malformed JSON: {error}"
                else:
                    if not isinstance(ticket, dict):
                        problem = "malformed JSON: not an object"
                    else:
                        check_columns(SOURCE_NAME, TABLE, TICKET_KEYS, ticket)
                        if isinstance(ticket["requester"], dict):
                            check_columns(
                                SOURCE_NAME,
                                TABLE,
                                _REQUESTER_COLUMNS,
                                (f"requester.{key}" for key in ticket["requester"]),
                            )
                        elif ticket["requester"] is not None:
                            problem = "requester is not an object"
                        if problem is None:
                            try:
                                row = flatten_ticket(ticket)
                            except BadTicket as error:
                                problem = str(error)
            tally.count_read(TABLE)
            if row is None:
                item = reject(
                    SOURCE_NAME,
                    TABLE,
                    problem or "unreadable",
                    _raw_line(raw),
                    file=relative_name,
                    line=line_no,
                )
                tally.count_rejected(TABLE, [item.data["reject_id"]])
                yield item
            else:
                tally.count_landed(TABLE, [record_key(row[PRIMARY_KEY])])
                batch.append(row)
                if len(batch) >= BATCH_ROWS:
                    yield batch
                    batch = []
            if progress and read % PROGRESS_EVERY_ROWS == 0:
                progress(f"{relative_name}: {read:,} tickets")
    if batch:
        yield batch
    if progress:
        progress(f"{relative_name}: {read:,} tickets read")


class LandedVersions:
    """The version (updated_at) of each ticket already in the destination table.

    A ticket exported again in an older version (a late copy of an earlier
    export) must not overwrite the newer one landed before, while a ticket
    that is new, or newer than its landed version, lands however old it is.
    dlt's merge has no "newer wins" against the destination, and a cursor on
    updated_at would also drop every new ticket older than the newest one, so
    each batch's tickets are looked up by id in the destination instead.
    """

    def __init__(self, pipeline: dlt.Pipeline) -> None:
        self.pipeline = pipeline

    def newer_only(self, batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The tickets of `batch` that are not older than their landed version."""
        landed = self._landed(batch)
        if not landed:
            return batch
        return [
            row
            for row in batch
            if row[PRIMARY_KEY] not in landed or row[CURSOR] >= landed[row[PRIMARY_KEY]]
        ]

    def _landed(self, batch: list[dict[str, Any]]) -> dict[int, datetime]:
        # ids are whole numbers (flatten_ticket checked), safe to write into the SQL
        ids = ", ".join(str(int(row[PRIMARY_KEY])) for row in batch)
        try:
            with self.pipeline.sql_client() as client:
                table = client.make_qualified_table_name(TABLE)
                rows = client.execute_sql(
                    f"select {PRIMARY_KEY}, {CURSOR} from {table} "
                    f"where {PRIMARY_KEY} in ({ids})"
                )
        except (DatabaseUndefinedRelation, SqlClientNotAvailable):
            # nothing landed yet, or a destination without SQL: nothing to compare
            return {}
        return {ticket_id: updated_at for ticket_id, updated_at in rows or ()}


def _raw_line(raw: bytes) -> str | bytes:
    line = raw.rstrip(b"\r\n")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line  # rejects keep undecodable bytes as latin-1
