"""What dbt Python models write to stdout, kept from breaking dbt's own lines.

With `--log-format json` (what Dagster runs), every line dbt writes to stdout is one
JSON event, and stderr goes to the same pipe; Dagster reads it line by line and
silently drops a line that does not parse (a dbt test's result, a model's success).
Two things in a model's process broke lines:
- `print()` writes its text and its newline in two calls, and dbt's other thread can
  write an event between them: `report` writes the whole line at once;
- DuckDB draws a progress bar (`\r 23% ▕███`) for any query over two seconds, into a
  pipe too: every connection a model opens is `quiet_connection`, and the dbt
  session itself has `enable_progress_bar: false` in profiles.yml.
"""

from __future__ import annotations

import sys
from typing import Any

import duckdb


def say(line: str) -> None:
    """One line on stdout, as one write."""
    sys.stdout.write(f"{line}\n")
    sys.stdout.flush()


def report(model: str, message: str) -> None:
    """`int_ltv_fits: the fit was rejected: ...` on stdout, as one write."""
    say(f"{model}: {message}")


def quiet_connection(
    database: str = ":memory:", config: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, without the progress bar (a setting of the connection, not
    of the database, so it cannot go in `config`)."""
    connection = duckdb.connect(database, config=config or {})
    connection.execute("set enable_progress_bar = false")
    return connection
