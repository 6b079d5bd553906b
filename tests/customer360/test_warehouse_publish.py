"""The BI copy of the warehouse: whole, read-only, replaced in one step."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from customer360.warehouse_publish import PublishError, publish

HOLD_OPEN = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "read")
print(con.execute("select count(*) from marts.customer_360").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("select count(*) from marts.customer_360").fetchone()[0], flush=True)
"""


def _warehouse(path: Path, customers: int) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema if not exists marts")
        connection.execute(
            "create or replace table marts.customer_360 as"
            f" select 'per_' || i as customer_id from range({customers}) t(i)"
        )
    return path


def _customers(path: Path) -> int:
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute("select count(*) from marts.customer_360").fetchone()[
            0
        ]


def test_the_copy_holds_the_whole_warehouse_and_is_read_only(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "customer360.duckdb", 5)
    # a change still only in the write-ahead log (this process's connection, which
    # publish shares, is still open) must be in the copy all the same
    writer = duckdb.connect(str(warehouse))
    writer.execute("insert into marts.customer_360 values ('per_late')")
    assert (tmp_path / "customer360.duckdb.wal").exists()
    try:
        published = publish(warehouse, tmp_path / "bi" / "customer360_bi.duckdb")
    finally:
        writer.close()

    assert published.path == tmp_path / "bi" / "customer360_bi.duckdb"
    assert _customers(published.path) == 6
    assert published.tables == 1
    assert published.size_bytes == published.path.stat().st_size > 0
    assert not published.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP)
    assert [p.name for p in published.path.parent.iterdir()] == [published.path.name]
    # and no reader can write it, even one that asks to
    if os.geteuid() != 0:  # root writes read-only files all the same
        with pytest.raises(duckdb.Error):
            duckdb.connect(str(published.path))


def test_a_reader_of_yesterdays_copy_keeps_it_and_the_next_reader_gets_todays(
    tmp_path: Path,
) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb", 3)
    target = tmp_path / "w_bi.duckdb"
    publish(warehouse, target)
    reader = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(target), "read"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout.readline().strip() == "3"
        _warehouse(warehouse, 7)
        # the reader holds the published copy open: publishing goes on regardless
        publish(warehouse, target)
        assert _customers(target) == 7
        out, _ = reader.communicate("\n", timeout=30)
    finally:
        reader.kill()
    # the reader saw one copy from start to end, never a mix
    assert out.strip() == "3"


def test_a_warehouse_without_marts_is_not_published_and_the_old_copy_stays(
    tmp_path: Path,
) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb", 4)
    target = tmp_path / "w_bi.duckdb"
    publish(warehouse, target)
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("drop schema marts cascade")
    with pytest.raises(PublishError, match="no marts schema"):
        publish(warehouse, target)
    assert _customers(target) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w_bi.duckdb"]


def test_a_warehouse_held_by_another_writer_is_not_published(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb", 2)
    target = tmp_path / "w_bi.duckdb"
    publish(warehouse, target)
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN, str(warehouse), "write"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "2"
        with pytest.raises(PublishError, match="previous copy, if any, is still"):
            publish(warehouse, target)
    finally:
        writer.kill()
        writer.wait()
    assert _customers(target) == 2


def test_leftovers_of_a_killed_publish_are_cleared(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb", 2)
    target = tmp_path / "w_bi.duckdb"
    (tmp_path / "w_bi.duckdb.publishing").write_bytes(b"half a copy")
    (tmp_path / "w_bi.duckdb.wal").write_bytes(b"a stale log")
    publish(warehouse, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w_bi.duckdb"]
    assert _customers(target) == 2


def test_the_copy_never_replaces_the_warehouse_itself(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path / "w.duckdb", 2)
    with pytest.raises(PublishError, match="another file"):
        publish(warehouse, warehouse)
    assert _customers(warehouse) == 2
