"""The telephony source: Asterisk CDR exports appended to raw_telephony.calls."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import dlt
from dlt.extract.resource import DltResource

from pipelines.common.landing_files import (
    FileAccount,
    LandedFiles,
    fingerprint,
    keep_rejects_apart,
    unreadable_file,
)
from pipelines.common.tally import SourceTally
from pipelines.telephony.helpers import read_cdr_file
from pipelines.telephony.settings import (
    COLUMNS,
    ENCODING,
    FILE_PATTERN,
    PRIMARY_KEY,
    SCHEMA_CONTRACT,
    SOURCE_NAME,
    SUBDIR,
    TABLE,
)


@dlt.source(name=SOURCE_NAME)
def telephony_source(
    # typed `str` for dlt to inject it from config (it cannot parse a `Path`);
    # a `Path` passed in works all the same
    landing_dir: str = dlt.config.value,
    tally: SourceTally | None = None,
    progress: Callable[[str], None] | None = None,
) -> DltResource:
    """Every `telephony/cdr-*.csv`, in name (= month) order, into one calls table."""
    root = Path(landing_dir)
    tally = tally if tally is not None else SourceTally(SOURCE_NAME)

    # No calldate cursor (dlt.sources.incremental), unlike most event streams: the
    # file is the increment (a file whose content did not change is skipped), and
    # a cursor could only filter out the calls of an export that arrives late, or
    # of a loaded file that grows, however far behind the newest call they are.
    @dlt.resource(
        name=TABLE,
        table_name=TABLE,
        primary_key=PRIMARY_KEY,
        # append-only in effect: a call once landed is never rewritten, and a call
        # already in the table is not inserted again, so a late or repeated
        # export neither loses nor duplicates calls
        write_disposition={"disposition": "merge", "strategy": "insert-only"},
        schema_contract=SCHEMA_CONTRACT,
        # DuckDB reads parquet in bulk; row-by-row inserts are ~40x slower
        file_format="parquet",
    )
    def calls() -> Iterator[Any]:
        landed_files = LandedFiles(dlt.current.resource_state())
        seen_calls: set[str] = set()
        paths = sorted((root / SUBDIR).glob(FILE_PATTERN))
        if not paths:
            # the folder is there, no export in it yet: staging reads the table empty
            tally.note_absent(TABLE, f"{SUBDIR}/{FILE_PATTERN}")
        for path in paths:
            relative_name = f"{SUBDIR}/{path.name}"
            current = fingerprint(path)
            if landed_files.unchanged(relative_name, current):
                tally.note_unchanged(relative_name)
                if progress:
                    progress(f"{relative_name}: unchanged since the last load, skipped")
                continue
            account = FileAccount(tally, TABLE, relative_name)
            if unreadable := current.unreadable:
                items: Iterable[Any] = [
                    unreadable_file(
                        SOURCE_NAME, TABLE, relative_name, path, unreadable, tally
                    )
                ]
            else:
                encoding = current.encoding(default=ENCODING)
                items = read_cdr_file(
                    path, relative_name, tally, progress, seen_calls, encoding
                )
            yield from account.watch(items)
            if account.close():
                landed_files.remember(relative_name, current)

    return keep_rejects_apart(calls, COLUMNS)
