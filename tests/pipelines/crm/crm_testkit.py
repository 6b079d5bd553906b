"""Helpers for the CRM source tests: branch sizes, the token, a warehouse reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from customer360.settings import AmoCrmAccount, CrmPortal
from demo.standins.bitrix24 import RateLimit
from pipelines.common.destination import make_pipeline
from pipelines.common.tally import SourceTally
from pipelines.crm import crm_source, source_arguments

TOKEN = "crm-test-token-5f2a"
BRANCH_SIZES = {"almaty": 130, "astana": 60, "shymkent": 10}  # contacts per branch
FAST = RateLimit(capacity=10_000, drain_per_second=10_000)


class Warehouse:
    """Loads the CRM source into a DuckDB file and reads it back."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(
        self,
        portals: tuple[CrmPortal, ...],
        resources: tuple[str, ...] = (),
        accounts: tuple[AmoCrmAccount, ...] = (),
        **options: Any,
    ) -> tuple[Any, SourceTally]:
        options.setdefault("backoff_seconds", 0.01)
        options.setdefault("rate_limit_wait", 0.1)
        tally = SourceTally("crm")
        pipeline = make_pipeline("crm", self.path)
        arguments = source_arguments(portals, accounts)
        for name in [name for name in options if name in arguments]:
            arguments[name] = options.pop(name)
        source = crm_source(**arguments, tally=tally, **options)
        if resources:
            source = source.with_resources(*resources)
        info = pipeline.run(source)
        return info, tally

    def rows(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def table(self, name: str) -> list[tuple]:
        """Every landed row without dlt's bookkeeping, in key order."""
        with duckdb.connect(str(self.path), read_only=True) as con:
            columns = [
                c
                for (c,) in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'raw_crm' and table_name = ? "
                    "order by ordinal_position",
                    [name],
                ).fetchall()
                if not c.startswith("_dlt")
            ]
            return con.execute(
                f"select {', '.join(columns)} from raw_crm.{name} order by branch, id"
            ).fetchall()


def causes(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps (dlt wraps what a resource raises)."""
    chain, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        chain.append(error)
        error = error.__cause__ or error.__context__
    return chain
