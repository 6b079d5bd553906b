"""The 1C accounting source: seven CSV exports landed as raw_onec.<file name>."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dlt

from pipelines.common.landed_content import LandedContent, add_hash_column
from pipelines.common.landing_files import (
    FileAccount,
    LandedFiles,
    fingerprint,
    keep_rejects_apart,
    unreadable_file,
)
from pipelines.common.tally import SourceTally
from pipelines.onec.helpers import read_export
from pipelines.onec.settings import (
    ENCODING,
    EXPORT_FILES,
    SCHEMA_CONTRACT,
    SOURCE_NAME,
    SUBDIR,
    ExportFile,
    column_hints,
)


def _export_rows(
    landing_dir: Path,
    export: ExportFile,
    tally: SourceTally,
    progress: Callable[[str], None] | None,
) -> Iterator[Any]:
    relative_name = f"{SUBDIR}/{export.file_name}"
    path = landing_dir / relative_name
    if not path.is_file():
        # this company does not export it (yet): staging reads the table as empty
        tally.note_absent(export.table, relative_name)
        if progress:
            progress(f"{relative_name}: not found, nothing to land")
        return
    current = fingerprint(path)
    landed_files = LandedFiles(dlt.current.resource_state())
    if landed_files.unchanged(relative_name, current):
        tally.note_unchanged(relative_name)
        if progress:
            progress(f"{relative_name}: unchanged since the last load, skipped")
        return
    account = FileAccount(tally, export.table, relative_name)
    if unreadable := current.unreadable:
        items = [
            unreadable_file(
                SOURCE_NAME, export.table, relative_name, path, unreadable, tally
            )
        ]
    else:
        encoding = current.encoding(default=ENCODING)
        # a changed export is still the whole table: only rows whose content
        # hash differs from the landed row's are merged
        add_hash_column(dlt.current.source_schema(), export.table)
        landed = LandedContent(
            dlt.current.pipeline(), export.table, key=export.primary_key
        )
        items = read_export(
            path, relative_name, export, tally, progress, encoding, landed
        )
    yield from account.watch(items)
    if account.close():
        # remembered in resource state, which dlt commits only with a successful load
        landed_files.remember(relative_name, current)


@dlt.source(name=SOURCE_NAME)
def onec_source(
    # typed `str` for dlt to inject it from config (it cannot parse a `Path`);
    # a `Path` passed in works all the same
    landing_dir: str = dlt.config.value,
    tally: SourceTally | None = None,
    progress: Callable[[str], None] | None = None,
) -> Iterator[Any]:
    """One resource per 1C export file; each is merged on its primary key.

    Of a changed file, only the rows new or changed since landed (by content
    hash) are merged; rows no longer exported stay as they were landed.
    """
    root = Path(landing_dir)
    tally = tally if tally is not None else SourceTally(SOURCE_NAME)
    for export in EXPORT_FILES:
        resource = dlt.resource(
            _export_rows(root, export, tally, progress),
            name=export.table,
            table_name=export.table,
            primary_key=export.primary_key,
            write_disposition="merge",
            schema_contract=SCHEMA_CONTRACT,
            # DuckDB reads parquet in bulk; row-by-row inserts are ~40x slower
            file_format="parquet",
        )
        yield keep_rejects_apart(resource, column_hints(export))
