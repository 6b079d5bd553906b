"""The support-desk source: ticket exports merged into raw_support.tickets."""

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
from pipelines.support.helpers import LandedVersions, read_ticket_file
from pipelines.support.settings import (
    COLUMNS,
    FILE_PATTERN,
    PRIMARY_KEY,
    SCHEMA_CONTRACT,
    SOURCE_NAME,
    SUBDIR,
    TABLE,
)


@dlt.source(name=SOURCE_NAME)
def support_source(
    # typed `str` for dlt to inject it from config (it cannot parse a `Path`);
    # a `Path` passed in works all the same
    landing_dir: str = dlt.config.value,
    tally: SourceTally | None = None,
    progress: Callable[[str], None] | None = None,
) -> DltResource:
    """Every `support/tickets-*.jsonl` in name order; a ticket's newest version wins."""
    root = Path(landing_dir)
    tally = tally if tally is not None else SourceTally(SOURCE_NAME)

    # No updated_at cursor (dlt.sources.incremental): it would drop every ticket
    # older than the newest one landed, new tickets of a late export included.
    # The file is the increment, and LandedVersions keeps an older copy of a
    # ticket from overwriting its newer landed version.
    @dlt.resource(
        name=TABLE,
        table_name=TABLE,
        primary_key=PRIMARY_KEY,
        write_disposition="merge",
        schema_contract=SCHEMA_CONTRACT,
        # DuckDB reads parquet in bulk; row-by-row inserts are ~40x slower
        file_format="parquet",
    )
    def tickets() -> Iterator[Any]:
        landed_files = LandedFiles(dlt.current.resource_state())
        landed_versions = LandedVersions(dlt.current.pipeline())
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
                items = read_ticket_file(path, relative_name, tally, progress)
            for item in account.watch(items):
                if isinstance(item, list):
                    # an older copy is counted as landed: its ticket is in the
                    # table, in the newer version
                    item = landed_versions.newer_only(item)
                    if not item:
                        continue
                yield item
            if account.close():
                landed_files.remember(relative_name, current)

    return keep_rejects_apart(tickets, COLUMNS)
