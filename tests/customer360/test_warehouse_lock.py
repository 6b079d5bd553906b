"""A warehouse held by another process is reported as that process, with what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from customer360.warehouse_lock import (
    WarehouseInUse,
    command_line_of,
    ensure_writable,
    warehouse_in_use,
)

DUCKDB_REFUSAL = (
    'IO Error: Could not set lock on file "/srv/c360/warehouse.duckdb": Conflicting'
    " lock is held in /usr/bin/python3 (PID {pid}) by user etl. See also"
    " https://duckdb.org/docs/current/connect/concurrency"
)


def test_duckdb_refusal_names_the_holder_its_command_line_and_what_to_do() -> None:
    # this test's own process stands in for the holder: its /proc entry is readable
    in_use = warehouse_in_use(DUCKDB_REFUSAL.format(pid=os.getpid()))

    assert in_use is not None
    assert in_use.path == "/srv/c360/warehouse.duckdb"
    assert in_use.pid == os.getpid()
    assert in_use.command_line == command_line_of(os.getpid())
    message = str(in_use)
    assert (
        f"the warehouse /srv/c360/warehouse.duckdb is in use by another process, PID"
        f" {os.getpid()} (" in message
    )
    # the holder's own command line, whatever runs this test (pytest, or a worker)
    assert f"({in_use.command_line})" in message
    assert sys.executable.rsplit("/", 1)[-1] in message
    assert f"kill {os.getpid()}" in message
    assert "wait for it to finish" in message


def test_a_holder_gone_since_is_named_by_the_program_duckdb_saw() -> None:
    gone = 2**22 + 1  # above Linux's pid_max default: no such process
    in_use = warehouse_in_use(DUCKDB_REFUSAL.format(pid=gone))

    assert in_use is not None
    assert in_use.command_line == "/usr/bin/python3"
    assert f"PID {gone} (/usr/bin/python3)" in str(in_use)


def test_the_refusal_is_found_inside_dlts_connection_error() -> None:
    dlt_message = (
        "Connection with `client_type=DuckDbSqlClient` to `dataset_name=raw_onec`"
        " failed. Please check if you configured the credentials at all and provided"
        " the right credentials values. You can be also denied access or your"
        " internet connection may be down. The actual reason given is: "
        # DuckDB 2.0 names no user
        'IO Error: Could not set lock on file "/w.duckdb": Conflicting lock is held'
        " in /opt/python/bin/python3.11 (PID 4242). See also https://duckdb.org/"
    )

    in_use = warehouse_in_use(dlt_message)

    assert in_use is not None
    assert (in_use.path, in_use.pid) == ("/w.duckdb", 4242)


@pytest.mark.parametrize(
    "message",
    [
        'IO Error: Cannot open file "/w.duckdb": Permission denied',
        "Catalog Error: Table with name x does not exist!",
        "",
    ],
)
def test_other_errors_are_not_taken_for_a_lock(message: str) -> None:
    assert warehouse_in_use(message) is None


def test_a_long_command_line_is_cut_to_what_fits_a_message() -> None:
    # a dbt build's `--vars` run to hundreds of characters
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; print('ready', flush=True); time.sleep(30)",
            "--vars",
            "x" * 500,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        line = command_line_of(process.pid)
    finally:
        process.kill()
        process.wait()

    assert line is not None
    assert line.startswith(f"{sys.executable} -c 'import time; print(")
    assert len(line) == 200 and line.endswith("…")


def test_a_warehouse_not_created_yet_is_writable(tmp_path: Path) -> None:
    ensure_writable(tmp_path / "not_yet.duckdb")
    assert not (tmp_path / "not_yet.duckdb").exists()


def test_a_warehouse_held_elsewhere_is_refused_naming_the_holder(
    tmp_path: Path,
    warehouse_held_by_another_process: Callable[[Path], subprocess.Popen[str]],
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    pid = warehouse_held_by_another_process(warehouse).pid

    with pytest.raises(WarehouseInUse) as refused:
        ensure_writable(warehouse)

    assert refused.value.pid == pid
    assert refused.value.path == str(warehouse)
    assert "time.sleep(120)" in refused.value.command_line


def test_a_free_warehouse_is_writable_and_left_as_it_was(tmp_path: Path) -> None:
    import duckdb

    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create table t as select 1 as x")

    ensure_writable(warehouse)

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select x from t").fetchall() == [(1,)]
