"""Landing files: skip the unchanged ones, tell their encoding, keep the bad records."""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from dlt.extract.items import DataItemWithMeta
from dlt.extract.resource import DltResource

from pipelines.common.rejects import REJECTS_COLUMNS, REJECTS_TABLE, reject
from pipelines.common.tally import SourceTally

_CHUNK_BYTES = 1 << 20
# how much of an unreadable file its reject keeps
_UNREADABLE_RAW_BYTES = 1_000

# An unclosed quote would otherwise swallow the rest of a multi-gigabyte export
# into one field; csv's own limit turns it into a reject after this many characters.
csv.field_size_limit(1 << 20)


# the byte-order marks a landing file may start with, longest first
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF8, "UTF-8"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)

UTF8 = "utf-8"
WINDOWS_1251 = "cp1251"
# how reject reasons name an encoding Python knows as...
ENCODING_LABELS = {UTF8: "UTF-8", "utf-8-sig": "UTF-8", WINDOWS_1251: "windows-1251"}


@dataclass(frozen=True)
class FileFingerprint:
    """What a landing file held when read: size, content hash, encoding evidence."""

    size: int
    sha256: str
    # the encoding its byte-order mark names ("UTF-8", "UTF-16", "UTF-32"), or None
    bom: str | None = None
    # lines holding non-ASCII bytes that are valid UTF-8, and those that are not:
    # Cyrillic in windows-1251 is practically never valid UTF-8, so the two counts
    # say which of the two encodings a file is in, line by line
    utf8_lines: int = 0
    other_lines: int = 0
    # lines (non-empty) and those holding a NUL byte: when most do, the file is
    # not text (binary content, or UTF-16 without a mark); a stray NUL in a text
    # file costs its record, not the file
    lines: int = 0
    nul_lines: int = 0

    def as_state(self) -> dict[str, int | str]:
        return {"size": self.size, "sha256": self.sha256}

    @property
    def unreadable(self) -> str | None:
        """Why the file cannot be read as text at all, or None."""
        if self.bom in ("UTF-16", "UTF-32"):
            return (
                f"file is {self.bom} (its byte-order mark says so): "
                "save it as windows-1251 or UTF-8"
            )
        if self.nul_lines * 2 > self.lines:
            return "not a text file: it holds NUL bytes"
        return None

    def encoding(self, default: str) -> str:
        """The Python codec to read the file with: UTF-8 or windows-1251.

        A UTF-8 byte-order mark decides (and is dropped); otherwise what most of
        the non-ASCII lines are, so that a few corrupt lines do not turn a file
        into the other encoding; a file of ASCII alone reads as `default`.
        """
        if self.bom == "UTF-8":
            return "utf-8-sig"
        if self.utf8_lines > self.other_lines:
            return UTF8
        if self.other_lines > self.utf8_lines:
            return WINDOWS_1251
        return default


def fingerprint(path: Path) -> FileFingerprint:
    """Hash the file in chunks (never all of it in memory) and sniff its encoding.

    Written by hand rather than with charset-normalizer: the formats allow two
    encodings, and a strict UTF-8 decode of each line tells them apart exactly,
    where a general detector guesses among dozens (and, tried on a UTF-8 export
    with one corrupt line, answered gb18030).
    """
    digest = hashlib.sha256()
    size = utf8_lines = other_lines = lines_seen = nul_lines = 0
    bom: str | None = None
    carry = b""

    def classify(line: bytes) -> None:
        nonlocal utf8_lines, other_lines, lines_seen, nul_lines
        if not line:
            return
        lines_seen += 1
        if b"\0" in line:
            nul_lines += 1
        if line.isascii():
            return
        try:
            line.decode(UTF8)
        except UnicodeDecodeError:
            other_lines += 1
        else:
            utf8_lines += 1

    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            if not size:
                bom = next(
                    (name for mark, name in _BOMS if chunk.startswith(mark)), None
                )
            size += len(chunk)
            digest.update(chunk)
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            if len(carry) > _CHUNK_BYTES:
                # a line this long is no record (the CSV reader rejects it); judge
                # what there is of it rather than hold the rest in memory
                lines.append(carry)
                carry = b""
            for line in lines:
                classify(line)
    classify(carry)
    return FileFingerprint(
        size, digest.hexdigest(), bom, utf8_lines, other_lines, lines_seen, nul_lines
    )


class LandedFiles:
    """The files a resource has already landed, kept in its dlt resource state.

    dlt commits resource state together with the load, so a file is remembered
    only once its rows are in the warehouse; a failed run reads it again.
    """

    def __init__(self, resource_state: MutableMapping):
        self._files = resource_state.setdefault("files", {})

    def unchanged(self, name: str, current: FileFingerprint) -> bool:
        return self._files.get(name) == current.as_state()

    def remember(self, name: str, current: FileFingerprint) -> None:
        self._files[name] = current.as_state()


class FileAccount:
    """One landing file's share of the tally, and what to make of it once read.

    A file whose every record was rejected, or that could not be read at all,
    landed nothing: a failure to report by the file's name, not a load to
    remember, so that the next run reads it again (until it is fixed or removed).
    A file whose records were all unchanged (by content hash) is in the
    warehouse already: nothing to land, and nothing failed.
    """

    def __init__(self, tally: SourceTally, table: str, name: str) -> None:
        self.tally, self.table, self.name = tally, table, name
        self._read = tally.read[table]
        self._in_warehouse = tally.landed[table] + tally.unchanged[table]
        self.first_reject: dict[str, Any] | None = None

    def watch(self, items: Iterable[Any]) -> Iterator[Any]:
        """The file's items, passed on as they are; the first reject is kept."""
        for item in items:
            if self.first_reject is None and isinstance(item, DataItemWithMeta):
                self.first_reject = item.data
            yield item

    def close(self) -> bool:
        """Note an empty file, or one that landed nothing; True if it may be
        remembered as landed."""
        read = self.tally.read[self.table] - self._read
        if not read:
            self.tally.note_empty(self.table, self.name)
            return True
        in_warehouse = self.tally.landed[self.table] + self.tally.unchanged[self.table]
        if in_warehouse - self._in_warehouse:
            return True
        first = self.first_reject or {}
        if first.get("line") is None:
            why = f"nothing landed: {first.get('reason', 'every record rejected')}"
        else:
            why = (
                f"nothing landed: all {read:,} records were rejected; the first, "
                f"line {first['line']}: {first['reason']}"
            )
        self.tally.note_failure(self.name, why)
        return False


def unreadable_file(
    source: str, table: str, name: str, path: Path, reason: str, tally: SourceTally
) -> DataItemWithMeta:
    """A file that is not text in the format's encodings, rejected as one record.

    Its lines mean nothing as records, so it lands one reject (no line number)
    holding the start of the file, instead of one per line.
    """
    with path.open("rb") as stream:
        start = stream.read(_UNREADABLE_RAW_BYTES)
    item = reject(source, table, reason, start, file=name)
    tally.count_read(table)
    tally.count_rejected(table, [item.data["reject_id"]])
    return item


@dataclass
class CsvRecord:
    """One CSV record with where it came from; `problem` says why it cannot be used."""

    line: int
    fields: list[str]
    lines: list[str]
    problem: str | None

    @property
    def raw(self) -> str:
        """The record's text exactly as read, without its final line end."""
        return "".join(self.lines).removesuffix("\n").removesuffix("\r")


class _LineFeed:
    """Feeds decoded physical lines to csv.reader and remembers them per record.

    Each line is decoded on its own so that one undecodable byte costs one
    record, not the file; undecodable bytes are kept as surrogates so the raw
    content can be given back exactly.
    """

    def __init__(self, stream: BinaryIO, encoding: str):
        self.stream = stream
        self.encoding = encoding
        self.line_no = 0
        self.first_line = 1
        self.lines: list[str] = []
        self.undecodable = False

    def __iter__(self) -> Iterator[str]:
        encoding = self.encoding
        lines_append = None
        for raw in self.stream:
            self.line_no += 1
            if not self.lines:
                self.first_line = self.line_no
                lines_append = self.lines.append
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                text = raw.decode(encoding, "surrogateescape")
                self.undecodable = True
            lines_append(text)
            yield text

    def take(self) -> tuple[int, list[str], bool]:
        """The record's first line number, its lines, whether any was undecodable."""
        taken = (self.first_line, self.lines, self.undecodable)
        self.lines = []
        self.undecodable = False
        self.first_line = self.line_no + 1
        return taken


def read_csv_records(
    stream: BinaryIO, encoding: str, delimiter: str, encoding_label: str
) -> Iterator[CsvRecord]:
    """Every record of a CSV stream, the header first, with line numbers (1 = header).

    Records that cannot be trusted come with a `problem`: undecodable bytes,
    broken quoting, or a last record with no line end (a truncated file).
    Field counts and values are for the caller to check.
    """
    feed = _LineFeed(stream, encoding)
    reader = csv.reader(iter(feed), delimiter=delimiter, quotechar='"')
    while True:
        try:
            for fields in reader:
                line, lines, undecodable = feed.take()
                if not lines:
                    continue
                if undecodable:
                    problem = f"undecodable as {encoding_label}"
                elif not fields:
                    # a blank line carries no record, nor does a last line holding
                    # nothing but a byte-order mark (Excel's save of an empty sheet)
                    continue
                elif not lines[-1].endswith("\n"):
                    problem = "truncated file: the last record has no line end"
                else:
                    problem = None
                yield CsvRecord(line, fields, lines, problem)
            return
        except csv.Error as error:
            line, lines, _ = feed.take()
            yield CsvRecord(line, [], lines, f"broken quoting: {error}")


def keep_rejects_apart(resource: DltResource, columns: dict[str, dict]) -> DltResource:
    """Give `resource` its typed columns and a clean `rejects` table variant.

    dlt starts a table variant (which `rejects.reject()` items use) from a copy
    of the resource's hints, columns included: a resource typed first would
    push its own not-null columns into `rejects`. So the variant is made while
    the resource has no columns yet, and the columns are applied after.
    """
    resource.apply_hints(
        table_name=REJECTS_TABLE,
        write_disposition="merge",
        primary_key="reject_id",
        columns=REJECTS_COLUMNS,
        create_table_variant=True,
    )
    resource.apply_hints(columns=columns)
    return resource
