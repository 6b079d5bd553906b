"""Fixtures for the Bitrix24 stand-in tests: running portals on ephemeral ports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from standin_testkit import FAST, TOKEN, Portal

from demo.standins.bitrix24 import StandinHandle, start_standin
from demo.standins.bitrix24.samples import seed_document, write_seed


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., StandinHandle]]:
    handles: list[StandinHandle] = []

    def _start(branches: Any = ("almaty",), **kwargs: Any) -> StandinHandle:
        kwargs.setdefault("rate_limit", FAST)
        kwargs.setdefault("token", TOKEN)
        handle = start_standin(tmp_path / "standin", branches, **kwargs)
        handles.append(handle)
        return handle

    yield _start
    for handle in handles:
        handle.stop()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """A landing folder with almaty: 120 contacts, 10 companies, 30 deals."""
    folder = tmp_path / "landing"
    write_seed(folder, "almaty", seed_document("almaty", 120, 10, 30))
    return folder


@pytest.fixture
def portal(start: Callable[..., StandinHandle], landing: Path) -> Portal:
    return Portal(start(seed_from=landing), "almaty")
