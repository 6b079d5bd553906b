"""The DuckDB connection that matching runs on, with a memory ceiling.

Splink's prediction is a large join. Left to its defaults, DuckDB lets a connection
take 80% of the machine's memory and keeps what it took for as long as it lives:
resolving 1,000,000 person records peaked at 22 GB on a 24 GB machine, beside the
dbt process's own DuckDB. With a ceiling, DuckDB spills the join to disk instead.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from customer360.dbt_stdout import quiet_connection
from customer360.settings import load_settings


def matching_connection(memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for one matching run, capped at `memory_limit`
    (a DuckDB size such as `4GB` or `500MB`), by default the settings' identity
    memory limit ([identity] memory_limit, C360_IDENTITY_MEMORY_LIMIT)."""
    limit = memory_limit or load_settings().identity_memory_limit
    spill = Path(tempfile.gettempdir()) / "c360-identity-spill"
    spill.mkdir(parents=True, exist_ok=True)
    try:
        return quiet_connection(
            config={
                "memory_limit": limit,
                "temp_directory": str(spill),
                # pairs are sorted where order matters; unordered joins spill less
                "preserve_insertion_order": False,
            }
        )
    except duckdb.Error as error:
        raise ValueError(
            f"identity memory limit {limit!r} is not a size DuckDB understands"
            " (for example 4GB or 500MB)"
        ) from error
