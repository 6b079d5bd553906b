"""Reading 1C CSV exports (windows-1251, decimal comma); bad lines become rejects."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pipelines.common.contracts import check_columns
from pipelines.common.landed_content import CONTENT_HASH, LandedContent, values_hash
from pipelines.common.landing_files import (
    ENCODING_LABELS,
    CsvRecord,
    read_csv_records,
)
from pipelines.common.rejects import reject
from pipelines.common.tally import SourceTally
from pipelines.onec.settings import (
    AMOUNT,
    BATCH_ROWS,
    DATE,
    DELIMITER,
    ENCODING,
    ENCODING_LABEL,
    LOCAL_TIMEZONE,
    PROGRESS_EVERY_ROWS,
    SOURCE_NAME,
    TIMESTAMP,
    ExportFile,
)

_DATE = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{4})")
_DATE_TIME = re.compile(
    r"([0-9]{2})\.([0-9]{2})\.([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2})"
)
# spaces (ordinary or non-breaking) may group thousands; a dot is not a decimal mark
# here, so '1.234' is rejected rather than guessed
_AMOUNT = re.compile(r"-?[0-9]{1,16}(?:,[0-9]{1,2})?")
_THOUSANDS = str.maketrans("", "", " \u00a0\u202f")


class BadValue(ValueError):
    """A field that cannot be typed; the message is the reject reason."""


def parse_amount(text: str, header: str) -> Decimal | None:
    if not text:
        return None
    compact = text.translate(_THOUSANDS)
    if not _AMOUNT.fullmatch(compact):
        raise BadValue(f"amount {text!r} in {header}")
    return Decimal(compact.replace(",", "."))


# dates repeat across millions of documents; parsing each distinct one once is
# most of the speed of a 1C load
_date_cache: dict[str, date] = {}


def parse_date(text: str, header: str) -> date | None:
    if not text:
        return None
    parsed = _date_cache.get(text)
    if parsed is not None:
        return parsed
    match = _DATE.fullmatch(text)
    if not match:
        raise BadValue(f"date {text!r} in {header} is not dd.mm.yyyy")
    day, month, year = map(int, match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError:
        raise BadValue(f"impossible date {text} in {header}") from None
    if len(_date_cache) < 100_000:
        _date_cache[text] = parsed
    return parsed


def parse_timestamp(text: str, header: str) -> datetime | None:
    if not text:
        return None
    match = _DATE_TIME.fullmatch(text)
    if not match:
        raise BadValue(f"date-time {text!r} in {header} is not dd.mm.yyyy HH:MM:SS")
    day, month, year, hour, minute, second = map(int, match.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_TIMEZONE)
    except ValueError:
        raise BadValue(f"impossible date-time {text} in {header}") from None


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    DATE: parse_date,
    TIMESTAMP: parse_timestamp,
    AMOUNT: parse_amount,
}


def read_export(
    path: Path,
    relative_name: str,
    export: ExportFile,
    tally: SourceTally,
    progress: Callable[[str], None] | None,
    encoding: str = ENCODING,
    landed: LandedContent | None = None,
) -> Iterator[Any]:
    """Rows of one 1C export in lists of BATCH_ROWS, and a reject for every bad record.

    Each row carries its CONTENT_HASH; with `landed`, rows whose hash is the
    landed row's are counted unchanged and not yielded (1C exports the whole
    table every night, and most of it is what landed the night before).

    `encoding` is the file's (windows-1251, or UTF-8 for an export saved so: see
    `FileFingerprint.encoding`). The header is checked against the contract
    before any row is read; a column that appeared or disappeared raises
    SchemaDriftError.
    """
    table = export.table
    label = ENCODING_LABELS[encoding]
    if progress and label != ENCODING_LABEL:
        progress(f"{relative_name}: read as {label}, not {ENCODING_LABEL}")
    # undecodable bytes are kept as surrogates: they go back to the exact bytes
    # through the same codec (without the byte-order mark utf-8-sig would add)
    raw_codec = "utf-8" if encoding == "utf-8-sig" else encoding

    def reject_record(record: CsvRecord, reason: str) -> Any:
        return _reject(tally, table, relative_name, record, reason, raw_codec)

    with path.open("rb") as stream:
        records = read_csv_records(stream, encoding, DELIMITER, label)
        header = next(records, None)
        if header is None:
            return
        if header.problem:
            # a header that cannot be read: nothing in the file can be mapped
            yield reject_record(header, header.problem)
            for record in records:
                yield reject_record(record, "header unreadable")
            return
        actual = [name.strip() for name in header.fields]
        check_columns(
            SOURCE_NAME, table, export.headers, actual, export.optional_headers
        )

        position = {name: index for index, name in enumerate(actual)}
        names = [column.name for column in export.columns]
        # an optional column the export lacks reads as null (None in `order`)
        order = [position.get(column.header) for column in export.columns]
        typed = [
            (slot, _PARSERS[column.kind], column.header)
            for slot, column in enumerate(export.columns)
            if column.kind in _PARSERS
        ]
        key_name = export.primary_key
        key_slot = names.index(key_name)
        tally.keyed_by(table, key_name)
        key_header = export.columns[key_slot].header
        expected_fields = len(actual)
        in_order = order == list(range(expected_fields))

        batch: list[dict[str, Any]] = []
        read = 0
        unchanged_before = tally.unchanged[table]

        def changed(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return _changed_rows(tally, table, key_name, batch, landed)

        for record in records:
            read += 1
            problem = record.problem
            fields = record.fields
            if problem is None and len(fields) != expected_fields:
                problem = (
                    f"wrong number of fields: {len(fields)}, expected {expected_fields}"
                )
            if problem is None:
                values = (
                    fields
                    if in_order
                    else [None if i is None else fields[i] for i in order]
                )
                try:
                    for slot, parse, column_header in typed:
                        values[slot] = parse(values[slot], column_header)
                except BadValue as error:
                    problem = str(error)
                else:
                    if not values[key_slot]:
                        problem = f"empty primary key {key_header}"
            if problem is not None:
                yield reject_record(record, problem)
            else:
                batch.append(dict(zip(names, values, strict=True)))
                if len(batch) >= BATCH_ROWS:
                    if rows := changed(batch):
                        yield rows
                    batch = []
            if progress and read % PROGRESS_EVERY_ROWS == 0:
                progress(f"{relative_name}: {read:,} rows")
        if batch and (rows := changed(batch)):
            yield rows
        if progress:
            unchanged = tally.unchanged[table] - unchanged_before
            progress(
                f"{relative_name}: {read:,} rows read"
                + (f", {unchanged:,} unchanged since landed" if unchanged else "")
            )


def _changed_rows(
    tally: SourceTally,
    table: str,
    key_name: str,
    batch: list[dict[str, Any]],
    landed: LandedContent | None,
) -> list[dict[str, Any]]:
    """The batch's rows to hand to dlt, hashed; every row counted as read."""
    for row in batch:
        # the row holds nothing but the export's parsed values yet, in the
        # order of the export's columns (an optional column absent is None)
        row[CONTENT_HASH] = values_hash(row.values())
    rows = batch if landed is None else landed.changed_only(batch)
    tally.count_read(table, len(batch))
    tally.count_unchanged(table, len(batch) - len(rows))
    tally.count_landed(table, [row[key_name] for row in rows])
    return rows


def _reject(
    tally: SourceTally,
    table: str,
    file: str,
    record: CsvRecord,
    reason: str,
    raw_codec: str,
) -> Any:
    """The reject item for `record`, counted as read and rejected."""
    raw: str | bytes = record.raw
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        # undecodable bytes were kept as surrogates: give back the exact bytes
        raw = raw.encode(raw_codec, "surrogateescape")
    item = reject(SOURCE_NAME, table, reason, raw, file=file, line=record.line)
    tally.count_read(table)
    tally.count_rejected(table, [item.data["reject_id"]])
    return item
