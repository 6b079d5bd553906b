"""Landing files: skip the unchanged ones, read CSV records keeping the bad ones."""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from dlt.extract.resource import DltResource

from pipelines.common.rejects import REJECTS_COLUMNS, REJECTS_TABLE

_CHUNK_BYTES = 1 << 20

# An unclosed quote would otherwise swallow the rest of a multi-gigabyte export
# into one field; csv's own limit turns it into a reject after this many characters.
csv.field_size_limit(1 << 20)


@dataclass(frozen=True)
class FileFingerprint:
    """What a landing file held when read: size, content hash, apparent encoding."""

    size: int
    sha256: str
    # decodes cleanly as UTF-8 and holds multi-byte sequences: a UTF-8 export,
    # which would silently turn into mojibake if read as windows-1251
    looks_like_utf8: bool

    def as_state(self) -> dict[str, int | str]:
        return {"size": self.size, "sha256": self.sha256}


def fingerprint(path: Path) -> FileFingerprint:
    """Hash the file in chunks (never all of it in memory) and sniff its encoding."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    decodes_as_utf8 = True
    has_multibyte = False
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            size += len(chunk)
            digest.update(chunk)
            if decodes_as_utf8:
                has_multibyte = has_multibyte or not chunk.isascii()
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    decodes_as_utf8 = False
    if decodes_as_utf8:
        try:
            utf8.decode(b"", final=True)
        except UnicodeDecodeError:
            decodes_as_utf8 = False
    return FileFingerprint(size, digest.hexdigest(), decodes_as_utf8 and has_multibyte)


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
                elif not lines[-1].endswith("\n"):
                    problem = "truncated file: the last record has no line end"
                elif not fields:
                    continue  # a blank line carries no record
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
