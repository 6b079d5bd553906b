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


def table_exists(connection: duckdb.DuckDBPyConnection, relation: str) -> bool:
    """Whether `schema.table` (or a table of the main schema) is in the warehouse."""
    schema, _, name = relation.rpartition(".")
    rows = connection.execute(
        """
        select count(*) from information_schema.tables
        where table_catalog = current_database()
          and table_schema = ? and table_name = ?
        """,
        [schema or "main", name],
    ).fetchall()
    return rows[0][0] > 0


def landed_table_names(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables the landing has written (`raw_*` schemas): `schema.table`, sorted.

    dlt's own bookkeeping tables (`_dlt_*`) and its staging schemas (`raw_*_staging`)
    are left out: they are there once a pipeline has run, whether or not anything
    landed.
    """
    rows = connection.execute(
        """
        select table_schema || '.' || table_name
        from information_schema.tables
        where table_catalog = current_database()
          and table_schema like 'raw\\_%' escape '\\'
          and table_schema not like '%\\_staging' escape '\\'
          and table_name not like '\\_dlt\\_%' escape '\\'
        order by 1
        """
    ).fetchall()
    return [name for (name,) in rows]


def landed_tables(warehouse_path: Path | str) -> list[str]:
    """landed_table_names of the warehouse file, none if there is no warehouse yet."""
    if not Path(warehouse_path).exists():
        return []
    with open_for_reading(warehouse_path) as connection:
        return landed_table_names(connection)
