"""How the product opens the warehouse for someone who only reads it.

A reader gets one read-only DuckDB connection with external access off and the
configuration locked: it can query the warehouse's tables and nothing else, so a
query typed into `c360 query` (or, later, a web page) cannot write files (`copy ...
to`, `export database`), read them (`read_csv('/etc/passwd')`, `glob`), attach
another database read-write, install or load extensions, or switch any of that back
on (`set enable_external_access = true`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

READER_CONFIG = {
    # no file system, network or extension access beyond the warehouse file itself
    "enable_external_access": False,
    # and no `set` to turn it back on
    "lock_configuration": True,
}


def open_for_reading(warehouse_path: Path | str) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the warehouse that can reach nothing else."""
    return duckdb.connect(str(warehouse_path), read_only=True, config=READER_CONFIG)


def landed_tables(warehouse_path: Path | str) -> list[str]:
    """The tables the landing has written (`raw_*` schemas), none if no warehouse yet.

    dlt's own bookkeeping tables (`_dlt_*`) and its staging schemas (`raw_*_staging`)
    are left out: they are there once a pipeline has run, whether or not anything
    landed.
    """
    if not Path(warehouse_path).exists():
        return []
    with open_for_reading(warehouse_path) as connection:
        rows = connection.execute(
            """
            select table_schema || '.' || table_name
            from information_schema.tables
            where table_schema like 'raw\\_%' escape '\\'
              and table_schema not like '%\\_staging' escape '\\'
              and table_name not like '\\_dlt\\_%' escape '\\'
            order by 1
            """
        ).fetchall()
    return [name for (name,) in rows]
