"""The DuckDB connection that matching runs on, with a memory ceiling.

Splink's prediction is a large join. Left to its defaults, DuckDB lets a connection
take 80% of the machine's memory and keeps what it took for as long as it lives:
resolving 1,000,000 person records peaked at 22 GB on a 24 GB machine, beside the
dbt process's own DuckDB. With a ceiling, DuckDB spills the join to disk instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

MEMORY_LIMIT_ENV = "C360_IDENTITY_MEMORY_LIMIT"
# enough to resolve 1,000,000 person records without spilling much (see
# benchmarks/identity_resolution.py); raise it on a big machine, lower it on a small one
DEFAULT_MEMORY_LIMIT = "4GB"


def matching_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for one matching run, capped by
    C360_IDENTITY_MEMORY_LIMIT (a DuckDB size such as `4GB` or `500MB`)."""
    limit = os.environ.get(MEMORY_LIMIT_ENV, DEFAULT_MEMORY_LIMIT)
    spill = Path(tempfile.gettempdir()) / "c360-identity-spill"
    spill.mkdir(parents=True, exist_ok=True)
    try:
        return duckdb.connect(
            config={
                "memory_limit": limit,
                "temp_directory": str(spill),
                # pairs are sorted where order matters; unordered joins spill less
                "preserve_insertion_order": False,
            }
        )
    except duckdb.Error as error:
        raise ValueError(
            f"{MEMORY_LIMIT_ENV}={limit!r} is not a size DuckDB understands"
            " (for example 4GB or 500MB)"
        ) from error
