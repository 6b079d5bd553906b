"""A BI tool opens the warehouse read-only, in its own process, and reads the marts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.landed_company import BuiltCompany

READ_MARTS = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.sql("select count(*) from marts.dim_customers").fetchall()[0][0])
try:
    con.execute("create table marts.scratch (x int)")
except duckdb.Error:
    print("refused")
"""


def test_a_read_only_reader_sees_the_marts_and_cannot_write(
    built_company: BuiltCompany, tmp_path: Path
) -> None:
    # a copy, checkpointed: this process's dbt may still hold the original open
    company = built_company.copy_to(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", READ_MARTS, str(company.warehouse)],
        capture_output=True,
        text=True,
        check=True,
    )
    customers, refused = result.stdout.split()
    assert int(customers) > 0
    assert refused == "refused"
