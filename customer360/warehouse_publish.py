"""Publish the read-only copy of the warehouse that BI tools and readers open.

DuckDB lets one process write a file or many read it, never both: a BI tool holding
the warehouse open would stop the nightly build, and a build would lock the BI tool
out for its whole dbt phase, or show it half-built tables. So the build writes the
working warehouse alone, and at the end of a successful run this copies it, whole
and consistent, to the published path, which readers open instead:

1. under the working warehouse's write lock (no other writer can change it), a
   CHECKPOINT writes every committed change into the file itself, so the file alone
   is the whole database;
2. the file is copied beside the published path, flushed to disk, and opened
   read-only to check it is a database with the marts in it;
3. it is made read-only on disk (a reader opening it read-write by mistake cannot
   leave a write-ahead log beside it that the next copy would inherit) and renamed
   over the published path in one step: a reader sees yesterday's copy or today's,
   never a mix, and one that holds yesterday's open keeps reading it undisturbed.

Nothing here deletes the working warehouse or a good published copy: a failure at
any step leaves the previous copy in place.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from customer360.warehouse_readers import open_for_reading

# beside the published copy while it is written; renamed over it when whole
PUBLISHING_SUFFIX = ".publishing"
# the schema a published copy must hold for BI to be worth pointing at it
REQUIRED_SCHEMA = "marts"


class PublishError(RuntimeError):
    """The copy could not be made or checked; the previous copy stays published."""


@dataclass(frozen=True)
class Published:
    path: Path
    size_bytes: int
    tables: int
    seconds: float


def publish(warehouse: Path, published: Path) -> Published:
    """Copy `warehouse` to `published` atomically, as described above."""
    if warehouse.resolve() == published.resolve():
        raise PublishError(
            f"the published copy would overwrite the warehouse itself ({warehouse}):"
            " set [warehouse] published_path to another file"
        )
    started = time.monotonic()
    published.parent.mkdir(parents=True, exist_ok=True)
    staging = published.with_name(published.name + PUBLISHING_SUFFIX)
    _remove(staging)  # a copy a killed run left half-written
    try:
        with duckdb.connect(str(warehouse)) as connection:
            connection.execute("checkpoint")
            # still under the write lock: nothing changes the file while it is copied
            shutil.copyfile(warehouse, staging)
        _flush(staging)
        tables = _check(staging)
        staging.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        # a log left by a read-write opener of the old copy would be replayed on
        # the new one; the copy is read-only on disk, so this is only ever stale
        _remove(published.with_name(published.name + ".wal"))
        os.replace(staging, published)
        _flush_folder(published.parent)
    except (OSError, duckdb.Error) as error:
        _remove(staging)
        raise PublishError(
            f"could not publish {warehouse} to {published}: {error}; the previous"
            " copy, if any, is still published"
        ) from error
    except PublishError:
        _remove(staging)
        raise
    return Published(
        path=published,
        size_bytes=published.stat().st_size,
        tables=tables,
        seconds=time.monotonic() - started,
    )


def _check(copy: Path) -> int:
    """The number of tables in the copy; PublishError if it has no marts."""
    with open_for_reading(copy) as connection:
        schemas = {
            schema
            for (schema,) in connection.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
        if REQUIRED_SCHEMA not in schemas:
            raise PublishError(
                f"the warehouse has no {REQUIRED_SCHEMA} schema yet: nothing to"
                " publish for BI (has dbt built it?)"
            )
        (tables,) = connection.execute(
            "select count(*) from information_schema.tables"
        ).fetchone()
    return int(tables)


def _flush(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _flush_folder(folder: Path) -> None:
    """Make the rename itself durable (a no-op where folders cannot be opened)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def published_at(published: Path) -> float | None:
    """When the copy now published was made (its file's time), None if there is none."""
    try:
        return published.stat().st_mtime
    except FileNotFoundError:
        return None
