"""`c360 query` reads the warehouse's tables and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from c360.main import main
from customer360.warehouse_publish import publish


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.customer_360 as"
            " select 'per_000001' as customer_id, 1500.00 as net_revenue_kzt"
        )
    monkeypatch.setenv("C360_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("C360_WAREHOUSE", str(path))
    monkeypatch.delenv("C360_PUBLISHED_WAREHOUSE", raising=False)
    # what the end of a successful run does: c360 query reads this copy
    publish(path, tmp_path / "warehouse_bi.duckdb")
    return path


def test_a_select_is_answered(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["query", "select customer_id from marts.customer_360"]) == 0
    assert "per_000001" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        # writing a file, whole or the database's
        ("copy (select * from marts.customer_360) to '{tmp}/leak.csv'", "copy"),
        ("export database '{tmp}/export'", "export"),
        # another database, read-write, then writing into it: one statement at a time,
        # and neither may run
        ("attach '{tmp}/other.duckdb' (read_write)", "attach"),
        (
            "attach '{tmp}/other.duckdb' (read_write);"
            " create table other.t as select 1",
            "one statement at a time",
        ),
        # reading files through a select
        ("select * from read_csv('/etc/passwd')", "no access to files"),
        ("select * from glob('/root/*')", "no access to files"),
        ("select * from marts.customer_360, read_text('{tmp}/x')", "no access"),
        # extensions, and turning the guard off
        ("install httpfs", "install"),
        ("load httpfs", "load"),
        ("set enable_external_access = true", "set"),
        # changing the warehouse
        ("delete from marts.customer_360", "delete"),
        ("create table marts.extra as select 1 as one", "create"),
    ],
)
def test_anything_but_reading_the_warehouse_is_refused_clearly(
    warehouse: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    sql: str,
    says: str,
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["query", sql.format(tmp=tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("c360 query: refused: ")
    assert says in err
    # nothing was written beside the warehouse, and the warehouse is unchanged
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute(
            "select count(*) from information_schema.tables"
        ).fetchone() == (1,)
        assert connection.execute(
            "select count(*) from marts.customer_360"
        ).fetchone() == (1,)


def test_it_reads_what_bi_reads_and_the_working_warehouse_when_asked(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # the build has moved on since the last publish
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("insert into marts.customer_360 values ('per_000002', 9)")
    sql = "select count(*) as customers from marts.customer_360"
    assert main(["query", sql]) == 0
    assert "│         1 │" in capsys.readouterr().out
    assert main(["query", "--working", sql]) == 0
    assert "│         2 │" in capsys.readouterr().out


def test_a_run_writing_the_warehouse_does_not_block_the_query(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); print('holding',"
            " flush=True); sys.stdin.readline()",
            str(warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout.readline().strip() == "holding"
        assert main(["query", "select customer_id from marts.customer_360"]) == 0
        assert "per_000001" in capsys.readouterr().out
        # the working warehouse itself is the writer's until it is done
        assert main(["query", "--working", "select 1"]) == 1
        assert "while a run writes it" in capsys.readouterr().err
    finally:
        writer.kill()
        writer.wait()


def test_before_the_first_publish_it_says_how_to_read_the_working_warehouse(
    warehouse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "warehouse_bi.duckdb").unlink()
    assert main(["query", "select 1"]) == 2
    err = capsys.readouterr().err
    assert "no published copy of the warehouse" in err
    assert "--working" in err
    assert main(["query", "--working", "select 42 as answer"]) == 0
    assert "42" in capsys.readouterr().out
