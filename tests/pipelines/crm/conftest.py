"""Fixtures for the CRM source tests: three stand-in portals and a DuckDB warehouse."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from crm_testkit import BRANCH_SIZES, FAST, TOKEN, Warehouse

from demo.standins.bitrix24 import StandinHandle, start_standin
from demo.standins.bitrix24.samples import seed_document, write_seed


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    for branch, contacts in BRANCH_SIZES.items():
        document = seed_document(branch, contacts, contacts // 10 + 1, contacts // 2)
        write_seed(folder, branch, document)
    return folder


@pytest.fixture
def start(tmp_path: Path, landing: Path) -> Iterator[Callable[..., StandinHandle]]:
    handles: list[StandinHandle] = []

    def _start(**kwargs: Any) -> StandinHandle:
        kwargs.setdefault("rate_limit", FAST)
        kwargs.setdefault("seed_from", landing)
        handle = start_standin(
            tmp_path / "standin", list(BRANCH_SIZES), token=TOKEN, **kwargs
        )
        handles.append(handle)
        return handle

    yield _start
    for handle in handles:
        handle.stop()


@pytest.fixture
def standin(start: Callable[..., StandinHandle]) -> StandinHandle:
    return start()


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "warehouse" / "c360.duckdb")
