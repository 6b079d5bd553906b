"""Reading Asterisk CDR CSV exports: typed calls, and a reject for every bad record."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.common.contracts import check_columns
from pipelines.common.landing_files import ENCODING_LABELS, read_csv_records
from pipelines.common.rejects import reject
from pipelines.common.tally import SourceTally
from pipelines.telephony.settings import (
    BATCH_ROWS,
    CALLDATE,
    DELIMITER,
    ENCODING,
    ENCODING_LABEL,
    HEADER,
    LOCAL_TIMEZONE,
    PRIMARY_KEY,
    PROGRESS_EVERY_ROWS,
    SOURCE_NAME,
    TABLE,
    WHOLE_SECONDS,
)

_CALLDATE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})"
)


class BadValue(ValueError):
    """A field that cannot be typed; the message is the reject reason."""


def parse_calldate(text: str) -> datetime:
    match = _CALLDATE.fullmatch(text)
    if not match:
        raise BadValue(f"calldate {text!r} is not YYYY-MM-DD HH:MM:SS")
    try:
        return datetime(*map(int, match.groups()), tzinfo=LOCAL_TIMEZONE)
    except ValueError:
        raise BadValue(f"impossible calldate {text}") from None


def parse_seconds(text: str, column: str) -> int | None:
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise BadValue(f"{column} {text!r} is not whole seconds")
    return int(text)


def read_cdr_file(
    path: Path,
    relative_name: str,
    tally: SourceTally,
    progress: Callable[[str], None] | None,
    seen_calls: set[str],
    encoding: str = ENCODING,
) -> Iterator[Any]:
    """Calls of one CDR export in lists, and a reject for every bad record.

    `encoding` is the file's: UTF-8 as the format says, or windows-1251 for a
    PBX that writes so (see `FileFingerprint.encoding`). `seen_calls` holds the
    uniqueids already yielded in this run: an export that
    repeats calls of an earlier one in the same run must not land them twice
    (across runs the insert-only merge on uniqueid does that).
    """
    label = ENCODING_LABELS[encoding]
    if progress and label != ENCODING_LABEL:
        progress(f"{relative_name}: read as {label}, not {ENCODING_LABEL}")
    # undecodable bytes are kept as surrogates: they go back to the exact bytes
    # through the same codec (without the byte-order mark utf-8-sig would add)
    raw_codec = "utf-8" if encoding == "utf-8-sig" else encoding
    with path.open("rb") as stream:
        records = read_csv_records(stream, encoding, DELIMITER, label)
        header = next(records, None)
        if header is None:
            return
        actual = [name.strip() for name in header.fields]
        check_columns(SOURCE_NAME, TABLE, HEADER, actual)
        position = {name: index for index, name in enumerate(actual)}
        order = [position[name] for name in HEADER]
        expected_fields = len(actual)
        calldate_slot = HEADER.index(CALLDATE)
        key_slot = HEADER.index(PRIMARY_KEY)
        tally.keyed_by(TABLE, PRIMARY_KEY)
        seconds_slots = [(HEADER.index(name), name) for name in WHOLE_SECONDS]

        batch: list[dict[str, Any]] = []
        read = repeated = 0
        for record in records:
            read += 1
            problem = record.problem
            fields = record.fields
            if problem is None and len(fields) != expected_fields:
                problem = (
                    f"wrong number of fields: {len(fields)}, expected {expected_fields}"
                )
            if problem is None:
                values = [fields[i] for i in order]
                try:
                    values[calldate_slot] = parse_calldate(values[calldate_slot])
                    for slot, name in seconds_slots:
                        values[slot] = parse_seconds(values[slot], name)
                except BadValue as error:
                    problem = str(error)
                else:
                    if not values[key_slot]:
                        problem = "empty uniqueid"
            if problem is not None:
                raw = record.raw
                try:
                    raw.encode("utf-8")
                except UnicodeEncodeError:
                    raw = raw.encode(raw_codec, "surrogateescape")
                item = reject(
                    SOURCE_NAME,
                    TABLE,
                    problem,
                    raw,
                    file=relative_name,
                    line=record.line,
                )
                tally.count_read(TABLE)
                tally.count_rejected(TABLE, [item.data["reject_id"]])
                yield item
                continue
            unique_id = values[key_slot]
            tally.count_read(TABLE)
            # a repeated call is landed already (once), so it counts as landed
            tally.count_landed(TABLE, [unique_id])
            if unique_id in seen_calls:
                repeated += 1
            else:
                seen_calls.add(unique_id)
                batch.append(dict(zip(HEADER, values, strict=True)))
                if len(batch) >= BATCH_ROWS:
                    yield batch
                    batch = []
            if progress and read % PROGRESS_EVERY_ROWS == 0:
                progress(f"{relative_name}: {read:,} rows")
        if batch:
            yield batch
        if progress:
            note = f", {repeated:,} repeated calls already landed" if repeated else ""
            progress(f"{relative_name}: {read:,} rows read{note}")
