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
